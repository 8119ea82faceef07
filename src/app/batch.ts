/**
 * Coalesce high-rate worker events (a progress message per step, a partial per ξ cell) into one store
 * update per animation frame, so charts redraw at most 60 times a second however fast the engine runs.
 */
export function frameBatcher(flush: () => void): { schedule(): void; flushNow(): void } {
  let scheduled = false;
  let cancel: (() => void) | null = null;
  const run = () => {
    scheduled = false;
    cancel = null;
    flush();
  };
  return {
    schedule() {
      if (scheduled) return;
      scheduled = true;
      // rAF stops in background tabs; a timer keeps state fresh there (throttled to ~1 Hz by the browser).
      if (typeof requestAnimationFrame === 'function' && typeof document !== 'undefined' && document.visibilityState === 'visible') {
        const h = requestAnimationFrame(run);
        cancel = () => cancelAnimationFrame(h);
      } else {
        const h = setTimeout(run, 50);
        cancel = () => clearTimeout(h);
      }
    },
    flushNow() {
      if (!scheduled) return;
      cancel?.();
      run();
    },
  };
}

/** Run `fn` after `ms` of quiet; each call restarts the wait. */
export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): ((...a: A) => void) & { cancel(): void } {
  let t: ReturnType<typeof setTimeout> | null = null;
  const d = (...a: A) => {
    if (t) clearTimeout(t);
    t = setTimeout(() => {
      t = null;
      fn(...a);
    }, ms);
  };
  d.cancel = () => {
    if (t) clearTimeout(t);
    t = null;
  };
  return d;
}
