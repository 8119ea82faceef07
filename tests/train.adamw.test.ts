import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { AdamW, OptimizerError, disposeAdamWState } from '../src/engine/train/adamw';
import { clipCoefficient } from '../src/engine/train/loop';
import { cosineLr } from '../src/engine/train/schedule';

/** torch.optim.AdamW (torch 1.13, foreach=False) reference from scripts/golden/adamw_golden.py. */
interface TJ { shape: number[]; data: number[] }
interface GoldenStep {
  lr: number;
  grads: Record<string, number[] | null>;
  totalNorm: number | null;
  params: Record<string, number[]>;
  expAvg: Record<string, number[]>;
  expAvgSq: Record<string, number[]>;
  stepCount: Record<string, number>;
}
interface GoldenRun {
  config: { betas: [number, number]; eps: number; weightDecay: number; baseLr: number; warmupSteps: number; totalSteps: number; maxGradNorm: number | null };
  init: Record<string, TJ>;
  steps: GoldenStep[];
}
const golden = JSON.parse(readFileSync(new URL('./fixtures/adamw/steps.json', import.meta.url), 'utf8')) as { plain: GoldenRun; clipped: GoldenRun };

/** max over elements of |a − b| / |b| (b ≠ 0 in these fixtures except where a == b == 0). */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d === 0) continue;
    worst = Math.max(worst, d / Math.abs(b[i]));
  }
  return worst;
}
/** ‖a − b‖ / ‖b‖. */
function normRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function makeVars(run: GoldenRun): Map<string, tf.Variable> {
  const vars = new Map<string, tf.Variable>();
  // tidy frees the initial-value tensors (variables survive tidy).
  for (const [k, t] of Object.entries(run.init)) vars.set(k, tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape), true)));
  return vars;
}

async function runGolden(run: GoldenRun, clip: boolean) {
  const vars = makeVars(run);
  const { betas, eps, weightDecay, baseLr, warmupSteps, totalSteps } = run.config;
  const opt = new AdamW(vars, { betas, eps, weightDecay });
  let worstParam = 0;
  let worstDelta = 0;
  let worstMoment = 0;
  for (const [s, gs] of run.steps.entries()) {
    const lr = cosineLr(s, { baseLr, warmupSteps, totalSteps });
    expect(Math.abs(lr - gs.lr)).toBeLessThanOrEqual(1e-13 * gs.lr);
    const grads = new Map<string, tf.Tensor>();
    let sq = 0;
    for (const [k, g] of Object.entries(gs.grads)) {
      if (g === null) continue;
      grads.set(k, tf.tensor(g, run.init[k].shape));
      for (const x of g) sq += x * x;
    }
    let gradScale = 1;
    if (clip) {
      const norm = Math.sqrt(sq);
      expect(Math.abs(norm - gs.totalNorm!) / gs.totalNorm!).toBeLessThan(1e-6);
      gradScale = clipCoefficient(norm, run.config.maxGradNorm!);
      expect(gradScale).toBeLessThan(1); // the fixture's gradients are large: clipping is active
    }
    opt.step(grads, lr, { gradScale });
    tf.dispose([...grads.values()]);
    const state = opt.getState();
    for (const [k, v] of vars) {
      const p = await v.data();
      worstParam = Math.max(worstParam, maxRel(p, gs.params[k]));
      const p0 = run.init[k].data;
      worstDelta = Math.max(worstDelta, normRel(Array.from(p, (x, i) => x - p0[i]), gs.params[k].map((x, i) => x - p0[i])));
      const st = state.slots.get(k)!;
      expect(st.step).toBe(gs.stepCount[k]);
      worstMoment = Math.max(worstMoment, normRel(await st.m.data(), gs.expAvg[k]), normRel(await st.v.data(), gs.expAvgSq[k]));
    }
    disposeAdamWState(state);
  }
  opt.dispose();
  tf.dispose([...vars.values()]);
  if (process.env.TBAR_VERBOSE) console.log({ worstParam, worstDelta, worstMoment });
  return { worstParam, worstDelta, worstMoment };
}

