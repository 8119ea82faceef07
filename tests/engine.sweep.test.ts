/**
 * The α-selection rules on synthetic sweeps with known answers: known trigger (best CA with
 * ASR ≤ threshold), attack-agnostic (§6: window of 10 steps after the proxy ASR reaches 0, early stop
 * below 90% of the backdoored CA), and the streaming sweep stopping where the rule decides.
 */
import { describe, expect, it } from 'vitest';
import type { SweepPoint } from '../src/engine/experiment/results';
import { coarseGrid, removalFigures, ruleAsr, runSweep, scanAgnostic, selectAgnostic, selectKnownTrigger } from '../src/engine/arithmetic/sweep';

const pts = (rows: [number, number, number][]): SweepPoint[] => rows.map(([alpha, ca, asr]) => ({ alpha, val: { ca, asr } }));

describe('known-trigger rule', () => {
  it('picks the best CA among points with ASR ≤ threshold', () => {
    const p = pts([
      [0, 0.9, 0.99],
      [0.5, 0.89, 0.4],
      [1, 0.87, 0.01],
      [1.5, 0.88, 0.0], // best CA with ASR ≤ 0.01
      [2, 0.8, 0.0],
    ]);
    expect(selectKnownTrigger(p, 0.01)).toEqual({ index: 3, alpha: 1.5, satisfied: true });
    expect(selectKnownTrigger(p, 0.5)).toEqual({ index: 1, alpha: 0.5, satisfied: true });
  });

  it('ties go to the smaller α; nothing under the threshold → lowest ASR, unsatisfied', () => {
    expect(selectKnownTrigger(pts([[0, 0.9, 0.9], [1, 0.85, 0], [2, 0.85, 0]]), 0)).toEqual({ index: 1, alpha: 1, satisfied: true });
    expect(selectKnownTrigger(pts([[0, 0.9, 0.9], [1, 0.85, 0.2], [2, 0.8, 0.1], [3, 0.7, 0.1]]), 0.01)).toEqual({ index: 2, alpha: 2, satisfied: false });
  });
});

describe('attack-agnostic rule (§6)', () => {
  // CA slowly decays, ASR reaches 0 at index 3.
  const grid = (n: number, caAt: (i: number) => number, asrAt: (i: number) => number) => pts(Array.from({ length: n }, (_, i) => [i / 10, caAt(i), asrAt(i)] as [number, number, number]));
  const asr = (i: number) => (i < 3 ? 0.9 - 0.3 * i : i === 5 ? 0.02 : 0); // 0 at 3, blips at 5, 0 after

  it('continues `window` steps after the ASR first reaches 0 and takes that α', () => {
    const p = grid(30, (i) => 0.9 - 0.001 * i, asr);
    expect(selectAgnostic(p, 0.9, 10)).toEqual({ index: 13, alpha: 1.3, satisfied: true });
    expect(scanAgnostic(p.slice(0, 13), 0.9, 10).stop).toBeNull(); // not decided before step 13
    expect(scanAgnostic(p.slice(0, 14), 0.9, 10).stop).toBe('window');
    expect(selectAgnostic(p, 0.9, 0)).toEqual({ index: 3, alpha: 0.3, satisfied: true });
  });

  it('stops early when CA falls below caFloor · CA(θ_b) and takes the last α before', () => {
    // CA(θ_b) = 0.9, floor 0.81: CA drops below at index 8.
    const p = grid(30, (i) => (i < 8 ? 0.9 - 0.01 * i : 0.7), asr);
    expect(selectAgnostic(p, 0.9, 10)).toEqual({ index: 7, alpha: 0.7, satisfied: true });
    expect(scanAgnostic(p.slice(0, 9), 0.9, 10)).toMatchObject({ stop: 'ca-floor', zeroAt: 3 });
  });

  it('CA falling before the ASR reaches 0 → unsatisfied, the lowest ASR walked', () => {
    const p = grid(30, (i) => (i < 2 ? 0.9 : 0.5), asr); // stops at index 2, before ASR = 0
    expect(selectAgnostic(p, 0.9, 10)).toEqual({ index: 1, alpha: 0.1, satisfied: false });
  });

  it('the grid ending first → its last α (satisfied iff the ASR reached 0)', () => {
    expect(selectAgnostic(grid(8, () => 0.9, asr), 0.9, 10)).toEqual({ index: 7, alpha: 0.7, satisfied: true });
    expect(selectAgnostic(grid(8, () => 0.9, () => 0.3), 0.9, 10)).toEqual({ index: 0, alpha: 0, satisfied: false });
  });

  it('an explicit backdoored CA sets the floor', () => {
    const p = grid(30, (i) => 0.9 - 0.01 * i, asr);
    // floor 0.9·0.95 = 0.855: CA(i) < 0.855 from i = 5 on
    expect(selectAgnostic(p, 0.9, 10, 0.95)).toEqual({ index: 4, alpha: 0.4, satisfied: true });
  });
});

