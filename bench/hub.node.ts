/**
 * Node half of `npm run bench:hub` (bench/hub.mjs starts the local Hub and runs this with tsx):
 * load the full-size ViT-B/32 checkpoint from the Hub URL given, on tfjs-wasm, then one fine-tuning
 * step (forward + backward + AdamW) at a small batch, and print JSON with the timings and the
 * memory: process RSS (sampled every 20 ms), the wasm heap actually malloc'ed by tfjs (peak), and
 * tf.memory().numBytes (peak via tf.profile; it counts views twice, see memory/plan.ts).
 *
 *   npx tsx bench/hub.node.ts http://127.0.0.1:PORT [batch]
 */
import { initNodeBackend } from '../tests/nodeBackend';
import { tf } from '../src/engine/tf';
import { loadModelFromSource } from '../src/engine/hub/loadModel';
import { zeroShotLogits } from '../src/engine/clip/zeroshot';
import { crossEntropy } from '../src/engine/train/losses';
import { AdamW } from '../src/engine/train/adamw';
import { planFinetuneMemory } from '../src/engine/memory/plan';

const [hubUrl, batchArg] = process.argv.slice(2);
const B = Number(batchArg ?? 2);
await initNodeBackend('wasm');

// wasm heap accounting (bytes malloc'ed for tensor buffers)
const w = (tf.backend() as unknown as { wasm: { _malloc(n: number): number; _free(p: number): void; HEAPU8: Uint8Array } }).wasm;
tf.dispose(tf.ones([1]));
const sizes = new Map<number, number>();
const heap = { cur: 0, peak: 0 };
const m0 = w._malloc;
const f0 = w._free;
w._malloc = (n: number) => {
  const p = m0(n);
  sizes.set(p >>> 0, n);
  heap.cur += n;
  heap.peak = Math.max(heap.peak, heap.cur);
  return p;
};
w._free = (p: number) => {
  const n = sizes.get(p >>> 0);
  if (n !== undefined) {
    heap.cur -= n;
    sizes.delete(p >>> 0);
  }
  f0(p);
};

let rssPeak = 0;
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
const rss0 = process.memoryUsage().rss;
rssPeak = rss0;

const t0 = performance.now();
const loaded = await loadModelFromSource({ kind: 'hub', repo: 'tbar-bench/clip-vit-base-patch32-full', baseUrl: hubUrl }, { cache: null });
const loadMs = performance.now() - t0;
await new Promise((r) => setTimeout(r, 50));
const load = { ms: loadMs, weightBytes: loaded.weightBytes, rssBefore: rss0, rssPeak, rssAfter: process.memoryUsage().rss, wasmHeapBytes: heap.cur, wasmHeapPeak: heap.peak };

// one step at batch B
const model = loaded.model;
const vars = new Map(model.visionWeightNames().map((n) => [n, model.weight(n)]));
const opt = new AdamW(vars, { weightDecay: 0.1 });
const head = tf.tidy(() => tf.div(tf.randomNormal([100, 512], 0, 1, 'float32', 1), 20)) as tf.Tensor2D;
const x = tf.randomUniform([B, 224, 224, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
const labels = Int32Array.from({ length: B }, (_, i) => i);
const heapBeforeStep = heap.cur;
heap.peak = heap.cur;
rssPeak = process.memoryUsage().rss;
const t1 = performance.now();
const prof = await tf.profile(() => {
  const { value, grads } = tf.variableGrads(() => crossEntropy(zeroShotLogits(model, head, x), labels), model.visionVariables());
  const byName = new Map(Object.entries(grads).map(([k, g]) => [model.hfName(k)!, g]));
  opt.step(byName, 1e-5);
  value.dispose();
  tf.dispose(Object.values(grads));
});
const stepMs = performance.now() - t1;
clearInterval(sampler);
const plan = planFinetuneMemory(model.config, B, { backend: 'wasm', classes: 100 });
const planStep = plan.lines.filter((l) => ['saved', 'backward'].includes(l.key)).reduce((a, l) => a + l.bytes, 0);
const step = {
  batch: B,
  ms: stepMs,
  wasmHeapPeakAboveWeights: heap.peak - heapBeforeStep,
  wasmHeapPeakTotal: heap.peak,
  tfNumBytesPeak: prof.peakBytes,
  rssPeak,
  /** the plan's per-step bytes (saved + backward, WASM semantics) for the measured wasmHeapPeakAboveWeights
   *  (AdamW's m and v exist before the step, so they are in neither) */
  plannedStepBytes: planStep,
  wasmHeapSize: w.HEAPU8.byteLength,
};
console.log(JSON.stringify({ load, step }));
opt.dispose();
tf.dispose([head, x]);
model.dispose();
