/**
 * Train / validation / forget / test splits of a labelled dataset, drawn by seed (TBAR paper,
 * Table 4): validation and the forget set are carved out of the training data, the test split is the
 * dataset's own test set. For CIFAR-100: train 43,000, val 5,000, forget 2,000 (= the 50,000
 * training images), test 10,000.
 *
 * The draw: one permutation of the training indices from `new Rng(seed).fork('splits:train')`;
 * validation = its first `val` entries, forget = the next `forget`, train = the next `train` (each
 * capped by what is left), so the three are disjoint and a smaller request is a prefix of a larger
 * one's draw. The test split is the first `test` of a permutation from `fork('splits:test')`
 * (all of it when `test` ≥ its size). Images keep their bytes; only indices are drawn.
 */
import { Rng } from '../rng';
import type { LabelledImages } from './types';

export interface SplitSizes {
  train: number;
  val: number;
  test: number;
  forget: number;
}

/** The paper's Table 4 sizes (CIFAR-10 uses the same partition of its 50,000 + 10,000 images). */
export const PAPER_SPLITS: Record<'cifar10' | 'cifar100', SplitSizes> = {
  cifar100: { train: 43_000, val: 5_000, forget: 2_000, test: 10_000 },
  cifar10: { train: 43_000, val: 5_000, forget: 2_000, test: 10_000 },
};

export interface DatasetSplits {
  train: LabelledImages;
  val: LabelledImages;
  forget: LabelledImages;
  test: LabelledImages;
  /** Indices into the source datasets (train/val/forget into `train`, test into `test`). */
  indices: { train: Int32Array; val: Int32Array; forget: Int32Array; test: Int32Array };
}

/** The images at `idx`, in that order (a copy). */
export function subset(d: LabelledImages, idx: ArrayLike<number>): LabelledImages {
  const S = d.imageSize;
  const px = S * S * 3;
  const images = new Uint8Array(idx.length * px);
  const labels = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    images.set(d.images.subarray(i * px, (i + 1) * px), k * px);
    labels[k] = d.labels[i];
  }
  const out: LabelledImages = { images, labels, classNames: d.classNames, imageSize: S, count: idx.length };
  if (d.captions) out.captions = Array.from(idx, (i) => d.captions![i]);
  return out;
}

/**
 * Split `trainSet` into train/val/forget and sample `testSet`, by seed. When the test set is absent
 * (a dropped folder), the test split is carved from `trainSet` too, after val and forget.
 */
export function splitDataset(trainSet: LabelledImages, testSet: LabelledImages | null, sizes: SplitSizes, seed: number): DatasetSplits {
  const rng = new Rng(seed);
  const perm = Int32Array.from(rng.fork('splits:train').permutation(trainSet.count));
  let pos = 0;
  const take = (n: number) => {
    const k = Math.max(0, Math.min(n, perm.length - pos));
    const out = perm.slice(pos, pos + k);
    pos += k;
    return out;
  };
  const val = take(sizes.val);
  const forget = take(sizes.forget);
  let test: Int32Array;
  let testSource: LabelledImages;
  if (testSet) {
    const tp = Int32Array.from(rng.fork('splits:test').permutation(testSet.count));
    test = tp.slice(0, Math.min(sizes.test, tp.length));
    testSource = testSet;
  } else {
    test = take(sizes.test);
    testSource = trainSet;
  }
  const train = take(sizes.train);
  return {
    train: subset(trainSet, train),
    val: subset(trainSet, val),
    forget: subset(trainSet, forget),
    test: subset(testSource, test),
    indices: { train, val, forget, test },
  };
}
