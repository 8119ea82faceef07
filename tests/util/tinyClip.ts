/**
 * A tiny randomly initialised CLIP served as the built-in model from memory (tests of the pipeline's
 * plumbing: sessions, jobs, staleness, reproducibility — not of the method's numbers, which need the
 * pretrained micro CLIP). HF config.json + WordLevel tokenizer.json over the shapes vocabulary +
 * model.safetensors, exactly the files the built-in loader reads.
 */
import { ClipModel } from '../../src/engine/clip/model';
import { parseClipConfig } from '../../src/engine/clip/config';
import { buildWordLevelTokenizerJson } from '../../src/engine/clip/tokenizer';
import { IMAGENET_TEMPLATES, SIMPLE_TEMPLATE } from '../../src/engine/clip/templates';
import { shapesVocabulary } from '../../src/engine/data/shapes';
import { writeSafetensors } from '../../src/engine/io/safetensors';
import { MICRO_CLIP_DIR, SourceError, type FileSource } from '../../src/engine/experiment/sources';

export interface TinyClipOptions {
  width?: number;
  layers?: number;
  imageSize?: number;
  patchSize?: number;
  seed?: number;
}

export async function tinyClipFiles(o: TinyClipOptions = {}): Promise<FileSource> {
  const tokenizer = buildWordLevelTokenizerJson([...shapesVocabulary(), SIMPLE_TEMPLATE, ...IMAGENET_TEMPLATES]);
  const vocab = (tokenizer.model as { vocab: Record<string, number> }).vocab;
  const width = o.width ?? 32;
  const configJson = {
    model_type: 'clip',
    projection_dim: 32,
    logit_scale_init_value: Math.log(1 / 0.07),
    vision_config: {
      hidden_size: width,
      intermediate_size: 4 * width,
      num_hidden_layers: o.layers ?? 2,
      num_attention_heads: 2,
      image_size: o.imageSize ?? 32,
      patch_size: o.patchSize ?? 8,
    },
    text_config: {
      vocab_size: Math.max(...Object.values(vocab)) + 1,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      max_position_embeddings: 32,
    },
  };
  const model = ClipModel.random(parseClipConfig(configJson), o.seed ?? 1);
  const weights = writeSafetensors(await model.toStateDict(), { format: 'pt' });
  model.dispose();
  const enc = new TextEncoder();
  const files = new Map<string, Uint8Array>([
    [`${MICRO_CLIP_DIR}/config.json`, enc.encode(JSON.stringify(configJson))],
    [`${MICRO_CLIP_DIR}/tokenizer.json`, enc.encode(JSON.stringify(tokenizer))],
    [`${MICRO_CLIP_DIR}/model.safetensors`, weights],
  ]);
  return {
    async read(path, opts = {}) {
      const f = files.get(path);
      if (!f) throw new SourceError('not-found', `no file ${path} in the tiny CLIP`);
      opts.onBytes?.(f.byteLength, f.byteLength);
      return f;
    },
  };
}
