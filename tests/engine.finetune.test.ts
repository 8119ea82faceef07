/**
 * Fine-tuning of the real (micro) CLIP's vision tower: tf.memory().numTensors is flat across steps,
 * pausing between epochs (TBAR's per-epoch curve, gradient ascent's scores) changes nothing bit for
 * bit, only the vision tower moves, and gradient ascent moves the weights along +∇L (appendix A.3.4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { isVisionWeight } from '../src/engine/clip/config';
import { generateShapes } from '../src/engine/data/shapes';
import { makeSplits } from '../src/engine/data/splits';
import { trainingSet } from '../src/engine/data/batches';
import { finetuneVision, visionVariableMap, zeroShotLoss } from '../src/engine/train/finetune';
import { gradientAscent } from '../src/engine/train/gradientAscent';
import { cloneWeights, disposeWeights, type WeightMap } from '../src/engine/arithmetic/taskVector';
import type { FinetuneConfig } from '../src/engine/experiment/config';
import type { LoadedModel } from '../src/engine/experiment/sources';
import { loadMicroClip, simpleHead } from './util/micro';

let micro: LoadedModel;
let head: tf.Tensor2D;
let theta0: WeightMap;
const data = generateShapes({ count: 200, seed: 11, imageSize: 32 });
const splits = makeSplits({ train: data, test: data }, { train: 96, val: 8, test: 8, forget: 32 }, 0);
const hp: FinetuneConfig = { epochs: 3, batchSize: 32, lr: 3e-4, weightDecay: 0.1, warmupSteps: 2, maxGradNorm: 1 };

beforeAll(async () => {
  micro = await loadMicroClip();
  head = await simpleHead(micro, data.classNames);
  theta0 = cloneWeights(micro.model, () => true);
});
afterAll(() => {
  disposeWeights(theta0);
  head.dispose();
  micro.model.dispose();
});

const snapshotValues = async (w: Map<string, tf.Tensor>) => {
  const out = new Map<string, Float32Array>();
  for (const [n, t] of w) out.set(n, (await t.data()) as Float32Array);
  return out;
};

describe('vision-tower fine-tuning (micro CLIP)', () => {
  it('keeps tf.memory().numTensors flat across steps and frees its optimizer', async () => {
    micro.model.setWeights(theta0);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const set = trainingSet(splits.train, splits.train.labels, { imageSize: 32 });
    const r = await finetuneVision({ model: micro.model, head, data: set, hp, seed: 1, stage: 'attack', onProgress: () => counts.push(tf.memory().numTensors) });
    expect(r.losses.length).toBe(9);
    expect(counts.length).toBe(9);
    expect(new Set(counts).size).toBe(1); // flat: every step leaves the same number of tensors
    expect(tf.memory().numTensors).toBe(before);
    console.log(`tensors during training: ${counts[0]} (before ${before}); losses ${r.losses.map((l) => l.toFixed(3)).join(' ')}`);
  });

  it('pausing after every epoch (with weights changed and restored in between) is bit-identical to one run; only the vision tower moves', async () => {
    const set = trainingSet(splits.train, splits.train.labels, { imageSize: 32 });
    micro.model.setWeights(theta0);
    const a = await finetuneVision({ model: micro.model, head, data: set, hp, seed: 5, stage: 'tbar' });
    const wa = await snapshotValues(micro.model.getWeights());
    micro.model.setWeights(theta0);
    const epochs: number[] = [];
    const b = await finetuneVision({
      model: micro.model,
      head,
      data: set,
      hp,
      seed: 5,
      stage: 'tbar',
      onEpochEnd: async (e) => {
        epochs.push(e);
        const keep = cloneWeights(micro.model);
        micro.model.setWeights(theta0); // an evaluation elsewhere in weight space …
        micro.model.setWeights(keep); // … then back
        disposeWeights(keep);
      },
    });
    expect(epochs).toEqual([0, 1, 2]);
    expect(b.losses).toEqual(a.losses);
    const wb = await snapshotValues(micro.model.getWeights());
    const w0 = await snapshotValues(theta0);
    for (const [n, v] of wa) {
      expect(Buffer.from(wb.get(n)!.buffer).equals(Buffer.from(v.buffer)), n).toBe(true);
      const moved = !Buffer.from(w0.get(n)!.buffer).equals(Buffer.from(v.buffer));
      if (!isVisionWeight(n)) expect(moved, `${n} must stay frozen`).toBe(false);
    }
    expect([...wa.keys()].filter(isVisionWeight).some((n) => !Buffer.from(w0.get(n)!.buffer).equals(Buffer.from(wa.get(n)!.buffer)))).toBe(true);
  });

  it('gradient ascent: one step moves every weight along +∇L of the forget batch and raises the loss', async () => {
    micro.model.setWeights(theta0);
    const set = trainingSet(splits.forget, splits.forget.labels, { imageSize: 32 });
    const all = Int32Array.from({ length: 32 }, (_, i) => i);
    const batch = set.batch(all);
    const vars = visionVariableMap(micro.model);
    const { value: l0, grads } = tf.variableGrads(() => zeroShotLoss(micro.model, head, batch.pixels, batch.labels), [...vars.values()]);
    const loss0 = (await l0.data())[0];
    const g = new Map<string, Float32Array>();
    for (const [tfName, t] of Object.entries(grads)) g.set(micro.model.hfName(tfName)!, (await t.data()) as Float32Array);
    tf.dispose([l0, ...Object.values(grads)]);
    const thetaB = cloneWeights(micro.model);
    const before = await snapshotValues(thetaB);
    // one full-batch step, no weight decay, no clipping: AdamW's first step is θ + lr·g/(|g| + ε)
    await gradientAscent({
      model: micro.model,
      head,
      thetaB,
      forget: set,
      hp: { ...hp, batchSize: 32, weightDecay: 0, maxGradNorm: 0, warmupSteps: 0 },
      epochs: 1,
      seed: 0,
      scoreTest: async () => ({ ca: 0, asr: 0 }),
      keepWeights: true,
    });
    const after = await snapshotValues(visionVariableMap(micro.model));
    let agree = 0;
    let counted = 0;
    let dot = 0;
    for (const [n, gv] of g) {
      const b = before.get(n)!;
      const a = after.get(n)!;
      for (let i = 0; i < gv.length; i++) {
        const d = a[i] - b[i];
        dot += d * gv[i];
        if (Math.abs(gv[i]) > 1e-6) {
          counted++;
          if (Math.sign(d) === Math.sign(gv[i])) agree++;
        }
      }
    }
    expect(dot).toBeGreaterThan(0);
    expect(agree / counted).toBeGreaterThan(0.999);
    const b2 = set.batch(all);
    const l1 = tf.tidy(() => zeroShotLoss(micro.model, head, b2.pixels, b2.labels));
    expect((await l1.data())[0]).toBeGreaterThan(loss0);
    tf.dispose([l1, b2.pixels, b2.labels, batch.pixels, batch.labels]);
    disposeWeights(thetaB);
  });
});
