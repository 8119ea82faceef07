/**
 * Generates the files e2e/hubServer.mjs serves in the Hugging Face Hub layout (gitignored output,
 * never committed):
 *
 *   models/openai/clip-vit-base-patch32/   config.json with that repo's values but 2 vision / 1 text
 *                                           layers; model.safetensors from ClipModel.random (F16, as
 *                                           some Hub checkpoints are: ~91 MB instead of 182 MB)
 *   models/tbar-test/tiny-clip/             a tiny CLIP with CLIP's real 49,408-token vocabulary
 *                                           (F32, ~7 MB): the Node tests' model
 *   models/tbar-test/tiny-clip-sharded/     the same weights as model.safetensors.index.json + 2 shards
 *   datasets/uoft-cs/cifar10/               plain_text/{train,test}-00000-of-00001.parquet + README.md
 *   datasets/uoft-cs/cifar100/              cifar100/{train,test}-00000-of-00001.parquet + README.md
 *   (with --full) models/tbar-bench/clip-vit-base-patch32-full/   full-size ViT-B/32, F32, ~605 MB
 *
 * The parquet files follow the Hub's CIFAR layout (column `img` = struct {bytes: PNG, path: string},
 * `label` int64, or `fine_label` / `coarse_label` for CIFAR-100), written with hyparquet-writer from
 * ../shared/data/cifar10-test-jpg re-encoded as PNG. CIFAR-100 has no images in shared/, so its
 * fixture reuses the CIFAR-10 images with labels spread over 100 classes: the layout is real, the
 * semantics are not. tokenizer.json is not generated: the server copies it at serve time from
 * ../shared/data/tinyclip-8m-16-text-3m-hf-tokenizer/.
 *
 *   npx tsx scripts/hub/makeHubFixtures.ts <outDir> [--full]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { initNodeBackend } from '../../tests/nodeBackend';
import { CLIP_PRESETS, parseClipConfig, withOverrides, type CLIPConfig } from '../../src/engine/clip/config';
import { ClipModel } from '../../src/engine/clip/model';
import { writeSafetensors, type NamedTensor } from '../../src/engine/io/safetensors';
import { CIFAR10_CLASSES, CIFAR100_CLASSES, CIFAR100_COARSE_CLASSES } from '../../src/engine/data/cifarHub';

export const FIXTURE_VERSION = 3;
const ROOT = path.resolve(import.meta.dirname, '../..');
const SHARED = path.resolve(ROOT, '../shared/data');

/** The config.json of openai/clip-vit-base-patch32 with fewer layers (values as that repo's file). */
export function b32ConfigJson(visionLayers: number, textLayers: number, extra: { patch?: number } = {}): Record<string, unknown> {
  return {
    _name_or_path: 'openai/clip-vit-base-patch32',
    architectures: ['CLIPModel'],
    initializer_factor: 1.0,
    logit_scale_init_value: 2.6592,
    model_type: 'clip',
    projection_dim: 512,
    text_config: {
      attention_dropout: 0.0,
      bos_token_id: 0,
      dropout: 0.0,
      eos_token_id: 2,
      hidden_act: 'quick_gelu',
      hidden_size: 512,
      initializer_factor: 1.0,
      initializer_range: 0.02,
      intermediate_size: 2048,
      layer_norm_eps: 1e-5,
      max_position_embeddings: 77,
      model_type: 'clip_text_model',
      num_attention_heads: 8,
      num_hidden_layers: textLayers,
      pad_token_id: 1,
      projection_dim: 512,
      vocab_size: 49408,
    },
    torch_dtype: 'float32',
    transformers_version: '4.21.3',
    vision_config: {
      attention_dropout: 0.0,
      dropout: 0.0,
      hidden_act: 'quick_gelu',
      hidden_size: 768,
      image_size: 224,
      initializer_factor: 1.0,
      initializer_range: 0.02,
      intermediate_size: 3072,
      layer_norm_eps: 1e-5,
      model_type: 'clip_vision_model',
      num_attention_heads: 12,
      num_channels: 3,
      num_hidden_layers: visionLayers,
      patch_size: extra.patch ?? 32,
      projection_dim: 512,
    },
  };
}

