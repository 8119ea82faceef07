/**
 * Weight disentanglement on the micro CLIP (TBAR paper §5.1, Figure 2): after a SIG attack and TBAR,
 * ξ(α_c, α_t) of eq. 2 over [−2, 2]² (5×5 → 9×9 → 17×17) is low at and around (0, 0) — the bright
 * centre of Figure 2 — and higher at the far corners. (Known-answer tests of eq. 2 on a hand-built
 * case: disentanglement.unit.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { ExperimentSession } from '../src/engine/experiment/session';
import { alphaGrid, defaultExperimentConfig } from '../src/engine/experiment/defaults';
import type { XiCell } from '../src/engine/experiment/results';
import { nodeFileSource } from './util/nodeFiles';
import { stageTimer } from './util/stageTimer';

describe('ξ(α_c, α_t) on the micro CLIP (SIG)', () => {
  it('is low at and around the centre and higher at the corners', async () => {
    const c = defaultExperimentConfig('sig', 1);
    c.splits = { train: 2000, val: 300, test: 300, forget: 300 };
    c.sweep.alphas = alphaGrid(3, 0.25);
    c.disentangle = { range: 2, levels: [5, 9, 17], samples: 64 };
    const s = new ExperimentSession({ files: nodeFileSource() });
    const t: Record<string, number> = {};
    const time = stageTimer(t);
    try {
      await s.loadModel(c);
      await s.loadData(c);
      const a = await time('attack', () => s.attack(c, false));
      await time('tbar', () => s.tbar(c, {}, { perEpoch: false }));
      const sw = await time('sweep', () => s.sweep(c));
      const partial: XiCell[] = [];
      const d = await time('xi', () => s.disentangle(c, { partial: (x) => partial.push(x) }));
      expect(partial.length).toBe(289);
      expect(d.size).toBe(17);
      const at = (ac: number, at_: number) => d.cells.find((x) => Math.abs(x.alphaC - ac) < 1e-9 && Math.abs(x.alphaT - at_) < 1e-9)!;
      const centre = d.cells.filter((x) => Math.abs(x.alphaC) <= 0.5 && Math.abs(x.alphaT) <= 0.5);
      const corners = [at(-2, -2), at(-2, 2), at(2, -2), at(2, 2)];
      const mean = (xs: XiCell[]) => xs.reduce((s_, x) => s_ + x.xi, 0) / xs.length;
      const rows: string[] = [];
      for (let r = 0; r < d.size; r += 2) rows.push(d.cells.slice(r * d.size, (r + 1) * d.size).filter((_, k) => k % 2 === 0).map((x) => x.xi.toFixed(2)).join(' '));
      console.log(
        `backdoored CA ${a.test.ca.toFixed(3)} ASR ${a.test.asr.toFixed(3)}; α* = ${d.alphaStar} (exact ${d.alphaStarExact}); sweep α ${sw.alpha}\n` +
          `ξ(0,0) ${at(0, 0).xi}; centre (|α| ≤ 0.5, ${centre.length} cells) mean ${mean(centre).toFixed(3)} max ${Math.max(...centre.map((x) => x.xi)).toFixed(3)}; ` +
          `corners ${corners.map((x) => x.xi.toFixed(3)).join(' ')} mean ${mean(corners).toFixed(3)}; ξ(1,1) ${at(1, 1).xi.toFixed(3)}\n` +
          `ξ on the 9×9 sub-grid (rows α_t = 2 … −2, columns α_c = −2 … 2):\n${rows.join('\n')}\nseconds ${JSON.stringify(t)}`,
      );
      expect(d.alphaStarExact).toBe(true);
      expect(at(0, 0).xi).toBe(0);
      expect(mean(centre)).toBeLessThanOrEqual(0.15);
      expect(mean(corners)).toBeGreaterThanOrEqual(0.3);
      expect(Math.min(...corners.map((x) => x.xi))).toBeGreaterThan(mean(centre));
    } finally {
      s.dispose();
    }
  });
});
