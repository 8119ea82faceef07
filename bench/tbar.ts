/**
 * `npm run bench:tbar` — the TBAR pipeline on real images (a benchmark, not a test): a CLIP's vision
 * tower fine-tuned on a CIFAR-10 subset (../shared/data/cifar10-train-jpg, JPEG, 32×32), backdoored
 * (3% poison), TBAR on a disjoint triggered forget set, α by the known-trigger rule on validation,
 * CA/ASR before and after on a CIFAR-10 test subset. Prints a table and writes
 * bench/results/tbar-<timestamp>.json.
 *
 *   npx tsx bench/tbar.ts [--trigger badnet|blended|wanet|sig|all] [--train-per-class 400]
 *                         [--test-per-class 100] [--epochs N] [--lr x] [--seed 0] [--quick]
 *                         [--model DIR] [--backend wasm|webgpu] [--gpu-memory GiB]
 *
 * The model is the built-in micro CLIP, or with `--model DIR` a Hugging Face CLIP folder
 * (config.json, tokenizer.json or vocab.json + merges.txt, model.safetensors or its shards), e.g.
 * openai/clip-vit-base-patch32 downloaded on a machine that has it. Each fine-tunes with its own recipe
 * (experiment/recipes.ts: the micro CLIP's, or the paper's lr 1e-5 / batch 128 / 6 epochs for a real
 * CLIP); --epochs and --lr override it. `--backend webgpu` runs tfjs's WebGPU backend on Dawn
 * (tests/nodeBackend.ts), with the app worker's memory plan: a batch the GPU cannot hold runs in chunks
 * (`--gpu-memory` says how much the GPU has; WebGPU does not report it).
 *
 * `--trigger all` runs the four paper triggers on the same data, one clean fine-tune for all, and ends
 * with issue #5's table: the attack (ASR ≥ 90%, CA within 3 points of clean fine-tuning) and TBAR
 * (≥ 90% of the ASR removed keeping ≥ 85% of the CA; the paper's goal ≥ 98% / ≈ 96%).
 *
 * The micro CLIP's WordLevel vocabulary holds the shapes words only. When CIFAR-10's class names are
 * not in a model's vocabulary (every one would become <|unk|>, all head rows identical, nothing to
 * learn), the prompts name the 10 classes with the 10 shape words instead ('airplane' → 'circle', …):
 * a fixed head with distinct rows, so the vision tower learns a mapping onto it. Zero-shot CA is then
 * chance by construction; the table says which names were used.
 */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initNodeBackend, type NodeBackendName } from '../tests/nodeBackend';
import { nodeFileSource, PUBLIC_DIR } from '../tests/util/nodeFiles';
import { nodeDecoder } from '../tests/util/decodeNode';
import { tf } from '../src/engine/tf';
import type { BackendInfo } from '../src/engine/backend';
import { ClipTokenizer } from '../src/engine/clip/tokenizer';
import type { CLIPConfig } from '../src/engine/clip/config';
import { SHAPE_CLASSES } from '../src/engine/data/shapes';
import { evalBatchPlan } from '../src/engine/eval/batchPlan';
import { ExperimentSession, type BatchFitter } from '../src/engine/experiment/session';
import { BUILTIN_SOURCES, MICRO_CLIP_DIR, mergeSources } from '../src/engine/experiment/sources';
import { defaultExperimentConfig } from '../src/engine/experiment/defaults';
import { RECIPES, recipeIdFor, templatesFor } from '../src/engine/experiment/recipes';
import { TEMPLATE_SETS } from '../src/engine/clip/templates';
import type { AttackResult, SweepResult, TbarResult } from '../src/engine/experiment/results';
import type { ExperimentConfig } from '../src/engine/experiment/config';
import { deviceBatchFitter, hubSources } from '../src/engine/hub/sources';
import { tokenizerJsonFromVocabMerges } from '../src/engine/hub/tokenizerFiles';
import { deviceBudget } from '../src/engine/memory/plan';
import { defaultTriggerConfig } from '../src/engine/triggers';
import { TRIGGER_KINDS, type TriggerKind } from '../src/engine/triggers/types';
import { CIFAR10_CLASSES, cifar10NodeLoader } from './cifarNode';
import { targetBreakdown } from '../src/engine/eval/byClass';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.resolve(ROOT, '../shared/data');
const PAPER_TRIGGERS = TRIGGER_KINDS.filter((k) => k !== 'painted');

