/**
 * Weight disentanglement of the clean and triggered tasks (TBAR paper §5.1, eq. 2, Figure 2; after
 * Ortiz-Jimenez et al. 2024).
 *
 *   α*   = the smallest α of the sweep with validation ASR = 0 (flagged inexact when none reaches 0:
 *          then the α with the lowest ASR)
 *   τ_b  = θ_b − θ_pre                     the whole backdoored update
 *   τ_t  = α*·τ̂_t                          the trigger vector (τ̂_t from eq. 4)
 *   τ̂_c  = τ_b − α*·τ̂_t                    the clean vector, the residual
 *   ξ(α_c, α_t) = E_{x∼clean}[ 1( f(x; θ_pre + α_c τ̂_c) ≠ f(x; θ_pre + α_c τ̂_c + α_t τ_t) ) ]
 *               + E_{x∼trig} [ 1( f(x; θ_pre + α_t τ_t) ≠ f(x; θ_pre + α_c τ̂_c + α_t τ_t) ) ]   (eq. 2)
 * with f = argmax of the zero-shot logits (dist = prediction disagreement, as the paper suggests for
 * classification). ξ ∈ [0, 2]; ξ(0, 0) = 0 by construction; (1, 1) is θ_b itself.
 *
 * The grid is evaluated coarse to fine on [−range, range]² (e.g. 5×5, 9×9, 17×17): every level's grid
 * is nested in the next, so a finer level computes only its new cells. Each model θ_pre + α_c τ̂_c +
 * α_t τ_t is run once on both sets and memoised by its (α_c, α_t) grid index; the single-task models
 * are the grid's own α_t = 0 row and α_c = 0 column, so they are computed once and shared by every
 * cell of their row/column. Cells are reported as they complete (XiCell.level = the level that
 * computed it), so a heatmap fills in live.
 */
import { checkpoint } from '../cancel';
import type { DisentangleConfig } from '../experiment/config';
import type { EvalProgress, SweepPoint, XiCell } from '../experiment/results';
import { TaskVector, type WeightMap } from './taskVector';
import { DisentanglementError, disagreement } from './disagreement';

export { DisentanglementError, differingFirst, disagreement } from './disagreement';


/** α* = smallest α with ASR = 0; else the lowest-ASR α (smallest on ties), exact = false. */
export function alphaStar(points: SweepPoint[]): { alpha: number; exact: boolean } {
  if (points.length === 0) throw new DisentanglementError('α* needs sweep points');
  const sorted = [...points].sort((a, b) => a.alpha - b.alpha);
  const zero = sorted.find((p) => p.val.asr === 0);
  if (zero) return { alpha: zero.alpha, exact: true };
  let best = sorted[0];
  for (const p of sorted) if (p.val.asr < best.val.asr) best = p;
  return { alpha: best.alpha, exact: false };
}

/**
 * τ̂_c = τ_b − α*·τ̂_t and τ_t = α*·τ̂_t with τ_b = θ_b − θ_pre (§5.1). The caller owns both vectors.
 */
export function decompose(thetaPre: WeightMap, thetaB: WeightMap, tauHat: TaskVector, alpha: number): { tauC: TaskVector; tauT: TaskVector } {
  const tauB = TaskVector.fromDifference(thetaB, thetaPre);
  try {
    const tauT = tauHat.scale(alpha);
    try {
      const minus = tauT.negate();
      try {
        return { tauC: tauB.add(minus), tauT };
      } finally {
        minus.dispose();
      }
    } catch (e) {
      tauT.dispose();
      throw e;
    }
  } finally {
    tauB.dispose();
  }
}

/** Predictions of one model on both task supports. */
export interface DomainPredictions {
  clean: ArrayLike<number>;
  triggered: ArrayLike<number>;
}

/**
 * Eq. 2 from predictions: `cleanSingle` = θ_pre + α_c τ̂_c, `trigSingle` = θ_pre + α_t τ_t,
 * `combined` = θ_pre + α_c τ̂_c + α_t τ_t.
 */
export function xiFromPredictions(cleanSingle: DomainPredictions, trigSingle: DomainPredictions, combined: DomainPredictions): { xi: number; clean: number; triggered: number } {
  const clean = disagreement(cleanSingle.clean, combined.clean);
  const triggered = disagreement(trigSingle.triggered, combined.triggered);
  return { xi: clean + triggered, clean, triggered };
}

export interface XiLevelPlan {
  level: number;
  /** Grid size of this level (n × n). */
  n: number;
  /** Cells this level computes (not in a coarser level), as [row, col] in FINEST-grid indices, row-major. */
  newCells: [number, number][];
  /** Every cell of this level's grid, [row, col] in finest indices, row-major. */
  cells: [number, number][];
}

export interface XiGridPlan {
  /** Finest grid size. */
  size: number;
  /** α of finest index k: −range + 2·range·k/(size−1). Columns: α_c ascending. */
  values: number[];
  levels: XiLevelPlan[];
}

