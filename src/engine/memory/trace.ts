/**
 * A symbolic trace of one vision-tower training step of clip/model.ts, op by op, as tfjs 4.22 runs
 * it: every tensor an op allocates, every tensor it keeps for the backward pass (the gradient
 * configs' `inputsToSave` / `outputsToSave` and our custom ops' `save([...])`), and every gradient
 * buffer the backward pass allocates. memory/plan.ts sums it; tests/memory.plan.test.ts checks the
 * sums against the bytes really allocated by tfjs-wasm during a step.
 *
 * Three facts of tfjs decide the numbers (checked in tfjs-core 4.22 engine.ts / tape.ts and the
 * backends' Identity kernels):
 * 1. Forward intermediates live until the enclosing tf.tidy ends (encodeImage's), not until last use.
 * 2. A saved tensor is `keep(clone(t))`. clone runs the Identity kernel, which SHARES the buffer on
 *    WebGPU and CPU but COPIES it on WASM — so on WASM every save is a copy, one per saving op (the
 *    LayerNorm output h is saved by q, k and v: three copies), weights included (each linear saves
 *    its weight matrix: a full copy of the vision weights per step).
 * 3. The backward pass runs in one tidy and `backpropagateGradients` never frees a dy, so every
 *    gradient it computes, and every temporary of our tf.customGrad gradient functions (they run
 *    outside the per-input tidy), lives until the whole backward pass ends.
 *
 * Sizes are float32 element counts. B batch, T = g²+1 tokens, N = B·T rows, D width, I MLP width,
 * H heads, S image side, P patch, E projection, C classes.
 */
import type { CLIPConfig } from '../clip/config';
import { visionPositions } from '../clip/config';

type Kind = 'act' | 'var' | 'input' | 'internal';

/** A tensor of the trace. Views (reshape) point at their base buffer. */
export interface TraceTensor {
  size: number;
  kind: Kind;
  base?: TraceTensor;
}

export interface TraceOp {
  name: string;
  /** Buffers this op allocates that outlive it (outputs; internal tensors it saves). */
  alloc: TraceTensor[];
  /** Tensors kept for the backward pass (one entry per save, duplicates across ops allowed). */
  saves: TraceTensor[];
  /** Elements the backward pass allocates for this op (kept until the pass ends). */
  back: number;
}

export class StepTrace {
  readonly ops: TraceOp[] = [];

  input(size: number): TraceTensor {
    return { size, kind: 'input' };
  }
  weight(size: number): TraceTensor {
    return { size, kind: 'var' };
  }
  /** A view of `t` (reshape): no new buffer. */
  view(t: TraceTensor): TraceTensor {
    return { size: t.size, kind: t.kind, base: t.base ?? t };
  }

  /** Record an op; returns its (first) output. `internal`: tensors made inside a custom op and saved. */
  op(name: string, outSize: number, saves: TraceTensor[], back: number, internal: number[] = []): TraceTensor {
    const out: TraceTensor = { size: outSize, kind: 'act' };
    const ins = internal.map((size): TraceTensor => ({ size, kind: 'internal' }));
    this.ops.push({ name, alloc: [out, ...ins], saves: [...saves, ...ins], back });
    return out;
  }

  /** A Reshape: a view of x, which it saves (Reshape's inputsToSave: ['x']). */
  reshape(x: TraceTensor): TraceTensor {
    this.ops.push({ name: 'Reshape', alloc: [], saves: [x], back: 0 });
    return this.view(x);
  }

  /** An op with no allocation of its own whose backward allocates `back` (gradient accumulation adds). */
  backOnly(name: string, back: number): void {
    this.ops.push({ name, alloc: [], saves: [], back });
  }
}

export interface TraceSums {
  /** Buffers allocated by the forward pass (outputs + internal), alive at its end. */
  forwardAlloc: number;
  /** forwardAlloc without the custom ops' internal saved tensors (on WASM only their copies outlive the op). */
  forwardAllocOutputs: number;
  /** Kept for backward with shared clones (WebGPU, CPU): distinct activation buffers saved. */
  savedShared: number;
  /** Kept for backward with copying clones (WASM): one copy per save, weights included. */
  savedCopied: number;
  /** The backward pass's allocations (gradients, dys, custom-gradient temporaries). */
  backward: number;
}

