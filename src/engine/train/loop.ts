/**
 * A generic fine-tuning loop: model-agnostic (it only sees a set of tf.Variables and a loss closure),
 * framework-free, resumable between batches, cancellable, and safe against divergence.
 *
 * Per step (global step s, 0-based, as task_vectors' finetune.py):
 *   indices  = the s-th batch of the sampler (below)
 *   batch    = makeBatch(indices)                        (the loop disposes it after the step)
 *   lr       = schedule(s, totalSteps)                    (set before the update, like `scheduler(step)`)
 *   L, ∇L    = tf.variableGrads(lossFn(batch))            (ascent: of −L, see below; with microBatchSize
 *                                                          below the batch, summed over chunks: batchGradients)
 *   read [L, ‖∇L‖²] from the device                       (ONE await data() per step, see below)
 *   if L or ‖∇L‖ is not finite → TrainingDivergedError    (the update of this step is never applied)
 *   optimizer.step(∇L, lr, clip coefficient)
 *
 * Sampler. The order of examples is a fresh permutation per epoch, drawn from
 * `new Rng(seed).fork('train-epoch:<e>')`, so any epoch's order can be recomputed without replaying the
 * earlier ones (that is what makes resume exact). The LAST PARTIAL BATCH IS KEPT by default (torch's
 * DataLoader default `drop_last=False`, which task_vectors uses): every example is seen once per
 * epoch, which matters for the small forget sets TBAR trains on. `dropLast: true` drops it (use it
 * for contrastive losses, where a tiny last batch is a degenerate task).
 *
 * Reading the loss. Knowing that a step is finite BEFORE applying it needs the number on the CPU, so
 * the loop reads a packed [loss, ‖g‖²] once per step, before the update, and gets every step's loss
 * (for `losses` and progress) for free. On the wasm/cpu backends that read is synchronous work anyway;
 * on WebGPU it costs one readback latency (~ms) per step, small against a ViT-B/32 step. The
 * alternatives cost more: gating the update on device needs a full-size `where` (3 kernels, 2
 * broadcast copies) per variable per step; reading one step behind needs the previous weights and
 * moments kept alive to undo a bad step (3× model memory). The loop also yields one macrotask per step
 * so that a worker can receive a cancel message while training on a synchronous backend.
 *
 * Divergence. Because the check precedes the update, a NaN/Inf loss or gradient never reaches the
 * weights or the optimizer moments: after TrainingDivergedError the variables hold the weights of the
 * last good step (no per-step snapshot of the weights is taken).
 *
 * Gradient ascent (TBAR paper appendix A.3.4: θ ← θ + η∇L on the forget set, same hyper-parameters as
 * TBAR, i.e. AdamW). With an adaptive optimizer "ascent" is implemented as minimising −L: the loop
 * differentiates −L and hands those gradients to AdamW unchanged. This is bit-for-bit torch's
 * `AdamW(maximize=True)` (which negates the gradient); weight decay still pulls weights toward 0.
 * Reported losses are L itself (rising during ascent), not −L.
 *
 * Clipping. `maxGradNorm` is torch's `clip_grad_norm_(params, maxGradNorm)` (task_vectors uses 1.0):
 * coefficient min(1, max / (‖g‖ + 1e-6)) on the global L2 norm, folded into the AdamW update.
 *
 * Cancel / resume. `signal` is checked before every batch; a cancelled run leaves the weights of its
 * last completed step and returns `state` ({ step, plan, optimizer state }). Passing that state as
 * `resumeFrom` (with the same weights, sampler and schedule) continues exactly: 5 + 5 steps equal 10
 * steps bit for bit on the same backend.
 */
import { tf } from '../tf';
import { Rng } from '../rng';
import { AdamW, disposeAdamWState, type AdamWState } from './adamw';
import type { LrSchedule } from './schedule';
import { yieldMacrotask } from '../cancel';

export class TrainConfigError extends Error {
  readonly code: 'TRAIN_CONFIG' | 'TRAIN_RESUME_MISMATCH';
  constructor(code: TrainConfigError['code'], message: string) {
    super(message);
    this.name = 'TrainConfigError';
    this.code = code;
  }
}

/** Thrown when a step's loss or gradient norm is NaN/Inf. The weights are those of the last good step. */
export class TrainingDivergedError extends Error {
  readonly code = 'TRAINING_DIVERGED';
  constructor(
    /** 0-based index of the step that was rejected (== number of steps applied so far). */
    readonly step: number,
    readonly epoch: number,
    readonly loss: number,
    readonly gradNorm: number,
    /** Losses of the steps this run applied before the bad one. */
    readonly losses: Float32Array,
  ) {
    super(
      `training diverged at step ${step} (epoch ${epoch}): loss ${loss}, gradient norm ${gradNorm}. ` +
        'The update was not applied; the weights are those of the last good step. ' +
        'Lower the learning rate, enable gradient clipping, or check the inputs for NaN.',
    );
    this.name = 'TrainingDivergedError';
  }
}

