/**
 * How long the stages still to run will take, from this device's own measured speed — so a speaker
 * who presses "Run everything" on ViT-B/32 knows whether to wait or talk.
 *
 * Each stage's work is counted in images through the vision tower (from the config: splits, epochs,
 * the α grid, the ξ grid), split into training images (forward + backward + optimizer) and
 * evaluation images (forward only). Two rates turn them into seconds, both measured in this run:
 *   training   the attack's fine-tune: AttackResult.trainSeconds over train × epochs images, or the
 *              running fine-tune's images/s before that;
 *   evaluation the α sweep's wall time over its images once it has run, else the zero-shot score's
 *              over its 2 × test images (clean, then triggered). The zero-shot score also prepares
 *              the test images, which later stages find cached: on the micro CLIP (WASM) its rate is
 *              0.214 ms per image against the sweep's 0.155, so until the sweep has run the forecast
 *              errs long (stages after the attack: 60.2 s forecast, 47.9 s measured); on ViT-B/32 the
 *              forward pass dominates and the two agree more closely.
 * Scoring a split counts 2 images per image (clean and triggered; the triggered pass skips the target
 * class, so this errs long by 1/classes of it). A DECREE step (forward, and backward to the stamp
 * only) counts as a training image: on ViT-B/32 it takes 0.9 of one (bench/README.md).
 */
import { coarseGrid } from '../engine/arithmetic/sweep';
import { forgetOf, type ExperimentConfig } from '../engine/experiment/config';
import type { StageId } from './pipeline';

/** Images through the vision tower: trained on (with gradients) and evaluated (forward only). */
export interface StageWork {
  train: number;
  eval: number;
}

/** Seconds per image on this device, as measured in this run. */
export interface Rates {
  train: number;
  eval: number;
}

/** A split scored for CA and ASR: its images clean, then triggered. */
const scored = (n: number) => 2 * n;

/**
 * The images a stage puts through the vision tower under `c` (null: not counted — the loading stages,
 * whose time is downloads and decoding).
 */
export function stageWork(stage: StageId, c: ExperimentConfig, cleanBaseline: boolean): StageWork | null {
  const { train, val, test, forget } = c.splits;
  const f = forgetOf(c);
  const proxy = f.trigger === 'decree' ? 1 : 0; // the sweep also scores the proxy's ASR on val
  switch (stage) {
    case 'zeroShot':
      return { train: 0, eval: scored(test) };
    case 'attack': {
      if (c.backdoor) return { train: 0, eval: scored(test) };
      const runs = cleanBaseline ? 2 : 1;
      return { train: runs * train * c.attack.epochs, eval: runs * scored(test) };
    }
    case 'decree': {
      if (f.trigger !== 'decree') return { train: 0, eval: 0 };
      const d = f.decree;
      const runs = (d.baseline ? 2 : 1) * d.restarts; // θ_b's inversion, and θ_pre's for the baseline
      return { train: runs * d.steps * d.batchSize, eval: 2 * Math.min(d.images, forget) }; // then the stamp probes θ_b and θ_pre
    }
    case 'tbar': {
      if (c.triggerVector) return { train: 0, eval: 0 };
      // After each epoch: α re-selected on val over the coarse grid, then scored on test (Fig. 3's curve).
      const perEpoch = coarseGrid(c.sweep.alphas).length * (scored(val) + proxy * val) + scored(test);
      return { train: forget * c.tbar.epochs, eval: c.tbar.epochs * perEpoch };
    }
    case 'sweep':
      return { train: 0, eval: c.sweep.alphas.length * (scored(val) + proxy * val) + scored(test) };
    case 'disentangle': {
      const size = c.disentangle.levels[c.disentangle.levels.length - 1]; // nested levels: size² cells in all
      return { train: 0, eval: size * size * scored(Math.min(c.disentangle.samples, val)) };
    }
    case 'ga':
      return { train: forget * c.ga.epochs, eval: c.ga.epochs * scored(test) };
    default:
      return null;
  }
}

/** Seconds per trained image, from a fine-tune of `images` images × `epochs` that took `seconds`. */
const perTrainedImage = (seconds: number, images: number, epochs: number) => seconds / (images * epochs);

/**
 * How long the attack stage would fine-tune on `train` training images, from a run (`run`, `trainedOn`
 * images) whose poisoned fine-tune took `trainSeconds`: its time per image × what the attack trains
 * on the larger split (the clean baseline, when on, trains it twice). Null when nothing was timed (θ_b
 * from a file, a run saved before runs were timed).
 */
export function attackSecondsAt(run: ExperimentConfig, trainSeconds: number | undefined, trainedOn: number, train: number, cleanBaseline: boolean): number | null {
  if (trainSeconds === undefined || !(trainSeconds > 0) || !(trainedOn > 0) || !(train > 0)) return null;
  const larger: ExperimentConfig = { ...run, backdoor: undefined, splits: { ...run.splits, train } };
  return perTrainedImage(trainSeconds, trainedOn, run.attack.epochs) * stageWork('attack', larger, cleanBaseline)!.train;
}

/**
 * Seconds per image from what this run has measured (null until both are known): `sweepMs` the α
 * sweep's wall time or else `zeroShotMs` the zero-shot score's; `trainSeconds` the attack's fine-tune,
 * or `liveImagesPerSec` a running one.
 */
export function measuredRates(
  c: ExperimentConfig,
  m: { zeroShotMs?: number; sweepMs?: number; trainSeconds?: number; liveImagesPerSec?: number },
  cleanBaseline = false,
): Rates | null {
  // An evaluation-only stage's wall time over the images it evaluated.
  const perImage = (stage: 'sweep' | 'zeroShot', ms: number) => ms / 1000 / stageWork(stage, c, cleanBaseline)!.eval;
  const evalRate = m.sweepMs && m.sweepMs > 0 ? perImage('sweep', m.sweepMs) : m.zeroShotMs && m.zeroShotMs > 0 ? perImage('zeroShot', m.zeroShotMs) : null;
  const trainRate =
    m.trainSeconds && m.trainSeconds > 0
      ? perTrainedImage(m.trainSeconds, c.splits.train, c.attack.epochs)
      : m.liveImagesPerSec && m.liveImagesPerSec > 0
        ? 1 / m.liveImagesPerSec
        : null;
  return evalRate !== null && trainRate !== null ? { train: trainRate, eval: evalRate } : null;
}

/** Seconds for `stages` at `rates` (the stages not counted add nothing). */
export function forecastSeconds(stages: readonly StageId[], c: ExperimentConfig, cleanBaseline: boolean, rates: Rates): number {
  let s = 0;
  for (const stage of stages) {
    const w = stageWork(stage, c, cleanBaseline);
    if (w) s += w.train * rates.train + w.eval * rates.eval;
  }
  return s;
}
