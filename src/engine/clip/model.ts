/**
 * CLIP (Radford et al. 2021) in TensorFlow.js, numerically equal to Hugging Face `CLIPModel`.
 *
 * One file, read top to bottom: building blocks → vision tower → text tower → the `ClipModel` class
 * (weights, state dicts, random init). Every weight is a `tf.Variable` keyed by its exact HF name in HF
 * layout (linear weights [out, in], patch embedding [hidden, 3, P, P]), so checkpoints, task vectors
 * and exports need no conversion. Proven against a torch reference in tests/clip.golden.test.ts.
 *
 * Shapes: B batch, S image side, P patch, g = S/P, T tokens (g²+1 for vision, L for text), D width,
 * H heads, Dh = D/H, I intermediate width, E projection dim.
 *
 * Performance (tfjs-wasm, where training runs in tests and CI; measured on 2 cores, one thread):
 * - `linear`, `layerNorm` and quick_gelu have hand-written gradients (tf.customGrad): tfjs autodiff
 *   of the same formulas took ~1.45× the kernels and ~15% more time per training step.
 * - `linear` computes x·Wᵀ with transposeB on WebGPU, and with an explicit transpose + plain matMul
 *   elsewhere (XNNPACK is only used for plain, unbatched products; flagged ones are 10–45× slower).
 * - The residual stream stays 2-D [B·T, D]; only attention reshapes to heads.
 * - Attention score/value products are batched matMuls over [B·H, T, ·]; tfjs-wasm runs batched
 *   products in a scalar loop (~1.5 GFLOP/s vs ~20 for XNNPACK), so they are ~18% of a step although
 *   ~2% of the FLOPs. (Measured alternatives: depthwise-conv formulation 1.8× faster for the forward
 *   product but needs layout copies and has no wasm gradient kernels; mul+sum no faster.)
 * - Transposes stay at rank ≤ 4: tfjs-wasm's rank-5+ transpose is a slow generic loop (~25×).
 * - The last vision layer only computes what the pooled class token needs (see encoderLayerClsOnly).
 * Profile, vision width 128, 4 layers, 4 heads, 17 tokens, batch 64: forward ≈ 100 ms, forward +
 * backward ≈ 330 ms (~16 GFLOP/s); 2-D matMuls 62%, attention products 18%, everything else 20%.
 */
import { tf } from '../tf';
import { Rng } from '../rng';
import type { NamedTensor } from '../io/safetensors';
import {
  type ClipActivation,
  type CLIPConfig,
  type CLIPTextConfig,
  type CLIPVisionConfig,
  describeTensorShapeDiff,
  diffTensorShapes,
  expectedTensorShapes,
  sameShape,
  type TensorShapeDiff,
  isVisionWeight,
  visionPositions,
} from './config';

// ---------------------------------------------------------------------------------------------
// Errors

export type ClipWeightsErrorCode = 'state-dict-mismatch' | 'unknown-weight' | 'weight-shape' | 'weight-dtype';

/** A set of weights that does not fit the model; lists every offending name at once. */
export class ClipWeightsError extends Error {
  constructor(
    readonly code: ClipWeightsErrorCode,
    message: string,
    readonly missing: string[] = [],
    readonly unexpected: string[] = [],
    readonly mismatched: { name: string; expected: number[]; got: number[] }[] = [],
  ) {
    super(message);
    this.name = 'ClipWeightsError';
  }
}

/** An input tensor with the wrong shape or dtype for the model. */
export class ClipInputError extends Error {
  readonly code = 'clip-input';
  constructor(message: string) {
    super(message);
    this.name = 'ClipInputError';
  }
}

// ---------------------------------------------------------------------------------------------
// Building blocks. All take and return 2-D activations [rows, features] unless noted.

/** Whether matMul's transpose flags are cheap on the current backend (see gradients.ts). */
function transposeFlagsAreFast(): boolean {
  return tf.getBackend() === 'webgpu';
}

/** a·bᵀ for 2-D a [N, K], b [M, K] → [N, M]: transposeB flag on WebGPU, explicit transpose elsewhere. */
function matMulBT(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return transposeFlagsAreFast() ? tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true) : tf.matMul(a as tf.Tensor2D, tf.transpose(b));
}

/** aᵀ·b for 2-D a [N, M], b [N, K] → [M, K]. */
function matMulAT(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return transposeFlagsAreFast() ? tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, false) : tf.matMul(tf.transpose(a), b as tf.Tensor2D);
}

/*
 * Hand-written gradients (tf.customGrad) for the three ops every block repeats. tfjs's automatic
 * gradients of the same formulas take ~3× the kernels (each multiply's gradient also casts its other
 * operand, every saved input is copied), which on WASM costs more than the arithmetic. Each gradient
 * is checked against tfjs autodiff of the plain formula in tests/clip.train.test.ts.
 */

