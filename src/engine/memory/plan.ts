/**
 * Memory plan for fine-tuning the vision tower (attack, TBAR, gradient ascent): how many bytes one
 * training step needs for a CLIPConfig and batch size, which batch size fits a device, and a typed
 * error with the numbers when nothing fits.
 *
 * All tensors are float32 (4 bytes). The terms, for a model with vision width D, MLP width I, H heads,
 * T = (S/P)² + 1 tokens, batch B, N = B·T token rows:
 *
 * Persistent (independent of B)
 *   weights      the whole model (both towers: the text tower stays loaded for the zero-shot head)
 *   adam         AdamW's m and v for every vision weight (2 × vision params)
 *   snapshots    vision-tower copies the experiment keeps: θ_pre, θ_b and τ̂_t (3 × vision params;
 *                during TBAR's fine-tuning θ_pre and θ_b are held while θ_{b+t} trains, τ̂_t after)
 *   head         the zero-shot head [classes, E]
 *   accumulator  only when the recipe's batch does not fit and each step runs in chunks whose gradients
 *                are summed (train/loop.ts): the running sum (vision params) + one weight's new sum
 *
 * Per step (linear in B), summed from the op-by-op trace of clip/model.ts in trace.ts:
 *   input        the batch (raw and normalised)
 *   saved        tensors kept for the backward pass. Per full layer, as distinct buffers (WebGPU):
 *                LayerNorm x̂ ×2, LN1 out, q, k, v and their head-split copies, attention output and
 *                its merge, out_proj out, the layer input and x1 (saved by the residual adds), LN2 out,
 *                fc2 out = 16·N·D; fc1 out, σ(1.702x), activation = 3·N·I; probs B·H·T²; 1/σ 2·N;
 *                the scaled q weight D². On WASM every save is a COPY (tfjs-wasm's Identity kernel
 *                copies): 22·N·D + 3·N·I + 2·B·H·T² + 2·N + the weights each op saves (5·D² + 2·I·D).
 *   transient    forward tensors alive until encodeImage's tf.tidy ends but not needed afterwards:
 *                attention scores [B·H, T, T] on WebGPU; on WASM every original whose copy was saved.
 *   backward     every gradient the backward pass computes, and every temporary of our custom
 *                gradients, lives until the pass ends (tfjs never frees a dy mid-pass): per full layer
 *                35·N·D + 8·N·I + 3·B·H·T² + 4·N (WASM; 5·N·D + N·I fewer on WebGPU, which needs no
 *                explicit dyᵀ copies) − 2·N·D (the q/k/v accumulation frees as it adds) + the weight
 *                gradients 2·I·D + 5·D² (q's twice, through its scale) + I + 10·D.
 * The peak is at the end of the backward pass: persistent + input + saved + backward. The forward
 * peak (saved + transient) is lower. The optimizer step afterwards works variable by variable.
 *
 * The last vision layer computes queries, out_proj and the MLP for the class token only
 * (encoderLayerClsOnly), so its terms use B rows there and N rows for keys/values.
 *
 * Measured against the bytes really allocated during a step (tests/memory.plan.test.ts): tfjs-wasm's
 * malloc'ed heap (copying clones) and tfjs-cpu's live buffers (sharing clones, as WebGPU): within 2%
 * at the backward peak, 8% at the forward peak; ViT-B/32 at batch 2 on wasm: planned 1,143.6 MB,
 * measured 1,143.9 MB (bench/hub.mjs). tf.memory().numBytes over-counts: it adds every tensor's
 * size, including views that share a buffer (2.5 GB "peak" for that 2.45 GB step with the weights).
 *
 * Findings that would shrink a step, for clip/model.ts's owner: wrapping the custom gradient
 * functions in tf.tidy frees their temporaries (LayerNorm 7·N·D → 1, quick_gelu 6·N·I → 1); on WASM,
 * one q/k/v projection saves LN1's output three times; scaling q after the projection instead of the
 * weight saves a D² copy and gradient per layer.
 *
 * ViT-B/32 in numbers (tests/memory.plan.test.ts): 151,277,313 params (605 MB); vision tower
 * 87,849,216 (351 MB); AdamW's m + v 703 MB — with the weights and their gradients, the classic
 * "4× the tower" is 1.41 GB; θ_pre + θ_b + τ̂_t 1.05 GB. One training step adds ~155 MB per image on
 * WebGPU (~184 MB on WASM) on top of ~2.4 GB that does not depend on the batch.
 */
