// The fine-tuning memory plan (src/engine/memory/plan.ts, trace.ts): hand-computed ViT-B/32 numbers,
// the per-layer formulas of the plan's documentation, and the bytes tfjs-wasm and tfjs-cpu really allocate
// during a training step (malloc/free of the wasm heap, counted by buffer — tf.memory().numBytes
// would count views twice).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { CLIP_PRESETS, parseClipConfig, withOverrides } from '../src/engine/clip/config';
import { ClipModel } from '../src/engine/clip/model';
import { zeroShotLogits } from '../src/engine/clip/zeroshot';
import { crossEntropy } from '../src/engine/train/losses';
import { AdamW } from '../src/engine/train/adamw';
import { visionVariableMap } from '../src/engine/train/finetune';
import { disposeTrainState, train } from '../src/engine/train/loop';
import { constantSchedule } from '../src/engine/train/schedule';
import {
  chooseBatchSize,
  chooseEvalBatchSize,
  countParams,
  evalBytes,
  deviceBudget,
  largestTensor,
  MemoryPlanError,
  maxBatchSize,
  planFinetuneMemory,
  stepFloats,
  checkModelFits,
} from '../src/engine/memory/plan';
import { sumTrace, traceVisionStep } from '../src/engine/memory/trace';
import { batchPlanView } from '../src/app/memoryPlan';

const B32 = CLIP_PRESETS['openai/clip-vit-base-patch32'];

