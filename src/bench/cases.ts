/**
 * Benchmark cases: a registry that runs in the browser (bench.html, `npm run bench`) and in Node
 * (`npx tsx bench/node.ts`). A case sets up its tensors once, then `run` is timed repeatedly.
 *
 * To add a case: write a `BenchCase` with `flops` (per iteration, for GFLOP/s) and `items` (images
 * per iteration, for images/s) and push it onto `CASES` (or call `registerCase`). A case that can take
 * minutes on a slow backend also gives `plannedFlops` and `timeCapMs`: the runner then estimates its
 * time from a matMul probe on the backend and skips it, with the reason, when the estimate is over.
 */
import { CLIP_PRESETS, withOverrides, type CLIPConfig } from '../engine/clip/config';
import { ClipModel, visionFlopsPerImage } from '../engine/clip/model';
import { decreeLoss } from '../engine/inversion/decree';
import { countParams } from '../engine/memory/plan';
import { AdamW } from '../engine/train/adamw';
import { visionVariableMap } from '../engine/train/finetune';
import { Rng } from '../engine/rng';
import { tf } from '../engine/tf';

export interface BenchContext {
  /** The tfjs backend the case runs on ('webgpu' | 'wasm' | 'cpu'). */
  backend: string;
}

export interface BenchCase<S = unknown> {
  name: string;
  description: string;
  /** Backends to skip (e.g. too slow to be useful). */
  skip?: string[];
  setup(ctx: BenchContext): Promise<S> | S;
  /** One timed iteration. Must not resolve before the device has finished (await a small read). */
  run(state: S): Promise<void>;
  /** Floating-point operations in one iteration (multiply-add = 2). */
  flops?: (state: S) => number;
  /** Items (e.g. images) processed in one iteration, with their unit for the table. */
  items?: (state: S) => number;
  itemUnit?: string;
  teardown?(state: S): void;
  /** FLOPs of one iteration, known before setup: with `timeCapMs`, for the time estimate. */
  plannedFlops?: number;
  /**
   * Skip the case when its estimated time — setup plus the first and one timed iteration, at the
   * backend's probed matMul GFLOP/s (runner.ts) — exceeds this (ms).
   */
  timeCapMs?: number;
  /** Timing hints (defaults in runner.ts). */
  minIters?: number;
  minTimeMs?: number;
  maxTimeMs?: number;
}

/** Wait for `t` to be computed by reading one element (a full read-back would be timed too). */
export async function settle(t: tf.Tensor): Promise<void> {
  const one = tf.tidy(() => tf.slice(tf.reshape(t, [-1]), [0], [1]));
  await one.data();
  one.dispose();
}

export function matmulCase(n: number): BenchCase<{ a: tf.Tensor2D; b: tf.Tensor2D }> {
  return {
    name: `matmul-${n}`,
    description: `float32 matMul ${n}×${n} · ${n}×${n} (no transpose flags)`,
    setup: () => ({
      a: tf.randomUniform([n, n], -1, 1, 'float32', 1) as tf.Tensor2D,
      b: tf.randomUniform([n, n], -1, 1, 'float32', 2) as tf.Tensor2D,
    }),
    async run({ a, b }) {
      const c = tf.matMul(a, b);
      await settle(c);
      c.dispose();
    },
    flops: () => 2 * n * n * n,
    teardown: ({ a, b }) => tf.dispose([a, b]),
  };
}

/**
 * What one small op costs beyond its arithmetic: `n` chained elementwise adds on a 64×64 tensor, then
 * one read. `literal`: each add takes a JS number, which tfjs turns into a new scalar tensor (on
 * WebGPU an upload per op, as `tf.mul(x, 1.702)` in a model does); otherwise the scalar is made once.
 * On a GPU this is the per-dispatch cost that bounds a small model such as the micro CLIP;
 * items/s = ops/s.
 */
export function opOverheadCase(n = 200, literal = true): BenchCase<{ x: tf.Tensor; c: tf.Scalar }> {
  return {
    name: `ops-add${literal ? '' : '-tensor'}-x${n}`,
    description: `${n} chained tf.add on 64×64 float32 with ${literal ? 'a JS number (a new scalar each op)' : 'one scalar tensor'}, then one read`,
    setup: () => ({ x: tf.ones([64, 64]), c: tf.scalar(1e-7) }),
    async run({ x, c }) {
      let y = x;
      for (let i = 0; i < n; i++) {
        const next = literal ? tf.add(y, 1e-7) : tf.add(y, c);
        if (y !== x) y.dispose();
        y = next;
      }
      await settle(y);
      y.dispose();
    },
    items: () => n,
    itemUnit: 'op',
    teardown: ({ x, c }) => tf.dispose([x, c]),
  };
}

