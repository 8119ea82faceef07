/**
 * Helpers shared by the triggers: input checks, per-image seeded randomness, patch positions, and a
 * batched GPU "paste" of a small patch at a different position in every image.
 */
import { tf } from '../tf';
import { Rng } from '../rng';
import { TriggerError, type PatchPosition } from './types';

/** Check raw is [B, S, S, 3] float32 and return the sample indices (default 0..B−1). */
export function checkBatch(raw: tf.Tensor4D, imageSize: number, sampleIndices?: Int32Array): Int32Array {
  const [b, h, w, c] = raw.shape;
  if (raw.rank !== 4 || h !== imageSize || w !== imageSize || c !== 3) {
    throw new TriggerError(
      'bad-input',
      `trigger built for [B, ${imageSize}, ${imageSize}, 3] images got [${raw.shape.join(', ')}]; ` +
        'resize to the model input size before applying the trigger',
    );
  }
  if (raw.dtype !== 'float32') throw new TriggerError('bad-input', `trigger input must be float32, got ${raw.dtype}`);
  if (sampleIndices === undefined) return Int32Array.from({ length: b }, (_, i) => i);
  if (sampleIndices.length !== b) {
    throw new TriggerError('bad-input', `sampleIndices has ${sampleIndices.length} entries for a batch of ${b}`);
  }
  for (const i of sampleIndices) {
    if (i < 0) throw new TriggerError('bad-input', `sample index ${i} is negative`);
  }
  return sampleIndices;
}

/** The generator for one image: depends only on (seed, stream, global sample index). */
export function imageRng(seed: number, stream: string, index: number): Rng {
  return new Rng(seed).fork(`${stream}#${index}`);
}

/** Check an integer parameter; throws TriggerError('bad-config'). */
export function checkInt(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new TriggerError('bad-config', `${name} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}

/** Check a finite number parameter; throws TriggerError('bad-config'). */
export function checkNumber(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
    throw new TriggerError('bad-config', `${name} must be a number in [${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}

export function checkOneOf<T extends string>(name: string, v: unknown, options: readonly T[]): T {
  if (!options.includes(v as T)) {
    throw new TriggerError('bad-config', `${name} must be one of ${options.join(' | ')}, got ${String(v)}`);
  }
  return v as T;
}

/** Validate a position for a ph×pw patch in an S×S image. */
export function checkPosition(position: unknown, size: number, ph: number, pw: number): PatchPosition {
  if (position === 'random' || position === 'fixed') return position;
  if (position && typeof position === 'object') {
    const { x, y } = position as { x: unknown; y: unknown };
    return { x: checkInt('position.x', x, 0, size - pw), y: checkInt('position.y', y, 0, size - ph) };
  }
  throw new TriggerError('bad-config', `position must be 'random', 'fixed' or {x, y}, got ${JSON.stringify(position)}`);
}

/**
 * Top-left corners (rows ys, columns xs) for each image. Random draws follow CleanCLIP
 * (backdoor/utils.py): `random.randint(0, 223 - patch_size)` for the row, then the column, i.e.
 * S − p choices [0, S−p−1] (the patch never touches the last row/column); at least one choice.
 */
export function resolvePositions(
  position: PatchPosition,
  size: number,
  ph: number,
  pw: number,
  seed: number,
  stream: string,
  indices: Int32Array,
): { ys: Int32Array; xs: Int32Array } {
  const n = indices.length;
  const ys = new Int32Array(n);
  const xs = new Int32Array(n);
  const draw = (r: Rng): [number, number] => [r.int(Math.max(1, size - ph)), r.int(Math.max(1, size - pw))];
  if (position === 'random') {
    for (let i = 0; i < n; i++) [ys[i], xs[i]] = draw(imageRng(seed, `${stream}/position`, indices[i]));
  } else {
    const [y, x] = position === 'fixed' ? draw(new Rng(seed).fork(`${stream}/fixed-position`)) : [position.y, position.x];
    ys.fill(y);
    xs.fill(x);
  }
  return { ys, xs };
}

/**
 * x' = (1 − a)·x + a·P on a ph×pw window at (ys[b], xs[b]) of image b; every other pixel is copied.
 *   values [n, ph·pw, 3] and alpha [n, ph·pw, 1], row-major over the window (n = 1: shared, n = B: per
 *   image); alpha null → a hard paste (exactly P inside, exactly x outside).
 * The B·ph·pw window pixels are addressed by flat index (b·S + row)·S + column; tf.scatterND builds
 * the pasted values P and a 0/1 window mask M (zero elsewhere) and x' = x·(1 − M) + P, exact for a hard
 * paste (0·x + P inside, x + 0 outside). When blending, tf.gather reads x in the window first. No sync
 * reads. (tf.tensorScatterUpdate would be one op, but tfjs-backend-cpu 4.22 writes it into the input's
 * own buffer, silently changing the caller's clean batch.) Call inside tf.tidy.
 */
export function pasteAt(
  x: tf.Tensor4D, // [B, S, S, 3]
  values: tf.Tensor3D, // [n, ph·pw, 3]
  alpha: tf.Tensor3D | null, // [n, ph·pw, 1]
  ph: number,
  pw: number,
  ys: Int32Array,
  xs: Int32Array,
): tf.Tensor4D {
  const [b, s] = x.shape;
  const m = b * ph * pw;
  const int = (v: Int32Array | number[], shape: number[]) => tf.tensor(v, shape, 'int32');
  const range = (n: number, shape: number[]) => tf.range(0, n, 1, 'int32').reshape(shape);
  const row = tf.add(int(ys, [b, 1, 1]), range(ph, [1, ph, 1])); // [B, ph, 1]
  const col = tf.add(int(xs, [b, 1, 1]), range(pw, [1, 1, pw])); // [B, 1, pw]
  const img = tf.mul(range(b, [b, 1, 1]), tf.scalar(s * s, 'int32'));
  const where = tf.add(tf.add(img, tf.mul(row, tf.scalar(s, 'int32'))), col).reshape([m, 1]); // [B·ph·pw, 1]
  let patch = tf.broadcastTo(values, [b, ph * pw, 3]).reshape([m, 3]);
  if (alpha !== null) {
    const a = tf.broadcastTo(alpha, [b, ph * pw, 1]).reshape([m, 1]);
    const under = tf.gather(x.reshape([b * s * s, 3]), where.reshape([m]));
    patch = tf.add(tf.mul(under, tf.sub(1, a)), tf.mul(a, patch));
  }
  const canvas = tf.scatterND(where, patch, [b * s * s, 3]).reshape([b, s, s, 3]);
  const mask = tf.scatterND(where, tf.ones([m, 1]), [b * s * s, 1]).reshape([b, s, s, 1]);
  return tf.add(tf.mul(x, tf.sub(1, mask)), canvas);
}
