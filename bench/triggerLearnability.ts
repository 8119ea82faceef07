/**
 * `npm run bench:learnability [-- DIR …]` — can a micro CLIP tower LEARN to see a paper trigger at
 * all, when told outright which images carry it? (A measurement, not a test: card.md quotes it.)
 *
 * A poisoning attack ties a trigger to the target class only through images the tower can tell apart
 * from clean ones; this bench removes every other obstacle (3% poison, a frozen text head, a recipe
 * tuned for clean accuracy) and asks the tower directly. For each trigger (the lab's default config,
 * seed 0), a binary detector is trained on a stream of shapes train images, each batch half
 * triggered (positions and per-image draws vary with the sample id) and half clean:
 *   tower — the whole vision tower of the micro CLIP folder, plus a linear head on its image
 *           embedding: logit = w·img(x) + b (Adam, --lr, default 1e-3); --tower-pool max|mean reads it
 *           out by the max / mean over all its output tokens (encodeImageTokens) instead;
 *           --tower-blocks freeze trains all but the transformer blocks (encoder.layers.*);
 *           --block-lr-mult m trains the blocks at m × --lr; --zero-branches sets every block's
 *           residual branches (self_attn.out_proj, mlp.fc2) to 0 first, so each block starts as the
 *           identity (with --tower-blocks freeze: the tower without its blocks); --block-optimizer
 *           sgd|momentum trains the blocks by plain SGD / momentum 0.9 at that rate instead of Adam;
 *           --then-cls K (with --tower-pool max) goes on for K more steps read out by the class token,
 *           blocks trained: can attention learn to pick out a token that already carries the trigger?
 *   cnn   — the control: a two-layer CNN trained the same way (3×3 conv, 16 channels, ReLU, 1×1 conv,
 *           16, ReLU, global max pool, linear; Adam 3e-3), ~0.7k weights. It shows the images and
 *           labels carry the signal, and how little a model with local, position-invariant features
 *           needs to find it.
 *   patch P — with --patch-mlp 16,4,2: a ViT's patch embedding without the transformer (P×P patches →
 *           linear → ReLU → per-token layer → ReLU → max over tokens → linear; Adam 1e-3), to show what
 *           the patch grid alone allows.
 * Printed: balanced held-out accuracy (500 shapes test images clean + the same 500 triggered) at a
 * few points of training. 0.5 = the learner cannot tell them apart.
 *
 *   npx tsx bench/triggerLearnability.ts [DIR …] [--steps 600] [--triggers badnet,wanet,blended,sig] [--lr 1e-3] [--no-cnn] [--no-tower]
 *     [--patch-mlp 16,4,2] [--pool max|mean] [--tower-pool cls|max|mean] [--image-size 32]
 *     [--tower-blocks train|freeze] [--block-lr-mult 1] [--zero-branches] [--block-optimizer adam|sgd|momentum]
 *     [--then-cls 0]
 *   (--image-size: the side of the shapes images and triggers; a tower DIR must take that size, e.g.
 *   one written by `build:micro -- --image-size 64 --patch-size 8`)
 *   (DIR: a micro CLIP folder, e.g. one written by `npm run build:micro -- --out DIR`; default the built-in)
 * Writes bench/results/learnability-<timestamp>.json.
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
import { rawBatch } from '../src/engine/data/batches';
import { TEST_ID_OFFSET, type ImageSplit, type SplitName } from '../src/engine/data/splits';
import { normalize } from '../src/engine/clip/preprocess';
import { patchRows } from '../src/engine/clip/model';
import { Rng } from '../src/engine/rng';
import { createTrigger, TRIGGER_KINDS, type Trigger, type TriggerKind } from '../src/engine/triggers';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const valued = new Set(['--steps', '--triggers', '--lr', '--patch-mlp', '--pool', '--tower-pool', '--image-size', '--tower-blocks', '--block-lr-mult', '--block-optimizer', '--then-cls']);
const opt = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
const STEPS = Number(opt('--steps', '600'));
const LR = Number(opt('--lr', '1e-3'));
const KINDS = opt('--triggers', 'badnet,wanet,blended,sig').split(',') as TriggerKind[];
const CNN = !argv.includes('--no-cnn');
const TOWER = !argv.includes('--no-tower');
const S = Number(opt('--image-size', String(SHAPES_DEFAULT_SIZE))); // image side: shapes, triggers and towers
const PATCH_SIDES = argv.includes('--patch-mlp') ? opt('--patch-mlp', '').split(',').map(Number) : [];
const POOL = opt('--pool', 'max');
const TOWER_POOL = opt('--tower-pool', 'cls');
const TOWER_BLOCKS = opt('--tower-blocks', 'train');
const BLOCK_LR_MULT = Number(opt('--block-lr-mult', '1'));
const ZERO_BRANCHES = argv.includes('--zero-branches');
const BLOCK_OPTIMIZER = opt('--block-optimizer', 'adam');
const THEN_CLS = Number(opt('--then-cls', '0'));
const dirs = argv.filter((a, i) => !a.startsWith('--') && !valued.has(argv[i - 1]));
if (!(Number.isInteger(STEPS) && STEPS >= 4)) throw new Error(`--steps must be a whole number ≥ 4, got ${STEPS}`);
if (!(LR > 0)) throw new Error(`--lr must be > 0, got ${LR}`);
for (const k of KINDS) if (k === 'painted' || !TRIGGER_KINDS.includes(k)) throw new Error(`--triggers: unknown or unsupported trigger '${k}'`);
if (!(Number.isInteger(S) && S >= 8)) throw new Error(`--image-size must be a whole number ≥ 8, got ${S}`);
for (const P of PATCH_SIDES) if (!(Number.isInteger(P) && P >= 1 && S % P === 0)) throw new Error(`--patch-mlp: each patch side must divide ${S}, got ${P}`);
if (POOL !== 'max' && POOL !== 'mean') throw new Error(`--pool must be max or mean, got ${POOL}`);
if (!['cls', 'max', 'mean'].includes(TOWER_POOL)) throw new Error(`--tower-pool must be cls, max or mean, got ${TOWER_POOL}`);
if (TOWER_BLOCKS !== 'train' && TOWER_BLOCKS !== 'freeze') throw new Error(`--tower-blocks must be train or freeze, got ${TOWER_BLOCKS}`);
if (!(BLOCK_LR_MULT > 0)) throw new Error(`--block-lr-mult must be > 0, got ${BLOCK_LR_MULT}`);
if (TOWER_BLOCKS === 'freeze' && BLOCK_LR_MULT !== 1 && !THEN_CLS) throw new Error('--block-lr-mult has nothing to scale with --tower-blocks freeze');
if (!['adam', 'sgd', 'momentum'].includes(BLOCK_OPTIMIZER)) throw new Error(`--block-optimizer must be adam, sgd or momentum, got ${BLOCK_OPTIMIZER}`);
if (TOWER_BLOCKS === 'freeze' && BLOCK_OPTIMIZER !== 'adam' && !THEN_CLS) throw new Error('--block-optimizer has nothing to train with --tower-blocks freeze');
if (!(Number.isInteger(THEN_CLS) && THEN_CLS >= 0)) throw new Error(`--then-cls must be a whole number of steps, got ${THEN_CLS}`);
if (THEN_CLS && TOWER_POOL !== 'max') throw new Error('--then-cls switches a --tower-pool max run to the class token');

const BATCH = 64; // half triggered, half clean
const N_TRAIN = 8000; // the stream cycles over these (STEPS·32 clean draws; triggers re-drawn per step)
const N_TEST = 500;
const TOTAL = STEPS + THEN_CLS;
const CHECKPOINTS = [
  ...new Set([1, Math.round(STEPS / 4), Math.round(STEPS / 2), STEPS, ...(THEN_CLS ? [1, Math.round(THEN_CLS / 4), Math.round(THEN_CLS / 2), THEN_CLS].map((k) => STEPS + k) : [])]),
];

/** A learner: its trainable variables, logits [n] for images [n, S, S, 3] in [0, 1], and cleanup. */
interface Learner {
  vars: tf.Variable[];
  /** Variables trained at `slowMult` × the learning rate (a tower's transformer blocks; --block-lr-mult). */
  slowVars?: tf.Variable[];
  slowMult?: number;
  /** --then-cls: read out by the class token from now on, with the blocks (slowVars) trained. */
  toClassToken?(): void;
  logits(raw: tf.Tensor4D): tf.Tensor1D;
  dispose(): void;
}

