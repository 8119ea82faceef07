import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { Rng } from '../src/engine/rng';
import { AdamW } from '../src/engine/train/adamw';
import { crossEntropy } from '../src/engine/train/losses';
import {
  TrainConfigError,
  TrainingDivergedError,
  batchIndices,
  disposeTrainState,
  epochOrder,
  planSteps,
  train,
  type ProgressEvent,
  type TrainOptions,
} from '../src/engine/train/loop';
import { constantSchedule, cosineSchedule } from '../src/engine/train/schedule';

// ---- a stand-in model: 2-layer ReLU MLP held in named tf.Variables (HF layout: linear weights [out, in])
type Vars = Map<string, tf.Variable>;
function mlpVars(init: Record<string, { shape: number[]; data: ArrayLike<number> }>): Vars {
  const vars: Vars = new Map();
  for (const [k, t] of Object.entries(init)) {
    vars.set(k, tf.tidy(() => tf.variable(tf.tensor(Array.from(t.data), t.shape), true)));
  }
  return vars;
}
function randomMlp(seed: number, d = 8, h = 16, c = 4): Vars {
  const rng = new Rng(seed);
  return mlpVars({
    'fc1.weight': { shape: [h, d], data: rng.normalArray(h * d, 0, 1 / Math.sqrt(d)) },
    'fc1.bias': { shape: [h], data: new Float32Array(h) },
    'fc2.weight': { shape: [c, h], data: rng.normalArray(c * h, 0, 1 / Math.sqrt(h)) },
    'fc2.bias': { shape: [c], data: new Float32Array(c) },
  });
}
function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x, tf.transpose(w)), b) as tf.Tensor2D; // x·Wᵀ + b
}
function mlpLogits(vars: Vars, x: tf.Tensor2D): tf.Tensor2D {
  const h = tf.relu(linear(x, vars.get('fc1.weight')!, vars.get('fc1.bias')!));
  return linear(h as tf.Tensor2D, vars.get('fc2.weight')!, vars.get('fc2.bias')!);
}
interface Batch extends tf.NamedTensorMap {
  x: tf.Tensor2D;
  y: tf.Tensor1D;
}
function gatherBatch(X: tf.Tensor2D, Y: tf.Tensor1D) {
  return (indices: Int32Array): Batch =>
    tf.tidy(() => {
      const idx = tf.tensor1d(indices, 'int32');
      return { x: tf.gather(X, idx) as tf.Tensor2D, y: tf.gather(Y, idx) as tf.Tensor1D };
    });
}
async function snapshot(vars: Vars): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of vars) out.set(k, (await v.data()) as Float32Array);
  return out;
}
function disposeVars(vars: Vars) {
  tf.dispose([...vars.values()]);
}

// ---- a toy problem: 4 Gaussian blobs in 8-D, drawn from Rng
function blobs(n: number, seed: number, d = 8, c = 4) {
  const rng = new Rng(seed);
  const centers = Array.from({ length: c }, () => rng.normalArray(d, 0, 1.5));
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(c);
    for (let j = 0; j < d; j++) x[i * d + j] = centers[y[i]][j] + rng.normal() * 0.7;
  }
  return { X: tf.tensor2d(x, [n, d]), Y: tf.tensor1d(y, 'int32') };
}

// ---- torch golden (scripts/golden/adamw_golden.py, mlp.json)
interface TJ { shape: number[]; data: number[] }
interface MlpGolden {
  X: TJ;
  y: number[];
  init: Record<string, TJ>;
  config: { baseLr: number; warmupSteps: number; steps: number; weightDecay: number; maxGradNorm: number };
  losses: number[];
  gradNorms: number[];
  lrs: number[];
  final: Record<string, TJ>;
}
const mlpGolden = JSON.parse(readFileSync(new URL('./fixtures/adamw/mlp.json', import.meta.url), 'utf8')) as {
  descent: MlpGolden;
  ascent: MlpGolden;
};
/** max |a − b| / max |b|: relative to the tensor's scale (elements near 0 do not blow it up). */
function scaledErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) w = Math.max(w, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return w;
}

