/**
 * Train / val / test / forget splits of a dataset, drawn by seed (issue #5; TBAR paper appendix A.2.1).
 *
 * A dataset arrives as pools (what its files hold): a training pool, and optionally a test pool and a
 * validation pool (a dropped folder of images has only the training pool). The paper's layout for CIFAR100 is 43k train + 5k val + 2k forget from the official
 * training set and the official test set as test; this does the same:
 *
 *   test   = the first `test` rows of a seeded permutation of the test pool; without a test pool, carved
 *            from the training pool like val;
 *   val    = from the val pool when there is one, else carved from the training pool;
 *   forget = from the training pool, DISJOINT from the attack's training images (paper §4: "a small,
 *            disjoint forget set"; A.2.1: "sample a forget set from the training split prior to training");
 *   train  = from the training pool, the rest of the request.
 * One seeded permutation of the training pool is cut into consecutive [val,] forget, [test,] train
 * ranges, so the parts cannot overlap.
 *
 * Caps. When the training pool holds fewer images than requested (val if carved + forget + train), each
 * part is scaled by the same factor, floor(want·available/sum), so a small folder still gets every split
 * in the requested proportions (a part that would round to 0 gets 1 image from the largest part); test and a separate val pool are capped at their pool's size. A split that
 * ends up empty is an error (the dataset is too small for the request).
 *
 * Sample ids. Every image gets a globally unique id (its row in the training pool; VAL_ID_OFFSET + row
 * for a val pool; TEST_ID_OFFSET + row for the test pool); triggers take them as `sampleIndices`, so an
 * image's per-image trigger randomness (BadNet's patch position) is the same in every epoch and run.
 */
import { Rng } from '../rng';
import type { SplitConfig } from '../experiment/config';
import type { LabelledImages } from './types';

export const VAL_ID_OFFSET = 1 << 26;
export const TEST_ID_OFFSET = 2 << 26;

export type SplitName = 'train' | 'val' | 'test' | 'forget';

/** What a dataset's files hold. All pools share class names and image size. */
export interface DataPools {
  /** The pool train, forget (and val, when `val` is absent) are drawn from. */
  train: LabelledImages;
  val?: LabelledImages;
  /** Absent: the test split is carved from `train` (after val and forget). */
  test?: LabelledImages;
}

/** A split: rows of one pool, their true labels and their global sample ids. */
export interface ImageSplit {
  name: SplitName;
  pool: LabelledImages;
  /** [n] row of each example in `pool`. */
  rows: Int32Array;
  /** [n] true class of each example. */
  labels: Int32Array;
  /** [n] globally unique image id (trigger `sampleIndices`). */
  sampleIds: Int32Array;
}

export interface ExperimentSplits {
  train: ImageSplit;
  val: ImageSplit;
  test: ImageSplit;
  forget: ImageSplit;
  /** True when a part got fewer images than requested. */
  capped: boolean;
}

export class DataSplitError extends Error {
  readonly code: 'bad-pools' | 'too-small' | 'bad-request';
  constructor(code: DataSplitError['code'], message: string) {
    super(message);
    this.name = 'DataSplitError';
    this.code = code;
  }
}

export interface SplitCounts {
  train: number;
  val: number;
  test: number;
  forget: number;
  /** Whether val is carved from the training pool. */
  valFromTrain: boolean;
  /** Whether test is carved from the training pool. */
  testFromTrain: boolean;
  capped: boolean;
}

/** Scale `want` down proportionally (floor) when it does not fit into `available`. */
function allocate(want: number[], available: number): number[] {
  const sum = want.reduce((a, b) => a + b, 0);
  if (sum <= available) return want.slice();
  const got = want.map((w) => Math.floor((w * available) / sum));
  // A small pool (a dropped folder of a dozen images) still gives every part one image, taken from
  // the largest part while it has more than one: val/forget/test of 0 images would measure nothing.
  for (let i = 0; i < got.length; i++) {
    if (want[i] < 1 || got[i] > 0) continue;
    const j = got.indexOf(Math.max(...got));
    if (got[j] > 1) {
      got[j]--;
      got[i] = 1;
    }
  }
  return got;
}