import type { CLIPConfig } from '../clip/config';
import { expectedTensorShapes, isVisionWeight, visionPositions } from '../clip/config';
import type { BackendInfo } from '../backend';
import { sumTrace, traceVisionStep } from './trace';

export const BYTES_PER_FLOAT = 4;
/** wasm32 linear memory: tfjs-backend-wasm grows its heap up to 4 GiB (measured: the 4 GiB-th byte fails). */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;
/** Headroom kept free on any device (allocator fragmentation, tfjs bookkeeping, the browser). */
export const DEFAULT_RESERVE_FRACTION = 0.1;
/**
 * WebGPU does not report how much memory the GPU has. Without a user-given figure we plan for 4 GiB:
 * the smallest discrete GPUs sold for compute have 4 GB, and integrated GPUs share at least that much
 * of system memory in Chrome. `?gpuMemoryGB=` (DeviceBudgetOptions.gpuMemoryBytes) overrides it.
 */
export const DEFAULT_GPU_MEMORY_BYTES = 4 * 2 ** 30;

export interface MemoryPlanOptions {
  /** The tfjs backend (decides copy-on-save and transpose flags); default 'wasm'. */
  backend?: string;
  /** Vision-tower copies kept besides the live weights (θ_pre, θ_b, τ̂_t): default 3. */
  snapshots?: number;
  /** Classes of the zero-shot head (default 100, CIFAR-100). */
  classes?: number;
  /** Whether matMul transpose flags are used (default: on WebGPU): no explicit dyᵀ in linear's backward. */
  transposeFlags?: boolean;
  /**
   * The step runs in chunks of B images whose gradients are summed (train/loop.ts's batchGradients),
   * because the recipe's batch does not fit: add the running sum, one vision tower of gradients, and
   * the one variable's new sum that exists while it replaces the old one.
   */
  accumulate?: boolean;
}

export interface MemoryLine {
  key: 'weights' | 'adam' | 'snapshots' | 'head' | 'accumulator' | 'input' | 'saved' | 'transient' | 'backward';
  label: string;
  bytes: number;
  /** How the number is made (for the UI's tooltip and the tests). */
  detail: string;
}

export interface MemoryPlan {
  batchSize: number;
  lines: MemoryLine[];
  /** Bytes that do not depend on the batch size. */
  persistentBytes: number;
  /** Bytes per image of the per-step terms (input + saved + backward). */
  perImageBytes: number;
  /** Peak bytes of one training step (end of the backward pass). */
  peakBytes: number;
  /** Peak of the forward pass alone (evaluation without gradients needs much less; see evalBytes). */
  forwardPeakBytes: number;
  /** Largest single tensor during the step (bytes) and what it is. */
  largestTensor: { what: string; bytes: number };
  params: { total: number; vision: number };
}

// ---------------------------------------------------------------------------------------------
// Counting (the op-by-op trace is in trace.ts)

/** Per-step activation floats: what the trace sums to for one backend's clone semantics. */
export interface StepFloats {
  /** Kept for the backward pass (WASM: one copy per save; WebGPU/CPU: distinct buffers). */
  saved: number;
  /** Alive at the end of the forward pass beyond `saved` (freed when encodeImage's tidy ends). */
  transient: number;
  /** Allocated by the backward pass and kept until it ends (includes the weight gradients). */
  backward: number;
}

/** Whether the backend's Identity kernel copies (so every tensor saved for backward is a copy). */
export function savesAreCopies(backend: string): boolean {
  return backend === 'wasm';
}