/**
 * The tower of a micro CLIP folder with a zero-initialised linear head on its image embedding
 * (--tower-pool max|mean: on the max / mean of all its output tokens instead, a diagnostic outside
 * HF's pooling that asks whether the tower's patch tokens carry the trigger when the class token does not).
 */
async function towerLearner(dir: string): Promise<Learner> {
  const { model } = await loadClipFolder(nodeFileSource(path.resolve(dir)), '.', dir, {});
  const side = model.config.vision_config.image_size;
  if (side !== S) throw new Error(`${dir}: the tower takes ${side}-px images; run with --image-size ${side}`);
  const D = model.config.projection_dim;
  const w = tf.variable(tf.zeros([D, 1])); // [D, 1]
  const b = tf.variable(tf.zeros([1]));
  const isBlock = (v: tf.Variable) => /vision_model\.encoder\.layers\./.test(v.name);
  // A residual branch's last map at 0: the block adds nothing, x + 0 + 0 (nor do its other weights get a gradient).
  if (ZERO_BRANCHES) for (const v of model.visionVariables()) if (/\.(self_attn\.out_proj|mlp\.fc2)\./.test(v.name)) tf.tidy(() => v.assign(tf.zerosLike(v)));
  const blocks = model.visionVariables().filter(isBlock);
  let pool = TOWER_POOL;
  const learner: Learner = {
    vars: [...model.visionVariables().filter((v) => !isBlock(v)), w, b],
    slowVars: TOWER_BLOCKS === 'freeze' ? [] : blocks,
    slowMult: BLOCK_LR_MULT,
    toClassToken: () => {
      pool = 'cls';
      learner.slowVars = blocks;
    },
    logits: (raw) => {
      const x = normalize(raw);
      const emb = pool === 'cls' ? model.encodeImage(x) : pool === 'max' ? tf.max(model.encodeImageTokens(x), 1) : tf.mean(model.encodeImageTokens(x), 1); // [n, D]
      return tf.add(tf.matMul(emb, w), b).reshape([-1]) as tf.Tensor1D;
    },
    dispose: () => (model.dispose(), tf.dispose([w, b])),
  };
  return learner;
}

