/**
 * The app's state (zustand): the ONE place the UI reads from. The engine runs in a worker; this store
 * owns its client, runs the experiment's stages as worker jobs, and turns their progress, partial
 * results, results and errors into state. Components only read state and call actions.
 */
import { create } from 'zustand';
import type { BackendInfo } from '../engine/backend';
import type { BackendRequest } from '../engine/backendRequest';
import type { ExperimentConfig } from '../engine/experiment/config';
import type {
  DataSummary,
  DecreeStageProgress,
  GaPoint,
  ModelSummary,
  SamplePredictions,
  SweepPoint,
  TrainProgress,
  TriggerPreview,
  XiCell,
  XiCellSamples,
} from '../engine/experiment/results';
import type { SelfTestResult } from '../engine/selfTest';
import type { TriggerConfig, TriggerKind } from '../engine/triggers/types';
import { WorkerClient, isCancelled, type JobHandle } from '../worker/client';
import type { MockOptions } from '../worker/mockJobs';
import type { EvalProgress } from '../engine/experiment/results';
import type { JobName, LoadProgress } from '../worker/protocol';
import { debounce, frameBatcher } from './batch';
import { canonicalJson, sameConfig } from './configCheck';
import { defaultExperimentConfig, defaultTrigger, MICRO_DECREE } from './defaults';
import { withData, withModel } from './recipe';
import type { XiCellRef, XiTerm } from './urlState';
import { cacheInfo, clearCache, type CacheInfo } from '../engine/hub/cache';
import { gpuMemoryBytes } from './env';
import { toUserError, type UserError } from './errors';
import { downloadBytes, runCsv, runJson } from './exporters';
import { setPath } from './params';
import {
  STAGES,
  STAGE_JOB,
  STAGE_LABEL,
  decreeProgressView,
  dependents,
  evalProgressView,
  loadProgressView,
  stageApplies,
  stageKey,
  trainProgressView,
  upstream,
  type ProgressView,
  type StageId,
} from './pipeline';
import { isRecordable, keepStages, newRun, type RunRecord } from './runs';
import * as db from './runsDb';

export type EngineStatus = 'idle' | 'starting' | 'ready' | 'error';
export type StageStatus = 'idle' | 'queued' | 'running' | 'done' | 'error' | 'cancelled';

export interface StageState {
  status: StageStatus;
  progress: ProgressView | null;
  error: UserError | null;
  /** stageKey() of the settings it last finished with. */
  key: string | null;
  /** stageKey() of the settings its error came from (status 'error'). */
  errorKey: string | null;
  /** Whether the worker still holds its outputs (false after a reload or an engine restart). */
  inWorker: boolean;
  startedAt: number | null;
}

export interface Async<T> {
  status: 'idle' | 'running' | 'done' | 'error';
  data: T | null;
  error: UserError | null;
}

type TrainStage = 'attack' | 'tbar' | 'ga';
const TRAIN_STAGES: readonly StageId[] = ['attack', 'tbar', 'ga'];
const RESULT_STAGES: readonly StageId[] = ['zeroShot', 'attack', 'decree', 'tbar', 'sweep', 'disentangle', 'ga'];

export interface LabState {
  // ---- engine
  requested: BackendRequest;
  status: EngineStatus;
  backend: BackendInfo | null;
  error: string | null;
  selfTest: SelfTestResult | null;
  deviceLost: string | null;
  /** The mock engine runs (?mock=1). */
  mock: boolean;
  /** A message about the engine for the banner (e.g. it crashed and was restarted). */
  engineNotice: string | null;

  // ---- what the URL holds
  config: ExperimentConfig;
  presenter: boolean;
  scrubAlpha: number | null;
  cleanBaseline: boolean;
  /** What the ξ map shows (ξ or one of its terms). */
  xiTerm: XiTerm;
  /** The ξ cell whose images the inspector shows. */
  xiCell: XiCellRef | null;
  urlProblems: string[];
  urlOmitted: string[];

  // ---- runtime
  stages: Record<StageId, StageState>;
  /** A chain of stages is running (one at a time). */
  busy: boolean;
  /** What the worker holds now. */
  loaded: { model: ModelSummary | null; data: DataSummary | null };
  /** Files the user picked for model { kind: 'file' } / data { kind: 'folder' } (never in the URL). */
  files: { model: File[] | null; data: File[] | null; backdoor: File[] | null; triggerVector: File[] | null };
  /** The run the panels show. */
  current: RunRecord;
  /** Stored runs, newest first. */
  runs: RunRecord[];
  dbError: string | null;
  live: Partial<Record<TrainStage, TrainProgress>>;
  preview: Async<TriggerPreview>;
  predictions: Async<SamplePredictions>;
  xiSamples: Async<XiCellSamples>;
  exporting: string | null;
  exportError: UserError | null;
  /** What the lab keeps in the browser's Cache API (Hub downloads, zero-shot heads). */
  cache: Async<CacheInfo>;