/**
 * Nested coarse-to-fine grids on [−range, range]². Rows are α_t from +range (row 0) down to −range;
 * columns are α_c from −range to +range (the layout of DisentangleResult.cells).
 */
export function planXiGrid(range: number, levels: number[]): XiGridPlan {
  if (!(range > 0 && Number.isFinite(range))) throw new DisentanglementError(`range must be a positive number, got ${range}`);
  if (levels.length === 0) throw new DisentanglementError('at least one grid level is needed');
  for (let k = 0; k < levels.length; k++) {
    const n = levels[k];
    if (!Number.isInteger(n) || n < 3 || n % 2 === 0) throw new DisentanglementError(`grid sizes must be odd integers ≥ 3 (so that 0 is on the grid), got ${n}`);
    if (k > 0 && (n <= levels[k - 1] || (n - 1) % (levels[k - 1] - 1) !== 0)) {
      throw new DisentanglementError(`grid ${levels[k - 1]}×${levels[k - 1]} is not nested in ${n}×${n}: (n−1) must be a multiple of the previous (n−1)`);
    }
  }
  const size = levels[levels.length - 1];
  const values = Array.from({ length: size }, (_, k) => -range + (2 * range * k) / (size - 1));
  const done = new Set<string>();
  const plans: XiLevelPlan[] = levels.map((n, level) => {
    const stride = (size - 1) / (n - 1);
    const cells: [number, number][] = [];
    const newCells: [number, number][] = [];
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const cell: [number, number] = [r * stride, c * stride];
        cells.push(cell);
        const key = `${cell[0]},${cell[1]}`;
        if (!done.has(key)) {
          done.add(key);
          newCells.push(cell);
        }
      }
    }
    return { level, n, newCells, cells };
  });
  return { size, values, levels: plans };
}

/** Runs the model θ_pre + α_c τ̂_c + α_t τ_t on the clean and the triggered evaluation sets. */
export type XiPredictor = (alphaC: number, alphaT: number) => Promise<DomainPredictions>;

export interface RunXiOptions {
  range: number;
  levels: number[];
  predict: XiPredictor;
  onCell?: (cell: XiCell) => void;
  onProgress?: (p: EvalProgress) => void;
  signal?: AbortSignal;
}

export interface XiGridResult {
  /** The finest completed grid size and its cells (row-major, α_t rows from +range, α_c columns from −range). */
  size: number;
  cells: XiCell[];
  /** Number of distinct models run. */
  modelsRun: number;
}

/** ξ over the nested grids (see the file comment). Cancellable between models. */
export async function runDisentanglement(o: RunXiOptions): Promise<XiGridResult> {
  const plan = planXiGrid(o.range, o.levels);
  const { values, size } = plan;
  const mid = (size - 1) / 2; // index of α = 0
  // α_t of row r is values[size − 1 − r] (top = +range); α_c of column c is values[c].
  const alphaT = (r: number) => values[size - 1 - r];
  const alphaC = (c: number) => values[c];
  const memo = new Map<string, DomainPredictions>();
  const totalCells = plan.levels.reduce((s, l) => s + l.newCells.length, 0);
  let modelsRun = 0;
  const t0 = performance.now();
  const run = async (r: number, c: number): Promise<DomainPredictions> => {
    const key = `${r},${c}`;
    let p = memo.get(key);
    if (!p) {
      await checkpoint(o.signal);
      p = await o.predict(alphaC(c), alphaT(r));
      memo.set(key, p);
      modelsRun++;
    }
    return p;
  };
  const results = new Map<string, XiCell>();
  let done = 0;
  let finest: XiLevelPlan | null = null;
  for (const lvl of plan.levels) {
    for (const [r, c] of lvl.newCells) {
      const combined = await run(r, c);
      const cleanSingle = await run(mid, c); // α_t = 0: θ_pre + α_c τ̂_c
      const trigSingle = await run(r, mid); // α_c = 0: θ_pre + α_t τ_t
      const x = xiFromPredictions(cleanSingle, trigSingle, combined);
      const cell: XiCell = { level: lvl.level, alphaC: alphaC(c), alphaT: alphaT(r), ...x };
      results.set(`${r},${c}`, cell);
      done++;
      o.onCell?.(cell);
      const elapsed = performance.now() - t0;
      o.onProgress?.({
        done,
        total: totalCells,
        message: `ξ grid ${lvl.n}×${lvl.n}: cell ${done} of ${totalCells}`,
        etaMs: (elapsed / done) * (totalCells - done),
      });
    }
    finest = lvl;
  }
  const cells = finest!.cells.map(([r, c]) => results.get(`${r},${c}`)!);
  return { size: finest!.n, cells, modelsRun };
}

/** Validate a DisentangleConfig's grid (throws DisentanglementError). */
export function checkDisentangleConfig(c: DisentangleConfig): void {
  planXiGrid(c.range, c.levels);
  if (!Number.isInteger(c.samples) || c.samples < 1) throw new DisentanglementError(`samples must be a positive integer, got ${c.samples}`);
}
