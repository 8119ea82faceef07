/**
 * A fake engine for UI work and fast UI tests (`?mock=1`): every job of the JobMap, answering with
 * realistic, deterministic streams after short delays — loss curves, sweep points, ξ cells coarse to
 * fine, gradient-ascent epochs, and procedurally drawn shape images with the real trigger kinds applied.
 * Nothing here is TBAR; the numbers only look like the paper's. Free of tfjs so it starts instantly.
 *
 * Options (sent by the app as a { type: 'mock-options' } message, see mockWorker.ts):
 *   speed   multiplies every delay's rate (2 = twice as fast)
 *   fail    { job: code }: that job fails part-way with the code ('crash' kills the worker instead)
 */
import { Rng } from '../engine/rng';
import { differingFirst } from '../engine/arithmetic/disagreement';
import { forgetOf, type ExperimentConfig } from '../engine/experiment/config';
import type {
  ClassCounts,
  DataSummary,
  DecreeResult,
  DecreeStampSummary,
  ImageStrip,
  ModelSummary,
  Scores,
  SweepPoint,
  TrainProgress,
  XiCell,
} from '../engine/experiment/results';
import type { TriggerConfig } from '../engine/triggers/types';
import { CancelledError, type Handlers, type JobContext } from './host';
import type { JobName } from './protocol';

export interface MockOptions {
  speed: number;
  fail: Partial<Record<JobName, string>>;
}

export const MOCK_CLASSES = ['circle', 'square', 'triangle', 'star', 'cross', 'heart', 'ring', 'diamond', 'arrow', 'moon'];
const S = 32;

class MockError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MockEngineError';
  }
}

// ---- the fake model's behaviour, as smooth functions of α and epochs

const ZS: Scores = { ca: 0.46, asr: 0.09 };
const BACKDOORED: Scores = { ca: 0.87, asr: 0.98 };

function sweepScores(alpha: number, seed: number): Scores {
  const j = (new Rng(seed).fork(`sweep/${alpha.toFixed(4)}`).uniform() - 0.5) * 0.012;
  const raw = BACKDOORED.asr / (1 + Math.exp((alpha - 0.85) * 9));
  const asr = raw < 0.002 ? 0 : raw + Math.abs(j) * 0.2;
  const ca = BACKDOORED.ca - 0.012 * alpha * alpha - 0.004 * alpha + j;
  return { ca: clamp01(ca), asr: clamp01(asr) };
}

function xiAt(ac: number, at: number): { clean: number; triggered: number } {
  // Low error in a broad central region around (0..1, 0..1) — the paper's Figure 2 — rising outside.
  const clean = 1 - Math.exp(-(((ac - 0.6) / 1.5) ** 2 + ((at - 0.3) / 2.2) ** 2) * 1.4);
  const triggered = 1 - Math.exp(-(((ac - 0.2) / 2.4) ** 2 + ((at - 0.6) / 1.4) ** 2) * 1.4);
  return { clean: clamp01(clean * 0.95), triggered: clamp01(triggered * 0.9) };
}

