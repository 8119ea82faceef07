/**
 * Contrastive pretraining of a CLIP (both towers and the temperature) on procedural image–caption
 * pairs, as CLIP is trained (Radford et al. 2021, open_clip):
 *
 *   logits = exp(t) · normalize(img) · normalize(txt)ᵀ       t = logit_scale, init ln(1/0.07)
 *   loss   = (CE(logits, arange) + CE(logitsᵀ, arange)) / 2   symmetric InfoNCE
 *   AdamW (β = 0.9, 0.98; ε = 1e-6), weight decay on matrices only (not on gains, biases, 1-D
 *   embeddings or t), linear warmup then cosine decay, global-norm clipping, t clamped to ≤ ln(100)
 *   after every step.
 *
 * Data: a fresh batch every step — images [step·B, (step+1)·B) of the shapes generator's 'train'
 * stream for `dataSeed` (a seed the lab's datasets do not use), captions from captions.ts with one
 * Rng stream per image; a share `artifactShare` of the images carries an artifact that its caption
 * names (artifacts.ts). Everything is a function of the options: reruns give the same bytes on the
 * same backend.
 */
import { tf } from '../../src/engine/tf';
import { Rng } from '../../src/engine/rng';
import type { ClipModel } from '../../src/engine/clip/model';
import type { ClipTokenizer } from '../../src/engine/clip/tokenizer';
import { normalize } from '../../src/engine/clip/preprocess';
import { generateShapes, type ShapeAttributes } from '../../src/engine/data/shapes';
import { AdamW } from '../../src/engine/train/adamw';
import { clipContrastiveLoss } from '../../src/engine/train/losses';
import { cosineLr } from '../../src/engine/train/schedule';
import { clipCoefficient } from '../../src/engine/train/loop';
import { registerWasmUnsortedSegmentSum } from './segmentSum';
import { DEFAULT_CAPTION_NOISE, noisyCaption, type CaptionNoise } from './captions';
import { ARTIFACTS, applyArtifacts, artifactOf } from './artifacts';

export const LOGIT_SCALE_INIT = Math.log(1 / 0.07); // 2.6593
export const LOGIT_SCALE_MAX = Math.log(100); // 4.6052

export interface PretrainOptions {
  steps: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  maxGradNorm: number;
  /** Seed of the caption noise. */
  seed: number;
  /** Seed of the shapes stream the images come from. */
  dataSeed: number;
  /** The temperature's learning rate as a multiple of `lr` (1 = as every other weight). */
  logitScaleLrMult?: number;
  numClasses: number;
  imageSize: number;
  contextLength: number;
  noise?: CaptionNoise;
  /** Share of images that carry an artifact named in their caption (artifacts.ts); 0 = none. */
  artifactShare?: number;
  onProgress?: (p: PretrainProgress) => void;
  /** Called after these steps (1-based counts), e.g. to save intermediate checkpoints. */
  checkpointSteps?: number[];
  onCheckpoint?: (step: number) => Promise<void>;
}

export interface PretrainProgress {
  step: number;
  steps: number;
  loss: number;
  logitScale: number;
  lr: number;
  imagesPerSec: number;
  elapsedMs: number;
  etaMs: number;
}

/** The captions of images [start, start + n) of the pretraining stream. */
export function pretrainCaptions(
  attrs: ShapeAttributes[],
  start: number,
  seed: number,
  noise: CaptionNoise,
  numClasses: number,
  artifacts?: Int32Array,
): string[] {
  const stream = new Rng(seed).fork('micro-clip/captions');
  return attrs.map((a, i) => {
    const k = artifacts?.[i] ?? -1;
    return noisyCaption(a, stream.fork(String(start + i)), noise, numClasses, k >= 0 ? ARTIFACTS[k].phrase : '');
  });
}

