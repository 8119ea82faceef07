/** Number and time formatting for the UI (one place, so every panel reads the same). */

export const pct = (x: number | null | undefined, digits = 1): string =>
  x == null || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`;

/**
 * "97.2% of the attack removed" (+ `after`, e.g. " at α = 1.5"), or, when θ_b's ASR was 0 (asrRemoved
 * null), that there was nothing to remove.
 */
export const removedText = (asrRemoved: number | null, what: string, after = ''): string =>
  asrRemoved === null ? `nothing to remove: θ_b's ASR is 0%` : `${pct(asrRemoved, 1)} of ${what} removed${after}`;

export function fmtDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '—';
  const s = ms / 1000;
  if (s < 1) return `${Math.max(0, Math.round(ms))} ms`;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function fmtBytes(b: number): string {
  if (b < 1024) return `${Math.round(b)} B`;
  if (b < 1024 ** 2) return `${(b / 1024).toFixed(1)} KB`;
  if (b < 1024 ** 3) return `${(b / 1024 ** 2).toFixed(1)} MB`;
  return `${(b / 1024 ** 3).toFixed(2)} GB`;
}

export function fmtRate(x: number): string {
  if (!Number.isFinite(x)) return '—';
  return x >= 100 ? String(Math.round(x)) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** 1234567 → '1.23 M'. */
export function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function fmtFlops(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GFLOP`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MFLOP`;
  return `${Math.round(n)} FLOP`;
}

/** α for labels: up to 3 decimals, no trailing zeros. */
export const fmtAlpha = (a: number): string => String(+a.toFixed(3));

/** "1 epoch", "4 epochs": a count and its noun. */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function fmtSci(x: number): string {
  if (x === 0) return '0';
  const e = Math.floor(Math.log10(Math.abs(x)));
  if (e >= -2 && e <= 3) return String(+x.toPrecision(3));
  return `${+(x / 10 ** e).toPrecision(3)}e${e}`;
}

export function fmtTime(t: number): string {
  const d = new Date(t);
  const sameDay = new Date().toDateString() === d.toDateString();
  const hm = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return sameDay ? hm : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${hm}`;
}

/** An axis tick for a quantity spanning decades (a loss: 2.3 at the start, 0.004 at the end): two significant digits below 1. */
export function fmtTick(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 10) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(1);
  return String(Number(v.toPrecision(2)));
}

/** The smallest slider step of 1, 2 or 5 × 10^k with at most 100 positions over `range` (so 40–100), so values print cleanly (1.95, not 1.976). */
export function niceStep(range: number): number {
  if (!(range > 0 && Number.isFinite(range))) return 0.01;
  const raw = range / 100;
  const p = 10 ** Math.floor(Math.log10(raw));
  const r = raw / p - 1e-9; // in [1, 10)
  const m = r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10;
  return +(m * p).toPrecision(1);
}