/** tf.customGrad with typed tensor arguments (tfjs types the arguments as Tensor | GradSaveFunc). */
type GradResult = { value: tf.Tensor; gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.Tensor[] };
function customOp<A extends tf.Tensor[]>(f: (...args: [...A, tf.GradSaveFunc]) => GradResult): (...args: A) => tf.Tensor {
  return tf.customGrad(f as unknown as (...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => GradResult) as unknown as (...args: A) => tf.Tensor;
}

/**
 * y = x·Wᵀ + b. Gradients: dx = dy·W (a plain matMul: HF's [out, in] layout is what it needs),
 * dW = dyᵀ·x (directly in [out, in]), db = Σ_rows dy.
 */
const linearWithBias = customOp<[tf.Tensor, tf.Tensor, tf.Tensor]>((x, w, b, save) => {
  save([x, w]);
  return {
    value: tf.add(matMulBT(x, w), b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor;
      const [xs, ws] = saved;
      return [tf.matMul(g as tf.Tensor2D, ws as tf.Tensor2D), matMulAT(g, xs), tf.sum(g, 0)];
    },
  };
});

const linearNoBias = customOp<[tf.Tensor, tf.Tensor]>((x, w, save) => {
  save([x, w]);
  return {
    value: matMulBT(x, w),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor;
      const [xs, ws] = saved;
      return [tf.matMul(g as tf.Tensor2D, ws as tf.Tensor2D), matMulAT(g, xs)];
    },
  };
});

let frozenWeights = false;

/**
 * Run `fn` with linear layers recorded as plain matMul + add, whose gradients (gradients.ts, tfjs's
 * add) are computed per input only when asked for. For gradients w.r.t. the INPUT of a fixed network
 * (DECREE): the customGrad ops above always compute dW too, which is a third of a backward pass spent
 * on gradients nobody reads. Values are the same either way.
 */
export function withFrozenWeights<T>(fn: () => T): T {
  const prev = frozenWeights;
  frozenWeights = true;
  try {
    return fn();
  } finally {
    frozenWeights = prev;
  }
}

/** x·Wᵀ (+ b) for x [N, in], W [out, in] in HF layout → [N, out]. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor2D {
  if (frozenWeights) {
    const y = matMulBT(x, w);
    return (b ? tf.add(y, b) : y) as tf.Tensor2D;
  }
  return (b ? linearWithBias(x, w, b) : linearNoBias(x, w)) as tf.Tensor2D;
}

/**
 * LayerNorm over the last axis of x [N, D] (biased variance, eps inside the square root, as torch).
 * Gradient with x̂ = (x − μ)·r, r = 1/√(σ² + eps), g = dy·w:
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂)),  dw = Σ_rows dy·x̂,  db = Σ_rows dy.
 */
const layerNormOp = (eps: number) =>
  customOp<[tf.Tensor, tf.Tensor, tf.Tensor]>((x, w, b, save) => {
    const mean = tf.mean(x, -1, true); // [N, 1]
    const xc = tf.sub(x, mean); // [N, D]
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps)); // [N, 1]
    const xhat = tf.mul(xc, rstd);
    save([xhat, rstd, w]);
    return {
      value: tf.add(tf.mul(xhat, w), b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const d = dy as tf.Tensor;
        const [xh, r, ws] = saved;
        const g = tf.mul(d, ws);
        const dx = tf.mul(tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true))), r);
        return [dx, tf.sum(tf.mul(d, xh), 0), tf.sum(d, 0)];
      },
    };
  });

const layerNormOps = new Map<number, ReturnType<typeof layerNormOp>>();

export function layerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor2D {
  let op = layerNormOps.get(eps);
  if (!op) layerNormOps.set(eps, (op = layerNormOp(eps)));
  return op(x, w, b) as tf.Tensor2D;
}

/** quick_gelu y = x·σ(1.702x); dy/dx = σ + 1.702·x·σ·(1 − σ) = σ·(1 + 1.702·x·(1 − σ)). */
const quickGelu = customOp<[tf.Tensor]>((x, save) => {
  const s = tf.sigmoid(tf.mul(x, 1.702));
  save([x, s]);
  return {
    value: tf.mul(x, s),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [xs, ss] = saved;
      return [tf.mul(dy as tf.Tensor, tf.mul(ss, tf.add(tf.mul(tf.mul(xs, tf.sub(1, ss)), 1.702), 1)))];
    },
  };
});

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** HF ACT2FN[hidden_act]. */
export function activate(x: tf.Tensor, act: ClipActivation): tf.Tensor {
  switch (act) {
    case 'quick_gelu':
      return quickGelu(x);
    case 'gelu': // exact: x·Φ(x) = 0.5x(1 + erf(x/√2))
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    case 'gelu_new':
    case 'gelu_pytorch_tanh': // 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), SQRT_2_OVER_PI)), 1));
    case 'relu':
      return tf.relu(x);
  }
}

