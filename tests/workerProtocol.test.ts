import { afterEach, describe, expect, it } from 'vitest';
import { runSelfTest } from '../src/engine/selfTest';
import { tf } from '../src/engine/tf';
import { WorkerClient, isCancelled } from '../src/worker/client';
import { serve } from '../src/worker/host';
import { createHandlers } from '../src/worker/jobs';
import { JobError, type StepProgress } from '../src/worker/protocol';

/** Client and worker host joined by a MessageChannel, as in the browser but in one Node thread. */
function connect() {
  const { port1, port2 } = new MessageChannel();
  const server = serve(port2 as unknown as Parameters<typeof serve>[0], createHandlers());
  const client = new WorkerClient(port1 as unknown as ConstructorParameters<typeof WorkerClient>[0]);
  open.push(port1, port2);
  return { client, server };
}
const open: MessagePort[] = [];

describe('worker protocol', () => {
  afterEach(() => {
    for (const p of open.splice(0)) p.close();
  });

  it('init selects the backend and returns BackendInfo', async () => {
    const { client } = connect();
    const info = await client.run('init', { backend: 'wasm' });
    expect(info.name).toBe('wasm');
    expect(info.requested).toBe('wasm');
  });

  it('selfTest reports progress and returns the same numbers as a direct call', async () => {
    const { client } = connect();
    const steps: StepProgress[] = [];
    const viaWorker = await client.run('selfTest', { seed: 7, size: 16, depth: 4 }, { onProgress: (p) => steps.push(p) });
    const direct = await runSelfTest({ seed: 7, size: 16, depth: 4 });
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    expect(steps.every((s) => s.of === 4)).toBe(true);
    expect(viaWorker.logits).toEqual(direct.logits);
    expect(client.inFlight).toBe(0);
  });

  it('correlates concurrent calls by id', async () => {
    const { client } = connect();
    const [a, b] = await Promise.all([
      client.run('selfTest', { seed: 1, size: 8, depth: 2 }),
      client.run('selfTest', { seed: 2, size: 8, depth: 2 }),
    ]);
    expect(a.logits).toEqual((await runSelfTest({ seed: 1, size: 8, depth: 2 })).logits);
    expect(b.logits).toEqual((await runSelfTest({ seed: 2, size: 8, depth: 2 })).logits);
  });

  it('cancel stops a running job, rejects with code cancelled, and leaks no tensors', async () => {
    const { client } = connect();
    const before = tf.memory().numTensors;
    let seen = 0;
    const job = client.start('selfTest', { seed: 1, size: 8, depth: 10_000 }, {
      onProgress: () => {
        if (++seen === 3) job.cancel();
      },
    });
    const err = await job.result.catch((e) => e);
    expect(err).toBeInstanceOf(JobError);
    expect(isCancelled(err)).toBe(true);
    expect(seen).toBeLessThan(50);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an AbortSignal cancels too', async () => {
    const { client } = connect();
    const ac = new AbortController();
    const p = client.run('selfTest', { seed: 1, size: 8, depth: 10_000 }, { signal: ac.signal, onProgress: () => ac.abort() });
    expect(isCancelled(await p.catch((e) => e))).toBe(true);
  });

  it('engine errors arrive typed: forcing WebGPU in Node gives BackendError webgpu-unsupported', async () => {
    const { client } = connect();
    const err = await client.run('init', { backend: 'webgpu' }).catch((e) => e);
    expect(err).toBeInstanceOf(JobError);
    expect(err.code).toBe('webgpu-unsupported');
    expect(err.remoteName).toBe('BackendError');
    expect(err.job).toBe('init');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('an unknown job is an error, not a hang', async () => {
    const { client } = connect();
    const err = await client.run('nope' as never, {} as never).catch((e) => e);
    expect(err.code).toBe('unknown-job');
  });

  it('notices reach the client', async () => {
    const { client, server } = connect();
    const got = new Promise((resolve) => client.onNotice(resolve));
    server.notify({ kind: 'deviceLost', reason: 'unknown', message: 'GPU reset' });
    expect(await got).toEqual({ kind: 'deviceLost', reason: 'unknown', message: 'GPU reset' });
  });
});
