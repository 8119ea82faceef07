/**
 * The worker side of the protocol: dispatch requests to handlers, route cancels, report progress,
 * partial results, results and errors. Independent of the real Worker global so that tests can serve
 * over a MessageChannel in Node.
 */
import {
  CANCELLED,
  toWireError,
  type FromWorker,
  type JobName,
  type JobParams,
  type JobPartial,
  type JobProgress,
  type JobResult,
  type Notice,
  type ToWorker,
} from './protocol';

export interface JobContext<K extends JobName> {
  id: number;
  /** Aborted when the app cancels this job. */
  signal: AbortSignal;
  progress(p: JobProgress<K>): void;
  partial(p: JobPartial<K>, transfer?: Transferable[]): void;
  /**
   * Yield to the event loop (so a pending cancel message is received), then throw if cancelled.
   * Call it between steps of long jobs: `await t.data()` alone does not let messages in.
   */
  checkpoint(): Promise<void>;
  /** Transfer these buffers with the final result instead of copying them. */
  transfer(...buffers: Transferable[]): void;
}

export type Handler<K extends JobName> = (params: JobParams<K>, ctx: JobContext<K>) => Promise<JobResult<K>>;
export type Handlers = { [K in JobName]: Handler<K> };

/** The subset of Worker / DedicatedWorkerGlobalScope / MessagePort that we use. */
export interface PortLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
}

export class CancelledError extends Error {
  readonly code = CANCELLED;
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

export interface Server {
  /** Send a notice that belongs to no job (device lost, log line). */
  notify(notice: Notice): void;
}

export function serve(port: PortLike, handlers: Handlers): Server {
  const running = new Map<number, AbortController>();
  const post = (m: FromWorker, transfer: Transferable[] = []) => port.postMessage(m, transfer);

  port.addEventListener('message', (ev: MessageEvent) => {
    const msg = ev.data as ToWorker;
    if (msg.type === 'cancel') {
      running.get(msg.id)?.abort();
      return;
    }
    if (msg.type === 'request') void run(msg.id, msg.job, msg.params);
  });
  (port as { start?: () => void }).start?.();

  async function run<K extends JobName>(id: number, job: K, params: JobParams<K>): Promise<void> {
    const handler = handlers[job] as Handler<K> | undefined;
    if (!handler) {
      post({ type: 'error', id, job, error: { name: 'Error', code: 'unknown-job', message: `unknown job '${String(job)}'` } });
      return;
    }
    const ac = new AbortController();
    running.set(id, ac);
    const transfers: Transferable[] = [];
    const ctx: JobContext<K> = {
      id,
      signal: ac.signal,
      progress: (progress) => post({ type: 'progress', id, job, progress } as FromWorker),
      partial: (partial, transfer) => post({ type: 'partial', id, job, partial } as FromWorker, transfer),
      checkpoint: async () => {
        await yieldToEventLoop();
        if (ac.signal.aborted) throw new CancelledError();
      },
      transfer: (...b) => transfers.push(...b),
    };
    try {
      if (ac.signal.aborted) throw new CancelledError();
      const result = await handler(params, ctx);
      post({ type: 'done', id, job, result } as FromWorker, transfers);
    } catch (e) {
      post({ type: 'error', id, job, error: toWireError(e) });
    } finally {
      running.delete(id);
    }
  }

  return { notify: (notice) => post({ type: 'notice', notice }) };
}
