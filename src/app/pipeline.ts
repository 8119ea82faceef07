/**
 * The experiment's stages: which worker job each runs, what it depends on, which part of the config
 * it reads (its key: a stage whose key changed since it ran is stale), and how its progress reads.
 */
import { forgetOf, type ExperimentConfig } from '../engine/experiment/config';
import type { DecreeStageProgress, EvalProgress, TrainProgress } from '../engine/experiment/results';
import type { JobName, LoadProgress } from '../worker/protocol';
import { canonicalJson } from './configCheck';
import { fmtBytes, fmtRate } from './format';

export type StageId = 'model' | 'data' | 'zeroShot' | 'attack' | 'decree' | 'tbar' | 'sweep' | 'disentangle' | 'ga';

/** Run order of "Run everything". */
export const STAGES: readonly StageId[] = ['model', 'data', 'zeroShot', 'attack', 'decree', 'tbar', 'sweep', 'disentangle', 'ga'];

export const STAGE_JOB = {
  model: 'loadModel',
  data: 'loadData',
  zeroShot: 'zeroShot',
  attack: 'attack',
  decree: 'decree',
  tbar: 'tbar',
  sweep: 'sweep',
  disentangle: 'disentangle',
  ga: 'gradientAscent',
} as const satisfies Record<StageId, JobName>;

export const STAGE_LABEL: Record<StageId, string> = {
  model: 'Load model',
  data: 'Load data',
  zeroShot: 'Zero-shot score',
  attack: 'Backdoor attack',
  decree: 'DECREE trigger inversion',
  tbar: 'TBAR fine-tune',
  sweep: 'α sweep',
  disentangle: 'Disentanglement map',
  ga: 'Gradient ascent',
};

/** Stages whose outputs (in the worker) a stage needs. */
export const STAGE_DEPS: Record<StageId, readonly StageId[]> = {
  model: [],
  data: [],
  zeroShot: ['model', 'data'],
  attack: ['model', 'data'],
  decree: ['attack'],
  tbar: ['attack', 'decree'],
  sweep: ['tbar'],
  disentangle: ['sweep'],
  ga: ['attack', 'decree'],
};

/**
 * Whether a stage takes part under this config: DECREE only when the forget set's trigger is
 * reverse-engineered (TBAR+DECREE, §6); every other stage always.
 */
export function stageApplies(stage: StageId, c: ExperimentConfig): boolean {
  return stage !== 'decree' || forgetOf(c).trigger === 'decree';
}

/** Stages that need `stage`, directly or not. */
export function dependents(stage: StageId): StageId[] {
  return STAGES.filter((s) => s !== stage && upstream(s).includes(stage));
}

/** `stage`'s dependencies, transitively, in run order. */
export function upstream(stage: StageId): StageId[] {
  const out = new Set<StageId>();
  const visit = (s: StageId) => STAGE_DEPS[s].forEach((d) => (out.add(d), visit(d)));
  visit(stage);
  return STAGES.filter((s) => out.has(s));
}

/** Settings outside ExperimentConfig that change what a stage computes. */
export interface StageExtras {
  cleanBaseline: boolean;
}

/** The part of the config (and upstream config) a stage's result depends on. */
export function stageKey(stage: StageId, c: ExperimentConfig, x: StageExtras): string {
  const model = { model: c.model, templates: c.templates, data: c.data };
  const data = { data: c.data, seed: c.seed, splits: c.splits };
  const attack = { ...model, ...data, trigger: c.trigger, attack: c.attack, backdoor: c.backdoor, clean: x.cleanBaseline };
  const decree = { ...attack, forget: forgetOf(c) };
  const forgetTraining = { ...decree, tbar: c.tbar }; // gradient ascent trains with TBAR's hyper-parameters
  const tbar = { ...forgetTraining, triggerVector: c.triggerVector };
  const parts: Record<StageId, unknown> = {
    model,
    data,
    zeroShot: { ...model, ...data, trigger: c.trigger, target: c.attack.target },
    attack,
    decree,
    tbar,
    sweep: { ...tbar, sweep: c.sweep },
    disentangle: { ...tbar, sweep: c.sweep, disentangle: c.disentangle },
    ga: { ...forgetTraining, ga: c.ga },
  };
  return canonicalJson(parts[stage]);
}

/** What a panel shows while a stage runs. */
export interface ProgressView {
  /** 0..1, or null when unknown. */
  fraction: number | null;
  label: string;
  etaMs: number | null;
  /** Secondary line: throughput, bytes. */
  detail: string | null;
}

export function loadProgressView(p: LoadProgress): ProgressView {
  const bytes = p.totalBytes ? `${fmtBytes(p.bytes ?? 0)} of ${fmtBytes(p.totalBytes)}` : null;
  const rate = p.bytesPerSec ? `${fmtBytes(p.bytesPerSec)}/s` : null;
  const fraction = p.totalBytes && p.phase === 'download' ? (p.bytes ?? 0) / p.totalBytes : p.total ? p.done / p.total : null;
  return { fraction, label: p.message, etaMs: p.etaMs ?? null, detail: [bytes, rate].filter(Boolean).join(' · ') || null };
}

export function trainProgressView(p: TrainProgress, epochs: number): ProgressView {
  return {
    fraction: p.totalSteps ? p.step / p.totalSteps : null,
    label: `${p.stage === 'clean' ? 'Clean baseline · ' : ''}epoch ${Math.min(p.epoch + 1, epochs)} of ${epochs} · step ${p.step} of ${p.totalSteps}`,
    etaMs: p.etaMs,
    detail: `loss ${p.loss.toFixed(3)} · ${fmtRate(p.imagesPerSec)} images/s`,
  };
}

export function decreeProgressView(p: DecreeStageProgress): ProgressView {
  const runs = p.restarts > 1 ? ` · run ${p.restart + 1} of ${p.restarts}` : '';
  return {
    fraction: (p.restart * p.steps + p.step) / (p.restarts * p.steps),
    label: `${p.phase === 'backdoored' ? 'Inverting θ_b' : 'Inverting θ_pre (baseline)'}${runs} · step ${p.step} of ${p.steps}`,
    etaMs: p.etaMs,
    detail: `similarity ${p.similarity.toFixed(3)} · stamp ${(100 * p.pl1).toFixed(1)}% of the image`,
  };
}

export function evalProgressView(p: EvalProgress, startedAt: number, now: number): ProgressView {
  const fraction = p.total ? p.done / p.total : null;
  let eta = p.etaMs ?? null;
  if (eta === null && fraction && fraction > 0.02) eta = ((now - startedAt) / fraction) * (1 - fraction);
  return { fraction, label: p.message || `${p.done} of ${p.total}`, etaMs: eta, detail: null };
}
