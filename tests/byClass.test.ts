/**
 * CA by class (src/engine/eval/byClass.ts) and the Results panel's choice of rows (src/app/classRows.ts),
 * on hand-counted cases.
 */
import { describe, expect, it } from 'vitest';
import { accuracyOver, perClassRates, targetBreakdown, type ClassCounts } from '../src/engine/eval/byClass';
import { perClassAccuracy } from '../src/engine/eval/metrics';
import { classRows } from '../src/app/classRows';
import { newRun, summarize } from '../src/app/runs';
import { runCsv } from '../src/app/exporters';
import { defaultExperimentConfig } from '../src/engine/experiment/defaults';

// 3 classes, 10 / 20 / 0 images.
const before: ClassCounts = { correct: [9, 18, 0], total: [10, 20, 0] };
const after: ClassCounts = { correct: [1, 17, 0], total: [10, 20, 0] };

describe('CA by class', () => {
  it('accuracy over all, some, or no classes', () => {
    expect(accuracyOver(before)).toBe(27 / 30);
    expect(accuracyOver(before, (k) => k !== 0)).toBe(18 / 20);
    expect(accuracyOver(before, (k) => k === 2)).toBeNull(); // no image of class 2
    expect(perClassRates(before)).toEqual([0.9, 0.9, null]);
  });

  it('splits CA into the target class and the others, before → after', () => {
    expect(targetBreakdown(before, after, 0)).toEqual({
      target: { before: 0.9, after: 0.1, images: 10 },
      others: { before: 0.9, after: 17 / 20, retained: 17 / 20 / 0.9, images: 20 },
    });
    // overall CA retained 18/27 = 66.7% hides that the other classes kept 94.4%
    expect(accuracyOver(after)! / accuracyOver(before)!).toBeCloseTo(18 / 27, 12);
    expect(targetBreakdown(before, after, 0).others.retained).toBeCloseTo(0.9444, 4);
  });

  it('agrees with the metrics module on predictions', () => {
    const labels = [0, 0, 1, 1, 1, 2];
    const pred = [0, 1, 1, 1, 0, 2];
    const pc = perClassAccuracy(pred, labels, 3);
    const c = { correct: Array.from(pc.correct), total: Array.from(pc.total) };
    expect(c).toEqual({ correct: [1, 2, 1], total: [2, 3, 1] });
    expect(accuracyOver(c)).toBe(4 / 6);
    expect(targetBreakdown(c, c, 1).others).toEqual({ before: 2 / 3, after: 2 / 3, retained: 1, images: 3 });
  });

  it('refuses what is not a before/after pair, or not a count', () => {
    expect(() => targetBreakdown(before, { correct: [1, 17, 0], total: [10, 19, 1] }, 0)).toThrow(/different images/);
    expect(() => targetBreakdown(before, { correct: [1, 17], total: [10, 20] }, 0)).toThrow(/different images/);
    expect(() => targetBreakdown(before, after, 3)).toThrow(/not a class index/);
    expect(() => targetBreakdown({ correct: [11, 0, 0], total: [10, 20, 0] }, after, 0)).toThrow(/11 correct of 10/);
    expect(() => targetBreakdown({ correct: [1, 0], total: [10, 20, 0] }, after, 0)).toThrow(/2 correct counts for 3 classes/);
  });
});

describe('the Results panel rows', () => {
  it('every class with images, in label order, when they fit', () => {
    const { rows, hidden } = classRows({ backdoored: before, cleaned: after }, 0, ['a', 'b', 'c']);
    expect(hidden).toBe(0);
    expect(rows.map((r) => [r.name, r.isTarget, r.before, r.after])).toEqual([
      ['a', true, 0.9, 0.1],
      ['b', false, 0.9, 0.85],
    ]);
  });

  it('many classes: the target first, then those that lost most', () => {
    const n = 20;
    const total = Array(n).fill(10);
    const b = { correct: Array(n).fill(10), total };
    const a = { correct: Array.from({ length: n }, (_, k) => (k === 7 ? 0 : 10 - (k % 5))), total };
    const { rows, hidden } = classRows({ backdoored: b, cleaned: a }, 7, null, 5);
    expect(hidden).toBe(15);
    expect(rows.map((r) => r.cls)).toEqual([7, 4, 9, 14, 19]);
    expect(rows[0].name).toBe('class 7');
  });
});

describe('the runs table', () => {
  it("lists the other classes' CA retained beside the overall one; none without counts, or with counts that do not pair", () => {
    const c = defaultExperimentConfig('sig', 0);
    c.attack.target = 0;
    const r = newRun(c, false, 'wasm', 0);
    const scores = { ca: 0.9, asr: 0.95 };
    r.sweep = { points: [], rule: 'known-trigger', alpha: 1, test: { ca: 0.6, asr: 0 }, backdoored: scores, asrRemoved: 1, caRetained: 0.6 / 0.9, satisfied: true };
    expect(summarize(r).othersRetained).toBeNull(); // a run saved before the counts were kept
    r.sweep.byClass = { backdoored: before, cleaned: after };
    expect(summarize(r).othersRetained).toBe(17 / 20 / 0.9);
    r.sweep.byClass = { backdoored: before, cleaned: { correct: [1, 17, 0], total: [10, 19, 1] } };
    expect(summarize(r).othersRetained).toBeNull();
  });

  it('the sweep CSV has the target class and the other classes as columns when the points have counts', () => {
    const r = newRun(defaultExperimentConfig('sig', 0), false, 'wasm', 0);
    r.config.attack.target = 0;
    r.sweepPoints = [
      { alpha: 0, val: { ca: 0.9, asr: 0.95 }, byClass: before },
      { alpha: 1, val: { ca: 0.6, asr: 0 }, byClass: after },
    ];
    expect(runCsv(r, 'sweep-csv')).toBe(
      'alpha,val_ca,val_asr,selected,val_ca_target_class,val_ca_other_classes\n' + `0,0.9,0.95,false,0.9,0.9\n` + `1,0.6,0,false,0.1,0.85\n`,
    );
    r.sweepPoints = r.sweepPoints.map(({ byClass: _, ...p }) => p);
    expect(runCsv(r, 'sweep-csv').split('\n')[0]).toBe('alpha,val_ca,val_asr,selected');
  });
});
