/**
 * Derived views of the store for the panels (pure functions of LabState, so components stay dumb).
 */
import type { UserError } from './errors';
import { forecastSeconds, measuredRates } from './forecast';
import { STAGE_LABEL, STAGES, stageApplies, type ProgressView, type StageId } from './pipeline';
import { runAllStages, runBackend, stageStale, type LabState, type StageStatus } from './store';
import { canonicalJson } from './configCheck';

export type PanelId = 'model' | 'data' | 'trigger' | 'attack' | 'unlearn' | 'results';

export const PANELS: { id: PanelId; title: string; subtitle: string }[] = [
  { id: 'model', title: 'Model', subtitle: 'A CLIP checkpoint, θ_pre' },
  { id: 'data', title: 'Data', subtitle: 'Labelled images, split' },
  { id: 'trigger', title: 'Trigger', subtitle: 'What the attacker stamps' },
  { id: 'attack', title: 'Attack', subtitle: 'Backdoor the vision tower → θ_b' },
  { id: 'unlearn', title: 'Unlearn', subtitle: 'TBAR: θ̂_c = θ_b − α·τ̂_t' },
  { id: 'results', title: 'Results', subtitle: 'Why it works, and the baseline' },
];

export const PANEL_STAGES: Record<PanelId, StageId[]> = {
  model: ['model'],
  data: ['data'],
  trigger: [],
  attack: ['zeroShot', 'attack'],
  unlearn: ['decree', 'tbar', 'sweep'],
  results: ['disentangle', 'ga'],
};

export interface PanelStatus {
  status: StageStatus;
  /** The stage (of this panel) that is running or failed. */
  stage: StageId | null;
  progress: ProgressView | null;
  error: UserError | null;
  /** Some result was computed with other settings. */
  stale: boolean;
  label: string;
}

function combine(s: LabState, ids: StageId[]): PanelStatus {
  const st = ids.map((id) => ({ id, ...s.stages[id] }));
  const pick = (status: StageStatus) => st.find((x) => x.status === status);
  const stale = ids.some((id) => stageStale(s, id));
  const running = pick('running');
  if (running) {
    return { status: 'running', stage: running.id, progress: running.progress, error: null, stale, label: STAGE_LABEL[running.id] };
  }
  const err = pick('error');
  if (err) return { status: 'error', stage: err.id, progress: null, error: err.error, stale, label: `${STAGE_LABEL[err.id]} failed` };
  if (pick('queued')) return { status: 'queued', stage: null, progress: null, error: null, stale, label: 'Waiting' };
  const cancelled = pick('cancelled');
  if (cancelled) return { status: 'cancelled', stage: cancelled.id, progress: null, error: null, stale, label: `${STAGE_LABEL[cancelled.id]} cancelled` };
  if (st.every((x) => x.status === 'done')) return { status: 'done', stage: null, progress: null, error: null, stale, label: stale ? 'Done · settings changed' : 'Done' };
  if (st.some((x) => x.status === 'done')) return { status: 'idle', stage: null, progress: null, error: null, stale, label: 'Partly done' };
  return { status: 'idle', stage: null, progress: null, error: null, stale, label: 'Not started' };
}

export function panelStatus(s: LabState, id: PanelId): PanelStatus {
  if (id === 'trigger') {
    const p = s.preview;
    const status: StageStatus = p.status === 'running' ? 'running' : p.status === 'error' ? 'error' : p.data ? 'done' : 'idle';
    const label = status === 'running' ? 'Updating preview' : status === 'error' ? 'Preview failed' : status === 'done' ? 'Ready' : 'Needs the data';
    return { status, stage: null, progress: null, error: p.error, stale: false, label };
  }
  return combine(s, PANEL_STAGES[id].filter((x) => stageApplies(x, s.config)));
}

/** Class name of index i, from the loaded data or the run's. */
export function className(s: LabState, i: number): string {
  const names = s.loaded.data?.classNames ?? s.current.data?.classNames;
  return names?.[i] ?? `class ${i}`;
}

export function classNames(s: LabState): string[] | null {
  return s.loaded.data?.classNames ?? s.current.data?.classNames ?? null;
}

/** The α the scrubber and the chart show. */
export function shownAlpha(s: LabState): number | null {
  return s.scrubAlpha ?? s.current.sweep?.alpha ?? null;
}

/** Which image side the model takes (for the painted stamp size and previews). */
export function modelImageSize(s: LabState): number | null {
  return s.loaded.model?.imageSize ?? s.current.model?.imageSize ?? null;
}

/** The device's rates as `run` measured them (forecast.ts), with a running fine-tune's images/s. */
function runRates(run: LabState['current'], liveImagesPerSec?: number) {
  const measured = { zeroShotMs: run.timings.zeroShot, sweepMs: run.timings.sweep, trainSeconds: run.attack?.trainSeconds, liveImagesPerSec };
  return measuredRates(run.config, measured, run.cleanBaseline);
}

/**
 * Seconds the running and queued stages still need (forecast.ts), or null: nothing queued, or this
 * run has not yet measured both of the device's rates. The running stage counts the share of its
 * forecast its progress has not reached (the same measure for every stage; a training stage's own
 * ETA leaves out its scoring). The attack with the clean baseline trains twice, the clean run first,
 * and its progress counts each run from 0.
 */
export function timeLeft(s: LabState): number | null {
  const queued = STAGES.filter((id) => s.stages[id].status === 'queued');
  if (queued.length === 0) return null;
  const run = s.current;
  const live = s.live.attack; // the attack's fine-tune (or its clean baseline) while it runs
  const rates = runRates(run, live?.imagesPerSec);
  if (!rates) return null;
  let secs = forecastSeconds(queued, run.config, run.cleanBaseline, rates);
  for (const id of STAGES) {
    if (s.stages[id].status !== 'running') continue;
    const todo = 1 - (s.stages[id].progress?.fraction ?? 0);
    const whole = forecastSeconds([id], run.config, run.cleanBaseline, rates);
    if (id !== 'attack' || !run.cleanBaseline) secs += whole * todo;
    else secs += (whole / 2) * (todo + (live?.stage === 'clean' ? 1 : 0)); // one run of two, then the other
  }
  return secs;
}

/**
 * Seconds "Run everything" would take now at the last run's measured speed (forecast.ts), or null:
 * nothing measured yet, or the last run measured another model or another backend. Downloads and
 * decoding (the loading stages) are not counted.
 */
export function runAllSeconds(s: LabState): number | null {
  const run = s.current;
  if (canonicalJson(run.config.model) !== canonicalJson(s.config.model) || run.backend !== runBackend(s)) return null;
  const rates = runRates(run);
  return rates && forecastSeconds(runAllStages(s), s.config, s.cleanBaseline, rates);
}

