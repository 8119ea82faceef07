/**
 * `npm run bench:trigger-size` — how large must a BadNet patch be for the built-in micro CLIP to take
 * it? (A measurement, not a test: card.md quotes these figures.) The paper's 16-px patch at 224 px is
 * 2 px on the micro CLIP's 32-px images, and its tower sees 16-px patches; this runs the effect
 * test's quick experiment (tests/util/tbarCase.ts 'quick': shapes, splits 2000/300/600/300, 3% poison, seed 0) with
 * BadNet at several patch sides, at random positions (the paper's) and at fixed spots, and prints
 * backdoored CA / ASR and what TBAR then does. Writes bench/results/trigger-size-<timestamp>.json.
 *
 *   npx tsx bench/triggerSize.ts [--sizes 2,4,8,12,16] [--spots 0:0,16:16,15:15]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initNodeBackend } from '../tests/nodeBackend';
import { runTbarCase, tbarTestConfig } from '../tests/util/tbarCase';
import type { BadNetParams } from '../src/engine/triggers/types';
import { pct } from '../src/app/format';

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

await initNodeBackend('wasm');
const cases: { patchSize: number; position: BadNetParams['position'] }[] = [
  ...sizes.map((patchSize) => ({ patchSize, position: 'random' as const })),
  ...spots.map(([x, y]) => ({ patchSize: 16, position: { x, y } })),
];
const rows = [];
for (const c of cases) {
  const config = tbarTestConfig('badnet', 'quick');
  config.trigger = { ...config.trigger, params: { ...(config.trigger.params as BadNetParams), ...c } } as typeof config.trigger;
  const r = await runTbarCase(config);
  rows.push({
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
console.log('\nBadNet on the micro CLIP (3% poison, shapes 2000/300/600/300, seed 0)');
console.log('| patch | position | clean FT CA | backdoored CA / ASR | TBAR α | CA / ASR after | removed / retained |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.patchSize} px | ${typeof r.position === 'string' ? r.position : `(${r.position.x}, ${r.position.y})`} | ${pct(r.cleanCa)} | ` +
      `${pct(r.backdoored.ca)} / ${pct(r.backdoored.asr)} | ${r.alpha} | ${pct(r.after.ca)} / ${pct(r.after.asr)} | ${pct(r.asrRemoved)} / ${pct(r.caRetained)} |`,
  );
const out = path.join(ROOT, 'bench/results');
mkdirSync(out, { recursive: true });
const file = path.join(out, `trigger-size-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ bench: 'trigger-size', model: 'micro-clip', rows }, null, 2) + '\n');
console.log(`wrote ${path.relative(ROOT, file)}`);