/** He-initialised [fanIn, fanOut] weights from the lab's seeded Rng (tf.randomNormal treats seed 0 as "no seed"). */
function heVariable(seed: number, name: string, fanIn: number, fanOut: number): tf.Variable {
  const z = new Rng(seed).fork(name).normalArray(fanIn * fanOut);
  return tf.variable(tf.tidy(() => tf.mul(tf.tensor2d(z, [fanIn, fanOut]), Math.sqrt(2 / fanIn))));
}

/**
 * The control CNN. Convolutions as shifted slices + matMul (im2col): the wasm backend has no
 * Conv2DBackpropFilter kernel.
 */
function cnnLearner(seed: number): Learner {
  const C = 16;
  const k1 = heVariable(seed, 'cnn/k1', 9 * 3, C); // 3×3×3 → C
  const k2 = heVariable(seed, 'cnn/k2', C, C); // 1×1, C → C
  const w = tf.variable(tf.zeros([C, 1]));
  const b = tf.variable(tf.zeros([1]));
  const conv3 = (x: tf.Tensor4D, k: tf.Tensor): tf.Tensor2D => {
    const [n, h, wd, c] = x.shape;
    const p = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const taps: tf.Tensor[] = [];
    for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) taps.push(tf.slice(p, [0, dy, dx, 0], [n, h, wd, c]));
    return tf.matMul(tf.concat(taps, 3).reshape([n * h * wd, 9 * c]), k); // [n·h·w, C]
  };
  return {
    vars: [k1, k2, w, b],
    logits: (raw) => {
      const n = raw.shape[0];
      const h1 = tf.relu(conv3(normalize(raw) as tf.Tensor4D, k1));
      const h2 = tf.relu(tf.matMul(h1, k2)).reshape([n, S * S, C]);
      return tf.add(tf.matMul(tf.max(h2, 1), w), b).reshape([-1]) as tf.Tensor1D;
    },
    dispose: () => tf.dispose([k1, k2, w, b]),
  };
}

