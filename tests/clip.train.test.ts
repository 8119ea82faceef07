/**
 * Training the vision tower: hand-written gradients vs tfjs autodiff, the zero-shot head, SGD steps
 * (loss decreases, no tensor leak) and gradients vs central finite differences.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { parseClipConfig } from '../src/engine/clip/config';
import { activate, ClipModel, l2Normalize, layerNorm, linear } from '../src/engine/clip/model';
import { buildZeroShotHead, type TokenizedBatch, zeroShotLogits } from '../src/engine/clip/zeroshot';
import { fillTemplate } from '../src/engine/clip/templates';

const config = parseClipConfig({
  projection_dim: 16,
  vision_config: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, image_size: 24, patch_size: 8 },
  text_config: { vocab_size: 50, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 12, bos_token_id: 48, eos_token_id: 49 },
});

/** Toy tokenizer: bos, one id per character, eos, zero padding. */
function toyTokenize(texts: string[]): TokenizedBatch {
  const L = config.text_config.max_position_embeddings;
  const ids = new Int32Array(texts.length * L);
  const eotIndex = new Int32Array(texts.length);
  texts.forEach((t, r) => {
    const chars = [...t].slice(0, L - 2);
    ids[r * L] = 48;
    chars.forEach((c, i) => (ids[r * L + 1 + i] = (c.charCodeAt(0) % 40) + 1));
    ids[r * L + chars.length + 1] = 49;
    eotIndex[r] = chars.length + 1;
  });
  return { ids, eotIndex, contextLength: L };
}

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}

async function maxAbs(a: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(a)));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}

describe('hand-written gradients match tfjs autodiff of the plain formulas', () => {
  const seed = (i: number) => 100 + i;
  const x = tf.randomNormal([6, 5], 0, 1, 'float32', seed(1));
  const up = tf.randomNormal([6, 4], 0, 1, 'float32', seed(2)); // upstream weights: loss = Σ up ⊙ f(…)

  it('linear with and without bias', async () => {
    const w = tf.randomNormal([4, 5], 0, 1, 'float32', seed(3));
    const b = tf.randomNormal([4], 0, 1, 'float32', seed(4));
    const ours = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(up, linear(xx, ww, bb))))([x, w, b]);
    const ref = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(up, tf.add(tf.matMul(xx, ww, false, true), bb))))([x, w, b]);
    for (let i = 0; i < 3; i++) expect(await maxAbsDiff(ours[i], ref[i])).toBeLessThan(1e-5);
    const ours2 = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(up, linear(xx, ww))))([x, w]);
    for (let i = 0; i < 2; i++) expect(await maxAbsDiff(ours2[i], ref[i])).toBeLessThan(1e-5);
    tf.dispose([w, b, ...ours, ...ref, ...ours2]);
  });

  it('layerNorm (input, weight, bias)', async () => {
    const xs = tf.add(tf.mul(tf.randomNormal([6, 8], 0, 1, 'float32', seed(5)), 3), 1);
    const w = tf.randomNormal([8], 1, 0.3, 'float32', seed(6));
    const b = tf.randomNormal([8], 0, 0.3, 'float32', seed(7));
    const u = tf.randomNormal([6, 8], 0, 1, 'float32', seed(8));
    const eps = 1e-5;
    const plain = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
      const m = tf.moments(xx, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(xx, m.mean), tf.sqrt(tf.add(m.variance, eps))), ww), bb);
    };
    expect(await maxAbsDiff(layerNorm(xs, w, b, eps), plain(xs, w, b))).toBeLessThan(1e-5);
    const ours = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(u, layerNorm(xx, ww, bb, eps))))([xs, w, b]);
    const ref = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(u, plain(xx, ww, bb))))([xs, w, b]);
    for (let i = 0; i < 3; i++) expect(await maxAbsDiff(ours[i], ref[i])).toBeLessThan(2e-5);
    tf.dispose([xs, w, b, u, ...ours, ...ref]);
  });

  it('quick_gelu', async () => {
    const xs = tf.mul(tf.randomNormal([6, 4], 0, 1, 'float32', seed(9)), 3);
    const ours = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(up, activate(xx, 'quick_gelu'))))(xs);
    const ref = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(up, tf.mul(xx, tf.sigmoid(tf.mul(xx, 1.702))))))(xs);
    expect(await maxAbsDiff(ours, ref)).toBeLessThan(1e-5);
    tf.dispose([xs, ours, ref]);
  });

  afterAll(() => tf.dispose([x, up]));
});

