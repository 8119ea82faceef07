/**
 * The α sweep of TBAR (eq. 5, θ̂_c(α) = θ_b − α·τ̂_t) and the two rules that pick α (TBAR paper §4,
 * §5.1 "optimal scaling coefficients are found using a grid search", §6).
 *
 * For each α of the grid, in ascending order: CA on the clean validation images and ASR on the
 * triggered validation images whose true class ≠ target (one SweepPoint, streamed as it completes).
 *
 * Rules (pure functions of the points, tested on synthetic sweeps):
 *   known-trigger — among the points with ASR ≤ asrThreshold, the best CA (ties: the smaller α).
 *                   None qualifies → the lowest ASR (ties: best CA, then smaller α), unsatisfied.
 *   agnostic (§6) — walk α upwards. Once the (proxy) ASR first reaches 0, keep going for `window`
 *                   more grid steps (§6: "typically 10") and take that α. Stop early when CA falls
 *                   below caFloor · CA(θ_b) (SPEC: 0.9; CA(θ_b) = the α = 0 point) and take the last α
 *                   before it. The grid ending first → its last α. The rule is satisfied when the ASR
 *                   reached 0 at or before the chosen α; otherwise the lowest-ASR α among the points
 *                   walked (ties: smaller α) is reported, unsatisfied. The sweep stops evaluating as
 *                   soon as the rule has decided.
 * Without knowledge of the attack (TBAR+DECREE, §6) the points carry a proxy ASR — that of the inverted
 * stamp towards the inferred target — and both rules read it instead of the true ASR (ruleAsr).
 * The chosen θ̂_c and θ_b are then scored once on the test split:
 *   asrRemoved = 1 − ASR_after/ASR_before, caRetained = CA_after/CA_before (the paper's grey figures).
 */
import { checkpoint } from '../cancel';
import type { SelectionRule } from '../experiment/config';
import type { Scores, SweepPoint } from '../experiment/results';
import type { ClassCounts } from '../eval/byClass';

export interface Selection {
  /** Index into the points. */
  index: number;
  alpha: number;
  satisfied: boolean;
}

/** The ASR a rule decides on: the proxy's when the point has one (§6), else the validation ASR. */
export function ruleAsr(p: SweepPoint): number {
  return p.proxyAsr ?? p.val.asr;
}

/** CA and the rule's ASR of a point. */
const ruleScores = (p: SweepPoint): Scores => ({ ca: p.val.ca, asr: ruleAsr(p) });

function lowestAsr(points: SweepPoint[], upTo: number, tieBreakCa: boolean): number {
  let best = 0;
  for (let i = 1; i <= upTo; i++) {
    const p = ruleScores(points[i]);
    const b = ruleScores(points[best]);
    if (p.asr < b.asr || (tieBreakCa && p.asr === b.asr && p.ca > b.ca)) best = i;
  }
  return best;
}

/** Known trigger: the best validation CA with validation ASR ≤ asrThreshold. */
export function selectKnownTrigger(points: SweepPoint[], asrThreshold: number): Selection {
  if (points.length === 0) throw new Error('selectKnownTrigger: no sweep points');
  let best = -1;
  for (let i = 0; i < points.length; i++) {
    const p = ruleScores(points[i]);
    if (p.asr <= asrThreshold && (best < 0 || p.ca > points[best].val.ca)) best = i;
  }
  if (best >= 0) return { index: best, alpha: points[best].alpha, satisfied: true };
  const i = lowestAsr(points, points.length - 1, true);
  return { index: i, alpha: points[i].alpha, satisfied: false };
}

export type AgnosticStop = 'window' | 'ca-floor' | 'grid-end';

export interface AgnosticScan {
  /** Why the walk stopped; null when the points so far do not decide it yet. */
  stop: AgnosticStop | null;
  /** Index of the first point with ASR = 0 (−1: none yet). */
  zeroAt: number;
  /** Defined once `stop` is. */
  selection: Selection | null;
}

/**
 * The attack-agnostic rule of §6 over the points evaluated so far (ascending α). `caBackdoored`:
 * CA of θ_b (default: the first point, α = 0). `complete`: no further grid points exist.
 */
