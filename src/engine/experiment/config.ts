/**
 * One JSON object describes a whole TBAR experiment (issue #5 item 11): model, data, trigger, seeds
 * and hyper-parameters. A run reproduces bit for bit on the same backend from this object alone; the
 * app serialises it to the URL (issue #6) and into every export.
 *
 * The stages and the paper's notation:
 *   θ_pre  — the loaded checkpoint (zero-shot head from the frozen text tower, §5.1)
 *   attack — fine-tune the vision tower on the training split with `poisonRate` of it triggered and
 *            relabelled to `target` → θ_b (appendix A.1/A.2)
 *   tbar   — fine-tune θ_b on the forget set (triggered images labelled `target`) → θ_{b+t};
 *            τ̂_t = θ_{b+t} − θ_b (eq. 4)
 *   sweep  — θ̂_c(α) = θ_b − α·τ̂_t (eq. 5) for α on a grid; CA on clean validation images, ASR on
 *            triggered validation images whose true class ≠ target; α chosen by `sweep.rule`;
 *            the chosen model is then scored once on the test split
 *   disentangle — ξ(α_c, α_t) of eq. 2 with τ̂_c = τ_b − α*·τ̂_t and τ_t = α*·τ̂_t (§5.1)
 *   ga     — gradient-ascent baseline θ ← θ + η∇L(forget set) (appendix A.3.4), CA and 1−ASR per epoch
 *   backdoor — where θ_b comes from: the attack's poisoned fine-tuning (absent), or the vision tower
 *            of a backdoored checkpoint the user loads (named only, like a dropped model)
 *   forget — which trigger the forget set carries: the attack's (known trigger, §4–5) or, without
 *            knowledge of the attack, one reverse-engineered from θ_b by DECREE with an inferred
 *            target (TBAR+DECREE, §6); absent = the attack's
 *   triggerVector — where τ̂_t comes from: TBAR's fine-tuning on the forget set (absent), or a file the
 *            user loads, a τ̂_t extracted from another model backdoored with the same attack (§5.2,
 *            Table 2: TBAR vectors transfer across models)
 */
import type { TemplateSet } from '../clip/templates';
import type { DecreeSettings } from '../inversion/decree';
import type { TriggerConfig } from '../triggers/types';

export const EXPERIMENT_CONFIG_VERSION = 1;

/** Where θ_pre comes from. */
export type ModelSource =
  | { kind: 'builtin'; id: 'micro-clip' }
  /** Hugging Face Hub repo, fetched from `${baseUrl}/${repo}/resolve/${revision}/…` (issue #7). */
  | { kind: 'hub'; repo: string; revision?: string; baseUrl?: string }
  /** A checkpoint the user dropped on the page (not reproducible from the URL alone: named only). */
  | { kind: 'file'; name: string };

/** Which labelled images. */
export type DataSource =
  /** Built-in procedural shapes (src/engine/data/shapes.ts); generated from the experiment seed. */
  | { kind: 'shapes'; imageSize?: number }
  /** CIFAR parquet from the Hub (issue #7). */
  | { kind: 'cifar10' | 'cifar100'; baseUrl?: string }
  /** A folder dropped on the page, one sub-folder per class (named only). */
  | { kind: 'folder'; name: string };

/** Split sizes (capped by what the data has; the forget set is disjoint from the training split). */
export interface SplitConfig {
  train: number;
  val: number;
  test: number;
  /** TBAR's forget set size (paper: 2000). Drawn from training data not used for the attack. */
  forget: number;
}

/** Fine-tuning hyper-parameters (AdamW + cosine schedule with linear warmup, as task_vectors). */
export interface FinetuneConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  warmupSteps: number;
  /** Global-norm gradient clipping (task_vectors clips at 1). 0 = off. */
  maxGradNorm: number;
}

export interface AttackConfig extends FinetuneConfig {
  /** Target class index (into the dataset's class names). */
  target: number;
  /** Fraction of the training split that is triggered and relabelled (paper: 0.03). */
  poisonRate: number;
}

