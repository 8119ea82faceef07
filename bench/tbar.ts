/**
 * `npm run bench:tbar` — the TBAR pipeline on real images (a benchmark, not a test): the built-in micro
 * CLIP's vision tower fine-tuned on a CIFAR-10 subset (../shared/data/cifar10-train-jpg, JPEG, 32×32),
 * backdoored with BadNet (3% poison), TBAR on a disjoint triggered forget set, α by the known-trigger
 * rule on validation, CA/ASR before and after on a CIFAR-10 test subset. Prints a table and writes
 * bench/results/tbar-<timestamp>.json.
 *
 *   npx tsx bench/tbar.ts [--trigger badnet] [--train-per-class 400] [--test-per-class 100]
 *                         [--epochs 4] [--lr 3e-4] [--seed 0] [--quick]
 *
 * The micro CLIP's WordLevel vocabulary holds the shapes words only. When CIFAR-10's class names are
 * not in it (every one would become <|unk|>, all head rows identical, nothing to learn), the prompts
 * name the 10 classes with the 10 shape words instead ('airplane' → 'circle', …): a fixed head with
 * distinct rows, so the vision tower learns a mapping onto it. Zero-shot CA is then chance by
 * construction; the table says which names were used.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initNodeBackend } from '../tests/nodeBackend';
import { nodeFileSource, PUBLIC_DIR } from '../tests/util/nodeFiles';
import { tf } from '../src/engine/tf';
import { ClipTokenizer } from '../src/engine/clip/tokenizer';
import { SHAPE_CLASSES } from '../src/engine/data/shapes';
import { ExperimentSession } from '../src/engine/experiment/session';
import { BUILTIN_SOURCES, MICRO_CLIP_DIR, mergeSources } from '../src/engine/experiment/sources';
import { defaultExperimentConfig } from '../src/engine/experiment/defaults';
import { defaultTriggerConfig } from '../src/engine/triggers';
import type { TriggerKind } from '../src/engine/triggers/types';
import { CIFAR10_CLASSES, cifar10NodeLoader } from './cifarNode';
import { targetBreakdown } from '../src/engine/eval/byClass';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.resolve(ROOT, '../shared/data');

function args() {
  const a = process.argv.slice(2);
  const get = (k: string, d: string) => {
    const i = a.indexOf(`--${k}`);
    return i >= 0 ? a[i + 1] : d;
  };
  const quick = a.includes('--quick');
  return {
    trigger: get('trigger', 'badnet') as TriggerKind,
    trainPerClass: Number(get('train-per-class', quick ? '150' : '400')),
    testPerClass: Number(get('test-per-class', quick ? '50' : '100')),
    epochs: Number(get('epochs', quick ? '2' : '4')),
    lr: get('lr', ''),
    seed: Number(get('seed', '0')),
  };
}

async function main() {
  const o = args();
  await initNodeBackend('wasm');
  const tok = ClipTokenizer.fromJSON(readFileSync(path.join(PUBLIC_DIR, MICRO_CLIP_DIR, 'tokenizer.json'), 'utf8'));
  const unknown = CIFAR10_CLASSES.filter((c) => tok.encode(c).some((id) => id === tok.unkId));
  const names = unknown.length ? SHAPE_CLASSES.slice(0, 10).map(String) : CIFAR10_CLASSES;
  if (unknown.length) console.log(`note: ${unknown.length}/10 CIFAR-10 class names are outside the micro CLIP's vocabulary; prompts use stand-in names ${names.join(', ')}`);

  const n = o.trainPerClass * 10;
  const config = defaultExperimentConfig(o.trigger, o.seed);
  config.data = { kind: 'cifar10' };
  config.trigger = defaultTriggerConfig(o.trigger, o.seed);
  // From the training pool: 10% val, 10% forget, 80% train (the paper's CIFAR100 split is 86/10/4).
  config.splits = { train: Math.round(0.8 * n), val: Math.round(0.1 * n), forget: Math.round(0.1 * n), test: o.testPerClass * 10 };
  config.attack = { ...config.attack, epochs: o.epochs, ...(o.lr ? { lr: Number(o.lr) } : {}) };
  config.tbar = { ...config.tbar, epochs: o.epochs, ...(o.lr ? { lr: Number(o.lr) } : {}) };

  const session = new ExperimentSession({
    files: nodeFileSource(),
    sources: mergeSources(BUILTIN_SOURCES, { data: { cifar10: cifar10NodeLoader({ root: DATA, trainPerClass: o.trainPerClass, testPerClass: o.testPerClass, classNames: names }) } }),
  });
  const times: Record<string, number> = {};
  const time = async <T>(k: string, f: () => Promise<T>) => {
    const t0 = performance.now();
    const r = await f();
    times[k] = (performance.now() - t0) / 1000;
    console.log(`${k}: ${times[k].toFixed(1)} s`);
    return r;
  };
  const model = await time('loadModel', () => session.loadModel(config));
  const data = await time('loadData', () => session.loadData(config));
  const zs = await time('zeroShot', () => session.zeroShot(config));
  let lastLog = 0;
  const progress = (p: { stage: string; step: number; totalSteps: number; loss: number; etaMs: number }) => {
    if (performance.now() - lastLog > 15_000 || p.step === p.totalSteps) {
      lastLog = performance.now();
      console.log(`  ${p.stage} step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(3)} eta ${(p.etaMs / 1000).toFixed(0)} s`);
    }
  };
  const attack = await time('attack (+ clean baseline)', () => session.attack(config, true, { progress }));
  const tbar = await time('tbar', () => session.tbar(config, { progress }));
  const sweep = await time('sweep', () => session.sweep(config));
  session.dispose();

  const pct = (x: number | null) => (x === null ? '—' : (100 * x).toFixed(1));
  const rows = [
    ['θ_pre (zero-shot)', pct(zs.test.ca), pct(zs.test.asr)],
    ['clean fine-tuning', pct(attack.cleanTest!.ca), pct(attack.cleanTest!.asr)],
    ['backdoored θ_b', pct(attack.test.ca), pct(attack.test.asr)],
    [`TBAR θ̂_c (α = ${sweep.alpha})`, pct(sweep.test.ca), pct(sweep.test.asr)],
  ];
  console.log(`\nTBAR on CIFAR-10 (${data.counts.train} train / ${data.counts.val} val / ${data.counts.forget} forget / ${data.counts.test} test), ${o.trigger}, micro CLIP (${model.visionParams} vision params), tfjs-${tf.getBackend()}`);
  console.log('model                      CA %    ASR %');
  for (const r of rows) console.log(`${r[0].padEnd(26)} ${r[1].padStart(5)}  ${r[2].padStart(6)}`);
  console.log(`ASR removed ${pct(sweep.asrRemoved)}%, CA retained ${pct(sweep.caRetained)}% (rule ${sweep.rule}, satisfied ${sweep.satisfied})`);
  if (sweep.byClass) {
    const t = targetBreakdown(sweep.byClass.backdoored, sweep.byClass.cleaned, config.attack.target);
    console.log(`by class: the target class (${CIFAR10_CLASSES[config.attack.target]}) ${pct(t.target.before)} → ${pct(t.target.after)}%; the other classes ${pct(t.others.before)} → ${pct(t.others.after)}%, ${pct(t.others.retained)}% retained`);
  }
  console.log(`prompts: ${unknown.length ? 'stand-in shape names' : 'CIFAR-10 class names'}; TBAR per epoch: ${tbar.perEpoch.map((p) => `e${p.epoch} α ${p.alpha} CA ${pct(p.test.ca)} ASR ${pct(p.test.asr)}`).join('; ')}`);

  const out = path.join(ROOT, 'bench/results');
  mkdirSync(out, { recursive: true });
  const file = path.join(out, `tbar-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify({ env: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, backend: tf.getBackend() }, options: o, promptNames: names, config, model, data, zeroShot: zs, attack: { ...attack, losses: undefined }, tbar: { ...tbar, losses: undefined }, sweep, seconds: times }, null, 2),
  );
  console.log(`wrote ${path.relative(ROOT, file)}`);
}

await main();