export function stepFloats(config: CLIPConfig, B: number, opts: MemoryPlanOptions = {}): StepFloats {
  const backend = opts.backend ?? 'wasm';
  const s = sumTrace(traceVisionStep(config, B, { classes: opts.classes ?? 100, transposeFlags: opts.transposeFlags ?? backend === 'webgpu' }));
  if (savesAreCopies(backend)) {
    return { saved: s.savedCopied, transient: s.forwardAllocOutputs, backward: s.backward };
  }
  return { saved: s.savedShared, transient: s.forwardAlloc - s.savedShared, backward: s.backward };
}

export function countParams(config: CLIPConfig): { total: number; vision: number; largest: { name: string; size: number } } {
  let total = 0;
  let vision = 0;
  let largest = { name: '', size: 0 };
  for (const [name, shape] of expectedTensorShapes(config)) {
    const n = shape.reduce((a, d) => a * d, 1);
    total += n;
    if (isVisionWeight(name)) vision += n;
    if (n > largest.size) largest = { name, size: n };
  }
  return { total, vision, largest };
}

/** The full plan for one training step at batch size B. */
export function planFinetuneMemory(config: CLIPConfig, batchSize: number, opts: MemoryPlanOptions = {}): MemoryPlan {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new MemoryPlanError('bad-batch', `batch size must be a positive integer, got ${batchSize}`, 0, 0);
  const v = config.vision_config;
  const B = batchSize;
  const snapshots = opts.snapshots ?? 3;
  const classes = opts.classes ?? 100;
  const p = countParams(config);
  const f = BYTES_PER_FLOAT;
  const step = stepFloats(config, B, opts);
  const one = stepFloats(config, 1, opts);
  const two = stepFloats(config, 2, opts);
  const inputFloats = 2 * B * v.image_size * v.image_size * v.num_channels; // raw + normalised batch
  const lines: MemoryLine[] = [
    { key: 'weights', label: 'weights (whole model)', bytes: p.total * f, detail: `${p.total.toLocaleString('en')} params × 4 B` },
    { key: 'adam', label: "AdamW's m and v (vision tower)", bytes: 2 * p.vision * f, detail: `2 × ${p.vision.toLocaleString('en')} vision params × 4 B` },
    { key: 'snapshots', label: 'θ_pre, θ_b, τ̂_t (vision tower)', bytes: snapshots * p.vision * f, detail: `${snapshots} × vision params × 4 B` },
    { key: 'head', label: 'zero-shot head', bytes: classes * config.projection_dim * f, detail: `${classes} classes × ${config.projection_dim}` },
    { key: 'input', label: 'input batch', bytes: inputFloats * f, detail: `2 × ${B}×${v.image_size}²×${v.num_channels} (raw + normalised)` },
    { key: 'saved', label: 'activations saved for backward', bytes: step.saved * f, detail: 'LayerNorm x̂/σ, q k v and head splits, probs [B,H,T,T], MLP fc1/σ/act, residuals (see plan.ts)' },
    { key: 'transient', label: 'forward-only tensors', bytes: step.transient * f, detail: 'attention scores [B,H,T,T] (freed when the forward ends)' },
    { key: 'backward', label: 'gradients and backward intermediates', bytes: step.backward * f, detail: 'weight gradients + every dy and custom-gradient temporary tfjs keeps until the backward pass ends' },
  ];
  const accumulatorFloats = opts.accumulate ? p.vision + largestVisionWeight(config) : 0;
  if (opts.accumulate) {
    lines.splice(4, 0, { key: 'accumulator', label: 'summed gradients (chunked batch)', bytes: accumulatorFloats * f, detail: 'vision params + the largest vision weight (a sum replacing the old one) × 4 B' });
  }
  const persistentBytes = (p.total + 2 * p.vision + snapshots * p.vision + classes * config.projection_dim + accumulatorFloats) * f;
  const perStep = (s: StepFloats) => s.saved + s.backward;
  // per-image slope (the weight gradients are a constant part of `backward`)
  const perImageBytes = (perStep(two) - perStep(one) + 2 * v.image_size * v.image_size * v.num_channels) * f;
  const peakBytes = persistentBytes + (inputFloats + perStep(step)) * f;
  const forwardPeakBytes = persistentBytes + (inputFloats + step.saved + step.transient) * f;
  return { batchSize: B, lines, persistentBytes, perImageBytes, peakBytes, forwardPeakBytes, largestTensor: largestTensor(config, B, p.largest), params: { total: p.total, vision: p.vision } };
}