export function scanAgnostic(points: SweepPoint[], caFloor: number, window: number, opts: { caBackdoored?: number; complete?: boolean } = {}): AgnosticScan {
  if (points.length === 0) return { stop: opts.complete ? 'grid-end' : null, zeroAt: -1, selection: null };
  const floor = caFloor * (opts.caBackdoored ?? points[0].val.ca);
  let zeroAt = -1;
  let stop: AgnosticStop | null = null;
  let chosen = -1;
  for (let i = 0; i < points.length; i++) {
    const p = ruleScores(points[i]);
    if (p.ca < floor) {
      stop = 'ca-floor';
      chosen = i - 1;
      break;
    }
    if (zeroAt < 0 && p.asr === 0) zeroAt = i;
    if (zeroAt >= 0 && i - zeroAt >= window) {
      stop = 'window';
      chosen = i;
      break;
    }
  }
  if (stop === null) {
    if (!opts.complete) return { stop: null, zeroAt, selection: null };
    stop = 'grid-end';
    chosen = points.length - 1;
  }
  if (chosen < 0) {
    // Only when CA(α = 0) itself is below the floor (caFloor > 1): nothing qualifies.
    return { stop, zeroAt, selection: { index: 0, alpha: points[0].alpha, satisfied: false } };
  }
  if (zeroAt >= 0 && zeroAt <= chosen) return { stop, zeroAt, selection: { index: chosen, alpha: points[chosen].alpha, satisfied: true } };
  const i = lowestAsr(points, chosen, false);
  return { stop, zeroAt, selection: { index: i, alpha: points[i].alpha, satisfied: false } };
}

/** The agnostic rule on a complete sweep. */
export function selectAgnostic(points: SweepPoint[], caFloor: number, window: number, caBackdoored?: number): Selection {
  if (points.length === 0) throw new Error('selectAgnostic: no sweep points');
  return scanAgnostic(points, caFloor, window, { caBackdoored, complete: true }).selection!;
}

export interface SweepRuleConfig {
  rule: SelectionRule;
  asrThreshold: number;
  caFloor: number;
  window: number;
}

export function selectAlpha(points: SweepPoint[], r: SweepRuleConfig): Selection {
  return r.rule === 'known-trigger' ? selectKnownTrigger(points, r.asrThreshold) : selectAgnostic(points, r.caFloor, r.window);
}

export interface RunSweepOptions extends SweepRuleConfig {
  /** Ascending grid. */
  alphas: number[];
  /** Validation scores of θ̂_c(α) = θ_b − α·τ̂_t (and the proxy ASR, TBAR+DECREE). */
  evaluate: (alpha: number) => Promise<ValScores>;
  onPoint?: (p: SweepPoint, index: number) => void;
  signal?: AbortSignal;
}

export interface SweepRun {
  points: SweepPoint[];
  selection: Selection;
  /** For the agnostic rule: why the walk stopped. */
  stop?: AgnosticStop;
}

/** Validation scores of a model, with the proxy ASR when the forget set is DECREE's (§6), and its
 *  clean predictions counted by class when the scorer keeps them (eval/byClass.ts). */
export type ValScores = Scores & { proxyAsr?: number; byClass?: ClassCounts };

/** The sweep point of α from its validation scores. */
export function sweepPoint(alpha: number, v: ValScores): SweepPoint {
  return { alpha, val: { ca: v.ca, asr: v.asr }, ...(v.proxyAsr !== undefined && { proxyAsr: v.proxyAsr }), ...(v.byClass && { byClass: v.byClass }) };
}

/** Evaluate the grid point by point (stopping early under the agnostic rule) and select α. */
export async function runSweep(o: RunSweepOptions): Promise<SweepRun> {
  const points: SweepPoint[] = [];
  for (let i = 0; i < o.alphas.length; i++) {
    await checkpoint(o.signal);
    const alpha = o.alphas[i];
    const p = sweepPoint(alpha, await o.evaluate(alpha));
    points.push(p);
    o.onPoint?.(p, i);
    if (o.rule === 'agnostic') {
      const scan = scanAgnostic(points, o.caFloor, o.window, { complete: i === o.alphas.length - 1 });
      if (scan.stop) return { points, selection: scan.selection!, stop: scan.stop };
    }
  }
  return { points, selection: selectAlpha(points, o) };
}

/**
 * The paper's grey figures: 1 − ASR_after/ASR_before and CA_after/CA_before. Null where the ratio has
 * no meaning: ASR_before = 0 (a backdoor that did not take leaves nothing to remove; "100% removed"
 * would be a wrong number) or CA_before = 0.
 */
export function removalFigures(before: Scores, after: Scores): { asrRemoved: number | null; caRetained: number | null } {
  const asrRemoved = before.asr > 0 ? 1 - after.asr / before.asr : null;
  const caRetained = before.ca > 0 ? after.ca / before.ca : null;
  return { asrRemoved, caRetained };
}

/** Up to `n` evenly spaced values of an ascending grid, first and last included (TBAR's per-epoch α search). */
export function coarseGrid(alphas: number[], n = 6): number[] {
  if (alphas.length <= n) return alphas.slice();
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(alphas[Math.round((k * (alphas.length - 1)) / (n - 1))]);
  return [...new Set(out)];
}