/** Parameters of one pre-LN transformer block, by HF suffix. */
type Param = (suffix: string) => tf.Tensor;

interface TowerDims {
  hidden_size: number;
  num_attention_heads: number;
  layer_norm_eps: number;
  hidden_act: ClipActivation;
}

/** [B·T, D] → [B·H, T, Dh] (queries, values) or [B·H, Dh, T] (keys, for q·kᵀ with a plain matMul). */
function splitHeads(x: tf.Tensor, B: number, T: number, H: number, keysTransposed: boolean): tf.Tensor3D {
  const Dh = x.shape[1]! / H;
  const y = tf.transpose(tf.reshape(x, [B, T, H, Dh]), keysTransposed ? [0, 2, 3, 1] : [0, 2, 1, 3]);
  return tf.reshape(y, keysTransposed ? [B * H, Dh, T] : [B * H, T, Dh]);
}

/**
 * Multi-head self-attention (HF CLIPAttention). `h` [B·T, D] are the normalised tokens.
 * `queryRows`: when given ([B·Tq, D], a subset of the rows of `h` per batch element), only those
 * positions produce outputs (the vision tower's last layer uses token 0 only).
 * `mask`: additive [Tq, T] (causal mask of the text tower).
 */
function attention(
  h: tf.Tensor,
  p: Param,
  dims: TowerDims,
  B: number,
  T: number,
  mask?: tf.Tensor,
  queryRows?: tf.Tensor,
): tf.Tensor2D {
  const D = dims.hidden_size;
  const H = dims.num_attention_heads;
  const Dh = D / H;
  const scale = Dh ** -0.5; // HF scales the queries (q·kᵀ·scale is the same number)
  const qIn = queryRows ?? h;
  const Tq = qIn.shape[0]! / B;
  const flags = transposeFlagsAreFast();
  const q = linear(qIn, tf.mul(p('self_attn.q_proj.weight'), scale), tf.mul(p('self_attn.q_proj.bias'), scale)); // [B·Tq, D]
  const k = linear(h, p('self_attn.k_proj.weight'), p('self_attn.k_proj.bias')); // [B·T, D]
  const v = linear(h, p('self_attn.v_proj.weight'), p('self_attn.v_proj.bias')); // [B·T, D]
  const qh = splitHeads(q, B, Tq, H, false); // [B·H, Tq, Dh]
  const vh = splitHeads(v, B, T, H, false); // [B·H, T, Dh]
  let scores: tf.Tensor; // [B·H, Tq, T]
  if (flags) scores = tf.matMul(qh, splitHeads(k, B, T, H, false), false, true);
  else scores = tf.matMul(qh, splitHeads(k, B, T, H, true));
  if (mask) scores = tf.add(scores, mask);
  const probs = tf.softmax(scores); // [B·H, Tq, T]
  const o = tf.matMul(probs, vh); // [B·H, Tq, Dh]
  const merged = tf.reshape(tf.transpose(tf.reshape(o, [B, H, Tq, Dh]), [0, 2, 1, 3]), [B * Tq, D]);
  return linear(merged, p('self_attn.out_proj.weight'), p('self_attn.out_proj.bias'));
}

function mlp(x: tf.Tensor, p: Param, act: ClipActivation): tf.Tensor2D {
  const h = activate(linear(x, p('mlp.fc1.weight'), p('mlp.fc1.bias')), act); // [N, I]
  return linear(h, p('mlp.fc2.weight'), p('mlp.fc2.bias'));
}

/** One pre-LN encoder layer (HF CLIPEncoderLayer): x += attn(ln1(x)); x += mlp(ln2(x)). */
function encoderLayer(x: tf.Tensor, p: Param, dims: TowerDims, B: number, T: number, mask?: tf.Tensor): tf.Tensor2D {
  const eps = dims.layer_norm_eps;
  const h = layerNorm(x, p('layer_norm1.weight'), p('layer_norm1.bias'), eps);
  const x1 = tf.add(x, attention(h, p, dims, B, T, mask));
  return tf.add(x1, mlp(layerNorm(x1, p('layer_norm2.weight'), p('layer_norm2.bias'), eps), p, dims.hidden_act)) as tf.Tensor2D;
}

/** Rows `row` of every batch element of a [B·T, D] tensor → [B, D]. */
function rowOfEach(x: tf.Tensor, B: number, T: number, row: number): tf.Tensor2D {
  const D = x.shape[1]!;
  return tf.reshape(tf.slice(tf.reshape(x, [B, T, D]), [0, row, 0], [B, 1, D]), [B, D]);
}

/**
 * The last layer when only token 0 is read afterwards: keys and values for all tokens, but queries,
 * out_proj and the MLP for token 0 only. Same numbers for that token; −17% FLOPs at 4 layers.
 */