  // ---- actions
  start(requested: BackendRequest, mock?: MockOptions | null): Promise<void>;
  restartEngine(notice?: string): Promise<void>;
  setConfig(update: (c: ExperimentConfig) => ExperimentConfig): void;
  /** Use checkpoint files from the user's disk as θ_pre. */
  setModelFiles(files: File[]): void;
  /**
   * θ_b from a backdoored checkpoint ('backdoor', instead of the attack's fine-tuning) or τ̂_t from a
   * file ('triggerVector', instead of TBAR's; §5.2 transfer): null computes it here again, undefined
   * chooses a file before one is picked.
   */
  setSourceFile(part: FilePart, file: File | null | undefined): void;
  /** Use a folder of images (one sub-folder per class) as the data. */
  setDataFiles(files: File[]): void;
  setField(path: string, value: unknown): void;
  setTriggerKind(kind: TriggerKind): void;
  /** The forget set's trigger: the attack's (known) or DECREE's inversion (§6, with the attack-agnostic α rule). */
  setForgetTrigger(kind: 'known' | 'decree'): void;
  setTriggerParams(patch: Partial<TriggerConfig['params']>): void;
  setPresenter(on: boolean): void;
  setXiTerm(term: XiTerm): void;
  setScrubAlpha(alpha: number | null): void;
  /** Show a ξ cell's images (merged vs single-task predictions), or close the inspector (null). */
  inspectXiCell(cell: XiCellRef | null): void;
  setCleanBaseline(on: boolean): void;
  dismissUrlProblems(): void;
  dismissEngineNotice(): void;
  /** Run these stages (again), and whatever they need first. */
  runStage(stage: StageId | StageId[]): Promise<void>;
  runAll(): Promise<void>;
  cancel(): void;
  loadHistory(): Promise<void>;
  showRun(id: string): void;
  deleteRun(id: string): Promise<void>;
  exportRun(id: string, what: 'json' | 'sweep-csv' | 'xi-csv' | 'epochs-csv'): void;
  exportWeights(what: 'cleaned' | 'backdoored' | 'trigger-vector'): Promise<void>;
  refreshCache(): Promise<void>;
  clearCache(): Promise<void>;
}

/** Config parts a user's file can stand in for, and the stage that computes them otherwise. */
export type FilePart = 'backdoor' | 'triggerVector';
const FILE_PART_STAGE: Record<FilePart, 'attack' | 'tbar'> = { backdoor: 'attack', triggerVector: 'tbar' };
const FILE_PART_PLACEHOLDER: Record<FilePart, string> = { backdoor: 'a checkpoint', triggerVector: 'a trigger vector' };

const idleStage = (): StageState => ({ status: 'idle', progress: null, error: null, key: null, errorKey: null, inWorker: false, startedAt: null });
const allStages = (f: (s: StageId) => StageState) => Object.fromEntries(STAGES.map((s) => [s, f(s)])) as Record<StageId, StageState>;
const asyncIdle = <T>(): Async<T> => ({ status: 'idle', data: null, error: null });

// ---- module state: the worker client and the jobs in flight

let client: WorkerClient | null = null;
let mockOptions: MockOptions | null = null;
let generation = 0;
let chainJob: JobHandle<JobName> | null = null;
let chainCancelled = false;
/** Side jobs (not stages) and the state key each fills: one job each in flight, a newer request cancels the older. */
type SideKey = 'preview' | 'predictions' | 'xiSamples';
const sideJobs: Partial<Record<SideKey, JobHandle<JobName> | null>> = {};

/** The engine worker's client (created by `start`). */
export function engineClient(): WorkerClient {
  if (!client) throw new Error('the engine has not been started');
  return client;
}

function spawn(mock: MockOptions | null): WorkerClient {
  if (!mock) return WorkerClient.spawn();
  const w = new Worker(new URL('../worker/mockWorker.ts', import.meta.url), { type: 'module', name: 'tbar-mock-engine' });
  w.postMessage({ type: 'mock-options', ...mock });
  return new WorkerClient(w);
}

// ---- batched stream updates (progress per step, partial per cell)