describe('zero-shot head and vision-tower training', () => {
  const model = ClipModel.random(config, 7);
  const classes = ['cat', 'dog', 'ship', 'frog'];
  const templates = ['a photo of a {}.', 'a {} in the wild', '{}!'];
  const B = 8;
  const pixels = tf.randomNormal([B, 24, 24, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: B }, (_, i) => i % classes.length), 'int32'), classes.length);
  let head: tf.Tensor2D;

  const loss = () => tf.losses.softmaxCrossEntropy(labels, zeroShotLogits(model, head, pixels)) as tf.Scalar;
  const lossValue = async () => {
    const l = tf.tidy(loss);
    const v = (await l.data())[0];
    l.dispose();
    return v;
  };

  afterAll(() => {
    tf.dispose([pixels, labels, head]);
    model.dispose();
  });

  it('buildZeroShotHead averages normalised template embeddings per class, batched', async () => {
    let progress = 0;
    head = await buildZeroShotHead(model, toyTokenize, classes, templates, { batchSize: 5, onProgress: (d) => (progress = d) });
    expect(head.shape).toEqual([classes.length, config.projection_dim]);
    expect(progress).toBe(classes.length * templates.length);
    // Reference: one class at a time, all templates in one batch.
    for (let c = 0; c < classes.length; c++) {
      const tok = toyTokenize(templates.map((t) => fillTemplate(t, classes[c])));
      const ref = tf.tidy(() => {
        const e = l2Normalize(model.encodeText(tf.tensor2d(tok.ids, [templates.length, tok.contextLength!], 'int32'), tok.eotIndex));
        return l2Normalize(tf.mean(e, 0, true));
      });
      const row = tf.slice(head, [c, 0], [1, config.projection_dim]);
      expect(await maxAbsDiff(row, ref)).toBeLessThan(1e-5);
      tf.dispose([ref, row]);
    }
    const norms = tf.tidy(() => tf.sqrt(tf.sum(tf.square(head), 1)));
    for (const n of await norms.data()) expect(n).toBeCloseTo(1, 5);
    norms.dispose();
  });

  it('only the image encoder is trainable', () => {
    const names = model.visionWeightNames();
    expect(names).toContain('visual_projection.weight');
    expect(names.every((n) => n.startsWith('vision_model.') || n === 'visual_projection.weight')).toBe(true);
    const trainable = [...model.getWeights()].filter(([, v]) => (v as tf.Variable).trainable).map(([n]) => n);
    expect(trainable.sort()).toEqual([...names].sort());
    expect(model.visionVariables().length).toBe(names.length);
  });

  it('gradients match central finite differences (float32, loose tolerance)', async () => {
    const vars = model.visionVariables();
    const { value, grads } = tf.variableGrads(loss, vars);
    value.dispose();
    const g = new Map(Object.entries(grads).map(([k, v]) => [model.hfName(k)!, v]));
    expect([...g.keys()].sort()).toEqual(model.visionWeightNames().sort());
    const checked: Record<string, string> = {};
    for (const name of [
      'vision_model.embeddings.patch_embedding.weight',
      'vision_model.embeddings.class_embedding',
      'vision_model.pre_layrnorm.weight',
      'vision_model.encoder.layers.0.self_attn.q_proj.weight',
      'vision_model.encoder.layers.0.self_attn.q_proj.bias',
      'vision_model.encoder.layers.0.layer_norm1.weight',
      'vision_model.encoder.layers.0.mlp.fc1.weight',
      'vision_model.encoder.layers.1.self_attn.v_proj.weight',
      'vision_model.post_layernorm.bias',
      'visual_projection.weight',
    ]) {
      const gv = (await g.get(name)!.data()) as Float32Array;
      let idx = 0;
      for (let i = 1; i < gv.length; i++) if (Math.abs(gv[i]) > Math.abs(gv[idx])) idx = i;
      const v = model.weight(name);
      const orig = (await v.data()) as Float32Array;
      const h = 1e-2;
      const at = async (delta: number) => {
        const d = orig.slice();
        d[idx] += delta;
        const t = tf.tensor(d, v.shape);
        model.setWeights(new Map([[name, t]]));
        t.dispose();
        return lossValue();
      };
      const fd = ((await at(h)) - (await at(-h))) / (2 * h);
      await at(0);
      checked[name] = `${gv[idx].toExponential(3)} vs fd ${fd.toExponential(3)}`;
      expect(Math.abs(fd - gv[idx])).toBeLessThanOrEqual(0.03 * Math.abs(gv[idx]) + 1e-4);
    }
    // Directional derivative along the whole gradient: (L(θ + h·ĝ) − L(θ − h·ĝ)) / 2h ≈ ‖g‖.
    const norm = Math.sqrt((await Promise.all([...g.values()].map(async (t) => (await tf.sum(tf.square(t)).data())[0]))).reduce((a, b) => a + b, 0));
    const saved = new Map([...model.getWeights((n) => g.has(n))].map(([n, t]) => [n, t.clone()]));
    const shifted = async (h: number) => {
      const m = new Map([...saved].map(([n, t]) => [n, tf.tidy(() => tf.add(t, tf.mul(g.get(n)!, h / norm)))]));
      model.setWeights(m);
      tf.dispose([...m.values()]);
      return lossValue();
    };
    const h = 1e-2;
    const dd = ((await shifted(h)) - (await shifted(-h))) / (2 * h);
    model.setWeights(saved);
    tf.dispose([...saved.values(), ...g.values()]);
    console.log('finite differences:', checked, `directional ${dd.toExponential(4)} vs ‖g‖ ${norm.toExponential(4)}`);
    expect(Math.abs(dd - norm) / norm).toBeLessThan(0.02);
  });

  it('gradients reach the input pixels (trigger optimisation, DECREE) and match finite differences', async () => {
    const lossOf = (px: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, zeroShotLogits(model, head, px as tf.Tensor4D)) as tf.Scalar;
    const g = tf.grad(lossOf)(pixels);
    expect(g.shape).toEqual(pixels.shape);
    const gv = (await g.data()) as Float32Array;
    let idx = 0;
    for (let i = 1; i < gv.length; i++) if (Math.abs(gv[i]) > Math.abs(gv[idx])) idx = i;
    const base = (await pixels.data()) as Float32Array;
    const at = async (delta: number) => {
      const d = base.slice();
      d[idx] += delta;
      const l = tf.tidy(() => lossOf(tf.tensor4d(d, pixels.shape)));
      const v = (await l.data())[0];
      l.dispose();
      return v;
    };
    const h = 1e-2;
    const fd = ((await at(h)) - (await at(-h))) / (2 * h);
    expect(Math.abs(fd - gv[idx])).toBeLessThanOrEqual(0.03 * Math.abs(gv[idx]) + 1e-4);
    g.dispose();
  });

  it('SGD on the vision tower lowers the loss, and tensors do not accumulate across steps', async () => {
    const vars = model.visionVariables();
    const lr = 0.01;
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 0; step < 6; step++) {
      const { value, grads } = tf.variableGrads(loss, vars);
      losses.push((await value.data())[0]);
      tf.tidy(() => {
        for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));
      });
      tf.dispose([value, ...Object.values(grads)]);
      counts.push(tf.memory().numTensors);
    }
    console.log('SGD losses', losses.map((l) => l.toFixed(4)).join(' → '), 'numTensors', counts.join(','));
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    expect(counts[2]).toBe(counts[1]);
    expect(counts[3]).toBe(counts[1]);
    expect(await maxAbs(head)).toBeGreaterThan(0); // the head (text side) is untouched and alive
  });
});