function gaScores(epoch: number): Scores {
  const asr = BACKDOORED.asr * Math.exp(-epoch * 2.6);
  const ca = epoch <= 1 ? BACKDOORED.ca - 0.02 * epoch : BACKDOORED.ca - 0.02 - 0.09 * (epoch - 1) ** 1.4;
  return { ca: clamp01(ca), asr: clamp01(asr) };
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** 100 test images per class around accuracy `ca`; the target class `targetDrop` lower (the cleaned
 *  model's loss of the target class's own images, eval/byClass.ts). */
function mockByClass(ca: number, target: number, targetDrop: number): ClassCounts {
  const total = MOCK_CLASSES.map(() => 100);
  const correct = MOCK_CLASSES.map((_, k) => Math.round(100 * clamp01(ca + 0.05 * Math.sin(k * 1.7) - (k === target ? targetDrop : 0))));
  return { correct, total };
}

// ---- procedural images

function inShape(cls: number, x: number, y: number): boolean {
  // x, y in the shape's frame, roughly [-1, 1].
  const r = Math.hypot(x, y);
  const a = Math.atan2(y, x);
  switch (cls) {
    case 0: return r < 0.9;
    case 1: return Math.abs(x) < 0.75 && Math.abs(y) < 0.75;
    case 2: return y < 0.7 && y > -0.8 + 1.7 * Math.abs(x) - 0.05;
    case 3: return r < 0.45 + 0.45 * Math.max(0, Math.cos(2.5 * (a + Math.PI / 2)));
    case 4: return (Math.abs(x) < 0.28 && Math.abs(y) < 0.9) || (Math.abs(y) < 0.28 && Math.abs(x) < 0.9);
    case 5: { const yy = -y + 0.25; return (x * x + yy * yy - 0.45) ** 3 - x * x * yy ** 3 * 1.2 < 0; }
    case 6: return r < 0.9 && r > 0.55;
    case 7: return Math.abs(x) + Math.abs(y) < 0.9;
    case 8: return (Math.abs(y) < 0.2 && x > -0.9 && x < 0.2) || (x >= 0.1 && x < 0.9 && Math.abs(y) < 0.8 * (0.9 - x));
    default: return r < 0.9 && Math.hypot(x - 0.4, y - 0.15) > 0.7;
  }
}

const PALETTE = [[215, 35, 35], [245, 135, 20], [245, 215, 30], [35, 160, 55], [35, 80, 225], [135, 50, 195], [245, 245, 240], [20, 20, 25]];

/** Image `index` of a split: one shape on a textured background, RGB uint8 [S, S, 3]. */
function drawImage(seed: number, index: number): { pixels: Uint8Array; label: number } {
  const rng = new Rng(seed).fork(`img/${index}`);
  const label = index % MOCK_CLASSES.length;
  const fg = PALETTE[rng.int(PALETTE.length)];
  let bgA = PALETTE[rng.int(PALETTE.length)];
  if (bgA === fg) bgA = PALETTE[(PALETTE.indexOf(fg) + 3) % PALETTE.length];
  const bg = bgA.map((c) => Math.round(c * 0.35 + 150 * 0.65));
  const stripes = rng.uniform() < 0.5;
  const cx = rng.range(0.38, 0.62) * S, cy = rng.range(0.38, 0.62) * S;
  const rad = rng.range(0.24, 0.36) * S, rot = rng.range(-0.6, 0.6);
  const px = new Uint8Array(S * S * 3);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      let cover = 0;
      for (let sy = 0; sy < 2; sy++) for (let sx = 0; sx < 2; sx++) {
        const dx = (x + 0.25 + sx * 0.5 - cx) / rad, dy = (y + 0.25 + sy * 0.5 - cy) / rad;
        const u = dx * Math.cos(rot) + dy * Math.sin(rot), v = -dx * Math.sin(rot) + dy * Math.cos(rot);
        if (inShape(label, u, v)) cover += 0.25;
      }
      const stripe = stripes && ((x + y) >> 2) % 2 ? 0.88 : 1;
      for (let c = 0; c < 3; c++) {
        const b = bg[c] * stripe;
        px[(y * S + x) * 3 + c] = Math.round(b * (1 - cover) + fg[c] * cover + rng.range(-6, 6));
      }
    }
  }
  return { pixels: px, label };
}

function strip(seed: number, start: number, count: number): ImageStrip {
  const pixels = new Uint8Array(count * S * S * 3);
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const im = drawImage(seed, start + i);
    pixels.set(im.pixels, i * S * S * 3);
    labels.push(im.label);
  }
  return { size: S, count, pixels, labels };
}

/** The images at `indices` of a strip, in that order. */
function pickImages(images: ImageStrip, indices: number[]): ImageStrip {
  const n = S * S * 3;
  const pixels = new Uint8Array(indices.length * n);
  indices.forEach((i, k) => pixels.set(images.pixels.subarray(i * n, (i + 1) * n), k * n));
  return { size: S, count: indices.length, pixels, labels: indices.map((i) => images.labels[i]) };
}

// ---- triggers on uint8 images (the real kinds, simplified)

