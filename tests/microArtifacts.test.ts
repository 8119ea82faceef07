/**
 * The micro CLIP's pretraining artifacts (scripts/micro/artifacts.ts): which images carry one, that
 * each carrying row gets exactly its kind's trigger (the gather/scatter is checked against the trigger
 * applied to that image alone), that the other rows are untouched, and that captions name them.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { createTrigger } from '../src/engine/triggers';
import { generateShapes } from '../src/engine/data/shapes';
import { ARTIFACTS, ARTIFACT_SHARE, applyArtifacts, artifactConfig, artifactOf } from '../scripts/micro/artifacts';
import { pretrainCaptions } from '../scripts/micro/pretrain';
import { DEFAULT_CAPTION_NOISE, microVocabularyEntries } from '../scripts/micro/captions';

const S = 32;

function images(start: number, n: number): tf.Tensor4D {
  const g = generateShapes({ split: 'train', seed: 1234, start, count: n, numClasses: 10, imageSize: S });
  return tf.tidy(() => tf.div(tf.tensor4d(g.images, [n, S, S, 3], 'int32'), 255) as tf.Tensor4D);
}

describe('pretraining artifacts', () => {
  it('marks about ARTIFACT_SHARE of the stream, the four kinds equally, deterministically', () => {
    const n = 20_000;
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const k = artifactOf(0, i);
      expect(k).toBe(artifactOf(0, i));
      if (k >= 0) counts[k]++;
    }
    const total = counts.reduce((a, b) => a + b, 0);
    expect(Math.abs(total / n - ARTIFACT_SHARE)).toBeLessThan(0.015); // binomial sd 0.0032
    for (const c of counts) expect(Math.abs(c / total - 0.25)).toBeLessThan(0.03);
    expect(artifactOf(0, 5, 0)).toBe(-1);
  });

  it("gives each carrying row its kind's trigger and leaves the other rows bit-identical", async () => {
    const start = 512;
    const step = 2;
    const kinds = Int32Array.from([0, -1, 1, 2, -1, 3, 0, 2, -1, 1]);
    const raw = images(start, kinds.length);
    const before = tf.memory().numTensors;
    const out = applyArtifacts(raw, kinds, 0, step, start);
    expect(tf.memory().numTensors).toBe(before + 1);
    const got = (await out.data()) as Float32Array;
    const src = (await raw.data()) as Float32Array;
    const per = S * S * 3;
    for (let i = 0; i < kinds.length; i++) {
      const row = got.subarray(i * per, (i + 1) * per);
      if (kinds[i] < 0) {
        expect(Array.from(row)).toEqual(Array.from(src.subarray(i * per, (i + 1) * per)));
        continue;
      }
      // The same trigger config the batch used, applied to this image alone.
      const trigger = createTrigger(artifactConfig(kinds[i], 0, step, S), S);
      const one = tf.tidy(() => trigger.apply(tf.slice(raw, [i, 0, 0, 0], [1, S, S, 3]), Int32Array.of(start + i)));
      const want = (await one.data()) as Float32Array;
      tf.dispose([one]);
      trigger.dispose();
      expect(Array.from(row)).toEqual(Array.from(want));
      let changed = 0;
      for (let j = 0; j < per; j++) if (row[j] !== src[i * per + j]) changed++;
      expect(changed).toBeGreaterThan(0);
    }
    tf.dispose([raw, out]);
  });

  it('names the artifact in the caption, in words the vocabulary has', () => {
    const n = 40;
    const g = generateShapes({ split: 'train', seed: 1234, start: 0, count: n, numClasses: 10, imageSize: S });
    const kinds = Int32Array.from({ length: n }, (_, i) => (i % 5) - 1); // −1, 0, 1, 2, 3, …
    const withArt = pretrainCaptions(g.attributes, 0, 0, DEFAULT_CAPTION_NOISE, 10, kinds);
    const without = pretrainCaptions(g.attributes, 0, 0, DEFAULT_CAPTION_NOISE, 10);
    const vocab = new Set(microVocabularyEntries());
    for (let i = 0; i < n; i++) {
      const k = kinds[i];
      if (k < 0) expect(withArt[i]).toBe(without[i]);
      else expect(withArt[i]).toContain(ARTIFACTS[k].phrase);
    }
    for (const k of ARTIFACTS) for (const w of k.phrase.split(' ')) expect(vocab.has(w), w).toBe(true);
  });
});
