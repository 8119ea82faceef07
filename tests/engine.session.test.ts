/**
 * The experiment session on a tiny random CLIP (plumbing, not the method's numbers): config
 * validation, stage staleness ('stale-stage' naming the stage to rerun), reuse of loaded stages,
 * one job at a time, and no leaked tensors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { ExperimentSession } from '../src/engine/experiment/session';
import { defaultExperimentConfig, alphaGrid, MICRO_DECREE } from '../src/engine/experiment/defaults';
import { configIssues, ExperimentConfigError, validateConfig } from '../src/engine/experiment/validate';
import type { ExperimentConfig } from '../src/engine/experiment/config';
import { StaleStageError } from '../src/engine/experiment/stages';
import { tinyClipFiles } from './util/tinyClip';
import { accuracyOver } from '../src/engine/eval/byClass';

function smallConfig(): ExperimentConfig {
  const c = defaultExperimentConfig('badnet', 3);
  c.splits = { train: 200, val: 40, test: 60, forget: 40 };
  c.attack = { ...c.attack, epochs: 1, batchSize: 50, warmupSteps: 1 };
  c.tbar = { ...c.tbar, epochs: 1, batchSize: 20, warmupSteps: 1 };
  c.sweep.alphas = [0, 1, 2];
  c.disentangle = { range: 2, levels: [3], samples: 8 };
  c.ga.epochs = 1;
  return c;
}

describe('config validation', () => {
  it('the defaults are valid, for every trigger', () => {
    for (const k of ['badnet', 'blended', 'wanet', 'sig', 'painted'] as const) expect(configIssues(defaultExperimentConfig(k))).toEqual([]);
    expect(alphaGrid(1, 0.25)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('reports every problem with its path and a typed code', () => {
    const c = defaultExperimentConfig();
    c.attack.poisonRate = 1;
    c.attack.target = 12;
    c.sweep.alphas = [0, 0.5, 0.4];
    c.disentangle.levels = [5, 8];
    c.tbar.lr = -1;
    const err = (() => {
      try {
        validateConfig(c, { numClasses: 10 });
      } catch (e) {
        return e as ExperimentConfigError;
      }
    })()!;
    expect(err).toBeInstanceOf(ExperimentConfigError);
    expect(err.code).toBe('invalid-config');
    const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i.code]));
    expect(byPath).toMatchObject({
      'attack.poisonRate': 'poison-rate',
      'attack.target': 'target-out-of-range',
      'sweep.alphas': 'alpha-grid',
      'disentangle.levels[1]': 'xi-grid',
      'tbar.lr': 'out-of-range',
    });
    expect(err.message).toMatch(/10 classes/);
    const c2 = defaultExperimentConfig();
    c2.sweep.alphas = [0.1, 0.2];
    c2.attack.poisonRate = 0;
    expect(configIssues(c2).map((i) => i.code).sort()).toEqual(['alpha-grid', 'poison-rate']);
    // without the data, the target is only checked for being a non-negative integer
    c2.attack.poisonRate = 0.03;
    c2.sweep.alphas = [0, 1];
    c2.attack.target = 99;
    expect(configIssues(c2)).toEqual([]);
    const c3 = defaultExperimentConfig();
    c3.forget = { trigger: 'decree', decree: { ...MICRO_DECREE, steps: 0, simThreshold: 1.5 } };
    expect(configIssues(c3).map((i) => i.path)).toEqual(['forget.decree.steps', 'forget.decree.simThreshold']);
    (c3 as unknown as { forget: unknown }).forget = { trigger: 'guess' };
    expect(configIssues(c3).map((i) => i.path)).toEqual(['forget.trigger']);
    // θ_b and τ̂_t from files: { kind: 'file', name }
    const c4 = { ...defaultExperimentConfig(), backdoor: { kind: 'url', name: 'x' }, triggerVector: { kind: 'file', name: '' } } as unknown as ExperimentConfig;
    expect(configIssues(c4).map((i) => `${i.path} ${i.code}`)).toEqual(['backdoor.kind unknown-kind', 'triggerVector.name out-of-range']);
    expect(configIssues({ ...defaultExperimentConfig(), backdoor: { kind: 'file', name: 'b.safetensors' }, triggerVector: { kind: 'file', name: 't.safetensors' } })).toEqual([]);
  });
});

describe('experiment session', () => {
  let session: ExperimentSession;
  let before: number;
  beforeAll(async () => {
    before = tf.memory().numTensors;
    session = new ExperimentSession({ files: await tinyClipFiles() });
  });
  afterAll(() => {
    session.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  const stale = async (p: Promise<unknown>) => {
    const e = (await p.catch((x) => x)) as StaleStageError;
    expect(e).toBeInstanceOf(StaleStageError);
    expect(e.code).toBe('stale-stage');
    return e.message;
  };

  it('stages need their inputs: model and data first, then attack → tbar → sweep → disentangle', async () => {
    const c = smallConfig();
    expect(await stale(session.zeroShot(c))).toMatch(/load the data/);
    expect(await stale(session.previewTrigger(c, 2))).toMatch(/load the data/);
    await session.loadData(c);
    expect(await stale(session.zeroShot(c))).toMatch(/load the model/);
    await session.loadModel(c);
    expect(await stale(session.tbar(c))).toMatch(/θ_b.*does not exist yet.*attack/);
    const a = await session.attack(c, false);
    expect(await stale(session.sweep(c))).toMatch(/τ̂_t.*rerun TBAR|τ̂_t.*does not exist yet.*TBAR/);
    await session.tbar(c);
    expect(await stale(session.disentangle(c))).toMatch(/α sweep.*sweep/);
    const sw = await session.sweep(c);
    // CA by class (eval/byClass.ts): θ_b's counts cover the test split and give back its CA; the sweep
    // carries them beside θ̂_c's, whose counts give back the sweep's test CA
    expect(a.byClass!.total.reduce((x, y) => x + y, 0)).toBe(c.splits.test);
    expect(accuracyOver(a.byClass!)).toBe(a.test.ca);
    expect(sw.byClass!.backdoored).toEqual(a.byClass);
    expect(sw.byClass!.cleaned.total).toEqual(a.byClass!.total);
    expect(accuracyOver(sw.byClass!.cleaned)).toBe(sw.test.ca);
    const d = await session.disentangle(c);
    expect(d.cells.length).toBe(9);
  });

  it('a changed config part makes the stages that depend on it stale, and says which part and what to rerun', async () => {
    const c = smallConfig();
    const trig = { ...c, trigger: { ...c.trigger, seed: 99 } } as ExperimentConfig;
    const msg = await stale(session.tbar(trig));
    expect(msg).toMatch(/config\.trigger/);
    expect(msg).toMatch(/rerun the attack stage/);
    const hp = { ...c, tbar: { ...c.tbar, lr: c.tbar.lr / 2 } };
    expect(await stale(session.sweep(hp))).toMatch(/config\.tbar.*rerun TBAR/);
    expect(await stale(session.gradientAscent({ ...c, attack: { ...c.attack, poisonRate: 0.05 } }))).toMatch(/config\.attack/);
    expect(await stale(session.zeroShot({ ...c, splits: { ...c.splits, val: 41 } }))).toMatch(/config\.splits.*load the data/);
    // the trigger preview previews the TRIGGER on the loaded images, even when the data settings changed
    const pv = await session.previewTrigger({ ...trig, splits: { ...c.splits, train: c.splits.train * 2 } }, 2);
    expect(pv.triggered.pixels).not.toEqual((await session.previewTrigger(c, 2)).triggered.pixels); // the new trigger seed shows
    // parts a stage does not depend on do not make it stale: a new α grid reuses τ̂_t
    const grid = { ...c, sweep: { ...c.sweep, alphas: [0, 0.5, 1] } };
    const s = await session.sweep(grid);
    expect(s.points.map((p) => p.alpha)).toEqual([0, 0.5, 1]);
    // …but the disentanglement needs the sweep of ITS config
    expect(await stale(session.disentangle(c))).toMatch(/config\.sweep/);
    // and exporting the cleaned model without α needs a fresh sweep; with α it does not
    await expect(session.exportWeights(c, 'cleaned', 0.5)).resolves.toMatchObject({ fileName: expect.stringMatching(/alpha0\.5/) });
  });

  it('reloading with the same model/data keeps the stage outputs; a new target is checked against the data', async () => {
    const c = smallConfig();
    const n = tf.memory().numTensors;
    await session.loadModel(c);
    await session.loadData(c);
    expect(tf.memory().numTensors).toBe(n);
    await expect(session.predictSamples(c, 0, 3)).resolves.toMatchObject({ alpha: 0 });
    await expect(session.attack({ ...c, attack: { ...c.attack, target: 10 } }, false)).rejects.toMatchObject({ code: 'invalid-config', message: expect.stringMatching(/10 classes/) });
  });

  it('runs one job at a time: concurrent calls queue and give the same answers as sequential ones', async () => {
    const c = smallConfig();
    const [a, b, p] = await Promise.all([session.zeroShot(c), session.zeroShot(c), session.predictSamples(c, 1, 4)]);
    expect(a).toEqual(b);
    expect(await session.predictSamples(c, 1, 4)).toEqual(p);
  });

  it('TBAR+DECREE: the decree stage feeds the forget set and the sweep\'s proxy ASR; it goes stale with config.forget', async () => {
    const c = smallConfig();
    await session.attack(c, false);
    const known = await session.tbar(c, {}, { perEpoch: false });
    const d: ExperimentConfig = { ...c, forget: { trigger: 'decree', decree: { ...MICRO_DECREE, images: 16, steps: 6, batchSize: 8, patience: 2, restarts: 2 } } };
    expect(await stale(session.tbar(d))).toMatch(/trigger inverted by DECREE.*does not exist yet.*rerun DECREE/);
    await expect(session.decree(c)).rejects.toMatchObject({ code: 'invalid-config', message: expect.stringMatching(/forget/) });
    const phases = new Set<string>();
    const r = await session.decree(d, { progress: (p) => phases.add(p.phase) });
    expect([...phases]).toEqual(['backdoored', 'clean']);
    expect(r.backdoored.curve.length).toBe(12); // 2 runs × 6 steps
    expect(r.backdoored.curve.map((p) => p.restart)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(r.backdoored.runs.length).toBe(2);
    expect(r.backdoored.pl1).toBe(Math.min(...r.backdoored.runs.filter((x) => x.reachedThreshold).map((x) => x.pl1)));
    expect(r.clean!.curve.length).toBe(12);
    expect(r.trigger).toMatchObject({ kind: 'painted', params: { width: 32, height: 32, size: 32, position: { x: 0, y: 0 } } });
    expect(r.stamped.count).toBe(8);
    expect(r.inference.probe.reduce((a, b) => a + b, 0)).toBe(16);
    // a new inverted trigger drops τ̂_t (the session keeps one)
    expect(await stale(session.sweep(d))).toMatch(/τ̂_t, which does not exist yet: rerun TBAR/);
    const t = await session.tbar(d, {}, { perEpoch: false });
    expect(t.triggerNorm).not.toBe(known.triggerNorm);
    const sw = await session.sweep(d);
    expect(sw.points.every((p) => typeof p.proxyAsr === 'number')).toBe(true);
    // another DECREE setting → DECREE and everything after it are stale
    const d2: ExperimentConfig = { ...d, forget: { trigger: 'decree', decree: { ...(d.forget as { decree: typeof MICRO_DECREE }).decree, steps: 7 } } };
    expect(await stale(session.tbar(d2))).toMatch(/config\.forget.*rerun DECREE/);
    // an explicit known-trigger forget config is the same as none
    await session.tbar({ ...c, forget: { trigger: 'known' } }, {}, { perEpoch: false });
    expect(await stale(session.sweep(d))).toMatch(/config\.forget.*rerun TBAR/);
    expect((await session.sweep(c)).points.every((p) => p.proxyAsr === undefined)).toBe(true);
  });

  it('θ_b from a backdoored checkpoint file: the vision tower of an exported θ_b gives the same θ_b and scores; wrong files are refused', async () => {
    const c = smallConfig();
    const a = await session.attack(c, false);
    const exported = await session.exportWeights(c, 'backdoored');
    const want = session.snapshot('thetaB')!;
    const file = new File([exported.bytes as Uint8Array<ArrayBuffer>], 'theta-b.safetensors');
    const fromFile: ExperimentConfig = { ...c, backdoor: { kind: 'file', name: file.name } };
    // θ_b trained for `c` is not θ_b for `fromFile` (config.backdoor differs)
    expect(await stale(session.tbar(fromFile))).toMatch(/config\.backdoor.*rerun the attack stage/);
    await expect(session.attack(fromFile, false)).rejects.toMatchObject({ code: 'no-files', message: expect.stringMatching(/pick it again/) });
    const r = await session.attack(fromFile, false, {}, [file]);
    expect(r.test).toEqual(a.test);
    expect(r.losses).toEqual([]);
    // The poisoned fine-tune is timed (the Attack panel scales it to forecast a larger split); a file is not.
    expect(a.trainSeconds).toBeGreaterThan(0);
    expect(r.trainSeconds).toBeUndefined();
    expect(r.fromFile).toMatchObject({ name: 'theta-b.safetensors' });
    expect(r.fromFile!.taken).toBe(want.size);
    expect(r.fromFile!.ignored).toBeGreaterThan(0); // the text tower and logit_scale
    const got = session.snapshot('thetaB')!;
    for (const [n, t] of want) expect(await got.get(n)!.data(), n).toEqual(await t.data());
    tf.dispose([...want.values(), ...got.values()]);
    await session.tbar(fromFile, {}, { perEpoch: false });
    // a checkpoint of another architecture, and a file that is not safetensors
    const other = (await tinyClipFiles({ width: 48 })).read('models/micro-clip/model.safetensors');
    const bad = new File([(await other) as Uint8Array<ArrayBuffer>], 'other.safetensors');
    await expect(session.attack(fromFile, false, {}, [bad])).rejects.toMatchObject({ code: 'bad-data', message: expect.stringMatching(/other shapes.*load the checkpoint it was fine-tuned from/) });
    await expect(session.attack(fromFile, false, {}, [new File(['x'], 'theta-b.pt')])).rejects.toMatchObject({ message: expect.stringMatching(/\.safetensors/) });
  });

  it('τ̂_t from a file (§5.2 transfer): an exported τ̂_t loads bit-identical without fine-tuning; models are refused as τ̂_t and τ̂_t as θ_b', async () => {
    const c = smallConfig();
    await session.attack(c, false);
    const own = await session.tbar(c, {}, { perEpoch: false });
    const exported = await session.exportWeights(c, 'trigger-vector');
    const want = session.snapshot('tauHat')!;
    const file = new File([exported.bytes as Uint8Array<ArrayBuffer>], 'tau.safetensors');
    const fromFile: ExperimentConfig = { ...c, triggerVector: { kind: 'file', name: file.name } };
    // τ̂_t fine-tuned for `c` is not τ̂_t for `fromFile` (config.triggerVector differs)
    expect(await stale(session.sweep(fromFile))).toMatch(/config\.triggerVector.*rerun TBAR/);
    await expect(session.tbar(fromFile)).rejects.toMatchObject({ code: 'no-files', message: expect.stringMatching(/pick it again/) });
    const r = await session.tbar(fromFile, {}, {}, [file]);
    expect(r.losses).toEqual([]);
    expect(r.perEpoch).toEqual([]);
    expect(r.fromFile).toEqual({ name: 'tau.safetensors', taken: want.size, ignored: 0 });
    expect(r.triggerNorm).toBe(own.triggerNorm);
    expect(r.cosine).toBe(own.cosine);
    const got = session.snapshot('tauHat')!;
    for (const [n, t] of want) expect(await got.get(n)!.data(), n).toEqual(await t.data());
    tf.dispose([...want.values(), ...got.values()]);
    expect((await session.sweep(fromFile)).points.length).toBe(c.sweep.alphas.length);
    // the lab's θ_b export picked as τ̂_t, and its τ̂_t export picked as θ_b: same names and shapes, wrong content
    const thetaB = new File([(await session.exportWeights(c, 'backdoored')).bytes as Uint8Array<ArrayBuffer>], 'theta-b.safetensors');
    await expect(session.tbar(fromFile, {}, {}, [thetaB])).rejects.toMatchObject({ code: 'bad-data', message: expect.stringMatching(/backdoored-model θ_b export, not a trigger vector/) });
    await expect(session.attack({ ...c, backdoor: { kind: 'file', name: 'tau.safetensors' } }, false, {}, [file])).rejects.toMatchObject({
      code: 'bad-data',
      message: expect.stringMatching(/trigger-vector τ̂_t export, not a backdoored checkpoint/),
    });
  });

  it('a job cancelled while queued never starts', async () => {
    const c = smallConfig();
    const ac = new AbortController();
    const first = session.zeroShot(c);
    const second = session.zeroShot(c, { signal: ac.signal });
    ac.abort();
    await first;
    await expect(second).rejects.toMatchObject({ code: 'cancelled' });
  });
});
