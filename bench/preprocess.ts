/**
 * Preprocessing speed: `npx tsx bench/preprocess.ts [wasm|cpu]` → bench/results/preprocess.json.
 * Cases: a batch of 64 CIFAR images 32→224 (the lab's CIFAR path) and one 500×375 ImageNet-sized
 * image → 224 (resize 298×224 + center crop), both modes; median of timed runs after a warm-up,
 * including the read-back (`await data()`), so the GPU/WASM work is really done.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { initNodeBackend } from '../tests/nodeBackend';
import { tf } from '../src/engine/tf';
import { resizeAndCrop, type ResizeMode } from '../src/engine/clip/preprocess';

const backend = (process.argv[2] as 'wasm' | 'cpu' | undefined) ?? 'wasm';
await initNodeBackend(backend);

function image(b: number, h: number, w: number): tf.Tensor4D {
  const a = new Float32Array(b * h * w * 3);
  let s = 1;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s >>> 24;
  }
  return tf.tensor4d(a, [b, h, w, 3]);
}

async function time(x: tf.Tensor4D, size: number, mode: ResizeMode, reps: number): Promise<number> {
  const once = async () => {
    const t0 = performance.now();
    const y = resizeAndCrop(x, size, mode);
    await y.data();
    y.dispose();
    return performance.now() - t0;
  };
  await once();
  await once();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) ms.push(await once());
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

const results: Record<string, number> = {};
const cifar = image(64, 32, 32);
const imnet = image(1, 375, 500);
for (const mode of ['pil-uint8', 'float'] as const) {
  results[`cifar64_32to224_${mode}_ms`] = await time(cifar, 224, mode, 7);
  results[`imagenet1_500x375to224_${mode}_ms`] = await time(imnet, 224, mode, 15);
}
tf.dispose([cifar, imnet]);

const out = { bench: 'preprocess', backend, threads: 'default', node: process.version, date: new Date().toISOString(), results };
console.log(JSON.stringify(out, null, 1));
const dir = path.resolve('bench/results');
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, 'preprocess.json'), JSON.stringify(out, null, 1) + '\n');