const pending = {
  progress: new Map<StageId, ProgressView>(),
  live: {} as Partial<Record<TrainStage, TrainProgress>>,
  losses: { attack: [] as number[], tbar: [] as number[], ga: [] as number[] },
  sweep: [] as SweepPoint[],
  xi: [] as XiCell[],
  ga: [] as GaPoint[],
};

const batch = frameBatcher(() => {
  const p = { ...pending, progress: new Map(pending.progress), live: { ...pending.live } };
  pending.progress.clear();
  pending.live = {};
  const losses = pending.losses;
  pending.losses = { attack: [], tbar: [], ga: [] };
  const [sweep, xi, ga] = [pending.sweep, pending.xi, pending.ga];
  pending.sweep = [];
  pending.xi = [];
  pending.ga = [];
  useLab.setState((s) => {
    const stages = { ...s.stages };
    for (const [id, view] of p.progress) if (stages[id].status === 'running') stages[id] = { ...stages[id], progress: view };
    const c = s.current;
    const current: RunRecord = {
      ...c,
      losses: {
        attack: losses.attack.length ? [...c.losses.attack, ...losses.attack] : c.losses.attack,
        tbar: losses.tbar.length ? [...c.losses.tbar, ...losses.tbar] : c.losses.tbar,
        ga: losses.ga.length ? [...c.losses.ga, ...losses.ga] : c.losses.ga,
      },
      sweepPoints: sweep.length ? [...c.sweepPoints, ...sweep] : c.sweepPoints,
      xiCells: xi.length ? [...c.xiCells, ...xi] : c.xiCells,
      gaPoints: ga.length ? [...c.gaPoints, ...ga] : c.gaPoints,
    };
    return { stages, current, live: { ...s.live, ...p.live } };
  });
});

// ---- helpers over state

const get = () => useLab.getState();
const set = (patch: Partial<LabState> | ((s: LabState) => Partial<LabState>)) => useLab.setState(patch);

function patchStage(id: StageId, patch: Partial<StageState>) {
  set((s) => ({ stages: { ...s.stages, [id]: { ...s.stages[id], ...patch } } }));
}

/** The stage finished with the current settings and the worker still holds its outputs. */
export function stageReady(s: LabState, id: StageId): boolean {
  const st = s.stages[id];
  return st.status === 'done' && st.inWorker && st.key === stageKey(id, s.config, s);
}

/**
 * A failed load keeps the previous model / data in the worker (session.ts), so once the settings move
 * off the ones that failed (back to a dataset that loaded, say), the load's error goes and its panel
 * shows the previous load again: done, or done with other settings.
 */
function loadErrorsLeft(stages: Record<StageId, StageState>, config: ExperimentConfig, s: LabState): Record<StageId, StageState> {
  let out = stages;
  for (const id of ['model', 'data'] as const) {
    const st = stages[id];
    if (st.status !== 'error' || st.errorKey === stageKey(id, config, s)) continue;
    out = { ...out, [id]: { ...st, status: st.key !== null ? 'done' : 'idle', error: null, errorKey: null } };
  }
  return out;
}

/** The stage finished, but with other settings than the current ones. */
export function stageStale(s: LabState, id: StageId): boolean {
  const st = s.stages[id];
  return st.status === 'done' && st.key !== null && st.key !== stageKey(id, s.config, s);
}

function persist(run: RunRecord) {
  if (!isRecordable(run)) return;
  const r = { ...run, updatedAt: Date.now() };
  set((s) => ({ runs: [r, ...s.runs.filter((x) => x.id !== r.id)].sort((a, b) => b.createdAt - a.createdAt) }));
  db.saveRun(r).catch((e) => set({ dbError: `Runs are not saved in this browser: ${(e as Error).message}` }));
}

/** Stage statuses for a run restored from storage (nothing in the worker). */
function stagesFromRun(run: RunRecord, loadedFrom: Record<StageId, StageState>): Record<StageId, StageState> {
  return allStages((id) => {
    if (id === 'model' || id === 'data') return loadedFrom[id];
    const has = run[id] != null;
    return has
      ? { ...idleStage(), status: 'done', key: stageKey(id, run.config, { cleanBaseline: run.cleanBaseline }) }
      : idleStage();
  });
}

/** A job failed because the worker died: restart it once and say so. */
function restartIfCrashed(e: unknown) {
  const code = (e as { code?: string })?.code;
  if (code !== 'worker-crashed' || restarting) return;
  restarting = true;
  void get()
    .restartEngine('The engine stopped unexpectedly and was restarted. Finished results are kept; run again to continue.')
    .finally(() => (restarting = false));
}
let restarting = false;