function encoderLayerClsOnly(x: tf.Tensor, p: Param, dims: TowerDims, B: number, T: number): tf.Tensor2D {
  const eps = dims.layer_norm_eps;
  const h = layerNorm(x, p('layer_norm1.weight'), p('layer_norm1.bias'), eps); // [B·T, D]
  const x0 = rowOfEach(x, B, T, 0); // [B, D]
  const x1 = tf.add(x0, attention(h, p, dims, B, T, undefined, rowOfEach(h, B, T, 0)));
  return tf.add(x1, mlp(layerNorm(x1, p('layer_norm2.weight'), p('layer_norm2.bias'), eps), p, dims.hidden_act)) as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------
// Vision tower (HF CLIPVisionTransformer + visual_projection)

/**
 * Patch embedding = Conv2d(3→D, kernel P, stride P, no bias) written as patch extraction + one matMul.
 * pixels [B, S, S, 3] NHWC → patches [B·g·g, P·P·3] in (py, px, c) order (only rank-4 transposes,
 * contiguous runs of P·3 values), times the conv weight [D, 3, P, P] permuted to [P, P, 3, D].
 */
function patchEmbed(pixels: tf.Tensor4D, weight: tf.Tensor, v: CLIPVisionConfig): tf.Tensor2D {
  const P = v.patch_size;
  const C = v.num_channels;
  const w = tf.reshape(tf.transpose(weight, [2, 3, 1, 0]), [P * P * C, v.hidden_size]); // [py·px·c, D]
  return tf.matMul(patchRows(pixels, P), w);
}

/** Non-overlapping P×P patches of pixels [B, S, S, C] (S a multiple of P) as rows [B·g·g, P·P·C], (py, px, c) order. */
export function patchRows(pixels: tf.Tensor4D, P: number): tf.Tensor2D {
  const [B, S, , C] = pixels.shape;
  const g = S / P;
  const rows = tf.reshape(pixels, [B * g, P, g, P * C]); // [B·gy, py, gx, px·c]
  return tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [B * g * g, P * P * C]); // [B·gy·gx, py·px·c]
}

/**
 * The vision tower up to its last layer: pixels [B, S, S, C] → the tokens entering that layer
 * [B·T, D] (T = 1 + (S/P)², token 0 the class token).
 */
function visionTokensBeforeLast(pixels: tf.Tensor4D, w: (name: string) => tf.Tensor, config: CLIPConfig): tf.Tensor2D {
  const v = config.vision_config;
  const [B, S1, S2, C] = pixels.shape;
  if (S1 !== v.image_size || S2 !== v.image_size || C !== v.num_channels) {
    throw new ClipInputError(`encodeImage expects pixels [B, ${v.image_size}, ${v.image_size}, ${v.num_channels}] (NHWC), got [${pixels.shape}]`);
  }
  if (pixels.dtype !== 'float32') throw new ClipInputError(`encodeImage expects float32 pixels, got ${pixels.dtype}`);
  const D = v.hidden_size;
  const T = visionPositions(v);
  const patches = tf.reshape(patchEmbed(pixels, w('vision_model.embeddings.patch_embedding.weight'), v), [B, T - 1, D]);
  const cls = tf.broadcastTo(tf.reshape(w('vision_model.embeddings.class_embedding'), [1, 1, D]), [B, 1, D]);
  const tokens = tf.add(tf.concat([cls, patches], 1), w('vision_model.embeddings.position_embedding.weight')); // [B, T, D]
  let x: tf.Tensor2D = layerNorm(tf.reshape(tokens, [B * T, D]), w('vision_model.pre_layrnorm.weight'), w('vision_model.pre_layrnorm.bias'), v.layer_norm_eps);
  for (let i = 0; i < v.num_hidden_layers - 1; i++) {
    const prefix = `vision_model.encoder.layers.${i}.`;
    x = encoderLayer(x, (s) => w(prefix + s), v, B, T);
  }
  return x;
}

/** post_layernorm then visual_projection, rows [N, D] → [N, E]. */
function visionHead(x: tf.Tensor, w: (name: string) => tf.Tensor, v: CLIPVisionConfig): tf.Tensor2D {
  const post = layerNorm(x, w('vision_model.post_layernorm.weight'), w('vision_model.post_layernorm.bias'), v.layer_norm_eps);
  return linear(post, w('visual_projection.weight'));
}

function visionForward(pixels: tf.Tensor4D, w: (name: string) => tf.Tensor, config: CLIPConfig): tf.Tensor2D {
  const v = config.vision_config;
  const x = visionTokensBeforeLast(pixels, w, config);
  const last = `vision_model.encoder.layers.${v.num_hidden_layers - 1}.`;
  const pooled = encoderLayerClsOnly(x, (s) => w(last + s), v, pixels.shape[0], visionPositions(v)); // [B, D]
  return visionHead(pooled, w, v); // [B, E]
}