/**
 * The patch control: a ViT's first step without the transformer. Non-overlapping P×P patches, each
 * embedded linearly (P·P·3 → H, as `patch_embedding` does), ReLU, a per-token H → H layer, ReLU, a max
 * over tokens (--pool mean: the mean, as an untrained CLS token's uniform attention pools), linear.
 * The same learner at P = 16, 4, 2 isolates how the patch grid alone (its size against the trigger's)
 * decides whether a local trigger can be found.
 */
function patchLearner(seed: number, P: number): Learner {
  const H = 96; // the built-in tower's width
  const G = S / P; // patches per side
  const embed = heVariable(seed, `patch${P}/embed`, P * P * 3, H);
  const bias = tf.variable(tf.zeros([H]));
  const mix = heVariable(seed, `patch${P}/mix`, H, H);
  const w = tf.variable(tf.zeros([H, 1]));
  const b = tf.variable(tf.zeros([1]));
  return {
    vars: [embed, bias, mix, w, b],
    logits: (raw) => {
      const n = raw.shape[0];
      const patches = patchRows(normalize(raw) as tf.Tensor4D, P); // [n·G·G, P·P·3]
      const h = tf.relu(tf.matMul(tf.relu(tf.add(tf.matMul(patches, embed), bias)), mix)).reshape([n, G * G, H]);
      const pooled = POOL === 'mean' ? tf.mean(h, 1) : tf.max(h, 1); // [n, H]
      return tf.add(tf.matMul(pooled, w), b).reshape([-1]) as tf.Tensor1D;
    },
    dispose: () => tf.dispose([embed, bias, mix, w, b]),
  };
}

/** A whole shapes set as one split (identity rows; sample ids from `idOffset`, as the lab's splits number them). */
function wholeSplit(name: SplitName, count: number, idOffset: number): ImageSplit {
  const pool = generateShapes({ split: name === 'test' ? 'test' : 'train', seed: 0, count, imageSize: S });
  const rows = Int32Array.from({ length: count }, (_, i) => i);
  return { name, pool, rows, labels: pool.labels, sampleIds: rows.map((r) => idOffset + r) };
}

/** Balanced accuracy on the test images, clean [n, S, S, 3] and the same triggered. */
async function heldOut(learner: Learner, clean: tf.Tensor4D, triggered: tf.Tensor4D): Promise<number> {
  const acc = tf.tidy(() => {
    const hit = tf.concat([tf.greater(learner.logits(triggered), 0), tf.lessEqual(learner.logits(clean), 0)]);
    return tf.mean(tf.cast(hit, 'float32'));
  });
  const v = (await acc.data())[0];
  acc.dispose();
  return v;
}

