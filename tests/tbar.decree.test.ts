/**
 * TBAR+DECREE on the micro CLIP (TBAR paper §6): the lab does not tell the defence which trigger the
 * attack used. DECREE inverts a stamp from θ_b on the forget split's clean images, the probe / logit
 * shift names the class it steers to, TBAR fine-tunes on the stamped images labelled with that class,
 * and the attack-agnostic rule picks α from the stamp's (proxy) ASR. Checked against the true attack:
 *   - the inferred target is the attack's target;
 *   - θ_b admits a smaller stamp than θ_pre (DECREE's detection signal; appendix A.3.5, Table 6);
 *   - TBAR on the inverted stamp removes ≥ 85% of the TRUE attack's ASR and keeps ≥ 85% of CA.
 * The removal floor is below the known-trigger tests' 90%: the §6 rule stops raising α when validation
 * CA falls under 90% of θ_b's, and the inverted stamp is unlearned (proxy ASR 0) before the real
 * trigger is. Measured here: 89.7% removed / 91.5% retained (seed 0, this config); seed 1: 98.5% /
 * 91.6%. A broken inversion (a stamp unrelated to the backdoor) removes next to nothing.
 */
import { describe, expect, it } from 'vitest';
import { ExperimentSession } from '../src/engine/experiment/session';
import { MICRO_DECREE } from '../src/engine/experiment/defaults';
import { tbarTestConfig } from './util/tbarCase';
import { nodeFileSource } from './util/nodeFiles';

describe('TBAR+DECREE against SIG (micro CLIP, shapes, attack unknown to the defence)', () => {
  it('inverts the trigger, finds the target, and removes the backdoor with the agnostic rule', async () => {
    const c = tbarTestConfig('sig', 'quick');
    c.sweep.rule = 'agnostic';
    c.forget = { trigger: 'decree', decree: { ...MICRO_DECREE, images: c.splits.forget } };
    const s = new ExperimentSession({ files: nodeFileSource() });
    try {
      await s.loadModel(c);
      await s.loadData(c);
      const t0 = performance.now();
      const a = await s.attack(c, false);
      const t1 = performance.now();
      const d = await s.decree(c);
      const t2 = performance.now();
      await s.tbar(c, {}, { perEpoch: false });
      const sw = await s.sweep(c);
      const t3 = performance.now();
      const pct = (x: number | null) => (x === null ? '—' : (100 * x).toFixed(1));
      console.log(
        `SIG θ_b CA ${pct(a.test.ca)} ASR ${pct(a.test.asr)}; DECREE PL1 θ_b ${pct(d.backdoored.pl1)}% vs θ_pre ${pct(d.clean!.pl1)}% ` +
          `(similarity ${d.backdoored.similarity.toFixed(3)} / ${d.clean!.similarity.toFixed(3)}); target ${d.inference.target} by ${d.inference.rule} ` +
          `(probe ${d.inference.probe.join(',')})\n` +
          `sweep (α: CA / true ASR / proxy ASR): ${sw.points.map((p) => `${p.alpha}: ${pct(p.val.ca)}/${pct(p.val.asr)}/${pct(p.proxyAsr!)}`).join('  ')}\n` +
          `agnostic α ${sw.alpha} (satisfied ${sw.satisfied}): test CA ${pct(sw.test.ca)} ASR ${pct(sw.test.asr)}; removed ${pct(sw.asrRemoved)}% retained ${pct(sw.caRetained)}%; ` +
          `seconds attack ${((t1 - t0) / 1000).toFixed(1)} decree ${((t2 - t1) / 1000).toFixed(1)} tbar+sweep ${((t3 - t2) / 1000).toFixed(1)}`,
      );
      expect(a.test.asr).toBeGreaterThanOrEqual(0.9);
      expect(d.inference.target).toBe(c.attack.target);
      expect(d.backdoored.reachedThreshold).toBe(true);
      expect(d.backdoored.pl1).toBeLessThan(d.clean!.pl1);
      expect(sw.points.every((p) => typeof p.proxyAsr === 'number')).toBe(true);
      expect(sw.asrRemoved).toBeGreaterThanOrEqual(0.85);
      expect(sw.caRetained).toBeGreaterThanOrEqual(0.85);
    } finally {
      s.dispose();
    }
  });
});
