/**
 * How hard is the shapes dataset? Trains, on standardised raw pixels,
 *   1. multinomial logistic regression (the "linear probe"), and
 *   2. a small MLP with two hidden layers (ReLU),
 * on `--train` train images and reports accuracy on `--test` test images, with fixed hyper-parameters
 * (Adam 1e-3, batch 256, L2 1e-4; no tuning on val), reported as they are. First it measures the
 * generation speed (images/s at 32, 48 and 64 px; `--bench-only` stops there).
 *
 *   npx tsx scripts/probe-shapes.ts [--train 10000] [--test 2000] [--size 32] [--seed 0] [--classes 10]
 *                                    [--epochs 30] [--mlp-epochs 30] [--hidden 512,256] [--bench-only]
 */
import { initNodeBackend } from '../tests/nodeBackend';
import { tf } from '../src/engine/tf';
import { Rng } from '../src/engine/rng';
import { generateShapes } from '../src/engine/data/shapes';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const nTrain = Number(arg('train', '10000'));
const nTest = Number(arg('test', '2000'));
const S = Number(arg('size', '32'));
const seed = Number(arg('seed', '0'));
const numClasses = Number(arg('classes', '10'));
const epochs = Number(arg('epochs', '30'));
const mlpEpochs = Number(arg('mlp-epochs', '30'));
const hidden = arg('hidden', '512,256').split(',').map(Number);
const batch = 256;

function benchGeneration(): void {
  for (const size of [32, 48, 64]) {
    generateShapes({ count: 200, imageSize: size, seed: 1 }); // warm-up (JIT)
    const n = size === 32 ? 20000 : 5000;
    const t0 = performance.now();
    generateShapes({ count: n, imageSize: size, seed: 2 });
    const dt = (performance.now() - t0) / 1000;
    console.log(`generation ${size}×${size}: ${n} images in ${dt.toFixed(2)} s = ${Math.round(n / dt)} images/s`);
  }
}

/** Bytes [N, S, S, 3] → float features [N, D] standardised with the train mean/std per feature. */
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

/** Train params with Adam on softmax cross-entropy (+ L2 on weights); returns final accuracies. */
async function train(
  name: string,
  params: tf.Variable[],
  weights: tf.Variable[],
  forward: (x: tf.Tensor2D) => tf.Tensor2D,
  xtr: tf.Tensor2D,
  ytr: Int32Array,
  xte: tf.Tensor2D,
  yte: Int32Array,
  nEpochs: number,
  lr: number,
  l2: number,
): Promise<void> {
  const opt = tf.train.adam(lr);
  const rng = new Rng(seed).fork(`probe/${name}`);
  const n = ytr.length;
  const yAll = tf.oneHot(tf.tensor1d(ytr, 'int32'), numClasses).toFloat() as tf.Tensor2D;
  const t0 = performance.now();
  for (let e = 0; e < nEpochs; e++) {
    const perm = rng.permutation(n);
    let lossSum = 0;
    let steps = 0;
    for (let b = 0; b + batch <= n; b += batch) {
      const idx = tf.tensor1d(perm.slice(b, b + batch), 'int32');
      const loss = opt.minimize(
        () =>
          tf.tidy(() => {
            const xb = tf.gather(xtr, idx) as tf.Tensor2D;
            const yb = tf.gather(yAll, idx) as tf.Tensor2D;
            const ce = tf.losses.softmaxCrossEntropy(yb, forward(xb));
            const reg = weights.map((w) => tf.sum(tf.square(w))).reduce((a, c) => a.add(c));
            return ce.add(reg.mul(l2)) as tf.Scalar;
          }),
        true,
        params,
      );
      lossSum += (await loss!.data())[0];
      steps++;
      loss!.dispose();
      idx.dispose();
    }
    if (e === nEpochs - 1 || (e + 1) % 5 === 0) {
      const trAcc = await accuracy(forward, xtr, ytr);
      const teAcc = await accuracy(forward, xte, yte);
      const s = ((performance.now() - t0) / 1000).toFixed(0);
      console.log(
        `${name} epoch ${e + 1}: loss ${(lossSum / steps).toFixed(3)}  train ${(100 * trAcc).toFixed(1)}%  test ${(100 * teAcc).toFixed(1)}%  (${s} s)`,
      );
    }
  }
  yAll.dispose();
  opt.dispose();
}

async function main(): Promise<void> {
  await initNodeBackend('wasm');
  benchGeneration();
  if (process.argv.includes('--bench-only')) return;
  const tr = generateShapes({ split: 'train', count: nTrain, seed, imageSize: S, numClasses });
  const te = generateShapes({ split: 'test', count: nTest, seed, imageSize: S, numClasses });
  const d = S * S * 3;
  const [xtr, xte] = standardise(tr.images, te.images, d);
  console.log(`${nTrain} train / ${nTest} test images, ${S}×${S}, ${numClasses} classes, chance ${(100 / numClasses).toFixed(1)}%`);
  const wrng = new Rng(seed).fork('probe/init');

  // 1. linear probe: logits = x·W + b
  {
    const W = tf.variable(tf.zeros([d, numClasses]));
    const b = tf.variable(tf.zeros([numClasses]));
    await train('linear', [W, b], [W], (x) => tf.add(tf.matMul(x, W), b) as tf.Tensor2D, xtr, tr.labels, xte, te.labels, epochs, 1e-3, 1e-4);
    tf.dispose([W, b]);
  }
  // 2. MLP: d → hidden[0] → hidden[1] → classes
  {
    const dims = [d, ...hidden, numClasses];
    const Ws: tf.Variable[] = [];
    const bs: tf.Variable[] = [];
    for (let i = 0; i + 1 < dims.length; i++) {
      const std = Math.sqrt(2 / dims[i]);
      Ws.push(tf.variable(tf.tensor2d(wrng.normalArray(dims[i] * dims[i + 1], 0, std), [dims[i], dims[i + 1]])));
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
    await train(`mlp(${hidden.join('-')})`, [...Ws, ...bs], Ws, forward, xtr, tr.labels, xte, te.labels, mlpEpochs, 1e-3, 1e-4);
    tf.dispose([...Ws, ...bs]);
  }
  tf.dispose([xtr, xte]);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
