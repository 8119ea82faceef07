/**
 * The lab's loadModel / loadData jobs wired to the Hub module (src/worker/jobs.ts with `hub`), through
 * the real protocol (client ⇄ MessageChannel ⇄ host.serve), against the local Hub stand-in
 * (e2e/hubServer.mjs) with in-memory caches: a Hub model and CIFAR-10 load with progress and the
 * experiment's splits; the zero-shot head comes from the cache the second time; a failed load keeps the
 * previous model working; dropped files reach the loaders; fine-tuning uses the batch the device holds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerClient } from '../src/worker/client';
import { serve } from '../src/worker/host';
import { createHandlers } from '../src/worker/jobs';
import { JobError, type LoadProgress } from '../src/worker/protocol';
import { defaultExperimentConfig, MICRO_DECREE } from '../src/engine/experiment/defaults';
import type { ExperimentConfig } from '../src/engine/experiment/config';
import { ExperimentSession, type BatchFitter } from '../src/engine/experiment/session';
import { BUILTIN_SOURCES, mergeSources } from '../src/engine/experiment/sources';
import type { TrainProgress } from '../src/engine/experiment/results';
import { HubCache, MemoryCacheStorage, TEXT_HEAD_CACHE_NAME } from '../src/engine/hub/cache';
import { CIFAR10_CLASSES } from '../src/engine/data/cifarHub';
import { cachedHead, hubSources } from '../src/engine/hub/sources';
import { chooseBatchSize, maxBatchSize, planFinetuneMemory, type DeviceBudget } from '../src/engine/memory/plan';
import { startHubServer, TOKENIZER_JSON, type HubServer } from '../e2e/hubServer.mjs';
import { nodeDecoder } from './util/decodeNode';

let hub: HubServer;
let client: WorkerClient;
const ports: MessagePort[] = [];
let headStorage: MemoryCacheStorage;

const REPO = 'tbar-test/tiny-clip';

function connect(env: Parameters<typeof createHandlers>[0]): WorkerClient {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  serve(port2 as unknown as Parameters<typeof serve>[0], createHandlers(env));
  return new WorkerClient(port1 as unknown as ConstructorParameters<typeof WorkerClient>[0]);
}

async function hubEnv() {
  return {
    hub: {
      cache: await HubCache.open(new MemoryCacheStorage()),
      headCache: await HubCache.open(headStorage, TEXT_HEAD_CACHE_NAME),
      decode: nodeDecoder,
    },
  };
}

const config = (): ExperimentConfig => {
  const c = defaultExperimentConfig('badnet', 3);
  c.model = { kind: 'hub', repo: REPO, baseUrl: hub.baseUrl };
  c.data = { kind: 'cifar10', baseUrl: hub.baseUrl };
  c.splits = { train: 120, val: 40, test: 40, forget: 40 };
  c.attack = { ...c.attack, epochs: 1, batchSize: 40, warmupSteps: 1 };
  c.tbar = { ...c.tbar, epochs: 1, batchSize: 20, warmupSteps: 1 };
  return c;
};

beforeAll(async () => {
  hub = await startHubServer();
  headStorage = new MemoryCacheStorage();
  client = connect(await hubEnv());
  await client.run('init', { backend: 'wasm' });
});
afterAll(async () => {
  for (const p of ports) p.close();
  await hub?.close();
});

describe('loadModel / loadData jobs over the Hub loaders', () => {
  it('load a Hub model and CIFAR-10 with progress, split as configured, with the head built', async () => {
    const c = config();
    const phases: LoadProgress[] = [];
    const m = await client.run('loadModel', { config: c }, { onProgress: (p) => phases.push(p) });
    expect(m.name).toBe(REPO);
    expect(m.fromCache).toBe(false);
    expect(m.clipConfig?.vision_config.hidden_size).toBe(64);
    expect(m.imageSize).toBe(32);
    const dl = phases.filter((p) => p.phase === 'download' && (p.totalBytes ?? 0) > 1e6);
    expect(dl.length).toBeGreaterThan(0);
    expect(dl.at(-1)!.bytes).toBe(readFileSync(path.join(hub.dir, 'models', REPO, 'model.safetensors')).byteLength);

    const d = await client.run('loadData', { config: c }, { onProgress: (p) => phases.push(p) });
    expect(d.classNames).toEqual([...CIFAR10_CLASSES]);
    expect(d.counts).toEqual({ train: 120, val: 40, test: 40, forget: 40 });
    expect(d.fromCache).toBe(false);
    const head = phases.filter((p) => p.phase === 'text-head');
    expect(head.at(-1)!.message).toMatch(/prompts through the text tower/);

    // The same model again: kept, no request to the Hub.
    const before = hub.requests.length;
    await client.run('loadModel', { config: c });
    expect(hub.requests.length).toBe(before);
    const z = await client.run('zeroShot', { config: c });
    expect(z.test.ca).toBeGreaterThanOrEqual(0);
  });

  it('a second engine takes the zero-shot head from the cache', async () => {
    const other = connect(await hubEnv());
    await other.run('init', { backend: 'wasm' });
    const c = config();
    const phases: LoadProgress[] = [];
    await other.run('loadModel', { config: c });
    await other.run('loadData', { config: c }, { onProgress: (p) => phases.push(p) });
    const head = phases.filter((p) => p.phase === 'text-head');
    expect(head.length).toBeGreaterThan(0);
    expect(head.at(-1)!.message).toMatch(/from the browser cache/);
  });

  it('a failed load says why and keeps the previous model working', async () => {
    const good = config();
    const bad = { ...good, model: { kind: 'hub' as const, repo: 'tbar-test/no-such-model', baseUrl: hub.baseUrl } };
    let err: unknown;
    try {
      await client.run('loadModel', { config: bad });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JobError);
    expect((err as JobError).code).toBe('not-found');
    expect((err as JobError).remoteName).toBe('HubError');
    expect((err as JobError).message).toMatch(/still in use/);
    const z = await client.run('zeroShot', { config: good });
    expect(z.test.ca).toBeGreaterThanOrEqual(0);
  });
});

describe('dropped files and the memory plan', () => {
  it('a dropped checkpoint and a dropped folder reach the loaders (job params `files`)', async () => {
    const h = createHandlers(await hubEnv());
    const ctx = { signal: new AbortController().signal, progress: () => {}, partial: () => {}, checkpoint: async () => {}, transfer: () => {} };
    await h.init({ backend: 'wasm' }, ctx as never);
    const dir = path.join(hub.dir, 'models', REPO);
    const files = [
      new File([readFileSync(path.join(dir, 'model.safetensors'))], 'model.safetensors'),
      new File([readFileSync(path.join(dir, 'config.json'))], 'config.json'),
      new File([readFileSync(TOKENIZER_JSON)], 'tokenizer.json'),
    ];
    const c = config();
    c.model = { kind: 'file', name: 'model.safetensors' };
    const m = await h.loadModel({ config: c, files }, ctx as never);
    expect(m.name).toBe('model.safetensors');
    expect(m.visionParams).toBeGreaterThan(0);

    // A folder of images, one sub-folder per class (a picked folder's Files carry webkitRelativePath).
    const JPG = path.resolve(import.meta.dirname, '../../shared/data/cifar10-test-jpg/test');
    const pick = (cls: string, n: number) =>
      readdirSync(path.join(JPG, cls)).slice(0, n).map((f) => Object.defineProperty(new File([readFileSync(path.join(JPG, cls, f))], f, { type: 'image/jpeg' }), 'webkitRelativePath', { value: `mini/${cls}/${f}` }));
    const folder = [...pick('ship', 30), ...pick('deer', 30)];
    c.data = { kind: 'folder', name: 'mini' };
    c.splits = { train: 20, val: 10, test: 10, forget: 10 };
    const d = await h.loadData({ config: c, files: folder }, ctx as never);
    expect(d.classNames).toEqual(['deer', 'ship']);
    expect(d.counts).toEqual({ train: 20, val: 10, test: 10, forget: 10 });
    const z = await h.zeroShot({ config: c }, ctx as never);
    expect(z.perClass.length).toBe(2);
  });

  it('a batch the device cannot hold runs in chunks with summed gradients: the same steps and θ_b as whole batches, and says why', async () => {
    const tiny: DeviceBudget = { backend: 'wasm', totalBytes: 0, maxTensorBytes: 2 ** 30, source: 'a test budget' };
    const sessionWith = (fitBatch?: BatchFitter) =>
      new ExperimentSession({ sources: mergeSources(BUILTIN_SOURCES, hubSources({ cache: null, decode: nodeDecoder })), buildHead: cachedHead(null), fitBatch });
    let wholeBatches = 0; // the largest batch that fits without chunks, on the same budget
    const limited = sessionWith((model, requested, { classes, chunks }) => {
      // room for chunks of exactly 7 of this model beside their summed gradients
      tiny.totalBytes = planFinetuneMemory(model, 7, { backend: 'wasm', classes, accumulate: true }).peakBytes;
      wholeBatches = maxBatchSize(model, tiny, { backend: 'wasm', classes });
      const ch = chooseBatchSize(model, requested, tiny, { backend: 'wasm', classes }, { chunks });
      return { batchSize: ch.batchSize, limitedBy: ch.limitedBy };
    });
    const whole = sessionWith();
    const c = config();
    const runs: { r: Awaited<ReturnType<ExperimentSession['attack']>>; steps: TrainProgress[]; thetaB: Map<string, Float32Array> }[] = [];
    for (const session of [limited, whole]) {
      await session.loadModel(c);
      await session.loadData(c);
      const steps: TrainProgress[] = [];
      const r = await session.attack(c, false, { progress: (p) => steps.push(p) });
      const thetaB = new Map<string, Float32Array>();
      for (const [k, t] of (session as unknown as { backdoor: { thetaB: Map<string, { data(): Promise<Float32Array> }> } }).backdoor.thetaB) thetaB.set(k, await t.data());
      runs.push({ r, steps, thetaB });
    }
    const [a, b] = runs;
    expect(a.r.batchLimit).toMatchObject({ used: 7, requested: 40 });
    expect(a.r.batchLimit!.reason).toMatch(/batch 40 needs .* GiB; wasm has .*a test budget.*so each step of 40 images runs as 6 chunks of at most 7 with their gradients summed/);
    expect(b.r.batchLimit).toBeUndefined();
    // The recipe's steps (120 images / 40), not 120 / 7: the optimizer sees batches of 40 either way.
    expect(a.steps.at(-1)!.totalSteps).toBe(3);
    expect(a.steps.map((p) => p.loss)).toEqual(b.steps.map((p) => expect.closeTo(p.loss, 5)));
    let worst = 0;
    for (const [k, w] of b.thetaB) {
      // The key bias's gradient is 0 in exact arithmetic (softmax ignores a shift shared by all keys);
      // AdamW scales its float noise up to ±lr, whatever the summation order. Its size shows it is noise.
      if (k.endsWith('k_proj.bias')) {
        expect(Math.max(...w.map(Math.abs)), k).toBeLessThan(1e-4);
        continue;
      }
      const v = a.thetaB.get(k)!;
      let d = 0, m = 0;
      for (let i = 0; i < w.length; i++) (d = Math.max(d, Math.abs(v[i] - w[i]))), (m = Math.max(m, Math.abs(w[i])));
      worst = Math.max(worst, d / m);
    }
    expect(worst).toBeLessThan(2e-4); // float summation order only (measured 5.0e-5, on patch_embedding)
    expect(a.r.test).toEqual(b.r.test);
    // DECREE's batch is held to the same budget: a smaller batch (its optimisation is not the recipe's), no sum beside it
    const d = { ...c, forget: { trigger: 'decree' as const, decree: { ...MICRO_DECREE, images: 10, steps: 2, batchSize: 32, restarts: 1, baseline: false } } };
    const inv = await limited.decree(d);
    expect(inv.batchLimit).toMatchObject({ used: wholeBatches, requested: 32 });
    expect(inv.batchLimit!.reason).toMatch(new RegExp(`so the batch is ${wholeBatches} `));
    limited.dispose();
    whole.dispose();
  });
});
