/**
 * Task vectors (Ilharco et al. 2022, "Editing models with task arithmetic"), as plain as
 * mlfoundations/task_vectors' `TaskVector` class, over the fine-tuned tower only.
 *
 *   τ = θ_ft − θ_pre                          task vector (TBAR paper §3)
 *   θ_new = θ_pre + α·τ  /  θ_pre + Σ_k α_k·τ_k   task arithmetic (§3); negation = negative α
 *   τ̂_t = θ_{b+t} − θ_b                       TBAR's trigger vector (eq. 4)
 *   θ̂_c = θ_b − α·τ̂_t                         TBAR's cleaned model (eq. 5) = applyTo(θ_b, −α)
 *
 * Scope: the tensors the fine-tuning changes, `vision_model.*` and `visual_projection.weight` (the
 * text tower, logit_scale and integer buffers such as position_ids are skipped, as task_vectors skips
 * int64/uint8 entries). Where task_vectors prints a warning for a key missing on one side, this throws.
 *
 * A TaskVector owns its tensors (dispose() frees them). Operations return new vectors; inputs are left
 * alone. Norms and dot products are reduced on the device and read once (async).
 */
import { tf } from '../tf';
import { isVisionWeight } from '../clip/config';
import type { ClipModel } from '../clip/model';

/** Weights by HF name. */
export type WeightMap = Map<string, tf.Tensor>;

export class TaskVectorError extends Error {
  readonly code: 'key-mismatch' | 'shape-mismatch' | 'disposed' | 'empty';
  constructor(code: TaskVectorError['code'], message: string) {
    super(message);
    this.name = 'TaskVectorError';
    this.code = code;
  }
}

const isFloat = (t: tf.Tensor) => t.dtype === 'float32';
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

export class TaskVector {
  private disposed = false;

  /** Takes ownership of `tensors`. */
  constructor(readonly tensors: Map<string, tf.Tensor>) {
    if (tensors.size === 0) throw new TaskVectorError('empty', 'a task vector needs at least one tensor');
  }

  /**
   * τ = a − b over the names `filter` accepts (default: the vision tower) that are float tensors;
   * e.g. fromDifference(θ_ft, θ_pre), or τ̂_t = fromDifference(θ_{b+t}, θ_b) (eq. 4).
   */
  static fromDifference(a: WeightMap, b: WeightMap, filter: (name: string) => boolean = isVisionWeight): TaskVector {
    const names = [...b.keys()].filter((n) => filter(n) && isFloat(b.get(n)!));
    const missing = names.filter((n) => !a.has(n));
    const extra = [...a.keys()].filter((n) => filter(n) && isFloat(a.get(n)!) && !b.has(n));
    if (missing.length || extra.length) {
      throw new TaskVectorError('key-mismatch', `the two checkpoints hold different tensors (only in the second: ${missing.slice(0, 4).join(', ')}; only in the first: ${extra.slice(0, 4).join(', ')})`);
    }
    const out = new Map<string, tf.Tensor>();
    for (const n of names) {
      const x = a.get(n)!;
      const y = b.get(n)!;
      if (!sameShape(x.shape, y.shape)) throw new TaskVectorError('shape-mismatch', `${n}: [${x.shape}] vs [${y.shape}]`);
    }
    for (const n of names) out.set(n, tf.sub(a.get(n)!, b.get(n)!));
    return new TaskVector(out);
  }

  get names(): string[] {
    return [...this.tensors.keys()];
  }

  /** c·τ. */
  scale(c: number): TaskVector {
    this.check();
    return new TaskVector(this.map((t) => tf.mul(t, c)));
  }

  /** −τ (task_vectors' __neg__). */
  negate(): TaskVector {
    this.check();
    return new TaskVector(this.map((t) => tf.neg(t)));
  }

  /** τ + o (task_vectors' __add__; keys must match). */
  add(o: TaskVector): TaskVector {
    this.check();
    o.check();
    this.checkSameKeys(o);
    return new TaskVector(this.map((t, n) => tf.add(t, o.tensors.get(n)!)));
  }

  /** ⟨τ, o⟩ = Σ over all tensors of the elementwise products. */
  async dot(o: TaskVector): Promise<number> {
    this.check();
    o.check();
    this.checkSameKeys(o);
    const s = tf.tidy(() => tf.addN(this.names.map((n) => tf.sum(tf.mul(this.tensors.get(n)!, o.tensors.get(n)!)))));
    try {
      return (await s.data())[0];
    } finally {
      s.dispose();
    }
  }

  /** ‖τ‖₂ over all tensors together. */
  async norm(): Promise<number> {
    this.check();
    const s = tf.tidy(() => tf.addN(this.names.map((n) => tf.sum(tf.square(this.tensors.get(n)!)))));
    try {
      return Math.sqrt((await s.data())[0]);
    } finally {
      s.dispose();
    }
  }

  /** cos(τ, o) = ⟨τ, o⟩ / (‖τ‖·‖o‖); 0 when either is the zero vector. */
  async cosine(o: TaskVector): Promise<number> {
    const [d, a, b] = [await this.dot(o), await this.norm(), await o.norm()];
    return a > 0 && b > 0 ? d / (a * b) : 0;
  }

  /**
   * base + coef·τ for the names of τ (task_vectors' apply_to(pretrained, scaling_coef)); a partial
   * weight map the caller owns (feed it to ClipModel.setWeights, then dispose it). Eq. 5 is
   * applyTo(θ_b, −α).
   */
  applyTo(base: WeightMap, coef = 1): WeightMap {
    return applySum(base, [[this, coef]]);
  }

