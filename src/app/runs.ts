/**
 * A run: one ExperimentConfig and everything its stages returned or streamed. The store's `current`
 * run feeds every chart; finished runs persist in IndexedDB (runsDb.ts) and export as JSON/CSV.
 */
import type { ExperimentConfig } from '../engine/experiment/config';
import type {
  AttackResult,
  DataSummary,
  DecreeResult,
  DisentangleResult,
  GaPoint,
  GaResult,
  ModelSummary,
  SweepPoint,
  SweepResult,
  TbarResult,
  XiCell,
  ZeroShotResult,
} from '../engine/experiment/results';
import { targetBreakdown } from '../engine/eval/byClass';
import { TRIGGER_LABELS } from './defaults';
import { fmtAlpha, pct } from './format';
import type { StageId } from './pipeline';

export interface RunRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  config: ExperimentConfig;
  cleanBaseline: boolean;
  /** Backend the run computed on ('mock' for the mock engine). */
  backend: string;
  model: ModelSummary | null;
  data: DataSummary | null;
  zeroShot: ZeroShotResult | null;
  attack: AttackResult | null;
  /** TBAR+DECREE only (config.forget.trigger = 'decree'). */
  decree: DecreeResult | null;
  tbar: TbarResult | null;
  sweep: SweepResult | null;
  disentangle: DisentangleResult | null;
  ga: GaResult | null;
  /** Streams (partials and per-step losses), kept even when a stage is cancelled part-way. */
  sweepPoints: SweepPoint[];
  xiCells: XiCell[];
  gaPoints: GaPoint[];
  losses: { attack: number[]; tbar: number[]; ga: number[] };
  /** Wall time of each finished stage (ms). */
  timings: Partial<Record<StageId, number>>;
}

export function newRun(config: ExperimentConfig, cleanBaseline: boolean, backend: string, now = Date.now()): RunRecord {
  const rand = Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0');
  return {
    id: `run-${now.toString(36)}-${rand}`,
    createdAt: now,
    updatedAt: now,
    config,
    cleanBaseline,
    backend,
    model: null,
    data: null,
    zeroShot: null,
    attack: null,
    decree: null,
    tbar: null,
    sweep: null,
    disentangle: null,
    ga: null,
    sweepPoints: [],
    xiCells: [],
    gaPoints: [],
    losses: { attack: [], tbar: [], ga: [] },
    timings: {},
  };
}

/** Which result field holds a stage's output. */
export const STAGE_RESULT: Record<StageId, keyof RunRecord> = {
  model: 'model',
  data: 'data',
  zeroShot: 'zeroShot',
  attack: 'attack',
  decree: 'decree',
  tbar: 'tbar',
  sweep: 'sweep',
  disentangle: 'disentangle',
  ga: 'ga',
};

/** A copy of `run` holding only the given stages' results (and their streams). */
export function keepStages(run: RunRecord, keep: (s: StageId) => boolean, into: RunRecord): RunRecord {
  const r = { ...into, losses: { attack: [], tbar: [], ga: [] } as RunRecord['losses'], timings: {} as RunRecord['timings'] };
  for (const s of Object.keys(STAGE_RESULT) as StageId[]) {
    if (!keep(s)) continue;
    (r as unknown as Record<string, unknown>)[STAGE_RESULT[s]] = run[STAGE_RESULT[s]];
    if (run.timings[s] !== undefined) r.timings[s] = run.timings[s];
  }
  if (keep('attack')) r.losses.attack = run.losses.attack;
  if (keep('tbar')) r.losses.tbar = run.losses.tbar;
  if (keep('ga')) {
    r.losses.ga = run.losses.ga;
    r.gaPoints = run.gaPoints;
  }
  if (keep('sweep')) r.sweepPoints = run.sweepPoints;
  if (keep('disentangle')) r.xiCells = run.xiCells;
  return r;
}

/** Worth listing in the results table: the attack ran. */
export const isRecordable = (r: RunRecord) => r.attack !== null || r.zeroShot !== null;

export interface RunSummary {
  trigger: string;
  target: string;
  setup: string;
  caBefore: number | null;
  caAfter: number | null;
  asrBefore: number | null;
  asrAfter: number | null;
  asrRemoved: number | null;
  caRetained: number | null;
  /** CA retained on the classes other than the target (eval/byClass.ts); null without the counts. */
  othersRetained: number | null;
  alpha: number | null;
  ms: number;
}

export function summarize(r: RunRecord): RunSummary {
  const c = r.config;
  const classes = r.data?.classNames;
  const before = r.sweep?.backdoored ?? r.attack?.test ?? null;
  const after = r.sweep?.test ?? null;
  const model = c.model.kind === 'builtin' ? 'micro CLIP' : c.model.kind === 'hub' ? c.model.repo.split('/').pop()! : c.model.name;
  const data = c.data.kind === 'shapes' ? 'shapes' : c.data.kind === 'folder' ? c.data.name : c.data.kind.toUpperCase();
  return {
    trigger: TRIGGER_LABELS[c.trigger.kind],
    target: classes?.[c.attack.target] ?? `class ${c.attack.target}`,
    setup: [
      model,
      data,
      c.backdoor ? `θ_b from ${c.backdoor.name}` : `poison ${pct(c.attack.poisonRate, 1)}`,
      `seed ${c.seed}`,
      ...(c.forget?.trigger === 'decree' ? ['forget set by DECREE'] : []),
      ...(c.triggerVector ? [`τ̂_t from ${c.triggerVector.name}`] : []),
    ].join(' · '),
    caBefore: before?.ca ?? null,
    caAfter: after?.ca ?? null,
    asrBefore: before?.asr ?? null,
    asrAfter: after?.asr ?? null,
    asrRemoved: r.sweep?.asrRemoved ?? null,
    caRetained: r.sweep?.caRetained ?? null,
    othersRetained: othersRetained(r),
    alpha: r.sweep?.alpha ?? null,
    ms: Object.values(r.timings).reduce((a, b) => a + (b ?? 0), 0),
  };
}

function othersRetained(r: RunRecord): number | null {
  const b = r.sweep?.byClass;
  if (!b) return null;
  try {
    return targetBreakdown(b.backdoored, b.cleaned, r.config.attack.target).others.retained;
  } catch {
    return null; // counts that are not a before/after pair: no figure rather than a wrong one
  }
}

export const alphaLabel = (a: number | null) => (a === null ? '—' : `α = ${fmtAlpha(a)}`);
