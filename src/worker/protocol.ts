/**
 * The typed message protocol between the app (client.ts) and the engine worker (worker.ts).
 *
 *   app → worker   { type: 'request', id, job, params }       start a job
 *                  { type: 'cancel', id }                     ask a running job to stop
 *   worker → app   { type: 'progress', id, job, progress }    0..n per job
 *                  { type: 'partial', id, job, partial }      0..n partial results (a sweep point…)
 *                  { type: 'done', id, job, result }          exactly one of done / error per job
 *                  { type: 'error', id, job, error }
 *                  { type: 'notice', notice }                 not tied to a job (device lost, log)
 *
 * To add a job: add an entry to `JobMap` (params, result, progress, partial types) and a handler to
 * the worker's handler table (jobs.ts); the compiler then checks both ends. Only structured-cloneable
 * data crosses (no tensors); big arrays travel as typed arrays and may be transferred.
 */
import type { BackendInfo, BackendRequest, DeviceLostEvent } from '../engine/backend';
import type { SelfTestParams, SelfTestResult } from '../engine/selfTest';
import type { ExperimentConfig } from '../engine/experiment/config';
import type {
  AttackResult,
  DataSummary,
  DecreeResult,
  DecreeStageProgress,
  DisentangleResult,
  EvalProgress,
  ExportedFile,
  GaPoint,
  GaResult,
  LoadProgress,
  ModelSummary,
  SamplePredictions,
  SweepPoint,
  SweepResult,
  TbarResult,
  TrainProgress,
  TriggerPreview,
  XiCell,
  XiCellSamples,
  ZeroShotResult,
} from '../engine/experiment/results';

/**
 * Experiment jobs all take the whole ExperimentConfig: the worker keeps one session (model, data,
 * θ_pre, θ_b, τ̂_t) and checks that the part of the config a stage depends on matches what produced
 * its inputs (a stale stage → error code 'stale-stage', e.g. sweeping before TBAR ran for this trigger).
 */
type ExperimentJob<R, P = EvalProgress, Q = never> = {
  params: { config: ExperimentConfig };
  result: R;
  progress: P;
  partial: Q;
};

/** Load progress (defined beside the other result types so engine loaders can report it). */
export type { LoadProgress } from '../engine/experiment/results';

/** Every job the worker runs. `never` = the job sends no such messages. */
export interface JobMap {
  /** Select the tfjs backend. Must be the first request. `gpuMemoryBytes`: the GPU's memory when the
   *  user knows it (?gpuMemoryGB=; WebGPU does not report it), for the fine-tuning memory plan. */
  init: {
    params: { backend: BackendRequest; gpuMemoryBytes?: number };
    result: BackendInfo;
    progress: never;
    partial: never;
  };
  /** Deterministic matMul chain + softmax (engine/selfTest.ts): numbers to compare across backends. */
  selfTest: {
    params: SelfTestParams;
    result: SelfTestResult;
    progress: StepProgress;
    partial: never;
  };
  /** θ_pre from config.model, and the zero-shot head from config.templates and the data's class names.
   *  For model { kind: 'file' }: the dropped/picked files (a .safetensors + config.json + tokenizer.json,
   *  or a folder; File keeps webkitRelativePath), passed to hub/loadModelFromSource({ files }). */
  loadModel: { params: { config: ExperimentConfig; files?: File[] }; result: ModelSummary; progress: LoadProgress; partial: never };
  /** The labelled images of config.data, split by config.seed into train/val/test/forget.
   *  For data { kind: 'folder' }: the picked folder's files (one sub-folder per class). */
  loadData: { params: { config: ExperimentConfig; files?: File[] }; result: DataSummary; progress: LoadProgress; partial: never };
  /** A few clean and triggered validation images at model resolution (trigger studio). */
  previewTrigger: { params: { config: ExperimentConfig; count: number }; result: TriggerPreview; progress: never; partial: never };
  /** θ_pre's CA (and ASR of the trigger, which should be ≈ chance) on the test split. */
  zeroShot: ExperimentJob<ZeroShotResult>;
  /** Poisoned fine-tuning → θ_b (optionally also the clean fine-tuning baseline). With config.backdoor
   *  = { kind: 'file' }: θ_b is the vision tower of the picked .safetensors checkpoint in `files`. */
  attack: { params: { config: ExperimentConfig; cleanBaseline: boolean; files?: File[] }; result: AttackResult; progress: TrainProgress; partial: never };
  /** TBAR+DECREE (§6): invert a trigger from θ_b (and θ_pre) and infer its target; the forget set's from then on. */
  decree: ExperimentJob<DecreeResult, DecreeStageProgress>;
  /** Fine-tune θ_b on the forget set → θ_{b+t}; τ̂_t = θ_{b+t} − θ_b (eq. 4). With config.triggerVector
   *  = { kind: 'file' }: τ̂_t is the picked .safetensors in `files` (§5.2 transfer), no fine-tuning. */
  tbar: { params: { config: ExperimentConfig; files?: File[] }; result: TbarResult; progress: TrainProgress; partial: never };
  /** θ_b − α·τ̂_t over config.sweep.alphas (eq. 5); one partial per α. */
  sweep: ExperimentJob<SweepResult, EvalProgress, SweepPoint>;
  /** ξ(α_c, α_t) (eq. 2) coarse to fine; one partial per cell. */
  disentangle: ExperimentJob<DisentangleResult, EvalProgress, XiCell>;
  /** Gradient-ascent baseline from θ_b on the forget set; one partial per epoch. */
  gradientAscent: ExperimentJob<GaResult, TrainProgress, GaPoint>;
  /** θ̂_c(α) predictions on a few clean and triggered test images (the α scrubber). */
  predictSamples: { params: { config: ExperimentConfig; alpha: number; count: number }; result: SamplePredictions; progress: never; partial: never };
  /** One ξ cell image by image: merged vs single-task predictions on the first `count` of ξ's images. */
  xiCellSamples: { params: { config: ExperimentConfig; alphaC: number; alphaT: number; count: number }; result: XiCellSamples; progress: never; partial: never };
  /** A safetensors file in Hugging Face layout: the cleaned model at α, θ_b, or the trigger vector τ̂_t. */
  exportWeights: {
    params: { config: ExperimentConfig; what: 'cleaned' | 'backdoored' | 'trigger-vector'; alpha?: number };
    result: ExportedFile;
    progress: never;
    partial: never;
  };
}

