/**
 * Cancellation for long engine stages (training, sweeps, ξ grids): an AbortSignal checked between
 * steps, after yielding one macrotask so that a worker can receive the cancel message at all (on the
 * synchronous wasm/cpu backends `await t.data()` resolves without ever returning to the event loop).
 */

/** A stage stopped because its AbortSignal fired. `code` matches the worker protocol's CANCELLED. */
export class CancelledError extends Error {
  readonly code = 'cancelled';
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** Let other tasks run: setImmediate in Node, a MessageChannel round trip in browsers and workers. */
export function yieldMacrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  return new Promise((resolve) => {
    if (typeof g.setImmediate === 'function') {
      g.setImmediate(resolve);
    } else if (typeof MessageChannel !== 'undefined') {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    } else {
      setTimeout(resolve, 0);
    }
  });
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Yield, then throw CancelledError if `signal` fired. Call between steps. */
export async function checkpoint(signal?: AbortSignal): Promise<void> {
  await yieldMacrotask();
  throwIfAborted(signal);
}