/** Every token through the whole tower, post_layernorm and visual_projection: [B, T, E]. */
function visionForwardTokens(pixels: tf.Tensor4D, w: (name: string) => tf.Tensor, config: CLIPConfig): tf.Tensor3D {
  const v = config.vision_config;
  const B = pixels.shape[0];
  const T = visionPositions(v);
  const last = `vision_model.encoder.layers.${v.num_hidden_layers - 1}.`;
  const x = encoderLayer(visionTokensBeforeLast(pixels, w, config), (s) => w(last + s), v, B, T); // [B·T, D]
  return tf.reshape(visionHead(x, w, v), [B, T, config.projection_dim]);
}

// ---------------------------------------------------------------------------------------------
// Text tower (HF CLIPTextTransformer + text_projection)

/**
 * Additive causal mask [L, L]: 0 where j ≤ i, −1e9 above the diagonal. HF adds finfo(float32).min;
 * both give exactly zero attention weight after softmax (exp underflows to 0), and −1e9 stays finite
 * on every backend (no −inf arithmetic on WebGPU).
 */
export const CAUSAL_MASK_VALUE = -1e9;

function causalMask(L: number): tf.Tensor2D {
  const m = new Float32Array(L * L);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) m[i * L + j] = CAUSAL_MASK_VALUE;
  return tf.tensor2d(m, [L, L]);
}

/**
 * Default pooling positions when the tokenizer does not give them, as HF does:
 * - legacy configs (eos_token_id == 2, e.g. the openai/* Hub configs): argmax of the ids (the
 *   `<|endoftext|>` id 49407 is the largest id of the CLIP vocabulary);
 * - otherwise: the first occurrence of eos_token_id (a row without it pools position 0, like torch's
 *   argmax of an all-zero row).
 * (The newest HF tests `all(max(ids) == 49407)` instead of `eos_token_id == 2`; for CLIP-vocabulary
 * ids both rules pick the same position.) Ties resolve to the first position, as torch.argmax does.
 */
export function defaultEotIndex(ids: tf.Tensor2D, t: CLIPTextConfig): tf.Tensor1D {
  return tf.tidy(() => {
    const L = ids.shape[1];
    const rev = tf.sub(tf.scalar(L - 1, 'int32'), tf.range(0, L, 1, 'int32')); // [L]: L−1 … 0, breaks ties to the first
    const key = t.eos_token_id === 2 ? tf.add(tf.mul(ids, tf.scalar(L, 'int32')), rev) : tf.mul(tf.cast(tf.equal(ids, t.eos_token_id), 'int32'), tf.add(rev, 1));
    return tf.cast(tf.argMax(key, 1), 'int32') as tf.Tensor1D;
  });
}

function textForward(ids: tf.Tensor2D, eotIndex: tf.Tensor1D, w: (name: string) => tf.Tensor, config: CLIPConfig): tf.Tensor2D {
  const t = config.text_config;
  const [B, L] = ids.shape;
  const D = t.hidden_size;
  const tok = tf.gather(w('text_model.embeddings.token_embedding.weight'), tf.reshape(ids, [B * L])); // [B·L, D]
  const pos = tf.slice(w('text_model.embeddings.position_embedding.weight'), [0, 0], [L, D]); // [L, D]
  let x = tf.reshape(tf.add(tf.reshape(tok, [B, L, D]), pos), [B * L, D]) as tf.Tensor2D;
  const mask = causalMask(L);
  for (let i = 0; i < t.num_hidden_layers; i++) {
    const prefix = `text_model.encoder.layers.${i}.`;
    x = encoderLayer(x, (s) => w(prefix + s), t, B, L, mask);
  }
  // final_layer_norm is per token, so normalising only the pooled rows gives HF's numbers.
  const rows = tf.add(tf.mul(tf.range(0, B, 1, 'int32'), tf.scalar(L, 'int32')), eotIndex); // [B]
  const pooled = tf.gather(x, rows); // [B, D]
  const normed = layerNorm(pooled, w('text_model.final_layer_norm.weight'), w('text_model.final_layer_norm.bias'), t.layer_norm_eps);
  return linear(normed, w('text_projection.weight')); // [B, E]
}

/** x / ‖x‖₂ along the last axis (HF divides by the norm; no epsilon). */
export function l2Normalize(x: tf.Tensor): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.sum(tf.square(x), -1, true))) as tf.Tensor2D;
}

// ---------------------------------------------------------------------------------------------
// The model

let modelCounter = 0;

export type WeightFilter = (name: string) => boolean;

export class ClipModel {
  readonly config: CLIPConfig;
  /** HF name → variable, in HF state-dict order. */
  private readonly vars: Map<string, tf.Variable>;
  /** tfjs variable name → HF name (tf.variableGrads keys its result by tfjs names). */
  private readonly byTfName = new Map<string, string>();
  private disposed = false;