/** Train one learner on one trigger; held-out accuracy at the checkpoints. */
async function train(
  learner: Learner,
  lr: number,
  train: ImageSplit,
  test: ImageSplit,
  trigger: Trigger,
): Promise<{ curve: { step: number; acc: number }[]; blockMove: number | null }> {
  const optimizer = tf.train.adam(lr);
  const slowLr = lr * (learner.slowMult ?? 1);
  // Adam's step is ≈ lr per weight whatever the gradient's size; SGD's is lr × the gradient (momentum 0.9: ≈ 10× that).
  const slowOptimizer = BLOCK_OPTIMIZER === 'sgd' ? tf.train.sgd(slowLr) : BLOCK_OPTIMIZER === 'momentum' ? tf.train.momentum(slowLr, 0.9) : tf.train.adam(slowLr);
  const snapshot = () => (learner.slowVars ?? []).map((v) => tf.clone(v)); // the blocks as a phase starts, to report how far they move
  let start = snapshot();
  const half = BATCH / 2;
  const labels = tf.tensor1d(Array.from({ length: BATCH }, (_, i) => (i < half ? 1 : 0))); // [B]: triggered first
  const all = Int32Array.from(test.rows);
  const clean = rawBatch(test, all, { imageSize: S });
  const triggered = rawBatch(test, all, { imageSize: S, trigger, rows: 'all' }); // at the images' sample ids
  const curve: { step: number; acc: number }[] = [];
  for (let step = 1; step <= TOTAL; step++) {
    if (step === STEPS + 1 && THEN_CLS) {
      learner.toClassToken!(); // phase 2: the class token, blocks trained (moved from here on)
      tf.dispose(start);
      start = snapshot();
    }
    const idx = Int32Array.from({ length: BATCH }, (_, i) => ((step - 1) * BATCH + i) % N_TRAIN);
    const x = tf.tidy(() => {
      const raw = rawBatch(train, idx, { imageSize: S });
      const ids = idx.slice(0, half).map((i) => step * N_TRAIN + i); // fresh positions / draws each step
      const trig = trigger.apply(raw.slice([0, 0, 0, 0], [half, -1, -1, -1]), ids);
      return tf.concat([trig, raw.slice([half, 0, 0, 0], [half, -1, -1, -1])]) as tf.Tensor4D;
    });
    const { value: loss, grads } = tf.variableGrads(
      () => tf.losses.sigmoidCrossEntropy(labels, learner.logits(x)) as tf.Scalar,
      [...learner.vars, ...(learner.slowVars ?? [])],
    );
    const slow = new Set((learner.slowVars ?? []).map((v) => v.name));
    const pick = (want: boolean) => Object.entries(grads).filter(([name]) => slow.has(name) === want).map(([name, tensor]) => ({ name, tensor }));
    optimizer.applyGradients(pick(false));
    if (slow.size) slowOptimizer.applyGradients(pick(true));
    tf.dispose([x, loss, ...Object.values(grads)]);
    if (CHECKPOINTS.includes(step)) curve.push({ step, acc: await heldOut(learner, clean, triggered) });
  }
  // ‖θ_blocks − θ_blocks,0‖ / ‖θ_blocks,0‖ over all block weights (null: no blocks trained; --then-cls: in phase 2).
  const move = start.length
    ? tf.tidy(() => {
        const sq = (ts: tf.Tensor[]) => tf.addN(ts.map((t) => tf.sum(tf.square(t))));
        return tf.sqrt(tf.div(sq(start.map((s0, i) => tf.sub(learner.slowVars![i], s0))), sq(start)));
      })
    : null;
  const blockMove = move ? (await move.data())[0] : null;
  tf.dispose([labels, clean, triggered, ...start, ...(move ? [move] : [])]);
  optimizer.dispose();
  slowOptimizer.dispose();
  return { curve, blockMove };
}

