/**
 * Did the backdoor take? The paper's attacks reach ASR ≥ 90% with clean accuracy within about a point
 * of clean fine-tuning (Table 1); when an attack in the lab falls far short, the α sweep's "share of
 * the backdoor removed" is a ratio of small numbers (1.3% → 0% reads as "100% removed") and TBAR has
 * nothing to show. These checks say so next to the numbers instead of letting them pass as a result.
 *
 * Measured on the built-in micro CLIP (16-px patches at 32 px; card.md; 3% poison, seed 0): with 2000
 * training images SIG 99.8%; BadNet, Blended, WaNet at the paper's scale ≤ 3% (BadNet's patch is 2 px
 * there). With 20,000 (600 poisoned; the paper poisons 3% of 43k) Blended takes, 92.4%; BadNet and
 * WaNet do not even with 43,000 × 6 epochs (0.4% / 4.1%). BadNet at random positions (2000 images):
 * 2 px 1.9%, 4 px 2.2%, 8 px 4.5%, 12 px 12.1%, 16 px 32.5%; a 16-px patch at one fixed spot 44–65%
 * (`npm run bench:trigger-size`).
 */
import type { ExperimentConfig } from '../engine/experiment/config';
import { PAPER_RECIPE, PAPER_SPLITS } from '../engine/experiment/recipes';
import { attackSecondsAt } from './forecast';
import { fmtDuration, pct } from './format';

/** Below this backdoored ASR the attack did not take (the paper's are ≥ 90%). */
export const ATTACK_TOOK_ASR = 0.5;
/** The paper's backdoored CA is within about a point of clean fine-tuning; beyond 3 points, say so. */
export const CLEAN_GAP_MAX = 0.03;
/** Training images with which Blended takes on the built-in micro CLIP at 3% poison (600 poisoned; ASR 92.4%). */
export const MICRO_BLENDED_TRAIN = 20_000;

export interface AttackOutcome {
  /** θ_b on the test split. */
  test: { ca: number; asr: number };
  /** The clean fine-tune on the same split, when it was trained. */
  cleanTest?: { ca: number; asr: number } | null;
}

/** θ_b's test ASR says the backdoor did not take (a missing number says nothing). */
export function didNotTake(asr: number): boolean {
  return Number.isFinite(asr) && asr < ATTACK_TOOK_ASR;
}

/** Why this model and trigger may not take a backdoor, when the lab knows (else null). */
export function whyNoBackdoor(config: Pick<ExperimentConfig, 'model' | 'trigger'>): string | null {
  if (config.model.kind !== 'builtin') return null;
  const k = config.trigger.kind;
  if (k === 'sig') return null;
  const scale =
    k === 'badnet'
      ? 'BadNet’s 16-px patch at 224 px is 2 px here, and this tower sees images through 16-px patches: at random positions it takes 2% of triggered images at 4 px and 33% at 16 px'
      : k === 'blended'
        ? `Blended takes on this tower with the paper’s amount of poisoned data: ${MICRO_BLENDED_TRAIN.toLocaleString('en-US')} training images at 3% (600 poisoned) give ASR 92%, 2000 (60 poisoned) give 3% (the training split is set in step 2)`
        : k === 'wanet'
          ? 'WaNet moves pixels by about half a pixel, and this tower does not see it (ASR ≤ 4%, even with 43,000 training images)'
          : 'a painted trigger needs to be large and high-contrast for this small tower to see it';
  return `The built-in micro CLIP is a 0.37M-parameter model on 32-px images: ${scale} (card.md). SIG takes (≈ 100%): try it to see TBAR remove a backdoor.`;
}

/**
 * A larger training split to try when the backdoor did not take, and the config uses less (else null):
 * Blended on the micro CLIP, the amount it takes with; a real CLIP on CIFAR, the paper's 43,000
 * (Table 4: 3% of them poisoned, 1,290 images, where the lab's default 2000 poison 60).
 */
