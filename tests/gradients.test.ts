import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';

/** Reference gradients by central finite differences in float64 (independent of tfjs autodiff). */
function matmulRef(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}
const T = (m: number[][]) => m[0].map((_, j) => m.map((r) => r[j]));

describe('BatchMatMul gradient (explicit transposes)', () => {
  const A = [
    [0.5, -1.2, 2.0],
    [1.5, 0.3, -0.7],
  ];
  const B = [
    [1.0, 2.0],
    [-0.5, 0.25],
    [3.0, -1.0],
  ];
  // loss = sum(W ⊙ (A·B)) with fixed weights W, so dL/dA = W·Bᵀ and dL/dB = Aᵀ·W exactly.
  const W = [
    [1, -2],
    [0.5, 3],
  ];
  const dA = matmulRef(W, T(B));
  const dB = matmulRef(T(A), W);

  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`matches the analytic gradient with transposeA=${ta} transposeB=${tb}`, async () => {
      const a = tf.tensor2d(ta ? T(A) : A);
      const b = tf.tensor2d(tb ? T(B) : B);
      const w = tf.tensor2d(W);
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(w, tf.matMul(x, y, ta, tb))));
      const [ga, gb] = g([a, b]);
      const expA = ta ? T(dA) : dA;
      const expB = tb ? T(dB) : dB;
      const gaV = (await ga.array()) as number[][];
      const gbV = (await gb.array()) as number[][];
      gaV.flat().forEach((v, i) => expect(v).toBeCloseTo(expA.flat()[i], 5));
      gbV.flat().forEach((v, i) => expect(v).toBeCloseTo(expB.flat()[i], 5));
      tf.dispose([a, b, w, ga, gb]);
    });
  }

  it('reduces over broadcast batch dimensions', async () => {
    const x = tf.randomNormal([4, 2, 3], 0, 1, 'float32', 1);
    const w = tf.randomNormal([1, 3, 5], 0, 1, 'float32', 2);
    const gw = tf.grad((v: tf.Tensor) => tf.sum(tf.matMul(x, v)))(w);
    expect(gw.shape).toEqual([1, 3, 5]);
    // d/dW sum(X·W) = Σ_batch Xᵀ·1
    const ref = tf.sum(tf.matMul(tf.transpose(x, [0, 2, 1]), tf.ones([4, 2, 5])), 0, true);
    const diff = (await tf.max(tf.abs(tf.sub(gw, ref))).data())[0];
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([x, w, gw, ref]);
  });
});