  /** Copies of the tensors (owned by the caller), e.g. to export. */
  clone(): TaskVector {
    this.check();
    return new TaskVector(this.map((t) => tf.clone(t)));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose([...this.tensors.values()]);
    this.tensors.clear();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** @internal */
  check(): void {
    if (this.disposed) throw new TaskVectorError('disposed', 'this task vector was disposed');
  }

  private checkSameKeys(o: TaskVector): void {
    if (o.tensors.size !== this.tensors.size || this.names.some((n) => !o.tensors.has(n))) {
      throw new TaskVectorError('key-mismatch', 'the two task vectors cover different tensors');
    }
    for (const n of this.names) {
      if (!sameShape(this.tensors.get(n)!.shape, o.tensors.get(n)!.shape)) {
        throw new TaskVectorError('shape-mismatch', `${n}: [${this.tensors.get(n)!.shape}] vs [${o.tensors.get(n)!.shape}]`);
      }
    }
  }

  private map(f: (t: tf.Tensor, name: string) => tf.Tensor): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [n, t] of this.tensors) out.set(n, tf.tidy(() => f(t, n)));
    return out;
  }
}

/** Check that the vectors cover the same names and `base` holds them with the same shapes; returns the names. */
function checkTerms(base: WeightMap, terms: [TaskVector, number][]): string[] {
  if (terms.length === 0) throw new TaskVectorError('empty', 'task arithmetic needs at least one task vector');
  for (const [v] of terms) v.check();
  const names = terms[0][0].names;
  for (const [v] of terms.slice(1)) {
    if (v.tensors.size !== names.length || names.some((n) => !v.tensors.has(n))) {
      throw new TaskVectorError('key-mismatch', 'the task vectors cover different tensors');
    }
  }
  const missing = names.filter((n) => !base.has(n));
  if (missing.length) throw new TaskVectorError('key-mismatch', `the base weights lack ${missing.slice(0, 4).join(', ')}`);
  for (const n of names) {
    for (const [v] of terms) {
      if (!sameShape(v.tensors.get(n)!.shape, base.get(n)!.shape)) {
        throw new TaskVectorError('shape-mismatch', `${n}: [${v.tensors.get(n)!.shape}] vs base [${base.get(n)!.shape}]`);
      }
    }
  }
  return names;
}

/**
 * The coefficients c_k as scalar tensors, made once per call and shared by every tensor of the tower
 * (null where c_k = 0: that term is skipped). A JS number in `tf.mul(τ, c)` would be uploaded anew for
 * each of the tower's tensors; on WebGPU an upload into a pooled buffer goes through a staging copy
 * that also ends the compute pass.
 */
function withCoefficients<T>(terms: [TaskVector, number][], f: (coefs: (tf.Scalar | null)[]) => T): T {
  const coefs = terms.map(([, c]) => (c === 0 ? null : tf.scalar(c)));
  try {
    return f(coefs);
  } finally {
    for (const c of coefs) c?.dispose();
  }
}

/** base[n] + Σ c_k·τ_k[n] for one tensor (a new tensor); `coefs` from withCoefficients. */
function sumOne(base: WeightMap, terms: [TaskVector, number][], coefs: (tf.Scalar | null)[], n: string): tf.Tensor {
  const b = base.get(n)!;
  return tf.tidy(() => {
    let acc: tf.Tensor = b;
    terms.forEach(([v], k) => {
      const c = coefs[k];
      if (c) acc = tf.add(acc, tf.mul(v.tensors.get(n)!, c));
    });
    return acc === b ? tf.clone(b) : acc;
  });
}

/**
 * θ = base + Σ_k c_k·τ_k (multi-task arithmetic, §3), over the names of the vectors (all must cover
 * the same names, and base must hold them). Returns a new partial weight map owned by the caller.
 */
export function applySum(base: WeightMap, terms: [TaskVector, number][]): WeightMap {
  const names = checkTerms(base, terms);
  return withCoefficients(terms, (coefs) => new Map(names.map((n) => [n, sumOne(base, terms, coefs, n)])));
}

/** Copies of a model's weights (default: the vision tower), owned by the caller: θ_pre, θ_b, … */
export function cloneWeights(model: ClipModel, filter: (name: string) => boolean = isVisionWeight): WeightMap {
  const out = new Map<string, tf.Tensor>();
  for (const [n, v] of model.getWeights(filter)) out.set(n, tf.clone(v));
  return out;
}

/** Copies of a weight map, owned by the caller. */
export function copyWeights(w: WeightMap): WeightMap {
  const out = new Map<string, tf.Tensor>();
  for (const [n, t] of w) out.set(n, tf.clone(t));
  return out;
}

export function disposeWeights(w: WeightMap | null | undefined): void {
  if (!w) return;
  tf.dispose([...w.values()]);
  w.clear();
}

/**
 * Set the model's weights to base + Σ c_k·τ_k, one tensor at a time (peak memory: one extra tensor,
 * not a second copy of the tower — this runs for every α of a sweep and every cell of a ξ grid).
 */
export function loadArithmetic(model: ClipModel, base: WeightMap, terms: [TaskVector, number][]): void {
  if (terms.length === 0) {
    model.setWeights(base);
    return;
  }
  const names = checkTerms(base, terms);
  withCoefficients(terms, (coefs) => {
    for (const n of names) {
      const t = sumOne(base, terms, coefs, n);
      try {
        model.setWeights(new Map([[n, t]]));
      } finally {
        t.dispose();
      }
    }
  });
}
