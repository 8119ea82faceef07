/**
 * Load progress as the worker protocol reports it (experiment/results.ts and src/worker/protocol.ts
 * re-export this one), and a byte-rate meter that turns "bytes so far" into speed and ETA.
 */

export type LoadPhase = 'download' | 'parse' | 'upload' | 'text-head' | 'generate' | 'decode';

export interface LoadProgress {
  phase: LoadPhase;
  done: number;
  total: number;
  bytes?: number;
  totalBytes?: number;
  bytesPerSec?: number;
  etaMs?: number;
  message: string;
}

export type ProgressFn = (p: LoadProgress) => void;

/** 12.3 MB, 605 MB, 1.4 GB (decimal units, as the Hub shows sizes). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const a = Math.abs(n);
  if (a < 1e3) return `${n} B`;
  if (a < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (a < 1e9) return `${(n / 1e6).toFixed(a < 1e7 ? 1 : 0)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/**
 * Speed over a sliding window (the last ~3 s) so a stall shows up quickly, and ETA from it.
 * `now` is injectable for tests.
 */
export class RateMeter {
  private samples: { t: number; bytes: number }[] = [];
  private readonly start: number;
  constructor(
    private readonly windowMs = 3000,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.start = this.now();
    this.samples.push({ t: this.start, bytes: 0 });
  }

  /** Record the running byte count; returns { bytesPerSec, etaMs } (etaMs undefined without a total). */
  update(bytes: number, totalBytes?: number): { bytesPerSec: number; etaMs?: number } {
    const t = this.now();
    this.samples.push({ t, bytes });
    while (this.samples.length > 2 && t - this.samples[1].t > this.windowMs) this.samples.shift();
    const first = this.samples[0];
    const dt = (t - first.t) / 1000;
    const bytesPerSec = dt > 0 ? (bytes - first.bytes) / dt : 0;
    const etaMs = totalBytes !== undefined && bytesPerSec > 0 ? ((totalBytes - bytes) / bytesPerSec) * 1000 : undefined;
    return { bytesPerSec, etaMs };
  }

  get elapsedMs(): number {
    return this.now() - this.start;
  }
}

/** Calls `fn` at most every `ms` milliseconds (plus always for `force`), so progress messages stay cheap. */
export function throttle(fn: ProgressFn | undefined, ms = 100, now: () => number = () => performance.now()): (p: LoadProgress, force?: boolean) => void {
  let last = -Infinity;
  return (p, force = false) => {
    if (!fn) return;
    const t = now();
    if (force || t - last >= ms) {
      last = t;
      fn(p);
    }
  };
}