describe('ViT-B/32 by hand', () => {
  it('counts parameters and the persistent terms', () => {
    // vision: class 768 + patch 768·3·32·32 + positions 50·768 + pre-LN 2·768
    //   + 12 × (4·(768²+768) + 4·768 + (3072·768+3072) + (768·3072+768)) + post-LN 2·768 + proj 512·768
    const layerV = 4 * (768 * 768 + 768) + 4 * 768 + (3072 * 768 + 3072) + (768 * 3072 + 768);
    expect(layerV).toBe(7_087_872);
    const vision = 768 + 2_359_296 + 38_400 + 1_536 + 12 * layerV + 1_536 + 393_216;
    expect(vision).toBe(87_849_216);
    // text: tokens 49408·512 + positions 77·512 + 12 × 3,152,384 + final LN 1024 + proj 512²; + logit_scale
    const layerT = 4 * (512 * 512 + 512) + 4 * 512 + (2048 * 512 + 2048) + (512 * 2048 + 512);
    const total = vision + 25_296_896 + 39_424 + 12 * layerT + 1_024 + 262_144 + 1;
    expect(total).toBe(151_277_313); // HF's CLIPModel.num_parameters() for this repo
    expect(countParams(B32)).toMatchObject({ total, vision });

    const p = planFinetuneMemory(B32, 1, { backend: 'webgpu' });
    const line = (k: string) => p.lines.find((l) => l.key === k)!.bytes;
    expect(line('weights')).toBe(605_109_252);
    expect(line('adam')).toBe(702_793_728); // m + v: 2 × 351,396,864 B
    // the "≈1.4 GB" of the classic accounting is weights + gradients + m + v of the vision tower
    expect(4 * vision * 4).toBe(1_405_587_456);
    expect(line('snapshots')).toBe(1_054_190_592); // θ_pre, θ_b, τ̂_t
    expect(line('head')).toBe(100 * 512 * 4);
    expect(p.persistentBytes).toBe(605_109_252 + 702_793_728 + 1_054_190_592 + 204_800);
  });

  it('sums the trace to the documented per-layer formulas', () => {
    // one full layer = trace(12 layers) − trace(11 layers), at B = 2 (N = 100 rows)
    const B = 2;
    const [T, D, I, H] = [50, 768, 3072, 12];
    const N = B * T;
    const att = B * H * T * T;
    const eleven = withOverrides(B32, { vision: { num_hidden_layers: 11 } });
    for (const flags of [false, true]) {
      const a = sumTrace(traceVisionStep(B32, B, { classes: 100, transposeFlags: flags }));
      const b = sumTrace(traceVisionStep(eleven, B, { classes: 100, transposeFlags: flags }));
      expect(a.savedShared - b.savedShared).toBe(16 * N * D + 3 * N * I + att + 2 * N + D * D);
      expect(a.savedCopied - b.savedCopied).toBe(22 * N * D + 3 * N * I + 2 * att + 2 * N + 5 * D * D + 2 * I * D + 3 * D + 2);
      const weightGrads = 2 * I * D + 5 * D * D + I + 10 * D;
      const backward = flags ? 28 * N * D + 7 * N * I : 33 * N * D + 8 * N * I;
      expect(a.backward - b.backward).toBe(backward + 3 * att + 4 * N + weightGrads);
      // forward: 14 output buffers of N·D (+ x̂ ×2 inside the LayerNorms), f, g, σ, scores, probs, Wq', bq'
      expect(a.forwardAlloc - b.forwardAlloc).toBe(16 * N * D + 3 * N * I + 2 * att + 2 * N + D * D + D);
    }
  });

  it('grows linearly in the batch and picks the batch that fits', () => {
    const p8 = planFinetuneMemory(B32, 8, { backend: 'webgpu' });
    const p9 = planFinetuneMemory(B32, 9, { backend: 'webgpu' });
    expect(p9.peakBytes - p8.peakBytes).toBeCloseTo(p8.perImageBytes, -2);
    // ~155 MB per image on WebGPU, ~184 MB on WASM (copies of saved tensors)
    expect(p8.perImageBytes / 1e6).toBeGreaterThan(150);
    expect(p8.perImageBytes / 1e6).toBeLessThan(160);
    const w = planFinetuneMemory(B32, 8, { backend: 'wasm' });
    expect(w.perImageBytes / 1e6).toBeGreaterThan(180);
    expect(w.perImageBytes / 1e6).toBeLessThan(190);

    // WASM's 4 GiB heap: θ_pre/θ_b/τ̂_t + AdamW + weights leave room for a few images only. Batch 128
    // does not fit, so each step runs in chunks beside their summed gradients: one vision tower
    // (87,849,216 floats) + its largest weight (fc1, 3072 × 768), 360,834,048 bytes.
    const wasm = deviceBudget({ name: 'wasm' });
    const acc = { backend: 'wasm', accumulate: true };
    expect(planFinetuneMemory(B32, 2, acc).peakBytes - planFinetuneMemory(B32, 2, { backend: 'wasm' }).peakBytes).toBe((87_849_216 + 3072 * 768) * 4);
    expect(planFinetuneMemory(B32, 2, acc).lines.find((l) => l.key === 'accumulator')!.bytes).toBe(360_834_048);
    const c = chooseBatchSize(B32, 128, wasm, { backend: 'wasm' });
    expect(maxBatchSize(B32, wasm, { backend: 'wasm' })).toBe(3); // whole steps of 3 would fit…
    expect(c).toMatchObject({ accumulate: true, batchSize: maxBatchSize(B32, wasm, acc), requested: 128 }); // …chunks beside the sum, 1
    expect(c.batchSize).toBe(1);
    expect(c.limitedBy).toMatch(/batch 128 needs .* GiB; wasm has 3\.60 GiB .*so each step of 128 images runs as 128 chunks of at most 1 with their gradients summed \(3\.\d\d GiB\)/);
    expect(c.plan.peakBytes).toBeLessThanOrEqual(wasm.totalBytes);
    expect(planFinetuneMemory(B32, c.batchSize + 1, acc).peakBytes).toBeGreaterThan(wasm.totalBytes);
    // DECREE's batch (chunks: false) is made smaller instead, with no sum beside it
    expect(chooseBatchSize(B32, 128, wasm, { backend: 'wasm' }, { chunks: false })).toMatchObject({ batchSize: 3, accumulate: false });
    expect(chooseBatchSize(B32, 128, wasm, { backend: 'wasm' }, { chunks: false }).limitedBy).toMatch(/so the batch is 3 \(3\.\d\d GiB\)$/);
    // a batch that fits whole is taken whole
    expect(chooseBatchSize(B32, 3, wasm, { backend: 'wasm' })).toMatchObject({ batchSize: 3, accumulate: false });
    expect(chooseBatchSize(B32, 3, wasm, { backend: 'wasm' }).limitedBy).toBeUndefined();

    // an 8 GiB GPU with 2 GiB buffers
    const gpu = deviceBudget({ name: 'webgpu', limits: { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31 } as never }, { gpuMemoryBytes: 8 * 2 ** 30 });
    const g = chooseBatchSize(B32, 16, gpu, { backend: 'webgpu' });
    expect(g).toMatchObject({ batchSize: 16, requested: 16 });
    expect(g.limitedBy).toBeUndefined();
  });

  it('refuses a device that cannot run the model, with numbers', () => {
    const small = { backend: 'webgpu', totalBytes: 2 ** 30, maxTensorBytes: 2 ** 30, source: 'test' };
    let err: unknown;
    try {
      chooseBatchSize(B32, 32, small, { backend: 'webgpu' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemoryPlanError);
    expect((err as MemoryPlanError).code).toBe('out-of-memory');
    expect((err as MemoryPlanError).message).toMatch(/needs 3\.\d\d GiB even at batch size 1 .*summed gradients 0\.34 GiB.* has 1\.00 GiB/);
    // a batch of one is never chunked: no sum in the sum of its needs
    expect(() => chooseBatchSize(B32, 1, small, { backend: 'webgpu' })).toThrow(/needs 2\.\d\d GiB even at batch size 1 \(weights [^)]*snapshots [\d.]+ GiB, one image/);
    // weights alone: ViT-L/14 (428M params, 1.7 GB) on a 1 GiB device
    expect(() => checkModelFits(CLIP_PRESETS['openai/clip-vit-large-patch14'], small)).toThrow(/weights need 1\.59 GiB but webgpu has 1\.00 GiB/);
    // a single buffer too large: the 101 MB token embedding against a 64 MiB limit
    const narrow = { ...small, totalBytes: 16 * 2 ** 30, maxTensorBytes: 64 * 2 ** 20 };
    expect(() => checkModelFits(B32, narrow)).toThrow(MemoryPlanError);
    expect(() => checkModelFits(B32, narrow)).toThrow(/token_embedding.weight needs one 0\.09 GiB buffer/);
  });

  it('names the largest activation', () => {
    // ViT-B/16 at batch 64: MLP [64·197, 3072] = 38.7M floats beats scores [64·12, 197, 197] = 29.8M
    const b16 = CLIP_PRESETS['openai/clip-vit-base-patch16'];
    expect(largestTensor(b16, 64)).toEqual({ what: 'MLP activations [64·197, 3072]', bytes: 64 * 197 * 3072 * 4 });
    expect(largestTensor(b16, 1).what).toBe('text_model.embeddings.token_embedding.weight');
  });
});

/** Bytes the wasm backend mallocs (tensor buffers), with the running peak. */
function trackWasmHeap() {
  const w = (tf.backend() as unknown as { wasm: { _malloc(n: number): number; _free(p: number): void } }).wasm;
  tf.dispose(tf.ones([1])); // emscripten's lazy export stubs replace themselves on first call
  const m0 = w._malloc;
  const f0 = w._free;
  const sizes = new Map<number, number>();
  const s = { cur: 0, peak: 0 };
  w._malloc = (n: number) => {
    const p = m0(n);
    sizes.set(p >>> 0, n);
    s.cur += n;
    s.peak = Math.max(s.peak, s.cur);
    return p;
  };
  w._free = (p: number) => {
    const n = sizes.get(p >>> 0);
    if (n !== undefined) {
      s.cur -= n;
      sizes.delete(p >>> 0);
    }
    f0(p);
  };
  return {
    s,
    restore() {
      w._malloc = m0;
      w._free = f0;
    },
  };
}

/** Bytes of live buffers on the cpu backend (its Identity shares buffers, like WebGPU's). */
function trackCpuData() {
  const st = (tf.backend() as unknown as { data: { set(id: object, v: { values?: ArrayBufferView }): void; delete(id: object): boolean } }).data;
  const set0 = st.set.bind(st);
  const del0 = st.delete.bind(st);
  const sizes = new Map<object, number>();
  const s = { cur: 0, peak: 0 };
  st.set = (id, v) => {
    const n = v?.values?.byteLength ?? 0;
    s.cur += n - (sizes.get(id) ?? 0);
    sizes.set(id, n);
    s.peak = Math.max(s.peak, s.cur);
    set0(id, v);
  };
  st.delete = (id) => {
    s.cur -= sizes.get(id) ?? 0;
    sizes.delete(id);
    return del0(id);
  };
  return {
    s,
    restore() {
      st.set = set0;
      st.delete = del0;
    },
  };
}

const SMALL_CONFIGS = [
  { D: 64, I: 256, L: 2, H: 4, S: 32, P: 8, B: 4, C: 10 },
  { D: 64, I: 128, L: 3, H: 2, S: 32, P: 16, B: 8, C: 10 },
  { D: 96, I: 384, L: 2, H: 3, S: 48, P: 8, B: 2, C: 7 },
];

/** A random CLIP of one SMALL_CONFIGS shape (text tower minimal) and a zero-shot head for it. */
function smallClip(c: (typeof SMALL_CONFIGS)[number]) {
  const config = parseClipConfig({
    projection_dim: 32,
    vision_config: { hidden_size: c.D, intermediate_size: c.I, num_hidden_layers: c.L, num_attention_heads: c.H, image_size: c.S, patch_size: c.P },
    text_config: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 100, max_position_embeddings: 16 },
  });
  const model = ClipModel.random(config, 1);
  const head = tf.tidy(() => tf.div(tf.randomNormal([c.C, 32], 0, 1, 'float32', 1), 5)) as tf.Tensor2D;
  return { config, model, head };
}

/** Run one step per config, measuring with `heap` (bytes now / peak), and compare with the plan. */
function checkSteps(heap: { s: { cur: number; peak: number } }, backend: string, configs: typeof SMALL_CONFIGS) {
  for (const c of configs) {
    const { config, model, head } = smallClip(c);
    const x = tf.randomUniform([c.B, c.S, c.S, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const labels = Int32Array.from({ length: c.B }, (_, i) => i % c.C);
    const before = heap.s.cur;
    heap.s.peak = before;
    let forwardPeak = 0;
    const { value, grads } = tf.variableGrads(() => {
      const loss = crossEntropy(zeroShotLogits(model, head, x), labels);
      forwardPeak = heap.s.peak - before;
      return loss;
    }, model.visionVariables());
    const stepPeak = heap.s.peak - before;
    value.dispose();
    tf.dispose(Object.values(grads));
    const f = stepFloats(config, c.B, { classes: c.C, backend });
    expect((f.saved + f.backward) * 4 / stepPeak).toBeGreaterThan(0.98);
    expect((f.saved + f.backward) * 4 / stepPeak).toBeLessThan(1.02);
    expect((f.saved + f.transient) * 4 / forwardPeak).toBeGreaterThan(0.92);
    expect((f.saved + f.transient) * 4 / forwardPeak).toBeLessThan(1.02);
    model.dispose();
    head.dispose();
    x.dispose();
  }
}

describe('measured on tfjs-cpu (shared clones, as WebGPU)', () => {
  it('predicts the bytes a real training step allocates', async () => {
    await tf.setBackend('cpu');
    const heap = trackCpuData();
    try {
      checkSteps(heap, 'cpu', SMALL_CONFIGS.slice(0, 2));
    } finally {
      heap.restore();
      await tf.setBackend('wasm');
    }
  });
});

describe('measured on tfjs-wasm', () => {
  it('predicts the bytes a real training step allocates', () => {
    expect(tf.getBackend()).toBe('wasm');
    const heap = trackWasmHeap();
    try {
      checkSteps(heap, 'wasm', SMALL_CONFIGS);
    } finally {
      heap.restore();
    }
  });
});

describe('measured on tfjs-wasm: a batch run in chunks (gradient accumulation)', () => {
  it('adds the summed gradients to a chunk\'s step, as planned', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const c = SMALL_CONFIGS[0];
    const { config, model, head } = smallClip(c);
    const X = tf.randomUniform([3 * c.B, c.S, c.S, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const Y = tf.tensor1d(Int32Array.from({ length: 3 * c.B }, (_, i) => i % c.C), 'int32');
    const vars = visionVariableMap(model);
    const opt = new AdamW(vars, { weightDecay: 0.1 });
    const heap = trackWasmHeap();
    /** Peak bytes above the kept state during one step of `batch` images in chunks of c.B. */
    const stepPeak = async (batch: number) => {
      const before = heap.s.cur;
      heap.s.peak = before;
      const r = await train({
        variables: vars,
        lossFn: (b: { x: tf.Tensor4D; y: tf.Tensor1D }) => crossEntropy(zeroShotLogits(model, head, b.x), b.y),
        sampler: { datasetSize: batch, batchSize: batch, epochs: 1, seed: 1 },
        makeBatch: (idx) => tf.tidy(() => ({ x: tf.gather(X, idx) as tf.Tensor4D, y: tf.gather(Y, idx) as tf.Tensor1D })),
        optimizer: opt,
        schedule: constantSchedule(1e-4),
        maxGradNorm: 1,
        microBatchSize: c.B,
      });
      disposeTrainState(r.state);
      return heap.s.peak - before;
    };
    try {
      const one = await stepPeak(c.B); // one chunk: a plain step
      const three = await stepPeak(3 * c.B); // three chunks beside their sum
      const plan = planFinetuneMemory(config, c.B, { backend: 'wasm', classes: c.C, accumulate: true });
      const planned = plan.lines.find((l) => l.key === 'accumulator')!.bytes;
      // The input batch is made per chunk, so the difference is the running sum: at least one vision
      // tower of gradients, and no more than the plan's bound (+ one weight's replacement sum).
      expect(three - one).toBeGreaterThanOrEqual(plan.params.vision * 4);
      expect(three - one).toBeLessThanOrEqual(planned);
    } finally {
      heap.restore();
      opt.dispose();
      model.dispose();
      tf.dispose([head, X, Y]);
    }
  });
});

describe('the panels\' memory line (app/memoryPlan.ts)', () => {
  it('says a batch that fits, and the chunks a batch too large runs in', () => {
    const gpu = { name: 'webgpu', limits: { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31 } } as never;
    const fits = batchPlanView(B32, gpu, 16, 100, 80 * 2 ** 30)!;
    expect(fits).toMatchObject({ kind: 'fits', batchSize: 16 });
    const limited = batchPlanView(B32, gpu, 128, 100)!; // the assumed 4 GiB
    expect(limited).toMatchObject({ kind: 'limited', batchSize: 4 });
    expect(limited.text).toMatch(/^On this device each batch of 128 runs in chunks of 4 whose gradients are summed, so the steps are the recipe's: batch 128 needs 21\.\d\d GiB; .* so each step of 128 images runs as 32 chunks of at most 4/);
    expect(batchPlanView(B32, gpu, 1, 100, 2 ** 30)!.kind).toBe('cannot');
  });
});

describe('evaluation batch (chooseEvalBatchSize)', () => {
  const micro = parseClipConfig(JSON.parse(readFileSync('public/models/micro-clip/config.json', 'utf8')));
  const gpu = (gib: number, maxBuffer = 2 ** 31) =>
    deviceBudget({ name: 'webgpu', limits: { maxBufferSize: maxBuffer, maxStorageBufferBindingSize: maxBuffer } as never }, { gpuMemoryBytes: gib * 2 ** 30 });

  it('stays at the base batch on WASM, and without a device', () => {
    const wasm = deviceBudget({ name: 'wasm' });
    expect(chooseEvalBatchSize(micro, wasm, 64)).toBe(64);
    expect(chooseEvalBatchSize(B32, wasm, 64)).toBe(64);
    expect(chooseEvalBatchSize(micro, undefined, 64)).toBe(64);
  });

  it('takes 512 for the micro CLIP on any GPU, and for ViT-B/32 only where its forward fits beside the kept state', () => {
    expect(chooseEvalBatchSize(micro, gpu(4), 64)).toBe(512);
    // ViT-B/32: the forward of 64 images alone is 3.09 GiB (all outputs alive in encodeImage's tidy);
    // with AdamW, θ_pre/θ_b/τ̂_t and the head beside it, the lab's assumed 4 GiB (3.6 usable) keeps 64.
    expect(evalBytes(B32, 64, { backend: 'webgpu' }) / 2 ** 30).toBeCloseTo(3.09, 2);
    expect(chooseEvalBatchSize(B32, gpu(4), 64)).toBe(64);
    // Kept state 1.64 GiB; with the forward: 128 → 7.23 GiB, 256 → 12.2, 512 → 22.2 (usable: 90%).
    expect(chooseEvalBatchSize(B32, gpu(80), 64)).toBe(512);
    expect(chooseEvalBatchSize(B32, gpu(16), 64)).toBe(256);
    expect(chooseEvalBatchSize(B32, gpu(10), 64)).toBe(128);
    expect(chooseEvalBatchSize(B32, gpu(8), 64)).toBe(64);
    // Never below the base, and never a buffer over the device's limit.
    expect(chooseEvalBatchSize(B32, gpu(80), 256)).toBe(512);
    expect(chooseEvalBatchSize(B32, gpu(80), 512)).toBe(512);
    // The largest tensor, [B·50, 3072] floats: 75 MiB at 128, 300 MiB at 512.
    expect(chooseEvalBatchSize(B32, gpu(80, 200 * 2 ** 20), 64)).toBe(256);
    expect(chooseEvalBatchSize(B32, gpu(80, 64 * 2 ** 20), 64)).toBe(64);
  });
});