function args() {
  const a = process.argv.slice(2);
  const get = (k: string, d: string) => {
    const i = a.indexOf(`--${k}`);
    return i >= 0 ? a[i + 1] : d;
  };
  const quick = a.includes('--quick');
  const trigger = get('trigger', 'badnet');
  if (trigger !== 'all' && !(PAPER_TRIGGERS as readonly string[]).includes(trigger)) throw new Error(`--trigger ${trigger}: one of ${PAPER_TRIGGERS.join(', ')}, all`);
  const backend = get('backend', 'wasm') as NodeBackendName;
  if (backend !== 'wasm' && backend !== 'webgpu') throw new Error(`--backend ${backend}: wasm or webgpu`);
  return {
    triggers: (trigger === 'all' ? PAPER_TRIGGERS : [trigger]) as TriggerKind[],
    trainPerClass: Number(get('train-per-class', quick ? '150' : '400')),
    testPerClass: Number(get('test-per-class', quick ? '50' : '100')),
    epochs: get('epochs', quick ? '2' : ''),
    lr: get('lr', ''),
    seed: Number(get('seed', '0')),
    model: get('model', ''),
    backend,
    gpuMemoryGiB: Number(get('gpu-memory', '0')) || undefined,
  };
}

/** A Hugging Face CLIP folder as the files a user would drop on the lab (every file, shards included). */
function folderFiles(dir: string): File[] {
  const names = readdirSync(dir).filter((f) => statSync(path.join(dir, f)).isFile());
  if (!names.includes('config.json')) throw new Error(`${dir} has no config.json: --model wants a Hugging Face CLIP folder`);
  return names.map((f) => new File([readFileSync(path.join(dir, f))], f));
}

/** The model's tokenizer, to tell whether CIFAR-10's class names are in its vocabulary. */
function tokenizerOf(dir: string): ClipTokenizer {
  const json = path.join(dir, 'tokenizer.json');
  if (statSync(json, { throwIfNoEntry: false })) return ClipTokenizer.fromJSON(readFileSync(json, 'utf8'));
  return ClipTokenizer.fromJSON(tokenizerJsonFromVocabMerges(JSON.parse(readFileSync(path.join(dir, 'vocab.json'), 'utf8')), readFileSync(path.join(dir, 'merges.txt'), 'utf8')));
}

interface TriggerRun {
  trigger: TriggerKind;
  attack: AttackResult;
  tbar: TbarResult;
  sweep: SweepResult;
  seconds: Record<string, number>;
}

