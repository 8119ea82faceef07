/**
 * Learning-rate schedules, as pure functions of the 0-based optimizer step.
 *
 * `cosineLr` is task_vectors' `cosine_lr` (mlfoundations/task_vectors, src/utils.py), which the TBAR
 * paper adopts (appendix A.2: "AdamW … cosine scheduling … warmup of 500 steps"):
 *
 *   step <  warmup:  lr = baseLr · (step + 1) / warmup                  (linear, never exactly 0)
 *   step >= warmup:  lr = 0.5 · (1 + cos(π · (step − warmup) / (total − warmup))) · baseLr
 *
 * where `step` is the global batch index `i + epoch · batchesPerEpoch`, and the schedule is applied
 * BEFORE the optimizer step of that batch (finetune.py calls `scheduler(step)` then
 * `optimizer.step()`). So the first update uses baseLr/warmup and the last update (step total−1) uses
 * a small but non-zero rate.
 *
 * Note: when warmup ≥ total (e.g. the paper's TBAR forget-set runs: 2000 images / batch 128 × a few
 * epochs ≪ 500 warmup steps) the whole run stays in the linear ramp and never reaches baseLr. That is
 * what the reference code does, and what we reproduce; callers that scale the setup say so in the UI.
 */

export class ScheduleError extends Error {
  readonly code = 'SCHEDULE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

export interface CosineLrConfig {
  /** Peak learning rate (reached at step `warmupSteps − 1`). */
  baseLr: number;
  /** Linear-warmup length in steps (task_vectors default 500); 0 = no warmup. */
  warmupSteps: number;
  /** Total number of optimizer steps in the run (epochs · batches per epoch). */
  totalSteps: number;
}

/** A schedule as the training loop uses it: lr for the 0-based `step` of a run of `totalSteps`. */
export type LrSchedule = (step: number, totalSteps: number) => number;

function checkStep(step: number, totalSteps: number): void {
  if (!Number.isInteger(totalSteps) || totalSteps <= 0) {
    throw new ScheduleError(`totalSteps must be a positive integer, got ${totalSteps}`);
  }
  if (!Number.isInteger(step) || step < 0 || step >= totalSteps) {
    throw new ScheduleError(`step must be an integer in [0, ${totalSteps}), got ${step}`);
  }
}

/** task_vectors' `cosine_lr` with linear warmup, for one 0-based step (see the file comment). */
export function cosineLr(step: number, cfg: CosineLrConfig): number {
  const { baseLr, warmupSteps, totalSteps } = cfg;
  if (!(Number.isFinite(baseLr) && baseLr >= 0)) throw new ScheduleError(`baseLr must be finite and ≥ 0, got ${baseLr}`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new ScheduleError(`warmupSteps must be a non-negative integer, got ${warmupSteps}`);
  }
  checkStep(step, totalSteps);
  if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
  // Here warmupSteps ≤ step < totalSteps, so the denominator is ≥ 1.
  const e = step - warmupSteps;
  const es = totalSteps - warmupSteps;
  return 0.5 * (1 + Math.cos((Math.PI * e) / es)) * baseLr;
}

/** Constant learning rate. */
export function constantLr(step: number, cfg: { lr: number; totalSteps: number }): number {
  if (!(Number.isFinite(cfg.lr) && cfg.lr >= 0)) throw new ScheduleError(`lr must be finite and ≥ 0, got ${cfg.lr}`);
  checkStep(step, cfg.totalSteps);
  return cfg.lr;
}

/** `cosineLr` as an `LrSchedule` for the training loop (which knows totalSteps). */
export function cosineSchedule(baseLr: number, warmupSteps: number): LrSchedule {
  return (step, totalSteps) => cosineLr(step, { baseLr, warmupSteps, totalSteps });
}

/** `constantLr` as an `LrSchedule`. */
export function constantSchedule(lr: number): LrSchedule {
  return (step, totalSteps) => constantLr(step, { lr, totalSteps });
}