describe('train() against torch (full-batch MLP, AdamW wd 0.1, cosine warmup, clip 1.0)', () => {
  for (const direction of ['descent', 'ascent'] as const) {
    it(`${direction} matches torch${direction === 'ascent' ? ' AdamW(maximize=True)' : ''} step by step`, async () => {
      const g = mlpGolden[direction];
      const vars = mlpVars(g.init);
      const X = tf.tensor2d(g.X.data, g.X.shape as [number, number]);
      const Y = tf.tensor1d(g.y, 'int32');
      const opt = new AdamW(vars, { weightDecay: g.config.weightDecay });
      const events: ProgressEvent[] = [];
      const n = g.X.shape[0];
      const res = await train({
        variables: vars,
        lossFn: (b: Batch) => crossEntropy(mlpLogits(vars, b.x), b.y),
        // Full batch: the permutation only reorders the batch (mean loss is order-independent up to rounding).
        sampler: { datasetSize: n, batchSize: n, epochs: g.config.steps, seed: 7 },
        makeBatch: gatherBatch(X, Y),
        optimizer: opt,
        schedule: cosineSchedule(g.config.baseLr, g.config.warmupSteps),
        maxGradNorm: g.config.maxGradNorm,
        direction,
        onProgress: (ev) => events.push(ev),
      });
      expect(res.stopped).toBe('done');
      expect(res.losses.length).toBe(g.config.steps);
      expect(maxRel(res.losses, g.losses)).toBeLessThan(1e-5);
      expect(maxRel(events.map((e) => e.gradNorm), g.gradNorms)).toBeLessThan(1e-5);
      expect(maxRel(events.map((e) => e.lr), g.lrs)).toBeLessThan(1e-13);
      // Clipping was active in some steps and not in others (so both paths are exercised).
      expect(g.gradNorms.some((x) => x > 1) && g.gradNorms.some((x) => x < 1)).toBe(direction === 'descent');
      const fin = await snapshot(vars);
      for (const [k, t] of Object.entries(g.final)) {
        // ~2.7e-7 observed (a few float32 ulps after 12 steps of forward, backward, clip and AdamW)
        expect(scaledErr(fin.get(k)!, t.data)).toBeLessThan(2e-6);
        // and the weights moved well beyond that tolerance
        expect(maxRel(t.data, g.init[k].data)).toBeGreaterThan(1e-2);
      }
      if (direction === 'descent') expect(res.losses[res.losses.length - 1]).toBeLessThan(res.losses[0] / 3);
      else expect(res.losses[res.losses.length - 1]).toBeGreaterThan(res.losses[0]);
      disposeTrainState(res.state);
      opt.dispose();
      tf.dispose([X, Y]);
      disposeVars(vars);
    });
  }
});