  /** Takes ownership of `tensors` (HF names, HF shapes, float32); see fromStateDict / random. */
  private constructor(config: CLIPConfig, tensors: Map<string, tf.Tensor>) {
    this.config = config;
    this.vars = new Map();
    // tfjs variable names are global; skip ids taken by another copy of this module (HMR, bundles).
    let id = modelCounter++;
    while (tf.engine().registeredVariables[`clip${id}/logit_scale`]) id = modelCounter++;
    for (const [name, t] of tensors) {
      // Unique tfjs names (the registry is global); only the image encoder is trainable.
      const tfName = `clip${id}/${name}`;
      this.vars.set(name, tf.variable(t, isVisionWeight(name), tfName));
      this.byTfName.set(tfName, name);
      t.dispose();
    }
  }

  // ---- construction ----------------------------------------------------------------------

  /**
   * Build from a state dict with HF names. Strict: every tensor of expectedTensorShapes(config) must
   * be present with its shape and nothing else (the `*.position_ids` buffers are ignored); otherwise
   * one ClipWeightsError lists all missing, unexpected and mis-shaped tensors.
   */
  static fromStateDict(config: CLIPConfig, tensors: Map<string, { shape: readonly number[]; data: Float32Array }>): ClipModel {
    const expected = expectedTensorShapes(config);
    checkShapes(config, new Map([...tensors].map(([n, t]) => [n, t.shape])));
    // A header whose shape disagrees with its data is mis-shaped too (got: the element count).
    const short = [...expected].filter(([n, shape]) => tensors.get(n)!.data.length !== size(shape));
    if (short.length) {
      const mismatched = short.map(([name, shape]) => ({ name, expected: shape, got: [tensors.get(name)!.data.length] }));
      checkShapesFailed({ missing: [], unexpected: [], mismatched });
    }
    const out = new Map<string, tf.Tensor>();
    for (const [name, shape] of expected) out.set(name, tf.tensor(tensors.get(name)!.data, shape, 'float32'));
    return new ClipModel(config, out);
  }

  /**
   * Build from tensors that are already on the backend (HF names, HF shapes, float32), taking
   * ownership of them: the streaming Hub loader (hub/loadModel.ts) uploads each tensor as it arrives
   * and drops its Float32Array, so a checkpoint is never held twice on the CPU. Same strict check as
   * fromStateDict; on a mismatch nothing is disposed (the caller still owns the tensors).
   */
  static fromTensors(config: CLIPConfig, tensors: Map<string, tf.Tensor>): ClipModel {
    const expected = expectedTensorShapes(config);
    checkShapes(config, new Map([...tensors].map(([n, t]) => [n, t.shape])));
    for (const name of expected.keys()) {
      const t = tensors.get(name)!;
      if (t.dtype !== 'float32') throw new ClipWeightsError('weight-dtype', `${name}: expected float32, got ${t.dtype}`);
    }
    const ordered = new Map<string, tf.Tensor>();
    for (const name of expected.keys()) ordered.set(name, tensors.get(name)!);
    for (const [name, t] of tensors) if (!expected.has(name)) t.dispose(); // *.position_ids: owned, unused
    return new ClipModel(config, ordered);
  }

  /**
   * A randomly initialised model, as HF `CLIPPreTrainedModel._init_weights` does it: normal weights
   * with HF's standard deviations (embeddings 0.02·f, class embedding D^-½·f, q/k/v D^-½·(2L)^-½·f,
   * out_proj D^-½·f, fc1 (2D)^-½·f, fc2 D^-½·(2L)^-½·f, projections D^-½·f), zero biases, LayerNorm
   * 1/0, logit_scale = logit_scale_init_value. Each tensor draws from `new Rng(seed).fork(name)`,
   * so a tensor's values do not depend on the depth or the order of the others.
   */
  static random(config: CLIPConfig, seed: number): ClipModel {
    const rng = new Rng(seed);
    const out = new Map<string, tf.Tensor>();
    for (const [name, shape] of expectedTensorShapes(config)) {
      const n = shape.reduce((a, d) => a * d, 1);
      const std = initStd(config, name);
      let data: Float32Array;
      if (name === 'logit_scale') data = Float32Array.of(config.logit_scale_init_value);
      else if (std === 'ones') data = new Float32Array(n).fill(1);
      else if (std === 0) data = new Float32Array(n);
      else data = rng.fork(name).normalArray(n, 0, std);
      out.set(name, tf.tensor(data, shape, 'float32'));
    }
    return new ClipModel(config, out);
  }

  // ---- forward ---------------------------------------------------------------------------

  private w = (name: string): tf.Tensor => {
    const v = this.vars.get(name);
    if (!v) throw new ClipWeightsError('unknown-weight', `no weight named ${name}`);
    return v;
  };

  /** One live variable by HF name (e.g. 'logit_scale'); throws ClipWeightsError for unknown names. */
  weight(name: string): tf.Variable {
    this.assertLive();
    const v = this.vars.get(name);
    if (!v) throw new ClipWeightsError('unknown-weight', `no weight named ${name}`);
    return v;
  }

