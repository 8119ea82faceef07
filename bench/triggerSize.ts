/**
 * `npm run bench:trigger-size` — how large must a BadNet patch be for the built-in micro CLIP to take
 * it? (A measurement, not a test: card.md quotes these figures.) The paper's 16-px patch at 224 px is
 * 2 px on the micro CLIP's 32-px images, and its tower sees 16-px patches; this runs the effect
 * test's quick experiment (tests/util/tbarCase.ts 'quick': shapes, splits 2000/300/600/300, 3% poison, seed 0) with
 * BadNet at several patch sides, at random positions (the paper's) and at fixed spots, and prints
 * backdoored CA / ASR and what TBAR then does. Writes bench/results/trigger-size-<timestamp>.json.
 *
 * `--poison` also raises the poison rate (each case runs once per rate): whether more poisoned data
 * makes the paper's 2-px patch take, or the tower cannot tell triggered from clean images at all (then
 * ASR rises only as clean accuracy falls); `--epochs` trains the attack (and its clean baseline)
 * longer. `--trigger wanet` runs WaNet at its defaults instead (sizes and spots do not apply).
 * `--model DIR` runs a variant micro CLIP written by `npm run build:micro -- --out DIR` (e.g. with
 * `--patch-size 8`) in place of the built-in one; `--image-size S` runs the shapes (and so the
 * triggers) at S px, for a variant built with `--image-size S`.
 *
 *   npx tsx bench/triggerSize.ts [--sizes 2,4,8,12,16] [--spots 0:0,16:16,15:15] [--poison 0.03,0.2,0.5] [--epochs 4]
 *   npx tsx bench/triggerSize.ts --trigger wanet --poison 0.03,0.5
 *   npx tsx bench/triggerSize.ts --model /tmp/micro-p8 --sizes 2 --spots '' --poison 0.03,0.2,0.5
 *   npx tsx bench/triggerSize.ts --model /tmp/micro-64 --image-size 64 --sizes 5 --spots ''
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initNodeBackend } from '../tests/nodeBackend';
import { runTbarCase, tbarTestConfig } from '../tests/util/tbarCase';
import type { BadNetParams } from '../src/engine/triggers/types';
import { pct } from '../src/app/format';
import { MICRO_CLIP_DIR, type FileSource } from '../src/engine/experiment/sources';
import { nodeFileSource } from '../tests/util/nodeFiles';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const sizes = arg('sizes', '2,4,8,12,16').split(',').map(Number);
const spots = arg('spots', '0:0,16:16,15:15')
  .split(',')
  .filter(Boolean)
  .map((s) => s.split(':').map(Number) as [number, number]);
const rates = arg('poison', '0.03').split(',').map(Number);
const kind = arg('trigger', 'badnet');
const epochs = Number(arg('epochs', '0')); // 0: the recipe's
const modelDir = arg('model', '');
const imageSize = process.argv.includes('--image-size') ? Number(arg('image-size', '')) : null; // null: the shapes default
if (imageSize !== null && !(Number.isInteger(imageSize) && imageSize >= 8)) throw new Error(`--image-size must be a whole number ≥ 8, got ${imageSize}`);
if (kind !== 'badnet' && kind !== 'wanet') throw new Error(`--trigger must be badnet or wanet, got ${kind}`);
for (const r of rates) if (!(r > 0 && r < 1)) throw new Error(`--poison rates must be in (0, 1), got ${r}`);
if (!(Number.isInteger(epochs) && epochs >= 0)) throw new Error(`--epochs must be a whole number, got ${epochs}`);

/** public/, with the micro CLIP's folder read from --model when given (undefined: public/ as is). */
function variantFiles(dir: string): FileSource {
  const pub = nodeFileSource();
  const variant = nodeFileSource(path.resolve(dir));
  const prefix = `${MICRO_CLIP_DIR}/`;
  return { read: (p, o) => (p.startsWith(prefix) ? variant.read(p.slice(prefix.length), o) : pub.read(p, o)) };
}
const files = modelDir ? variantFiles(modelDir) : undefined;

await initNodeBackend('wasm');
type Case = { patchSize: number | null; position: BadNetParams['position'] | null };
const shapes: Case[] =
  kind === 'wanet'
    ? [{ patchSize: null, position: null }]
    : [
        ...sizes.map((patchSize) => ({ patchSize, position: 'random' as const })),
        ...spots.map(([x, y]) => ({ patchSize: 16, position: { x, y } })),
      ];
const cases = rates.flatMap((poisonRate) => shapes.map((c) => ({ ...c, poisonRate })));
const rows = [];
for (const c of cases) {
  const config = tbarTestConfig(kind, 'quick');
  config.attack.poisonRate = c.poisonRate;
  if (imageSize !== null) config.data = { kind: 'shapes', imageSize };
  if (epochs) config.attack.epochs = epochs;
  if (kind === 'badnet')
    config.trigger = {
      ...config.trigger,
      params: { ...(config.trigger.params as BadNetParams), patchSize: c.patchSize, position: c.position! },
    } as typeof config.trigger;
  const r = await runTbarCase(config, { files });
  rows.push({
    trigger: kind,
    poisonRate: c.poisonRate,
    epochs: config.attack.epochs,
    patchSize: c.patchSize,
    position: c.position,
    cleanCa: r.attack.cleanTest?.ca ?? null,
    backdoored: r.attack.test,
    alpha: r.sweep.alpha,
    after: r.sweep.test,
    asrRemoved: r.sweep.asrRemoved,
    caRetained: r.sweep.caRetained,
    seconds: r.seconds,
  });
}
console.log(
  `\n${kind === 'wanet' ? 'WaNet' : 'BadNet'} on the micro CLIP${modelDir ? ` from ${modelDir}` : ''} (shapes 2000/300/600/300, seed 0)`,
);
console.log('| poison | patch | position | clean FT CA | backdoored CA / ASR | TBAR α | CA / ASR after | removed / retained |');
console.log('|---|---|---|---|---|---|---|---|');
const where = (p: Case['position']) => (p === null ? '—' : typeof p === 'string' ? p : `(${p.x}, ${p.y})`);
for (const r of rows)
  console.log(
    `| ${pct(r.poisonRate)} | ${r.patchSize === null ? '—' : `${r.patchSize} px`} | ${where(r.position)} | ${pct(r.cleanCa)} | ` +
      `${pct(r.backdoored.ca)} / ${pct(r.backdoored.asr)} | ${r.alpha} | ${pct(r.after.ca)} / ${pct(r.after.asr)} | ${pct(r.asrRemoved)} / ${pct(r.caRetained)} |`,
  );
const out = path.join(ROOT, 'bench/results');
mkdirSync(out, { recursive: true });
const file = path.join(out, `trigger-size-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ bench: 'trigger-size', model: modelDir || 'micro-clip', imageSize, rows }, null, 2) + '\n');
console.log(`wrote ${path.relative(ROOT, file)}`);
