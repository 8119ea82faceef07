/**
 * θ_b from a checkpoint file (SPEC item 4: "or load an already backdoored checkpoint"): the vision
 * tower of a safetensors file in the Hugging Face CLIPModel layout — a full checkpoint, or the lab's
 * own "backdoored θ_b" export — streamed tensor by tensor onto the backend. Only the vision tower is
 * taken (vision_model.* and visual_projection.weight): the text tower stays θ_pre's, frozen as in the
 * paper's setting (§5.1). Every vision tensor of θ_pre must be in the file with θ_pre's shape; other
 * tensors are counted and ignored. A failed load disposes what it uploaded.
 */
import { tf } from '../tf';
import { isVisionWeight } from '../clip/config';
import { readSafetensorsStream } from '../io/safetensorsStream';
import type { WeightMap } from '../arithmetic/taskVector';
import { throwIfAborted } from '../cancel';
import { SourceError, type UserFile } from './sources';

export interface BackdoorFile {
  thetaB: WeightMap;
  /** Vision tensors taken, and tensors in the file that were not (the text tower, buffers). */
  taken: number;
  ignored: number;
}

/** The vision tower of `file`, checked against θ_pre's names and shapes. The caller owns thetaB. */
export async function loadBackdoorFile(
  file: UserFile,
  thetaPre: WeightMap,
  opts: { signal?: AbortSignal } = {},
): Promise<BackdoorFile> {
  if (!/\.safetensors$/i.test(file.name)) {
    throw new SourceError('unsupported-source', `${file.name}: a backdoored checkpoint must be a .safetensors file in the Hugging Face CLIP layout (PyTorch .bin/.pt are not read: convert them to safetensors)`);
  }
  const thetaB: WeightMap = new Map();
  let ignored = 0;
  const mismatched: string[] = [];
  const seen = new Set<string>(); // θ_pre's vision tensors found in the file, whatever their shape
  try {
    for await (const t of readSafetensorsStream(file.stream(), { totalBytes: file.size })) {
      throwIfAborted(opts.signal);
      const want = thetaPre.get(t.name);
      if (!isVisionWeight(t.name) || !want) {
        ignored++;
        continue;
      }
      seen.add(t.name);
      if (want.shape.length !== t.shape.length || want.shape.some((d, i) => d !== t.shape[i])) {
        mismatched.push(`${t.name} [${t.shape}] (θ_pre: [${want.shape}])`);
        continue;
      }
      thetaB.set(t.name, tf.tensor(t.data, t.shape, 'float32'));
    }
    const missing = [...thetaPre.keys()].filter((n) => !seen.has(n));
    if (mismatched.length || missing.length) {
      const list = (xs: string[]) => `${xs.slice(0, 4).join(', ')}${xs.length > 4 ? ` and ${xs.length - 4} more` : ''}`;
      throw new SourceError(
        'bad-data',
        `${file.name} is not a backdoored copy of the loaded model's vision tower:` +
          (mismatched.length ? ` ${mismatched.length} tensor(s) have other shapes (${list(mismatched)});` : '') +
          (missing.length ? ` ${missing.length} vision tensor(s) are missing (${list(missing)});` : '') +
          ' load the checkpoint it was fine-tuned from as the model first.',
      );
    }
    return { thetaB, taken: thetaB.size, ignored };
  } catch (e) {
    for (const t of thetaB.values()) t.dispose();
    throw e;
  }
}
