/**
 * `npm run bench:text-head -- [--templates cifar18|imagenet80|simple] [--classes N] [--batch B] [--backend wasm|webgpu]`
 *
 * What the zero-shot head costs on ViT-B/32's text tower (12 layers, width 512; random weights, the
 * cost does not depend on them) for CIFAR-100's class names with CLIP's tokenizer
 * (../shared/data/tinyclip-8m-16-text-3m-hf-tokenizer, the same BPE vocabulary and merges): the text
 * positions the batches run (each batch runs to its longest prompt's end-of-text token; prompts are
 * batched in order of length, clip/zeroshot.ts), against class-major batches and against the sum of
 * the prompts' own lengths, and the wall time. Writes bench/results/text-head-<timestamp>.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initNodeBackend, type NodeBackendName } from '../tests/nodeBackend';
import { CLIP_PRESETS, withOverrides } from '../src/engine/clip/config';
import { ClipModel } from '../src/engine/clip/model';
import { ClipTokenizer } from '../src/engine/clip/tokenizer';
import { buildZeroShotHead } from '../src/engine/clip/zeroshot';
import { fillTemplate, isTemplateSet, TEMPLATE_SETS } from '../src/engine/clip/templates';
import { CIFAR100_CLASSES, promptName } from '../src/engine/data/cifarHub';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: o } = parseArgs({
  options: { templates: { type: 'string', default: 'cifar18' }, classes: { type: 'string', default: '100' }, batch: { type: 'string', default: '256' }, backend: { type: 'string', default: 'wasm' } },
});
if (!isTemplateSet(o.templates)) throw new Error(`--templates must be one of ${Object.keys(TEMPLATE_SETS).join(', ')}`);
const classes = Number(o.classes), batch = Number(o.batch);
const info = await initNodeBackend(o.backend as NodeBackendName);

// ViT-B/32's text tower; a vision tower too small to matter (it is not run).
const config = withOverrides(CLIP_PRESETS['openai/clip-vit-base-patch32'], {
  vision: { hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1, num_attention_heads: 2, image_size: 32, patch_size: 16 },
});
const model = ClipModel.random(config, 1);
const tok = ClipTokenizer.fromJSON(JSON.parse(readFileSync(path.join(ROOT, '../shared/data/tinyclip-8m-16-text-3m-hf-tokenizer/tokenizer.json'), 'utf8')));
const names = CIFAR100_CLASSES.slice(0, classes).map(promptName);
const templates = TEMPLATE_SETS[o.templates];

// Text positions run: sum over batches of (batch rows × its longest prompt).
const texts = names.flatMap((c) => templates.map((t) => fillTemplate(t, c)));
const lengths = Array.from(tok.tokenize(texts).eotIndex, (e) => e + 1);
const positions = (ls: number[]) => {
  let s = 0;
  for (let i = 0; i < ls.length; i += batch) s += Math.min(batch, ls.length - i) * Math.max(...ls.slice(i, i + batch));
  return s;
};
const classMajor = positions(lengths);
const byLength = positions([...lengths].sort((a, b) => a - b));
const own = lengths.reduce((a, b) => a + b, 0);

const t0 = performance.now();
const head = await buildZeroShotHead(model, (t) => tok.tokenize(t), names, templates, { batchSize: batch });
await head.data();
const seconds = (performance.now() - t0) / 1000;
head.dispose();
model.dispose();

console.log(`${classes} CIFAR-100 classes × ${templates.length} templates (${o.templates}) = ${texts.length} prompts, batches of ${batch}, ${info?.name ?? o.backend}`);
console.log(`text positions: class-major batches ${classMajor}, batched by length ${byLength} (${(100 * (1 - byLength / classMajor)).toFixed(0)}% fewer), the prompts' own ${own}`);
console.log(`head built in ${seconds.toFixed(1)} s`);
const out = path.join(ROOT, 'bench/results');
mkdirSync(out, { recursive: true });
const file = path.join(out, `text-head-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ bench: 'text-head', backend: info ?? o.backend, templates: o.templates, classes, batch, prompts: texts.length, positions: { classMajor, byLength, own }, seconds }, null, 2) + '\n');
console.log(`wrote ${path.relative(ROOT, file)}`);