/**
 * ViT-B/32's vision tower (12 layers, 768 wide, 224 px, 50 tokens; OpenAI's config) with HF-style
 * random weights. The text tower is shrunk to one 64-wide layer: ClipModel holds both towers, and
 * the real 63M-parameter text tower would only cost set-up time and memory here.
 */
export const BENCH_B32_CONFIG: CLIPConfig = withOverrides(CLIP_PRESETS['openai/clip-vit-base-patch32'], {
  text: { vocab_size: 49408, hidden_size: 64, intermediate_size: 256, num_hidden_layers: 1, num_attention_heads: 1 },
});

/** Timing of the ViT-B/32 cases: seconds per iteration on wasm, minutes on SwiftShader (capped). */
const B32_TIMING = { timeCapMs: 120_000, minIters: 2, minTimeMs: 0, maxTimeMs: 30_000 } as const;

/** Batch of the CLIP cases: small, as SwiftShader runs ViT-B/32 at well under 1 GFLOP/s. */
export const CLIP_BENCH_BATCH = 2;

/** Case-name suffix of a batch other than CLIP_BENCH_BATCH: `clip-b32-train-x32`. */
const batchSuffix = (batch: number) => (batch === CLIP_BENCH_BATCH ? '' : `-x${batch}`);

interface ClipBenchState {
  model: ClipModel;
  pixels: tf.Tensor4D;
}

/**
 * The vision tower of ViT-B/32 on a batch of normalised pixels: `forward` (encodeImage) or `train`
 * (encodeImage + a scalar loss + the gradients of every vision weight, as one fine-tuning step
 * computes them, without the optimizer update). FLOPs: forward = visionFlopsPerImage (matMuls, the
 * usual convention); forward+backward = 3× forward (the backward pass does two matMuls per forward
 * matMul).
 */
export function clipVisionCase(
  mode: 'forward' | 'train',
  batch = CLIP_BENCH_BATCH,
  model: { id: string; label: string; config: CLIPConfig } = { id: 'b32', label: 'ViT-B/32', config: BENCH_B32_CONFIG },
): BenchCase<ClipBenchState> {
  const v = model.config.vision_config;
  const perImage = visionFlopsPerImage(v, model.config.projection_dim) * (mode === 'train' ? 3 : 1);
  return {
    name: `clip-${model.id}-${mode}${batchSuffix(batch)}`,
    description:
      `${model.label} vision tower, random weights, batch ${batch}, ${v.image_size} px: ` +
      (mode === 'forward' ? 'forward (encodeImage)' : 'forward + backward (gradients of all vision weights)'),
    plannedFlops: perImage * batch,
    ...B32_TIMING,
    setup: () => {
      const s = v.image_size;
      const pixels = tf.tensor4d(new Rng(2).normalArray(batch * s * s * 3), [batch, s, s, 3]);
      return { model: ClipModel.random(model.config, 1), pixels };
    },
    async run({ model, pixels }) {
      if (mode === 'forward') {
        const emb = model.encodeImage(pixels);
        await settle(emb);
        emb.dispose();
        return;
      }
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.encodeImage(pixels))) as tf.Scalar, model.visionVariables());
      // The patch embedding's gradient is the last one the backward pass computes.
      await settle(grads[model.weight('vision_model.embeddings.patch_embedding.weight').name]);
      tf.dispose([value, ...Object.values(grads)]);
    },
    flops: () => perImage * batch,
    items: () => batch,
    itemUnit: 'img',
    teardown: ({ model, pixels }) => {
      model.dispose();
      pixels.dispose();
    },
  };
}

interface DecreeBenchState {
  model: ClipModel;
  raw: tf.Tensor4D;
  maskU: tf.Variable;
  patternU: tf.Variable;
}