describe('AdamW against torch.optim.AdamW', () => {
  it('matches torch step by step (cosine warmup lr, weight decay 0.1, a skipped variable, eps-dominated grads)', async () => {
    const r = await runGolden(golden.plain, false);
    expect(r.worstParam).toBeLessThan(1e-6);
    // The parameter *changes* too (so the test is not passed by parameters that barely move).
    expect(r.worstDelta).toBeLessThan(1e-5);
    expect(r.worstMoment).toBeLessThan(1e-6);
  });

  it('matches torch with clip_grad_norm_(1.0) folded in as gradScale', async () => {
    const r = await runGolden(golden.clipped, true);
    expect(r.worstParam).toBeLessThan(1e-6);
    expect(r.worstDelta).toBeLessThan(1e-5);
    expect(r.worstMoment).toBeLessThan(1e-5);
  });

  it('moves the weights (sanity: the golden is not a no-op)', () => {
    const run = golden.plain;
    const last = run.steps[run.steps.length - 1].params.w;
    expect(normRel(last, run.init.w.data)).toBeGreaterThan(1e-2);
  });

  it('getState/setState restore the run exactly, and snapshots are independent of later steps', async () => {
    const run = golden.plain;
    const vars = makeVars(run);
    const opt = new AdamW(vars, { weightDecay: 0.1 });
    const gradsAt = (s: number) => {
      const m = new Map<string, tf.Tensor>();
      for (const [k, g] of Object.entries(run.steps[s].grads)) if (g) m.set(k, tf.tensor(g, run.init[k].shape));
      return m;
    };
    const stepAt = (s: number) => {
      const g = gradsAt(s);
      opt.step(g, 0.01 * (s + 1));
      tf.dispose([...g.values()]);
    };
    for (let s = 0; s < 3; s++) stepAt(s);
    const snap = opt.getState();
    const snapM = Array.from(await snap.slots.get('w')!.m.data());
    const weightsAt3 = new Map<string, Float32Array>();
    for (const [k, v] of vars) weightsAt3.set(k, (await v.data()) as Float32Array);
    for (let s = 3; s < 6; s++) stepAt(s);
    const after6 = new Map<string, Float32Array>();
    for (const [k, v] of vars) after6.set(k, (await v.data()) as Float32Array);
    expect(Array.from(await snap.slots.get('w')!.m.data())).toEqual(snapM); // snapshot untouched by steps 3..5
    expect(snap.step).toBe(3);
    // Rewind weights and optimizer to step 3 and replay.
    for (const [k, v] of vars) tf.tidy(() => v.assign(tf.tensor(weightsAt3.get(k)!, v.shape)));
    opt.setState(snap);
    expect(opt.iterations).toBe(3);
    for (let s = 3; s < 6; s++) stepAt(s);
    for (const [k, v] of vars) expect(Array.from(await v.data())).toEqual(Array.from(after6.get(k)!));
    disposeAdamWState(snap);
    opt.dispose();
    tf.dispose([...vars.values()]);
  });

  it('rejects bad gradients and bad states with typed errors, without applying anything', async () => {
    const vars = makeVars(golden.plain);
    const opt = new AdamW(vars);
    const before = Array.from(await vars.get('w')!.data());
    const good = tf.zeros([3, 4]);
    const bad = tf.zeros([4, 3]);
    const expectCode = (f: () => void, code: string) => {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(OptimizerError);
        expect((e as OptimizerError).code).toBe(code);
      }
    };
    expectCode(() => opt.step(new Map([['w', good], ['b', bad]]), 0.1), 'OPTIMIZER_GRADS');
    expectCode(() => opt.step(new Map([['w', good], ['nope', good]]), 0.1), 'OPTIMIZER_GRADS');
    expectCode(() => opt.step({ w: good }, Number.NaN), 'OPTIMIZER_CONFIG');
    expect(Array.from(await vars.get('w')!.data())).toEqual(before);
    expect(opt.iterations).toBe(0);
    const st = opt.getState();
    st.slots.delete('b');
    expectCode(() => opt.setState(st), 'OPTIMIZER_STATE');
    disposeAdamWState(st);
    expect(() => new AdamW(vars, { betas: [1, 0.999] })).toThrow(OptimizerError);
    opt.dispose();
    expectCode(() => opt.step({ w: good }, 0.1), 'OPTIMIZER_DISPOSED');
    tf.dispose([good, bad, ...vars.values()]);
  });

  it('keeps tf.memory() flat across steps and frees its state on dispose', () => {
    const before = tf.memory().numTensors;
    const vars = makeVars(golden.plain);
    const opt = new AdamW(vars, { weightDecay: 0.1 });
    const grads = new Map([...vars].map(([k, v]) => [k, tf.onesLike(v)] as [string, tf.Tensor]));
    opt.step(grads, 0.01);
    const after1 = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.step(grads, 0.01, { gradScale: 0.5 });
    expect(tf.memory().numTensors).toBe(after1);
    // model (4) + grads (4) + m, v (8)
    expect(after1 - before).toBe(16);
    opt.dispose();
    tf.dispose([...grads.values(), ...vars.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
