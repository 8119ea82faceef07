/**
 * Real CLIP architectures: the tensor list of the full ViT-B/32, B/16 and L/14 configs against the
 * numbers in CLIP-LAYOUT.md and the published parameter counts, and one forward of checkpoints with
 * HF names and FULL widths at 224×224 — with fewer layers (vision 2, text 1) and a 1000-token
 * vocabulary, to keep the test within memory and ~1 minute on 2 cores. Also: config validation and
 * the strict-loading errors.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import {
  CLIP_PRESETS,
  ClipConfigError,
  type CLIPConfig,
  type ClipPresetName,
  describeTensorShapeDiff,
  diffTensorShapes,
  expectedTensorShapes,
  parseClipConfig,
  visionPositions,
  withOverrides,
} from '../src/engine/clip/config';
import { ClipModel, ClipWeightsError, visionFlopsPerImage } from '../src/engine/clip/model';
import { checkCheckpointAgainstConfig } from '../src/engine/hub/loadModel';
import { HubError } from '../src/engine/hub/errors';

type StateDict = Map<string, { shape: number[]; data: Float32Array }>;

/** A synthetic checkpoint: cheap deterministic values, LayerNorm weights near 1. */
function syntheticStateDict(config: CLIPConfig): StateDict {
  const out: StateDict = new Map();
  let k = 1;
  for (const [name, shape] of expectedTensorShapes(config)) {
    const n = shape.reduce((a, d) => a * d, 1);
    const data = new Float32Array(n);
    const isLnWeight = /(layer_?norm\d?|layrnorm)\.weight$/.test(name);
    for (let i = 0; i < n; i++) {
      const u = (Math.imul(i + k * 7919, 2654435761) >>> 0) / 4294967296 - 0.5; // [-0.5, 0.5)
      data[i] = isLnWeight ? 1 + 0.1 * u : name === 'logit_scale' ? Math.log(100) : 0.05 * u;
    }
    out.set(name, { shape, data });
    k++;
  }
  return out;
}

const FULL: Record<ClipPresetName, { positions: number; tensors: number; vision: number; total: number }> = {
  // Parameter counts: HF CLIPModel.num_parameters() of the openai checkpoints.
  'openai/clip-vit-base-patch32': { positions: 50, tensors: 398, vision: 87_849_216, total: 151_277_313 },
  'openai/clip-vit-base-patch16': { positions: 197, tensors: 398, vision: 86_192_640, total: 149_620_737 },
  'openai/clip-vit-large-patch14': { positions: 257, tensors: 590, vision: 303_966_208, total: 427_616_513 },
};

const isVision = (n: string) => n.startsWith('vision_model.') || n === 'visual_projection.weight';
const count = (m: Map<string, number[]>, f: (n: string) => boolean = () => true) =>
  [...m].filter(([n]) => f(n)).reduce((s, [, sh]) => s + sh.reduce((a, d) => a * d, 1), 0);

