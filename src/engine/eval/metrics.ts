/**
 * Evaluation: batched prediction on the device, then metrics on the CPU from Int32Arrays.
 *
 * - CA (clean accuracy)  = share of clean test images predicted as their true class.
 * - ASR (attack success) = among triggered test images whose TRUE class is not the target, the share
 *   predicted as the target (SPEC.md; images of the target class are excluded from the denominator,
 *   since predicting the target there is correct, not an attack success). Returned with its counts,
 *   and rate 0 (never NaN) when no image qualifies: read `count` to tell "0 of 0" from "0 of n".
 *
 * Prediction = argmax of the logits; ties go to the lowest class index (tf.argMax, like torch.argmax).
 */
import { tf } from '../tf';

export class MetricsError extends Error {
  readonly code: 'METRICS_INPUT' | 'METRICS_NONFINITE_LOGITS';
  constructor(code: MetricsError['code'], message: string) {
    super(message);
    this.name = 'MetricsError';
    this.code = code;
  }
}

type IntArray = Int32Array | Uint8Array | Uint16Array | number[];

/**
 * Predicted class of every example 0..numExamples−1, in batches of `batchSize`.
 *
 * `forward(indices)` returns logits [n, C] for those examples; it runs inside tf.tidy (so it must be
 * synchronous, and everything it allocates is freed). The argmax happens on the device; each batch
 * costs one `await data()`, and batch k+1 is queued before batch k is read so a GPU keeps working
 * during the readback. Non-finite logits raise MetricsError (an argmax over NaN is meaningless).
 */
export async function predict(
  numExamples: number,
  batchSize: number,
  forward: (indices: Int32Array) => tf.Tensor2D,
): Promise<Int32Array> {
  if (!Number.isInteger(numExamples) || numExamples < 0) {
    throw new MetricsError('METRICS_INPUT', `numExamples must be a non-negative integer, got ${numExamples}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new MetricsError('METRICS_INPUT', `batchSize must be a positive integer, got ${batchSize}`);
  }
  const out = new Int32Array(numExamples);
  // Queue one batch: returns [argmax per row..., number of non-finite logits] as one int32 tensor.
  const launch = (start: number): { start: number; n: number; t: tf.Tensor1D } => {
    const n = Math.min(batchSize, numExamples - start);
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) indices[i] = start + i;
    const t = tf.tidy(() => {
      const logits = forward(indices); //                                         [n, C]
      if (logits.rank !== 2 || logits.shape[0] !== n) {
        throw new MetricsError('METRICS_INPUT', `forward returned shape [${logits.shape}] for ${n} examples; expected [${n}, C]`);
      }
      const pred = tf.argMax(logits, 1); //                                       [n] int32
      const bad = tf.sum(tf.cast(tf.logicalNot(tf.isFinite(logits)), 'int32')); // [] int32
      return tf.concat([pred, tf.reshape(bad, [1])]) as tf.Tensor1D; //          [n + 1]
    });
    return { start, n, t };
  };
  let pending = numExamples > 0 ? launch(0) : null;
  while (pending) {
    const cur = pending;
    const next = cur.start + cur.n;
    pending = null;
    try {
      if (next < numExamples) pending = launch(next);
      const vals = (await cur.t.data()) as Int32Array;
      if (vals[cur.n] !== 0) {
        throw new MetricsError(
          'METRICS_NONFINITE_LOGITS',
          `the model produced ${vals[cur.n]} NaN/Inf logits for examples ${cur.start}..${cur.start + cur.n - 1}; ` +
            'its weights are probably broken (e.g. a diverged run or a too-large α)',
        );
      }
      out.set(vals.subarray(0, cur.n), cur.start);
    } catch (e) {
      if (pending) pending.t.dispose();
      pending = null;
      throw e;
    } finally {
      cur.t.dispose();
    }
  }
  return out;
}

function checkPair(pred: IntArray, labels: IntArray, what: string): void {
  if (pred.length !== labels.length) {
    throw new MetricsError('METRICS_INPUT', `${what}: ${pred.length} predictions but ${labels.length} labels`);
  }
}

function checkClass(x: number, numClasses: number, what: string, i: number): void {
  if (!Number.isInteger(x) || x < 0 || x >= numClasses) {
    throw new MetricsError('METRICS_INPUT', `${what}[${i}] = ${x} is outside [0, ${numClasses})`);
  }
}

/** Share of predictions equal to the labels. Throws on an empty set (accuracy of nothing is undefined). */
export function accuracy(pred: IntArray, labels: IntArray): number {
  checkPair(pred, labels, 'accuracy');
  if (pred.length === 0) throw new MetricsError('METRICS_INPUT', 'accuracy of an empty set is undefined');
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) correct++;
  return correct / pred.length;
}

export interface AttackSuccess {
  /** hits / count, or 0 when count is 0. */
  rate: number;
  /** Triggered images (true class ≠ target) predicted as the target. */
  hits: number;
  /** Triggered images whose true class is not the target: the denominator. */
  count: number;
}

/**
 * ASR over triggered images: `predOnTriggered[i]` is the prediction for the triggered version of an
 * image whose clean class is `trueLabels[i]`. Images of the target class are excluded.
 */
export function attackSuccessRate(predOnTriggered: IntArray, trueLabels: IntArray, target: number): AttackSuccess {
  checkPair(predOnTriggered, trueLabels, 'attackSuccessRate');
  if (!Number.isInteger(target) || target < 0) {
    throw new MetricsError('METRICS_INPUT', `target must be a non-negative class index, got ${target}`);
  }
  let hits = 0;
  let count = 0;
  for (let i = 0; i < trueLabels.length; i++) {
    if (trueLabels[i] === target) continue;
    count++;
    if (predOnTriggered[i] === target) hits++;
  }
  return { rate: count > 0 ? hits / count : 0, hits, count };
}

export interface PerClassAccuracy {
  /** correct[c] / total[c], or null for a class with no examples. */
  accuracy: (number | null)[];
  correct: Int32Array;
  total: Int32Array;
}

/** Accuracy per true class. */
export function perClassAccuracy(pred: IntArray, labels: IntArray, numClasses: number): PerClassAccuracy {
  checkPair(pred, labels, 'perClassAccuracy');
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new MetricsError('METRICS_INPUT', `numClasses must be a positive integer, got ${numClasses}`);
  }
  const correct = new Int32Array(numClasses);
  const total = new Int32Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    checkClass(labels[i], numClasses, 'labels', i);
    checkClass(pred[i], numClasses, 'pred', i);
    total[labels[i]]++;
    if (pred[i] === labels[i]) correct[labels[i]]++;
  }
  const acc = Array.from(total, (t, c) => (t > 0 ? correct[c] / t : null));
  return { accuracy: acc, correct, total };
}

/** Confusion counts: `matrix[trueClass][predictedClass]`. */
export function confusionMatrix(pred: IntArray, labels: IntArray, numClasses: number): Int32Array[] {
  checkPair(pred, labels, 'confusionMatrix');
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new MetricsError('METRICS_INPUT', `numClasses must be a positive integer, got ${numClasses}`);
  }
  const m = Array.from({ length: numClasses }, () => new Int32Array(numClasses));
  for (let i = 0; i < labels.length; i++) {
    checkClass(labels[i], numClasses, 'labels', i);
    checkClass(pred[i], numClasses, 'pred', i);
    m[labels[i]][pred[i]]++;
  }
  return m;
}
