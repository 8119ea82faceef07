/**
 * AdamW exactly as `torch.optim.AdamW` (torch 1.13, single-tensor path, amsgrad=False), the
 * optimizer of task_vectors' finetune.py and of the TBAR paper (appendix A.2).
 *
 * For each parameter p with gradient g, at its own step count t (1-based):
 *
 *   p ← p · (1 − lr·wd)                         decoupled weight decay (before the Adam step)
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / ( sqrt(v) / sqrt(1 − β2^t) + eps )
 *
 * The last line is evaluated in the equivalent folded form (Kingma & Ba's "efficient version", the
 * same algebra as torch's `capturable` branch):
 *
 *   p ← p + ŝ · m / (sqrt(v) + ε̂),   ŝ = −lr·sqrt(1 − β2^t)/(1 − β1^t),   ε̂ = eps·sqrt(1 − β2^t)
 *
 * which saves one full-size kernel per variable. Scalars are computed in float64 and rounded to
 * float32 on upload (as torch rounds its Python scalars); results agree with torch's float32 run to a
 * few ulps (tests/train.adamw.test.ts checks 1e-6 relative against a torch golden).
 *
 * Like torch, a variable that gets no gradient in a step is left alone entirely (no weight decay, its
 * step count does not advance). State (m, v) lives in tf.Variables created up front (zeros, like
 * torch's lazily created state), the per-variable step counts in plain numbers.
 *
 * Cost per variable per step: 13 elementwise kernels (12 without weight decay) + 3 assigns, inside one tf.tidy so temporaries
 * are freed variable by variable (peak memory = model + m + v + grads + a few copies of the largest
 * tensor, not of the whole model). Scalars are uploaded once per step and shared.
 *
 * `gradScale` folds a gradient multiplier (global-norm clipping) into the (1−β) scalars at no extra
 * kernel: m gets (1−β1)·s·g and v gets (1−β2)·s²·g², which equals torch's clip-then-step up to float
 * rounding of the folded scalar (~1e-7 relative).
 */
import { tf } from '../tf';

export class OptimizerError extends Error {
  readonly code: 'OPTIMIZER_CONFIG' | 'OPTIMIZER_GRADS' | 'OPTIMIZER_STATE' | 'OPTIMIZER_DISPOSED';
  constructor(code: OptimizerError['code'], message: string) {
    super(message);
    this.name = 'OptimizerError';
    this.code = code;
  }
}

export interface AdamWOptions {
  /** (β1, β2); torch default (0.9, 0.999). */
  betas?: [number, number];
  /** Added to sqrt(v̂); torch default 1e-8. */
  eps?: number;
  /** Decoupled weight decay; torch default 0.01 (task_vectors / the paper use 0.1: TASK_VECTORS_WEIGHT_DECAY). */
  weightDecay?: number;
}

/** task_vectors' `--wd` default, used by the TBAR paper's fine-tuning runs. */
export const TASK_VECTORS_WEIGHT_DECAY = 0.1;

export interface AdamWSlotState {
  /** First moment, same shape as the variable. */
  m: tf.Tensor;
  /** Second moment, same shape as the variable. */
  v: tf.Tensor;
  /** Number of updates this variable has received (torch's per-parameter `state['step']`). */
  step: number;
}

/**
 * A snapshot of the optimizer state. Tensors are owned by whoever holds the snapshot (getState returns
 * clones, which share memory with the live state until the next update; dispose them when done).
 */
export interface AdamWState {
  /** Number of `step()` calls. */
  step: number;
  slots: Map<string, AdamWSlotState>;
}

interface Slot {
  param: tf.Variable;
  m: tf.Variable;
  v: tf.Variable;
  step: number;
}

export type GradMap = Map<string, tf.Tensor> | tf.NamedTensorMap;

