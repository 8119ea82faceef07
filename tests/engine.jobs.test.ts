/**
 * The experiment jobs through the real protocol (client ⇄ MessageChannel ⇄ host.serve ⇄ jobs.ts), on a
 * tiny random CLIP: progress (TrainProgress with ETA), partials (one per α, per ξ cell, per GA epoch),
 * cancellation without leaks, typed errors across the boundary, and the exported safetensors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { WorkerClient, isCancelled } from '../src/worker/client';
import { serve } from '../src/worker/host';
import { createHandlers } from '../src/worker/jobs';
import { JobError } from '../src/worker/protocol';
import { defaultExperimentConfig, MICRO_DECREE } from '../src/engine/experiment/defaults';
import type { ExperimentConfig } from '../src/engine/experiment/config';
import type { DecreeStageProgress, GaPoint, SweepPoint, TrainProgress, XiCell } from '../src/engine/experiment/results';
import { parseSafetensors, readSafetensorsHeader } from '../src/engine/io/safetensors';
import { ExperimentSession } from '../src/engine/experiment/session';
import { tinyClipFiles } from './util/tinyClip';

const config = (): ExperimentConfig => {
  const c = defaultExperimentConfig('blended', 5);
  c.splits = { train: 240, val: 40, test: 60, forget: 40 };
  c.attack = { ...c.attack, epochs: 2, batchSize: 40, warmupSteps: 2 };
  c.tbar = { ...c.tbar, epochs: 2, batchSize: 20, warmupSteps: 1 };
  c.sweep.alphas = [0, 0.5, 1, 1.5];
  c.disentangle = { range: 1, levels: [3, 5], samples: 8 };
  c.ga.epochs = 2;
  return c;
};

let client: WorkerClient;
let session: ExperimentSession;
const ports: MessagePort[] = [];
beforeAll(async () => {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  session = new ExperimentSession({ files: await tinyClipFiles() });
  serve(port2 as unknown as Parameters<typeof serve>[0], createHandlers({}, session));
  client = new WorkerClient(port1 as unknown as ConstructorParameters<typeof WorkerClient>[0]);
  await client.run('init', { backend: 'wasm' });
});
afterAll(() => {
  for (const p of ports) p.close();
  session.dispose();
});

/** Start a job, cancel it at its n-th progress message, and check it ends cancelled soon after. */
async function cancelAtProgress(start: (onProgress: () => void) => { cancel(): void; result: Promise<unknown> }, n: number): Promise<void> {
  let seen = 0;
  const job = start(() => {
    if (++seen === n) job.cancel();
  });
  const err = await job.result.catch((e) => e);
  expect(isCancelled(err)).toBe(true);
  expect(seen).toBeLessThan(n + 8);
}

