import { describe, expect, it } from 'vitest';
import { dependents, stageKey, STAGES } from '../src/app/pipeline';
import { defaultExperimentConfig } from '../src/app/defaults';
import type { ExperimentConfig } from '../src/engine/experiment/config';

const x = { cleanBaseline: false };
/** Stages whose key changes between two configs (what the lab marks stale). */
const changed = (a: ExperimentConfig, b: ExperimentConfig) => STAGES.filter((s) => stageKey(s, a, x) !== stageKey(s, b, x));

describe('stage keys: what a settings change makes stale', () => {
  it('τ̂_t from a file changes TBAR and what reads τ̂_t, not the attack or gradient ascent (which trains with TBAR’s hyper-parameters)', () => {
    const c = defaultExperimentConfig();
    const v: ExperimentConfig = { ...c, triggerVector: { kind: 'file', name: 'tau.safetensors' } };
    expect(changed(c, v)).toEqual(['tbar', 'sweep', 'disentangle']);
    expect(changed(c, { ...c, tbar: { ...c.tbar, lr: 1e-3 } })).toEqual(['tbar', 'sweep', 'disentangle', 'ga']);
    expect(changed(c, { ...c, backdoor: { kind: 'file', name: 'theta-b.safetensors' } })).toEqual(['attack', 'decree', 'tbar', 'sweep', 'disentangle', 'ga']);
    expect(dependents('tbar')).toEqual(['sweep', 'disentangle']);
  });
});
