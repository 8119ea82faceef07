/**
 * TBAR feasibility study on the built-in micro CLIP (see scripts/micro/study.ts for what it does):
 *
 *   npx tsx scripts/micro-tbar-study.ts [--dir public/models/micro-clip] [--triggers badnet,blended,wanet,sig]
 *       [--epochs 3] [--lr 1e-4] [--batch 64] [--warmup 20] [--wd 0.1] [--forget 1000] [--forget-epochs E]
 *       [--forget-lr LR] [--train 4000] [--alpha-max 3] [--alpha-step 0.1] [--no-clean] [--no-write]
 *
 * Writes DIR/tbar-study.json (keyed by the weights' sha256) unless --no-write; build-micro puts the
 * table into card.md when the hash matches.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { initNodeBackend } from '../tests/nodeBackend';
import { loadClipWithTokenizer } from '../src/engine/clip/load';
import { ClipTokenizer } from '../src/engine/clip/tokenizer';
import { buildZeroShotHead } from '../src/engine/clip/zeroshot';
import { IMAGENET_TEMPLATES } from '../src/engine/clip/templates';
import { generateShapes } from '../src/engine/data/shapes';
import type { TriggerKind } from '../src/engine/triggers';
import { FINETUNE_RECIPE, TBAR_STUDY } from './micro/recipe';
import { runStudy, type StudySettings } from './micro/study';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

await initNodeBackend('wasm');
const dir = path.resolve(arg('dir', 'public/models/micro-clip'));
const weights = fs.readFileSync(path.join(dir, arg('weights', 'model.safetensors')));
const sha256 = crypto.createHash('sha256').update(weights).digest('hex');
const { model, tokenizer } = loadClipWithTokenizer(
  { config: fs.readFileSync(path.join(dir, 'config.json'), 'utf8'), weights },
  fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'),
  (json, config) => {
    const t = ClipTokenizer.fromJSON(json);
    t.checkTextConfig(config.text_config);
    return t;
  },
);
const ctx = tokenizer.checkTextConfig(model.config.text_config);

const recipe = {
  ...FINETUNE_RECIPE,
  epochs: Number(arg('epochs', String(FINETUNE_RECIPE.epochs))),
  lr: Number(arg('lr', String(FINETUNE_RECIPE.lr))),
  batchSize: Number(arg('batch', String(FINETUNE_RECIPE.batchSize))),
  warmupSteps: Number(arg('warmup', String(FINETUNE_RECIPE.warmupSteps))),
  weightDecay: Number(arg('wd', String(FINETUNE_RECIPE.weightDecay))),
};
const forgetRecipe = {
  ...recipe,
  epochs: Number(arg('forget-epochs', String(TBAR_STUDY.forgetEpochs ?? recipe.epochs))),
  lr: Number(arg('forget-lr', String(TBAR_STUDY.forgetLr ?? recipe.lr))),
};
const alphaMax = Number(arg('alpha-max', String(TBAR_STUDY.alphaMax)));
const alphaStep = Number(arg('alpha-step', String(TBAR_STUDY.alphaStep)));
const settings: StudySettings = {
  ...TBAR_STUDY,
  trainCount: Number(arg('train', String(TBAR_STUDY.trainCount))),
  forgetCount: Number(arg('forget', String(TBAR_STUDY.forgetCount))),
  alphas: Array.from({ length: Math.round(alphaMax / alphaStep) + 1 }, (_, i) => +(i * alphaStep).toFixed(4)),
  recipe,
  forgetRecipe,
};
const triggers = arg('triggers', 'badnet,blended,wanet,sig').split(',') as TriggerKind[];
console.log(JSON.stringify({ dir, sha256: sha256.slice(0, 16), triggers, ...settings, alphas: `${settings.alphas.length} values` }));

const seed = 0;
const data = {
  train: generateShapes({ split: 'train', seed, count: settings.trainCount }),
  forget: generateShapes({ split: 'train', seed, start: settings.trainCount, count: settings.forgetCount }),
  val: generateShapes({ split: 'val', seed, count: settings.valCount }),
  test: generateShapes({ split: 'test', seed, count: settings.testCount }),
};
const head = await buildZeroShotHead(model, (t) => tokenizer.tokenize(t, ctx), data.train.classNames, IMAGENET_TEMPLATES);
const t0 = performance.now();
const study = await runStudy(model, head, data, settings, triggers, (l) => console.log(l), sha256, !flag('no-clean'));
console.log(`\nstudy took ${((performance.now() - t0) / 60000).toFixed(1)} min`);
for (const r of study.results) {
  const p = (x: number) => (100 * x).toFixed(1);
  console.log(
    `${r.trigger.padEnd(8)} clean ${p(study.cleanCA)} | attacked CA ${p(r.attackedCA)} ASR ${p(r.attackedASR)} | α ${r.alpha} (α* ${r.alphaStar}) | TBAR CA ${p(r.tbarCA)} ASR ${p(r.tbarASR)} | removed ${p(r.removed)}% retained ${p(r.retained)}%`,
  );
}
if (!flag('no-write')) {
  fs.writeFileSync(path.join(dir, 'tbar-study.json'), JSON.stringify(study, null, 2) + '\n');
  console.log(`wrote ${path.join(dir, 'tbar-study.json')}`);
}