// ---- preview, predictions and the ξ cell's images: debounced, the previous request cancelled

/** Start a side job (not a stage) into state[key], cancelling the previous one; errors stay in key. */
function sideJob<K extends JobName>(key: SideKey, what: string, start: () => JobHandle<K>) {
  sideJobs[key]?.cancel();
  const job = start() as JobHandle<JobName>;
  sideJobs[key] = job;
  set((st) => ({ [key]: { ...st[key], status: 'running', error: null } }));
  job.result.then(
    (data) => sideJobs[key] === job && set({ [key]: { status: 'done', data, error: null } }),
    (e) => {
      if (sideJobs[key] !== job || isCancelled(e)) return;
      restartIfCrashed(e);
      set((st) => ({ [key]: { status: 'error', data: st[key].data, error: toUserError(e, what) } }));
    },
  );
}

const schedulePreview = debounce(() => {
  const s = get();
  if (!client || s.status !== 'ready' || !s.stages.data.inWorker) return;
  sideJob('preview', 'The trigger preview', () => client!.start('previewTrigger', { config: s.config, count: 8 }));
}, 200);

export const predictionsAvailable = (s: LabState) => stageReady(s, 'tbar') && s.current.sweep !== null;

const schedulePredictions = debounce(() => {
  const s = get();
  if (!client || !predictionsAvailable(s)) return;
  const alpha = s.scrubAlpha ?? s.current.sweep!.alpha;
  sideJob('predictions', 'The predictions', () => client!.start('predictSamples', { config: s.config, alpha, count: 8 }));
}, 150);

/** The ξ map shown was computed with these settings (in this worker or restored from a stored run). */
export const xiMapCurrent = (s: LabState) => s.stages.disentangle.status === 'done' && s.stages.disentangle.key === stageKey('disentangle', s.config, s);

/** The ξ cell inspector needs τ̂_t and the sweep (α*) in the worker, and a ξ map of these settings. */
export const xiCellAvailable = (s: LabState) => stageReady(s, 'tbar') && stageReady(s, 'sweep') && xiMapCurrent(s);

const scheduleXiSamples = debounce(() => {
  const s = get();
  if (!client || !s.xiCell || !xiCellAvailable(s)) return;
  const { alphaC, alphaT } = s.xiCell;
  sideJob('xiSamples', 'The ξ cell’s images', () => client!.start('xiCellSamples', { config: s.config, alphaC, alphaT, count: 8 }));
}, 100);

// ---- running stages

/** What a stage button runs: its own stages, and before them any stage they need that is not ready. */
export const buttonPlan = (s: LabState, stages: StageId[]): StageId[] => plan(s, stages, stages);

/** Stages to run (in order) so that `targets` finish with the current settings. */
function plan(s: LabState, targets: StageId[], force: StageId[]): StageId[] {
  const needed = new Set<StageId>();
  for (const t of targets) [t, ...upstream(t)].forEach((x) => needed.add(x));
  const out: StageId[] = [];
  for (const id of STAGES) {
    if (!needed.has(id) || !stageApplies(id, s.config)) continue;
    const depRuns = upstream(id).some((d) => out.includes(d));
    if (force.includes(id) || depRuns || !stageReady(s, id)) out.push(id);
  }
  return out;
}

/** What "Run everything" forces: nothing while a stage is out of date, else the experiment again from the zero-shot score on (the same run). */
const runAllForce = (s: LabState): StageId[] => (plan(s, [...STAGES], []).length ? [] : RESULT_STAGES.slice());

/** The stages "Run everything" would run now, in order. */
export function runAllStages(s: LabState): StageId[] {
  return plan(s, [...STAGES], runAllForce(s));
}

export const runBackend = (s: LabState) => (s.mock ? 'mock' : (s.backend?.name ?? ''));

/** Start a new run record when these stages would overwrite results made with other settings or on another backend. */
function forkRunIfNeeded(stages: StageId[]) {
  const s = get();
  const producing = stages.filter((x) => RESULT_STAGES.includes(x));
  if (producing.length === 0) return;
  const c = s.current;
  // Same settings on the same backend reproduce the same numbers (bit for bit): the run is updated in
  // place rather than listed again (after a reload, one stage's button reruns what it needs first).
  const sameSettings = sameConfig(c.config, s.config) && c.cleanBaseline === s.cleanBaseline;
  if (sameSettings && c.backend === runBackend(s)) return;
  const fresh = newRun(s.config, s.cleanBaseline, runBackend(s));
  // Results the chain will not recompute and whose settings did not change carry over.
  const keep = (x: StageId) =>
    RESULT_STAGES.includes(x) && !stages.includes(x) && c[x] !== null &&
    stageKey(x, c.config, { cleanBaseline: c.cleanBaseline }) === stageKey(x, s.config, s);
  const run = keepStages(c, keep, fresh);
  set({ current: { ...run, model: s.loaded.model, data: s.loaded.data } });
}