/** How many images each split gets from pools of these sizes (pure; see the file comment). */
export function splitCounts(pools: { train: number; val?: number; test?: number }, req: SplitConfig): SplitCounts {
  for (const k of ['train', 'val', 'test', 'forget'] as const) {
    const v = req[k];
    if (!Number.isInteger(v) || v < 1) throw new DataSplitError('bad-request', `splits.${k} must be a positive integer, got ${v}`);
  }
  const valFromTrain = pools.val === undefined;
  const testFromTrain = pools.test === undefined;
  // What the training pool is asked for, in the order it is cut: [val,] forget, [test,] train.
  const fromTrain: number[] = [...(valFromTrain ? [req.val] : []), req.forget, ...(testFromTrain ? [req.test] : []), req.train];
  const got = allocate(fromTrain, pools.train);
  const val = valFromTrain ? got.shift()! : Math.min(req.val, pools.val!);
  const forget = got.shift()!;
  const test = testFromTrain ? got.shift()! : Math.min(req.test, pools.test!);
  const train = got.shift()!;
  const counts = { train, val, test, forget };
  for (const [k, v] of Object.entries(counts)) {
    if (v < 1) {
      throw new DataSplitError(
        'too-small',
        `the dataset is too small for the requested splits: ${k} would get no image (pools: train ${pools.train}` +
          `${pools.val !== undefined ? `, val ${pools.val}` : ''}${pools.test !== undefined ? `, test ${pools.test}` : ''}; requested ${JSON.stringify(req)})`,
      );
    }
  }
  const capped = train < req.train || val < req.val || test < req.test || forget < req.forget;
  return { ...counts, valFromTrain, testFromTrain, capped };
}

function checkPools(pools: DataPools): void {
  const all = [pools.train, pools.val, pools.test].filter((p): p is LabelledImages => p !== undefined);
  const ref = pools.train;
  for (const p of all) {
    if (p.imageSize !== ref.imageSize) throw new DataSplitError('bad-pools', `pools have different image sizes (${p.imageSize} vs ${ref.imageSize})`);
    if (p.classNames.length !== ref.classNames.length || p.classNames.some((c, i) => c !== ref.classNames[i])) {
      throw new DataSplitError('bad-pools', 'pools have different class names');
    }
    if (p.labels.length !== p.count || p.images.length !== p.count * p.imageSize * p.imageSize * 3) {
      throw new DataSplitError('bad-pools', `a pool's arrays do not match its count ${p.count}`);
    }
  }
}

function makeSplit(name: SplitName, pool: LabelledImages, rows: number[], idOffset: number): ImageSplit {
  const r = Int32Array.from(rows);
  return {
    name,
    pool,
    rows: r,
    labels: Int32Array.from(r, (i) => pool.labels[i]),
    sampleIds: Int32Array.from(r, (i) => idOffset + i),
  };
}

/** Draw the four splits by `seed` (see the file comment). */
export function makeSplits(pools: DataPools, req: SplitConfig, seed: number): ExperimentSplits {
  checkPools(pools);
  const c = splitCounts({ train: pools.train.count, val: pools.val?.count, test: pools.test?.count }, req);
  const rng = new Rng(seed);
  const trainPerm = rng.fork('splits/train-pool').permutation(pools.train.count);
  let at = 0;
  const take = (n: number) => trainPerm.slice(at, (at += n));
  let val: ImageSplit;
  if (c.valFromTrain) {
    val = makeSplit('val', pools.train, take(c.val), 0);
  } else {
    const valPerm = rng.fork('splits/val-pool').permutation(pools.val!.count);
    val = makeSplit('val', pools.val!, valPerm.slice(0, c.val), VAL_ID_OFFSET);
  }
  const forget = makeSplit('forget', pools.train, take(c.forget), 0);
  const test = pools.test
    ? makeSplit('test', pools.test, rng.fork('splits/test-pool').permutation(pools.test.count).slice(0, c.test), TEST_ID_OFFSET)
    : makeSplit('test', pools.train, take(c.test), 0);
  const train = makeSplit('train', pools.train, take(c.train), 0);
  return { train, val, test, forget, capped: c.capped };
}

/** The first `n` examples of a split (n capped at its size), as a split of its own. */
export function headOf(split: ImageSplit, n: number): ImageSplit {
  const k = Math.max(0, Math.min(n, split.rows.length));
  return { ...split, rows: split.rows.slice(0, k), labels: split.labels.slice(0, k), sampleIds: split.sampleIds.slice(0, k) };
}

/** The split's examples twice over, in order: [e₀ … eₙ₋₁, e₀ … eₙ₋₁] (ξ runs each image clean and triggered in one pass). */
export function doubled(split: ImageSplit): ImageSplit {
  const twice = (a: Int32Array) => {
    const out = new Int32Array(2 * a.length);
    out.set(a);
    out.set(a, a.length);
    return out;
  };
  return { ...split, rows: twice(split.rows), labels: twice(split.labels), sampleIds: twice(split.sampleIds) };
}

/** The examples at `indices` (in that order) as a split of its own; sample ids go along, so triggers match. */
export function pick(split: ImageSplit, indices: ArrayLike<number>): ImageSplit {
  const at = (a: Int32Array) => Int32Array.from(indices, (i) => a[i]);
  return { ...split, rows: at(split.rows), labels: at(split.labels), sampleIds: at(split.sampleIds) };
}

/** The examples of a split whose true class is not `target` (the images ASR is measured on). */
export function withoutClass(split: ImageSplit, target: number): ImageSplit {
  const keep: number[] = [];
  for (let i = 0; i < split.labels.length; i++) if (split.labels[i] !== target) keep.push(i);
  return pick(split, keep);
}