export type SelectionRule =
  /** Known trigger: the α with the best validation CA among those with validation ASR ≤ asrThreshold. */
  | 'known-trigger'
  /** Attack-agnostic (§6): raise α; after the (proxy) ASR first reaches 0 continue `window` steps;
   *  stop early when CA < caFloor · backdoored CA; take the last α before stopping. */
  | 'agnostic';

export interface SweepConfig {
  /** The α grid, ascending, starting at 0 (θ_b itself). */
  alphas: number[];
  rule: SelectionRule;
  /** ASR ceiling for 'known-trigger' (fraction, e.g. 0.01). */
  asrThreshold: number;
  /** CA floor for 'agnostic', as a fraction of the backdoored CA (SPEC: 0.9). */
  caFloor: number;
  /** Steps to continue after the proxy ASR reaches 0 ('agnostic'; §6: 10). */
  window: number;
}

export interface DisentangleConfig {
  /** ξ is evaluated on [−range, range]² (issue: 2). */
  range: number;
  /** Coarse-to-fine grid sizes, each odd and nested in the next (e.g. [5, 9, 17]). */
  levels: number[];
  /** Clean and triggered validation images per expectation in eq. 2. */
  samples: number;
}

export interface GradientAscentConfig {
  /** Epochs over the forget set; CA and 1−ASR are recorded after each (paper Fig. 3). */
  epochs: number;
}

/** DECREE trigger inversion (appendix A.3.5): inversion/decree.ts's settings, plus the data it sees. */
export interface DecreeConfig extends DecreeSettings {
  /** Clean images DECREE optimises on (the forget split's images, without their trigger) and probes θ_b with. */
  images: number;
  /** Also invert θ_pre, DECREE's detection baseline: a clean encoder needs a far larger stamp. */
  baseline: boolean;
}

/** The forget set's trigger and label (eq. 4's D_t). */
export type ForgetConfig =
  /** The attack's trigger and target: the known-trigger setting (§4–5). */
  | { trigger: 'known' }
  /** A stamp reverse-engineered from θ_b by DECREE, labelled with the class it steers to (§6, appendix C.1). */
  | { trigger: 'decree'; decree: DecreeConfig };

export interface ExperimentConfig {
  version: typeof EXPERIMENT_CONFIG_VERSION;
  /** Master seed: data generation, splits, poisoning, trigger patterns, data order. */
  seed: number;
  model: ModelSource;
  data: DataSource;
  splits: SplitConfig;
  /**
   * Prompt templates for the zero-shot head: the single 'a photo of a {}.', CLIP's 80 ImageNet ones, or
   * CLIP's 18 CIFAR ones (task_vectors' head for CIFAR; the default for a real CLIP on CIFAR, recipes.ts).
   */
  templates: TemplateSet;
  trigger: TriggerConfig;
  attack: AttackConfig;
  /** TBAR fine-tuning on the forget set; the paper uses the attack's hyper-parameters. */
  tbar: FinetuneConfig;
  sweep: SweepConfig;
  disentangle: DisentangleConfig;
  ga: GradientAscentConfig;
  /** Absent: { trigger: 'known' }. */
  forget?: ForgetConfig;
  /** Absent: θ_b is trained by the attack stage. */
  backdoor?: BackdoorSource;
  /** Absent: τ̂_t is estimated by the tbar stage's fine-tuning. */
  triggerVector?: TriggerVectorSource;
}

/** θ_b from a backdoored checkpoint file (its vision tower; experiment/visionFile.ts). The trigger and
 *  target of the config then say which attack to score it against. */
export type BackdoorSource = { kind: 'file'; name: string };

/** config.forget with its default filled in. */
export function forgetOf(c: Pick<ExperimentConfig, 'forget'>): ForgetConfig {
  return c.forget ?? { trigger: 'known' };
}

/** τ̂_t from a file (experiment/visionFile.ts): a trigger vector extracted from another model backdoored
 *  with the same attack (§5.2, Table 2). The tbar stage then loads it instead of fine-tuning. */
export type TriggerVectorSource = { kind: 'file'; name: string };
