/**
 * config.json + model.safetensors (+ tokenizer.json through a hook) → ClipModel.
 *
 * Weights come in as safetensors bytes (F32 / F16 / BF16, converted to float32 by io/safetensors.ts)
 * or as an already parsed name → {shape, data} map. Loading is strict (see ClipModel.fromStateDict);
 * when the checkpoint's shapes describe a different architecture than the config (e.g. a ViT-L/14
 * checkpoint with a ViT-B/32 config.json) the error says so in those terms.
 */
import { parseSafetensors } from '../io/safetensors';
import { type CLIPConfig, parseClipConfig } from './config';
import { ClipModel, ClipWeightsError } from './model';

export type ClipLoadErrorCode = 'architecture-mismatch' | 'weights-mismatch';

export class ClipLoadError extends Error {
  constructor(
    readonly code: ClipLoadErrorCode,
    message: string,
    /** The strict check's details (missing / unexpected / mis-shaped tensors). */
    override readonly cause?: ClipWeightsError,
  ) {
    super(message);
    this.name = 'ClipLoadError';
  }
}

export type StateDict = Map<string, { shape: readonly number[]; data: Float32Array }>;

export interface ClipFiles {
  /** Contents of config.json (parsed JSON or the text). */
  config: unknown;
  /** model.safetensors bytes, or tensors already parsed (HF names). */
  weights: ArrayBuffer | Uint8Array | StateDict;
}

/** The architecture a checkpoint's tensor shapes imply (undefined where the tensor is absent). */
export interface CheckpointArchitecture {
  visionHidden?: number;
  patchSize?: number;
  visionPositions?: number;
  visionLayers: number;
  visionIntermediate?: number;
  textHidden?: number;
  vocabSize?: number;
  textPositions?: number;
  textLayers: number;
  textIntermediate?: number;
  projectionDim?: number;
}

function countLayers(names: Iterable<string>, prefix: string): number {
  let n = 0;
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.encoder\\.layers\\.(\\d+)\\.`);
  for (const name of names) {
    const m = re.exec(name);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

/** Read the architecture off a state dict's shapes. */
export function inferArchitecture(tensors: StateDict): CheckpointArchitecture {
  const s = (name: string) => tensors.get(name)?.shape;
  const patch = s('vision_model.embeddings.patch_embedding.weight');
  const vpos = s('vision_model.embeddings.position_embedding.weight');
  const tok = s('text_model.embeddings.token_embedding.weight');
  const tpos = s('text_model.embeddings.position_embedding.weight');
  return {
    visionHidden: patch?.[0],
    patchSize: patch?.[2],
    visionPositions: vpos?.[0],
    visionLayers: countLayers(tensors.keys(), 'vision_model'),
    visionIntermediate: s('vision_model.encoder.layers.0.mlp.fc1.weight')?.[0],
    textHidden: tok?.[1],
    vocabSize: tok?.[0],
    textPositions: tpos?.[0],
    textLayers: countLayers(tensors.keys(), 'text_model'),
    textIntermediate: s('text_model.encoder.layers.0.mlp.fc1.weight')?.[0],
    projectionDim: s('visual_projection.weight')?.[0],
  };
}

/**
 * Differences between what the checkpoint implies and what the config says, as readable strings
 * ("vision patch_size: checkpoint 8, config 16"; `noun` names the checkpoint's side). A layer count
 * of 0 means no layer was seen (a partial header), not a zero-layer tower.
 */
export function architectureDiffs(a: CheckpointArchitecture, c: CLIPConfig, noun = 'checkpoint'): string[] {
  const v = c.vision_config;
  const t = c.text_config;
  const g = v.image_size / v.patch_size;
  const rows: [string, number | undefined, number][] = [
    ['vision hidden_size', a.visionHidden, v.hidden_size],
    ['vision patch_size', a.patchSize, v.patch_size],
    ['vision positions (image_size/patch_size)²+1', a.visionPositions, g * g + 1],
    ['vision num_hidden_layers', a.visionLayers || undefined, v.num_hidden_layers],
    ['vision intermediate_size', a.visionIntermediate, v.intermediate_size],
    ['text hidden_size', a.textHidden, t.hidden_size],
    ['text vocab_size', a.vocabSize, t.vocab_size],
    ['text max_position_embeddings', a.textPositions, t.max_position_embeddings],
    ['text num_hidden_layers', a.textLayers || undefined, t.num_hidden_layers],
    ['text intermediate_size', a.textIntermediate, t.intermediate_size],
    ['projection_dim', a.projectionDim, c.projection_dim],
  ];
  return rows.filter(([, got, want]) => got !== undefined && got !== want).map(([k, got, want]) => `${k}: ${noun} ${got}, config ${want}`);
}

/** Build the model; throws ClipLoadError ('architecture-mismatch' | 'weights-mismatch'). */
export function loadClipFromFiles(files: ClipFiles): ClipModel {
  const config = parseClipConfig(files.config);
  let tensors: StateDict;
  const unexpectedInts: string[] = [];
  if (files.weights instanceof Map) {
    tensors = files.weights;
  } else {
    const parsed = parseSafetensors(files.weights);
    tensors = parsed.tensors;
    // Integer tensors are skipped by the parser; only the position_ids buffers are legitimate.
    for (const n of parsed.skipped) if (!n.endsWith('.position_ids')) unexpectedInts.push(n);
  }
  try {
    if (unexpectedInts.length) {
      throw new ClipWeightsError('state-dict-mismatch', `checkpoint has non-float tensors: ${unexpectedInts.join(', ')}`, [], unexpectedInts);
    }
    return ClipModel.fromStateDict(config, tensors);
  } catch (e) {
    if (!(e instanceof ClipWeightsError)) throw e;
    const diffs = architectureDiffs(inferArchitecture(tensors), config);
    if (diffs.length) {
      throw new ClipLoadError('architecture-mismatch', `the checkpoint is a different architecture than config.json describes (${diffs.join('; ')}). Use the config.json that came with the checkpoint.`, e);
    }
    throw new ClipLoadError('weights-mismatch', e.message, e);
  }
}

/**
 * Hook for the tokenizer (built in clip/tokenizer.ts by its own module): pass its factory, e.g.
 * `loadClipWithTokenizer(files, tokenizerJson, (json, cfg) => ClipTokenizer.fromJson(json, cfg))`.
 * The factory receives the parsed config so it can check vocab_size / max_position_embeddings.
 */
export function loadClipWithTokenizer<T>(
  files: ClipFiles,
  tokenizerJson: unknown,
  makeTokenizer: (tokenizerJson: unknown, config: CLIPConfig) => T,
): { model: ClipModel; tokenizer: T } {
  const model = loadClipFromFiles(files);
  try {
    return { model, tokenizer: makeTokenizer(tokenizerJson, model.config) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