async function main() {
  const o = args();
  const info = (await initNodeBackend(o.backend)) as BackendInfo | undefined;
  const modelDir = o.model ? path.resolve(o.model) : path.join(PUBLIC_DIR, MICRO_CLIP_DIR);
  const tok = tokenizerOf(modelDir);
  const unknown = CIFAR10_CLASSES.filter((c) => tok.encode(c).some((id) => id === tok.unkId));
  const names = unknown.length ? SHAPE_CLASSES.slice(0, 10).map(String) : CIFAR10_CLASSES;
  if (unknown.length) console.log(`note: ${unknown.length}/10 CIFAR-10 class names are outside the model's vocabulary; prompts use stand-in names ${names.join(', ')}`);

  const n = o.trainPerClass * 10;
  const base = defaultExperimentConfig(o.triggers[0], o.seed);
  base.model = o.model ? { kind: 'file', name: path.basename(modelDir) } : base.model;
  base.data = { kind: 'cifar10' };
  // The head the model gets on CIFAR in the app: CLIP's 18 CIFAR templates for a real CLIP (Ilharco et al.'s).
  base.templates = templatesFor(base.model, base.data);
  console.log(`zero-shot head: ${TEMPLATE_SETS[base.templates].length} prompt template(s) per class (${base.templates})`);
  // From the training pool: 10% val, 10% forget, 80% train (the paper's CIFAR100 split is 86/10/4).
  base.splits = { train: Math.round(0.8 * n), val: Math.round(0.1 * n), forget: Math.round(0.1 * n), test: o.testPerClass * 10 };
  // The model's own recipe (the paper's for a real CLIP), with --epochs / --lr over it.
  const recipe = { ...RECIPES[recipeIdFor(base.model)], ...(o.epochs ? { epochs: Number(o.epochs) } : {}), ...(o.lr ? { lr: Number(o.lr) } : {}) };
  base.attack = { ...base.attack, ...recipe };
  base.tbar = { ...recipe };

  // As the app's worker: the device's memory plan for fine-tuning (chunked batches) and evaluation.
  const budget = info ? deviceBudget(info, o.gpuMemoryGiB ? { gpuMemoryBytes: o.gpuMemoryGiB * 2 ** 30 } : {}) : undefined;
  const fitBatch: BatchFitter | undefined = budget ? deviceBatchFitter(() => budget) : undefined;
  const session = new ExperimentSession({
    files: nodeFileSource(),
    sources: mergeSources(BUILTIN_SOURCES, hubSources({ cache: null, decode: nodeDecoder }), {
      data: { cifar10: cifar10NodeLoader({ root: DATA, trainPerClass: o.trainPerClass, testPerClass: o.testPerClass, classNames: names }) },
    }),
    ...(fitBatch && { fitBatch }),
    ...(info && { evalBatch: (model: CLIPConfig) => evalBatchPlan(model, info, budget) }),
  });
  const times: Record<string, number> = {};
  const time = async <T>(k: string, f: () => Promise<T>, into = times) => {
    const t0 = performance.now();
    const r = await f();
    into[k] = (performance.now() - t0) / 1000;
    console.log(`${k}: ${into[k].toFixed(1)} s`);
    return r;
  };
  const model = await time('loadModel', () => session.loadModel(base, {}, o.model ? folderFiles(modelDir) : undefined));
  const data = await time('loadData', () => session.loadData(base));
  const zs = await time('zeroShot', () => session.zeroShot(base));
  let lastLog = 0;
  const progress = (p: { stage: string; step: number; totalSteps: number; loss: number; etaMs: number }) => {
    if (performance.now() - lastLog > 15_000 || p.step === p.totalSteps) {
      lastLog = performance.now();
      console.log(`  ${p.stage} step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(3)} eta ${(p.etaMs / 1000).toFixed(0)} s`);
    }
  };

  const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : (100 * x).toFixed(1));
  const runs: TriggerRun[] = [];
  let clean: { ca: number; asr: number } | undefined;
  for (const trigger of o.triggers) {
    const config: ExperimentConfig = { ...base, trigger: defaultTriggerConfig(trigger, o.seed) };
    const seconds: Record<string, number> = {};
    console.log(`\n— ${trigger}`);
    // One clean fine-tune serves every trigger (its CA does not depend on the trigger).
    const attack = await time(clean ? 'attack' : 'attack (+ clean baseline)', () => session.attack(config, !clean, { progress }), seconds);
    clean ??= attack.cleanTest!;
    const tbar = await time('tbar', () => session.tbar(config, { progress }), seconds);
    const sweep = await time('sweep', () => session.sweep(config), seconds);
    runs.push({ trigger, attack, tbar, sweep, seconds });

    const rows = [
      ['θ_pre (zero-shot)', pct(zs.test.ca), ''],
      ['clean fine-tuning', pct(clean.ca), ''],
      ['backdoored θ_b', pct(attack.test.ca), pct(attack.test.asr)],
      [`TBAR θ̂_c (α = ${sweep.alpha})`, pct(sweep.test.ca), pct(sweep.test.asr)],
    ];
    console.log(`TBAR on CIFAR-10 (${data.counts.train} train / ${data.counts.val} val / ${data.counts.forget} forget / ${data.counts.test} test), ${trigger}, ${model.name} (${model.visionParams} vision params), tfjs-${tf.getBackend()}`);
    console.log('model                      CA %    ASR %');
    for (const r of rows) console.log(`${r[0].padEnd(26)} ${r[1].padStart(5)}  ${r[2].padStart(6)}`);
    console.log(`ASR removed ${pct(sweep.asrRemoved)}%, CA retained ${pct(sweep.caRetained)}% (rule ${sweep.rule}, satisfied ${sweep.satisfied})`);
    if (sweep.byClass) {
      const t = targetBreakdown(sweep.byClass.backdoored, sweep.byClass.cleaned, config.attack.target);
      console.log(`by class: the target class (${CIFAR10_CLASSES[config.attack.target]}) ${pct(t.target.before)} → ${pct(t.target.after)}%; the other classes ${pct(t.others.before)} → ${pct(t.others.after)}%, ${pct(t.others.retained)}% retained`);
    }
    if (attack.batchLimit) console.log(`memory: ${attack.batchLimit.reason}`);
    console.log(`TBAR per epoch: ${tbar.perEpoch.map((p) => `e${p.epoch} α ${p.alpha} CA ${pct(p.test.ca)} ASR ${pct(p.test.asr)}`).join('; ')}`);
  }
  session.dispose();

  // Issue #5's table: the attack's floors and TBAR's, per trigger.
  const mark = (ok: boolean) => (ok ? 'yes' : 'NO');
  console.log(`\nIssue #5 on ${model.name} (recipe: lr ${recipe.lr}, batch ${recipe.batchSize}, ${recipe.epochs} epochs; clean fine-tuning CA ${pct(clean!.ca)}%)`);
  console.log('trigger   θ_b CA / ASR     attack ok   α      CA / ASR after   removed / retained   TBAR ok   paper goal');
  for (const r of runs) {
    const attackOk = r.attack.test.asr >= 0.9 && clean!.ca - r.attack.test.ca <= 0.03;
    // No backdoor, nothing removed: "—", and TBAR's floors are not met.
    const removed = r.sweep.asrRemoved, retained = r.sweep.caRetained;
    const met = (rm: number, rt: number) => removed !== null && retained !== null && removed >= rm && retained >= rt;
    console.log(
      `${r.trigger.padEnd(9)} ${`${pct(r.attack.test.ca)} / ${pct(r.attack.test.asr)}`.padEnd(16)} ${mark(attackOk).padEnd(11)} ${String(r.sweep.alpha).padEnd(6)} ` +
        `${`${pct(r.sweep.test.ca)} / ${pct(r.sweep.test.asr)}`.padEnd(16)} ${`${pct(removed)} / ${pct(retained)}`.padEnd(20)} ${mark(met(0.9, 0.85)).padEnd(9)} ${mark(met(0.98, 0.96))}`,
    );
  }

  const out = path.join(ROOT, 'bench/results');
  mkdirSync(out, { recursive: true });
  const file = path.join(out, `tbar-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        env: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, backend: tf.getBackend(), adapter: info?.adapter },
        options: o,
        promptNames: names,
        config: base,
        model,
        data,
        zeroShot: zs,
        clean,
        runs: runs.map((r) => ({ ...r, attack: { ...r.attack, losses: undefined }, tbar: { ...r.tbar, losses: undefined } })),
        seconds: times,
      },
      null,
      2,
    ),
  );
  console.log(`wrote ${path.relative(ROOT, file)}`);
}

await main();
