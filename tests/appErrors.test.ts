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
