import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ScheduleError, constantLr, constantSchedule, cosineLr, cosineSchedule } from '../src/engine/train/schedule';

/** task_vectors' cosine_lr evaluated in Python (scripts/golden/adamw_golden.py). */
const golden = JSON.parse(readFileSync(new URL('./fixtures/adamw/schedule.json', import.meta.url), 'utf8')) as {
  baseLr: number;
  warmupSteps: number;
  totalSteps: number;
  lrs: number[];
}[];

describe('cosineLr (task_vectors cosine_lr)', () => {
  it('matches the Python reference for every step of several configs', () => {
    for (const g of golden) {
      g.lrs.forEach((ref, s) => {
        const lr = cosineLr(s, g);
        // A few float64 ulps: numpy.cos and Math.cos may differ in the last bit.
        expect(Math.abs(lr - ref)).toBeLessThanOrEqual(1e-13 * ref);
      });
    }
  });

  it('has the known values', () => {
    const cfg = { baseLr: 1e-3, warmupSteps: 10, totalSteps: 110 };
    expect(cosineLr(0, cfg)).toBeCloseTo(1e-4, 15); // (0+1)/10 · base: the first step is not 0
    expect(cosineLr(4, cfg)).toBeCloseTo(5e-4, 15);
    expect(cosineLr(9, cfg)).toBeCloseTo(1e-3, 15); // end of warmup = base
    expect(cosineLr(10, cfg)).toBe(1e-3); // cos(0) = 1
    expect(cosineLr(60, cfg)).toBeCloseTo(5e-4, 15); // half-way through the cosine
    expect(cosineLr(35, cfg)).toBeCloseTo(0.5 * (1 + Math.SQRT1_2) * 1e-3, 15); // a quarter: cos(π/4)
    expect(cosineLr(109, cfg)).toBeCloseTo(0.5 * (1 + Math.cos((Math.PI * 99) / 100)) * 1e-3, 15);
    // No warmup: starts at base.
    expect(cosineLr(0, { baseLr: 2, warmupSteps: 0, totalSteps: 4 })).toBe(2);
    expect(cosineLr(2, { baseLr: 2, warmupSteps: 0, totalSteps: 4 })).toBeCloseTo(1, 15);
    // Warmup longer than the run (the paper's TBAR forget-set runs): a linear ramp that never peaks.
    const short = { baseLr: 1e-5, warmupSteps: 500, totalSteps: 96 };
    expect(cosineLr(95, short)).toBeCloseTo((96 / 500) * 1e-5, 20);
  });

  it('is monotone: up during warmup, down after', () => {
    const cfg = { baseLr: 1, warmupSteps: 20, totalSteps: 200 };
    for (let s = 1; s < 200; s++) {
      const d = cosineLr(s, cfg) - cosineLr(s - 1, cfg);
      if (s < 20) expect(d).toBeGreaterThan(0);
      else expect(d).toBeLessThanOrEqual(0);
    }
  });

  it('rejects invalid steps and configs with ScheduleError', () => {
    const cfg = { baseLr: 1, warmupSteps: 2, totalSteps: 5 };
    for (const bad of [-1, 5, 1.5, Number.NaN]) expect(() => cosineLr(bad, cfg)).toThrow(ScheduleError);
    expect(() => cosineLr(0, { ...cfg, totalSteps: 0 })).toThrow(ScheduleError);
    expect(() => cosineLr(0, { ...cfg, warmupSteps: -1 })).toThrow(ScheduleError);
    expect(() => cosineLr(0, { ...cfg, baseLr: Number.POSITIVE_INFINITY })).toThrow(ScheduleError);
  });

  it('schedule factories feed the loop the same numbers', () => {
    const s = cosineSchedule(0.1, 3);
    for (let i = 0; i < 12; i++) expect(s(i, 12)).toBe(cosineLr(i, { baseLr: 0.1, warmupSteps: 3, totalSteps: 12 }));
    expect(constantSchedule(0.25)(7, 8)).toBe(0.25);
    expect(constantLr(0, { lr: 3, totalSteps: 1 })).toBe(3);
    expect(() => constantLr(1, { lr: 3, totalSteps: 1 })).toThrow(ScheduleError);
  });
});