async function runOne(id: StageId, config: ExperimentConfig, cleanBaseline: boolean): Promise<void> {
  const c = client!;
  const startedAt = performance.now();
  const key = stageKey(id, config, { cleanBaseline });
  // The worker's outputs of this stage's dependents were computed from what it is about to replace.
  set((s) => {
    const stages = { ...s.stages, [id]: { ...s.stages[id], status: 'running' as const, progress: null, error: null, startedAt: Date.now(), inWorker: false } };
    for (const d of dependents(id)) stages[d] = { ...stages[d], inWorker: false };
    // A result stage starts over; the model/data summaries stay until the new ones arrive (the class
    // names keep showing while the data reloads, e.g. after a page reload).
    const cur = (RESULT_STAGES.includes(id) ? { ...s.current, [id]: null } : { ...s.current }) as RunRecord;
    if (id === 'sweep') cur.sweepPoints = [];
    if (id === 'disentangle') cur.xiCells = [];
    if (id === 'ga') cur.gaPoints = [];
    if (TRAIN_STAGES.includes(id)) cur.losses = { ...cur.losses, [id]: [] };
    const live = { ...s.live };
    delete live[id as TrainStage];
    return { stages, current: cur, live };
  });

  const epochs = id === 'attack' ? config.attack.epochs : id === 'tbar' ? config.tbar.epochs : config.ga.epochs;
  const onProgress = (p: unknown) => {
    if (TRAIN_STAGES.includes(id)) {
      const tp = p as TrainProgress;
      pending.progress.set(id, trainProgressView(tp, epochs));
      if (tp.stage !== 'clean') {
        pending.live[id as TrainStage] = tp;
        pending.losses[id as TrainStage].push(tp.loss);
      }
    } else if (id === 'model' || id === 'data') {
      pending.progress.set(id, loadProgressView(p as LoadProgress));
    } else if (id === 'decree') {
      pending.progress.set(id, decreeProgressView(p as DecreeStageProgress));
    } else {
      pending.progress.set(id, evalProgressView(p as EvalProgress, startedAt, performance.now()));
    }
    batch.schedule();
  };
  const onPartial = (p: unknown) => {
    if (id === 'sweep') pending.sweep.push(p as SweepPoint);
    else if (id === 'disentangle') pending.xi.push(p as XiCell);
    else if (id === 'ga') pending.ga.push(p as GaPoint);
    batch.schedule();
  };
  const files = get().files;
  const params =
    id === 'attack'
      ? { config, cleanBaseline, ...(config.backdoor && { files: files.backdoor ?? [] }) }
      : id === 'tbar' && config.triggerVector
        ? { config, files: files.triggerVector ?? [] }
      : id === 'model' && config.model.kind === 'file'
        ? { config, files: files.model ?? [] }
        : id === 'data' && config.data.kind === 'folder'
          ? { config, files: files.data ?? [] }
          : { config };
  const job = c.start(STAGE_JOB[id], params as never, { onProgress, onPartial }) as JobHandle<JobName>;
  chainJob = job;
  try {
    const result = await job.result;
    batch.flushNow();
    const ms = performance.now() - startedAt;
    set((s) => {
      const cur: RunRecord = { ...s.current, [id]: result, timings: { ...s.current.timings, [id]: ms } };
      // Final results replace the streamed ones (the same numbers, complete).
      if (id === 'sweep') cur.sweepPoints = (result as { points: SweepPoint[] }).points;
      if (id === 'ga') cur.gaPoints = (result as { points: GaPoint[] }).points;
      if (id === 'attack' || id === 'tbar') cur.losses = { ...cur.losses, [id]: (result as { losses: number[] }).losses };
      const loaded = { ...s.loaded };
      if (id === 'model') loaded.model = result as ModelSummary;
      if (id === 'data') loaded.data = result as DataSummary;
      if (id === 'model' || id === 'data') Object.assign(cur, { [id]: result });
      return {
        current: cur,
        loaded,
        stages: { ...s.stages, [id]: { status: 'done', progress: null, error: null, key, errorKey: null, inWorker: true, startedAt: null } },
      };
    });
    if (RESULT_STAGES.includes(id)) persist(get().current);
    if (id === 'data' || id === 'model') {
      schedulePreview();
      void get().refreshCache();
    }
    if (id === 'sweep') {
      set({ predictions: asyncIdle(), xiSamples: asyncIdle() });
      schedulePredictions();
    }
    if (id === 'disentangle') {
      set({ xiSamples: asyncIdle() });
      scheduleXiSamples();
    }
  } catch (e) {
    batch.flushNow();
    if (isCancelled(e) || chainCancelled) {
      patchStage(id, { status: 'cancelled', progress: null, error: null });
    } else {
      const err = toUserError(e, STAGE_LABEL[id]);
      patchStage(id, { status: 'error', progress: null, error: err, errorKey: key });
      restartIfCrashed(e);
    }
    throw e;
  } finally {
    if (chainJob === job) chainJob = null;
  }
}