describe('expectedTensorShapes of the full configs', () => {
  it('ViT-B/32 matches CLIP-LAYOUT.md', () => {
    const c = CLIP_PRESETS['openai/clip-vit-base-patch32'];
    expect(c.vision_config.num_hidden_layers).toBe(12);
    const m = expectedTensorShapes(c);
    const expected: [string, number[]][] = [
      ['vision_model.embeddings.class_embedding', [768]],
      ['vision_model.embeddings.patch_embedding.weight', [768, 3, 32, 32]],
      ['vision_model.embeddings.position_embedding.weight', [50, 768]],
      ['vision_model.pre_layrnorm.weight', [768]],
      ['vision_model.encoder.layers.11.self_attn.q_proj.weight', [768, 768]],
      ['vision_model.encoder.layers.11.self_attn.out_proj.bias', [768]],
      ['vision_model.encoder.layers.0.layer_norm2.bias', [768]],
      ['vision_model.encoder.layers.0.mlp.fc1.weight', [3072, 768]],
      ['vision_model.encoder.layers.0.mlp.fc1.bias', [3072]],
      ['vision_model.encoder.layers.0.mlp.fc2.weight', [768, 3072]],
      ['vision_model.post_layernorm.bias', [768]],
      ['visual_projection.weight', [512, 768]],
      ['text_model.embeddings.token_embedding.weight', [49408, 512]],
      ['text_model.embeddings.position_embedding.weight', [77, 512]],
      ['text_model.encoder.layers.11.mlp.fc1.weight', [2048, 512]],
      ['text_model.final_layer_norm.weight', [512]],
      ['text_projection.weight', [512, 512]],
      ['logit_scale', []],
    ];
    for (const [n, s] of expected) expect(m.get(n), n).toEqual(s);
    expect(m.has('vision_model.encoder.layers.12.mlp.fc1.weight')).toBe(false);
    expect([...m.keys()].some((n) => n.includes('position_ids'))).toBe(false);
  });

  for (const [preset, want] of Object.entries(FULL) as [ClipPresetName, (typeof FULL)[ClipPresetName]][]) {
    it(`${preset}: ${want.positions} positions, ${want.tensors} tensors, ${(want.total / 1e6).toFixed(1)}M parameters`, () => {
      const c = CLIP_PRESETS[preset];
      const m = expectedTensorShapes(c);
      expect(visionPositions(c.vision_config)).toBe(want.positions);
      expect(m.get('vision_model.embeddings.position_embedding.weight')![0]).toBe(want.positions);
      expect(m.size).toBe(want.tensors);
      expect(count(m, isVision)).toBe(want.vision);
      expect(count(m)).toBe(want.total);
    });
  }

  it('ViT-B/32 vision tower ≈ 87.8M parameters and ≈ 8.8 GFLOP per image', () => {
    const c = CLIP_PRESETS['openai/clip-vit-base-patch32'];
    const m = visionFlopsPerImage(c.vision_config, c.projection_dim);
    expect(m).toBeGreaterThan(8.7e9); // 4.4 GMACs, the usual figure for ViT-B/32 at 224
    expect(m).toBeLessThan(8.9e9);
    expect(count(expectedTensorShapes(CLIP_PRESETS['openai/clip-vit-base-patch32']), isVision) / 1e6).toBeCloseTo(87.85, 1);
  });
});

