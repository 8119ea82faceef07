/**
 * The app's state (zustand): the one place the UI reads from. The engine runs in the worker; the
 * store owns the WorkerClient and turns its results and notices into state.
 */
import { create } from 'zustand';
import type { BackendInfo } from '../engine/backend';
import type { BackendRequest } from '../engine/backendRequest';
import type { SelfTestResult } from '../engine/selfTest';
import { WorkerClient } from '../worker/client';

export type EngineStatus = 'idle' | 'starting' | 'ready' | 'error';

export interface LabState {
  requested: BackendRequest;
  status: EngineStatus;
  backend: BackendInfo | null;
  error: string | null;
  selfTest: SelfTestResult | null;
  /** Set when the WebGPU device is lost: the page must be reloaded. */
  deviceLost: string | null;
  /** Start the worker, select the backend, run the self-test. */
  start(requested: BackendRequest): Promise<void>;
}

let client: WorkerClient | null = null;

/** The engine worker's client (created by `start`). */
export function engineClient(): WorkerClient {
  if (!client) throw new Error('the engine has not been started');
  return client;
}

export const useLab = create<LabState>((set) => ({
  requested: 'auto',
  status: 'idle',
  backend: null,
  error: null,
  selfTest: null,
  deviceLost: null,

  async start(requested) {
    client?.terminate();
    client = WorkerClient.spawn();
    const c = client;
    set({ requested, status: 'starting', backend: null, error: null, selfTest: null, deviceLost: null });
    c.onNotice((n) => {
      if (n.kind === 'deviceLost') set({ deviceLost: n.message || n.reason, status: 'error' });
    });
    try {
      const backend = await c.run('init', { backend: requested });
      set({ backend });
      const selfTest = await c.run('selfTest', { seed: 1 });
      set({ selfTest, status: 'ready' });
    } catch (e) {
      set({ status: 'error', error: (e as Error).message });
    }
  },
}));
