import { afterEach, describe, expect, it } from 'vitest';
import { defaultExperimentConfig, defaultTrigger } from '../src/app/defaults';
import type { SweepPoint, XiCell } from '../src/engine/experiment/results';
import { WorkerClient, isCancelled } from '../src/worker/client';
import { serve } from '../src/worker/host';
import { createMockHandlers, type MockOptions } from '../src/worker/mockJobs';
import { JobError } from '../src/worker/protocol';

/** The mock engine behind the real protocol, over a MessageChannel (as the app talks to it). */
function connect(opts: Partial<MockOptions> = {}) {
  const { port1, port2 } = new MessageChannel();
  serve(port2 as unknown as Parameters<typeof serve>[0], createMockHandlers({ speed: 50, fail: {}, ...opts }));
  open.push(port1, port2);
  return new WorkerClient(port1 as unknown as ConstructorParameters<typeof WorkerClient>[0]);
}
const open: MessagePort[] = [];

describe('mock engine (?mock=1) keeps the JobMap contract', () => {
  afterEach(() => {
    for (const p of open.splice(0)) p.close();
  });

  it('runs the whole chain with partials that match the final results', async () => {
    const c = connect();
    const config = defaultExperimentConfig();
    const data = await c.run('loadData', { config });
    const model = await c.run('loadModel', { config });
    expect(data.classNames).toHaveLength(10);
    expect(model.imageSize).toBe(32);
    const preview = await c.run('previewTrigger', { config, count: 8 });
    expect(preview.clean.pixels).toHaveLength(8 * 32 * 32 * 3);
    expect(preview.triggered.pixels).not.toEqual(preview.clean.pixels);
    await c.run('zeroShot', { config });
    const attack = await c.run('attack', { config, cleanBaseline: false });
    expect(attack.losses.length).toBe(Math.ceil(config.splits.train / config.attack.batchSize) * config.attack.epochs);
    const tbar = await c.run('tbar', { config });
    expect(tbar.perEpoch.map((p) => p.epoch)).toEqual(Array.from({ length: config.tbar.epochs }, (_, i) => i + 1));

    const points: SweepPoint[] = [];
    const sweep = await c.run('sweep', { config }, { onPartial: (p) => points.push(p) });
    expect(points).toEqual(sweep.points);
    expect(points.map((p) => p.alpha)).toEqual(config.sweep.alphas);
    expect(sweep.points.find((p) => p.alpha === sweep.alpha)!.val.asr).toBeLessThanOrEqual(config.sweep.asrThreshold);

    const cells: XiCell[] = [];
    const xi = await c.run('disentangle', { config }, { onPartial: (p) => cells.push(p) });
    expect(new Set(cells.map((p) => `${p.alphaC},${p.alphaT}`)).size).toBe(17 * 17);
    expect(cells.every((p) => p.level >= 0 && p.level < config.disentangle.levels.length && Math.abs(p.xi - p.clean - p.triggered) < 1e-12)).toBe(true);
    expect(cells.filter((p) => p.level === 0)).toHaveLength(5 * 5);
    expect(xi.cells).toHaveLength(17 * 17);

    const ga = await c.run('gradientAscent', { config });
    expect(ga.points.map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5]);
    const pred = await c.run('predictSamples', { config, alpha: sweep.alpha, count: 8 });
    expect(pred.cleanPred).toHaveLength(8);
    const file = await c.run('exportWeights', { config, what: 'trigger-vector' });
    const headerLen = Number(new DataView(file.bytes.buffer).getBigUint64(0, true));
    expect(JSON.parse(new TextDecoder().decode(file.bytes.subarray(8, 8 + headerLen)))).toHaveProperty('__metadata__');
  });

  it('refuses stale stages like the engine will (code stale-stage)', async () => {
    const c = connect();
    const config = defaultExperimentConfig();
    await c.run('loadModel', { config });
    await c.run('loadData', { config });
    await c.run('attack', { config, cleanBaseline: false });
    await c.run('tbar', { config });
    const other = { ...config, trigger: defaultTrigger('blended', 0) };
    await expect(c.run('sweep', { config: other })).rejects.toMatchObject({ code: 'stale-stage' });
  });

  it('cancels with code cancelled and fails on request with the given code', async () => {
    const c = connect({ speed: 1 });
    const config = defaultExperimentConfig();
    await c.run('loadModel', { config });
    await c.run('loadData', { config });
    const job = c.start('attack', { config, cleanBaseline: false }, { onProgress: (p) => p.step === 2 && job.cancel() });
    const err = await job.result.catch((e) => e);
    expect(isCancelled(err)).toBe(true);

    const f = connect({ fail: { attack: 'TRAINING_DIVERGED' } });
    await f.run('loadModel', { config });
    await f.run('loadData', { config });
    const e2 = await f.run('attack', { config, cleanBaseline: false }).catch((e) => e);
    expect(e2).toBeInstanceOf(JobError);
    expect(e2.code).toBe('TRAINING_DIVERGED');
  });
});
