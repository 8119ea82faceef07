/**
 * eval/evaluate.ts: padding a short last batch to the batch size (what the session does on a GPU)
 * gives the same predictions as running it short, and as running the whole split in one batch.
 * eval/batchPlan.ts: which batch each device gets.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIP_PRESETS, parseClipConfig } from '../src/engine/clip/config';
import { generateShapes } from '../src/engine/data/shapes';
import type { ImageSplit } from '../src/engine/data/splits';
import { evalBatchPlan } from '../src/engine/eval/batchPlan';
import { predictSplit, type EvalContext } from '../src/engine/eval/evaluate';
import { builtinModelLoader } from '../src/engine/experiment/sources';
import { deviceBudget } from '../src/engine/memory/plan';
import { tf } from '../src/engine/tf';
import { createTrigger, defaultTriggerConfig } from '../src/engine/triggers';
import { nodeFileSource } from './util/nodeFiles';

describe('predictSplit with padToBatch', () => {
  it('predicts 37 images identically in batches of 16 (short last batch or padded) and in one batch of 37', async () => {
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
      trigger.dispose();
      head.dispose();
      model.dispose();
    }
  });
});

describe('evalBatchPlan', () => {
  const adapter = (isFallbackAdapter: boolean) => ({ vendor: 'v', architecture: '', device: '', description: '', isFallbackAdapter });
  const limits = { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31 } as never;
  const gpu = deviceBudget({ name: 'webgpu', limits });
  const micro = parseClipConfig(JSON.parse(readFileSync('public/models/micro-clip/config.json', 'utf8')));
  const b32 = CLIP_PRESETS['openai/clip-vit-base-patch32'];

  it('keeps 64 with a short last batch on WASM and on a software adapter (time grows with the images)', () => {
    expect(evalBatchPlan(b32, { name: 'wasm' }, deviceBudget({ name: 'wasm' }))).toEqual({ size: 64, padToBatch: false });
    expect(evalBatchPlan(b32, { name: 'webgpu', adapter: adapter(true) }, gpu)).toEqual({ size: 64, padToBatch: false });
    expect(evalBatchPlan(b32, undefined, undefined)).toEqual({ size: 64, padToBatch: false });
  });

  it('pads to one shape on a hardware GPU, at the largest batch the memory plan allows', () => {
    // The micro CLIP under the assumed 4 GiB: 512. ViT-B/32: 64; told the card has 80 GiB: 512.
    const hw = { name: 'webgpu' as const, adapter: adapter(false) };
    expect(evalBatchPlan(micro, hw, gpu)).toEqual({ size: 512, padToBatch: true });
    expect(evalBatchPlan(b32, hw, gpu)).toEqual({ size: 64, padToBatch: true });
    const big = deviceBudget({ name: 'webgpu', limits }, { gpuMemoryBytes: 80 * 2 ** 30 });
    expect(evalBatchPlan(b32, hw, big)).toEqual({ size: 512, padToBatch: true });
  });
});