export const TINY_CONFIG = {
  model_type: 'clip',
  projection_dim: 32,
  vision_config: { hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 2, image_size: 32, patch_size: 8 },
  text_config: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 49408, max_position_embeddings: 77, bos_token_id: 0, eos_token_id: 2, pad_token_id: 1 },
};

async function weightsOf(config: CLIPConfig, seed: number): Promise<NamedTensor[]> {
  const model = ClipModel.random(config, seed);
  try {
    return await model.toStateDict();
  } finally {
    model.dispose();
  }
}

function writeModel(dir: string, configJson: unknown, tensors: NamedTensor[], dtype: 'F32' | 'F16'): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(configJson, null, 2) + '\n');
  writeFileSync(path.join(dir, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt' }, { dtype }));
}

function writeSharded(dir: string, configJson: unknown, tensors: NamedTensor[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(configJson, null, 2) + '\n');
  const half = Math.ceil(tensors.length / 2);
  const shards = [tensors.slice(0, half), tensors.slice(half)];
  const files = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const weightMap: Record<string, string> = {};
  let total = 0;
  shards.forEach((s, i) => {
    writeFileSync(path.join(dir, files[i]), writeSafetensors(s, { format: 'pt' }));
    for (const t of s) {
      weightMap[t.name] = files[i];
      total += t.data.byteLength;
    }
  });
  writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
}

// ---------------------------------------------------------------------------------------------
// CIFAR parquet

/** [class][index] JPEG paths of the shared CIFAR-10 test set. */
function cifarJpegs(): string[][] {
  const dir = path.join(SHARED, 'cifar10-test-jpg/test');
  return CIFAR10_CLASSES.map((c) => readdirSync(path.join(dir, c)).sort().map((f) => path.join(dir, c, f)));
}

function jpegToPng(file: string): Uint8Array {
  const img = jpeg.decode(readFileSync(file), { useTArray: true, formatAsRGBA: true });
  const png = new PNG({ width: img.width, height: img.height, colorType: 2, inputColorType: 6 });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return new Uint8Array(PNG.sync.write(png, { colorType: 2, inputColorType: 6 }));
}

interface Row {
  png: Uint8Array;
  path: string;
  labels: Record<string, number>;
}

function writeParquet(file: string, rows: Row[], labelColumns: string[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'img', data: rows.map((r) => ({ bytes: r.png, path: r.path })) },
      ...labelColumns.map((c) => ({ name: c, data: rows.map((r) => BigInt(r.labels[c])) })),
    ],
    schema: [
      { name: 'schema', num_children: 1 + labelColumns.length },
      { name: 'img', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
      { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      ...labelColumns.map((c) => ({ name: c, type: 'INT64' as const, repetition_type: 'OPTIONAL' as const })),
    ],
    rowGroupSize: 500,
    kvMetadata: [{ key: 'huggingface', value: JSON.stringify({ info: { features: { img: { _type: 'Image' }, ...Object.fromEntries(labelColumns.map((c) => [c, { _type: 'ClassLabel' }])) } } }) }],
  });
  writeFileSync(file, new Uint8Array(buf));
}

function readme(pretty: string, configName: string, dataDir: string, features: [string, readonly string[]][]): string {
  const lines = ['---', `pretty_name: ${pretty}`, 'dataset_info:', `  config_name: ${configName}`, '  features:', '  - name: img', '    dtype: image'];
  for (const [name, names] of features) {
    lines.push(`  - name: ${name}`, '    dtype:', '      class_label:', '        names:');
    names.forEach((n, i) => lines.push(`          '${i}': ${n}`));
  }
  lines.push('configs:', `- config_name: ${configName}`, '  data_files:', '  - split: train', `    path: ${dataDir}/train-*`, '  - split: test', `    path: ${dataDir}/test-*`, '  default: true', '---', '', `# ${pretty} (TBAR Lab test fixture: CIFAR-10 test images in the Hub's parquet layout)`, '');
  return lines.join('\n');
}

