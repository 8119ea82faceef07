/**
 * eval/evaluate.ts: padding a short last batch to the batch size (what the session does on a GPU)
 * gives the same predictions as running it short, and as running the whole split in one batch.
 * eval/inputCache.ts: keeping the inputs across models changes no prediction, is found again for the
 * same images (also through a new split object), never for other images or another trigger, stays in
 * its budget and leaks nothing.
 * eval/batchPlan.ts: which batch each device gets.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIP_PRESETS, parseClipConfig } from '../src/engine/clip/config';
import { generateShapes } from '../src/engine/data/shapes';
import type { ImageSplit } from '../src/engine/data/splits';
import { evalBatchPlan } from '../src/engine/eval/batchPlan';
import { predictSplit, type EvalContext } from '../src/engine/eval/evaluate';
import { INPUT_CACHE_BYTES, InputCache } from '../src/engine/eval/inputCache';
import { isVisionWeight } from '../src/engine/clip/config';
import { doubled, headOf, withoutClass } from '../src/engine/data/splits';
import { builtinModelLoader } from '../src/engine/experiment/sources';
import { deviceBudget, evalSpareBytes } from '../src/engine/memory/plan';
import { tf } from '../src/engine/tf';
import { createTrigger, defaultTriggerConfig } from '../src/engine/triggers';
import { nodeFileSource } from './util/nodeFiles';

/** The micro CLIP with a random head, 37 shapes test images, and Blended. */
async function fixture() {
  const { model } = await builtinModelLoader({ kind: 'builtin', id: 'micro-clip' }, { files: nodeFileSource() });
  const config = model.config;
  const S = config.vision_config.image_size;
  const n = 37;
  const { images, labels, classNames } = generateShapes({ split: 'test', count: n, seed: 0, imageSize: S });
  const split: ImageSplit = {
    name: 'test',
    pool: { images, labels, classNames, imageSize: S, count: n },
    rows: Int32Array.from({ length: n }, (_, i) => i),
    labels,
    sampleIds: Int32Array.from({ length: n }, (_, i) => 1000 + i),
  };
  const head = tf.tidy(() => tf.randomNormal([classNames.length, config.projection_dim], 0, 1, 'float32', 7)) as tf.Tensor2D;
  const trigger = createTrigger(defaultTriggerConfig('blended', 0), S);
  const ctx = (batchSize: number, padToBatch: boolean): EvalContext => ({ model, head, imageSize: S, trigger, batchSize, padToBatch });
  const dispose = () => {
    trigger.dispose();
    head.dispose();
    model.dispose();
  };
  return { model, S, n, split, head, trigger, ctx, dispose };
}

describe('predictSplit with padToBatch', () => {
  it('predicts 37 images identically in batches of 16 (short last batch or padded) and in one batch of 37', async () => {
    const { n, split, ctx, dispose } = await fixture();
    try {
      for (const rows of ['none', 'all'] as const) {
        const before = tf.memory().numTensors;
        const whole = await predictSplit(ctx(n, false), split, rows);
        const short = await predictSplit(ctx(16, false), split, rows);
        const padded = await predictSplit(ctx(16, true), split, rows);
        expect(tf.memory().numTensors).toBe(before);
        expect(Array.from(short)).toEqual(Array.from(whole));
        expect(Array.from(padded)).toEqual(Array.from(whole));
        // Not a degenerate model: it predicts more than one class.
        expect(new Set(whole).size).toBeGreaterThan(1);
      }
    } finally {
      dispose();
    }
  });
});

