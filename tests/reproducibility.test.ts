/**
 * Reproducibility (issue #5 item 11): one ExperimentConfig describes a run, and two runs of it in fresh
 * sessions on the same backend agree bit for bit — attack and TBAR losses, every sweep number, and a
 * hash of the cleaned model θ̂_c's bytes (the exported safetensors, metadata included).
 */
import { describe, expect, it } from 'vitest';
import { ExperimentSession } from '../src/engine/experiment/session';
import { defaultExperimentConfig } from '../src/engine/experiment/defaults';
import { Fnv1a64 } from '../src/engine/data/fingerprint';
import type { ExperimentConfig } from '../src/engine/experiment/config';
import { nodeFileSource } from './util/nodeFiles';

function config(): ExperimentConfig {
  const c = defaultExperimentConfig('wanet', 7);
  c.splits = { train: 384, val: 96, test: 96, forget: 96 };
  c.attack = { ...c.attack, epochs: 2, warmupSteps: 3 };
  c.tbar = { ...c.tbar, epochs: 2, batchSize: 32, warmupSteps: 1 };
  c.sweep.alphas = [0, 0.5, 1, 1.5, 2];
  return c;
}

async function run(c: ExperimentConfig) {
  const s = new ExperimentSession({ files: nodeFileSource() });
  try {
    await s.loadModel(c);
    await s.loadData(c);
    const attack = await s.attack(c, false);
    const tbar = await s.tbar(c);
    const sweep = await s.sweep(c);
    const file = await s.exportWeights(c, 'cleaned');
    return { attack, tbar, sweep, hash: new Fnv1a64().update(file.bytes).hex() };
  } finally {
    s.dispose();
  }
}

describe('reproducibility', () => {
  it('two runs of one config agree bit for bit (losses, sweep, θ̂_c bytes)', async () => {
    const t0 = performance.now();
    const a = await run(config());
    const b = await run(JSON.parse(JSON.stringify(config())));
    console.log(`θ̂_c hash ${a.hash}, α ${a.sweep.alpha}; two runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(b.attack.losses).toEqual(a.attack.losses);
    expect(b.tbar.losses).toEqual(a.tbar.losses);
    expect(b.tbar.perEpoch).toEqual(a.tbar.perEpoch);
    expect(b.sweep).toEqual(a.sweep);
    expect(b.hash).toBe(a.hash);
    // and the config matters: another seed gives other numbers
    const c = config();
    c.seed = 8;
    c.splits.train = 128;
    c.attack.epochs = 1;
    const s = new ExperimentSession({ files: nodeFileSource() });
    await s.loadModel(c);
    await s.loadData(c);
    const other = await s.attack(c, false);
    s.dispose();
    expect(other.losses.slice(0, 2)).not.toEqual(a.attack.losses.slice(0, 2));
  });
});