export function sumTrace(trace: StepTrace): TraceSums {
  let forwardAlloc = 0;
  let forwardAllocOutputs = 0;
  let backward = 0;
  let savedCopied = 0;
  const distinct = new Set<TraceTensor>();
  for (const op of trace.ops) {
    for (const t of op.alloc) {
      forwardAlloc += t.size;
      if (t.kind !== 'internal') forwardAllocOutputs += t.size;
    }
    backward += op.back;
    for (const s of op.saves) {
      const buf = s.base ?? s;
      // internal tensors exist only as their saved copy: counted once in both modes
      if (buf.kind === 'internal') {
        if (!distinct.has(buf)) savedCopied += buf.size;
      } else savedCopied += s.size;
      if (buf.kind === 'act' || buf.kind === 'internal') distinct.add(buf);
    }
  }
  let savedShared = 0;
  for (const t of distinct) savedShared += t.size;
  return { forwardAlloc, forwardAllocOutputs, savedShared, savedCopied, backward };
}

export interface TraceOptions {
  /** Zero-shot head classes. */
  classes: number;
  /** WebGPU: matMul transpose flags, so linear's backward makes no explicit dyᵀ copy. */
  transposeFlags: boolean;
}

/**
 * The trace of `crossEntropy(zeroShotLogits(model, head, pixels), labels)` under tf.variableGrads over
 * the vision variables, for batch B — clip/model.ts visionForward / encoderLayer /
 * encoderLayerClsOnly, zeroshot.ts and train/losses.ts, in order.
 */
