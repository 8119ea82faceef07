/**
 * CLIP configuration exactly as Hugging Face writes it in `config.json` (snake_case keys), with HF's
 * defaults, validation, presets for the OpenAI checkpoints and the full list of tensors a
 * `CLIPModel` checkpoint holds.
 *
 * Sources: transformers `models/clip/configuration_clip.py` (defaults, the legacy `*_config_dict`
 * keys) and `modeling_clip.py` (tensor names and shapes). See ../../../../shared/CLIP-LAYOUT.md.
 */

/** Activations this implementation supports (HF's `ACT2FN` names). */
export type ClipActivation = 'quick_gelu' | 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu';
export const CLIP_ACTIVATIONS: readonly ClipActivation[] = ['quick_gelu', 'gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'];

export interface CLIPVisionConfig {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  image_size: number;
  patch_size: number;
  hidden_act: ClipActivation;
  layer_norm_eps: number;
  num_channels: number;
  /** Only used by `ClipModel.random` (HF `_init_weights`). */
  initializer_range: number;
  initializer_factor: number;
}

export interface CLIPTextConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  max_position_embeddings: number;
  hidden_act: ClipActivation;
  layer_norm_eps: number;
  bos_token_id: number;
  /** Decides the default pooling position, see `ClipModel.encodeText`. */
  eos_token_id: number;
  pad_token_id: number;
  initializer_range: number;
  initializer_factor: number;
}

export interface CLIPConfig {
  projection_dim: number;
  logit_scale_init_value: number;
  initializer_factor: number;
  vision_config: CLIPVisionConfig;
  text_config: CLIPTextConfig;
}

/** A config.json that cannot describe a CLIP model this code can run. `key` is the JSON path. */
export class ClipConfigError extends Error {
  readonly code = 'clip-config';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`config.json: ${key}: ${message}`);
    this.name = 'ClipConfigError';
  }
}

/** HF defaults (CLIPVisionConfig / CLIPTextConfig / CLIPConfig `__init__` arguments). */
export const VISION_DEFAULTS: CLIPVisionConfig = {
  hidden_size: 768,
  intermediate_size: 3072,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  image_size: 224,
  patch_size: 32,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
  num_channels: 3,
  initializer_range: 0.02,
  initializer_factor: 1.0,
};

export const TEXT_DEFAULTS: CLIPTextConfig = {
  vocab_size: 49408,
  hidden_size: 512,
  intermediate_size: 2048,
  num_hidden_layers: 12,
  num_attention_heads: 8,
  max_position_embeddings: 77,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
  bos_token_id: 49406,
  eos_token_id: 49407,
  pad_token_id: 1,
  initializer_range: 0.02,
  initializer_factor: 1.0,
};