function makeCifar(out: string): void {
  const jpgs = cifarJpegs();
  const pick = (from: number, n: number) => {
    const rows: { cls: number; idx: number; file: string }[] = [];
    for (let i = 0; i < n; i++) for (let c = 0; c < 10; c++) rows.push({ cls: c, idx: from + i, file: jpgs[c][from + i] });
    return rows; // interleaved classes, like the shuffled originals
  };
  // CIFAR-10: 1600 train (160 per class), 400 test (40 per class)
  const c10 = path.join(out, 'datasets/uoft-cs/cifar10');
  const toRows = (list: { cls: number; idx: number; file: string }[], labels: (cls: number, k: number) => Record<string, number>): Row[] =>
    list.map((r, k) => ({ png: jpegToPng(r.file), path: `${CIFAR10_CLASSES[r.cls]}_${String(r.idx).padStart(4, '0')}.png`, labels: labels(r.cls, k) }));
  writeParquet(path.join(c10, 'plain_text/train-00000-of-00001.parquet'), toRows(pick(0, 160), (c) => ({ label: c })), ['label']);
  writeParquet(path.join(c10, 'plain_text/test-00000-of-00001.parquet'), toRows(pick(900, 40), (c) => ({ label: c })), ['label']);
  writeFileSync(path.join(c10, 'README.md'), readme('Cifar10', 'plain_text', 'plain_text', [['label', CIFAR10_CLASSES]]));
  // CIFAR-100 layout: 1000 train, 200 test; fine label = class·10 + k mod 10, coarse = fine mod 20
  const c100 = path.join(out, 'datasets/uoft-cs/cifar100');
  const lab = (c: number, k: number) => ({ fine_label: c * 10 + (Math.floor(k / 10) % 10), coarse_label: (c * 10 + (Math.floor(k / 10) % 10)) % 20 });
  writeParquet(path.join(c100, 'cifar100/train-00000-of-00001.parquet'), toRows(pick(200, 100), lab), ['fine_label', 'coarse_label']);
  writeParquet(path.join(c100, 'cifar100/test-00000-of-00001.parquet'), toRows(pick(950, 20), lab), ['fine_label', 'coarse_label']);
  writeFileSync(path.join(c100, 'README.md'), readme('Cifar100', 'cifar100', 'cifar100', [['fine_label', CIFAR100_CLASSES], ['coarse_label', CIFAR100_COARSE_CLASSES]]));
}

// ---------------------------------------------------------------------------------------------

export async function makeHubFixtures(out: string, { full = false } = {}): Promise<void> {
  await initNodeBackend('wasm');
  const stampFile = path.join(out, full ? 'stamp-full.json' : 'stamp.json');
  if (existsSync(stampFile) && JSON.parse(readFileSync(stampFile, 'utf8')).version === FIXTURE_VERSION) return;
  const t0 = performance.now();
  if (full) {
    const cfg = CLIP_PRESETS['openai/clip-vit-base-patch32'];
    writeModel(path.join(out, 'models/tbar-bench/clip-vit-base-patch32-full'), b32ConfigJson(12, 12), await weightsOf(cfg, 1), 'F32');
  } else {
    const b32json = b32ConfigJson(2, 1);
    const b32 = parseClipConfig(b32json);
    writeModel(path.join(out, 'models/openai/clip-vit-base-patch32'), b32json, await weightsOf(b32, 7), 'F16');
    const tiny = withOverrides(parseClipConfig(TINY_CONFIG), {});
    const tinyWeights = await weightsOf(tiny, 11);
    writeModel(path.join(out, 'models/tbar-test/tiny-clip'), TINY_CONFIG, tinyWeights, 'F32');
    writeSharded(path.join(out, 'models/tbar-test/tiny-clip-sharded'), TINY_CONFIG, tinyWeights);
    makeCifar(out);
  }
  writeFileSync(stampFile, JSON.stringify({ version: FIXTURE_VERSION, seconds: (performance.now() - t0) / 1000 }));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: npx tsx scripts/hub/makeHubFixtures.ts <outDir> [--full]');
    process.exit(2);
  }
  await makeHubFixtures(path.resolve(out), { full: process.argv.includes('--full') });
}