/**
 * One DECREE step on ViT-B/32 (TBAR+DECREE, §6): the stamped batch's similarity loss and its gradient
 * w.r.t. the stamp only (inversion/decree.ts decreeLoss), not the weights. FLOPs counted as a forward
 * plus a backward to the input, 2× forward; the measured time says what that costs next to the
 * fine-tuning step (clip-b32-train, 3× forward).
 */
export function decreeStepCase(batch = CLIP_BENCH_BATCH): BenchCase<DecreeBenchState> {
  const v = BENCH_B32_CONFIG.vision_config;
  const perImage = visionFlopsPerImage(v, BENCH_B32_CONFIG.projection_dim) * 2;
  const s = v.image_size;
  return {
    name: `decree-b32-step${batchSuffix(batch)}`,
    description: `DECREE on ViT-B/32, batch ${batch}, ${s} px: similarity loss + gradient w.r.t. the stamp (mask ${s}², pattern ${s}²×3)`,
    plannedFlops: perImage * batch,
    ...B32_TIMING,
    setup: () => {
      const rng = new Rng(3);
      const variable = (shape: number[], name: string) => tf.tidy(() => tf.variable(tf.zeros(shape), true, `bench/decree-${name}-${Date.now()}`));
      return {
        model: ClipModel.random(BENCH_B32_CONFIG, 1),
        raw: tf.tensor4d(rng.uniformArray(batch * s * s * 3), [batch, s, s, 3]),
        maskU: variable([1, s, s, 1], 'mask'),
        patternU: variable([1, s, s, 3], 'pattern'),
      };
    },
    async run({ model, raw, maskU, patternU }) {
      const { value, grads } = tf.variableGrads(() => decreeLoss(model, raw, maskU, patternU, 0.1).loss, [maskU, patternU]);
      await settle(grads[maskU.name]);
      tf.dispose([value, ...Object.values(grads)]);
    },
    flops: () => perImage * batch,
    items: () => batch,
    itemUnit: 'img',
    teardown: ({ model, raw, maskU, patternU }) => {
      model.dispose();
      tf.dispose([raw, maskU, patternU]);
    },
  };
}

interface AdamWBenchState {
  model: ClipModel;
  optimizer: AdamW;
  grads: Map<string, tf.Tensor>;
}

/**
 * One AdamW update of every ViT-B/32 vision weight (train/adamw.ts: ~14 elementwise ops per tensor,
 * 199 tensors, 87.8M parameters), with fixed gradients: what a fine-tuning step adds after its
 * forward and backward pass. items/s = parameters updated per second.
 */
export function adamwStepCase(): BenchCase<AdamWBenchState> {
  const params = countParams(BENCH_B32_CONFIG).vision;
  return {
    name: 'adamw-b32-step',
    description: `AdamW update of ViT-B/32's vision tower (${(params / 1e6).toFixed(1)}M parameters, one op chain per tensor)`,
    plannedFlops: 14 * params,
    ...B32_TIMING,
    setup: () => {
      const model = ClipModel.random(BENCH_B32_CONFIG, 1);
      const variables = visionVariableMap(model); // as finetuneVision builds it
      const grads = new Map([...variables].map(([n, v]) => [n, tf.tidy(() => tf.fill(v.shape, 1e-3))] as const));
      return { model, optimizer: new AdamW(variables, { weightDecay: 0.1 }), grads };
    },
    async run({ model, optimizer, grads }) {
      optimizer.step(grads, 1e-5);
      await settle(model.weight('vision_model.embeddings.patch_embedding.weight'));
    },
    items: () => params,
    itemUnit: 'param',
    teardown: ({ model, optimizer, grads }) => {
      optimizer.dispose();
      tf.dispose([...grads.values()]);
      model.dispose();
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous registry
export const CASES: BenchCase<any>[] = [
  opOverheadCase(200),
  opOverheadCase(200, false),
  matmulCase(1024),
  clipVisionCase('forward'),
  clipVisionCase('train'),
  adamwStepCase(),
  decreeStepCase(),
];

export function registerCase<S>(c: BenchCase<S>): void {
  if (CASES.some((x) => x.name === c.name)) throw new Error(`bench case '${c.name}' is already registered`);
  CASES.push(c as BenchCase<unknown>);
}

export function findCase(name: string): BenchCase<unknown> {
  const c = CASES.find((x) => x.name === name);
  if (!c) throw new Error(`unknown bench case '${name}' (have: ${CASES.map((x) => x.name).join(', ')})`);
  return c;
}