await initNodeBackend('wasm');
const trainSet = wholeSplit('train', N_TRAIN, 0);
const testSet = wholeSplit('test', N_TEST, TEST_ID_OFFSET);
/** The tower row's label: its folder, then how it was read out and trained where that is not the default. */
function towerName(dir: string): string {
  // How the blocks train: in the whole run, or (--then-cls) in its second phase.
  const blocksTrain = [BLOCK_LR_MULT !== 1 ? `at ${BLOCK_LR_MULT}× lr` : '', BLOCK_OPTIMIZER !== 'adam' ? `by ${BLOCK_OPTIMIZER}` : ''].filter(Boolean).join(' ');
  const how = [
    TOWER_POOL !== 'cls' ? `${TOWER_POOL} of tokens` : '',
    ZERO_BRANCHES ? 'branches zeroed' : '',
    TOWER_BLOCKS === 'freeze' ? 'blocks frozen' : blocksTrain ? `blocks trained ${blocksTrain}` : '',
    THEN_CLS ? `then ${THEN_CLS} steps by the class token, blocks trained${blocksTrain ? ` ${blocksTrain}` : ''}` : '',
  ].filter(Boolean);
  return how.length ? `${dir} (${how.join(', ')})` : dir;
}
const learners: { name: string; lr: number; make: () => Promise<Learner> }[] = [
  ...(!TOWER ? [] : dirs.length ? dirs : [path.join('public', MICRO_CLIP_DIR)]).map((dir) => ({ name: towerName(dir), lr: LR, make: () => towerLearner(dir) })),
  ...(CNN ? [{ name: 'cnn (control)', lr: 3e-3, make: async () => cnnLearner(0) }] : []),
  ...PATCH_SIDES.map((P) => ({ name: `patch ${P} ${POOL} (control)`, lr: 1e-3, make: async () => patchLearner(0, P) })),
];
const rows: { learner: string; trigger: TriggerKind; lr: number; seconds: number; blockMove: number | null; curve: { step: number; acc: number }[] }[] = [];
for (const l of learners) {
  for (const kind of KINDS) {
    const trigger = createTrigger(defaultExperimentConfig(kind, 0).trigger, S);
    const learner = await l.make();
    const t0 = performance.now();
    const { curve, blockMove } = await train(learner, l.lr, trainSet, testSet, trigger);
    const seconds = (performance.now() - t0) / 1000;
    learner.dispose();
    trigger.dispose();
    rows.push({ learner: l.name, trigger: kind, lr: l.lr, seconds, blockMove, curve });
    const moved = blockMove === null ? '' : `; blocks moved ${(100 * blockMove).toFixed(1)}% of their norm`;
    console.log(`${l.name} ${kind}: ${curve.map((c) => `${c.step}: ${c.acc.toFixed(3)}`).join('  ')} (${seconds.toFixed(0)} s${moved})`);
  }
}

console.log(`\nHeld-out accuracy, triggered vs clean (${N_TEST} + ${N_TEST} shapes test images), after N steps of ${BATCH} (half triggered)`);
console.log(`| learner | trigger | ${CHECKPOINTS.map((s) => `step ${s}`).join(' | ')} |`);
console.log(`|---|---|${CHECKPOINTS.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.learner} | ${r.trigger} | ${r.curve.map((c) => c.acc.toFixed(3)).join(' | ')} |`);
const out = path.join(ROOT, 'bench/results');
mkdirSync(out, { recursive: true });
const file = path.join(out, `learnability-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ bench: 'learnability', imageSize: S, pool: POOL, towerPool: TOWER_POOL, towerBlocks: TOWER_BLOCKS, blockLrMult: BLOCK_LR_MULT, blockOptimizer: BLOCK_OPTIMIZER, zeroBranches: ZERO_BRANCHES, steps: STEPS, thenCls: THEN_CLS, batch: BATCH, nTrain: N_TRAIN, nTest: N_TEST, rows }, null, 2) + '\n');
console.log(`wrote ${path.relative(ROOT, file)}`);
