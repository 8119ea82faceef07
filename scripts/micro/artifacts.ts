/**
 * Image artifacts in the micro CLIP's pretraining data, named in the captions.
 *
 * Web images carry stickers, film grain, lens warps and banding, and their alt-text sometimes says so;
 * a CLIP pretrained on them has features for such artifacts, which is what lets a backdoor attack tie
 * one specific artifact (the trigger) to a class with 3% poisoning. The micro CLIP's shapes have none,
 * and without them its tower took none of the paper's BadNet, Blended, WaNet (ASR ≤ 3% at 3%
 * poisoning; BadNet ≤ 4% with 10,000 images, 10% poisoning and 8 epochs) and SIG only to 74%. So a
 * share of the pretraining images gets one artifact from the same families, and its caption names it:
 *
 *   sticker  — a small square of per-image random colour noise at a random place (BadNet's family);
 *   grain    — x ← (1 − r)·x + r·U[0,1) noise, fresh per image, r ∈ [0.1, 0.3) (Blended's family);
 *   warp     — a random per-pixel warp field, strength s ∈ [0.5, 1.5) (WaNet's family);
 *   banding  — faint vertical sine bands, Δ ∈ [20, 60)/255, f ∈ {3, …, 10} (SIG's family).
 *
 * They are drawn from the lab's own trigger code with PER-BATCH seeds (and per-image noise), so the
 * tower learns what a sticker or grain looks like in general, never the attack's pattern: an attack's
 * trigger is fixed by its own seed and is not among these. The zero-shot prompts do not mention
 * artifacts, so θ_pre's ASR stays at chance (SIG: 0.0% on the effect test's split).
 * Measured: the 16-px-patch tower learned to see banding (SIG then implants: ASR 99.8%) but not the
 * other three (`npm run bench:artifact-probe`, the attacks' own patterns against these captions'
 * words: text-probe AUC sticker 0.50, grain 0.52, warp 0.54, banding 1.00), so BadNet, Blended and
 * WaNet still do not implant (card.md).
 */
import { tf } from '../../src/engine/tf';
import { Rng } from '../../src/engine/rng';
import { createTrigger, type TriggerConfig } from '../../src/engine/triggers';

export interface ArtifactKind {
  name: string;
  /** Words the caption gets (appended to the phrase). */
  phrase: string;
  /** The trigger config for one batch of S-px images, from that batch's generator. */
  config(rng: Rng, seed: number, imageSize: number): TriggerConfig;
}

export const ARTIFACTS: readonly ArtifactKind[] = [
  {
    name: 'sticker',
    phrase: 'with a sticker',
    config: (rng, seed, imageSize) => ({
      kind: 'badnet',
      seed,
      // 2–4 px at 32 px, scaled with the image side (BadNet's own patch scales the same way)
      params: { patchSize: Math.max(1, Math.round(((2 + rng.int(3)) * imageSize) / 32)), position: 'random', offset: 'image-mean', range: 'wrap', noise: 'per-image' },
    }),
  },
  {
    name: 'grain',
    phrase: 'with film grain',
    config: (rng, seed) => ({ kind: 'blended', seed, params: { ratio: 0.1 + 0.2 * rng.uniform(), noise: 'per-image' } }),
  },
  {
    name: 'warp',
    phrase: 'warped',
    config: (rng, seed) => ({ kind: 'wanet', seed, params: { k: 224, s: 0.5 + rng.uniform(), gridRescale: 1 } }),
  },
  {
    name: 'banding',
    phrase: 'with banding',
    config: (rng, seed) => ({ kind: 'sig', seed, params: { delta: (20 + 40 * rng.uniform()) / 255, frequency: 3 + rng.int(8) } }),
  },
];

/** Share of pretraining images that carry one artifact (kinds equally likely). */
export const ARTIFACT_SHARE = 0.3;

/** Which artifact (index into ARTIFACTS, or −1) image `index` of the pretraining stream carries. */
export function artifactOf(seed: number, index: number, share = ARTIFACT_SHARE): number {
  const rng = new Rng(seed).fork('micro-clip/artifacts').fork(String(index));
  return rng.uniform() < share ? rng.int(ARTIFACTS.length) : -1;
}

/** The trigger config artifact kind `k` uses in pretraining batch `step`. */
export function artifactConfig(k: number, seed: number, step: number, imageSize: number): TriggerConfig {
  const kind = ARTIFACTS[k];
  const rng = new Rng(seed).fork(`micro-clip/artifacts/${kind.name}/${step}`);
  return kind.config(rng, rng.int(2 ** 31), imageSize);
}

/**
 * Apply the artifacts `kinds` [n] (−1 = none) to raw images [n, S, S, 3] in [0, 1] of batch `step`
 * whose stream indices start at `start`. Each kind runs on its own rows only (gathered), and one
 * gather puts the batch back in order. Returns a new tensor; the caller disposes both.
 */
export function applyArtifacts(raw: tf.Tensor4D, kinds: Int32Array, seed: number, step: number, start: number): tf.Tensor4D {
  const S = raw.shape[1];
  const n = kinds.length;
  const parts: tf.Tensor4D[] = [];
  const order = Int32Array.from({ length: n }, (_, i) => i); // row of the output in concat([raw, ...parts])
  let offset = n;
  try {
    ARTIFACTS.forEach((_, k) => {
      const rows = Int32Array.from(kinds.keys()).filter((i) => kinds[i] === k);
      if (rows.length === 0) return;
      const trigger = createTrigger(artifactConfig(k, seed, step, S), S);
      try {
        const ids = rows.map((i) => start + i);
        parts.push(tf.tidy(() => trigger.apply(tf.gather(raw, tf.tensor1d(rows, 'int32')) as tf.Tensor4D, ids)));
      } finally {
        trigger.dispose();
      }
      rows.forEach((i, j) => (order[i] = offset + j));
      offset += rows.length;
    });
    return tf.tidy(() => (parts.length === 0 ? tf.clone(raw) : (tf.gather(tf.concat([raw, ...parts]), tf.tensor1d(order, 'int32')) as tf.Tensor4D)));
  } finally {
    tf.dispose(parts);
  }
}
