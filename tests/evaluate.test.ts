/**
 * eval/evaluate.ts: padding a short last batch to the batch size (what the session does on WebGPU)
 * gives the same predictions as running it short, and as running the whole split in one batch.
 */
import { describe, expect, it } from 'vitest';
import { generateShapes } from '../src/engine/data/shapes';
import { builtinModelLoader } from '../src/engine/experiment/sources';
import type { ImageSplit } from '../src/engine/data/splits';
import { predictSplit, type EvalContext } from '../src/engine/eval/evaluate';
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
