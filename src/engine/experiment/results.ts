/**
 * What each stage of an experiment reports. Plain structured-cloneable data: these cross the worker
 * boundary, live in the app's store, persist across reloads and are exported as JSON/CSV.
 * Accuracies and rates are fractions in [0, 1].
 */
import type { CLIPConfig } from '../clip/config';
import type { DecreeProgress } from '../inversion/decree';
import type { TargetInference } from '../inversion/targetLabel';
import type { TriggerConfigOf } from '../triggers/types';
import type { ClassCounts } from '../eval/byClass';

/** Load progress of loadModel / loadData: bytes while downloading, tensors while uploading, prompts while embedding. */
export type { LoadProgress } from '../hub/progress';
export type { ClassCounts } from '../eval/byClass';

/** θ_pre as loaded. */
export interface ModelSummary {
  name: string;
  /** Vision tower input size (pixels) and patch size. */
  imageSize: number;
  patchSize: number;
  /** Parameters of the whole model and of the fine-tuned tower (vision_model.* + visual_projection). */
  params: number;
  visionParams: number;
  /** Forward FLOPs per image of the vision tower. */
  flopsPerImage: number;
  /** The checkpoint's config.json as loaded (plain JSON): the app plans fine-tuning memory from it. */
  clipConfig?: CLIPConfig;
  /** Every file came from the browser cache (no download). */
  fromCache?: boolean;
  /** What the user should know that did not stop the load (not cached: quota, config inferred…). */
  warnings?: string[];
}

/** Data as split for the experiment. */
export interface DataSummary {
  name: string;
  classNames: string[];
  imageSize: number;
  counts: { train: number; val: number; test: number; forget: number };
  fromCache?: boolean;
  warnings?: string[];
}

/**
 * When the device's memory plan (memory/plan.ts) could not hold the configured batch: a fine-tuning
 * stage ran each batch of `requested` images in chunks of `used` and summed their gradients (the
 * optimizer still saw batches of `requested`); DECREE ran with the smaller batch `used`. Absent: the
 * configured batch fit.
 */
export interface BatchLimit {
  /** Images per forward/backward pass. */
  used: number;
  requested: number;
  /** In words, with the numbers (e.g. "batch 128 needs 19.1 GiB; webgpu has 3.6 GiB …"). */
  reason: string;
}

/** A few images for previews: RGB uint8 [count, size, size, 3] at model resolution. */
export interface ImageStrip {
  size: number;
  count: number;
  pixels: Uint8Array;
  labels: number[];
}

/** Clean vs triggered samples for the trigger studio. */
export interface TriggerPreview {
  clean: ImageStrip;
  triggered: ImageStrip;
  description: string;
}

/** Progress of any fine-tuning stage. */
export interface TrainProgress {
  stage: 'attack' | 'clean' | 'tbar' | 'ga';
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  lr: number;
  imagesPerSec: number;
  elapsedMs: number;
  etaMs: number;
}

/** Progress of an evaluation / sweep / grid stage (no loss). */
export interface EvalProgress {
  done: number;
  total: number;
  message: string;
  etaMs?: number;
}

export interface Scores {
  /** Clean accuracy. */
  ca: number;
  /** Attack success rate on triggered images whose true class ≠ target. */
  asr: number;
}

export interface ZeroShotResult {
  /** θ_pre on the clean test split (and its ASR with the trigger, for reference). */
  test: Scores;
  perClass: number[];
}

export interface AttackResult {
  /** θ_b on the test split. */
  test: Scores;
  /** θ_b's clean test predictions counted by true class (absent in runs saved before it was kept). */
  byClass?: ClassCounts;
  /** Clean fine-tuning (same data and schedule, no poison), when run, for the "CA within 3 points" check. */
  cleanTest?: Scores;
  losses: number[];
  poisoned: number;
  /** Wall-clock seconds of the poisoned fine-tuning alone (not the clean baseline, not the scoring);
   *  absent when θ_b came from a file. What the Attack panel scales to forecast a larger split. */
  trainSeconds?: number;
  batchLimit?: BatchLimit;
  /** θ_b was loaded from this checkpoint file (config.backdoor), not trained: its vision tensors taken
   *  and the other tensors it held (text tower, buffers), ignored. */
  fromFile?: { name: string; taken: number; ignored: number };
}

export interface TbarResult {
  losses: number[];
  /** TBAR after each forget-set epoch (α re-selected on validation, scored on test): the TBAR curve
   *  of the paper's Fig. 3, drawn beside gradient ascent. */
  perEpoch: { epoch: number; alpha: number; test: Scores }[];
  /** ‖τ̂_t‖₂ over the vision tower, and ‖τ_b‖₂ = ‖θ_b − θ_pre‖₂, and their cosine similarity. */
  triggerNorm: number;
  backdoorNorm: number;
  cosine: number;
  batchLimit?: BatchLimit;
  /** config.triggerVector: τ̂_t was loaded from this file (no fine-tuning; losses and perEpoch are []). */
  fromFile?: { name: string; taken: number; ignored: number };
}

/** Progress of DECREE: which encoder is being inverted, θ_b or (the baseline) θ_pre. */
export interface DecreeStageProgress extends DecreeProgress {
  phase: 'backdoored' | 'clean';
}

