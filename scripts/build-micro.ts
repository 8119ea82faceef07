/**
 * Build the built-in micro CLIP: `npm run build:micro` (tsx scripts/build-micro.ts).
 *
 *   1. tokenizer.json: WordLevel vocabulary of the pretraining captions and CLIP's prompt templates;
 *   2. config.json: a Hugging Face CLIPModel (MICRO_ARCH in scripts/micro/model.ts);
 *   3. contrastive pretraining of both towers and the temperature on procedural image–caption pairs
 *      (scripts/micro/pretrain.ts), on the tfjs WASM backend, seeded: the same options give the same
 *      model.safetensors bytes on every run;
 *   4. measurements for card.md, all through the lab's own engine (ExperimentSession loading the
 *      written folder like any checkpoint): zero-shot accuracy on the shapes test split, accuracy after
 *      clean fine-tuning of the vision tower with the lab's recipe (MICRO_RECIPE, CARD_SPLITS), and a
 *      linear probe on raw pixels of the same training images for comparison;
 *   5. writes config.json, tokenizer.json, model.safetensors, card.md and build.json (the numbers).
 *
 * Options: --steps N (pretraining steps, default BUILD.steps), --out DIR (default
 * public/models/micro-clip), --skip-eval (only pretrain and write the weights: the determinism
 * check), --seed S, --patch-size P, --vision-width W and --image-size S (a variant tower, e.g. for
 * `npm run bench:trigger-size -- --model DIR` or `bench:learnability`; the default is MICRO_ARCH;
 * --image-size also sets the side of the shapes it pretrains and is measured on).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initNodeBackend } from '../tests/nodeBackend';
import { nodeFileSource } from '../tests/util/nodeFiles';
import { ClipTokenizer } from '../src/engine/clip/tokenizer';
import { isVisionWeight } from '../src/engine/clip/config';
import { writeSafetensors } from '../src/engine/io/safetensors';
import { ExperimentSession } from '../src/engine/experiment/session';
import { defaultExperimentConfig, MICRO_RECIPE } from '../src/engine/experiment/defaults';
import { MICRO_CLIP_DIR, type FileSource } from '../src/engine/experiment/sources';
import type { ExperimentConfig } from '../src/engine/experiment/config';
import { DEFAULT_CAPTION_NOISE } from './micro/captions';
import { initialMicroModel, MICRO_ARCH, microConfig, microConfigJson, microTokenizerJson } from './micro/model';
import { pretrain } from './micro/pretrain';
import { BUILD, CARD_SPLITS, EVAL } from './micro/recipe';
import { writeCard, type BuildReport } from './micro/card';
import { pixelProbe } from './lib/pixelProbe';

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
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

await initNodeBackend('wasm');
const tStart = performance.now();
const arch = {
  ...MICRO_ARCH,
  patchSize: Number(arg('patch-size', String(MICRO_ARCH.patchSize))),
  visionWidth: Number(arg('vision-width', String(MICRO_ARCH.visionWidth))),
  imageSize: Number(arg('image-size', String(MICRO_ARCH.imageSize))),
};
if (!(Number.isInteger(arch.imageSize) && arch.imageSize >= 8))
  throw new Error(`--image-size must be a whole number ≥ 8, got ${arch.imageSize}`);
if (!(Number.isInteger(arch.patchSize) && arch.patchSize >= 1 && arch.imageSize % arch.patchSize === 0))
  throw new Error(`--patch-size must divide the image side ${arch.imageSize}, got ${arch.patchSize}`);
if (!(Number.isInteger(arch.visionWidth) && arch.visionWidth > 0 && arch.visionWidth % arch.visionHeads === 0))
  throw new Error(`--vision-width must be a multiple of the ${arch.visionHeads} heads, got ${arch.visionWidth}`);
const tokenizerJson = microTokenizerJson();
const configJson = microConfigJson(arch, tokenizerJson);
const config = microConfig(arch, tokenizerJson);
const tokenizer = ClipTokenizer.fromJSON(tokenizerJson);
const ctx = tokenizer.checkTextConfig(config.text_config);
const model = initialMicroModel(config, seed, BUILD.tokenEmbeddingStd);
const params = { total: model.numParams(), vision: model.numParams(isVisionWeight) };
const flopsPerImage = model.flopsPerImage();
console.log(
  `micro CLIP: vision ${arch.visionWidth}w×${arch.visionLayers}L/${arch.patchSize}px patches, text ${arch.textWidth}w×${arch.textLayers}L, ` +
    `vocab ${tokenizer.vocabSize}, ${(params.total / 1e6).toFixed(3)}M parameters; pretraining ${steps} steps × ${BUILD.batchSize} on ${os.cpus().length} cores`,
);

let imagesPerSec = 0;
const losses = await pretrain(model, tokenizer, {
  ...BUILD,
  imageSize: arch.imageSize,
  steps,
  seed,
  contextLength: ctx,
  noise: DEFAULT_CAPTION_NOISE,
  onProgress: (p) => {
    imagesPerSec = (p.step * BUILD.batchSize * 1000) / p.elapsedMs;
    if (p.step % 50 === 0 || p.step === p.steps)
      console.log(
        `step ${String(p.step).padStart(5)}/${p.steps}  loss ${p.loss.toFixed(4)}  exp(t) ${Math.exp(p.logitScale).toFixed(1)}  lr ${p.lr.toExponential(2)}  ` +
          `${p.imagesPerSec.toFixed(0)} images/s  elapsed ${fmt(p.elapsedMs)}  ETA ${fmt(p.etaMs)}`,
      );
  },
});
const pretrainMs = performance.now() - tStart;
const logitScale = (await model.weight('logit_scale').data())[0];

fs.mkdirSync(outDir, { recursive: true });
const weights = writeSafetensors(await model.toStateDict(), { format: 'pt' });
model.dispose();
const write = (name: string, data: string | Uint8Array) => fs.writeFileSync(path.join(outDir, name), data);
write('config.json', JSON.stringify(configJson, null, 2) + '\n');
write('tokenizer.json', JSON.stringify(tokenizerJson, null, 2) + '\n');
write('model.safetensors', weights);
const sha256 = crypto.createHash('sha256').update(weights).digest('hex');
console.log(`wrote ${outDir}: model.safetensors ${(weights.byteLength / 1e6).toFixed(2)} MB, sha256 ${sha256}`);
if (skipEval) process.exit(0);

// ---- measurements for the card, through the lab's engine ---------------------------------------
// The written folder is read back like the app reads public/models/micro-clip.
const dirFiles = nodeFileSource(outDir);
const files: FileSource = { read: (p, o) => dirFiles.read(p.startsWith(`${MICRO_CLIP_DIR}/`) ? p.slice(MICRO_CLIP_DIR.length + 1) : p, o) };
const session = new ExperimentSession({ files });
const base: ExperimentConfig = {
  ...defaultExperimentConfig('badnet', EVAL.seed),
  data: { kind: 'shapes', imageSize: arch.imageSize },
  splits: { ...CARD_SPLITS, test: EVAL.testCount },
};
const tEval = performance.now();
await session.loadModel(base);
await session.loadData(base);
const zeroShot: Record<'simple' | 'imagenet80', number> = { simple: 0, imagenet80: 0 };
for (const templates of ['simple', 'imagenet80'] as const) {
  const z = await session.zeroShot({ ...base, templates });
  zeroShot[templates] = z.test.ca;
  console.log(`zero-shot (${templates} templates) on ${EVAL.testCount} test images: ${pct(z.test.ca)}`);
}
const tFt = performance.now();
const attack = await session.attack(base, true);
const finetuneMs = (performance.now() - tFt) / 2; // the clean run and the attack take the same steps
const fineTuned = attack.cleanTest!.ca;
console.log(`fine-tuned (vision tower, ${CARD_SPLITS.train} train images, MICRO_RECIPE) on the test split: ${pct(fineTuned)}; BadNet: CA ${pct(attack.test.ca)} ASR ${pct(attack.test.asr)}`);
const splits = session.splits!;
const pixels = (s: typeof splits.train) => {
  const per = s.pool.imageSize ** 2 * 3;
  const images = new Uint8Array(s.rows.length * per);
  s.rows.forEach((r, i) => images.set(s.pool.images.subarray(r * per, (r + 1) * per), i * per));
  return { images, labels: s.labels };
};
const probe = await pixelProbe(pixels(splits.train), pixels(splits.test), { numClasses: splits.train.pool.classNames.length, epochs: 30, seed: EVAL.seed });
console.log(`linear probe on raw pixels (same ${CARD_SPLITS.train} train images, 30 epochs): train ${pct(probe.train)}, test ${pct(probe.test)}`);
session.dispose();

const report: BuildReport = {
  arch,
  vocabSize: tokenizer.vocabSize,
  params,
  flopsPerImage,
  steps,
  seed,
  finalLoss: losses.slice(-50).reduce((a, b) => a + b, 0) / Math.min(50, losses.length),
  imagesPerSec,
  zeroShot,
  fineTuned,
  badnet: { ca: attack.test.ca, asr: attack.test.asr },
  pixelProbe: probe,
  finetuneMs,
  evalMs: performance.now() - tEval,
  pretrainMs,
  totalMs: performance.now() - tStart,
  cores: os.cpus().length,
  loadAverage: os.loadavg()[0],
  modelBytes: weights.byteLength,
  sha256,
  logitScale,
  recipe: { ...MICRO_RECIPE },
  splits: { ...CARD_SPLITS, test: EVAL.testCount },
};
write('build.json', JSON.stringify(report, null, 2) + '\n');
write('card.md', writeCard(report));
console.log(`total build time ${fmt(report.totalMs)}; wrote card.md and build.json`);
