/**
 * Build the built-in micro CLIP: `npm run build:micro` (npx tsx scripts/build-micro.ts).
 *
 *   1. tokenizer.json: WordLevel vocabulary of the pretraining captions and CLIP's prompt templates;
 *   2. config.json: a Hugging Face CLIPModel (see MICRO_ARCH in scripts/micro/model.ts);
 *   3. contrastive pretraining of both towers and the temperature on procedural image–caption pairs
 *      (scripts/micro/pretrain.ts), on the tfjs WASM backend, seeded: the same options give the same
 *      model.safetensors bytes on every run;
 *   4. measurements for card.md: zero-shot accuracy on the shapes test split, accuracy after
 *      fine-tuning the vision tower with the lab's recipe, throughput, build time;
 *   5. writes config.json, tokenizer.json, model.safetensors, card.md (and build.json, the numbers).
 *
 * Options: --steps N (pretraining steps, default the committed model's), --out DIR (default
 * public/models/micro-clip), --skip-eval (only pretrain and write the weights: for the determinism
 * check), --seed S.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initNodeBackend } from '../tests/nodeBackend';
import { tf } from '../src/engine/tf';
import { ClipModel } from '../src/engine/clip/model';
import { isVisionWeight } from '../src/engine/clip/config';
import { ClipTokenizer } from '../src/engine/clip/tokenizer';
import { buildZeroShotHead } from '../src/engine/clip/zeroshot';
import { IMAGENET_TEMPLATES, SIMPLE_TEMPLATE } from '../src/engine/clip/templates';
import { generateShapes } from '../src/engine/data/shapes';
import { writeSafetensors } from '../src/engine/io/safetensors';
import { DEFAULT_CAPTION_NOISE } from './micro/captions';
import { cleanAccuracy } from './micro/data';
import { finetuneVision } from './micro/finetune';
import { MICRO_ARCH, microConfig, microConfigJson, microTokenizerJson } from './micro/model';
import { pretrain } from './micro/pretrain';
import { BUILD, FINETUNE_RECIPE, EVAL } from './micro/recipe';
import { measureThroughput } from './micro/speed';
import { writeCard, type BuildReport } from './micro/card';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const outDir = path.resolve(arg('out', 'public/models/micro-clip'));
const steps = Number(arg('steps', String(BUILD.steps)));
const seed = Number(arg('seed', String(BUILD.seed)));
const skipEval = flag('skip-eval');
const fmt = (ms: number) => `${Math.floor(ms / 60000)}m${String(Math.round((ms % 60000) / 1000)).padStart(2, '0')}s`;

await initNodeBackend('wasm');
const tStart = performance.now();
const arch = MICRO_ARCH;
const tokenizerJson = microTokenizerJson();
const configJson = microConfigJson(arch, tokenizerJson);
const config = microConfig(arch, tokenizerJson);
const tokenizer = ClipTokenizer.fromJSON(tokenizerJson);
const ctx = tokenizer.checkTextConfig(config.text_config);
const model = ClipModel.random(config, seed);
console.log(
  `micro CLIP: vision ${arch.visionWidth}w×${arch.visionLayers}L/${arch.patchSize}px patches, text ${arch.textWidth}w×${arch.textLayers}L, ` +
    `vocab ${tokenizer.vocabSize}, ${(model.numParams() / 1e6).toFixed(3)}M parameters; pretraining ${steps} steps × ${BUILD.batchSize} on ${os.cpus().length} cores`,
);

await pretrain(model, tokenizer, {
  ...BUILD,
  steps,
  seed,
  contextLength: ctx,
  noise: DEFAULT_CAPTION_NOISE,
  onProgress: (p) =>
    console.log(
      `step ${String(p.step).padStart(5)}/${p.steps}  loss ${p.loss.toFixed(4)}  exp(t) ${Math.exp(p.logitScale).toFixed(1)}  lr ${p.lr.toExponential(2)}  ` +
        `${p.imagesPerSec.toFixed(0)} images/s  elapsed ${fmt(p.elapsedMs)}  ETA ${fmt(p.etaMs)}`,
    ),
});
const pretrainMs = performance.now() - tStart;

fs.mkdirSync(outDir, { recursive: true });
const weights = writeSafetensors(await model.toStateDict(), { format: 'pt' });
const write = (name: string, data: string | Uint8Array) => fs.writeFileSync(path.join(outDir, name), data);
write('config.json', JSON.stringify(configJson, null, 2) + '\n');
write('tokenizer.json', JSON.stringify(tokenizerJson, null, 2) + '\n');
write('model.safetensors', weights);
const sha256 = crypto.createHash('sha256').update(weights).digest('hex');
console.log(`wrote ${outDir}: model.safetensors ${(weights.byteLength / 1e6).toFixed(2)} MB, sha256 ${sha256}`);
if (skipEval) process.exit(0);

// ---- measurements for the card ---------------------------------------------------------------
const test = generateShapes({ split: 'test', seed: EVAL.dataSeed, count: EVAL.testCount });
const tokenize = (t: string[]) => tokenizer.tokenize(t, ctx);
const zeroShot: Record<string, number> = {};
for (const [name, templates] of [['simple', [SIMPLE_TEMPLATE]], ['imagenet80', IMAGENET_TEMPLATES]] as const) {
  const head = await buildZeroShotHead(model, tokenize, test.classNames, templates);
  zeroShot[name] = await cleanAccuracy(model, head, test);
  head.dispose();
  console.log(`zero-shot (${name} templates) on ${EVAL.testCount} test images: ${(100 * zeroShot[name]).toFixed(1)}%`);
}
const head = await buildZeroShotHead(model, tokenize, test.classNames, IMAGENET_TEMPLATES);
const speed = await measureThroughput(model, head, 64);
console.log(`vision tower, batch 64: forward ${speed.forwardImagesPerSec.toFixed(0)} images/s, forward+backward ${speed.trainImagesPerSec.toFixed(0)} images/s`);
const pre = new Map([...model.getWeights(isVisionWeight)].map(([n, t]) => [n, tf.clone(t)]));
const train = generateShapes({ split: 'train', seed: EVAL.dataSeed, count: EVAL.trainCount });
const tFt = performance.now();
await finetuneVision(model, head, train, FINETUNE_RECIPE);
const finetuneMs = performance.now() - tFt;
const fineTuned = await cleanAccuracy(model, head, test);
console.log(`fine-tuned (vision tower, ${EVAL.trainCount} train images, ${FINETUNE_RECIPE.epochs} epochs) on the test split: ${(100 * fineTuned).toFixed(1)}% (${fmt(finetuneMs)})`);
model.setWeights(pre);
tf.dispose([...pre.values(), head]);

const report: BuildReport = {
  arch,
  config,
  vocabSize: tokenizer.vocabSize,
  params: { total: model.numParams(), vision: model.numParams(isVisionWeight) },
  flopsPerImage: model.flopsPerImage(),
  steps,
  seed,
  zeroShot,
  fineTuned,
  speed,
  pretrainMs,
  finetuneMs,
  totalMs: performance.now() - tStart,
  cores: os.cpus().length,
  loadAverage: os.loadavg()[0],
  modelBytes: weights.byteLength,
  sha256,
  logitScale: (await model.weight('logit_scale').data())[0],
};
write('build.json', JSON.stringify(report, null, 2) + '\n');
write('card.md', writeCard(report, outDir));
console.log(`total build time ${fmt(report.totalMs)}; wrote card.md and build.json`);
