/**
 * The ξ heatmap's cell inspector (session.xiCellSamples) on the micro CLIP after a short SIG attack:
 * image by image, the merged model θ_pre + α_c τ̂_c + α_t τ_t against each single-task model. Known
 * answer: over all of ξ's images, the share of images where merged and single-task predictions differ
 * is exactly the cell's clean / triggered term from session.disentangle (eq. 2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { ExperimentSession } from '../src/engine/experiment/session';
import { defaultExperimentConfig } from '../src/engine/experiment/defaults';
import { disagreement } from '../src/engine/arithmetic/disentanglement';
import type { DisentangleResult } from '../src/engine/experiment/results';
import { nodeFileSource } from './util/nodeFiles';

function config() {
  const c = defaultExperimentConfig('sig', 2);
  c.splits = { train: 600, val: 48, test: 48, forget: 128 };
  c.attack = { ...c.attack, epochs: 2, poisonRate: 0.1 };
  c.tbar = { ...c.tbar, epochs: 2 };
  c.sweep.alphas = [0, 1, 2, 3];
  c.disentangle = { range: 3, levels: [3, 5], samples: 48 };
  return c;
}

describe('ξ cell inspector (micro CLIP, SIG)', () => {
  const c = config();
  let s: ExperimentSession;
  let d: DisentangleResult;
  beforeAll(async () => {
    s = new ExperimentSession({ files: nodeFileSource() });
    await s.loadModel(c);
    await s.loadData(c);
    await s.attack(c, false);
    await s.tbar(c, {}, { perEpoch: false });
    await expect(s.xiCellSamples(c, 1, 1, 4)).rejects.toMatchObject({ code: 'stale-stage', message: expect.stringMatching(/sweep/) });
    await s.sweep(c);
    d = await s.disentangle(c);
  });
  afterAll(() => s.dispose());

  it("reproduces every cell's clean and triggered terms from its per-image predictions", async () => {
    const n = c.disentangle.samples;
    const nonZero = { clean: 0, triggered: 0 };
    for (const cell of d.cells) {
      const x = await s.xiCellSamples(c, cell.alphaC, cell.alphaT, n);
      expect([x.alphaC, x.alphaT, x.alphaStar]).toEqual([cell.alphaC, cell.alphaT, d.alphaStar]);
      expect([x.cleanMerged.length, x.cleanSingle.length, x.triggeredMerged.length, x.triggeredSingle.length, x.clean.count]).toEqual([n, n, n, n, n]);
      expect(disagreement(x.cleanSingle, x.cleanMerged)).toBe(cell.clean);
      expect(disagreement(x.triggeredSingle, x.triggeredMerged)).toBe(cell.triggered);
      if (cell.clean > 0) nonZero.clean++;
      if (cell.triggered > 0) nonZero.triggered++;
    }
    // The check has teeth: on this backdoored model many cells have terms above 0.
    console.log(`${d.cells.length} cells; terms above 0: ${JSON.stringify(nonZero)}`);
    expect(nonZero.clean).toBeGreaterThanOrEqual(10);
    expect(nonZero.triggered).toBeGreaterThanOrEqual(10);
  });

  it('at α_t = 0 the merged model is the clean-task model; fewer images are a prefix; nothing leaks', async () => {
    const n = c.disentangle.samples;
    const full = await s.xiCellSamples(c, 1.5, 0, n);
    expect(full.cleanMerged).toEqual(full.cleanSingle);
    const before = tf.memory().numTensors;
    const few = await s.xiCellSamples(c, 1.5, 0, 6);
    expect(tf.memory().numTensors).toBe(before);
    expect(few.triggeredMerged).toEqual(full.triggeredMerged.slice(0, 6));
    expect(few.triggered.labels).toEqual(full.triggered.labels.slice(0, 6));
    expect(few.triggered.pixels).not.toEqual(few.clean.pixels); // the strip shows the trigger
    // more images than ξ has: ξ's images only
    expect((await s.xiCellSamples(c, 1.5, 0, 10 * n)).clean.count).toBe(n);
  });

  it('rejects a non-finite α or a bad count with a typed error', async () => {
    await expect(s.xiCellSamples(c, Number.NaN, 0, 4)).rejects.toMatchObject({ code: 'invalid-config', message: expect.stringMatching(/α_c/) });
    await expect(s.xiCellSamples(c, 0, 1, 0)).rejects.toMatchObject({ code: 'invalid-config', message: expect.stringMatching(/count/) });
  });
});
