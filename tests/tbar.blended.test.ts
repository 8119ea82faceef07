/**
 * Blended backdoor on the micro CLIP + shapes, then TBAR (one file per trigger so Vitest runs them in
 * parallel). Floors that catch a broken implementation (issue #5): the attack reaches ASR ≥ 90% with
 * clean accuracy within 3 points of clean fine-tuning; TBAR removes ≥ 90% of the ASR and retains ≥ 85%
 * of the backdoored CA (the paper reaches ≥ 98% removed with ≈ 96% retained).
 * Measured (tbarTestConfig: 20,000 train, forget 2000, seed 0): θ_b CA 96.0 / ASR 92.4 (clean FT 96.3);
 * α 0.9 → CA 82.5 / ASR 2.1: 97.7% removed, 85.9% retained — the target class 96.0 → 6.0%, the other nine
 * classes 96.0 → 91.0% (94.8% retained). With the lab's default 2000 training images
 * (60 poisoned) Blended does not take on this tower (ASR 3.0%).
 */
import { describe, expect, it } from 'vitest';
import { runTbarCase, tbarTestConfig } from './util/tbarCase';

describe('TBAR against Blended (micro CLIP, shapes)', () => {
  it('backdoors, then removes the backdoor', async () => {
    const r = await runTbarCase(tbarTestConfig('blended'));
    expect(r.attack.test.asr).toBeGreaterThanOrEqual(0.9);
    expect(Math.abs(r.attack.test.ca - r.attack.cleanTest!.ca)).toBeLessThanOrEqual(0.03);
    expect(r.sweep.asrRemoved).toBeGreaterThanOrEqual(0.9);
    expect(r.sweep.caRetained).toBeGreaterThanOrEqual(0.85);
  });
});
