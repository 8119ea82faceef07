/**
 * ClipModel against an independent torch reference (scripts/golden/clip_golden.py: F.conv2d patches,
 * F.layer_norm, F.multi_head_attention_forward with a causal mask, float64).
 *
 * Tolerance: per output tensor, relErr(a, b) = max|a − b| / max|b| ≤ 1e-4 (b = reference).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { parseClipConfig, withOverrides } from '../src/engine/clip/config';
import { ClipModel, defaultEotIndex } from '../src/engine/clip/model';
import { ClipLoadError, loadClipFromFiles } from '../src/engine/clip/load';
import { parseSafetensors } from '../src/engine/io/safetensors';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/clip-golden');
const readJson = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
const readBytes = (name: string) => new Uint8Array(fs.readFileSync(path.join(dir, name)));

interface Outputs {
  image_embeds: number[][];
  text_embeds: number[][];
  logits_per_image: number[][];
}

const inputs = readJson('inputs.json') as { pixels_shape: number[]; pixels: number[]; ids: number[][]; eot_index: number[] };

async function relErr(a: tf.Tensor, b: number[][]): Promise<number> {
  const av = (await a.data()) as Float32Array;
  const bv = b.flat();
  expect(a.shape).toEqual([b.length, b[0].length]);
  let num = 0;
  let den = 0;
  for (let i = 0; i < bv.length; i++) {
    num = Math.max(num, Math.abs(av[i] - bv[i]));
    den = Math.max(den, Math.abs(bv[i]));
  }
  return num / den;
}

const errors: Record<string, number> = {};

async function compare(label: string, model: ClipModel, ref: Outputs, useEot: boolean): Promise<void> {
  const pixels = tf.tensor4d(inputs.pixels, inputs.pixels_shape as [number, number, number, number]);
  const ids = tf.tensor2d(inputs.ids, undefined, 'int32');
  const img = model.encodeImage(pixels);
  const txt = useEot ? model.encodeText(ids, Int32Array.from(inputs.eot_index)) : model.encodeText(ids);
  const logits = model.logits(img, txt);
  const e = { image: await relErr(img, ref.image_embeds), text: await relErr(txt, ref.text_embeds), logits: await relErr(logits, ref.logits_per_image) };
  errors[`${label} image`] = e.image;
  errors[`${label} text`] = e.text;
  errors[`${label} logits`] = e.logits;
  tf.dispose([pixels, ids, img, txt, logits]);
  expect(e.image).toBeLessThanOrEqual(1e-4);
  expect(e.text).toBeLessThanOrEqual(1e-4);
  expect(e.logits).toBeLessThanOrEqual(1e-4);
}

describe('CLIP golden (torch reference)', () => {
  const weights = readBytes('model.safetensors');
  let model: ClipModel;

  beforeAll(() => {
    model = loadClipFromFiles({ config: readJson('config.json'), weights });
  });
  afterAll(() => {
    model.dispose();
    console.log('golden max relative errors:', Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.toExponential(2)])));
  });

  it('quick_gelu: image/text embeddings and logits match (explicit eot positions)', async () => {
    await compare('quick_gelu', model, readJson('outputs.json'), true);
  });

  it('default pooling position = first eos (the row padded with eos pools the first one)', async () => {
    await compare('quick_gelu default-eot', model, readJson('outputs.json'), false);
  });

  it('encodeImageTokens: [B, 1 + (S/P)², E], its class token is the image embedding', async () => {
    const pixels = tf.tensor4d(inputs.pixels, inputs.pixels_shape as [number, number, number, number]);
    const tokens = model.encodeImageTokens(pixels);
    const v = model.config.vision_config;
    expect(tokens.shape).toEqual([pixels.shape[0], 1 + (v.image_size / v.patch_size) ** 2, model.config.projection_dim]);
    const cls = tokens.slice([0, 0, 0], [-1, 1, -1]).reshape([pixels.shape[0], -1]);
    const err = await relErr(cls, (readJson('outputs.json') as Outputs).image_embeds);
    errors['class token of encodeImageTokens'] = err;
    expect(err).toBeLessThanOrEqual(1e-4);
    tf.dispose([pixels, tokens, cls]);
  });

  it('cropping to the longest prompt (eotIndex given) gives the same embeddings', async () => {
    const rows = [0, 1, 3]; // eot 6, 4, 1 → 7 of 16 tokens are run
    const ids = tf.tensor2d(rows.map((r) => inputs.ids[r]), undefined, 'int32');
    const txt = model.encodeText(ids, rows.map((r) => inputs.eot_index[r]));
    const ref = (readJson('outputs.json') as Outputs).text_embeds;
    const err = await relErr(txt, rows.map((r) => ref[r]));
    errors['cropped text'] = err;
    expect(err).toBeLessThanOrEqual(1e-4);
    tf.dispose([ids, txt]);
  });

  it('legacy eos_token_id == 2 pools at the argmax of the ids, ties to the first', async () => {
    const cfg = withOverrides(model.config, { text: { eos_token_id: 2 } });
    const ids = tf.tensor2d(
      [
        [5, 2, 9, 511, 0, 0],
        [5, 511, 511, 511, 7, 2],
        [2, 3, 4, 1, 0, 0],
      ],
      undefined,
      'int32',
    );
    expect(Array.from(await defaultEotIndex(ids, cfg.text_config).data())).toEqual([3, 1, 2]);
    const cfgNew = model.config.text_config; // eos 511: first occurrence; none found → 0
    expect(Array.from(await defaultEotIndex(ids, cfgNew).data())).toEqual([3, 1, 0]);
    ids.dispose();
  });

  it('state dict round trip: toStateDict → fromStateDict reproduces every tensor bit for bit', async () => {
    const sd = await model.toStateDict();
    const parsed = parseSafetensors(weights).tensors;
    expect(sd.map((t) => t.name).sort()).toEqual([...parsed.keys()].sort());
    for (const t of sd) expect(t.data).toEqual(parsed.get(t.name)!.data);
    const again = ClipModel.fromStateDict(model.config, new Map(sd.map((t) => [t.name, t])));
    const a = again.getWeights().get('vision_model.encoder.layers.1.mlp.fc2.weight')!;
    expect(await a.data()).toEqual(parsed.get('vision_model.encoder.layers.1.mlp.fc2.weight')!.data);
    again.dispose();
  });

  for (const [act, file] of [
    ['gelu', 'gelu'],
    ['gelu_pytorch_tanh', 'gelu_tanh'],
  ] as const) {
    it(`hidden_act ${act}`, async () => {
      const m = loadClipFromFiles({ config: readJson(`config_${file}.json`), weights });
      expect(m.config.vision_config.hidden_act).toBe(act);
      await compare(act, m, readJson(`outputs_${file}.json`), true);
      m.dispose();
    });
  }

  it('BF16 checkpoint converts to float32 and matches the reference computed with BF16-rounded weights', async () => {
    const m = loadClipFromFiles({ config: readJson('config.json'), weights: readBytes('model.bf16.safetensors') });
    await compare('bf16', m, readJson('outputs_bf16.json'), true);
    m.dispose();
  });

  it('a checkpoint of another architecture is refused with a clear error', () => {
    const cfg = parseClipConfig({ ...readJson('config.json'), vision_config: { ...readJson('config.json').vision_config, patch_size: 16 } });
    let err: unknown;
    try {
      loadClipFromFiles({ config: cfg, weights });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClipLoadError);
    expect((err as ClipLoadError).code).toBe('architecture-mismatch');
    expect((err as Error).message).toMatch(/vision patch_size: checkpoint 8, config 16/);
  });

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const pixels = tf.tensor4d(inputs.pixels, inputs.pixels_shape as [number, number, number, number]);
    const ids = tf.tensor2d(inputs.ids, undefined, 'int32');
    const out = [model.encodeImage(pixels), model.encodeText(ids)];
    out.push(model.logits(out[0] as tf.Tensor2D, out[1] as tf.Tensor2D));
    tf.dispose([pixels, ids, ...out]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