describe('train() on a toy problem', () => {
  const data = { X: null as unknown as tf.Tensor2D, Y: null as unknown as tf.Tensor1D };
  beforeAll(() => Object.assign(data, blobs(90, 11)));
  afterAll(() => tf.dispose([data.X, data.Y]));

  /** The toy setup: 90 examples, batch 20 → 5 steps/epoch (the 5th has 10 examples). */
  function setup(seed = 1, extra: Partial<TrainOptions<Batch>> = {}) {
    const vars = randomMlp(seed);
    const opt = new AdamW(vars, { weightDecay: 0.1 });
    const batchesMade: Int32Array[] = [];
    const makeBatch = gatherBatch(data.X, data.Y);
    const opts: TrainOptions<Batch> = {
      variables: vars,
      lossFn: (b) => crossEntropy(mlpLogits(vars, b.x), b.y),
      sampler: { datasetSize: 90, batchSize: 20, epochs: 2, seed: 5 },
      makeBatch: (idx) => {
        batchesMade.push(idx);
        return makeBatch(idx);
      },
      optimizer: opt,
      schedule: cosineSchedule(0.02, 3),
      maxGradNorm: 1,
      ...extra,
    };
    return { vars, opt, opts, batchesMade, cleanup: () => (opt.dispose(), disposeVars(vars)) };
  }

  it('learns: the loss falls by more than 5× over 20 epochs', async () => {
    const s = setup(1, { sampler: { datasetSize: 90, batchSize: 20, epochs: 20, seed: 5 }, progressEvery: 10 });
    const events: ProgressEvent[] = [];
    const res = await train({ ...s.opts, onProgress: (e) => events.push(e) });
    const first = res.losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = res.losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(last).toBeLessThan(first / 5);
    // progress every 10 steps and after the last one; fields are sane
    expect(events.map((e) => e.step)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 10));
    expect(events.every((e) => e.totalSteps === 100 && e.imagesPerSec > 0 && e.elapsedMs > 0)).toBe(true);
    expect(events[9].epoch).toBe(19);
    disposeTrainState(res.state);
    s.cleanup();
  });

  it('gradient ascent raises the loss', async () => {
    const s = setup(1, { direction: 'ascent', schedule: constantSchedule(0.01) });
    const res = await train(s.opts);
    expect(res.losses[res.losses.length - 1]).toBeGreaterThan(res.losses[0] * 1.5);
    disposeTrainState(res.state);
    s.cleanup();
  });

  it('resume: 10 steps straight equal 5 + 5 resumed steps bit for bit (same and fresh optimizer)', async () => {
    const a = setup(3);
    const ra = await train(a.opts);
    expect(ra.state.step).toBe(10);
    const wa = await snapshot(a.vars);

    // 5 steps, cancelled between batches, then resumed with the same optimizer.
    const b = setup(3);
    const ctrl = new AbortController();
    const rb1 = await train({ ...b.opts, signal: ctrl.signal, onProgress: (e) => e.step === 5 && ctrl.abort() });
    expect(rb1.stopped).toBe('cancelled');
    expect(rb1.state.step).toBe(5);
    const rb2 = await train({ ...b.opts, resumeFrom: rb1.state });
    expect(rb2.stopped).toBe('done');
    expect([...rb1.losses, ...rb2.losses]).toEqual([...ra.losses]);
    const wb = await snapshot(b.vars);
    for (const [k, w] of wa) expect(Array.from(wb.get(k)!)).toEqual(Array.from(w));

    // Resume in a fresh optimizer and fresh variables (as from a checkpoint): same result.
    const c = setup(99); // different init, overwritten below
    const w5 = await (async () => {
      const d = setup(3);
      const ctrl2 = new AbortController();
      const r = await train({ ...d.opts, signal: ctrl2.signal, onProgress: (e) => e.step === 5 && ctrl2.abort() });
      const w = await snapshot(d.vars);
      return { r, w, d };
    })();
    for (const [k, v] of c.vars) tf.tidy(() => v.assign(tf.tensor(w5.w.get(k)!, v.shape)));
    const rc = await train({ ...c.opts, resumeFrom: w5.r.state });
    expect([...w5.r.losses, ...rc.losses]).toEqual([...ra.losses]);
    const wc = await snapshot(c.vars);
    for (const [k, w] of wa) expect(Array.from(wc.get(k)!)).toEqual(Array.from(w));

    for (const st of [ra.state, rb1.state, rb2.state, rc.state, w5.r.state]) disposeTrainState(st);
    a.cleanup();
    b.cleanup();
    c.cleanup();
    w5.d.cleanup();
  });

  it('rejects resuming with a different sampler', async () => {
    const s = setup(3);
    const ctrl = new AbortController();
    const r = await train({ ...s.opts, signal: ctrl.signal, onProgress: (e) => e.step === 2 && ctrl.abort() });
    await expect(
      train({ ...s.opts, sampler: { ...s.opts.sampler, seed: 6 }, resumeFrom: r.state }),
    ).rejects.toMatchObject({ code: 'TRAIN_RESUME_MISMATCH' });
    disposeTrainState(r.state);
    s.cleanup();
  });

  it('cancel stops between batches: no further batch is built, weights are those of the last step', async () => {
    const s = setup(4);
    const ctrl = new AbortController();
    let w3: tf.Tensor[] = [];
    const res = await train({
      ...s.opts,
      signal: ctrl.signal,
      onProgress: (e) => {
        if (e.step === 3) {
          w3 = [...s.vars.values()].map((v) => tf.clone(v)); // free snapshot (shares memory until reassigned)
          ctrl.abort();
        }
      },
    });
    expect(res.stopped).toBe('cancelled');
    expect(res.state.step).toBe(3);
    expect(res.losses.length).toBe(3);
    expect(s.batchesMade.length).toBe(3);
    expect(s.opt.iterations).toBe(3);
    const now = [...s.vars.values()];
    for (let i = 0; i < now.length; i++) expect(Array.from(await now[i].data())).toEqual(Array.from(await w3[i].data()));
    tf.dispose(w3);
    disposeTrainState(res.state);

    // A signal aborted before the start runs nothing.
    const before = await snapshot(s.vars);
    const r0 = await train({ ...s.opts, signal: AbortSignal.abort() });
    expect(r0.stopped).toBe('cancelled');
    expect(r0.losses.length).toBe(0);
    expect(await snapshot(s.vars)).toEqual(before);
    disposeTrainState(r0.state);
    s.cleanup();
  });

  it('cancel from another task (a worker message) is seen while training: the loop yields', async () => {
    const s = setup(4, { sampler: { datasetSize: 90, batchSize: 20, epochs: 400, seed: 5 } });
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 30);
    const res = await train({ ...s.opts, signal: ctrl.signal });
    expect(res.stopped).toBe('cancelled');
    expect(res.state.step).toBeGreaterThan(0);
    expect(res.state.step).toBeLessThan(2000);
    disposeTrainState(res.state);
    s.cleanup();
  });

  for (const kind of ['NaN loss', 'non-finite gradient with a finite loss'] as const) {
    it(`${kind} → TrainingDivergedError; the bad step is not applied`, async () => {
      const before = tf.memory().numTensors;
      const s = setup(5);
      const bad = 4; // 0-based step that goes wrong
      let stepNow = 0;
      const clean = s.opts.makeBatch;
      const opts: TrainOptions<Batch> = {
        ...s.opts,
        makeBatch: (idx) => {
          const b = clean(idx);
          if (kind === 'NaN loss' && stepNow === bad) {
            const x = tf.tidy(() => tf.mul(b.x, tf.scalar(Number.NaN)) as tf.Tensor2D);
            b.x.dispose();
            return { x, y: b.y };
          }
          return b;
        },
        lossFn: (b) => {
          const ce = crossEntropy(mlpLogits(s.vars, b.x), b.y);
          if (kind === 'NaN loss' || stepNow !== bad) return ce;
          // sqrt(0·W) = 0 adds nothing to the loss, but its gradient is 0·∞ = NaN.
          return tf.add(ce, tf.sum(tf.sqrt(tf.mul(s.vars.get('fc2.weight')!, 0)))) as tf.Scalar;
        },
      };
      let good: tf.Tensor[] = [];
      const err = await train({
        ...opts,
        onProgress: (e) => {
          stepNow = e.step;
          tf.dispose(good);
          good = [...s.vars.values()].map((v) => tf.clone(v));
        },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrainingDivergedError);
      const de = err as TrainingDivergedError;
      expect(de.code).toBe('TRAINING_DIVERGED');
      expect(de.step).toBe(bad);
      expect(de.losses.length).toBe(bad);
      if (kind === 'NaN loss') expect(Number.isNaN(de.loss)).toBe(true);
      else expect(Number.isFinite(de.loss) && !Number.isFinite(de.gradNorm)).toBe(true);
      // Weights = after step `bad` − 1; the optimizer did not advance.
      const now = [...s.vars.values()];
      for (let i = 0; i < now.length; i++) expect(Array.from(await now[i].data())).toEqual(Array.from(await good[i].data()));
      expect(s.opt.iterations).toBe(bad);
      // and the optimizer state is clean: a resumed step with good data gives finite weights
      const st = s.opt.getState();
      for (const slot of st.slots.values()) {
        for (const x of await slot.m.data()) expect(Number.isFinite(x)).toBe(true);
        for (const x of await slot.v.data()) expect(Number.isFinite(x)).toBe(true);
      }
      tf.dispose(good);
      tf.dispose([...st.slots.values()].flatMap((x) => [x.m, x.v]));
      s.cleanup();
      expect(tf.memory().numTensors).toBe(before); // the error path freed batch, grads and stats
    });
  }

  it('memory: numTensors is flat across steps; afterwards only model + optimizer state remain', async () => {
    const before = tf.memory().numTensors;
    const s = setup(6, { sampler: { datasetSize: 90, batchSize: 20, epochs: 3, seed: 5 } });
    const modelAndState = tf.memory().numTensors;
    expect(modelAndState - before).toBe(4 * 3); // 4 variables + m, v each
    const counts: number[] = [];
    const bytes: number[] = [];
    const res = await train({
      ...s.opts,
      onProgress: () => {
        counts.push(tf.memory().numTensors);
        bytes.push(tf.memory().numBytes);
      },
    });
    expect(counts.length).toBe(15);
    expect(new Set(counts.slice(0, 4)).size).toBe(1); // steps of a full batch
    expect(new Set(counts).size).toBe(1);
    // The last batch of each epoch is smaller: bytes differ there, but are the same per position.
    expect(bytes[0]).toBe(bytes[5]);
    expect(bytes[4]).toBe(bytes[9]);
    expect(tf.memory().numTensors).toBe(modelAndState + 4 * 2); // + the returned state (clones of m, v)
    disposeTrainState(res.state);
    expect(tf.memory().numTensors).toBe(modelAndState);
    s.cleanup();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('validates its configuration with typed errors', async () => {
    const s = setup(7);
    const other = randomMlp(8);
    const cases: Partial<TrainOptions<Batch>>[] = [
      { maxGradNorm: 0 },
      { progressEvery: 0 },
      { sampler: { datasetSize: 10, batchSize: 20, epochs: 1, seed: 1, dropLast: true } },
      { sampler: { datasetSize: 10, batchSize: 0, epochs: 1, seed: 1 } },
      { variables: other },
    ];
    for (const c of cases) await expect(train({ ...s.opts, ...c })).rejects.toBeInstanceOf(TrainConfigError);
    const frozen = new Map([['w', tf.tidy(() => tf.variable(tf.zeros([2]), false))]]);
    const frozenOpt = new AdamW(frozen);
    await expect(train({ ...s.opts, variables: frozen, optimizer: frozenOpt })).rejects.toBeInstanceOf(TrainConfigError);
    expect(s.batchesMade.length).toBe(0);
    frozenOpt.dispose();
    disposeVars(frozen);
    disposeVars(other);
    s.cleanup();
  });
});

describe('gradient accumulation (microBatchSize: the device holds fewer examples than the batch)', () => {
  it('matches torch\'s full-batch run step by step, in chunks of 7 (the last one smaller), descent and ascent', async () => {
    for (const direction of ['descent', 'ascent'] as const) {
      const g = mlpGolden[direction];
      const vars = mlpVars(g.init);
      const X = tf.tensor2d(g.X.data, g.X.shape as [number, number]);
      const Y = tf.tensor1d(g.y, 'int32');
      const opt = new AdamW(vars, { weightDecay: g.config.weightDecay });
      const n = g.X.shape[0];
      expect(n % 7).not.toBe(0); // an uneven last chunk: its loss must weigh less
      const made: number[] = [];
      const gather = gatherBatch(X, Y);
      const events: ProgressEvent[] = [];
      const res = await train({
        variables: vars,
        lossFn: (b: Batch) => crossEntropy(mlpLogits(vars, b.x), b.y),
        sampler: { datasetSize: n, batchSize: n, epochs: g.config.steps, seed: 7 },
        makeBatch: (idx) => (made.push(idx.length), gather(idx)),
        optimizer: opt,
        schedule: cosineSchedule(g.config.baseLr, g.config.warmupSteps),
        maxGradNorm: g.config.maxGradNorm,
        direction,
        microBatchSize: 7,
        onProgress: (ev) => events.push(ev),
      });
      expect(made.slice(0, Math.ceil(n / 7))).toEqual([...Array(Math.floor(n / 7)).fill(7), n % 7]);
      expect(res.losses.length).toBe(g.config.steps); // one optimizer step per batch, as without chunks
      expect(maxRel(res.losses, g.losses), direction).toBeLessThan(1e-5);
      expect(maxRel(events.map((e) => e.gradNorm), g.gradNorms), direction).toBeLessThan(1e-5);
      const fin = await snapshot(vars);
      for (const [k, t] of Object.entries(g.final)) expect(scaledErr(fin.get(k)!, t.data), `${direction} ${k}`).toBeLessThan(2e-6);
      disposeTrainState(res.state);
      opt.dispose();
      tf.dispose([X, Y]);
      disposeVars(vars);
    }
  });

  it('a chunk as large as the batch is the whole batch, bit for bit; numTensors stays flat across accumulated steps', async () => {
    const before = tf.memory().numTensors;
    const { X, Y } = blobs(90, 11);
    const run = async (microBatchSize?: number) => {
      const vars = randomMlp(6);
      const opt = new AdamW(vars, { weightDecay: 0.1 });
      const counts: number[] = [];
      const res = await train({
        variables: vars,
        lossFn: (b: Batch) => crossEntropy(mlpLogits(vars, b.x), b.y),
        sampler: { datasetSize: 90, batchSize: 20, epochs: 3, seed: 5 },
        makeBatch: gatherBatch(X, Y),
        optimizer: opt,
        schedule: cosineSchedule(0.02, 3),
        maxGradNorm: 1,
        microBatchSize,
        onProgress: () => counts.push(tf.memory().numTensors),
      });
      const w = await snapshot(vars);
      disposeTrainState(res.state);
      opt.dispose();
      disposeVars(vars);
      return { losses: [...res.losses], w, counts };
    };
    const whole = await run();
    const same = await run(20);
    expect(same.losses).toEqual(whole.losses);
    for (const [k, w] of whole.w) expect(Array.from(same.w.get(k)!)).toEqual(Array.from(w));
    const chunked = await run(6); // 20 = 6 + 6 + 6 + 2; the epoch's last batch of 10 = 6 + 4
    expect(new Set(chunked.counts).size).toBe(1);
    expect(maxRel(chunked.losses, whole.losses)).toBeLessThan(1e-5);
    for (const [k, w] of whole.w) expect(scaledErr(chunked.w.get(k)!, w), k).toBeLessThan(1e-5);
    tf.dispose([X, Y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a micro-batch that is not a positive whole number', async () => {
    const { X, Y } = blobs(10, 1);
    const vars = randomMlp(1);
    const opt = new AdamW(vars);
    for (const microBatchSize of [0, 2.5, -1]) {
      await expect(train({
        variables: vars, lossFn: (b: Batch) => crossEntropy(mlpLogits(vars, b.x), b.y), sampler: { datasetSize: 10, batchSize: 5, epochs: 1, seed: 1 },
        makeBatch: gatherBatch(X, Y), optimizer: opt, schedule: constantSchedule(0.01), microBatchSize,
      })).rejects.toBeInstanceOf(TrainConfigError);
    }
    opt.dispose();
    disposeVars(vars);
    tf.dispose([X, Y]);
  });
});

describe('sampler', () => {
  it('gives a fresh permutation per epoch, keeps the last partial batch, and is reproducible', () => {
    const plan = planSteps({ datasetSize: 23, batchSize: 5, epochs: 3, seed: 42 });
    expect(plan.stepsPerEpoch).toBe(5);
    expect(plan.totalSteps).toBe(15);
    const epochs = [0, 1, 2].map((e) => {
      const idx = Array.from({ length: 5 }, (_, i) => batchIndices(plan, e * 5 + i));
      expect(idx.map((b) => b.length)).toEqual([5, 5, 5, 5, 3]);
      const all = idx.flatMap((b) => Array.from(b));
      expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
      return all;
    });
    expect(epochs[0]).not.toEqual(epochs[1]);
    expect(epochs[1]).not.toEqual(epochs[2]);
    expect(Array.from(epochOrder(plan, 1))).toEqual(epochs[1]);
    expect(Array.from(batchIndices(plan, 7))).toEqual(Array.from(batchIndices({ ...plan }, 7)));
    const other = planSteps({ datasetSize: 23, batchSize: 5, epochs: 3, seed: 43 });
    expect(Array.from(epochOrder(other, 0))).not.toEqual(epochs[0]);
  });

  it('dropLast drops the partial batch', () => {
    const plan = planSteps({ datasetSize: 23, batchSize: 5, epochs: 2, seed: 1, dropLast: true });
    expect(plan.stepsPerEpoch).toBe(4);
    for (let s = 0; s < plan.totalSteps; s++) expect(batchIndices(plan, s).length).toBe(5);
  });
});