/** The data order: a function of these numbers only. */
export interface SamplerConfig {
  datasetSize: number;
  batchSize: number;
  epochs: number;
  seed: number;
  /** Drop the last partial batch of each epoch (default false: keep it, like torch's DataLoader). */
  dropLast?: boolean;
}

export interface TrainPlan {
  datasetSize: number;
  batchSize: number;
  epochs: number;
  seed: number;
  dropLast: boolean;
  stepsPerEpoch: number;
  totalSteps: number;
}

/** Number of batches per epoch and in total for a sampler config (validates it). */
export function planSteps(s: SamplerConfig): TrainPlan {
  const { datasetSize, batchSize, epochs, seed } = s;
  const dropLast = s.dropLast ?? false;
  const posInt = (x: number) => Number.isInteger(x) && x > 0;
  if (!posInt(datasetSize)) throw new TrainConfigError('TRAIN_CONFIG', `datasetSize must be a positive integer, got ${datasetSize}`);
  if (!posInt(batchSize)) throw new TrainConfigError('TRAIN_CONFIG', `batchSize must be a positive integer, got ${batchSize}`);
  if (!posInt(epochs)) throw new TrainConfigError('TRAIN_CONFIG', `epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(seed)) throw new TrainConfigError('TRAIN_CONFIG', `seed must be an integer, got ${seed}`);
  const stepsPerEpoch = dropLast ? Math.floor(datasetSize / batchSize) : Math.ceil(datasetSize / batchSize);
  if (stepsPerEpoch === 0) {
    throw new TrainConfigError(
      'TRAIN_CONFIG',
      `dropLast with ${datasetSize} examples and batch size ${batchSize} leaves no full batch; lower the batch size`,
    );
  }
  return { datasetSize, batchSize, epochs, seed, dropLast, stepsPerEpoch, totalSteps: stepsPerEpoch * epochs };
}

/** The example order of one epoch (a permutation of 0..datasetSize−1). */
export function epochOrder(plan: TrainPlan, epoch: number): Int32Array {
  const rng = new Rng(plan.seed).fork(`train-epoch:${epoch}`);
  return Int32Array.from(rng.permutation(plan.datasetSize));
}

/** Example indices of global step `step` (0-based). */
export function batchIndices(plan: TrainPlan, step: number, order?: Int32Array): Int32Array {
  const epoch = Math.floor(step / plan.stepsPerEpoch);
  const i = step % plan.stepsPerEpoch;
  const perm = order ?? epochOrder(plan, epoch);
  const start = i * plan.batchSize;
  return perm.slice(start, Math.min(start + plan.batchSize, plan.datasetSize));
}

/** Where a run stopped: enough to continue it exactly. Tensors inside are owned by the holder. */
export interface TrainState {
  /** Number of steps applied (the next step to run). */
  step: number;
  plan: TrainPlan;
  optimizer: AdamWState;
}

export function disposeTrainState(state: TrainState): void {
  disposeAdamWState(state.optimizer);
}

export interface ProgressEvent {
  /** Steps completed so far (1-based after the first step). */
  step: number;
  totalSteps: number;
  /** 0-based epoch of the step just completed. */
  epoch: number;
  /** Loss L of the step just completed (L itself also during ascent). */
  loss: number;
  /** Global gradient norm of that step, before clipping. */
  gradNorm: number;
  /** Learning rate used for that step. */
  lr: number;
  /** Throughput since the previous progress event. */
  imagesPerSec: number;
  /** Wall time since this call of `train` started. */
  elapsedMs: number;
}

export interface TrainOptions<B extends tf.TensorContainer> {
  /** The trainable set, keyed by name (the optimizer must have been built on the same map). */
  variables: Map<string, tf.Variable>;
  /**
   * Scalar loss of a batch, the MEAN over its examples (chunks of a batch are weighted by their share);
   * evaluated inside tf.variableGrads (intermediates are freed by it).
   */
  lossFn: (batch: B) => tf.Scalar;
  sampler: SamplerConfig;
  /** Tensors for a batch of example indices; the loop disposes them after the step. */
  makeBatch: (indices: Int32Array) => B;
  optimizer: AdamW;
  schedule: LrSchedule;
  onProgress?: (ev: ProgressEvent) => void;
  /** Checked before every batch. */
  signal?: AbortSignal;
  resumeFrom?: TrainState;
  /** Global-norm gradient clipping (torch clip_grad_norm_); off when undefined. */
  maxGradNorm?: number;
  /** 'ascent' minimises −L (gradient-ascent unlearning). Default 'descent'. */
  direction?: 'descent' | 'ascent';
  /** Call onProgress every N steps (and after the last step). Default 1. */
  progressEvery?: number;
  /**
   * Gradient accumulation: run each step's batch in chunks of at most this many examples and sum their
   * gradients (batchGradients), when the device cannot hold the whole batch. The step, its schedule
   * and the sampler are the batch's, as without it. Default: the whole batch at once.
   */
  microBatchSize?: number;
}

export interface TrainResult {
  /** Loss L of each step this call applied, in order. */
  losses: Float32Array;
  /** Resumable state (its tensors share memory with the optimizer; dispose with disposeTrainState). */
  state: TrainState;
  stopped: 'done' | 'cancelled';
}

function samePlan(a: TrainPlan, b: TrainPlan): boolean {
  return (
    a.datasetSize === b.datasetSize &&
    a.batchSize === b.batchSize &&
    a.epochs === b.epochs &&
    a.seed === b.seed &&
    a.dropLast === b.dropLast
  );
}

/** torch clip_grad_norm_'s coefficient, in float32 like torch computes it on the device. */
export function clipCoefficient(gradNorm: number, maxNorm: number): number {
  const f = Math.fround;
  const coef = f(f(maxNorm) / f(f(gradNorm) + f(1e-6)));
  return Math.min(coef, 1);
}

/**
 * The loss (−L for ascent) and its gradients for one step's examples, keyed by variable name; the
 * caller disposes both. The whole batch at once when `microBatch` is absent or ≥ its size. Otherwise
 * in chunks of at most `microBatch` examples, each chunk's mean loss weighted by its share n_c / n of
 * the batch, gradients summed as they come: Σ_c (n_c / n)·mean_c L = mean L, so the optimizer gets
 * the batch's gradient (up to float summation order) while the device holds one chunk's activations
 * and one extra set of gradients. Each chunk's tensors are disposed before the next is made.
 */
async function batchGradients<B extends tf.TensorContainer>(
  indices: Int32Array,
  microBatch: number | undefined,
  makeBatch: (indices: Int32Array) => B,
  lossFn: (batch: B) => tf.Scalar,
  ascent: boolean,
  varList: tf.Variable[],
): Promise<{ value: tf.Scalar; grads: tf.NamedTensorMap }> {
  const n = indices.length;
  const whole = microBatch === undefined || microBatch >= n;
  let value: tf.Scalar | null = null;
  let acc: tf.NamedTensorMap | null = null;
  try {
    for (let start = 0; start < n; start += whole ? n : microBatch!) {
      const part = whole ? indices : indices.subarray(start, Math.min(start + microBatch!, n));
      const weight = part.length / n;
      const batch = makeBatch(part);
      try {
        const r = tf.variableGrads(() => {
          const l = lossFn(batch);
          const signed = ascent ? tf.neg(l) : l;
          return whole ? signed : (tf.mul(signed, weight) as tf.Scalar);
        }, varList);
        if (!acc) {
          acc = r.grads;
          value = r.value;
          continue;
        }
        for (const [name, g] of Object.entries(r.grads)) {
          if (g == null) continue;
          const prev = acc[name];
          acc[name] = prev ? tf.add(prev, g) : g;
          if (prev) tf.dispose([prev, g]); // one variable's sum at a time
        }
        const v: tf.Scalar = tf.add(value!, r.value);
        tf.dispose([value!, r.value]);
        value = v;
      } finally {
        tf.dispose(batch);
      }
      if (!whole) await yieldMacrotask(); // the worker stays responsive between the chunks of a long step
    }
    return { value: value!, grads: acc! };
  } catch (e) {
    if (value) value.dispose();
    if (acc) tf.dispose(Object.values(acc).filter((g) => g != null));
    throw e;
  }
}

export async function train<B extends tf.TensorContainer>(opts: TrainOptions<B>): Promise<TrainResult> {
  const { variables, lossFn, makeBatch, optimizer, schedule, onProgress, signal, resumeFrom, maxGradNorm, microBatchSize } = opts;
  const ascent = (opts.direction ?? 'descent') === 'ascent';
  const progressEvery = opts.progressEvery ?? 1;
  const plan = planSteps(opts.sampler);

  // --- validation -------------------------------------------------------------------------------
  if (!Number.isInteger(progressEvery) || progressEvery < 1) {
    throw new TrainConfigError('TRAIN_CONFIG', `progressEvery must be a positive integer, got ${progressEvery}`);
  }
  if (microBatchSize !== undefined && !(Number.isInteger(microBatchSize) && microBatchSize > 0)) {
    throw new TrainConfigError('TRAIN_CONFIG', `microBatchSize must be a positive integer, got ${microBatchSize}`);
  }
  if (maxGradNorm !== undefined && !(maxGradNorm > 0 && Number.isFinite(maxGradNorm))) {
    throw new TrainConfigError('TRAIN_CONFIG', `maxGradNorm must be a positive number, got ${maxGradNorm}`);
  }
  if (variables.size === 0) throw new TrainConfigError('TRAIN_CONFIG', 'no variables to train');
  const keyOfVarName = new Map<string, string>();
  for (const [key, v] of variables) {
    if (!v.trainable) {
      throw new TrainConfigError('TRAIN_CONFIG', `variable "${key}" is not trainable (tf.variable(x, true) is required)`);
    }
    keyOfVarName.set(v.name, key);
  }
  if (!optimizer.isBuiltOn(variables)) {
    throw new TrainConfigError('TRAIN_CONFIG', 'the optimizer was built on a different set of variables than `variables`');
  }
  let step = 0;
  if (resumeFrom) {
    if (!samePlan(resumeFrom.plan, plan)) {
      throw new TrainConfigError(
        'TRAIN_RESUME_MISMATCH',
        'the saved state was made with a different dataset size, batch size, epochs, seed or dropLast; ' +
          'resume with the same sampler settings or start a new run',
      );
    }
    if (!Number.isInteger(resumeFrom.step) || resumeFrom.step < 0 || resumeFrom.step > plan.totalSteps) {
      throw new TrainConfigError('TRAIN_RESUME_MISMATCH', `saved step ${resumeFrom.step} is outside [0, ${plan.totalSteps}]`);
    }
    optimizer.setState(resumeFrom.optimizer);
    step = resumeFrom.step;
  }

  // --- loop -------------------------------------------------------------------------------------
  const varList = [...variables.values()];
  const losses: number[] = [];
  const t0 = performance.now();
  let lastEventTime = t0;
  let imagesSinceEvent = 0;
  let orderEpoch = -1;
  let order: Int32Array | null = null;
  let stopped: TrainResult['stopped'] = 'done';

  while (step < plan.totalSteps) {
    if (signal?.aborted) {
      stopped = 'cancelled';
      break;
    }
    const epoch = Math.floor(step / plan.stepsPerEpoch);
    if (epoch !== orderEpoch) {
      order = epochOrder(plan, epoch);
      orderEpoch = epoch;
    }
    const indices = batchIndices(plan, step, order!);
    const lr = schedule(step, plan.totalSteps);
    let value: tf.Scalar | null = null;
    let grads: tf.NamedTensorMap = {};
    let stats: tf.Tensor | null = null;
    try {
      ({ value, grads } = await batchGradients(indices, microBatchSize, makeBatch, lossFn, ascent, varList));
      const gradList = Object.values(grads).filter((g): g is tf.Tensor => g != null);
      stats = tf.tidy(() => {
        const sq = gradList.length === 1 ? tf.sum(tf.square(gradList[0])) : tf.addN(gradList.map((g) => tf.sum(tf.square(g))));
        return tf.stack([value!, sq]); //                                                                 [2]
      });
      const [v0, sq] = await stats.data();
      const loss = ascent ? -v0 : v0;
      const gradNorm = Math.sqrt(sq);
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        throw new TrainingDivergedError(step, epoch, loss, gradNorm, Float32Array.from(losses));
      }
      const keyed = new Map<string, tf.Tensor>();
      for (const [name, g] of Object.entries(grads)) {
        if (g != null) keyed.set(keyOfVarName.get(name)!, g);
      }
      const gradScale = maxGradNorm !== undefined ? clipCoefficient(gradNorm, maxGradNorm) : 1;
      optimizer.step(keyed, lr, { gradScale });
      losses.push(loss);
      step++;
      imagesSinceEvent += indices.length;
      if (onProgress && (step % progressEvery === 0 || step === plan.totalSteps)) {
        const now = performance.now();
        onProgress({
          step,
          totalSteps: plan.totalSteps,
          epoch,
          loss,
          gradNorm,
          lr,
          imagesPerSec: (imagesSinceEvent * 1000) / Math.max(now - lastEventTime, 1e-3),
          elapsedMs: now - t0,
        });
        lastEventTime = now;
        imagesSinceEvent = 0;
      }
    } finally {
      if (value) value.dispose();
      tf.dispose(Object.values(grads).filter((g) => g != null));
      if (stats) stats.dispose();
    }
    await yieldMacrotask();
  }

  return {
    losses: Float32Array.from(losses),
    state: { step, plan, optimizer: optimizer.getState() },
    stopped,
  };
}
