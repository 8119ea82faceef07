/**
 * SIG backdoor on the micro CLIP + shapes, then TBAR (one file per trigger so Vitest runs them in
 * parallel). Floors that catch a broken implementation (issue #5): the attack reaches ASR ≥ 90% with
 * clean accuracy within 3 points of clean fine-tuning; TBAR removes ≥ 90% of the ASR and retains ≥ 85%
 * of the backdoored CA (the paper reaches ≥ 98% removed with ≈ 96% retained).
 * Measured (tbarTestConfig: 20,000 train, forget 2000, seed 0): θ_b CA 96.1 / ASR 99.9 (clean FT 96.3);
 * α 1.1 → CA 92.1 / ASR 1.8: 98.2% removed, 95.8% retained — the target class 97.0 → 76.0%, the other nine
 * classes 96.0 → 93.9% (97.8% retained).
 */
import { describe, expect, it } from 'vitest';
import { runTbarCase, tbarTestConfig } from './util/tbarCase';

describe('TBAR against SIG (micro CLIP, shapes)', () => {
  it('backdoors, then removes the backdoor', async () => {
    const r = await runTbarCase(tbarTestConfig('sig'));
    expect(r.attack.test.asr).toBeGreaterThanOrEqual(0.9);
    expect(Math.abs(r.attack.test.ca - r.attack.cleanTest!.ca)).toBeLessThanOrEqual(0.03);
    expect(r.sweep.asrRemoved).toBeGreaterThanOrEqual(0.9);
    expect(r.sweep.caRetained).toBeGreaterThanOrEqual(0.85);
  });
});