describe('InputCache (the sweep\'s and ξ\'s inputs kept across models)', () => {
  it('changes no prediction while the weights change, is found again for the same images only, and leaks nothing', async () => {
    const { model, S, split, ctx, dispose } = await fixture();
    const before = tf.memory().numTensors;
    const other = createTrigger(defaultTriggerConfig('sig', 0), S);
    const inputs = new InputCache();
    const cached: EvalContext = { ...ctx(16, false), inputs };
    let firstModel: number[] = [];
    try {
      for (const rows of ['none', 'all'] as const) {
        const p = Array.from(await predictSplit(cached, split, rows));
        expect(p).toEqual(Array.from(await predictSplit(ctx(16, false), split, rows)));
        if (rows === 'none') firstModel = p;
      }
      expect(inputs.stats()).toMatchObject({ batches: 6, hits: 0, misses: 6 }); // 3 batches (16, 16, 5) × clean/triggered
      // A second model, as the next sweep point or ξ cell: the vision weights halved.
      const halved = new Map([...model.getWeights(isVisionWeight)].map(([n, t]) => [n, tf.mul(t, 0.5)]));
      model.setWeights(halved);
      halved.forEach((t) => t.dispose());
      for (const rows of ['none', 'all'] as const) {
        const p = Array.from(await predictSplit(cached, split, rows));
        expect(p).toEqual(Array.from(await predictSplit(ctx(16, false), split, rows)));
        if (rows === 'none') expect(p).not.toEqual(firstModel); // the outputs are not what is cached
      }
      expect(inputs.stats()).toMatchObject({ batches: 6, hits: 6 });
      // Another split object over the same images (withoutClass makes one per call) finds them; other images do not.
      await predictSplit(cached, withoutClass(split, -1), 'all');
      expect(inputs.stats().hits).toBe(9);
      await predictSplit(cached, headOf(withoutClass(split, split.labels[0]), 16), 'all');
      expect(inputs.stats().hits).toBe(9);
      // Another trigger misses for triggered rows and predicts what it predicts without a cache; clean rows are shared.
      const withOther = { ...cached, trigger: other };
      expect(Array.from(await predictSplit(withOther, split, 'all'))).toEqual(Array.from(await predictSplit({ ...ctx(16, false), trigger: other }, split, 'all')));
      expect(inputs.stats().hits).toBe(9);
      await predictSplit(withOther, split, 'none');
      expect(inputs.stats().hits).toBe(12);
      // A budget below one batch holds nothing and still predicts the same.
      const tiny = new InputCache(16 * S * S * 3 * 4 - 1);
      expect(Array.from(await predictSplit({ ...cached, inputs: tiny }, split, 'all'))).toEqual(Array.from(await predictSplit(ctx(16, false), split, 'all')));
      expect(tiny.stats()).toMatchObject({ batches: 1, bytes: 5 * S * S * 3 * 4 }); // only the short last batch fits
      tiny.dispose();
      // Held: the 37 images clean, with Blended and with SIG, and the 16 other images with Blended (float32).
      expect(inputs.stats()).toMatchObject({ batches: 10, bytes: (3 * 37 + 16) * S * S * 3 * 4 });
      // ξ's pass: the images clean then triggered (a row mask) — batches of mixed rows are kept and found by their mask.
      const both = doubled(split);
      const secondHalf = Uint8Array.from({ length: 74 }, (_, i) => (i < 37 ? 0 : 1));
      const { hits } = inputs.stats();
      const mixed = Array.from(await predictSplit(cached, both, secondHalf));
      expect(mixed).toEqual([...(await predictSplit(ctx(16, false), split, 'none')), ...(await predictSplit(ctx(16, false), split, 'all'))]);
      // 74 rows in batches of 16: rows 0–15 and 16–31 are the clean batches already held; 3 are new.
      expect(inputs.stats()).toMatchObject({ batches: 13, hits: hits + 2 });
      expect(Array.from(await predictSplit(cached, both, secondHalf))).toEqual(mixed);
      expect(inputs.stats()).toMatchObject({ batches: 13, hits: hits + 7 });
    } finally {
      inputs.dispose();
      other.dispose();
      expect(tf.memory().numTensors).toBe(before);
      dispose();
    }
    expect(() => inputs.batch({} as never, () => tf.zeros([1, 1, 1, 1]))).toThrow(/after dispose/);
  });
});

describe('evalBatchPlan', () => {
  const adapter = (isFallbackAdapter: boolean) => ({ vendor: 'v', architecture: '', device: '', description: '', isFallbackAdapter });
  const limits = { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31 } as never;
  const gpu = deviceBudget({ name: 'webgpu', limits });
  const micro = parseClipConfig(JSON.parse(readFileSync('public/models/micro-clip/config.json', 'utf8')));
  const b32 = CLIP_PRESETS['openai/clip-vit-base-patch32'];

  const full = INPUT_CACHE_BYTES;
  it('keeps 64 with a short last batch on WASM and on a software adapter (time grows with the images)', () => {
    expect(evalBatchPlan(micro, { name: 'wasm' }, deviceBudget({ name: 'wasm' }))).toEqual({ size: 64, padToBatch: false, inputCacheBytes: full });
    expect(evalBatchPlan(b32, { name: 'webgpu', adapter: adapter(true) }, gpu)).toMatchObject({ size: 64, padToBatch: false });
    expect(evalBatchPlan(b32, undefined, undefined)).toEqual({ size: 64, padToBatch: false, inputCacheBytes: full });
  });

  it('pads to one shape on a hardware GPU, at the largest batch the memory plan allows', () => {
    // The micro CLIP under the assumed 4 GiB: 512. ViT-B/32: 64; told the card has 80 GiB: 512.
    const hw = { name: 'webgpu' as const, adapter: adapter(false) };
    expect(evalBatchPlan(micro, hw, gpu)).toEqual({ size: 512, padToBatch: true, inputCacheBytes: full });
    expect(evalBatchPlan(b32, hw, gpu)).toMatchObject({ size: 64, padToBatch: true });
    const big = deviceBudget({ name: 'webgpu', limits }, { gpuMemoryBytes: 80 * 2 ** 30 });
    expect(evalBatchPlan(b32, hw, big)).toEqual({ size: 512, padToBatch: true, inputCacheBytes: full });
  });

  it('gives the input cache only what the memory plan leaves: none for ViT-B/32 in 4 GiB or on the wasm32 heap', () => {
    // ViT-B/32 with AdamW and 3 snapshots kept: one forward at 64 already overruns 4 GiB by the plan (it is the floor).
    const hw = { name: 'webgpu' as const, adapter: adapter(false) };
    expect(evalSpareBytes(b32, gpu, 64)).toBeLessThan(0);
    expect(evalBatchPlan(b32, hw, gpu).inputCacheBytes).toBe(0);
    expect(evalBatchPlan(b32, { name: 'wasm' }, deviceBudget({ name: 'wasm' })).inputCacheBytes).toBe(0);
    // Some room but less than the cap: exactly the room.
    const spare = evalSpareBytes(micro, gpu, 512);
    expect(spare).toBeGreaterThan(full);
    const tight = { ...gpu, totalBytes: gpu.totalBytes - spare + 1000 };
    expect(evalBatchPlan(micro, hw, tight).inputCacheBytes).toBe(1000);
  });
});