/** Elements of the vision tower's largest weight. */
export function largestVisionWeight(config: CLIPConfig): number {
  let n = 0;
  for (const [name, shape] of expectedTensorShapes(config)) if (isVisionWeight(name)) n = Math.max(n, shape.reduce((a, d) => a * d, 1));
  return n;
}

/** The largest single buffer of a step: a weight, or one of the per-batch activations. */
export function largestTensor(config: CLIPConfig, B: number, largestWeight = countParams(config).largest): { what: string; bytes: number } {
  const v = config.vision_config;
  const T = visionPositions(v);
  const cands: [string, number][] = [
    [largestWeight.name, largestWeight.size],
    [`attention scores/probs [${B}·${v.num_attention_heads}, ${T}, ${T}]`, B * v.num_attention_heads * T * T],
    [`MLP activations [${B}·${T}, ${v.intermediate_size}]`, B * T * v.intermediate_size],
    [`input batch [${B}, ${v.image_size}, ${v.image_size}, 3]`, B * v.image_size * v.image_size * v.num_channels],
  ];
  const [what, n] = cands.reduce((a, b) => (b[1] > a[1] ? b : a));
  return { what, bytes: n * BYTES_PER_FLOAT };
}

/** Inference (no gradients): weights + one forward's activations inside tf.tidy (all alive until it ends). */
export function evalBytes(config: CLIPConfig, B: number, opts: MemoryPlanOptions = {}): number {
  // without a gradient tape nothing is saved: the forward's outputs alone, alive until its tidy ends
  const s = sumTrace(traceVisionStep(config, B, { classes: opts.classes ?? 100, transposeFlags: false }));
  return (countParams(config).total + s.forwardAllocOutputs) * BYTES_PER_FLOAT;
}

/**
 * Evaluation batches tried on WebGPU, largest first. On a GPU a small model's forward is bound by a
 * fixed cost per kernel and per upload (through Dawn on an H100: ~80 µs and ~0.7 ms, bench/README.md),
 * so it costs about the same at 64 images as at 512 (micro CLIP: 36 and 45 ms): its α sweep took
 * 31.1 s at batch 64 and 5.1 s at 500, ξ's 17×17 grid 173.5 s and 51.7 s. On WASM time grows with the
 * batch and 64 stays (EVAL_BATCH_SIZE).
 */
export const GPU_EVAL_BATCHES = [512, 256, 128] as const;

/**
 * The evaluation batch for a model on a device: on WebGPU the largest of GPU_EVAL_BATCHES whose
 * forward (evalBytes) fits the budget beside the state the experiment keeps (AdamW, the snapshots, the
 * head: planFinetuneMemory's persistent bytes), and whose largest tensor fits one buffer; otherwise, and
 * on WASM, `base`. Predictions do not depend on the batch, so neither do CA, ASR or ξ.
 */
export function chooseEvalBatchSize(config: CLIPConfig, budget: DeviceBudget | undefined, base: number): number {
  if (!budget || budget.backend !== 'webgpu') return base;
  for (const B of GPU_EVAL_BATCHES) {
    if (B <= base) break;
    if (evalSpareBytes(config, budget, B) >= 0 && largestTensor(config, B).bytes <= budget.maxTensorBytes) return B;
  }
  return base;
}

/**
 * What the budget has left while the model evaluates batches of B: the budget less the state the
 * experiment keeps (AdamW, the snapshots, the head: planFinetuneMemory's persistent bytes) and one
 * forward (evalBytes, which counts the weights). Negative when it does not fit.
 */
export function evalSpareBytes(config: CLIPConfig, budget: DeviceBudget, B: number): number {
  const opts = { backend: budget.backend };
  const kept = planFinetuneMemory(config, 1, opts).persistentBytes - countParams(config).total * BYTES_PER_FLOAT;
  return budget.totalBytes - kept - evalBytes(config, B, opts);
}

// ---------------------------------------------------------------------------------------------
// Devices