export function traceVisionStep(config: CLIPConfig, B: number, opts: TraceOptions): StepTrace {
  const v = config.vision_config;
  const D = v.hidden_size;
  const I = v.intermediate_size;
  const H = v.num_attention_heads;
  const P = v.patch_size;
  const Ch = v.num_channels;
  const S = v.image_size;
  const T = visionPositions(v);
  const N = B * T;
  const E = config.projection_dim;
  const C = opts.classes;
  const tr = opts.transposeFlags ? 0 : 1; // explicit dyᵀ copy in linear's dW = dyᵀ·x
  const t = new StepTrace();
  const scalar = () => t.input(1);

  /** LayerNorm (custom): saves x̂ [rows, D] and 1/σ [rows, 1] (made inside) and w. dx..: 7 + 2 cols + dw, db. */
  const layerNorm = (x: TraceTensor, rows: number): TraceTensor => {
    void x;
    return t.op('LayerNorm', rows * D, [t.weight(D)], 7 * rows * D + 2 * rows + 2 * D, [rows * D, rows]);
  };
  /** linear (custom): saves x and W; backward dx, dyᵀ (wasm), dW, db. */
  const linear = (x: TraceTensor, W: TraceTensor, rows: number, inF: number, outF: number, bias: boolean): TraceTensor =>
    t.op('linear', rows * outF, [x, W], rows * inF + tr * rows * outF + inF * outF + (bias ? outF : 0));
  /** splitHeads: reshape (saves x) → transpose (new buffer, no save) → reshape (saves it). */
  const splitHeads = (x: TraceTensor): TraceTensor => {
    t.reshape(x);
    const tp = t.op('Transpose', x.size, [], x.size); // backward: transpose of dy
    return t.reshape(tp);
  };

  /** One attention block. `qRows`: rows producing queries (N, or B for the class token only). */
  const attention = (h: TraceTensor, qIn: TraceTensor, qRows: number): TraceTensor => {
    const Tq = qRows / B;
    const Wq = t.op('Multiply', D * D, [t.weight(D * D), scalar()], D * D); // q_proj.weight · scale
    const bq = t.op('Multiply', D, [t.weight(D), scalar()], D); // q_proj.bias · scale
    void bq;
    const q = linear(qIn, Wq, qRows, D, D, true);
    const k = linear(h, t.weight(D * D), N, D, D, true);
    const vv = linear(h, t.weight(D * D), N, D, D, true);
    const qh = splitHeads(q);
    const vh = splitHeads(vv);
    const kh = splitHeads(k);
    const scores = t.op('BatchMatMul', B * H * Tq * T, [qh, kh], qRows * D + N * D); // dq_h, dk_h
    const probs = t.op('Softmax', scores.size, [], 2 * scores.size); // dy·y and the result
    t.ops[t.ops.length - 1].saves.push(probs); // Softmax saves its output
    const o = t.op('BatchMatMul', qRows * D, [probs, vh], scores.size + N * D); // d probs, d v_h
    t.reshape(o);
    const merged = t.reshape(t.op('Transpose', qRows * D, [], qRows * D));
    return linear(merged, t.weight(D * D), qRows, D, D, true);
  };

  /** MLP with quick_gelu (custom: saves x and σ(1.702x); backward 6 temporaries). */
  const mlp = (h: TraceTensor, rows: number): TraceTensor => {
    const f = linear(h, t.weight(I * D), rows, D, I, true);
    const g = t.op('quick_gelu', rows * I, [f], 6 * rows * I, [rows * I]);
    return linear(g, t.weight(D * I), rows, I, D, true);
  };

  // ---- embeddings (visionForward)
  const pixels = t.input(B * S * S * Ch);
  t.reshape(pixels);
  const patches = t.op('Transpose', B * S * S * Ch, [], 0); // not on the path to a variable: no gradient
  const patchW = t.op('Transpose', P * P * Ch * D, [], P * P * Ch * D); // conv weight permuted; d: back-permute
  const tokens = t.op('BatchMatMul', B * (T - 1) * D, [t.reshape(patches), t.reshape(patchW)], P * P * Ch * D); // dW only
  const cls = t.op('Tile', B * D, [t.reshape(t.weight(D))], D); // broadcastTo runs Tile, which saves x
  const cat = t.op('Concat', N * D, [cls, t.reshape(tokens)], N * D); // saveAllInputs; d: split
  const pos = t.op('Add', N * D, [cat, t.weight(T * D)], T * D); // d positions: sum over B
  let x = layerNorm(t.reshape(pos), N); // pre_layrnorm

  // ---- full layers
  for (let i = 0; i < v.num_hidden_layers - 1; i++) {
    const h = layerNorm(x, N);
    const a = attention(h, h, N);
    // d(LN1 out) = dx_q + dx_k + dx_v: each add frees the previous fresh accumulator, so no net growth
    t.backOnly('accumulate d(LN1 out) over q, k, v', 0);
    const x1 = t.op('Add', N * D, [x, a], 0);
    // the residual's dy is a view (not freed by the add), so the sum is a net new buffer
    t.backOnly('accumulate d(layer input) over residual and LN1', N * D);
    const h2 = layerNorm(x1, N);
    const m = mlp(h2, N);
    t.backOnly('accumulate d(x1) over residual and LN2', N * D);
    x = t.op('Add', N * D, [x1, m], 0);
  }

  // ---- last layer: class token only (encoderLayerClsOnly)
  {
    const h = layerNorm(x, N);
    t.reshape(x);
    const x0 = t.reshape(t.op('Slice', B * D, [x], N * D)); // d: pad back to [B, T, D]
    t.reshape(h);
    const qIn = t.reshape(t.op('Slice', B * D, [h], N * D));
    const a = attention(h, qIn, B);
    // both accumulations start from a fresh buffer (the pad of a slice), which the add frees
    t.backOnly('accumulate d(LN1 out) over query slice, k, v', 0);
    t.backOnly('accumulate d(layer input) over x0 slice and LN1', 0);
    const x1 = t.op('Add', B * D, [x0, a], 0);
    const h2 = t.op('LayerNorm', B * D, [t.weight(D)], 7 * B * D + 2 * B + 2 * D, [B * D, B]);
    const m = mlp(h2, B);
    t.backOnly('accumulate d(x1) over residual and LN2', B * D);
    x = t.op('Add', B * D, [x1, m], 0);
  }

  // ---- post_layernorm, visual_projection (no bias), zero-shot logits, cross-entropy
  const post = t.op('LayerNorm', B * D, [t.weight(D)], 7 * B * D + 2 * B + 2 * D, [B * D, B]);
  const emb = linear(post, t.weight(E * D), B, D, E, false);
  const sq = t.op('Square', B * E, [emb], B * E);
  const ss = t.op('Sum', B, [sq], B * E);
  const rs = t.op('Rsqrt', B, [ss], B);
  const normed = t.op('Multiply', B * E, [emb, rs], B * E + B * E);
  t.backOnly('accumulate d(emb)', B * E);
  const head = t.input(C * E);
  const lin = t.op('linear', B * C, [normed, head], B * E + tr * B * C + C * E); // d head is computed too
  const scale = t.op('Exp', 1, [], 1);
  t.ops[t.ops.length - 1].saves.push(scale);
  const logits = t.op('Multiply', B * C, [lin, scale], B * C);
  // crossEntropy: oneHot (int32) → cast, logSoftmax (saves its output), mul, sum, div, neg
  const onehot = t.op('Cast', B * C, [], 0);
  const logp = t.op('LogSoftmax', B * C, [], 2 * B * C);
  t.ops[t.ops.length - 1].saves.push(logp);
  t.op('Multiply', B * C, [onehot, logp], B * C);
  void logits;
  t.op('Sum', 1, [], B * C);
  return t;
}
