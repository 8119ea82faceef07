/**
 * A vision tower from a safetensors file in the Hugging Face CLIPModel layout, streamed tensor by
 * tensor onto the backend and checked name by name and shape by shape against θ_pre's. Two roles:
 *   - 'backdoor' — θ_b (SPEC item 4: "or load an already backdoored checkpoint"): a full checkpoint,
 *     or the lab's own "Backdoored θ_b" export. The text tower stays θ_pre's, frozen as in §5.1.
 *   - 'trigger-vector' — τ̂_t (paper §5.2, Table 2: a TBAR vector extracted from another model
 *     backdoored with the same attack, applied to this one): the lab's "Trigger vector τ̂_t" export.
 * Only vision tensors are taken (vision_model.* and visual_projection.weight); every one of θ_pre's
 * must be in the file with θ_pre's shape; other tensors are counted and ignored. A failed load
 * disposes what it uploaded.
 */
import { tf } from '../tf';
import { isVisionWeight, sameShape } from '../clip/config';
import { readSafetensorsStream } from '../io/safetensorsStream';
import type { WeightMap } from '../arithmetic/taskVector';
import { throwIfAborted } from '../cancel';
import { SourceError, type UserFile } from './sources';

export type VisionFileRole = 'backdoor' | 'trigger-vector';

export interface VisionFile {
  /** The vision tensors by HF name (the caller owns them). */
  tensors: WeightMap;
  /** Vision tensors taken, and tensors in the file that were not (the text tower, buffers). */
  taken: number;
  ignored: number;
}

const WORDS: Record<VisionFileRole, { what: string; notA: string; fix: string }> = {
  backdoor: {
    what: 'a backdoored checkpoint',
    notA: "is not a backdoored copy of the loaded model's vision tower",
    fix: 'load the checkpoint it was fine-tuned from as the model first.',
  },
  'trigger-vector': {
    what: 'a trigger vector τ̂_t (the lab’s "Trigger vector τ̂_t" export)',
    notA: "is not a trigger vector of the loaded model's vision tower",
    fix: 'a τ̂_t transfers between models of one architecture: load the model it was extracted from (or one like it) first.',
  },
};

/**
 * The picked file a config's { kind: 'file', name } refers to: the .safetensors among `dropped` (or
 * the only file), else a 'no-files' error — files are not kept across a reload or carried by a link.
 */
export function pickedFile(dropped: readonly UserFile[] | undefined, what: string, name: string): UserFile {
  const file = dropped?.find((f) => /\.safetensors$/i.test(f.name)) ?? dropped?.[0];
  if (!file) throw new SourceError('no-files', `${what} comes from the file ${name}, which this session does not have (files are not kept across a reload): pick it again`);
  return file;
}

/** The lab's exports by their 'tbar.what' metadata (session.exportWeights). */
const EXPORTS: Record<string, string> = {
  cleaned: 'cleaned-model (θ_b − α·τ̂_t)',
  backdoored: 'backdoored-model θ_b',
  'trigger-vector': 'trigger-vector τ̂_t',
};

/** The vision tower in `file`, checked against θ_pre's names and shapes. */
export async function loadVisionFile(
  file: UserFile,
  thetaPre: WeightMap,
  role: VisionFileRole,
  opts: { signal?: AbortSignal } = {},
): Promise<VisionFile> {
  const w = WORDS[role];
  if (!/\.safetensors$/i.test(file.name)) {
    throw new SourceError('unsupported-source', `${file.name}: ${w.what} must be a .safetensors file in the Hugging Face CLIP layout (PyTorch .bin/.pt are not read: convert them to safetensors)`);
  }
  const tensors: WeightMap = new Map();
  let ignored = 0;
  const mismatched: string[] = [];
  const seen = new Set<string>(); // θ_pre's vision tensors found in the file, whatever their shape
  try {
    // The lab's own exports say what they hold (__metadata__ 'tbar.what'): a model picked as τ̂_t, or τ̂_t
    // picked as θ_b, would otherwise pass every name and shape check and give nonsense.
    const onHeader = (h: { metadata: Record<string, string> }) => {
      const held = h.metadata['tbar.what'];
      if (held !== undefined && (held === 'trigger-vector') !== (role === 'trigger-vector')) {
        throw new SourceError('bad-data', `${file.name} is the lab's ${EXPORTS[held] ?? `"${held}"`} export, not ${w.what}.`);
      }
    };
    for await (const t of readSafetensorsStream(file.stream(), { totalBytes: file.size, onHeader })) {
      throwIfAborted(opts.signal);
      const want = thetaPre.get(t.name);
      if (!isVisionWeight(t.name) || !want) {
        ignored++;
        continue;
      }
      seen.add(t.name);
      if (!sameShape(t.shape, want.shape)) {
        mismatched.push(`${t.name} [${t.shape}] (θ_pre: [${want.shape}])`);
        continue;
      }
      tensors.set(t.name, tf.tensor(t.data, t.shape, 'float32'));
    }
    const missing = [...thetaPre.keys()].filter((n) => !seen.has(n));
    if (mismatched.length || missing.length) {
      const list = (xs: string[]) => `${xs.slice(0, 4).join(', ')}${xs.length > 4 ? ` and ${xs.length - 4} more` : ''}`;
      throw new SourceError(
        'bad-data',
        `${file.name} ${w.notA}:` +
          (mismatched.length ? ` ${mismatched.length} tensor(s) have other shapes (${list(mismatched)});` : '') +
          (missing.length ? ` ${missing.length} vision tensor(s) are missing (${list(missing)});` : '') +
          ` ${w.fix}`,
      );
    }
    return { tensors, taken: tensors.size, ignored };
  } catch (e) {
    for (const t of tensors.values()) t.dispose();
    throw e;
  }
}
