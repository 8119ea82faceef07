/**
 * The built-in micro CLIP (public/models/micro-clip), loaded exactly like a real checkpoint: its
 * config.json parses as a HF CLIPModel config, its WordLevel tokenizer covers the class names and
 * prompt templates without unknown words, and zero-shot classification through the text tower reaches
 * the accuracy card.md promises on procedural test images (and at least 3× chance).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseClipConfig } from '../src/engine/clip/config';
import { loadClipFromFiles } from '../src/engine/clip/load';
import { ClipTokenizer } from '../src/engine/clip/tokenizer';
import { buildZeroShotHead } from '../src/engine/clip/zeroshot';
import { IMAGENET_TEMPLATES, SIMPLE_TEMPLATE, fillTemplate } from '../src/engine/clip/templates';
import { normalize } from '../src/engine/clip/preprocess';
import { zeroShotLogits } from '../src/engine/clip/zeroshot';
import { DEFAULT_SHAPE_CLASSES, SHAPE_CLASSES, generateShapes } from '../src/engine/data/shapes';
import { accuracy, predict } from '../src/engine/eval/metrics';
import { tf } from '../src/engine/tf';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../public/models/micro-clip');
const read = (name: string) => fs.readFileSync(path.join(dir, name));

/** The zero-shot accuracy card.md states this test checks ("requires zero-shot accuracy ≥ X%"). */
function cardThreshold(): number {
  const card = read('card.md').toString('utf8');
  const m = /requires zero-shot accuracy ≥ (\d+(?:\.\d+)?)%/.exec(card);
  if (!m) throw new Error('card.md does not state the zero-shot accuracy threshold ("requires zero-shot accuracy ≥ X%")');
  return Number(m[1]) / 100;
}

describe('micro CLIP (public/models/micro-clip)', () => {
  const configJson = JSON.parse(read('config.json').toString('utf8'));
  const tokenizer = ClipTokenizer.fromJSON(read('tokenizer.json').toString('utf8'));
  const model = loadClipFromFiles({ config: configJson, weights: read('model.safetensors') });
  afterAll(() => model.dispose());

  it('config.json is a Hugging Face CLIPModel config', () => {
    const c = parseClipConfig(configJson);
    expect(configJson.model_type).toBe('clip');
    expect(configJson.architectures).toEqual(['CLIPModel']);
    expect(c.vision_config.image_size % c.vision_config.patch_size).toBe(0);
    expect(model.config).toEqual(c);
  });

  it('the tokenizer belongs to the text tower and covers every class name and template without unknown words', () => {
    expect(tokenizer.modelType).toBe('WordLevel');
    const ctx = tokenizer.checkTextConfig(model.config.text_config);
    expect(ctx).toBe(model.config.text_config.max_position_embeddings);
    expect(tokenizer.eosId).toBe(tokenizer.vocabSize - 1); // argmax-of-ids pooling finds it, as for CLIP
    expect(tokenizer.eosId).toBe(model.config.text_config.eos_token_id);
    for (const name of SHAPE_CLASSES) {
      const ids = tokenizer.encode(name);
      expect(ids.length, name).toBeGreaterThan(0);
      expect(ids, name).not.toContain(tokenizer.unkId);
      for (const t of [SIMPLE_TEMPLATE, ...IMAGENET_TEMPLATES]) {
        const prompt = fillTemplate(t, name);
        expect(tokenizer.encode(prompt), prompt).not.toContain(tokenizer.unkId);
        expect(tokenizer.encode(prompt).length + 2, prompt).toBeLessThanOrEqual(ctx);
      }
    }
  });

  it('zero-shot accuracy on 500 procedural test images reaches card.md’s threshold and 3× chance', async () => {
    const threshold = cardThreshold();
    const chance = 1 / DEFAULT_SHAPE_CLASSES;
    expect(threshold).toBeGreaterThanOrEqual(3 * chance);
    const S = model.config.vision_config.image_size;
    const test = generateShapes({ split: 'test', seed: 0, count: 500, imageSize: S });
    const ctx = tokenizer.checkTextConfig(model.config.text_config);
    const head = await buildZeroShotHead(model, (t) => tokenizer.tokenize(t, ctx), test.classNames, IMAGENET_TEMPLATES);
    const pred = await predict(test.count, 250, (idx) => {
      const per = S * S * 3;
      const buf = new Float32Array(idx.length * per);
      idx.forEach((i, k) => {
        for (let j = 0; j < per; j++) buf[k * per + j] = test.images[i * per + j] / 255;
      });
      return zeroShotLogits(model, head, normalize(tf.tensor4d(buf, [idx.length, S, S, 3])));
    });
    head.dispose();
    const acc = accuracy(pred, test.labels);
    expect(acc).toBeGreaterThanOrEqual(threshold);
    expect(acc).toBeGreaterThanOrEqual(3 * chance);
  });
});