export type JobName = keyof JobMap;
export type JobParams<K extends JobName> = JobMap[K]['params'];
export type JobResult<K extends JobName> = JobMap[K]['result'];
export type JobProgress<K extends JobName> = JobMap[K]['progress'];
export type JobPartial<K extends JobName> = JobMap[K]['partial'];

/** The common progress shape; jobs may use richer ones. */
export interface StepProgress {
  step: number;
  of: number;
  message?: string;
}

// ---- app → worker

export type RequestMessage = {
  [K in JobName]: { type: 'request'; id: number; job: K; params: JobParams<K> };
}[JobName];

export interface CancelMessage {
  type: 'cancel';
  id: number;
}

export type ToWorker = RequestMessage | CancelMessage;

// ---- worker → app

export type ProgressMessage = { [K in JobName]: { type: 'progress'; id: number; job: K; progress: JobProgress<K> } }[JobName];
export type PartialMessage = { [K in JobName]: { type: 'partial'; id: number; job: K; partial: JobPartial<K> } }[JobName];
export type DoneMessage = { [K in JobName]: { type: 'done'; id: number; job: K; result: JobResult<K> } }[JobName];

export interface ErrorMessage {
  type: 'error';
  id: number;
  job: JobName;
  error: WireError;
}

export type Notice =
  | ({ kind: 'deviceLost' } & DeviceLostEvent)
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export interface NoticeMessage {
  type: 'notice';
  notice: Notice;
}

export type FromWorker = ProgressMessage | PartialMessage | DoneMessage | ErrorMessage | NoticeMessage;

// ---- errors

/** An error as it crosses the boundary (Error objects lose their class and fields in postMessage). */
export interface WireError {
  name: string;
  /** 'cancelled', 'unknown-job', 'worker-crashed', or the engine error's own code (e.g. BackendError's). */
  code: string;
  message: string;
  stack?: string;
}

/** What a job's promise rejects with on the app side. */
export class JobError extends Error {
  readonly code: string;
  readonly job: JobName | undefined;
  /** The original error's class name in the worker (e.g. 'BackendError'). */
  readonly remoteName: string;
  constructor(e: WireError, job?: JobName) {
    super(e.message);
    this.name = 'JobError';
    this.code = e.code;
    this.job = job;
    this.remoteName = e.name;
    if (e.stack) this.stack = e.stack;
  }
}

export function toWireError(e: unknown, fallbackCode = 'internal'): WireError {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { name: e.name, code: typeof code === 'string' ? code : fallbackCode, message: e.message, stack: e.stack };
  }
  return { name: 'Error', code: fallbackCode, message: String(e) };
}

export const CANCELLED = 'cancelled';
