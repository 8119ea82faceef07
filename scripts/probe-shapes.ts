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
import { generateShapes } from '../src/engine/data/shapes';
import { pixelProbe } from './lib/pixelProbe';

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

async function main(): Promise<void> {
  await initNodeBackend('wasm');
  benchGeneration();
  if (process.argv.includes('--bench-only')) return;
  const tr = generateShapes({ split: 'train', count: nTrain, seed, imageSize: S, numClasses });
  const te = generateShapes({ split: 'test', count: nTest, seed, imageSize: S, numClasses });
  console.log(`${nTrain} train / ${nTest} test images, ${S}×${S}, ${numClasses} classes, chance ${(100 / numClasses).toFixed(1)}%`);
  const onEpoch = (name: string) => (e: { epoch: number; loss: number; train: number; test: number; seconds: number }) =>
    console.log(`${name} epoch ${e.epoch}: loss ${e.loss.toFixed(3)}  train ${(100 * e.train).toFixed(1)}%  test ${(100 * e.test).toFixed(1)}%  (${e.seconds.toFixed(0)} s)`);
  // 1. linear probe: logits = x·W + b;  2. MLP: d → hidden[0] → hidden[1] → classes
  await pixelProbe(tr, te, { numClasses, epochs, seed, batch, onEpoch: onEpoch('linear') });
  await pixelProbe(tr, te, { numClasses, hidden, epochs: mlpEpochs, seed, batch, onEpoch: onEpoch(`mlp(${hidden.join('-')})`) });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
