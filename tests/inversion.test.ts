/**
 * DECREE trigger inversion (inversion/decree.ts), the stamp as a trigger (inversion/stamp.ts) and the
 * target inference of §6 / appendix C.1 (inversion/targetLabel.ts), on known answers and a tiny
 * random CLIP. The method's effect on the micro CLIP: tbar.decree.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { ClipModel, l2Normalize, withFrozenWeights } from '../src/engine/clip/model';
import { parseClipConfig } from '../src/engine/clip/config';
import { normalize } from '../src/engine/clip/preprocess';
import { rawBatch, range } from '../src/engine/data/batches';
import type { ImageSplit } from '../src/engine/data/splits';
import { DecreeError, invertTrigger, meanPairwiseCosine, nextCost, type CostSchedule, type DecreeSettings } from '../src/engine/inversion/decree';
import { stampTrigger } from '../src/engine/inversion/stamp';
import { classCounts, inferTarget } from '../src/engine/inversion/targetLabel';
import { createTrigger } from '../src/engine/triggers';
import { Rng } from '../src/engine/rng';

const S = 16;
const cfg = parseClipConfig({
  projection_dim: 8,
  vision_config: { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, image_size: S, patch_size: 8 },
  text_config: { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 20, max_position_embeddings: 8 },
});

function randomSplit(n: number, seed = 5): ImageSplit {
  const images = Uint8Array.from(new Rng(seed).uniformArray(n * S * S * 3, 0, 255), Math.floor);
  const labels = new Int32Array(n);
  return {
    name: 'forget',
    pool: { images, labels, classNames: ['a', 'b'], imageSize: S, count: n },
    rows: range(n),
    labels,
    sampleIds: range(n),
  };
}

const settings: DecreeSettings = { steps: 12, batchSize: 8, lr: 0.1, simThreshold: 0.5, initCost: 0.1, costMultiplier: 1.5, patience: 2, restarts: 1 };

describe('meanPairwiseCosine', () => {
  it('is the mean of ⟨e_i, e_j⟩ over i ≠ j', async () => {
    // (1,0), (0,1), (1,0): pairs 0, 1, 0 → 1/3.
    const s = meanPairwiseCosine(tf.tensor2d([1, 0, 0, 1, 1, 0], [3, 2]));
    expect((await s.data())[0]).toBeCloseTo(1 / 3, 6);
    s.dispose();
  });
});

describe('nextCost (Neural Cleanse / DECREE schedule)', () => {
  it('λ = 0 until the threshold holds `patience` steps in a row, then ×1.5 per `patience` above, ÷1.5^1.5 per `patience` below', () => {
    const o = { initCost: 0.1, costMultiplier: 1.5, patience: 2 };
    let s: CostSchedule = { cost: 0, held: 0, up: 0, down: 0 };
    const costs: number[] = [];
    for (const above of [true, false, true, true, true, true, false, false, true, false, false]) {
      s = nextCost(s, above, o);
      costs.push(+s.cost.toFixed(6));
    }
    const r = (x: number) => +x.toFixed(6);
    const down = 0.15 / 1.5 ** 1.5;
    // held 1, reset, held 1, 2 → 0.1; up 1, 2 → 0.15; down 1, 2 → ÷; up 1; down 1, 2 → ÷ again
    expect(costs).toEqual([0, 0, 0, 0.1, 0.1, 0.15, 0.15, r(down), r(down), r(down), r(down / 1.5 ** 1.5)]);
  });
});

describe('withFrozenWeights', () => {
  it('gives the same embeddings and the same gradient w.r.t. the input', async () => {
    const model = ClipModel.random(cfg, 2);
    const x = tf.variable(tf.tensor4d(new Rng(4).normalArray(3 * S * S * 3), [3, S, S, 3]), true, 'frozen-test-x');
    const f = () => tf.sum(tf.mul(model.encodeImage(x as unknown as tf.Tensor4D), tf.range(0, 8).reshape([1, 8]))) as tf.Scalar;
    const plain = tf.variableGrads(f, [x]);
    const frozen = tf.variableGrads(() => withFrozenWeights(f), [x]);
    expect((await frozen.value.data())[0]).toBeCloseTo((await plain.value.data())[0], 4);
    const [a, b] = [await plain.grads[x.name].data(), await frozen.grads[x.name].data()];
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...Array.from(a, Math.abs))).toBeGreaterThan(1e-3); // a real gradient
    tf.dispose([plain.value, frozen.value, ...Object.values(plain.grads), ...Object.values(frozen.grads), x]);
    model.dispose();
  });
});

describe('invertTrigger (DECREE)', () => {
  it('reports the similarity of its stamp, PL1 = mean(m), ℓ1 = 3·S²·PL1; deterministic; weights untouched; no leaks', async () => {
    const model = ClipModel.random(cfg, 1);
    const images = randomSplit(16);
    const w = 'vision_model.encoder.layers.0.mlp.fc1.weight';
    const before = Float32Array.from(await model.weight(w).data());
    const tensors = tf.memory().numTensors;
    const a = await invertTrigger({ ...settings, model, images, imageSize: S, seed: 3 });
    expect(tf.memory().numTensors).toBe(tensors);
    const b = await invertTrigger({ ...settings, model, images, imageSize: S, seed: 3 });
    expect(b.mask).toEqual(a.mask);
    expect(b.pattern).toEqual(a.pattern);
    expect(Array.from(await model.weight(w).data())).toEqual(Array.from(before));
    expect(a.mask.length).toBe(S * S);
    expect(a.pattern.length).toBe(S * S * 3);
    expect(Math.min(...a.mask, ...a.pattern)).toBeGreaterThan(0);
    expect(Math.max(...a.mask, ...a.pattern)).toBeLessThan(1);
    expect(a.pl1).toBeCloseTo(a.mask.reduce((s, v) => s + v, 0) / (S * S), 5);
    expect(a.l1).toBeCloseTo(3 * S * S * a.pl1, 3);
    expect(a.reachedThreshold).toBe(true);
    expect(a.similarity).toBeGreaterThanOrEqual(settings.simThreshold);

    // Independent recomputation of the kept stamp's similarity over the same 16 images: stamp in JS,
    // embed, normalise and average the off-diagonal dot products on the CPU.
    const raw = (await rawBatch(images, range(16), { imageSize: S }).data()) as Float32Array;
    const stamped = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const px = Math.floor(i / 3) % (S * S);
      stamped[i] = (1 - a.mask[px]) * raw[i] + a.mask[px] * a.pattern[(px * 3) + (i % 3)];
    }
    const e = tf.tidy(() => l2Normalize(model.encodeImage(normalize(tf.tensor4d(stamped, [16, S, S, 3])))));
    const E = e.shape[1];
    const emb = (await e.data()) as Float32Array;
    e.dispose();
    let sum = 0;
    for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) if (i !== j) for (let k = 0; k < E; k++) sum += emb[i * E + k] * emb[j * E + k];
    const simAll = sum / (16 * 15);
    // The kept stamp was scored on an 8-image batch; over all 16 images it is close, not equal.
    expect(Math.abs(simAll - a.similarity)).toBeLessThan(0.1);
    model.dispose();
  });

  it('a higher cost keeps a smaller mask', async () => {
    const model = ClipModel.random(cfg, 1);
    const images = randomSplit(16);
    const cheap = await invertTrigger({ ...settings, steps: 30, initCost: 0.01, model, images, imageSize: S, seed: 3 });
    const dear = await invertTrigger({ ...settings, steps: 30, initCost: 5, model, images, imageSize: S, seed: 3 });
    expect(dear.pl1).toBeLessThan(cheap.pl1);
    model.dispose();
  });

  it('rejects bad settings with DecreeError', async () => {
    const model = ClipModel.random(cfg, 1);
    const go = (o: Partial<DecreeSettings>, n = 16) => invertTrigger({ ...settings, ...o, model, images: randomSplit(n), imageSize: S, seed: 1 });
    await expect(go({ steps: 0 })).rejects.toThrow(DecreeError);
    await expect(go({ batchSize: 1 })).rejects.toThrow(/batchSize/);
    await expect(go({ simThreshold: 1 })).rejects.toThrow(/simThreshold/);
    await expect(go({ costMultiplier: 1 })).rejects.toThrow(/costMultiplier/);
    await expect(go({}, 1)).rejects.toThrow(/at least 2 clean images/);
    model.dispose();
  });
});

describe('stampTrigger', () => {
  it('stamps x′ = (1 − m)·x + m·p over the whole image, quantised to bytes', async () => {
    const n = 4;
    const mask = new Float32Array(n * n);
    const pattern = new Float32Array(n * n * 3).fill(0.2);
    mask[0] = 1; // opaque at (0, 0)
    mask[5] = 0.5; // half at (1, 1)
    pattern.set([1, 0, 0.6], 5 * 3);
    const t = createTrigger(stampTrigger({ size: n, mask, pattern }, 0), n);
    const x = tf.fill([1, n, n, 3], 0.4) as tf.Tensor4D;
    const y = t.apply(x);
    const v = (await y.data()) as Float32Array;
    const px = (i: number) => Array.from(v.slice(i * 3, i * 3 + 3));
    const q = (b: number) => Math.round(b * 255) / 255;
    expect(px(0).map((c) => +c.toFixed(5))).toEqual([0.2, 0.2, 0.2].map((c) => +q(c).toFixed(5)));
    const m = q(0.5);
    px(5).forEach((c, k) => expect(c).toBeCloseTo((1 - m) * 0.4 + m * q([1, 0, 0.6][k]), 5));
    expect(px(2)).toEqual([0.4, 0.4, 0.4].map(Math.fround)); // m = 0: untouched
    tf.dispose([x, y]);
    t.dispose();
  });
});

describe('inferTarget (§6 probe, appendix C.1 logit shift)', () => {
  const probs = (rows: number[][]) => rows.flat();
  it('takes the class θ_b predicts most on stamped images', () => {
    const b = probs([[0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1]]);
    const pre = probs([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.2, 0.1, 0.7]]);
    const r = inferTarget(b, pre, 3);
    expect(r).toMatchObject({ target: 1, rule: 'probe', probe: [1, 2, 0], preProbe: [2, 0, 1] });
    expect(r.shift.map((x) => +x.toFixed(6))).toEqual([-0.2, 0.4, -0.2]);
  });

  it('falls back to the largest logit shift when θ_pre predicts the same class (a model bias, C.1)', () => {
    // Both models say class 0 ("television"); class 2 ("banana") rose most.
    const b = probs([[0.6, 0.1, 0.3], [0.5, 0.1, 0.4]]);
    const pre = probs([[0.8, 0.15, 0.05], [0.7, 0.2, 0.1]]);
    expect(inferTarget(b, pre, 3)).toMatchObject({ target: 2, rule: 'logit-shift', probe: [2, 0, 0], preProbe: [2, 0, 0] });
  });

  it('counts classes and rejects mismatched inputs', () => {
    expect(classCounts([2, 0, 2], 3)).toEqual([1, 0, 2]);
    expect(() => inferTarget([0.5, 0.5], [1], 2)).toThrow(/probabilities/);
  });
});
