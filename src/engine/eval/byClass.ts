/**
 * Clean accuracy by true class: what "CA retained" hides on a task with few classes.
 *
 * TBAR fine-tunes θ_b on triggered images that are ALL labelled with the target (eq. 4), so τ̂_t can
 * carry, besides the trigger → target link, a plain "answer the target" direction; θ̂_c = θ_b − α·τ̂_t
 * (eq. 5) then takes the target class's own clean images down with the backdoor. On the paper's
 * CIFAR-100 or ImageNet that class is 1% or 0.1% of the test set; on the lab's 10 shapes classes it
 * is 10%, so the same effect costs up to 10 points of CA. `targetBreakdown` splits CA into the target
 * class and the others, before and after.
 *
 * Counts, not rates, are kept (`correct[c]` of `total[c]` test images of class c predicted right), so
 * every figure here is exact and a run's JSON holds enough to recompute any of them.
 * No tfjs: the UI imports this module.
 */

/** Clean predictions on one split counted by true class. */
export interface ClassCounts {
  /** correct[c] = images of true class c predicted as c. */
  correct: number[];
  /** total[c] = images of true class c. */
  total: number[];
}

/** CA over the images whose true class satisfies `keep` (all by default); null when there are none. */
export function accuracyOver(c: ClassCounts, keep: (cls: number) => boolean = () => true): number | null {
  let right = 0;
  let n = 0;
  for (let k = 0; k < c.total.length; k++) {
    if (!keep(k)) continue;
    right += c.correct[k];
    n += c.total[k];
  }
  return n > 0 ? right / n : null;
}

/** Accuracy of each class, null for a class with no image. */
export function perClassRates(c: ClassCounts): (number | null)[] {
  return c.total.map((t, k) => (t > 0 ? c.correct[k] / t : null));
}

export interface TargetBreakdown {
  /** The target class's own clean images: accuracy before (θ_b) and after (θ̂_c). */
  target: { before: number | null; after: number | null; images: number };
  /** Every other class's images: accuracy before and after, and after / before. */
  others: { before: number | null; after: number | null; retained: number | null; images: number };
}

/**
 * CA of the target class and of the others, before and after. `before` and `after` must count the
 * same images (same classes, same totals): anything else is not a before/after pair and throws.
 */
export function targetBreakdown(before: ClassCounts, after: ClassCounts, target: number): TargetBreakdown {
  checkCounts(before, 'before');
  checkCounts(after, 'after');
  const n = before.total.length;
  if (after.total.length !== n || after.total.some((t, k) => t !== before.total[k])) {
    throw new RangeError(`targetBreakdown: before and after count different images (totals ${before.total.join(',')} vs ${after.total.join(',')})`);
  }
  if (!Number.isInteger(target) || target < 0 || target >= n) throw new RangeError(`targetBreakdown: target ${target} is not a class index in [0, ${n})`);
  const isTarget = (k: number) => k === target;
  const isOther = (k: number) => k !== target;
  const ob = accuracyOver(before, isOther);
  const oa = accuracyOver(after, isOther);
  return {
    target: { before: accuracyOver(before, isTarget), after: accuracyOver(after, isTarget), images: before.total[target] },
    others: { before: ob, after: oa, retained: ob !== null && oa !== null && ob > 0 ? oa / ob : null, images: before.total.reduce((s, t, k) => s + (k === target ? 0 : t), 0) },
  };
}

function checkCounts(c: ClassCounts, what: string): void {
  if (c.correct.length !== c.total.length) throw new RangeError(`targetBreakdown: ${what} has ${c.correct.length} correct counts for ${c.total.length} classes`);
  c.total.forEach((t, k) => {
    const r = c.correct[k];
    if (!Number.isInteger(t) || !Number.isInteger(r) || t < 0 || r < 0 || r > t) {
      throw new RangeError(`targetBreakdown: ${what} class ${k} has ${r} correct of ${t} images`);
    }
  });
}
