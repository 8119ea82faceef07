import { describe, expect, it } from 'vitest';
import { toUserError } from '../src/app/errors';
import { JobError } from '../src/worker/protocol';

const job = (code: string, message: string) => new JobError({ name: 'Error', code, message });

describe('errors in words a user can act on', () => {
  it.each([
    ['not-implemented', "the 'attack' job is not implemented yet", /not available in this build/, /mock=1/],
    ['TRAINING_DIVERGED', 'training diverged at step 12 (epoch 1): loss NaN', /diverged at step 12/, /learning rate/],
    ['internal', 'Failed to allocate buffer: out of memory', /ran out of memory/, /smaller batch/],
    ['out-of-memory', 'GPU OOM', /ran out of memory/, /smaller batch/],
    ['worker-crashed', 'the engine worker failed to load or crashed', /restarted/, /run this step again/],
    ['stale-stage', "'sweep' needs TBAR", /other settings/, /Run everything/],
    ['internal', 'HTTP 404 fetching config.json', /could not download/, /connection/],
    ['weird', 'something odd', /failed/, /Try again/],
  ])('%s: %s', (code, message, title, action) => {
    const u = toUserError(job(code, message), 'Backdoor attack');
    expect(u.code).toBe(code);
    expect(u.title).toMatch(title);
    expect(u.action).toMatch(action);
    expect(u.detail).toBe(message);
  });

  it('handles plain errors and non-errors', () => {
    expect(toUserError(new Error('boom'), 'X').title).toBe('X failed.');
    expect(toUserError('just a string', 'X').detail).toBe('just a string');
  });
});

describe('errors of the real engine and the Hub', () => {
  const remote = (name: string, code: string, message: string) => new JobError({ name, code, message });

  it('a Hub error gets a headline by code and keeps its own sentence (what to do, nothing replaced)', () => {
    const msg = 'config.json was not found (HTTP 404). Check the repo id and revision. Nothing was replaced: the previously loaded model and data are still in use.';
    const u = toUserError(remote('HubError', 'not-found', msg), 'Load model');
    expect(u.title).toBe('Load model failed: the repository or one of its files was not found.');
    expect(u.action).toBe(msg);
    expect(toUserError(remote('HubError', 'network', 'fetch failed'), 'Load model').title).toMatch(/could not be reached/);
    expect(toUserError(remote('HubError', 'quota', 'quota exceeded'), 'Load data').title).toMatch(/no storage left/);
    expect(toUserError(remote('HubError', 'some-new-code', 'odd'), 'Load data').title).toBe('Load data failed: see below.');
  });

  it('a memory plan that does not fit says so with the numbers and what to do', () => {
    const msg = 'fine-tuning this model needs 9.10 GiB even at batch size 1 … but webgpu has 3.60 GiB';
    const u = toUserError(remote('MemoryPlanError', 'out-of-memory', msg), 'Backdoor attack');
    expect(u.title).toMatch(/does not have the memory for backdoor attack: fine-tuning this model needs 9\.10 GiB/);
    expect(u.action).toMatch(/smaller model.*gpuMemoryGB/s);
  });

  it('invalid settings name the field; NaN outside training is not called a divergence', () => {
    const u = toUserError(remote('ExperimentConfigError', 'invalid-config', 'invalid experiment configuration: attack.target: 12 is not a class (0..9)'), 'Backdoor attack');
    expect(u.title).toMatch(/cannot run with these settings: attack\.target: 12 is not a class/);
    const n = toUserError(remote('MetricsError', 'internal', 'scores are NaN'), 'α sweep');
    expect(n.title).toMatch(/not numbers \(NaN\)/);
    expect(n.title).not.toMatch(/diverged/);
  });
});
