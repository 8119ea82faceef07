/**
 * The app side of the protocol: promise-based job calls correlated by id, progress and partial
 * callbacks, cancellation, and notices (device lost) that belong to no job.
 *
 *   const client = WorkerClient.spawn();
 *   const info = await client.run('init', { backend: 'auto' });
 *   const job = client.start('selfTest', { seed: 1 }, { onProgress: (p) => … });
 *   job.cancel();             // or pass { signal } to run()
 *   await job.result;         // rejects with JobError (code 'cancelled' after a cancel)
 */
import {
  CANCELLED,
  JobError,
  type FromWorker,
  type JobName,
  type JobParams,
  type JobPartial,
  type JobProgress,
  type JobResult,
  type Notice,
  type ToWorker,
} from './protocol';

export interface ClientPort {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  /** Worker only: a script error kills every pending job. */
  addEventListener(type: 'error', listener: (ev: ErrorEvent | Event) => void): void;
  terminate?: () => void;
}

export interface CallOptions<K extends JobName> {
  onProgress?: (p: JobProgress<K>) => void;
  onPartial?: (p: JobPartial<K>) => void;
  /** Aborting it cancels the job. */
  signal?: AbortSignal;
  transfer?: Transferable[];
}

export interface JobHandle<K extends JobName> {
  id: number;
  job: K;
  result: Promise<JobResult<K>>;
  /** Ask the worker to stop this job; `result` then rejects with JobError code 'cancelled'. */
  cancel(): void;
}

interface Pending {
  job: JobName;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  onProgress?: (p: unknown) => void;
  onPartial?: (p: unknown) => void;
}

export class WorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly noticeListeners = new Set<(n: Notice) => void>();
  private dead: JobError | null = null;

  constructor(private readonly port: ClientPort) {
    port.addEventListener('message', (ev: MessageEvent) => this.receive(ev.data as FromWorker));
    port.addEventListener('error', (ev: ErrorEvent | Event) => {
      const message = (ev as ErrorEvent).message || 'the engine worker failed to load or crashed';
      this.failAll(new JobError({ name: 'WorkerError', code: 'worker-crashed', message }));
    });
    (port as { start?: () => void }).start?.();
  }

  /** Start the app's engine worker (a module worker bundled by Vite). */
  static spawn(): WorkerClient {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'tbar-engine' });
    return new WorkerClient(worker);
  }

  start<K extends JobName>(job: K, params: JobParams<K>, opts: CallOptions<K> = {}): JobHandle<K> {
    const id = this.nextId++;
    let resolve!: (v: JobResult<K>) => void;
    let reject!: (e: unknown) => void;
    const result = new Promise<JobResult<K>>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const cancel = () => {
      if (this.pending.has(id)) this.send({ type: 'cancel', id });
    };
    if (this.dead) {
      reject(this.dead);
      return { id, job, result, cancel };
    }
    this.pending.set(id, {
      job,
      resolve: resolve as (v: unknown) => void,
      reject,
      onProgress: opts.onProgress as ((p: unknown) => void) | undefined,
      onPartial: opts.onPartial as ((p: unknown) => void) | undefined,
    });
    if (opts.signal) {
      if (opts.signal.aborted) queueMicrotask(cancel);
      else opts.signal.addEventListener('abort', cancel, { once: true });
    }
    this.send({ type: 'request', id, job, params } as ToWorker, opts.transfer);
    return { id, job, result, cancel };
  }

  run<K extends JobName>(job: K, params: JobParams<K>, opts: CallOptions<K> = {}): Promise<JobResult<K>> {
    return this.start(job, params, opts).result;
  }

  /** Notices not tied to a job (e.g. the WebGPU device was lost). Returns unsubscribe. */
  onNotice(listener: (n: Notice) => void): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  /** Number of jobs awaiting a result. */
  get inFlight(): number {
    return this.pending.size;
  }

  terminate(): void {
    this.port.terminate?.();
    this.failAll(new JobError({ name: 'WorkerError', code: 'worker-terminated', message: 'the engine worker was stopped' }));
  }

  private send(msg: ToWorker, transfer?: Transferable[]): void {
    this.port.postMessage(msg, transfer ?? []);
  }

  private failAll(err: JobError): void {
    this.dead = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private receive(msg: FromWorker): void {
    if (msg.type === 'notice') {
      for (const l of this.noticeListeners) l(msg.notice);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return; // a late message for a job already settled
    switch (msg.type) {
      case 'progress':
        p.onProgress?.(msg.progress);
        break;
      case 'partial':
        p.onPartial?.(msg.partial);
        break;
      case 'done':
        this.pending.delete(msg.id);
        p.resolve(msg.result);
        break;
      case 'error':
        this.pending.delete(msg.id);
        p.reject(new JobError(msg.error, msg.job));
        break;
    }
  }
}

export function isCancelled(e: unknown): boolean {
  return e instanceof JobError && e.code === CANCELLED;
}