export interface DeviceBudget {
  backend: string;
  /** Bytes the backend can hold in all (after the reserve). */
  totalBytes: number;
  /** The largest single tensor (WebGPU: min(maxBufferSize, maxStorageBufferBindingSize)). */
  maxTensorBytes: number;
  /** Where the numbers come from, for messages. */
  source: string;
}

export interface DeviceBudgetOptions {
  /** The GPU's memory when the user knows it (WebGPU does not report it). */
  gpuMemoryBytes?: number;
  reserveFraction?: number;
}

export function deviceBudget(info: Pick<BackendInfo, 'name' | 'limits'>, opts: DeviceBudgetOptions = {}): DeviceBudget {
  const reserve = 1 - (opts.reserveFraction ?? DEFAULT_RESERVE_FRACTION);
  if (info.name === 'webgpu') {
    const l = info.limits;
    const maxTensor = l ? Math.min(l.maxBufferSize, l.maxStorageBufferBindingSize) : 128 * 2 ** 20;
    const gpu = opts.gpuMemoryBytes ?? DEFAULT_GPU_MEMORY_BYTES;
    return {
      backend: 'webgpu',
      totalBytes: Math.floor(gpu * reserve),
      maxTensorBytes: maxTensor,
      source: `${opts.gpuMemoryBytes ? 'GPU memory as given' : 'WebGPU reports no memory size; assuming'} ${formatGiB(gpu)}, largest buffer ${formatGiB(maxTensor)} (adapter limits)`,
    };
  }
  // wasm (and the cpu backend, which is bounded by the JS heap in practice: same figure)
  return {
    backend: info.name,
    totalBytes: Math.floor(WASM_HEAP_BYTES * reserve),
    maxTensorBytes: Math.floor(WASM_HEAP_BYTES * reserve),
    source: `the ${formatGiB(WASM_HEAP_BYTES)} wasm32 heap`,
  };
}

export type MemoryPlanErrorCode = 'out-of-memory' | 'tensor-too-large' | 'bad-batch';

/** A model or batch that a device cannot hold, with the numbers. */
export class MemoryPlanError extends Error {
  constructor(
    readonly code: MemoryPlanErrorCode,
    message: string,
    readonly needBytes: number,
    readonly haveBytes: number,
  ) {
    super(message);
    this.name = 'MemoryPlanError';
  }
}