async function runChain(targets: StageId[], force: StageId[]): Promise<void> {
  const s = get();
  if (s.busy || !client || s.status !== 'ready') return;
  const stages = plan(s, targets, force);
  if (stages.length === 0) return;
  const config = s.config;
  const cleanBaseline = s.cleanBaseline;
  forkRunIfNeeded(stages);
  chainCancelled = false;
  const before = get().stages;
  set((st) => {
    const next = { ...st.stages };
    for (const id of stages) next[id] = { ...next[id], status: 'queued', error: null };
    return { busy: true, stages: next };
  });
  let i = 0;
  try {
    for (; i < stages.length; i++) await runOne(stages[i], config, cleanBaseline);
  } catch {
    // The failing stage shows its error; the rest of the chain goes back to how it was.
    set((st) => {
      const next = { ...st.stages };
      for (const id of stages.slice(i + 1)) {
        const status = before[id].status === 'queued' ? 'idle' : before[id].status;
        next[id] = { ...before[id], status, inWorker: st.stages[id].inWorker };
      }
      return { stages: next };
    });
  } finally {
    set({ busy: false });
  }
}

/** Stages that load without a download (built-in model, procedural shapes): done on their own. */
function autoLoadable(c: ExperimentConfig): StageId[] {
  const out: StageId[] = [];
  if (c.model.kind === 'builtin') out.push('model');
  if (c.data.kind === 'shapes') out.push('data');
  return out;
}

/** A display name for picked files: their top folder, else the main file's name. */
function filesName(files: File[], main: RegExp): string {
  const withFolder = files.find((f) => f.webkitRelativePath?.includes('/'));
  if (withFolder) return withFolder.webkitRelativePath.split('/')[0];
  return files.find((f) => main.test(f.name))?.name ?? files[0]?.name ?? 'your files';
}

// ---- the store

