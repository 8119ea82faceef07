/**
 * Losses for fine-tuning, differentiable (use them inside tf.variableGrads / the training loop).
 *
 * - `crossEntropy`: torch's `F.cross_entropy(logits, labels)` (mean reduction, no label smoothing):
 *   mean_b( logsumexp(z_b) − z_b[y_b] ), computed with tf.logSoftmax (max-shifted, so large logits do
 *   not overflow; its custom gradient is softmax − onehot).
 * - `clipContrastiveLoss`: CLIP's symmetric InfoNCE on a [B, B] image–text logit matrix whose matching
 *   pairs lie on the diagonal: (CE(rows, arange) + CE(columns, arange)) / 2, as in open_clip's
 *   ClipLoss and HF's `clip_loss`.
 */
import { tf } from '../tf';

export class LossError extends Error {
  readonly code = 'LOSS_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'LossError';
  }
}

/**
 * Mean cross-entropy of `logits` [B, C] against integer class labels [B].
 *
 * `labels` as an Int32Array is range-checked here (a typed error names the first bad entry). A label
 * tensor cannot be checked without a GPU read, so it must already hold values in [0, C): an
 * out-of-range label would make its one-hot row all zeros and that example would add 0 to the sum.
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D | Int32Array): tf.Scalar {
  if (logits.rank !== 2) throw new LossError(`crossEntropy expects logits [B, C], got shape [${logits.shape}]`);
  const [b, c] = logits.shape;
  const n = labels instanceof Int32Array ? labels.length : labels.shape[0];
  if (!(labels instanceof Int32Array) && labels.rank !== 1) {
    throw new LossError(`crossEntropy expects labels [B], got shape [${labels.shape}]`);
  }
  if (n !== b) throw new LossError(`crossEntropy got ${b} rows of logits but ${n} labels`);
  if (b === 0) throw new LossError('crossEntropy of an empty batch is undefined');
  if (labels instanceof Int32Array) {
    for (let i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= c) {
        throw new LossError(`label ${labels[i]} at position ${i} is outside [0, ${c})`);
      }
    }
  } else if (labels.dtype !== 'int32') {
    throw new LossError(`crossEntropy expects int32 labels, got ${labels.dtype}`);
  }
  return tf.tidy(() => {
    const y = labels instanceof Int32Array ? tf.tensor1d(labels, 'int32') : labels;
    // oneHot's dtype argument is ignored by the wasm kernel (it writes int32 bits into a float32
    // tensor), so build it as int32 and cast.
    const onehot = tf.cast(tf.oneHot(y, c), 'float32'); //          [B, C]
    const logp = tf.logSoftmax(logits); //                           [B, C]
    return tf.neg(tf.div(tf.sum(tf.mul(onehot, logp)), b)) as tf.Scalar;
  });
}

/**
 * CLIP's symmetric contrastive loss from `logitsPerImage` [B, B] (row i = image i against every text;
 * text i is image i's positive): (CE(L, arange) + CE(Lᵀ, arange)) / 2.
 */
export function clipContrastiveLoss(logitsPerImage: tf.Tensor2D): tf.Scalar {
  if (logitsPerImage.rank !== 2 || logitsPerImage.shape[0] !== logitsPerImage.shape[1]) {
    throw new LossError(`clipContrastiveLoss expects a square [B, B] matrix, got [${logitsPerImage.shape}]`);
  }
  const b = logitsPerImage.shape[0];
  if (b === 0) throw new LossError('clipContrastiveLoss of an empty batch is undefined');
  return tf.tidy(() => {
    const eye = tf.eye(b); //                                                        [B, B]
    const rows = tf.logSoftmax(logitsPerImage); //                                   image → text
    const cols = tf.logSoftmax(tf.transpose(logitsPerImage)); //                     text → image
    // The diagonal of Lᵀ is the diagonal of L, so the same mask picks both targets.
    const total = tf.add(tf.sum(tf.mul(eye, rows)), tf.sum(tf.mul(eye, cols)));
    return tf.neg(tf.div(total, 2 * b)) as tf.Scalar;
  });
}
