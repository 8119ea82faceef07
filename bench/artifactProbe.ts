/**
 * `npm run bench:artifact-probe [-- DIR …]` — which of the paper's triggers does a micro CLIP tower
 * see before any attack? (A measurement, not a test: card.md and scripts/micro/artifacts.ts quote it.)
 *
 * For each trigger, the attack's own pattern (the lab's default trigger config, seed 0) is applied to
 * N shapes test images, and each image — clean and triggered — gets the text-probe score
 *   s(x) = cos(img(x), txt("a photo of a shape {phrase}.")) − cos(img(x), txt("a photo of a shape."))
 * with {phrase} the words the pretraining captions use for that trigger's artifact family
 * (scripts/micro/artifacts.ts: BadNet ↔ 'with a sticker', Blended ↔ 'with film grain', WaNet ↔
 * 'warped', SIG ↔ 'with banding'). Printed per trigger:
 *   AUC  — P(s(triggered) > s(clean)) over all pairs (0.5: the tower does not tell them apart);
 *   move — mean 1 − cos(img(x), img(trigger(x))): how far the trigger moves the image embedding.
 * A tower on which a 3% poisoning implants a trigger sees it (SIG on the built-in micro CLIP: AUC 1.000).
 *
 *   npx tsx bench/artifactProbe.ts [DIR …] [--n 500]   (DIR: a micro CLIP folder; default the built-in)
 * Writes bench/results/artifact-probe-<timestamp>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initNodeBackend } from '../tests/nodeBackend';
import { nodeFileSource } from '../tests/util/nodeFiles';
import { tf } from '../src/engine/tf';
import { loadClipFolder, MICRO_CLIP_DIR, SHAPES_DEFAULT_SIZE } from '../src/engine/experiment/sources';
import { defaultExperimentConfig } from '../src/engine/experiment/defaults';
import { generateShapes } from '../src/engine/data/shapes';
import { normalize } from '../src/engine/clip/preprocess';
import { l2Normalize } from '../src/engine/clip/model';
import { createTrigger, type TriggerKind } from '../src/engine/triggers';
import { ARTIFACTS } from '../scripts/micro/artifacts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const nAt = argv.indexOf('--n');
const N = nAt >= 0 ? Number(argv[nAt + 1]) : 500;
if (!(Number.isInteger(N) && N >= 10)) throw new Error(`--n must be a whole number ≥ 10, got ${argv[nAt + 1]}`);
const dirs = argv.filter((a, i) => !a.startsWith('--') && (nAt < 0 || i !== nAt + 1));

/** Trigger → the artifact family its pretraining captions name (artifacts.ts order). */
const FAMILY: Record<Exclude<TriggerKind, 'painted'>, string> = { badnet: 'sticker', blended: 'grain', wanet: 'warp', sig: 'banding' };

/** P(a > b) over all pairs, ties half (the Mann–Whitney AUC). */
function pairAuc(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let wins = 0;
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) wins += a[i] > b[j] ? 1 : a[i] === b[j] ? 0.5 : 0;
  return wins / (a.length * b.length);
}

await initNodeBackend('wasm');
const S = SHAPES_DEFAULT_SIZE;
const data = generateShapes({ split: 'test', seed: 0, count: N, imageSize: S });
const indices = Int32Array.from({ length: N }, (_, i) => i);
const rows: { model: string; trigger: string; phrase: string; auc: number; move: number }[] = [];
const raw = tf.tidy(() => tf.div(tf.tensor4d(data.images, [N, S, S, 3], 'int32'), 255) as tf.Tensor4D); // [N, S, S, 3] in [0, 1]
for (const dir of dirs.length ? dirs : [path.join('public', MICRO_CLIP_DIR)]) {
  const { model, tokenizer } = await loadClipFolder(nodeFileSource(path.resolve(dir)), '.', dir, {});
  const ctx = model.config.text_config.max_position_embeddings;
  const embed = (x: tf.Tensor4D) => tf.tidy(() => l2Normalize(model.encodeImage(normalize(x)))); // [N, D]
  const clean = embed(raw);
  for (const [kind, family] of Object.entries(FAMILY) as [TriggerKind, string][]) {
    const phrase = ARTIFACTS.find((a) => a.name === family)!.phrase;
    const tok = tokenizer.tokenize([`a photo of a shape ${phrase}.`, 'a photo of a shape.'], ctx);
    const trigger = createTrigger(defaultExperimentConfig(kind, 0).trigger, S);
    const out = tf.tidy(() => {
      const text = l2Normalize(model.encodeText(tf.tensor2d(tok.ids, [2, ctx], 'int32'), tok.eotIndex)); // [2, D]
      const probe = tf.sub(text.slice([0, 0], [1, -1]), text.slice([1, 0], [1, -1])); // [1, D]
      const score = (e: tf.Tensor2D) => tf.matMul(e, probe, false, true).reshape([N]); // s(x), [N]
      const triggered = embed(trigger.apply(raw, indices));
      return [score(triggered), score(clean), tf.mean(tf.sub(1, tf.sum(tf.mul(triggered, clean), 1)))];
    });
    trigger.dispose();
    const [sTrig, sClean, move] = await Promise.all(out.map((t) => t.data()));
    tf.dispose(out);
    rows.push({ model: dir, trigger: kind, phrase, auc: pairAuc(sTrig, sClean), move: move[0] });
  }
  clean.dispose();
  model.dispose();
}

raw.dispose();
console.log(`\nText probe on ${N} shapes test images (seed 0): AUC of triggered vs clean, and embedding move`);
console.log('| model | trigger | caption words | AUC | move (1 − cos) |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.model} | ${r.trigger} | '${r.phrase}' | ${r.auc.toFixed(3)} | ${r.move.toFixed(4)} |`);
const out = path.join(ROOT, 'bench/results');
mkdirSync(out, { recursive: true });
const file = path.join(out, `artifact-probe-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ bench: 'artifact-probe', n: N, rows }, null, 2) + '\n');
console.log(`wrote ${path.relative(ROOT, file)}`);
