/**
 * Eq. 2 on a tiny hand-built case with known answers: a 2-class linear "model" f(x; w) = argmax([0, w·x])
 * with θ_pre = 0, τ̂_c = e₁, τ_t = e₂ and three clean / three triggered points; ξ worked out by hand.
 * Also: the nested coarse-to-fine grid (layout, reuse of cells and models), α*, and the decomposition
 * τ̂_c = τ_b − α*·τ̂_t, τ_t = α*·τ̂_t.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { alphaStar, decompose, differingFirst, disagreement, planXiGrid, runDisentanglement, xiFromPredictions } from '../src/engine/arithmetic/disentanglement';
import { applySum, TaskVector, disposeWeights, type WeightMap } from '../src/engine/arithmetic/taskVector';
import type { XiCell } from '../src/engine/experiment/results';

const NAME = 'vision_model.w';
const map = (v: number[]): WeightMap => new Map([[NAME, tf.tensor2d(v, [1, 2])]]);
const CLEAN = tf.tensor2d([1, 0, 1, -3, -1, 0.5], [3, 2]); // x₁..x₃
const TRIG = tf.tensor2d([0, 1, -2, 1, 0.5, -1], [3, 2]); // y₁..y₃

async function argmaxLinear(w: tf.Tensor, X: tf.Tensor2D): Promise<Int32Array> {
  const p = tf.tidy(() => {
    const v = tf.matMul(X, w, false, true); // [n, 1] = w·x
    return tf.argMax(tf.concat([tf.zeros([X.shape[0], 1]), v], 1), 1); // class 1 iff w·x > 0 (ties → 0)
  });
  const out = (await p.data()) as Int32Array;
  p.dispose();
  return out;
}

describe('ξ (eq. 2) — known answers', () => {
  const pre = map([0, 0]);
  const tauC = new TaskVector(map([1, 0]));
  const tauT = new TaskVector(map([0, 1]));
  const predict = async (a: number, b: number) => {
    const w = applySum(pre, [
      [tauC, a],
      [tauT, b],
    ]);
    try {
      return { clean: await argmaxLinear(w.get(NAME)!, CLEAN), triggered: await argmaxLinear(w.get(NAME)!, TRIG) };
    } finally {
      disposeWeights(w);
    }
  };

  it('disagreement and xiFromPredictions are E[1(a ≠ b)] summed over the two supports', () => {
    expect(disagreement([1, 2, 3, 4], [1, 0, 3, 0])).toBe(0.5);
    // the cell inspector's order: indices where the two differ, then where they agree, each ascending
    expect(differingFirst([1, 2, 3, 4, 5], [1, 0, 3, 0, 5], 4)).toEqual([1, 3, 0, 2]);
    expect(differingFirst([1, 2], [1, 2], 5)).toEqual([0, 1]);
    expect(() => differingFirst([1], [1, 2], 1)).toThrow(/1 with 2/);
    const x = xiFromPredictions({ clean: [0, 1, 1], triggered: [9, 9, 9] }, { clean: [9, 9, 9], triggered: [1, 1, 0] }, { clean: [0, 0, 1], triggered: [0, 1, 0] });
    expect(x).toEqual({ xi: 1 / 3 + 1 / 3, clean: 1 / 3, triggered: 1 / 3 });
  });

  it('ξ over the 5×5 grid on [−2, 2]² matches the hand computation', async () => {
    const cells: XiCell[] = [];
    const res = await runDisentanglement({ range: 2, levels: [5], predict, onCell: (c) => cells.push(c) });
    const at = (ac: number, at_: number) => res.cells.find((c) => c.alphaC === ac && c.alphaT === at_)!;
    // (1, 1): clean x₂ flips (1 → 0), trig y₂ flips (1 → 0): 1/3 + 1/3
    expect(at(1, 1)).toMatchObject({ clean: 1 / 3, triggered: 1 / 3, xi: 2 / 3 });
    // (1, 2): x₂: 1 vs [1−6 > 0] = 0; x₃: 0 vs [−1+1 > 0] = 0 (tie → class 0); y₂: 1 vs [−2+2 > 0] = 0 (tie)
    expect(at(1, 2)).toMatchObject({ clean: 1 / 3, triggered: 1 / 3 });
    // (2, −1) and (−1, 2): no disagreement anywhere
    expect(at(2, -1).xi).toBe(0);
    expect(at(-1, 2).xi).toBe(0);
    // (0, 0): both single-task models are θ_pre itself
    expect(at(0, 0).xi).toBe(0);
    // (−2, −2): x: [−2x₁ > 0] vs [−2x₁ − 2x₂ > 0]: x₁ 0 vs 0, x₂ 0 vs [−2+6] = 1, x₃ 1 vs [2−1] = 1 → 1/3;
    //           y: [−2y₂ > 0] vs [−2y₁ − 2y₂ > 0]: y₁ 0 vs 0, y₂ 0 vs [4−2] = 1, y₃ 1 vs [−1+2] = 1 → 1/3
    expect(at(-2, -2)).toMatchObject({ clean: 1 / 3, triggered: 1 / 3 });
    // layout: row-major, α_t from +2 (top) down, α_c from −2 left to right
    expect(res.size).toBe(5);
    expect(res.cells.map((c) => [c.alphaC, c.alphaT]).slice(0, 6)).toEqual([[-2, 2], [-1, 2], [0, 2], [1, 2], [2, 2], [-2, 1]]);
    expect(cells.length).toBe(25);
  });

  it('coarse to fine: nested grids reuse cells and models; partials carry the computing level', async () => {
    let models = 0;
    const cells: XiCell[] = [];
    const res = await runDisentanglement({
      range: 2,
      levels: [3, 5],
      predict: async (a, b) => {
        models++;
        return predict(a, b);
      },
      onCell: (c) => cells.push(c),
    });
    expect(cells.filter((c) => c.level === 0).length).toBe(9);
    expect(cells.filter((c) => c.level === 1).length).toBe(16);
    expect(models).toBe(25); // one per distinct (α_c, α_t), single-task models shared
    expect(res.modelsRun).toBe(25);
    expect(res.cells.find((c) => c.alphaC === 2 && c.alphaT === 0)!.level).toBe(0); // reused from the 3×3 level
    const direct = await runDisentanglement({ range: 2, levels: [5], predict });
    expect(res.cells.map((c) => c.xi)).toEqual(direct.cells.map((c) => c.xi));
    expect(planXiGrid(2, [5, 9, 17]).levels.map((l) => l.newCells.length)).toEqual([25, 56, 208]);
    expect(() => planXiGrid(2, [5, 8])).toThrow(/odd/);
    expect(() => planXiGrid(2, [5, 7])).toThrow(/nested/);
  });
});

describe('α* and the decomposition (§5.1)', () => {
  it('α* = smallest α with ASR = 0, else the lowest-ASR α flagged', () => {
    const p = (rows: [number, number][]) => rows.map(([alpha, asr]) => ({ alpha, val: { ca: 0.9, asr } }));
    expect(alphaStar(p([[0, 0.9], [0.5, 0.1], [1, 0], [1.5, 0]]))).toEqual({ alpha: 1, exact: true });
    expect(alphaStar(p([[0, 0.9], [0.5, 0.1], [1, 0.05], [1.5, 0.07]]))).toEqual({ alpha: 1, exact: false });
  });

  it('τ̂_c = (θ_b − θ_pre) − α*·τ̂_t and τ_t = α*·τ̂_t, so θ_pre + τ̂_c + τ_t = θ_b', async () => {
    const pre = new Map([['vision_model.a', tf.tensor1d([1, 2, 3])], ['text_model.b', tf.tensor1d([7])]]);
    const b = new Map([['vision_model.a', tf.tensor1d([2, 0, 5])], ['text_model.b', tf.tensor1d([7])]]);
    const tauHat = new TaskVector(new Map([['vision_model.a', tf.tensor1d([0.5, -1, 2])]]));
    const { tauC, tauT } = decompose(pre, b, tauHat, 2);
    expect(Array.from(await tauT.tensors.get('vision_model.a')!.data())).toEqual([1, -2, 4]);
    expect(Array.from(await tauC.tensors.get('vision_model.a')!.data())).toEqual([0, 0, -2]); // (1, −2, 2) − (1, −2, 4)
    const back = applySum(pre, [
      [tauC, 1],
      [tauT, 1],
    ]);
    expect(Array.from(await back.get('vision_model.a')!.data())).toEqual([2, 0, 5]);
  });
});
