/** Number formatting for the panels and charts (src/app/format.ts), on known answers. */
import { describe, expect, it } from 'vitest';
import { counted, fmtTick, niceStep, pct, removedText } from '../src/app/format';

describe('fmtTick', () => {
  it('keeps two significant digits below 1, so a near-zero loss axis is not all "0.0"', () => {
    expect([0, 0.0035, 0.004, 0.02, 0.5, 1, 2.25, 10, 123.4].map(fmtTick)).toEqual(['0', '0.0035', '0.004', '0.02', '0.5', '1.0', '2.3', '10', '123']);
  });
});

describe('pct', () => {
  it('formats fractions as percentages', () => {
    expect(pct(0.8972)).toBe('89.7%');
    expect(pct(0.915, 0)).toBe('92%');
  });
});

describe('removedText', () => {
  it('gives the share removed, or says there was nothing to remove (never "100% removed" of a 0% ASR)', () => {
    expect(removedText(0.972, 'the attack')).toBe('97.2% of the attack removed');
    expect(removedText(null, 'the attack')).toBe("nothing to remove: θ_b's ASR is 0%");
    expect(removedText(0.5, 'the backdoor', ' at α = 1')).toBe('50.0% of the backdoor removed at α = 1');
    expect(removedText(null, 'the backdoor', ' at α = 0')).toBe("nothing to remove: θ_b's ASR is 0%");
  });
});

describe('niceStep', () => {
  it('gives the smallest 1/2/5 × 10^k with at most 100 positions', () => {
    expect(niceStep(3)).toBe(0.05); // 60 positions over the default α grid 0…3
    expect(niceStep(1)).toBe(0.01);
    expect(niceStep(20)).toBe(0.2);
    expect(niceStep(7)).toBe(0.1);
    expect(niceStep(0.5)).toBe(0.005);
    expect(niceStep(0)).toBe(0.01);
  });
});

describe('counted', () => {
  it('says "1 epoch" and "4 epochs" (settings summaries showed "1 epochs")', () => {
    expect(counted(1, 'epoch')).toBe('1 epoch');
    expect(counted(4, 'epoch')).toBe('4 epochs');
    expect(counted(0, 'file')).toBe('0 files');
  });
});