  /** Image embeddings (not normalised), pixels [B, S, S, 3] normalised NHWC → [B, E]. */
  encodeImage(pixels: tf.Tensor4D): tf.Tensor2D {
    this.assertLive();
    return tf.tidy(() => visionForward(pixels, this.w, this.config));
  }

  /**
   * Every output token of the vision tower, each through post_layernorm and visual_projection:
   * pixels [B, S, S, 3] → [B, T, E] (T = 1 + (S/P)²). Token 0 is encodeImage's embedding; the others
   * are the patch tokens that HF's pooler drops (for reading a tower out other than by its class token,
   * as `bench:learnability --tower-pool` does).
   */
  encodeImageTokens(pixels: tf.Tensor4D): tf.Tensor3D {
    this.assertLive();
    return tf.tidy(() => visionForwardTokens(pixels, this.w, this.config));
  }

  /**
   * Text embeddings (not normalised), ids int32 [B, L] (L ≤ max_position_embeddings) → [B, E].
   * `eotIndex` [B]: the position pooled per row (the tokenizer's `eotIndex`); default: see
   * defaultEotIndex (HF's rule). When `eotIndex` is given as an array, the sequence is cropped to
   * max(eotIndex)+1 tokens first: with the causal mask, later tokens cannot change the pooled ones, so
   * the result is the same and a 77-token context of short prompts costs ~5× less.
   */
  encodeText(ids: tf.Tensor2D, eotIndex?: Int32Array | number[] | tf.Tensor1D): tf.Tensor2D {
    this.assertLive();
    const t = this.config.text_config;
    if (ids.rank !== 2) throw new ClipInputError(`encodeText expects ids [B, L], got [${ids.shape}]`);
    if (ids.dtype !== 'int32') throw new ClipInputError(`encodeText expects int32 ids, got ${ids.dtype}`);
    const [B, L] = ids.shape;
    if (L > t.max_position_embeddings) throw new ClipInputError(`sequence length ${L} exceeds max_position_embeddings ${t.max_position_embeddings}`);
    let crop = L;
    if (eotIndex !== undefined && !(eotIndex instanceof tf.Tensor)) {
      if (eotIndex.length !== B) throw new ClipInputError(`eotIndex has ${eotIndex.length} entries for ${B} rows`);
      crop = 0;
      for (const e of eotIndex) {
        if (!Number.isInteger(e) || e < 0 || e >= L) throw new ClipInputError(`eotIndex ${e} is outside [0, ${L})`);
        crop = Math.max(crop, e + 1);
      }
    }
    return tf.tidy(() => {
      const eot =
        eotIndex === undefined ? defaultEotIndex(ids, t) : eotIndex instanceof tf.Tensor ? tf.cast(eotIndex, 'int32') : tf.tensor1d(Int32Array.from(eotIndex), 'int32');
      const used = crop < L ? tf.slice(ids, [0, 0], [B, crop]) : ids; // [B, crop]
      return textForward(used as tf.Tensor2D, eot as tf.Tensor1D, this.w, this.config);
    });
  }

  /** exp(logit_scale) · normalize(img) · normalize(txt)ᵀ → [B_img, B_txt] (HF logits_per_image). */
  logits(imageEmb: tf.Tensor2D, textEmb: tf.Tensor2D): tf.Tensor2D {
    this.assertLive();
    return tf.tidy(() => tf.mul(linear(l2Normalize(imageEmb), l2Normalize(textEmb)), tf.exp(this.w('logit_scale'))) as tf.Tensor2D);
  }

  // ---- weights ---------------------------------------------------------------------------

  /**
   * The LIVE variables by HF name (no copies: cheap, but values change when training or setWeights
   * runs; clone what you need to keep, never dispose them). `filter` selects names.
   */
  getWeights(filter?: WeightFilter): Map<string, tf.Tensor> {
    this.assertLive();
    const out = new Map<string, tf.Tensor>();
    for (const [name, v] of this.vars) if (!filter || filter(name)) out.set(name, v);
    return out;
  }

  /**
   * Assign weights by HF name (values are copied; the caller keeps ownership of `weights`). Partial
   * maps are allowed. Checks every entry first (unknown name, shape, dtype) and assigns nothing when
   * one is wrong.
   */
  setWeights(weights: Map<string, tf.Tensor>): void {
    this.assertLive();
    const unexpected: string[] = [];
    const mismatched: { name: string; expected: number[]; got: number[] }[] = [];
    for (const [name, t] of weights) {
      const v = this.vars.get(name);
      if (!v) unexpected.push(name);
      else if (!sameShape(t.shape, v.shape)) mismatched.push({ name, expected: v.shape, got: t.shape });
      else if (t.dtype !== 'float32') throw new ClipWeightsError('weight-dtype', `${name}: expected float32, got ${t.dtype}`);
    }
    if (unexpected.length) throw new ClipWeightsError('unknown-weight', `unknown weight name(s): ${unexpected.join(', ')}`, [], unexpected);
    if (mismatched.length) {
      const why = describeTensorShapeDiff({ missing: [], unexpected: [], mismatched }, 8);
      throw new ClipWeightsError('weight-shape', `checkpoint does not match the config: ${why}`, [], [], mismatched);
    }
    for (const [name, t] of weights) {
      const v = this.vars.get(name)!;
      if (t !== v) v.assign(t);
    }
  }

