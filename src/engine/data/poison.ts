/**
 * Poisoning of the attack's training split (TBAR paper §5.1 / appendix A.1–A.2: "poisoned at a rate of
 * 3% of their training data"; backdoor = trigger + relabel to the target class).
 *
 * Convention (documented because papers leave it open):
 *   - the count is round(poisonRate · N) with N = ALL images of the training split, target class
 *     included (the rate is a share of the training data, as the paper states it);
 *   - the poisoned images are drawn, by seed, among the images whose true label ≠ target. Relabelling
 *     a target-class image to the target changes nothing, so such an image would be a clean-label
 *     sample, not a poisoned one; this also matches ASR, which excludes target-class images;
 *   - each poisoned image is triggered (in batches.ts, at model resolution, before normalisation) and
 *     its label is replaced by the target. The rest of the split is untouched.
 */
import { Rng } from '../rng';

export class PoisonError extends Error {
  readonly code: 'bad-target' | 'bad-rate' | 'not-enough-images';
  constructor(code: PoisonError['code'], message: string) {
    super(message);
    this.name = 'PoisonError';
    this.code = code;
  }
}

export interface PoisonPlan {
  /** [N] 1 where the training example is triggered and relabelled. */
  mask: Uint8Array;
  /** [round(rate·N)] positions within the split of the poisoned examples, ascending. */
  positions: Int32Array;
  /** [N] labels to train on: target at poisoned positions, the true label elsewhere. */
  labels: Int32Array;
  target: number;
}

/** Number of poisoned images for a split of `n` images: round(rate·n). */
export function poisonCount(n: number, rate: number): number {
  return Math.round(rate * n);
}

/**
 * Choose and relabel the poisoned examples of a training split with true labels `labels` [N].
 * Deterministic in `seed`.
 */
export function poisonTrainingSplit(labels: Int32Array, target: number, rate: number, seed: number, numClasses?: number): PoisonPlan {
  if (!Number.isInteger(target) || target < 0 || (numClasses !== undefined && target >= numClasses)) {
    throw new PoisonError('bad-target', `target must be a class index in [0, ${numClasses ?? '?'}), got ${target}`);
  }
  if (!(rate > 0 && rate < 1)) throw new PoisonError('bad-rate', `poisonRate must lie in (0, 1), got ${rate}`);
  const n = labels.length;
  const count = poisonCount(n, rate);
  const candidates: number[] = [];
  for (let i = 0; i < n; i++) if (labels[i] !== target) candidates.push(i);
  if (count > candidates.length) {
    throw new PoisonError(
      'not-enough-images',
      `poisoning ${count} of ${n} training images needs ${count} images outside the target class, but there are ${candidates.length}`,
    );
  }
  if (count < 1) {
    throw new PoisonError('bad-rate', `poisonRate ${rate} of ${n} training images rounds to 0 poisoned images; raise the rate or the training split`);
  }
  const chosen = new Rng(seed).fork('poison').shuffle(candidates).slice(0, count).sort((a, b) => a - b);
  const mask = new Uint8Array(n);
  const out = Int32Array.from(labels);
  for (const i of chosen) {
    mask[i] = 1;
    out[i] = target;
  }
  return { mask, positions: Int32Array.from(chosen), labels: out, target };
}