describe('experiment jobs over the worker protocol', () => {
  it('loadModel / loadData report progress and summaries', async () => {
    const c = config();
    const phases = new Set<string>();
    const m = await client.run('loadModel', { config: c }, { onProgress: (p) => phases.add(p.phase) });
    expect(m).toMatchObject({ name: 'micro-clip (built in)', imageSize: 32, patchSize: 8 });
    expect(m.visionParams).toBeLessThan(m.params);
    expect([...phases]).toEqual(expect.arrayContaining(['download', 'parse', 'upload']));
    const d = await client.run('loadData', { config: c }, { onProgress: (p) => phases.add(p.phase) });
    expect(d.counts).toEqual({ train: 240, val: 40, test: 60, forget: 40 });
    expect(d.classNames.length).toBe(10);
    expect(phases.has('generate') && phases.has('text-head')).toBe(true);
    const pv = await client.run('previewTrigger', { config: c, count: 3 });
    expect(pv.clean.pixels.length).toBe(3 * 32 * 32 * 3);
    expect(pv.description).toMatch(/Blended/);
  });

  it('attack streams TrainProgress with step, loss, lr, images/s and an ETA that reaches 0', async () => {
    const c = config();
    const events: TrainProgress[] = [];
    const r = await client.run('attack', { config: c, cleanBaseline: true }, { onProgress: (p) => events.push(p) });
    const attack = events.filter((e) => e.stage === 'attack');
    expect(events.filter((e) => e.stage === 'clean').length).toBe(12); // 240/40 × 2 epochs
    expect(attack.map((e) => e.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(attack.every((e) => e.totalSteps === 12 && Number.isFinite(e.loss) && e.lr > 0 && e.imagesPerSec > 0)).toBe(true);
    expect(attack.at(-1)!.etaMs).toBe(0);
    expect(attack[0].etaMs).toBeGreaterThan(0);
    expect(r.losses.length).toBe(12);
    expect(r.poisoned).toBe(Math.round(0.03 * 240));
    expect(r.cleanTest).toBeDefined();
  });

  it('tbar, sweep (one partial per α), disentangle (one partial per new cell), gradient ascent (one per epoch)', async () => {
    const c = config();
    const t = await client.run('tbar', { config: c });
    expect(t.losses.length).toBe(4);
    expect(t.perEpoch.map((p) => p.epoch)).toEqual([1, 2]);
    expect(t.triggerNorm).toBeGreaterThan(0);
    expect(Math.abs(t.cosine)).toBeLessThanOrEqual(1);
    const pts: SweepPoint[] = [];
    const s = await client.run('sweep', { config: c }, { onPartial: (p) => pts.push(p) });
    expect(pts).toEqual(s.points);
    expect(pts.map((p) => p.alpha)).toEqual(c.sweep.alphas);
    expect(s.points[0].val).toBeDefined();
    const cells: XiCell[] = [];
    const d = await client.run('disentangle', { config: c }, { onPartial: (x) => cells.push(x) });
    expect(cells.length).toBe(25);
    expect(d.size).toBe(5);
    expect(d.cells.find((x) => x.alphaC === 0 && x.alphaT === 0)!.xi).toBe(0);
    const ga: GaPoint[] = [];
    const g = await client.run('gradientAscent', { config: c }, { onPartial: (p) => ga.push(p) });
    expect(ga).toEqual(g.points);
    expect(ga.map((p) => p.epoch)).toEqual([1, 2]);
    const ps = await client.run('predictSamples', { config: c, alpha: s.alpha, count: 5 });
    expect(ps.cleanPred.length).toBe(5);
    expect(ps.triggered.labels.every((l) => l !== c.attack.target)).toBe(true);
  });

  it('decree (TBAR+DECREE) streams a progress per step of each run, then TBAR and the sweep use its stamp', async () => {
    const c: ExperimentConfig = { ...config(), forget: { trigger: 'decree', decree: { ...MICRO_DECREE, images: 16, steps: 5, batchSize: 8, restarts: 1, baseline: false } } };
    c.sweep = { ...c.sweep, rule: 'agnostic' };
    const seen: DecreeStageProgress[] = [];
    const d = await client.run('decree', { config: c }, { onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => `${p.phase} ${p.step}/${p.steps}`)).toEqual([1, 2, 3, 4, 5].map((k) => `backdoored ${k}/5`));
    expect(seen[4].etaMs).toBe(0);
    expect(d.clean).toBeUndefined();
    expect(d.trigger.kind).toBe('painted');
    await client.run('tbar', { config: c });
    const s = await client.run('sweep', { config: c });
    expect(s.points.every((p) => p.proxyAsr !== undefined)).toBe(true);
    // back to the known-trigger τ̂_t and sweep the next tests export
    await client.run('tbar', { config: config() });
    await client.run('sweep', { config: config() });
  });

  it('exportWeights: HF-layout safetensors with the config in __metadata__', async () => {
    const c = config();
    const f = await client.run('exportWeights', { config: c, what: 'cleaned' });
    const h = readSafetensorsHeader(f.bytes);
    expect(JSON.parse(h.metadata!['tbar.config'])).toEqual(JSON.parse(JSON.stringify(c)));
    const names = [...parseSafetensors(f.bytes).tensors.keys()];
    expect(names).toContain('text_model.embeddings.token_embedding.weight');
    expect(names).toContain('vision_model.encoder.layers.0.mlp.fc1.weight');
    const tv = await client.run('exportWeights', { config: c, what: 'trigger-vector' });
    const tvNames = [...parseSafetensors(tv.bytes).tensors.keys()];
    expect(tvNames.every((n) => n.startsWith('vision_model.') || n === 'visual_projection.weight')).toBe(true);
    expect(tvNames).toContain('visual_projection.weight');
  });

  it('cancel stops a running attack with code cancelled and leaks no tensors', async () => {
    const c = config();
    c.attack.epochs = 50;
    const before = tf.memory().numTensors;
    await cancelAtProgress((onProgress) => client.start('attack', { config: c, cleanBaseline: false }, { onProgress }), 2);
    expect(tf.memory().numTensors).toBe(before);
    // the previous θ_b is still there for the old config
    await expect(client.run('predictSamples', { config: config(), alpha: 0, count: 2 })).resolves.toBeDefined();
  });

  it('cancel stops a running DECREE between steps and leaks no tensors (its stamp variables and optimizer are freed)', async () => {
    const c: ExperimentConfig = { ...config(), forget: { trigger: 'decree', decree: { ...MICRO_DECREE, images: 16, steps: 500, batchSize: 8, restarts: 2 } } };
    const before = tf.memory().numTensors;
    const vars = Object.keys(tf.engine().registeredVariables).length;
    await cancelAtProgress((onProgress) => client.start('decree', { config: c }, { onProgress }), 3);
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(tf.engine().registeredVariables).length).toBe(vars);
  });

  it('engine errors cross typed: stale-stage and invalid-config', async () => {
    const c = config();
    const e1 = await client.run('sweep', { config: { ...c, trigger: { ...c.trigger, seed: 1234 } } }).catch((e) => e);
    expect(e1).toBeInstanceOf(JobError);
    expect(e1.code).toBe('stale-stage');
    expect(e1.remoteName).toBe('StaleStageError');
    expect(e1.message).toMatch(/config\.trigger.*attack/);
    const e2 = await client.run('zeroShot', { config: { ...c, sweep: { ...c.sweep, alphas: [0, 2, 1] } } }).catch((e) => e);
    expect(e2.code).toBe('invalid-config');
  });
});
