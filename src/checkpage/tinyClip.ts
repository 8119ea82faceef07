/**
 * A tiny CLIP with both towers, random HF-style weights and random inputs, all from one seed: the
 * same numbers on every backend up to float32 rounding, so e2e/webgpu.spec.mjs can run it on WebGPU
 * and on WASM and compare the logits.
 */
import { parseClipConfig, type CLIPConfig } from '../engine/clip/config';
import { ClipModel } from '../engine/clip/model';
import { Rng } from '../engine/rng';
import { tf } from '../engine/tf';

/** 2+2 layers, 32 wide, 32 px images in 8 px patches (17 tokens), 16-token text context. */
export const TINY_CHECK_CONFIG: CLIPConfig = parseClipConfig({
  model_type: 'clip',
  projection_dim: 16,
  logit_scale_init_value: 2.6592,
  vision_config: { hidden_size: 32, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 2, image_size: 32, patch_size: 8 },
  // gelu here, quick_gelu (the default) in the vision tower: both activations run on the backend.
  text_config: {
    vocab_size: 100,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    max_position_embeddings: 16,
    hidden_act: 'gelu',
    bos_token_id: 98,
    eos_token_id: 99,
    pad_token_id: 0,
  },
});

export const TINY_IMAGES = 4;
/** Prompt lengths including bos and eos; the rest of the 16 tokens is padding. */
const PROMPT_LENGTHS = [5, 16, 9];

export interface TinyClipRun {
  /** tf.getBackend() while the model ran. */
  backend: string;
  /** logits_per_image [images, prompts], row-major. */
  shape: [number, number];
  logits: number[];
  ms: number;
}

/** Build the tiny CLIP from `seed`, encode 4 images and 3 prompts, return the logits. */
export async function runTinyClip(seed: number): Promise<TinyClipRun> {
  const t0 = performance.now();
  const c = TINY_CHECK_CONFIG;
  const rng = new Rng(seed).fork('tiny-clip-inputs');
  const S = c.vision_config.image_size;
  const L = c.text_config.max_position_embeddings;
  const ids = new Int32Array(PROMPT_LENGTHS.length * L); // padding = 0
  PROMPT_LENGTHS.forEach((len, r) => {
    ids[r * L] = c.text_config.bos_token_id;
    for (let j = 1; j < len - 1; j++) ids[r * L + j] = 1 + rng.int(97);
    ids[r * L + len - 1] = c.text_config.eos_token_id;
  });
  const model = ClipModel.random(c, seed);
  const pixels = tf.tensor4d(rng.normalArray(TINY_IMAGES * S * S * 3), [TINY_IMAGES, S, S, 3]);
  const idsT = tf.tensor2d(ids, [PROMPT_LENGTHS.length, L], 'int32');
  try {
    // Default pooling (first eos per row): the argmax/equality ops run on the backend too.
    const logits = tf.tidy(() => model.logits(model.encodeImage(pixels), model.encodeText(idsT)));
    const values = Array.from(await logits.data());
    const shape = logits.shape as [number, number];
    logits.dispose();
    return { backend: tf.getBackend(), shape, logits: values, ms: performance.now() - t0 };
  } finally {
    tf.dispose([pixels, idsT]);
    model.dispose();
  }
}