function entriesOf(grads: GradMap): [string, tf.Tensor][] {
  return grads instanceof Map ? [...grads.entries()] : Object.entries(grads);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly slots = new Map<string, Slot>();
  private stepCount = 0;
  private disposed = false;

  /** `variables`: the trainable set, keyed by the names the gradients will use. */
  constructor(variables: Map<string, tf.Variable>, opts: AdamWOptions = {}) {
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    const eps = opts.eps ?? 1e-8;
    const wd = opts.weightDecay ?? 0.01;
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) {
      throw new OptimizerError('OPTIMIZER_CONFIG', `betas must lie in [0, 1), got (${b1}, ${b2})`);
    }
    if (!(eps >= 0 && Number.isFinite(eps))) throw new OptimizerError('OPTIMIZER_CONFIG', `eps must be ≥ 0, got ${eps}`);
    if (!(wd >= 0 && Number.isFinite(wd))) {
      throw new OptimizerError('OPTIMIZER_CONFIG', `weightDecay must be ≥ 0, got ${wd}`);
    }
    this.beta1 = b1;
    this.beta2 = b2;
    this.eps = eps;
    this.weightDecay = wd;
    for (const [name, param] of variables) {
      if (param.dtype !== 'float32') {
        throw new OptimizerError('OPTIMIZER_CONFIG', `variable "${name}" is ${param.dtype}; AdamW trains float32 only`);
      }
      // tidy frees the zerosLike temporaries; variables are not tidied.
      const m = tf.tidy(() => tf.variable(tf.zerosLike(param), false));
      const v = tf.tidy(() => tf.variable(tf.zerosLike(param), false));
      this.slots.set(name, { param, m, v, step: 0 });
    }
  }

  /** Number of `step()` calls so far. */
  get iterations(): number {
    return this.stepCount;
  }

  /** Names of the variables this optimizer updates. */
  get names(): string[] {
    return [...this.slots.keys()];
  }

  /** Whether this optimizer was built on exactly these variables (same names, same tf.Variable objects). */
  isBuiltOn(variables: Map<string, tf.Variable>): boolean {
    if (variables.size !== this.slots.size) return false;
    for (const [name, v] of variables) if (this.slots.get(name)?.param !== v) return false;
    return true;
  }

  /**
   * One AdamW update with learning rate `lr` (already scheduled). Gradients are keyed like the
   * variable map given to the constructor; the caller keeps ownership of them.
   */
  step(grads: GradMap, lr: number, opts: { gradScale?: number } = {}): void {
    this.checkAlive();
    if (!(Number.isFinite(lr) && lr >= 0)) throw new OptimizerError('OPTIMIZER_CONFIG', `lr must be finite and ≥ 0, got ${lr}`);
    const scale = opts.gradScale ?? 1;
    if (!(Number.isFinite(scale) && scale >= 0)) {
      throw new OptimizerError('OPTIMIZER_CONFIG', `gradScale must be finite and ≥ 0, got ${scale}`);
    }
    const entries = entriesOf(grads);
    // Validate everything before touching any weight, so a bad call never half-applies.
    for (const [name, g] of entries) {
      const slot = this.slots.get(name);
      if (!slot) throw new OptimizerError('OPTIMIZER_GRADS', `gradient for "${name}", which this optimizer does not train`);
      if (g == null) continue;
      if (!sameShape(g.shape, slot.param.shape)) {
        throw new OptimizerError(
          'OPTIMIZER_GRADS',
          `gradient for "${name}" has shape [${g.shape}], the variable has [${slot.param.shape}]`,
        );
      }
    }
    const { beta1: b1, beta2: b2, eps, weightDecay: wd } = this;
    // Step-independent scalars (float64 here, rounded to float32 on upload, as torch does).
    const shared = {
      b1: tf.scalar(b1),
      b2: tf.scalar(b2),
      c1: tf.scalar((1 - b1) * scale),
      c2: tf.scalar((1 - b2) * scale * scale),
      decay: tf.scalar(1 - lr * wd),
    };
    // Bias-correction scalars per distinct step count (normally one).
    const perStep = new Map<number, { epsHat: tf.Scalar; stepHat: tf.Scalar }>();
    try {
      for (const [name, g] of entries) {
        if (g == null) continue;
        const slot = this.slots.get(name)!;
        const t = slot.step + 1;
        let bc = perStep.get(t);
        if (!bc) {
          const bc2Sqrt = Math.sqrt(1 - b2 ** t);
          bc = { epsHat: tf.scalar(eps * bc2Sqrt), stepHat: tf.scalar(-(lr * bc2Sqrt) / (1 - b1 ** t)) };
          perStep.set(t, bc);
        }
        const { epsHat, stepHat } = bc;
        tf.tidy(() => {
          const p = slot.param;
          const p1 = wd !== 0 ? tf.mul(p, shared.decay) : p; //                     p·(1 − lr·wd)
          const m1 = tf.add(tf.mul(slot.m, shared.b1), tf.mul(g, shared.c1)); //    β1·m + (1−β1)·g
          const v1 = tf.add(tf.mul(slot.v, shared.b2), tf.mul(tf.square(g), shared.c2)); // β2·v + (1−β2)·g²
          const p2 = tf.add(p1, tf.div(tf.mul(m1, stepHat), tf.add(tf.sqrt(v1), epsHat))); // p + ŝ·m/(√v + ε̂)
          slot.m.assign(m1);
          slot.v.assign(v1);
          p.assign(p2);
        });
        slot.step = t;
      }
      this.stepCount++;
    } finally {
      tf.dispose(Object.values(shared));
      for (const bc of perStep.values()) tf.dispose([bc.epsHat, bc.stepHat]);
    }
  }

  /** A snapshot of the state (clones: cheap, they share memory until the next update). Caller disposes. */
  getState(): AdamWState {
    this.checkAlive();
    const slots = new Map<string, AdamWSlotState>();
    for (const [name, s] of this.slots) slots.set(name, { m: tf.clone(s.m), v: tf.clone(s.v), step: s.step });
    return { step: this.stepCount, slots };
  }

  /** Restore a snapshot (must cover exactly this optimizer's variables). The caller keeps ownership of `state`. */
  setState(state: AdamWState): void {
    this.checkAlive();
    if (state.slots.size !== this.slots.size) {
      throw new OptimizerError(
        'OPTIMIZER_STATE',
        `state has ${state.slots.size} variables, this optimizer trains ${this.slots.size}`,
      );
    }
    for (const [name, s] of this.slots) {
      const st = state.slots.get(name);
      if (!st) throw new OptimizerError('OPTIMIZER_STATE', `state has no entry for "${name}"`);
      if (!sameShape(st.m.shape, s.param.shape) || !sameShape(st.v.shape, s.param.shape)) {
        throw new OptimizerError('OPTIMIZER_STATE', `state for "${name}" does not match the variable's shape [${s.param.shape}]`);
      }
      if (st.m.dtype !== 'float32' || st.v.dtype !== 'float32') {
        throw new OptimizerError('OPTIMIZER_STATE', `state for "${name}" must be float32`);
      }
      if (!Number.isInteger(st.step) || st.step < 0) {
        throw new OptimizerError('OPTIMIZER_STATE', `state for "${name}" has an invalid step ${st.step}`);
      }
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new OptimizerError('OPTIMIZER_STATE', `invalid optimizer step ${state.step}`);
    }
    for (const [name, s] of this.slots) {
      const st = state.slots.get(name)!;
      s.m.assign(st.m);
      s.v.assign(st.v);
      s.step = st.step;
    }
    this.stepCount = state.step;
  }

  /** Free m and v (not the trained variables). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.slots.values()) tf.dispose([s.m, s.v]);
    this.slots.clear();
  }

  private checkAlive(): void {
    if (this.disposed) throw new OptimizerError('OPTIMIZER_DISPOSED', 'this AdamW optimizer has been disposed');
  }
}

/** Dispose the tensors of a state snapshot from `AdamW.getState()`. */
export function disposeAdamWState(state: AdamWState): void {
  for (const s of state.slots.values()) tf.dispose([s.m, s.v]);
}