/** One inverted stamp's size (appendix A.3.5, Table 6) and how similar it made the embeddings. */
export interface DecreeStampSummary {
  /** ℓ1 = 3·Σ m and PL1 = ℓ1 / (3·S·S). */
  l1: number;
  pl1: number;
  similarity: number;
  reachedThreshold: boolean;
  /** Every run's kept stamp (restarts; the smallest that held the threshold won). */
  runs: { pl1: number; similarity: number; reachedThreshold: boolean }[];
  /** Similarity and PL1 after every step of every run. */
  curve: { restart: number; similarity: number; pl1: number }[];
}

/** TBAR+DECREE (§6): the trigger inverted from θ_b and the target it was found to steer to. */
export interface DecreeResult {
  /** The stamp on θ_b as a whole-image painted trigger: the forget set carries it. */
  trigger: TriggerConfigOf<'painted'>;
  backdoored: DecreeStampSummary;
  /** The same inversion of θ_pre (detection baseline), when config asked for it. */
  clean?: DecreeStampSummary;
  /** The inferred target (probe / logit shift) the forget set is labelled with. */
  inference: TargetInference;
  /** A few of the clean images with the stamp, at model resolution. */
  stamped: ImageStrip;
  /** When the device's memory plan made DECREE's batch smaller than configured. */
  batchLimit?: BatchLimit;
}

/** One α of the sweep (eq. 5), on the validation split. */
export interface SweepPoint {
  alpha: number;
  val: Scores;
  /** TBAR+DECREE: ASR of the inverted stamp towards the inferred target — the proxy ASR the rules read (§6). */
  proxyAsr?: number;
  /** The validation split's clean predictions counted by class (the target class's own CA, eval/byClass.ts). */
  byClass?: ClassCounts;
}

export interface SweepResult {
  points: SweepPoint[];
  rule: 'known-trigger' | 'agnostic';
  /** The selected α and the cleaned model θ̂_c = θ_b − α·τ̂_t on the test split. */
  alpha: number;
  test: Scores;
  /** Backdoored θ_b on the test split, for "removed" and "retained" figures. */
  backdoored: Scores;
  /** Clean test predictions of θ_b and θ̂_c counted by true class, to split CA into the target class
   *  and the others (eval/byClass.ts). Absent in runs saved before it was kept, and when θ_b's were not. */
  byClass?: { backdoored: ClassCounts; cleaned: ClassCounts };
  /** 1 − ASR_after/ASR_before and CA_after/CA_before; null when the "before" is 0 (nothing to remove / retain). */
  asrRemoved: number | null;
  caRetained: number | null;
  /** False when no α met the rule's constraint (then the α with the lowest ASR is reported). */
  satisfied: boolean;
}

/** One cell of ξ(α_c, α_t) (eq. 2): ξ = clean + triggered, each a disagreement rate in [0, 1]. */
export interface XiCell {
  /** Index into config.disentangle.levels of the pass that computed this cell (0 = coarsest): with
   *  n = levels[level], the cell covers a square of side 2·range/(n−1) centred on (α_c, α_t). A finer
   *  pass sends only the points a coarser one did not (the heatmap draws finer cells over coarser ones). */
  level: number;
  alphaC: number;
  alphaT: number;
  xi: number;
  clean: number;
  triggered: number;
}

export interface DisentangleResult {
  /** α* = smallest α with validation ASR = 0 (or the α with the lowest ASR, flagged). */
  alphaStar: number;
  alphaStarExact: boolean;
  range: number;
  /** The finest completed grid, row-major with α_t along rows (top = +range) and α_c along columns. */
  size: number;
  cells: XiCell[];
}

export interface GaPoint {
  epoch: number;
  test: Scores;
}

export interface GaResult {
  points: GaPoint[];
  batchLimit?: BatchLimit;
}

/** Predictions of θ̂_c(α) on a few clean and triggered images, for the α scrubber. */
export interface SamplePredictions {
  alpha: number;
  clean: ImageStrip;
  triggered: ImageStrip;
  cleanPred: number[];
  triggeredPred: number[];
}

/**
 * One cell of ξ (eq. 2) image by image, for the heatmap's cell inspector: on ξ's own evaluation images
 * (the first `disentangle.samples` validation images), the merged model θ_pre + α_c τ̂_c + α_t τ_t
 * against each single-task model on its task's images. The share of images where `cleanMerged` ≠
 * `cleanSingle` is the cell's clean term, and likewise for the triggered term.
 */
export interface XiCellSamples {
  alphaC: number;
  alphaT: number;
  /** α* of the decomposition τ_t = α*·τ̂_t, τ̂_c = τ_b − τ_t (as the ξ run that drew the heatmap). */
  alphaStar: number;
  /** Predictions on all of ξ's images, clean: the merged model, and θ_pre + α_c τ̂_c. */
  cleanMerged: number[];
  cleanSingle: number[];
  /** On the same images triggered: the merged model, and θ_pre + α_t τ_t. */
  triggeredMerged: number[];
  triggeredSingle: number[];
  /** Which images the strips show (indices into the arrays above): those where the two differ first, then the rest, in order. */
  cleanShown: number[];
  triggeredShown: number[];
  clean: ImageStrip;
  triggered: ImageStrip;
}

export interface ExportedFile {
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
}
