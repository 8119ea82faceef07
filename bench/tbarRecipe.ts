/**
 * `npm run bench:tbar-recipe` — does TBAR's own recipe (the forget-set fine-tuning's learning rate and
 * epochs) change what it costs? (A measurement, not a test: the README quotes it.) On the effect
 * tests' experiment (tests/util/tbarCase.ts 'paper': shapes, 20,000 training images, 3% poison, the
 * 2000-image forget set, seed 0), one attack, then TBAR + the α sweep once per variant of config.tbar,
 * and the test CA split into the target class and the others (eval/byClass.ts). The point: with every
 * forget image labelled with the target, τ̂_t also pushes toward answering the target, and θ_b − α·τ̂_t
 * takes the target class's own images down; if that were a matter of step size or training length,
 * these variants would move it. Writes bench/results/tbar-recipe-<timestamp>.json.
 *
 *   npx tsx bench/tbarRecipe.ts [--trigger blended|sig] [--lr-mult 1,0.333,0.1,3] [--epochs 1,10]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initNodeBackend } from '../tests/nodeBackend';
import { nodeFileSource } from '../tests/util/nodeFiles';
import { tbarTestConfig } from '../tests/util/tbarCase';
import { ExperimentSession } from '../src/engine/experiment/session';
import type { ExperimentConfig } from '../src/engine/experiment/config';
import { TRIGGER_KINDS, type TriggerKind } from '../src/engine/triggers/types';
import { targetBreakdown } from '../src/engine/eval/byClass';
import { pct } from '../src/app/format';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const kind = arg('trigger', 'blended') as TriggerKind;
if (!(TRIGGER_KINDS as readonly string[]).includes(kind)) throw new Error(`--trigger must be one of ${TRIGGER_KINDS.join(', ')}, got ${kind}`);
const lrMults = arg('lr-mult', '1,0.333,0.1,3').split(',').filter(Boolean).map(Number);
const epochList = arg('epochs', '1,10').split(',').filter(Boolean).map(Number);
for (const m of lrMults) if (!(m > 0)) throw new Error(`--lr-mult values must be > 0, got ${m}`);
for (const e of epochList) if (!(Number.isInteger(e) && e >= 1)) throw new Error(`--epochs values must be whole numbers ≥ 1, got ${e}`);

await initNodeBackend('wasm');
const base = tbarTestConfig(kind);
const variants: { name: string; config: ExperimentConfig }[] = [
  ...lrMults.map((m) => ({ name: m === 1 ? 'the recipe' : `lr × ${m}`, config: { ...base, tbar: { ...base.tbar, lr: base.tbar.lr * m } } })),
  ...epochList.map((e) => ({ name: `${e} epoch${e === 1 ? '' : 's'}`, config: { ...base, tbar: { ...base.tbar, epochs: e } } })),
];
const session = new ExperimentSession({ files: nodeFileSource() });
const rows = [];
try {
  await session.loadModel(base);
  await session.loadData(base);
  const attack = await session.attack(base, false);
  console.log(`${kind}: θ_b CA ${pct(attack.test.ca)} ASR ${pct(attack.test.asr)}; TBAR recipe ${JSON.stringify(base.tbar)}`);
  for (const v of variants) {
    const t0 = performance.now();
    const tbar = await session.tbar(v.config, {}, { perEpoch: false });
    const sweep = await session.sweep(v.config);
    const b = sweep.byClass!;
    const split = targetBreakdown(b.backdoored, b.cleaned, base.attack.target);
    const row = { variant: v.name, tbar: v.config.tbar, alpha: sweep.alpha, after: sweep.test, asrRemoved: sweep.asrRemoved, caRetained: sweep.caRetained, split, triggerNorm: tbar.triggerNorm, cosine: tbar.cosine, seconds: (performance.now() - t0) / 1000 };
    rows.push(row);
    console.log(`  ${v.name}: α ${sweep.alpha}, CA ${pct(sweep.test.ca)} ASR ${pct(sweep.test.asr)}, target class ${pct(split.target.before)} → ${pct(split.target.after)}, others ${pct(split.others.retained)} retained (${row.seconds.toFixed(0)} s)`);
  }
  console.log(`\n${kind} on the micro CLIP (shapes, 20,000 train, forget 2000, seed 0): θ_b CA ${pct(attack.test.ca)} / ASR ${pct(attack.test.asr)}`);
  console.log('| TBAR recipe | ‖τ̂_t‖ | α | CA / ASR after | removed / retained | target class | other classes retained |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.variant} | ${r.triggerNorm.toFixed(3)} | ${r.alpha} | ${pct(r.after.ca)} / ${pct(r.after.asr)} | ${pct(r.asrRemoved)} / ${pct(r.caRetained)} | ` +
        `${pct(r.split.target.before)} → ${pct(r.split.target.after)} | ${pct(r.split.others.retained)} |`,
    );
  const out = path.join(ROOT, 'bench/results');
  mkdirSync(out, { recursive: true });
  const file = path.join(out, `tbar-recipe-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ bench: 'tbar-recipe', trigger: kind, attack: attack.test, rows }, null, 2) + '\n');
  console.log(`wrote ${path.relative(ROOT, file)}`);
} finally {
  session.dispose();
}