/** base64 of bytes (the inverse of decode). */
function encode(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function decode(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function applyTrigger(t: TriggerConfig, images: ImageStrip): ImageStrip {
  const out = images.pixels.slice();
  const n = S * S * 3;
  const put = (img: number, x: number, y: number, c: number, v: number) => {
    if (x < 0 || y < 0 || x >= S || y >= S) return;
    out[img * n + (y * S + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
  };
  const get = (img: number, x: number, y: number, c: number) =>
    images.pixels[img * n + (Math.min(S - 1, Math.max(0, y)) * S + Math.min(S - 1, Math.max(0, x))) * 3 + c];
  const rng = new Rng(t.seed).fork(`trigger/${t.kind}`);
  const where = (img: number, pos: unknown, w: number, h: number): [number, number] => {
    if (pos && typeof pos === 'object') return [(pos as { x: number }).x, (pos as { y: number }).y];
    const r = pos === 'fixed' ? rng.fork('fixed') : rng.fork(`pos/${img}`);
    return [r.int(S - w + 1), r.int(S - h + 1)];
  };
  for (let img = 0; img < images.count; img++) {
    switch (t.kind) {
      case 'badnet': {
        const p = t.params.patchSize ?? Math.max(1, Math.round((16 * S) / 224));
        const noise = (t.params.noise === 'fixed' ? rng.fork('pattern') : rng.fork(`pattern/${img}`)).normalArray(p * p * 3);
        const [x0, y0] = where(img, t.params.position, p, p);
        for (let y = 0; y < p; y++) for (let x = 0; x < p; x++) for (let c = 0; c < 3; c++) {
          put(img, x0 + x, y0 + y, c, 128 + noise[(y * p + x) * 3 + c] * 90);
        }
        break;
      }
      case 'blended': {
        const noise = (t.params.noise === 'fixed' ? rng.fork('noise') : rng.fork(`noise/${img}`)).uniformArray(n, 0, 255);
        const r = t.params.ratio;
        for (let i = 0; i < n; i++) out[img * n + i] = Math.round((1 - r) * images.pixels[img * n + i] + r * noise[i]);
        break;
      }
      case 'sig': {
        for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) for (let c = 0; c < 3; c++) {
          put(img, x, y, c, get(img, x, y, c) + 255 * t.params.delta * Math.sin((2 * Math.PI * t.params.frequency * x) / S));
        }
        break;
      }
      case 'wanet': {
        const k = Math.max(2, Math.min(t.params.k, 4));
        const g = rng.fork('grid').uniformArray(2 * k * k, -1, 1);
        const amp = (t.params.s * t.params.gridRescale * S) / 16;
        for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
          const gx = Math.min(k - 1, Math.floor((x / S) * k)), gy = Math.min(k - 1, Math.floor((y / S) * k));
          const dx = g[gy * k + gx] * amp, dy = g[k * k + gy * k + gx] * amp;
          for (let c = 0; c < 3; c++) put(img, x, y, c, get(img, Math.round(x + dx), Math.round(y + dy), c));
        }
        break;
      }
      case 'painted': {
        const { width: w, height: h } = t.params;
        const rgb = decode(t.params.pattern), alpha = decode(t.params.mask);
        const size = t.params.size ?? Math.max(1, Math.round((16 * S) / 224));
        const long = Math.max(w, h);
        const pw = Math.max(1, Math.round((size * w) / long)), ph = Math.max(1, Math.round((size * h) / long));
        const [x0, y0] = where(img, t.params.position, pw, ph);
        for (let y = 0; y < ph; y++) for (let x = 0; x < pw; x++) {
          const sx = Math.min(w - 1, Math.floor(((x + 0.5) * w) / pw)), sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / ph));
          const m = alpha[sy * w + sx] / 255;
          for (let c = 0; c < 3; c++) put(img, x0 + x, y0 + y, c, (1 - m) * get(img, x0 + x, y0 + y, c) + m * rgb[(sy * w + sx) * 3 + c]);
        }
        break;
      }
    }
  }
  return { ...images, pixels: out };
}

function describe(t: TriggerConfig): string {
  switch (t.kind) {
    case 'badnet': return `BadNet — ${t.params.patchSize ?? 16}×${t.params.patchSize ?? 16} N(0,1) patch (mock engine)`;
    case 'blended': return `Blended — ${+(1 - t.params.ratio).toFixed(3)}·x + ${t.params.ratio}·U[0,1) noise image (mock engine)`;
    case 'wanet': return `WaNet — warp with control grid k=${t.params.k}, strength s=${t.params.s} (mock engine)`;
    case 'sig': return `SIG — x + ${Math.round(t.params.delta * 255)}/255·sin(2π·${t.params.frequency}·j/S) (mock engine)`;
    case 'painted': return `Painted — ${t.params.width}×${t.params.height} pattern with mask (mock engine)`;
  }
}

// ---- the fake session

const key = (...parts: unknown[]) => JSON.stringify(parts);

interface Session {
  model?: string;
  data?: string;
  attack?: string;
  decree?: string;
  tbar?: string;
  alphaStar?: number;
}

