/**
 * The micro CLIP's architecture (HF CLIPModel config.json) and tokenizer (WordLevel tokenizer.json).
 */
import { tf } from '../../src/engine/tf';
import { parseClipConfig, type CLIPConfig } from '../../src/engine/clip/config';
import { ClipModel } from '../../src/engine/clip/model';
import { buildWordLevelTokenizerJson } from '../../src/engine/clip/tokenizer';
import { microVocabularyEntries } from './captions';
import { LOGIT_SCALE_INIT } from './pretrain';

export interface MicroArch {
  visionWidth: number;
  visionLayers: number;
  visionHeads: number;
  patchSize: number;
  imageSize: number;
  textWidth: number;
  textLayers: number;
  textHeads: number;
  contextLength: number;
  projectionDim: number;
}

/**
 * Small on purpose. On the shapes a ViT's accuracy is set mostly by how many images it has seen, so
 * the cheapest tower that keeps learning sees the most images in the build's budget: 2×2 patches of
 * 16 px (5 tokens). Measured, supervised from scratch, 51k images of shapes v2: this tower 77% in
 * 47 s; patch 8 × width 96 × 4 layers 68% in 221 s on a v2 draft (v1 of the dataset: ~27% for widths
 * 64–192, 1–4 layers, patches 4/8/16 alike).
 * The text tower reads short captions and prompts: one layer, context 16 (the longest template +
 * class name fits).
 */
export const MICRO_ARCH: MicroArch = {
  visionWidth: 96,
  visionLayers: 2,
  visionHeads: 4,
  patchSize: 16,
  imageSize: 32,
  textWidth: 64,
  textLayers: 1,
  textHeads: 4,
  contextLength: 16,
  projectionDim: 64,
};

export function microTokenizerJson(): Record<string, unknown> {
  return buildWordLevelTokenizerJson(microVocabularyEntries());
}

/** config.json as Hugging Face writes it for a CLIPModel (ids from the tokenizer). */
export function microConfigJson(arch: MicroArch, tokenizerJson: Record<string, unknown>): Record<string, unknown> {
  const vocab = (tokenizerJson.model as { vocab: Record<string, number> }).vocab;
  const ids = Object.values(vocab);
  const vocabSize = Math.max(...ids) + 1;
  return {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    initializer_factor: 1.0,
    logit_scale_init_value: Number(LOGIT_SCALE_INIT.toFixed(4)),
    projection_dim: arch.projectionDim,
    torch_dtype: 'float32',
    text_config: {
      model_type: 'clip_text_model',
      vocab_size: vocabSize,
      hidden_size: arch.textWidth,
      intermediate_size: 4 * arch.textWidth,
      num_hidden_layers: arch.textLayers,
      num_attention_heads: arch.textHeads,
      max_position_embeddings: arch.contextLength,
      hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5,
      initializer_range: 0.02,
      initializer_factor: 1.0,
      bos_token_id: vocab['<|startoftext|>'],
      eos_token_id: vocab['<|endoftext|>'],
      pad_token_id: vocab['<|pad|>'],
      projection_dim: arch.projectionDim,
    },
    vision_config: {
      model_type: 'clip_vision_model',
      hidden_size: arch.visionWidth,
      intermediate_size: 4 * arch.visionWidth,
      num_hidden_layers: arch.visionLayers,
      num_attention_heads: arch.visionHeads,
      image_size: arch.imageSize,
      patch_size: arch.patchSize,
      num_channels: 3,
      hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5,
      initializer_range: 0.02,
      initializer_factor: 1.0,
      projection_dim: arch.projectionDim,
    },
  };
}

export function microConfig(arch: MicroArch, tokenizerJson: Record<string, unknown>): CLIPConfig {
  return parseClipConfig(microConfigJson(arch, tokenizerJson));
}

/** The untrained micro CLIP: HF's initialisation, token embeddings at `tokenEmbeddingStd` (see BUILD). */
export function initialMicroModel(config: CLIPConfig, seed: number, tokenEmbeddingStd: number): ClipModel {
  const model = ClipModel.random(config, seed);
  const w = model.weight('text_model.embeddings.token_embedding.weight');
  const std = 0.02 * config.text_config.initializer_factor; // HF: text embeddings at 0.02·factor
  tf.tidy(() => w.assign(tf.mul(w, tokenEmbeddingStd / std)));
  return model;
}