const TOP_DEFAULTS = { projection_dim: 512, logit_scale_init_value: 2.6592, initializer_factor: 1.0 };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function positiveInt(obj: Json, key: string, path: string, fallback: number, allowZero = false): number {
  const v = obj[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < (allowZero ? 0 : 1)) {
    throw new ClipConfigError(`${path}${key}`, `expected a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function finiteNumber(obj: Json, key: string, path: string, fallback: number, positive = false): number {
  const v = obj[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0)) {
    throw new ClipConfigError(`${path}${key}`, `expected a ${positive ? 'positive ' : ''}finite number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function tokenId(obj: Json, key: string, path: string, fallback: number): number {
  const v = obj[key] ?? fallback;
  // HF allows a list of eos ids in generation configs; CLIP pooling uses a single id.
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ClipConfigError(`${path}${key}`, `expected an integer token id, got ${JSON.stringify(v)}`);
  }
  return v;
}

function activation(obj: Json, key: string, path: string, fallback: ClipActivation): ClipActivation {
  const v = obj[key] ?? fallback;
  if (typeof v !== 'string' || !(CLIP_ACTIVATIONS as readonly string[]).includes(v)) {
    throw new ClipConfigError(`${path}${key}`, `unsupported activation ${JSON.stringify(v)} (supported: ${CLIP_ACTIVATIONS.join(', ')})`);
  }
  return v as ClipActivation;
}

function heads(hidden: number, obj: Json, path: string, fallback: number): number {
  const h = positiveInt(obj, 'num_attention_heads', path, fallback);
  if (hidden % h !== 0) {
    throw new ClipConfigError(`${path}num_attention_heads`, `hidden_size ${hidden} is not divisible by num_attention_heads ${h}`);
  }
  return h;
}

function parseVision(raw: Json, topFactor: number): CLIPVisionConfig {
  const p = 'vision_config.';
  const D = VISION_DEFAULTS;
  const hidden_size = positiveInt(raw, 'hidden_size', p, D.hidden_size);
  const image_size = positiveInt(raw, 'image_size', p, D.image_size);
  const patch_size = positiveInt(raw, 'patch_size', p, D.patch_size);
  if (image_size % patch_size !== 0) {
    throw new ClipConfigError(`${p}patch_size`, `image_size ${image_size} is not divisible by patch_size ${patch_size}`);
  }
  const num_channels = positiveInt(raw, 'num_channels', p, D.num_channels);
  if (num_channels !== 3) throw new ClipConfigError(`${p}num_channels`, `only RGB (3) is supported, got ${num_channels}`);
  return {
    hidden_size,
    intermediate_size: positiveInt(raw, 'intermediate_size', p, D.intermediate_size),
    num_hidden_layers: positiveInt(raw, 'num_hidden_layers', p, D.num_hidden_layers),
    num_attention_heads: heads(hidden_size, raw, p, D.num_attention_heads),
    image_size,
    patch_size,
    hidden_act: activation(raw, 'hidden_act', p, D.hidden_act),
    layer_norm_eps: finiteNumber(raw, 'layer_norm_eps', p, D.layer_norm_eps, true),
    num_channels,
    initializer_range: finiteNumber(raw, 'initializer_range', p, D.initializer_range),
    initializer_factor: finiteNumber(raw, 'initializer_factor', p, topFactor),
  };
}

function parseText(raw: Json, topFactor: number): CLIPTextConfig {
  const p = 'text_config.';
  const D = TEXT_DEFAULTS;
  const hidden_size = positiveInt(raw, 'hidden_size', p, D.hidden_size);
  const vocab_size = positiveInt(raw, 'vocab_size', p, D.vocab_size);
  const eos_token_id = tokenId(raw, 'eos_token_id', p, D.eos_token_id);
  return {
    vocab_size,
    hidden_size,
    intermediate_size: positiveInt(raw, 'intermediate_size', p, D.intermediate_size),
    num_hidden_layers: positiveInt(raw, 'num_hidden_layers', p, D.num_hidden_layers),
    num_attention_heads: heads(hidden_size, raw, p, D.num_attention_heads),
    max_position_embeddings: positiveInt(raw, 'max_position_embeddings', p, D.max_position_embeddings),
    hidden_act: activation(raw, 'hidden_act', p, D.hidden_act),
    layer_norm_eps: finiteNumber(raw, 'layer_norm_eps', p, D.layer_norm_eps, true),
    bos_token_id: tokenId(raw, 'bos_token_id', p, D.bos_token_id),
    eos_token_id,
    pad_token_id: tokenId(raw, 'pad_token_id', p, D.pad_token_id),
    initializer_range: finiteNumber(raw, 'initializer_range', p, D.initializer_range),
    initializer_factor: finiteNumber(raw, 'initializer_factor', p, topFactor),
  };
}

/**
 * Parse a `config.json` of a Hugging Face `CLIPModel`, filling HF's defaults for absent keys and
 * validating what the model code relies on. Unknown keys (architectures, torch_dtype, …) are ignored.
 *
 * Legacy configs: when `text_config_dict` / `vision_config_dict` is present (non-null), HF builds the
 * sub-config from it (with defaults) and lets it override `text_config` / `vision_config`; so do we.
 */
export function parseClipConfig(json: unknown): CLIPConfig {
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch {
      throw new ClipConfigError('(root)', 'not valid JSON');
    }
  }
  if (!isObject(json)) throw new ClipConfigError('(root)', 'expected a JSON object');
  const modelType = json.model_type;
  if (modelType !== undefined && modelType !== 'clip') {
    throw new ClipConfigError('model_type', `expected "clip" (a CLIPModel with both towers), got ${JSON.stringify(modelType)}`);
  }
  const initializer_factor = finiteNumber(json, 'initializer_factor', '', TOP_DEFAULTS.initializer_factor);
  const sub = (name: 'text' | 'vision'): Json => {
    const legacy = json[`${name}_config_dict`];
    if (legacy !== undefined && legacy !== null) {
      if (!isObject(legacy)) throw new ClipConfigError(`${name}_config_dict`, 'expected an object');
      return legacy;
    }
    const cfg = json[`${name}_config`] ?? {};
    if (!isObject(cfg)) throw new ClipConfigError(`${name}_config`, 'expected an object');
    return cfg;
  };
  return {
    projection_dim: positiveInt(json, 'projection_dim', '', TOP_DEFAULTS.projection_dim),
    logit_scale_init_value: finiteNumber(json, 'logit_scale_init_value', '', TOP_DEFAULTS.logit_scale_init_value),
    initializer_factor,
    vision_config: parseVision(sub('vision'), initializer_factor),
    text_config: parseText(sub('text'), initializer_factor),
  };
}

/** Deep copy of a config with some fields replaced (tests, reduced-depth variants). */
export function withOverrides(
  base: CLIPConfig,
  o: { vision?: Partial<CLIPVisionConfig>; text?: Partial<CLIPTextConfig>; projection_dim?: number; logit_scale_init_value?: number },
): CLIPConfig {
  return parseClipConfig({
    ...base,
    projection_dim: o.projection_dim ?? base.projection_dim,
    logit_scale_init_value: o.logit_scale_init_value ?? base.logit_scale_init_value,
    vision_config: { ...base.vision_config, ...o.vision },
    text_config: { ...base.text_config, ...o.text },
  });
}

// ---------------------------------------------------------------------------------------------
// Presets: the architecture keys of the Hub's config.json files for the OpenAI checkpoints.
// The Hub configs of these repos still carry the pre-PR-#24773 token ids (bos 0, eos 2, pad 1);
// with eos_token_id == 2 HF pools at the argmax of the ids (49407 = <|endoftext|> is the largest id).

const openaiText = (hidden: number, heads: number): Json => ({
  vocab_size: 49408,
  hidden_size: hidden,
  intermediate_size: 4 * hidden,
  num_hidden_layers: 12,
  num_attention_heads: heads,
  max_position_embeddings: 77,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
  bos_token_id: 0,
  eos_token_id: 2,
  pad_token_id: 1,
});

const openaiVision = (hidden: number, layers: number, heads: number, patch: number): Json => ({
  hidden_size: hidden,
  intermediate_size: 4 * hidden,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  image_size: 224,
  patch_size: patch,
  hidden_act: 'quick_gelu',
  layer_norm_eps: 1e-5,
  num_channels: 3,
});

export const CLIP_PRESETS = {
  'openai/clip-vit-base-patch32': parseClipConfig({
    model_type: 'clip',
    projection_dim: 512,
    logit_scale_init_value: 2.6592,
    text_config: openaiText(512, 8),
    vision_config: openaiVision(768, 12, 12, 32),
  }),
  'openai/clip-vit-base-patch16': parseClipConfig({
    model_type: 'clip',
    projection_dim: 512,
    logit_scale_init_value: 2.6592,
    text_config: openaiText(512, 8),
    vision_config: openaiVision(768, 12, 12, 16),
  }),
  'openai/clip-vit-large-patch14': parseClipConfig({
    model_type: 'clip',
    projection_dim: 768,
    logit_scale_init_value: 2.6592,
    text_config: openaiText(768, 12),
    vision_config: openaiVision(1024, 24, 16, 14),
  }),
} as const satisfies Record<string, CLIPConfig>;

export type ClipPresetName = keyof typeof CLIP_PRESETS;

// ---------------------------------------------------------------------------------------------
// Derived sizes and the checkpoint's tensor list.

/** Patches per side (image_size / patch_size). */
export function gridSize(v: CLIPVisionConfig): number {
  return v.image_size / v.patch_size;
}

/** Vision sequence length: patches + class token (50 for B/32, 197 for B/16, 257 for L/14). */
export function visionPositions(v: CLIPVisionConfig): number {
  return gridSize(v) ** 2 + 1;
}

function encoderShapes(prefix: string, hidden: number, inter: number, layers: number, out: Map<string, number[]>): void {
  for (let i = 0; i < layers; i++) {
    const l = `${prefix}.encoder.layers.${i}`;
    for (const p of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) {
      out.set(`${l}.self_attn.${p}.weight`, [hidden, hidden]);
      out.set(`${l}.self_attn.${p}.bias`, [hidden]);
    }
    out.set(`${l}.layer_norm1.weight`, [hidden]);
    out.set(`${l}.layer_norm1.bias`, [hidden]);
    out.set(`${l}.mlp.fc1.weight`, [inter, hidden]);
    out.set(`${l}.mlp.fc1.bias`, [inter]);
    out.set(`${l}.mlp.fc2.weight`, [hidden, inter]);
    out.set(`${l}.mlp.fc2.bias`, [hidden]);
    out.set(`${l}.layer_norm2.weight`, [hidden]);
    out.set(`${l}.layer_norm2.bias`, [hidden]);
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** What differs between a checkpoint's tensors and the ones its config describes. */
export interface TensorShapeDiff {
  missing: string[];
  unexpected: string[];
  mismatched: { name: string; expected: number[]; got: number[] }[];
}

/**
 * Compare a checkpoint's tensor list (HF names → shapes) with `expectedTensorShapes(config)`. The
 * `*.position_ids` buffers some checkpoints carry are never "unexpected". `partial`: only some of the
 * checkpoint is known yet (e.g. one shard's header), so an absent tensor is not "missing".
 * Null when they match.
 */
export function diffTensorShapes(config: CLIPConfig, shapes: ReadonlyMap<string, readonly number[]>, partial = false): TensorShapeDiff | null {
  const expected = expectedTensorShapes(config);
  const d: TensorShapeDiff = { missing: [], unexpected: [], mismatched: [] };
  for (const [name, shape] of expected) {
    const got = shapes.get(name);
    if (!got) {
      if (!partial) d.missing.push(name);
    } else if (!sameShape(got, shape)) d.mismatched.push({ name, expected: shape, got: [...got] });
  }
  for (const name of shapes.keys()) if (!expected.has(name) && !name.endsWith('.position_ids')) d.unexpected.push(name);
  return d.missing.length || d.unexpected.length || d.mismatched.length ? d : null;
}

/** "3 with a wrong shape: …; 1 missing: …; 2 unexpected: …", each list cut after `max` names. */
export function describeTensorShapeDiff(d: TensorShapeDiff, max: number): string {
  const list = (xs: string[]) => (xs.length > max ? `${xs.slice(0, max).join(', ')} … (+${xs.length - max} more)` : xs.join(', '));
  const parts: string[] = [];
  if (d.mismatched.length) parts.push(`${d.mismatched.length} with a wrong shape: ${list(d.mismatched.map((m) => `${m.name} [${m.got}] (expected [${m.expected}])`))}`);
  if (d.missing.length) parts.push(`${d.missing.length} missing: ${list(d.missing)}`);
  if (d.unexpected.length) parts.push(`${d.unexpected.length} unexpected: ${list(d.unexpected)}`);
  return parts.join('; ');
}

/**
 * Every tensor of a HF `CLIPModel` checkpoint with its shape, in HF's `state_dict()` order
 * (the non-persistent `*.position_ids` buffers are not listed).
 */
export function expectedTensorShapes(config: CLIPConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const t = config.text_config;
  const v = config.vision_config;
  m.set('text_model.embeddings.token_embedding.weight', [t.vocab_size, t.hidden_size]);
  m.set('text_model.embeddings.position_embedding.weight', [t.max_position_embeddings, t.hidden_size]);
  encoderShapes('text_model', t.hidden_size, t.intermediate_size, t.num_hidden_layers, m);
  m.set('text_model.final_layer_norm.weight', [t.hidden_size]);
  m.set('text_model.final_layer_norm.bias', [t.hidden_size]);
  m.set('vision_model.embeddings.class_embedding', [v.hidden_size]);
  m.set('vision_model.embeddings.patch_embedding.weight', [v.hidden_size, v.num_channels, v.patch_size, v.patch_size]);
  m.set('vision_model.embeddings.position_embedding.weight', [visionPositions(v), v.hidden_size]);
  m.set('vision_model.pre_layrnorm.weight', [v.hidden_size]);
  m.set('vision_model.pre_layrnorm.bias', [v.hidden_size]);
  encoderShapes('vision_model', v.hidden_size, v.intermediate_size, v.num_hidden_layers, m);
  m.set('vision_model.post_layernorm.weight', [v.hidden_size]);
  m.set('vision_model.post_layernorm.bias', [v.hidden_size]);
  m.set('visual_projection.weight', [config.projection_dim, v.hidden_size]);
  m.set('text_projection.weight', [config.projection_dim, t.hidden_size]);
  m.set('logit_scale', []);
  return m;
}

/** The image encoder incl. its projection: what is fine-tuned and what task vectors cover. */
export function isVisionWeight(name: string): boolean {
  return name.startsWith('vision_model.') || name === 'visual_projection.weight';
}