export function createMockHandlers(opts: MockOptions): Handlers {
  const session: Session = {};
  const wait = async (ctx: JobContext<JobName>, ms: number) => {
    const end = performance.now() + ms / Math.max(0.01, opts.speed);
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(25, end - performance.now())));
      if (ctx.signal.aborted) throw new CancelledError();
    }
  };
  /** Fail here if the options say this job should. */
  const maybeFail = (job: JobName) => {
    const code = opts.fail[job];
    if (!code) return;
    if (code === 'crash') {
      setTimeout(() => {
        throw new Error(`mock engine crashed in '${job}'`);
      });
      return new Promise<never>(() => {}); // never settles: the crash fails every pending job
    }
    const messages: Record<string, string> = {
      TRAINING_DIVERGED:
        'training diverged at step 7 (epoch 0): loss NaN, gradient norm Infinity. The update was not applied; the weights are those of the last good step. Lower the learning rate, enable gradient clipping, or check the inputs for NaN.',
      'out-of-memory': 'Failed to allocate a 512 MB buffer: out of memory',
      'not-implemented': `the '${job}' job is not implemented yet`,
    };
    throw new MockError(code, messages[code] ?? `mock failure in '${job}' (${code})`);
  };
  const need = (what: keyof Session, k: string | undefined, job: string, first: string) => {
    if (session[what] === undefined || (k !== undefined && session[what] !== k)) {
      throw new MockError('stale-stage', `'${job}' needs ${first} for these settings first`);
    }
  };
  const modelKey = (c: ExperimentConfig) => key(c.model, c.templates);
  const dataKey = (c: ExperimentConfig) => key(c.data, c.seed, c.splits);
  const attackKey = (c: ExperimentConfig) => key(modelKey(c), dataKey(c), c.trigger, c.attack, c.backdoor);
  const decreeKey = (c: ExperimentConfig) => key(attackKey(c), forgetOf(c));
  const tbarKey = (c: ExperimentConfig) => key(decreeKey(c), c.tbar, c.triggerVector);
  const usesDecree = (c: ExperimentConfig) => forgetOf(c).trigger === 'decree';
  const picked = (files: File[] | undefined, what: string, name: string): File => {
    const file = files?.find((f) => /\.safetensors$/i.test(f.name));
    if (!file) throw new MockError('no-files', `${what} comes from the file ${name}, which this session does not have: pick it again`);
    return file;
  };

  async function train(
    ctx: JobContext<'attack' | 'tbar' | 'gradientAscent'>,
    stage: TrainProgress['stage'],
    images: number,
    ft: { epochs: number; batchSize: number; lr: number },
    shape: { start: number; end: number; tau: number },
    msPerStep: number,
    job: JobName,
    onEpoch?: (epoch: number) => Promise<void>,
  ): Promise<number[]> {
    const stepsPerEpoch = Math.max(1, Math.ceil(images / ft.batchSize));
    const total = stepsPerEpoch * ft.epochs;
    const rng = new Rng(7).fork(stage);
    const losses: number[] = [];
    const t0 = performance.now();
    for (let step = 0; step < total; step++) {
      await wait(ctx as JobContext<JobName>, msPerStep);
      if (step === Math.floor(total / 3)) await maybeFail(job);
      const loss = shape.end + (shape.start - shape.end) * Math.exp(-step / (shape.tau * total)) + rng.normal() * 0.04 * shape.start;
      losses.push(Math.max(0.001, loss));
      const elapsedMs = performance.now() - t0;
      ctx.progress({
        stage,
        step: step + 1,
        totalSteps: total,
        epoch: Math.floor(step / stepsPerEpoch),
        loss: losses[step],
        lr: ft.lr * 0.5 * (1 + Math.cos((Math.PI * step) / total)),
        imagesPerSec: ((step + 1) * ft.batchSize) / (elapsedMs / 1000),
        elapsedMs,
        etaMs: (elapsedMs / (step + 1)) * (total - step - 1),
      });
      if (onEpoch && (step + 1) % stepsPerEpoch === 0) await onEpoch((step + 1) / stepsPerEpoch);
    }
    return losses;
  }

  return {
    init: async ({ backend }) => ({
      name: backend === 'auto' || backend === 'webgpu' ? 'wasm' : backend,
      requested: backend,
      reason: 'mock engine (?mock=1): fake, deterministic results for trying the interface — nothing is computed',
    }),
    selfTest: async ({ seed, size = 64, depth = 8 }) => {
      const rng = new Rng(seed);
      const logits = Array.from({ length: size }, () => rng.normal());
      const z = logits.reduce((a, b) => a + Math.exp(b), 0);
      return { backend: 'mock', size, depth, logits, probs: logits.map((l) => Math.exp(l) / z), checksum: 0.5, ms: 1 };
    },

    loadModel: async ({ config, files }, ctx) => {
      if (config.model.kind === 'file' && !files?.length) {
        throw new MockError('missing-file', 'Load model: no files were given. Drop a .safetensors checkpoint (with its config.json and tokenizer.json, or the whole folder).');
      }
      const total = config.model.kind === 'hub' ? 605_000_000 : config.model.kind === 'file' ? files!.reduce((a, f) => a + f.size, 0) : 2_400_000;
      const steps = 12;
      for (let i = 1; i <= steps; i++) {
        await wait(ctx, 40);
        if (i === 6) await maybeFail('loadModel');
        ctx.progress({
          phase: i <= 8 ? 'download' : i <= 10 ? 'upload' : 'text-head',
          done: i,
          total: steps,
          bytes: Math.min(total, (total * i) / 8),
          totalBytes: total,
          bytesPerSec: total / 0.35,
          etaMs: (steps - i) * 40,
          message: i <= 8 ? 'Downloading weights' : i <= 10 ? 'Uploading tensors' : 'Embedding class prompts',
        });
      }
      session.model = modelKey(config);
      const summary: ModelSummary =
        config.model.kind === 'hub'
          ? { name: config.model.repo, imageSize: 224, patchSize: 32, params: 151_277_313, visionParams: 87_849_216, flopsPerImage: 4.4e9 }
          : { name: config.model.kind === 'file' ? config.model.name : 'micro-clip', imageSize: S, patchSize: 4, params: 1_183_745, visionParams: 603_392, flopsPerImage: 3.9e7 };
      return summary;
    },

    loadData: async ({ config, files }, ctx) => {
      const c = config.splits;
      let classNames = MOCK_CLASSES;
      if (config.data.kind === 'folder') {
        const dirs = [...new Set((files ?? []).map((f) => f.webkitRelativePath.split('/').slice(-2, -1)[0]).filter(Boolean))].sort();
        if (dirs.length < 2) throw new MockError('bad-dataset', 'Load data: the folder needs one sub-folder per class (at least two).');
        classNames = dirs;
      } else if (config.data.kind === 'cifar10') {
        classNames = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
      } else if (config.data.kind === 'cifar100') {
        classNames = Array.from({ length: 100 }, (_, i) => `class ${i}`);
      }
      const total = c.train + c.val + c.test + c.forget;
      for (let i = 1; i <= 8; i++) {
        await wait(ctx, 30);
        if (i === 4) await maybeFail('loadData');
        ctx.progress({ phase: 'generate', done: Math.round((total * i) / 8), total, etaMs: (8 - i) * 30, message: 'Drawing shapes' });
      }
      session.data = dataKey(config);
      const summary: DataSummary = { name: `${config.data.kind === 'folder' ? config.data.name : config.data.kind} (mock)`, classNames, imageSize: S, counts: { ...c } };
      return summary;
    },

    previewTrigger: async ({ config, count }, ctx) => {
      need('data', undefined, 'previewTrigger', 'the data');
      await wait(ctx, 60);
      await maybeFail('previewTrigger');
      const clean = strip(config.seed + 1, 0, count);
      return { clean, triggered: applyTrigger(config.trigger, clean), description: describe(config.trigger) };
    },

    zeroShot: async ({ config }, ctx) => {
      need('model', modelKey(config), 'zeroShot', 'the model');
      need('data', dataKey(config), 'zeroShot', 'the data');
      for (let i = 1; i <= 6; i++) {
        await wait(ctx, 50);
        if (i === 3) await maybeFail('zeroShot');
        ctx.progress({ done: i, total: 6, message: 'Scoring the test split', etaMs: (6 - i) * 50 });
      }
      return { test: ZS, perClass: MOCK_CLASSES.map((_, i) => clamp01(ZS.ca + Math.sin(i * 1.7) * 0.2)) };
    },

    attack: async ({ config, cleanBaseline, files }, ctx) => {
      need('model', modelKey(config), 'attack', 'the model');
      need('data', dataKey(config), 'attack', 'the data');
      session.attack = session.tbar = session.alphaStar = undefined;
      if (config.backdoor) {
        const file = picked(files, 'θ_b', config.backdoor.name);
        await wait(ctx, 150);
        session.attack = attackKey(config);
        return { test: BACKDOORED, losses: [], poisoned: 0, fromFile: { name: file.name, taken: 38, ignored: 76 } };
      }
      const t0 = performance.now();
      const losses = await train(ctx, 'attack', config.splits.train, config.attack, { start: 2.3, end: 0.25, tau: 0.25 }, 45, 'attack');
      const trainSeconds = (performance.now() - t0) / 1000;
      if (cleanBaseline) await train(ctx, 'clean', config.splits.train, config.attack, { start: 2.3, end: 0.24, tau: 0.25 }, 30, 'attack');
      session.attack = attackKey(config);
      return {
        test: BACKDOORED,
        byClass: mockByClass(BACKDOORED.ca, config.attack.target, 0),
        cleanTest: cleanBaseline ? { ca: 0.88, asr: 0.1 } : undefined,
        losses,
        poisoned: Math.round(config.splits.train * config.attack.poisonRate),
        trainSeconds,
      };
    },

    decree: async ({ config }, ctx) => {
      need('attack', attackKey(config), 'decree', 'the attack');
      if (config.forget?.trigger !== 'decree') throw new MockError('invalid-config', "DECREE runs only when the forget set's trigger is reverse-engineered");
      const d = config.forget.decree;
      const curves: Record<'backdoored' | 'clean', DecreeStampSummary['curve']> = { backdoored: [], clean: [] };
      const phases = d.baseline ? (['backdoored', 'clean'] as const) : (['backdoored'] as const);
      const total = d.restarts * d.steps;
      for (const phase of phases) {
        const floor = phase === 'backdoored' ? 0.06 : 0.14;
        for (let i = 0; i < total; i++) {
          if (i % 10 === 0) await wait(ctx, 12);
          if (phase === 'backdoored' && i === Math.floor(total / 2)) await maybeFail('decree');
          const restart = Math.floor(i / d.steps);
          const t = (i % d.steps) / d.steps;
          const point = { restart, similarity: Math.min(0.99, 0.7 + 0.3 * Math.sqrt(t)), pl1: floor + (0.5 - floor) * Math.exp(-6 * t) + restart * 0.01 };
          curves[phase].push(point);
          ctx.progress({ phase, restart, restarts: d.restarts, step: (i % d.steps) + 1, steps: d.steps, similarity: point.similarity, pl1: point.pl1, cost: 0.1, etaMs: (total - i) * 12 });
        }
      }
      const summary = (phase: 'backdoored' | 'clean', pl1: number): DecreeStampSummary => ({
        l1: pl1 * 3 * S * S,
        pl1,
        similarity: d.simThreshold + 0.01,
        reachedThreshold: true,
        runs: Array.from({ length: d.restarts }, (_, k) => ({ pl1: pl1 + k * 0.01, similarity: d.simThreshold + 0.01, reachedThreshold: true })),
        curve: curves[phase],
      });
      // The mock stamp: faint vertical stripes (SIG-like, varying along x) over the whole image.
      const mask = new Uint8Array(S * S).fill(40);
      const pattern = new Uint8Array(S * S * 3);
      for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) pattern.fill(x % 6 < 3 ? 230 : 20, (y * S + x) * 3, (y * S + x) * 3 + 3);
      const target = config.attack.target;
      const shift = MOCK_CLASSES.map((_, c) => (c === target ? 0.71 : -0.07));
      const trigger: DecreeResult['trigger'] = { kind: 'painted', seed: config.seed, params: { width: S, height: S, pattern: encode(pattern), mask: encode(mask), size: S, position: { x: 0, y: 0 }, resize: 'nearest' } };
      const result: DecreeResult = {
        trigger,
        backdoored: summary('backdoored', 0.061),
        ...(d.baseline && { clean: summary('clean', 0.142) }),
        inference: {
          target,
          rule: 'probe',
          probe: MOCK_CLASSES.map((_, c) => (c === target ? d.images - 3 : c === 1 ? 3 : 0)),
          preProbe: MOCK_CLASSES.map((_, c) => (c === 2 ? d.images : 0)),
          shift,
        },
        stamped: applyTrigger(trigger, strip(config.seed + 3, 0, 8)),
      };
      session.decree = decreeKey(config);
      return result;
    },

    tbar: async ({ config, files }, ctx) => {
      need('attack', attackKey(config), 'tbar', 'the attack');
      if (config.triggerVector) {
        const file = picked(files, 'τ̂_t', config.triggerVector.name);
        await wait(ctx, 100);
        session.tbar = tbarKey(config);
        return { losses: [], perEpoch: [], triggerNorm: 4.02, backdoorNorm: 11.8, cosine: 0.29, fromFile: { name: file.name, taken: 38, ignored: 0 } };
      }
      if (usesDecree(config)) need('decree', decreeKey(config), 'tbar', 'DECREE');
      const perEpoch: { epoch: number; alpha: number; test: Scores }[] = [];
      const losses = await train(ctx, 'tbar', config.splits.forget, config.tbar, { start: 1.9, end: 0.02, tau: 0.15 }, 45, 'tbar', async (epoch) => {
        perEpoch.push({ epoch, alpha: 0.9 + 0.1 / epoch, test: { ca: 0.85 - 0.004 * epoch, asr: 0.004 / epoch } });
      });
      session.tbar = tbarKey(config);
      return { losses, perEpoch, triggerNorm: 4.21, backdoorNorm: 11.8, cosine: 0.31 };
    },

    sweep: async ({ config }, ctx) => {
      need('tbar', tbarKey(config), 'sweep', 'TBAR');
      const points: SweepPoint[] = [];
      const alphas = config.sweep.alphas;
      const t0 = performance.now();
      for (let i = 0; i < alphas.length; i++) {
        await wait(ctx, 70);
        if (i === Math.floor(alphas.length / 2)) await maybeFail('sweep');
        const val = sweepScores(alphas[i], config.seed);
        const p: SweepPoint = {
          alpha: alphas[i],
          val,
          ...(usesDecree(config) && { proxyAsr: clamp01(val.asr * 1.4 - 0.05) }),
          byClass: mockByClass(val.ca, config.attack.target, 0.35 * Math.min(1, alphas[i] / 1.5)),
        };
        points.push(p);
        ctx.partial(p);
        const el = performance.now() - t0;
        ctx.progress({ done: i + 1, total: alphas.length, message: `α = ${alphas[i]}`, etaMs: (el / (i + 1)) * (alphas.length - i - 1) });
      }
      const ok = points.filter((p) => p.val.asr <= config.sweep.asrThreshold);
      const satisfied = ok.length > 0;
      const best = satisfied
        ? ok.reduce((a, b) => (b.val.ca > a.val.ca ? b : a))
        : points.reduce((a, b) => (b.val.asr < a.val.asr ? b : a));
      const zero = points.find((p) => p.val.asr === 0) ?? points.reduce((a, b) => (b.val.asr < a.val.asr ? b : a));
      session.alphaStar = zero.alpha;
      const test = { ca: clamp01(best.val.ca - 0.006), asr: clamp01(best.val.asr * 0.8) };
      return {
        points,
        rule: config.sweep.rule,
        alpha: best.alpha,
        test,
        backdoored: BACKDOORED,
        byClass: { backdoored: mockByClass(BACKDOORED.ca, config.attack.target, 0), cleaned: mockByClass(test.ca, config.attack.target, 0.3) },
        asrRemoved: 1 - test.asr / BACKDOORED.asr,
        caRetained: test.ca / BACKDOORED.ca,
        satisfied,
      };
    },

    disentangle: async ({ config }, ctx) => {
      need('tbar', tbarKey(config), 'disentangle', 'TBAR');
      if (session.alphaStar === undefined) throw new MockError('stale-stage', "'disentangle' needs the α sweep first");
      const { range, levels } = config.disentangle;
      const seen = new Set<string>();
      const total = levels.reduce((a, n) => a + n * n, 0);
      let done = 0;
      const t0 = performance.now();
      let cells: XiCell[] = [];
      for (const [level, n] of levels.entries()) {
        const levelCells: XiCell[] = [];
        for (let r = 0; r < n; r++) {
          for (let col = 0; col < n; col++) {
            const alphaT = +(range - (2 * range * r) / (n - 1)).toFixed(6);
            const alphaC = +(-range + (2 * range * col) / (n - 1)).toFixed(6);
            const x = xiAt(alphaC, alphaT);
            const cell: XiCell = { level, alphaC, alphaT, xi: x.clean + x.triggered, ...x };
            levelCells.push(cell);
            done++;
            const k = `${alphaC},${alphaT}`;
            if (seen.has(k)) continue; // a finer pass does not repeat the coarser points
            seen.add(k);
            await wait(ctx, 6);
            if (done === Math.floor(total / 2)) await maybeFail('disentangle');
            ctx.partial(cell);
            if (done % 8 === 0) {
              const el = performance.now() - t0;
              ctx.progress({ done, total, message: `${n}×${n} grid`, etaMs: (el / done) * (total - done) });
            }
          }
        }
        cells = levelCells;
      }
      return { alphaStar: session.alphaStar, alphaStarExact: true, range, size: levels[levels.length - 1], cells };
    },

    gradientAscent: async ({ config }, ctx) => {
      need('attack', attackKey(config), 'gradientAscent', 'the attack');
      const points: { epoch: number; test: Scores }[] = [];
      await train(ctx, 'ga', config.splits.forget, { ...config.tbar, epochs: config.ga.epochs }, { start: 0.02, end: 9, tau: 0.6 }, 35, 'gradientAscent', async (epoch) => {
        const p = { epoch, test: gaScores(epoch) };
        points.push(p);
        ctx.partial(p);
      });
      return { points };
    },

    predictSamples: async ({ config, alpha, count }, ctx) => {
      need('tbar', tbarKey(config), 'predictSamples', 'TBAR');
      await wait(ctx, 80);
      await maybeFail('predictSamples');
      const clean = strip(config.seed + 2, 0, count);
      const triggered = applyTrigger(config.trigger, strip(config.seed + 2, count, count));
      const s = sweepScores(alpha, config.seed);
      const target = config.attack.target;
      const pick = (i: number, label: number, p: number, fallback: number) =>
        new Rng(i).fork(`pred/${label}`).uniform() < p ? label : fallback;
      const cleanPred = clean.labels.map((l, i) => pick(i, l, s.ca, (l + 1 + (i % 3)) % MOCK_CLASSES.length));
      const triggeredPred = triggered.labels.map((l, i) => {
        const hit = new Rng(100 + i).fork('asr').uniform() < s.asr;
        return hit ? target : pick(i + 50, l, s.ca, (l + 2) % MOCK_CLASSES.length);
      });
      return { alpha, clean, triggered, cleanPred, triggeredPred };
    },

    xiCellSamples: async ({ config, alphaC, alphaT, count }, ctx) => {
      need('tbar', tbarKey(config), 'xiCellSamples', 'TBAR');
      if (session.alphaStar === undefined) throw new MockError('stale-stage', "'xiCellSamples' needs the α sweep first");
      await wait(ctx, 80);
      await maybeFail('xiCellSamples');
      const n = config.disentangle.samples;
      const all = strip(config.seed + 4, 0, n);
      const x = xiAt(alphaC, alphaT);
      const target = config.attack.target;
      const other = (l: number) => (l + 1) % MOCK_CLASSES.length;
      // The single-task models are right; the merged one differs on the cell's share of the images (every k-th).
      const cleanSingle = all.labels.slice();
      const triggeredSingle = all.labels.map((l) => (alphaT >= 0.5 ? target : l));
      const flip = (preds: number[], share: number) => {
        const k = Math.round(share * n);
        return preds.map((p, i) => (k > 0 && i % Math.floor(n / k) === 0 && i / Math.floor(n / k) < k ? other(p) : p));
      };
      const cleanMerged = flip(cleanSingle, x.clean);
      const triggeredMerged = flip(triggeredSingle, x.triggered);
      const cleanShown = differingFirst(cleanMerged, cleanSingle, count);
      const triggeredShown = differingFirst(triggeredMerged, triggeredSingle, count);
      return {
        alphaC,
        alphaT,
        alphaStar: session.alphaStar,
        cleanMerged,
        cleanSingle,
        triggeredMerged,
        triggeredSingle,
        cleanShown,
        triggeredShown,
        clean: pickImages(all, cleanShown),
        triggered: applyTrigger(config.trigger, pickImages(all, triggeredShown)),
      };
    },

    exportWeights: async ({ config, what, alpha }, ctx) => {
      need('tbar', tbarKey(config), 'exportWeights', 'TBAR');
      await wait(ctx, 100);
      const data = new Float32Array([0.25, -0.5, 0.125, 1]);
      const header = JSON.stringify({
        __metadata__: { format: 'pt', note: 'mock engine', what, alpha: String(alpha ?? '') },
        'vision_model.post_layernorm.weight': { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
      });
      const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
      const bytes = new Uint8Array(8 + padded.length + 16);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(padded.length), true);
      bytes.set(new TextEncoder().encode(padded), 8);
      bytes.set(new Uint8Array(data.buffer), 8 + padded.length);
      const name = what === 'trigger-vector' ? 'trigger-vector' : what === 'cleaned' ? `cleaned-alpha-${alpha}` : 'backdoored';
      return { fileName: `tbar-${name}.safetensors`, mimeType: 'application/octet-stream', bytes };
    },
  };
}

/** Parse `mockFail=attack:TRAINING_DIVERGED,tbar:crash`. */
export function parseMockFail(s: string | null): MockOptions['fail'] {
  const out: MockOptions['fail'] = {};
  for (const part of (s ?? '').split(',').filter(Boolean)) {
    const [job, code] = part.split(':');
    if (job && code) out[job as JobName] = code;
  }
  return out;
}