describe('full-width checkpoints (reduced depth) load and run at 224×224', () => {
  for (const preset of Object.keys(FULL) as ClipPresetName[]) {
    it(preset, async () => {
      const cfg = withOverrides(CLIP_PRESETS[preset], { vision: { num_hidden_layers: 2 }, text: { num_hidden_layers: 1, vocab_size: 1000 } });
      const sd = syntheticStateDict(cfg);
      const T = FULL[preset].positions;
      sd.set('vision_model.embeddings.position_ids', { shape: [1, T], data: Float32Array.from({ length: T }, (_, i) => i) }); // ignored
      const model = ClipModel.fromStateDict(cfg, sd);
      const weights = model.getWeights();
      const expected = expectedTensorShapes(cfg);
      expect(weights.size).toBe(expected.size);
      for (const [n, s] of expected) expect(weights.get(n)?.shape, n).toEqual(s);
      expect(weights.get('vision_model.embeddings.position_embedding.weight')!.shape[0]).toBe(T);

      const before = tf.memory().numTensors;
      const pixels = tf.randomNormal([1, 224, 224, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const ids = tf.tensor2d(
        Array.from({ length: 2 * 77 }, (_, i) => (i % 77 < 6 ? (i * 37) % 999 : i % 77 === 6 ? 999 : 0)),
        [2, 77],
        'int32',
      );
      const img = model.encodeImage(pixels);
      const txt = model.encodeText(ids, [6, 6]);
      const logits = model.logits(img, txt);
      expect(img.shape).toEqual([1, cfg.projection_dim]);
      expect(txt.shape).toEqual([2, cfg.projection_dim]);
      expect(logits.shape).toEqual([1, 2]);
      for (const t of [img, txt, logits]) for (const v of await t.data()) expect(Number.isFinite(v)).toBe(true);
      tf.dispose([pixels, ids, img, txt, logits]);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  }
});

describe('strict loading and weight assignment', () => {
  const cfg = parseClipConfig({
    projection_dim: 8,
    vision_config: { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, image_size: 16, patch_size: 8 },
    text_config: { vocab_size: 20, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 8 },
  });

  it('lists every missing, unexpected and mis-shaped tensor in one error', () => {
    const sd = syntheticStateDict(cfg);
    sd.delete('text_projection.weight');
    sd.set('vision_model.encoder.layers.1.mlp.fc1.weight', { shape: [32, 16], data: new Float32Array(512) });
    sd.set('visual_projection.weight', { shape: [16, 8], data: new Float32Array(128) });
    let err: ClipWeightsError | undefined;
    try {
      ClipModel.fromStateDict(cfg, sd);
    } catch (e) {
      err = e as ClipWeightsError;
    }
    expect(err).toBeInstanceOf(ClipWeightsError);
    expect(err!.code).toBe('state-dict-mismatch');
    expect(err!.missing).toEqual(['text_projection.weight']);
    expect(err!.unexpected).toEqual(['vision_model.encoder.layers.1.mlp.fc1.weight']);
    expect(err!.mismatched).toEqual([{ name: 'visual_projection.weight', expected: [8, 16], got: [16, 8] }]);
    expect(err!.message).toMatch(/visual_projection\.weight \[16,8\] \(expected \[8,16\]\)/);
    // Right shape in the header, wrong amount of data: mis-shaped too, by its element count.
    const short = syntheticStateDict(cfg);
    short.set('vision_model.post_layernorm.bias', { shape: [16], data: new Float32Array(15) });
    expect(() => ClipModel.fromStateDict(cfg, short)).toThrow(/1 with a wrong shape: vision_model\.post_layernorm\.bias \[15\] \(expected \[16\]\)/);
  });

  it('setWeights: partial maps, typed errors, nothing assigned on error; getWeights returns live variables', async () => {
    const model = ClipModel.random(cfg, 3);
    const name = 'vision_model.post_layernorm.bias';
    const live = model.getWeights((n) => n === name);
    expect([...live.keys()]).toEqual([name]);
    const ones = tf.ones([16]);
    model.setWeights(new Map([[name, ones]]));
    expect(Array.from(await live.get(name)!.data())).toEqual(new Array(16).fill(1)); // live view sees it
    const zeros = tf.zeros([16]);
    const bad = tf.zeros([15]);
    expect(() => model.setWeights(new Map([[name, zeros], ['nope.weight', zeros]]))).toThrow(ClipWeightsError);
    expect(() => model.setWeights(new Map([[name, zeros], ['vision_model.pre_layrnorm.bias', bad]]))).toThrow(/pre_layrnorm\.bias \[15\] \(expected \[16\]\)/);
    expect(Array.from(await model.weight(name).data())).toEqual(new Array(16).fill(1)); // untouched
    tf.dispose([ones, zeros, bad]);
    expect(model.numParams()).toBe(count(expectedTensorShapes(cfg)));
    expect(model.numParams(isVision)).toBe(count(expectedTensorShapes(cfg), isVision));
    const sd = await model.toStateDict(isVision);
    expect(sd.map((t) => t.name)).toEqual(model.visionWeightNames());
    model.dispose();
    expect(() => model.getWeights()).toThrow(ClipWeightsError);
  });

  it('one shape check for every loader: diffTensorShapes, partial headers, position_ids, the Hub’s message', () => {
    const shapes = new Map<string, readonly number[]>([...expectedTensorShapes(cfg)]);
    expect(diffTensorShapes(cfg, shapes)).toBeNull();
    shapes.set('vision_model.embeddings.position_ids', [1, 5]); // an HF buffer: never unexpected
    expect(diffTensorShapes(cfg, shapes)).toBeNull();
    shapes.delete('logit_scale');
    shapes.delete('text_projection.weight');
    shapes.set('vision_model.post_layernorm.bias', [15]);
    shapes.set('extra.weight', [3]);
    const d = diffTensorShapes(cfg, shapes)!;
    expect(d).toEqual({
      missing: ['text_projection.weight', 'logit_scale'],
      unexpected: ['extra.weight'],
      mismatched: [{ name: 'vision_model.post_layernorm.bias', expected: [16], got: [15] }],
    });
    expect(describeTensorShapeDiff(d, 1)).toBe(
      '1 with a wrong shape: vision_model.post_layernorm.bias [15] (expected [16]); 2 missing: text_projection.weight … (+1 more); 1 unexpected: extra.weight',
    );
    // One shard's header: absent tensors are not missing yet; wrong shapes still are wrong.
    expect(diffTensorShapes(cfg, shapes, true)).toEqual({ ...d, missing: [] });
    let err: unknown;
    try {
      checkCheckpointAgainstConfig(cfg, shapes, 'model.safetensors');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).code).toBe('weights-mismatch');
    expect((err as HubError).message).toMatch(/^model\.safetensors: the weights do not match .* \(1 with a wrong shape: vision_model\.post_layernorm\.bias \[15\] \(expected \[16\]\); 2 missing: text_projection\.weight, logit_scale; 1 unexpected: extra\.weight\)/);
  });

  it('random init follows HF _init_weights (LayerNorm 1/0, zero biases, std by role) and is seeded', async () => {
    const a = ClipModel.random(cfg, 9);
    const b = ClipModel.random(cfg, 9);
    const c = ClipModel.random(cfg, 10);
    const w = 'vision_model.encoder.layers.0.mlp.fc1.weight';
    expect(await a.weight(w).data()).toEqual(await b.weight(w).data());
    expect(await a.weight(w).data()).not.toEqual(await c.weight(w).data());
    expect(Array.from(await a.weight('vision_model.pre_layrnorm.weight').data())).toEqual(new Array(16).fill(1));
    expect(Array.from(await a.weight('text_model.encoder.layers.0.self_attn.q_proj.bias').data())).toEqual(new Array(16).fill(0));
    expect((await a.weight('logit_scale').data())[0]).toBeCloseTo(2.6592, 5);
    const tok = (await a.weight('text_model.embeddings.token_embedding.weight').data()) as Float32Array;
    const std = Math.sqrt(tok.reduce((s, v) => s + v * v, 0) / tok.length);
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.025);
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe('parseClipConfig', () => {
  const base = { vision_config: {}, text_config: {} };
  const key = (json: unknown) => {
    try {
      parseClipConfig(json);
    } catch (e) {
      expect(e).toBeInstanceOf(ClipConfigError);
      return (e as ClipConfigError).key;
    }
    return null;
  };

  it('fills HF defaults (an empty config is ViT-B/32 with the new token ids)', () => {
    const c = parseClipConfig({});
    expect(c.projection_dim).toBe(512);
    expect(c.vision_config).toMatchObject({ hidden_size: 768, patch_size: 32, image_size: 224, num_hidden_layers: 12, hidden_act: 'quick_gelu', layer_norm_eps: 1e-5 });
    expect(c.text_config).toMatchObject({ vocab_size: 49408, max_position_embeddings: 77, num_attention_heads: 8, eos_token_id: 49407, bos_token_id: 49406, pad_token_id: 1 });
  });

  it('names the offending key', () => {
    expect(key({ ...base, vision_config: { hidden_size: 100, num_attention_heads: 12 } })).toBe('vision_config.num_attention_heads');
    expect(key({ ...base, vision_config: { image_size: 224, patch_size: 15 } })).toBe('vision_config.patch_size');
    expect(key({ ...base, text_config: { hidden_act: 'swish' } })).toBe('text_config.hidden_act');
    expect(key({ ...base, text_config: { vocab_size: -3 } })).toBe('text_config.vocab_size');
    expect(key({ ...base, projection_dim: 'x' })).toBe('projection_dim');
    expect(key({ model_type: 'siglip' })).toBe('model_type');
    expect(key('{not json')).toBe('(root)');
  });

  it('accepts the known activations and legacy *_config_dict keys (which win, as in HF)', () => {
    for (const act of ['quick_gelu', 'gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu']) {
      expect(parseClipConfig({ vision_config: { hidden_act: act } }).vision_config.hidden_act).toBe(act);
    }
    const c = parseClipConfig({ text_config: { hidden_size: 512, num_attention_heads: 8 }, text_config_dict: { hidden_size: 768, num_attention_heads: 12 }, vision_config_dict: null });
    expect(c.text_config.hidden_size).toBe(768);
    expect(c.text_config.num_attention_heads).toBe(12);
  });

  it('presets carry the Hub values', () => {
    const l = CLIP_PRESETS['openai/clip-vit-large-patch14'];
    expect(l.projection_dim).toBe(768);
    expect(l.vision_config).toMatchObject({ hidden_size: 1024, intermediate_size: 4096, num_hidden_layers: 24, num_attention_heads: 16, patch_size: 14 });
    expect(l.text_config).toMatchObject({ hidden_size: 768, num_attention_heads: 12, intermediate_size: 3072 });
    expect(CLIP_PRESETS['openai/clip-vit-base-patch16'].vision_config.patch_size).toBe(16);
    expect(CLIP_PRESETS['openai/clip-vit-base-patch32'].text_config.eos_token_id).toBe(2); // legacy Hub value → argmax pooling
  });
});
