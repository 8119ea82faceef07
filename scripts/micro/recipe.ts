/**
 * The numbers that define the committed micro CLIP (pretraining) and the recipe the lab uses with it
 * (fine-tuning, attack, TBAR). card.md reports them; the engine's defaults for the micro model should
 * match FINETUNE_RECIPE / TBAR_RECIPE.
 */
import type { FinetuneRecipe } from './finetune';

/** Pretraining (scripts/micro/pretrain.ts). */
export const BUILD = {
  steps: 700,
  batchSize: 128,
  lr: 1e-3,
  warmupSteps: 100,
  weightDecay: 0.1,
  maxGradNorm: 1,
  seed: 0,
  /** Seed of the pretraining image stream; the lab's datasets use seed 0, so the images differ. */
  dataSeed: 1234,
  /** Pretrained on all 12 shape classes (the lab uses the first 10 by default). */
  numClasses: 12,
  imageSize: 32,
};

/** Measurements in card.md: the lab's default shapes splits (seed 0, 10 classes). */
export const EVAL = {
  dataSeed: 0,
  trainCount: 4000,
  testCount: 1000,
};

/** Fine-tuning the vision tower (clean fine-tuning, the attack, and TBAR's forget-set run). */
export const FINETUNE_RECIPE: FinetuneRecipe = {
  epochs: 3,
  lr: 1e-4,
  batchSize: 64,
  warmupSteps: 20,
  weightDecay: 0.1,
  seed: 0,
};

/** The TBAR study's settings (scripts/micro-tbar-study.ts); the recipes come from FINETUNE_RECIPE. */
export const TBAR_STUDY = {
  trainCount: 4000,
  forgetCount: 1000,
  valCount: 500,
  testCount: 1000,
  poisonRate: 0.03,
  target: 0,
  triggerSeed: 7,
  asrTolerance: 0.01,
  alphaMax: 3,
  alphaStep: 0.1,
  /** Forget-set run: epochs and lr (undefined: as FINETUNE_RECIPE). */
  forgetEpochs: undefined as number | undefined,
  forgetLr: undefined as number | undefined,
};
