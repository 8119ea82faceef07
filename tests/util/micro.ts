/**
 * The built-in micro CLIP (public/models/micro-clip) for tests that need a pretrained model, loaded
 * through the same loader the app uses.
 */
import { builtinModelLoader, type LoadedModel } from '../../src/engine/experiment/sources';
import { buildZeroShotHead } from '../../src/engine/clip/zeroshot';
import { SIMPLE_TEMPLATE } from '../../src/engine/clip/templates';
import type { tf } from '../../src/engine/tf';
import { nodeFileSource } from './nodeFiles';

export async function loadMicroClip(): Promise<LoadedModel> {
  return builtinModelLoader({ kind: 'builtin', id: 'micro-clip' }, { files: nodeFileSource() });
}

/** The zero-shot head for class names with 'a photo of a {}.'. */
export function simpleHead(m: LoadedModel, classNames: string[]): Promise<tf.Tensor2D> {
  const L = Math.min(77, m.model.config.text_config.max_position_embeddings);
  return buildZeroShotHead(m.model, (t) => m.tokenizer.tokenize(t, L), classNames, [SIMPLE_TEMPLATE]);
}
