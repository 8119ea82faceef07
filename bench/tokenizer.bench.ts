/**
 * CLIP tokenizer speed: `npx tsx bench/tokenizer.bench.ts`.
 * - load: read + JSON.parse + ClipTokenizer.fromJSON of the real 3.6 MB CLIP tokenizer.json
 *   (49,408 vocab, 48,894 merges), each in a cold state only the first time (reported apart).
 * - zero-shot prompts: 100 classes (CIFAR-100 names) × 80 ImageNet templates = 8,000 prompts →
 *   tokenize(…, 77), on a fresh tokenizer (empty BPE cache) and on a warm one.
 * Median of 7 runs. Writes bench/results/tokenizer.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ClipTokenizer } from '../src/engine/clip/tokenizer';
import { IMAGENET_TEMPLATES, fillTemplate } from '../src/engine/clip/templates';

const PATH = '../shared/data/tinyclip-8m-16-text-3m-hf-tokenizer/tokenizer.json';
const RUNS = 7;

const CIFAR100 = (
  'apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can ' +
  'castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin ' +
  'elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster ' +
  'man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck ' +
  'pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk ' +
  'skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television tiger ' +
  'tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm'
)
  .split(' ')
  .map((s) => s.replace(/_/g, ' '));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (f: () => void): number => {
  const t = performance.now();
  f();
  return performance.now() - t;
};

let raw = '';
let json: unknown;
const first = {
  readMs: time(() => (raw = readFileSync(PATH, 'utf8'))),
  parseMs: time(() => (json = JSON.parse(raw))),
  fromJSONMs: time(() => ClipTokenizer.fromJSON(json)),
};
const parse: number[] = [];
const build: number[] = [];
for (let i = 0; i < RUNS; i++) {
  parse.push(time(() => (json = JSON.parse(raw))));
  build.push(time(() => ClipTokenizer.fromJSON(json)));
}

const prompts = CIFAR100.flatMap((c) => IMAGENET_TEMPLATES.map((t) => fillTemplate(t, c)));
const cold: number[] = [];
const warm: number[] = [];
let tok = ClipTokenizer.fromJSON(json);
for (let i = 0; i < RUNS; i++) {
  tok = ClipTokenizer.fromJSON(json);
  cold.push(time(() => tok.tokenize(prompts)));
  warm.push(time(() => tok.tokenize(prompts)));
}

const results = {
  node: process.version,
  runs: RUNS,
  prompts: prompts.length,
  firstLoad: first,
  jsonParseMs: median(parse),
  fromJSONMs: median(build),
  tokenize8000ColdCacheMs: median(cold),
  tokenize8000WarmCacheMs: median(warm),
};
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(26)} ${typeof v === 'number' ? v.toFixed(1) : JSON.stringify(v)}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/tokenizer.json', JSON.stringify(results, null, 2));
