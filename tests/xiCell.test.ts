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
      const x = await s.xiCellSamples(c, cell.alphaC, cell.alphaT, 4);
      expect([x.alphaC, x.alphaT, x.alphaStar]).toEqual([cell.alphaC, cell.alphaT, d.alphaStar]);
      expect([x.cleanMerged.length, x.cleanSingle.length, x.triggeredMerged.length, x.triggeredSingle.length]).toEqual([n, n, n, n]);
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

  it('shows the images where the models differ first; at α_t = 0 the merged model is the clean-task model; nothing leaks', async () => {
    const cell = d.cells.filter((x) => x.triggered > 0).sort((a, b) => a.triggered - b.triggered)[0];
    const k = Math.round(cell.triggered * c.disentangle.samples) + 3; // 3 more shown images than change
    const before = tf.memory().numTensors;
    const x = await s.xiCellSamples(c, cell.alphaC, cell.alphaT, k);
    expect(tf.memory().numTensors).toBe(before);
    const differ = x.triggeredMerged.map((p, i) => (p !== x.triggeredSingle[i] ? i : -1)).filter((i) => i >= 0);
    expect(differ.length).toBe(k - 3);
    const agree = x.triggeredMerged.map((_, i) => i).filter((i) => !differ.includes(i));
    expect(x.triggeredShown).toEqual([...differ, ...agree].slice(0, k));
    expect(x.triggered.count).toBe(k);
    // The strip holds the shown images, triggered as ξ triggers them.
    const all = await s.xiCellSamples(c, cell.alphaC, cell.alphaT, c.disentangle.samples);
    const px = 32 * 32 * 3;
    x.triggeredShown.forEach((j, k) => {
      expect(x.triggered.labels[k]).toBe(all.triggered.labels[all.triggeredShown.indexOf(j)]);
      expect(x.triggered.pixels.subarray(k * px, (k + 1) * px)).toEqual(all.triggered.pixels.subarray(all.triggeredShown.indexOf(j) * px, (all.triggeredShown.indexOf(j) + 1) * px));
    });
    expect(x.triggered.pixels).not.toEqual(x.clean.pixels);
    const t0 = await s.xiCellSamples(c, 1.5, 0, 6);
    expect(t0.cleanMerged).toEqual(t0.cleanSingle);
    expect(t0.cleanShown).toEqual([0, 1, 2, 3, 4, 5]); // nothing differs: the first images in order
  });

  it('rejects a non-finite α or a bad count with a typed error', async () => {
    await expect(s.xiCellSamples(c, Number.NaN, 0, 4)).rejects.toMatchObject({ code: 'invalid-config', message: expect.stringMatching(/α_c/) });
    await expect(s.xiCellSamples(c, 0, 1, 0)).rejects.toMatchObject({ code: 'invalid-config', message: expect.stringMatching(/count/) });
  });
});