  /** HF names of the image encoder incl. visual_projection (what is fine-tuned; task vectors). */
  visionWeightNames(): string[] {
    return [...this.vars.keys()].filter(isVisionWeight);
  }

  /** The image encoder's variables (trainable), in visionWeightNames() order: tf.variableGrads' varList. */
  visionVariables(): tf.Variable[] {
    this.assertLive();
    return this.visionWeightNames().map((n) => this.vars.get(n)!);
  }

  /** HF name of a variable given its tfjs name (the keys of tf.variableGrads' `grads`). */
  hfName(tfVariableName: string): string | undefined {
    return this.byTfName.get(tfVariableName);
  }

  /** All weights as float32 arrays in HF layout and state-dict order (for safetensors export). */
  async toStateDict(filter?: WeightFilter): Promise<NamedTensor[]> {
    this.assertLive();
    const out: NamedTensor[] = [];
    for (const [name, v] of this.vars) {
      if (filter && !filter(name)) continue;
      out.push({ name, shape: [...v.shape], data: (await v.data()) as Float32Array });
    }
    return out;
  }

  /** Number of scalar parameters (optionally of the names `filter` accepts). */
  numParams(filter?: WeightFilter): number {
    let n = 0;
    for (const [name, v] of this.vars) if (!filter || filter(name)) n += v.size;
    return n;
  }

  /**
   * Forward FLOPs of the vision tower per image (2 per multiply-add; matMuls only, as usual), for the
   * standard computation (all T tokens in every layer). This implementation's last layer does less.
   */
  flopsPerImage(): number {
    return visionFlopsPerImage(this.config.vision_config, this.config.projection_dim);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private assertLive(): void {
    if (this.disposed) throw new ClipWeightsError('unknown-weight', 'this ClipModel was disposed');
  }
}

/** See ClipModel.flopsPerImage. */
export function visionFlopsPerImage(v: CLIPVisionConfig, projectionDim: number): number {
  const T = visionPositions(v);
  const D = v.hidden_size;
  const patches = T - 1;
  const embed = 2 * patches * v.num_channels * v.patch_size ** 2 * D;
  const perLayer = 2 * T * D * 3 * D + 2 * 2 * T * T * D + 2 * T * D * D + 2 * 2 * T * D * v.intermediate_size;
  return embed + v.num_hidden_layers * perLayer + 2 * D * projectionDim;
}

const size = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

/** The strict name-and-shape check of fromStateDict / fromTensors: one error listing every difference. */
function checkShapes(config: CLIPConfig, shapes: Map<string, readonly number[]>): void {
  const d = diffTensorShapes(config, shapes);
  if (d) checkShapesFailed(d);
}

function checkShapesFailed(d: TensorShapeDiff): never {
  throw new ClipWeightsError('state-dict-mismatch', `checkpoint does not match the config: ${describeTensorShapeDiff(d, 8)}`, d.missing, d.unexpected, d.mismatched);
}

/** HF _init_weights standard deviation for a tensor, 0 for zeros, 'ones' for LayerNorm weights. */
function initStd(config: CLIPConfig, name: string): number | 'ones' {
  const vision = name.startsWith('vision_model.');
  const c = vision ? config.vision_config : config.text_config;
  const f = c.initializer_factor;
  const D = c.hidden_size;
  const L = c.num_hidden_layers;
  if (/layer_?norm|layrnorm/.test(name)) return name.endsWith('.weight') ? 'ones' : 0;
  if (name.endsWith('.bias')) return 0;
  if (name === 'visual_projection.weight') return config.vision_config.hidden_size ** -0.5 * config.initializer_factor;
  if (name === 'text_projection.weight') return config.text_config.hidden_size ** -0.5 * config.initializer_factor;
  if (name.endsWith('class_embedding')) return D ** -0.5 * f;
  if (name.includes('embeddings.')) return vision ? c.initializer_range * f : 0.02 * f;
  if (/(q|k|v)_proj\.weight$/.test(name)) return D ** -0.5 * (2 * L) ** -0.5 * f;
  if (name.endsWith('out_proj.weight')) return D ** -0.5 * f;
  if (name.endsWith('fc1.weight')) return (2 * D) ** -0.5 * f;
  if (name.endsWith('fc2.weight')) return D ** -0.5 * (2 * L) ** -0.5 * f;
  return 0.02 * f;
}