export const useLab = create<LabState>((_set, _get) => ({
  requested: 'auto',
  status: 'idle',
  backend: null,
  error: null,
  selfTest: null,
  deviceLost: null,
  mock: false,
  engineNotice: null,

  config: defaultExperimentConfig(),
  presenter: false,
  scrubAlpha: null,
  cleanBaseline: false,
  xiTerm: 'xi',
  xiCell: null,
  urlProblems: [],
  urlOmitted: [],

  stages: allStages(idleStage),
  busy: false,
  loaded: { model: null, data: null },
  files: { model: null, data: null, backdoor: null, triggerVector: null },
  current: newRun(defaultExperimentConfig(), false, ''),
  runs: [],
  dbError: null,
  live: {},
  preview: asyncIdle(),
  predictions: asyncIdle(),
  xiSamples: asyncIdle(),
  exporting: null,
  exportError: null,
  cache: asyncIdle(),

  async start(requested, mock = null) {
    mockOptions = mock;
    client?.terminate();
    const c = spawn(mock);
    client = c;
    const gen = ++generation;
    set({ requested, mock: !!mock, status: 'starting', backend: null, error: null, selfTest: null, deviceLost: null });
    c.onNotice((n) => {
      if (n.kind === 'deviceLost') set({ deviceLost: n.message || n.reason });
    });
    try {
      const gpu = gpuMemoryBytes();
      const backend = await c.run('init', { backend: requested, ...(gpu && { gpuMemoryBytes: gpu }) });
      if (gen !== generation) return;
      set({ backend });
      const selfTest = await c.run('selfTest', { seed: 1 });
      if (gen !== generation) return;
      set({ selfTest, status: 'ready' });
    } catch (e) {
      if (gen === generation) set({ status: 'error', error: (e as Error).message });
      return;
    }
    // The built-in model and data need no download: load them so the trigger preview works at once.
    const auto = autoLoadable(get().config);
    if (auto.length) void runChain(auto, []);
  },

  async restartEngine(notice) {
    chainJob?.cancel();
    sideJobs.preview = sideJobs.predictions = sideJobs.xiSamples = null;
    set((s) => ({
      engineNotice: notice ?? null,
      stages: allStages((id) => {
        const st = s.stages[id];
        const busy = st.status === 'running' || st.status === 'queued';
        return { ...st, inWorker: false, status: busy ? (st.status === 'queued' ? 'idle' : 'error') : st.status, progress: null };
      }),
      loaded: { model: null, data: null },
      busy: false,
      preview: { ...s.preview, status: s.preview.data ? 'done' : 'idle' },
      predictions: { ...s.predictions, status: s.predictions.data ? 'done' : 'idle' },
      xiSamples: { ...s.xiSamples, status: s.xiSamples.data ? 'done' : 'idle' },
    }));
    await get().start(get().requested, mockOptions);
  },

  setConfig(update) {
    const before = get().config;
    const config = update(before);
    set((s) => ({ config, stages: loadErrorsLeft(s.stages, config, s) }));
    const t = (c: ExperimentConfig) => canonicalJson([c.trigger, c.seed, c.attack.target, c.data, c.model]);
    if (t(before) !== t(config)) schedulePreview();
  },

  setModelFiles(files) {
    // New files under the same name are a new model: the worker's copy no longer counts as loaded.
    set((s) => ({ files: { ...s.files, model: files }, stages: { ...s.stages, model: { ...s.stages.model, inWorker: false } } }));
    get().setConfig((c) => withModel(c, { kind: 'file', name: filesName(files, /\.safetensors$/i) }));
  },

  setSourceFile(part, file) {
    const stage = FILE_PART_STAGE[part];
    if (file === null) {
      set((s) => ({ files: { ...s.files, [part]: null } }));
      get().setConfig((c) => {
        if (!c[part]) return c;
        const { [part]: _, ...rest } = c;
        return rest;
      });
      return;
    }
    // A new file under the same name is a new θ_b / τ̂_t: the worker's copy no longer counts.
    if (file) set((s) => ({ files: { ...s.files, [part]: [file] }, stages: { ...s.stages, [stage]: { ...s.stages[stage], inWorker: false } } }));
    get().setConfig((c) => ({ ...c, [part]: { kind: 'file', name: file?.name ?? c[part]?.name ?? FILE_PART_PLACEHOLDER[part] } }));
  },

  setDataFiles(files) {
    set((s) => ({ files: { ...s.files, data: files }, stages: { ...s.stages, data: { ...s.stages.data, inWorker: false } } }));
    get().setConfig((c) => withData(c, { kind: 'folder', name: filesName(files, /\.(jpe?g|png|webp|bmp|gif)$/i) }));
  },

  setField(path, value) {
    get().setConfig((c) => setPath(c, path, value));
  },

  setForgetTrigger(kind) {
    get().setConfig((c) => {
      if (kind === 'known') {
        if (!c.forget) return c;
        const { forget: _, ...rest } = c;
        return { ...rest, sweep: { ...rest.sweep, rule: 'known-trigger' } };
      }
      if (c.forget?.trigger === 'decree') return c;
      const images = Math.min(MICRO_DECREE.images, c.splits.forget);
      return { ...c, forget: { trigger: 'decree', decree: { ...MICRO_DECREE, images } }, sweep: { ...c.sweep, rule: 'agnostic' } };
    });
  },

  setTriggerKind(kind) {
    const s = get();
    if (s.config.trigger.kind === kind) return;
    const t = defaultTrigger(kind, s.config.trigger.seed) as TriggerConfig;
    // A painted stamp at BadNet's size is a few pixels on a small model: start it at a quarter side.
    const side = s.loaded.model?.imageSize ?? s.current.model?.imageSize;
    if (t.kind === 'painted' && side) t.params = { ...t.params, size: Math.max(4, Math.round(side / 4)), position: 'fixed' };
    s.setConfig((c) => ({ ...c, trigger: t }));
  },

  setTriggerParams(patch) {
    get().setConfig((c) => ({ ...c, trigger: { ...c.trigger, params: { ...c.trigger.params, ...patch } } as TriggerConfig }));
  },

  setPresenter(on) {
    set({ presenter: on });
  },

  setXiTerm(term) {
    set({ xiTerm: term });
  },

  setScrubAlpha(alpha) {
    set({ scrubAlpha: alpha });
    schedulePredictions();
  },

  inspectXiCell(cell) {
    if (!cell) sideJobs.xiSamples?.cancel();
    // The previous cell's images stay up (dimmed) until the new ones arrive.
    set((s) => ({ xiCell: cell, xiSamples: cell ? s.xiSamples : asyncIdle() }));
    scheduleXiSamples();
  },

  setCleanBaseline(on) {
    set({ cleanBaseline: on });
  },

  dismissUrlProblems() {
    set({ urlProblems: [] });
  },

  dismissEngineNotice() {
    set({ engineNotice: null });
  },

  runStage(stage) {
    const targets = Array.isArray(stage) ? stage : [stage];
    return runChain(targets, targets);
  },

  async runAll() {
    await runChain([...STAGES], runAllForce(get()));
  },

  cancel() {
    chainCancelled = true;
    chainJob?.cancel();
  },

  async loadHistory() {
    try {
      const runs = await db.loadRuns();
      const s = get();
      const match = runs.find((r) => sameConfig(r.config, s.config) && r.cleanBaseline === s.cleanBaseline);
      set({ runs });
      if (match && !s.busy && !RESULT_STAGES.some((x) => s.stages[x].status !== 'idle')) {
        set((st) => ({ current: match, stages: stagesFromRun(match, st.stages) }));
      }
    } catch (e) {
      set({ dbError: `Runs are not saved in this browser: ${(e as Error).message}` });
    }
  },

  showRun(id) {
    const s = get();
    const run = s.runs.find((r) => r.id === id);
    if (!run || s.busy) return;
    const reload = !sameConfig(stageKey('model', run.config, run), stageKey('model', s.config, s)) ||
      !sameConfig(stageKey('data', run.config, run), stageKey('data', s.config, s));
    set((st) => ({
      config: run.config,
      cleanBaseline: run.cleanBaseline,
      scrubAlpha: null,
      xiCell: null,
      current: run,
      stages: stagesFromRun(run, st.stages),
      predictions: asyncIdle(),
      xiSamples: asyncIdle(),
    }));
    const auto = autoLoadable(run.config);
    if (reload && auto.length && get().status === 'ready') void runChain(auto, []);
    else schedulePreview();
  },

  async deleteRun(id) {
    set((s) => ({ runs: s.runs.filter((r) => r.id !== id) }));
    await db.deleteRun(id).catch(() => {});
  },

  exportRun(id, what) {
    const s = get();
    const run = s.current.id === id ? s.current : s.runs.find((r) => r.id === id);
    if (!run) return;
    const stamp = new Date(run.createdAt).toISOString().slice(0, 19).replace(/[:T]/g, '-');
    const base = `tbar-${run.config.trigger.kind}-${stamp}`;
    if (what === 'json') downloadBytes(`${base}.json`, 'application/json', runJson(run));
    else downloadBytes(`${base}-${what.replace('-csv', '')}.csv`, 'text/csv', runCsv(run, what));
  },

  async exportWeights(what) {
    const s = get();
    if (!client || !stageReady(s, what === 'backdoored' ? 'attack' : 'tbar')) return;
    const alpha = s.scrubAlpha ?? s.current.sweep?.alpha ?? 1;
    set({ exporting: what, exportError: null });
    try {
      const file = await client.run('exportWeights', { config: s.config, what, alpha: what === 'cleaned' ? alpha : undefined });
      downloadBytes(file.fileName, file.mimeType, file.bytes);
    } catch (e) {
      restartIfCrashed(e);
      if (!isCancelled(e)) set({ exportError: toUserError(e, 'The export') });
    } finally {
      set({ exporting: null });
    }
  },

  async refreshCache() {
    set((s) => ({ cache: { ...s.cache, status: 'running', error: null } }));
    try {
      set({ cache: { status: 'done', data: await cacheInfo(), error: null } });
    } catch (e) {
      set((s) => ({ cache: { status: 'error', data: s.cache.data, error: toUserError(e, 'Reading the browser cache') } }));
    }
  },

  async clearCache() {
    set((s) => ({ cache: { ...s.cache, status: 'running', error: null } }));
    try {
      await clearCache();
    } catch (e) {
      set((s) => ({ cache: { status: 'error', data: s.cache.data, error: toUserError(e, 'Clearing the browser cache') } }));
      return;
    }
    await get().refreshCache();
  },
}));