describe('streaming sweep', () => {
  it('evaluates every α under the known-trigger rule, and stops once the agnostic rule decides', async () => {
    const alphas = Array.from({ length: 31 }, (_, i) => i / 10);
    const score = (a: number) => ({ ca: 0.9 - 0.001 * a, asr: a < 0.35 ? 0.5 : 0 });
    const seenKnown: number[] = [];
    const known = await runSweep({ alphas, rule: 'known-trigger', asrThreshold: 0.01, caFloor: 0.9, window: 10, evaluate: async (a) => score(a), onPoint: (p) => seenKnown.push(p.alpha) });
    expect(seenKnown).toEqual(alphas);
    expect(known.selection).toEqual({ index: 4, alpha: 0.4, satisfied: true });
    const seen: number[] = [];
    const agn = await runSweep({ alphas, rule: 'agnostic', asrThreshold: 0.01, caFloor: 0.9, window: 10, evaluate: async (a) => score(a), onPoint: (p) => seen.push(p.alpha) });
    expect(seen).toEqual(alphas.slice(0, 15)); // ASR = 0 from index 4, window 10 → stops after index 14
    expect(agn).toMatchObject({ stop: 'window', selection: { index: 14, alpha: 1.4, satisfied: true } });
  });

  it('is cancellable between points', async () => {
    const ac = new AbortController();
    const p = runSweep({ alphas: [0, 1, 2, 3], rule: 'known-trigger', asrThreshold: 0, caFloor: 0.9, window: 10, signal: ac.signal, evaluate: async () => ({ ca: 1, asr: 1 }), onPoint: (_, i) => i === 1 && ac.abort() });
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
  });
});

describe('figures', () => {
  it('asrRemoved = 1 − after/before, caRetained = after/before; coarse grids keep both ends', () => {
    expect(removalFigures({ ca: 0.8, asr: 0.9 }, { ca: 0.76, asr: 0.009 })).toEqual({ asrRemoved: 1 - 0.009 / 0.9, caRetained: 0.76 / 0.8 });
    // θ_b's ASR 0 (the backdoor did not take): there is nothing to remove, not "100% removed".
    expect(removalFigures({ ca: 0.8, asr: 0 }, { ca: 0.8, asr: 0 })).toEqual({ asrRemoved: null, caRetained: 1 });
    expect(removalFigures({ ca: 0, asr: 0.5 }, { ca: 0, asr: 0 })).toEqual({ asrRemoved: 1, caRetained: null });
    expect(coarseGrid([0, 1, 2, 3], 6)).toEqual([0, 1, 2, 3]);
    expect(coarseGrid(Array.from({ length: 31 }, (_, i) => i / 10), 6)).toEqual([0, 0.6, 1.2, 1.8, 2.4, 3]);
  });
});

describe('TBAR+DECREE: the rules read the proxy ASR (§6)', () => {
  // The true ASR never reaches 0 on this grid; the inverted stamp's (proxy) ASR does at α = 0.3.
  const p: SweepPoint[] = Array.from({ length: 12 }, (_, i) => ({
    alpha: i / 10,
    val: { ca: 0.9 - 0.001 * i, asr: 0.5 - 0.02 * i },
    proxyAsr: i < 3 ? 0.9 - 0.3 * i : 0,
  }));

  it('decides on proxyAsr when a point has one, on the validation ASR otherwise', () => {
    expect(ruleAsr(p[3])).toBe(0);
    expect(ruleAsr({ alpha: 0, val: { ca: 1, asr: 0.4 } })).toBe(0.4);
    expect(selectAgnostic(p, 0.9, 5)).toEqual({ index: 8, alpha: 0.8, satisfied: true });
    expect(selectKnownTrigger(p, 0.01)).toEqual({ index: 3, alpha: 0.3, satisfied: true });
    const trueOnly = p.map(({ alpha, val }) => ({ alpha, val }));
    expect(selectAgnostic(trueOnly, 0.9, 5)).toMatchObject({ alpha: 1.1, satisfied: false });
  });

  it('the streaming sweep keeps each point\'s proxy ASR and stops where the proxy rule decides', async () => {
    const seen: number[] = [];
    const run = await runSweep({
      alphas: p.map((x) => x.alpha),
      rule: 'agnostic',
      asrThreshold: 0.01,
      caFloor: 0.9,
      window: 5,
      evaluate: async (a) => {
        seen.push(a);
        const q = p.find((x) => x.alpha === a)!;
        return { ...q.val, proxyAsr: q.proxyAsr };
      },
    });
    expect(run.selection).toEqual({ index: 8, alpha: 0.8, satisfied: true });
    expect(seen.length).toBe(9);
    expect(run.points[4]).toEqual(p[4]);
  });
});
