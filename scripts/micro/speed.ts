/**
 * Throughput of a CLIP's vision tower at batch 64: forward (zero-shot logits) and forward + backward
 * (cross-entropy gradient of all vision weights), in images/s, median of a few timed repeats.
 */
import { tf } from '../../src/engine/tf';
import type { ClipModel } from '../../src/engine/clip/model';
import { zeroShotLogits } from '../../src/engine/clip/zeroshot';
import { crossEntropy } from '../../src/engine/train/losses';

export interface Throughput {
  batch: number;
  forwardImagesPerSec: number;
  trainImagesPerSec: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function measureThroughput(model: ClipModel, head: tf.Tensor2D, batch = 64, repeats = 5): Promise<Throughput> {
  const S = model.config.vision_config.image_size;
  const x = tf.randomNormal([batch, S, S, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const labels = Int32Array.from({ length: batch }, (_, i) => i % head.shape[0]);
  const vars = model.visionVariables();
  const fwd = async () => {
    const t = tf.tidy(() => zeroShotLogits(model, head, x));
    await t.data();
    t.dispose();
  };
  const step = async () => {
    const { value, grads } = tf.variableGrads(() => crossEntropy(zeroShotLogits(model, head, x), labels), vars);
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  const time = async (f: () => Promise<void>) => {
    await f(); // warm-up
    const ms: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      await f();
      ms.push(performance.now() - t0);
    }
    return (batch * 1000) / median(ms);
  };
  try {
    return { batch, forwardImagesPerSec: await time(fwd), trainImagesPerSec: await time(step) };
  } finally {
    x.dispose();
  }
}