export function suggestedTrainSplit(config: Pick<ExperimentConfig, 'model' | 'trigger' | 'splits' | 'data'>): number | null {
  const want =
    config.model.kind === 'builtin'
      ? config.trigger.kind === 'blended'
        ? MICRO_BLENDED_TRAIN
        : null
      : config.data.kind === 'cifar10' || config.data.kind === 'cifar100'
        ? PAPER_SPLITS.train
        : null;
  return want !== null && config.splits.train < want ? want : null;
}

/** What to try when the lab has no measured reason: the paper's amount of poisoned data where it applies. */
function whatToTry(config: Pick<ExperimentConfig, 'model' | 'trigger' | 'splits' | 'data' | 'attack'>): string {
  const more = suggestedTrainSplit(config);
  if (more === null) return 'Try a higher poison rate, more epochs or a larger trigger.';
  const poisoned = (n: number, rate = config.attack.poisonRate) => Math.round(n * rate).toLocaleString('en-US');
  return (
    `This run poisoned about ${poisoned(config.splits.train)} of ${config.splits.train.toLocaleString('en-US')} training images; the paper poisons ` +
    `3% of ${PAPER_SPLITS.train.toLocaleString('en-US')} (${poisoned(PAPER_SPLITS.train, 0.03)}) over ${PAPER_RECIPE.epochs} epochs. ` +
    `Try its training split (step 2; ${poisoned(more)} poisoned at this rate), a higher poison rate or more epochs.`
  );
}

/**
 * Warnings about the attack's outcome, for the Attack and Results panels: [] when it looks like the
 * paper's (ASR ≥ 50%, CA within 3 points of the clean fine-tune when that was trained).
 */
export function attackWarnings(outcome: AttackOutcome, config: Pick<ExperimentConfig, 'model' | 'trigger' | 'backdoor' | 'splits' | 'data' | 'attack'>): string[] {
  const out: string[] = [];
  const { ca, asr } = outcome.test;
  if (didNotTake(asr) && config.backdoor) {
    out.push(
      `The loaded checkpoint sends only ${pct(asr)} of triggered test images to the target class: either it is not backdoored, or its ` +
        `trigger and target are not the ones chosen in step 3 (TBAR's forget set must carry the backdoor's own trigger; without it, try DECREE in step 5).`,
    );
  } else if (didNotTake(asr)) {
    const why = whyNoBackdoor(config);
    out.push(
      `The backdoor did not take: only ${pct(asr)} of triggered test images go to the target class (the paper's attacks reach ≥ 90%), ` +
        `so there is little for TBAR to remove and its "share removed" is a ratio of small numbers. ` +
        (why ?? whatToTry(config)),
    );
  }
  const clean = outcome.cleanTest?.ca;
  if (clean != null && Number.isFinite(clean) && Number.isFinite(ca) && clean - ca > CLEAN_GAP_MAX) {
    out.push(`The backdoored model's clean accuracy is ${(100 * (clean - ca)).toFixed(1)} points below the clean fine-tune (${pct(ca)} vs ${pct(clean)}); the paper's attacks stay within about a point.`);
  }
  return out;
}

/**
 * The offer of a larger split's cost in words (forecast.ts attackSecondsAt), e.g. "22× the images: this
 * run fine-tuned for 1 min 40 s, so about 35 min 50 s on this device". `run` is the run's config and
 * `trainedOn` the training images it had.
 */
export function moreDataCost(attack: { trainSeconds?: number }, run: ExperimentConfig, trainedOn: number, train: number, cleanBaseline: boolean): string | null {
  const s = attackSecondsAt(run, attack.trainSeconds, trainedOn, train, cleanBaseline);
  if (s === null) return null;
  const x = train / trainedOn;
  return (
    `${x.toFixed(x < 10 ? 1 : 0)}× the images: this run fine-tuned for ${fmtDuration(attack.trainSeconds! * 1000)}, so about ` +
    `${fmtDuration(s * 1000)} on this device${cleanBaseline ? ' with the clean baseline' : ''}`
  );
}

