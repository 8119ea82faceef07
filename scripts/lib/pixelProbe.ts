/**
 * Probes on standardised raw pixels (how hard a labelled image set is without a learned encoder):
 * multinomial logistic regression (the "linear probe") or an MLP, trained with Adam on softmax
 * cross-entropy + L2 on the weights, fixed hyper-parameters, no tuning on the test images.
 * Used by scripts/probe-shapes.ts and by the micro CLIP build (card.md: linear probe vs fine-tuned).
 */
import { tf } from '../../src/engine/tf';
import { Rng } from '../../src/engine/rng';

export interface PixelSet {
  /** [N, S, S, 3] bytes. */
  images: Uint8Array;
  labels: Int32Array;
}

export interface ProbeOptions {
  numClasses: number;
  /** Hidden layer widths; [] = linear probe. */
  hidden?: number[];
  epochs: number;
  lr?: number;
  l2?: number;
  batch?: number;
  seed?: number;
  /** Called every 5 epochs and after the last. */
  onEpoch?: (e: { epoch: number; loss: number; train: number; test: number; seconds: number }) => void;
}

export interface ProbeResult {
  train: number;
  test: number;
}

/** Bytes [N, D] → float features standardised with the train mean/std per feature. */
function standardise(train: Uint8Array, test: Uint8Array, d: number): [tf.Tensor2D, tf.Tensor2D] {
  return tf.tidy(() => {
    const xtr = tf.tensor2d(Float32Array.from(train), [train.length / d, d]);
    const xte = tf.tensor2d(Float32Array.from(test), [test.length / d, d]);
    const { mean, variance } = tf.moments(xtr, 0);
    const std = tf.sqrt(variance).add(1e-3);
    return [xtr.sub(mean).div(std) as tf.Tensor2D, xte.sub(mean).div(std) as tf.Tensor2D];
  });
}

async function accuracy(predict: (x: tf.Tensor2D) => tf.Tensor2D, x: tf.Tensor2D, y: Int32Array): Promise<number> {
  const pred = tf.tidy(() => predict(x).argMax(1));
  const p = (await pred.data()) as Int32Array;
  pred.dispose();
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (p[i] === y[i]) ok++;
  return ok / y.length;
}

/** Train a probe on `train`, report accuracy on `train` and `test`. */
export async function pixelProbe(train: PixelSet, test: PixelSet, o: ProbeOptions): Promise<ProbeResult> {
  const { numClasses, epochs } = o;
  const lr = o.lr ?? 1e-3;
  const l2 = o.l2 ?? 1e-4;
  const batch = o.batch ?? 256;
  const seed = o.seed ?? 0;
  const hidden = o.hidden ?? [];
  const n = train.labels.length;
  const d = train.images.length / n;
  const [xtr, xte] = standardise(train.images, test.images, d);
  const wrng = new Rng(seed).fork('probe/init');
  const dims = [d, ...hidden, numClasses];
  const Ws: tf.Variable[] = [];
  const bs: tf.Variable[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    // Linear probe from zeros; MLP layers He-initialised.
    const init = hidden.length === 0 ? tf.zeros([dims[i], dims[i + 1]]) : tf.tensor2d(wrng.normalArray(dims[i] * dims[i + 1], 0, Math.sqrt(2 / dims[i])), [dims[i], dims[i + 1]]);
    Ws.push(tf.variable(init));
    bs.push(tf.variable(tf.zeros([dims[i + 1]])));
  }
  const forward = (x: tf.Tensor2D): tf.Tensor2D => {
    let h: tf.Tensor2D = x;
    for (let i = 0; i < Ws.length; i++) {
      h = tf.add(tf.matMul(h, Ws[i]), bs[i]) as tf.Tensor2D;
      if (i + 1 < Ws.length) h = tf.relu(h);
    }
    return h;
  };
  const opt = tf.train.adam(lr);
  const rng = new Rng(seed).fork(`probe/${hidden.length ? `mlp(${hidden.join('-')})` : 'linear'}`);
  const yAll = tf.oneHot(tf.tensor1d(train.labels, 'int32'), numClasses).toFloat() as tf.Tensor2D;
  const t0 = performance.now();
  try {
    for (let e = 0; e < epochs; e++) {
      const perm = rng.permutation(n);
      let lossSum = 0;
      let steps = 0;
      for (let b = 0; b + batch <= n; b += batch) {
        const idx = tf.tensor1d(perm.slice(b, b + batch), 'int32');
        const loss = opt.minimize(
          () =>
            tf.tidy(() => {
              const ce = tf.losses.softmaxCrossEntropy(tf.gather(yAll, idx) as tf.Tensor2D, forward(tf.gather(xtr, idx) as tf.Tensor2D));
              const reg = Ws.map((w) => tf.sum(tf.square(w))).reduce((a, c) => a.add(c));
              return ce.add(reg.mul(l2)) as tf.Scalar;
            }),
          true,
          [...Ws, ...bs],
        );
        lossSum += (await loss!.data())[0];
        steps++;
        loss!.dispose();
        idx.dispose();
      }
      if (o.onEpoch && (e === epochs - 1 || (e + 1) % 5 === 0)) {
        o.onEpoch({
          epoch: e + 1,
          loss: lossSum / Math.max(1, steps),
          train: await accuracy(forward, xtr, train.labels),
          test: await accuracy(forward, xte, test.labels),
          seconds: (performance.now() - t0) / 1000,
        });
      }
    }
    return { train: await accuracy(forward, xtr, train.labels), test: await accuracy(forward, xte, test.labels) };
  } finally {
    tf.dispose([xtr, xte, yAll, ...Ws, ...bs]);
    opt.dispose();
  }
}