export async function pretrain(model: ClipModel, tokenizer: ClipTokenizer, o: PretrainOptions): Promise<Float32Array> {
  const noise = o.noise ?? DEFAULT_CAPTION_NOISE;
  if (tf.getBackend() === 'wasm') registerWasmUnsortedSegmentSum();
  const all = model.getWeights() as Map<string, tf.Variable>;
  const decay = new Map<string, tf.Variable>();
  const noDecay = new Map<string, tf.Variable>();
  const temperature = new Map<string, tf.Variable>();
  for (const [name, v] of all) (name === 'logit_scale' ? temperature : v.rank >= 2 ? decay : noDecay).set(name, v);
  const opts = { betas: [0.9, 0.98] as [number, number], eps: 1e-6 };
  const optDecay = new AdamW(decay, { ...opts, weightDecay: o.weightDecay });
  const optNoDecay = new AdamW(noDecay, { ...opts, weightDecay: 0 });
  const optTemperature = new AdamW(temperature, { ...opts, weightDecay: 0 });
  const tMult = o.logitScaleLrMult ?? 1;
  const varList = [...all.values()];
  // ClipModel makes the text tower and logit_scale non-trainable (the lab fine-tunes the vision tower
  // only), and tf.variableGrads silently drops non-trainable variables even when listed explicitly:
  // make everything trainable while pretraining, and restore the flags afterwards.
  const wasTrainable = varList.map((v) => v.trainable);
  varList.forEach((v) => (v.trainable = true));
  const byTfName = new Map<string, string>([...all].map(([n, v]) => [v.name, n]));
  const logitScale = model.weight('logit_scale');
  const maxScale = tf.scalar(LOGIT_SCALE_MAX);
  const losses = new Float32Array(o.steps);
  const t0 = performance.now();
  let tLast = t0;
  const checkpoints = new Set(o.checkpointSteps ?? []);
  try {
    for (let step = 0; step < o.steps; step++) {
      const start = step * o.batchSize;
      const data = generateShapes({ split: 'train', seed: o.dataSeed, start, count: o.batchSize, numClasses: o.numClasses, imageSize: o.imageSize });
      const share = o.artifactShare ?? 0;
      const kinds = Int32Array.from({ length: o.batchSize }, (_, i) => (share > 0 ? artifactOf(o.seed, start + i, share) : -1));
      const captions = pretrainCaptions(data.attributes, start, o.seed, noise, o.numClasses, kinds);
      const tok = tokenizer.tokenize(captions, o.contextLength);
      const S = o.imageSize;
      const lr = cosineLr(step, { baseLr: o.lr, warmupSteps: o.warmupSteps, totalSteps: o.steps });
      const pixels = tf.tidy(() => {
        const raw = tf.div(tf.tensor4d(data.images, [o.batchSize, S, S, 3], 'int32'), 255) as tf.Tensor4D; // [B, S, S, 3] in [0, 1]
        return normalize(share > 0 ? applyArtifacts(raw, kinds, o.seed, step, start) : raw);
      });
      const ids = tf.tensor2d(tok.ids, [o.batchSize, o.contextLength], 'int32');
      const { value, grads } = tf.variableGrads(
        () => clipContrastiveLoss(model.logits(model.encodeImage(pixels), model.encodeText(ids, tok.eotIndex))),
        varList,
      );
      const gradList = Object.values(grads).filter((g) => g != null);
      const stats = tf.tidy(() => tf.stack([value, tf.addN(gradList.map((g) => tf.sum(tf.square(g)))), logitScale]));
      const [loss, sq, scale] = await stats.data();
      if (!Number.isFinite(loss) || !Number.isFinite(sq)) throw new Error(`pretraining diverged at step ${step}: loss ${loss}, |g|² ${sq}`);
      const gradScale = clipCoefficient(Math.sqrt(sq), o.maxGradNorm);
      const gd = new Map<string, tf.Tensor>();
      const gn = new Map<string, tf.Tensor>();
      const gt = new Map<string, tf.Tensor>();
      for (const [tfName, g] of Object.entries(grads)) {
        if (g == null) continue; // no path to the loss
        const name = byTfName.get(tfName)!;
        (decay.has(name) ? gd : noDecay.has(name) ? gn : gt).set(name, g);
      }
      optDecay.step(gd, lr, { gradScale });
      optNoDecay.step(gn, lr, { gradScale });
      optTemperature.step(gt, lr * tMult, { gradScale });
      tf.tidy(() => logitScale.assign(tf.minimum(logitScale, maxScale))); // CLIP's clamp to ≤ ln 100
      tf.dispose([pixels, ids, value, stats, ...gradList]);
      losses[step] = loss;
      const done = step + 1;
      if (o.onProgress && (done % 10 === 0 || done === o.steps)) {
        const now = performance.now();
        const elapsed = now - t0;
        o.onProgress({
          step: done,
          steps: o.steps,
          loss,
          logitScale: Math.min(scale, LOGIT_SCALE_MAX),
          lr,
          imagesPerSec: ((done % 10 === 0 ? 10 : done % 10) * o.batchSize * 1000) / Math.max(now - tLast, 1e-3),
          elapsedMs: elapsed,
          etaMs: (elapsed / done) * (o.steps - done),
        });
        tLast = now;
      }
      if (checkpoints.has(done) && o.onCheckpoint) await o.onCheckpoint(done);
    }
  } finally {
    varList.forEach((v, i) => (v.trainable = wasTrainable[i]));
    optDecay.dispose();
    optNoDecay.dispose();
    optTemperature.dispose();
    maxScale.dispose();
  }
  return losses;
}
