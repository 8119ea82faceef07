/**
 * TaskVector algebra against hand computations (τ = a − b, scale, add, negate, norm, dot, cosine,
 * applyTo = eq. 5, applySum = multi-task arithmetic), scope (vision tower only, integer buffers
 * skipped) and errors.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { applySum, TaskVector, TaskVectorError, type WeightMap } from '../src/engine/arithmetic/taskVector';

const W = (entries: [string, number[], number[]][]): WeightMap => new Map(entries.map(([n, shape, v]) => [n, tf.tensor(v, shape, 'float32')]));
const values = async (m: WeightMap | TaskVector) => {
  const map = m instanceof TaskVector ? m.tensors : m;
  const out: Record<string, number[]> = {};
  for (const [n, t] of map) out[n] = Array.from(await t.data());
  return out;
};

// θ_ft and θ_pre on two vision tensors, a text tensor (outside the scope) and an int buffer.
const ft = () =>
  W([
    ['vision_model.a.weight', [2, 2], [1, 2, 3, 4]],
    ['visual_projection.weight', [3], [0.5, -1, 2]],
    ['text_model.b.weight', [2], [9, 9]],
  ]);
const pre = () => {
  const m = W([
    ['vision_model.a.weight', [2, 2], [0, 1, 1, 1]],
    ['visual_projection.weight', [3], [0.5, 1, 0]],
    ['text_model.b.weight', [2], [1, 1]],
  ]);
  m.set('vision_model.embeddings.position_ids', tf.tensor([0, 1, 2], [3], 'int32'));
  return m;
};

describe('TaskVector', () => {
  it('τ = θ_ft − θ_pre over the vision tower only (text and integer buffers skipped)', async () => {
    const tau = TaskVector.fromDifference(ft(), pre());
    expect(tau.names.sort()).toEqual(['vision_model.a.weight', 'visual_projection.weight']);
    expect(await values(tau)).toEqual({ 'vision_model.a.weight': [1, 1, 2, 3], 'visual_projection.weight': [0, -2, 2] });
  });

  it('norm, dot, cosine, scale, negate, add: hand computations', async () => {
    const tau = TaskVector.fromDifference(ft(), pre()); // [1,1,2,3] ++ [0,-2,2]
    // ‖τ‖² = 1+1+4+9 + 0+4+4 = 23
    expect(await tau.norm()).toBeCloseTo(Math.sqrt(23), 6);
    const o = new TaskVector(W([
      ['vision_model.a.weight', [2, 2], [1, 0, -1, 2]],
      ['visual_projection.weight', [3], [3, 1, 0.5]],
    ]));
    // ⟨τ, o⟩ = 1 + 0 − 2 + 6 + 0 − 2 + 1 = 4 ; ‖o‖² = 1+0+1+4+9+1+0.25 = 16.25
    expect(await tau.dot(o)).toBeCloseTo(4, 6);
    expect(await tau.cosine(o)).toBeCloseTo(4 / (Math.sqrt(23) * Math.sqrt(16.25)), 6);
    expect(await tau.cosine(tau)).toBeCloseTo(1, 6);
    expect(await values(tau.scale(-0.5))).toEqual({ 'vision_model.a.weight': [-0.5, -0.5, -1, -1.5], 'visual_projection.weight': [-0, 1, -1] });
    expect(await values(tau.negate())).toEqual(await values(tau.scale(-1)));
    expect(await values(tau.add(o))).toEqual({ 'vision_model.a.weight': [2, 1, 1, 5], 'visual_projection.weight': [3, -1, 2.5] });
    // the inputs are untouched
    expect(await values(tau)).toEqual({ 'vision_model.a.weight': [1, 1, 2, 3], 'visual_projection.weight': [0, -2, 2] });
  });

  it('applyTo(θ_b, −α) = θ_b − α·τ̂_t (eq. 5); applySum = θ_pre + Σ α_k τ_k; the base keeps its other tensors', async () => {
    const base = pre();
    const tau = TaskVector.fromDifference(ft(), pre());
    const cleaned = tau.applyTo(base, -2);
    expect(await values(cleaned)).toEqual({ 'vision_model.a.weight': [-2, -1, -3, -5], 'visual_projection.weight': [0.5, 5, -4] });
    expect(cleaned.has('text_model.b.weight')).toBe(false); // a partial map for setWeights
    const o = tau.scale(2);
    const sum = applySum(base, [
      [tau, 1],
      [o, -0.25],
    ]); // θ_pre + τ − 0.5τ = θ_pre + 0.5τ
    expect(await values(sum)).toEqual({ 'vision_model.a.weight': [0.5, 1.5, 2, 2.5], 'visual_projection.weight': [0.5, 0, 1] });
    // applyTo(θ_pre, 1) gives θ_ft back
    const back = tau.applyTo(base, 1);
    const f = ft();
    expect((await values(back))['vision_model.a.weight']).toEqual(Array.from(await f.get('vision_model.a.weight')!.data()));
  });

  it('uploads one scalar per term, not one per tensor (on WebGPU an upload can end the compute pass)', () => {
    const base = pre();
    const tau = TaskVector.fromDifference(ft(), pre());
    const o = tau.scale(2);
    const backend = tf.backend() as unknown as { write(values: unknown, shape: number[], dtype: string): unknown };
    const write = backend.write;
    let made = 0; // tensors made from JS values: what the WebGPU backend uploads
    backend.write = function (this: unknown, values, shape, dtype) {
      if (values != null) made++;
      return write.call(this, values, shape, dtype);
    };
    try {
      const sum = applySum(base, [
        [tau, 1],
        [o, 0],
        [o, -0.25],
      ]);
      expect(made).toBe(2); // two non-zero terms, over two tensors
      tf.dispose([...sum.values()]);
    } finally {
      backend.write = write;
    }
  });

  it('throws typed errors on mismatched keys/shapes and after dispose', () => {
    const a = TaskVector.fromDifference(ft(), pre());
    const b = new TaskVector(W([['vision_model.a.weight', [2, 2], [0, 0, 0, 0]]]));
    expect(() => a.add(b)).toThrow(TaskVectorError);
    const c = new TaskVector(W([
      ['vision_model.a.weight', [4], [0, 0, 0, 0]],
      ['visual_projection.weight', [3], [0, 0, 0]],
    ]));
    expect(() => a.add(c)).toThrow(expect.objectContaining({ code: 'shape-mismatch' }));
    const missing = ft();
    missing.delete('visual_projection.weight');
    expect(() => TaskVector.fromDifference(missing, pre())).toThrow(/different tensors/);
    a.dispose();
    expect(() => a.scale(2)).toThrow(/disposed/);
  });

  it('allocates only its own tensors, and dispose frees them', async () => {
    const f = ft();
    const p = pre();
    const before = tf.memory().numTensors;
    const tau = TaskVector.fromDifference(f, p);
    const s = tau.scale(3);
    await s.norm();
    await s.dot(tau);
    const applied = s.applyTo(p, -1);
    expect(tf.memory().numTensors - before).toBe(2 + 2 + 2);
    tf.dispose([...applied.values()]);
    s.dispose();
    tau.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
