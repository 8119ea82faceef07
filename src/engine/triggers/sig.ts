/**
 * SIG (Barni et al. 2019) as in the TBAR paper, appendix A.1 (after Bansal et al. 2023):
 *   x' = clip(x + N, 0, 1),  N[c, i, j] = (60/255)·sin(2π·6·j/224),
 * shared by all channels and rows (j = column). Generalised to the model input S:
 *   N[j] = Δ·sin(2π·f·j/S),  Δ = 60/255, f = 6  (f whole periods across the image at any S).
 * Matches LiangSiyuan21/BadCLIP backdoor/utils.py `apply_trigger` (patch_type 'SIG': noise + image,
 * torch.clip 0..1). (CleanCLIP's own 'SIG' branch has no additive path: with patch_location 'blended'
 * it would blend 0.2·N + 0.8·x; the paper's formula is the additive one, so that is what this is.)
 * Deterministic: no seed is used.
 */
import { tf } from '../tf';
import { checkBatch, checkNumber } from './common';
import { TriggerError, type SigParams, type Trigger, type TriggerConfigOf } from './types';

export const SIG_DEFAULTS: SigParams = { delta: 60 / 255, frequency: 6 };

/** The signal row N[j] = Δ·sin(2π·f·j/S), computed in float64, j = 0..S−1. */
export function sigSignal(delta: number, frequency: number, imageSize: number): Float32Array {
  return Float32Array.from({ length: imageSize }, (_, j) => delta * Math.sin((2 * Math.PI * frequency * j) / imageSize));
}

export function createSig(config: TriggerConfigOf<'sig'>, imageSize: number): Trigger {
  const params = { ...SIG_DEFAULTS, ...config.params };
  const delta = checkNumber('delta', params.delta, 0, 1);
  const frequency = checkNumber('frequency', params.frequency, 0, imageSize); // > S/2 aliases; allowed
  let signal: tf.Tensor4D | null = tf.tensor4d(sigSignal(delta, frequency, imageSize), [1, 1, imageSize, 1]); // [1, 1, S, 1]
  let disposed = false;

  return {
    config,
    imageSize,
    apply(raw, sampleIndices) {
      if (disposed || !signal) throw new TriggerError('disposed', 'this SIG trigger was disposed');
      checkBatch(raw, imageSize, sampleIndices);
      const s = signal;
      return tf.tidy(() => tf.clipByValue(tf.add(raw, s), 0, 1) as tf.Tensor4D);
    },
    dispose() {
      disposed = true;
      signal?.dispose();
      signal = null;
    },
  };
}