export function formatGiB(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** Throw when the model cannot even be loaded (weights alone, or its largest weight, do not fit). */
export function checkModelFits(config: CLIPConfig, budget: DeviceBudget): void {
  const p = countParams(config);
  const weights = p.total * BYTES_PER_FLOAT;
  if (weights > budget.totalBytes) {
    throw new MemoryPlanError('out-of-memory', `this model's weights need ${formatGiB(weights)} but ${budget.backend} has ${formatGiB(budget.totalBytes)} (${budget.source}). Use a smaller model (ViT-B/32) or a device with more memory.`, weights, budget.totalBytes);
  }
  const largest = p.largest.size * BYTES_PER_FLOAT;
  if (largest > budget.maxTensorBytes) {
    throw new MemoryPlanError('tensor-too-large', `${p.largest.name} needs one ${formatGiB(largest)} buffer but ${budget.backend} allows ${formatGiB(budget.maxTensorBytes)} per buffer (${budget.source}).`, largest, budget.maxTensorBytes);
  }
}

export interface BatchChoice {
  /** Images per forward/backward pass (≤ requested): the batch, or the chunk size when `accumulate`. */
  batchSize: number;
  requested: number;
  /** The requested batch does not fit: each step runs in chunks of `batchSize`, their gradients summed. */
  accumulate: boolean;
  plan: MemoryPlan;
  /** Largest batch (or chunk, when accumulating) that fits the device at all. */
  maxBatchSize: number;
  /** Why the batch is smaller than requested, in words (undefined when it is not). */
  limitedBy?: string;
}

/** The largest B whose step fits `budget` (0 when even B = 1 does not). */
export function maxBatchSize(config: CLIPConfig, budget: DeviceBudget, opts: MemoryPlanOptions = {}, cap = 4096): number {
  const fits = (B: number) => {
    const p = planFinetuneMemory(config, B, opts);
    return p.peakBytes <= budget.totalBytes && p.largestTensor.bytes <= budget.maxTensorBytes;
  };
  if (!fits(1)) return 0;
  let lo = 1;
  let hi = 2;
  while (hi <= cap && fits(hi)) {
    lo = hi;
    hi *= 2;
  }
  hi = Math.min(hi, cap + 1);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The error for a device on which not even one image's step fits (with the chunk sum when `opts.accumulate`). */
function cannotFineTune(config: CLIPConfig, budget: DeviceBudget, opts: MemoryPlanOptions): MemoryPlanError {
  const p1 = planFinetuneMemory(config, 1, opts);
  if (p1.largestTensor.bytes > budget.maxTensorBytes) {
    return new MemoryPlanError(
      'tensor-too-large',
      `fine-tuning needs a ${formatGiB(p1.largestTensor.bytes)} buffer (${p1.largestTensor.what}) but ${budget.backend} allows ${formatGiB(budget.maxTensorBytes)} per buffer (${budget.source}).`,
      p1.largestTensor.bytes,
      budget.maxTensorBytes,
    );
  }
  const line = (k: MemoryLine['key']) => formatGiB(p1.lines.find((l) => l.key === k)!.bytes);
  return new MemoryPlanError(
    'out-of-memory',
    `fine-tuning this model needs ${formatGiB(p1.peakBytes)} even at batch size 1 (weights ${line('weights')}, AdamW ${line('adam')}, snapshots ${line('snapshots')}` +
      `${opts.accumulate ? `, summed gradients ${line('accumulator')}` : ''}, one image's step ${formatGiB(p1.perImageBytes)}) but ${budget.backend} has ${formatGiB(budget.totalBytes)} (${budget.source}). Use a smaller model or a GPU with more memory.`,
    p1.peakBytes,
    budget.totalBytes,
  );
}

/**
 * Pick how fine-tuning holds its batch on a device: the requested batch if its step fits; else the
 * largest chunk that fits beside the summed gradients (plan option `accumulate`), so that each step
 * still takes the recipe's batch (train/loop.ts) and the recipe is not changed by the device. With
 * `chunks: false` (DECREE, whose optimisation is not the recipe's) a smaller batch instead. Throws
 * MemoryPlanError when even one image does not fit, with the numbers.
 */
export function chooseBatchSize(config: CLIPConfig, requested: number, budget: DeviceBudget, opts: MemoryPlanOptions = {}, { chunks = true } = {}): BatchChoice {
  checkModelFits(config, budget);
  const whole = maxBatchSize(config, budget, opts, Math.max(requested, 1));
  if (whole >= requested) return { batchSize: requested, requested, accumulate: false, plan: planFinetuneMemory(config, requested, opts), maxBatchSize: whole };
  const needs = `batch ${requested} needs ${formatGiB(planFinetuneMemory(config, requested, opts).peakBytes)}; ${budget.backend} has ${formatGiB(budget.totalBytes)} (${budget.source})`;
  if (!chunks) {
    if (whole === 0) throw cannotFineTune(config, budget, opts);
    const plan = planFinetuneMemory(config, whole, opts);
    return { batchSize: whole, requested, accumulate: false, plan, maxBatchSize: whole, limitedBy: `${needs}, so the batch is ${whole} (${formatGiB(plan.peakBytes)})` };
  }
  // A batch of one that does not fit cannot be chunked; a larger one runs in chunks beside their sum.
  const acc = requested > 1 ? { ...opts, accumulate: true } : opts;
  const max = maxBatchSize(config, budget, acc, Math.max(requested, 1));
  if (max === 0) throw cannotFineTune(config, budget, acc);
  const plan = planFinetuneMemory(config, max, acc);
  return {
    batchSize: max,
    requested,
    accumulate: true,
    plan,
    maxBatchSize: max,
    limitedBy: `${needs}, so each step of ${requested} images runs as ${Math.ceil(requested / max)} chunks of at most ${max} with their gradients summed (${formatGiB(plan.peakBytes)})`,
  };
}
