/**
 * The experiment session on a tiny random CLIP (plumbing, not the method's numbers): config
 * validation, stage staleness ('stale-stage' naming the stage to rerun), reuse of loaded stages,
 * one job at a time, and no leaked tensors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { ExperimentSession } from '../src/engine/experiment/session';
import { defaultExperimentConfig, alphaGrid } from '../src/engine/experiment/defaults';
import { configIssues, ExperimentConfigError, validateConfig } from '../src/engine/experiment/validate';
import type { ExperimentConfig } from '../src/engine/experiment/config';
import { StaleStageError } from '../src/engine/experiment/stages';
import { tinyClipFiles } from './util/tinyClip';

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
    await session.loadData(c);
    expect(await stale(session.zeroShot(c))).toMatch(/load the model/);
    await session.loadModel(c);
    expect(await stale(session.tbar(c))).toMatch(/θ_b.*does not exist yet.*attack/);
    await session.attack(c, false);
    expect(await stale(session.sweep(c))).toMatch(/τ̂_t.*rerun TBAR|τ̂_t.*does not exist yet.*TBAR/);
    await session.tbar(c);
    expect(await stale(session.disentangle(c))).toMatch(/α sweep.*sweep/);
    await session.sweep(c);
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
