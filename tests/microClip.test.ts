/**
 * The built-in micro CLIP (public/models/micro-clip), loaded exactly like a real checkpoint (the
 * app's builtinModelLoader → loadClipFolder → clip/load.ts, its own tokenizer.json): its config.json
 * parses as a HF CLIPModel config, its WordLevel tokenizer covers the class names and prompt
 * templates without unknown words, and zero-shot classification through the text tower reaches the
 * accuracy card.md promises on 500 procedural test images (and at least 3× chance).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseClipConfig } from '../src/engine/clip/config';
import { IMAGENET_TEMPLATES, SIMPLE_TEMPLATE, fillTemplate } from '../src/engine/clip/templates';
import { SHAPE_CLASSES } from '../src/engine/data/shapes';
import { ExperimentSession } from '../src/engine/experiment/session';
import { defaultExperimentConfig } from '../src/engine/experiment/defaults';
import { MICRO_CLIP_DIR } from '../src/engine/experiment/sources';
import { loadMicroClip } from './util/micro';
import { nodeFileSource, PUBLIC_DIR } from './util/nodeFiles';

const read = (name: string) => fs.readFileSync(path.join(PUBLIC_DIR, MICRO_CLIP_DIR, name));

/** The zero-shot accuracy card.md states this test checks ("requires zero-shot accuracy ≥ X%"). */
function cardThreshold(): number {
  const m = /requires zero-shot accuracy ≥ (\d+(?:\.\d+)?)%/.exec(read('card.md').toString('utf8'));
  if (!m) throw new Error('card.md does not state the zero-shot accuracy threshold ("requires zero-shot accuracy ≥ X%")');
  return Number(m[1]) / 100;
}

describe('micro CLIP (public/models/micro-clip)', async () => {
  const configJson = JSON.parse(read('config.json').toString('utf8'));
  const { model, tokenizer } = await loadMicroClip();
  afterAll(() => model.dispose());

  it('config.json is a Hugging Face CLIPModel config', () => {
    expect(configJson.model_type).toBe('clip');
    expect(configJson.architectures).toEqual(['CLIPModel']);
    const c = parseClipConfig(configJson);
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
    // The lab's default experiment (the app's loaders, 'a photo of a {}.', shapes seed 0), test split of 500.
    const config = defaultExperimentConfig('badnet', 0);
    config.splits = { train: 1, val: 1, forget: 1, test: 500 };
    const session = new ExperimentSession({ files: nodeFileSource() });
    try {
      await session.loadModel(config);
      const data = await session.loadData(config);
      expect(data.counts.test).toBe(500);
      const chance = 1 / data.classNames.length;
      expect(threshold).toBeGreaterThanOrEqual(3 * chance);
      const { test } = await session.zeroShot(config);
      console.log(`micro CLIP zero-shot on 500 test images: ${(100 * test.ca).toFixed(1)}% (card threshold ${(100 * threshold).toFixed(1)}%)`);
      expect(test.ca).toBeGreaterThanOrEqual(threshold);
      expect(test.ca).toBeGreaterThanOrEqual(3 * chance);
    } finally {
      session.dispose();
    }
  });
});
