/**
 * Fine-tuning recipes (attack, TBAR and gradient ascent share one; the paper: "the same
 * configurations"), in a module without tfjs so the UI thread (app/) uses the same numbers.
 *
 * The paper's recipe is for CLIP ViT-B/32 (appendix A.2.1, task_vectors' finetune.py defaults): AdamW,
 * lr 1e-5, weight decay 0.1, batch 128, cosine schedule with 500 warmup steps, global-norm clipping at
 * 1; CIFAR100 43k training images × 6 epochs = 2016 steps, so the warmup is 25% of the run.
 *
 * A real CLIP (from the Hub or a file) in the lab fine-tunes with that recipe at the lab's data scale
 * (2000 training images, a 2000-image forget set): 16 batches of 128 × 6 epochs = 96 steps, of which
 * 25% warm up, 24. Its learning rate stays the paper's: task arithmetic needs fine-tuning that stays
 * close to θ_pre, and 1e-5 is what keeps ViT-B/32 there.
 *
 * The built-in micro CLIP (~300× smaller, pretrained for minutes) needs larger steps; its recipe is
 * the paper's scaled to it (experiment/defaults.ts says how each number maps).
 */
import type { TemplateSet } from '../clip/templates';
import type { DataSource, FinetuneConfig, ModelSource } from './config';

/** The paper's fine-tuning recipe for ViT-B/32 on CIFAR100 (appendix A.2.1), as written. */
export const PAPER_RECIPE: Readonly<FinetuneConfig> = {
  epochs: 6,
  batchSize: 128,
  lr: 1e-5,
  weightDecay: 0.1,
  warmupSteps: 500,
  maxGradNorm: 1,
};

/** The paper's per-dataset split sizes for CIFAR100 (Table 4): 3% of the 43k training images are poisoned. */
export const PAPER_SPLITS = { train: 43_000, val: 5_000, test: 10_000, forget: 2_000 } as const;

/** The paper's recipe at the lab's 2000 images: the same except a warmup of 25% of 96 steps. */
export const REAL_CLIP_RECIPE: Readonly<FinetuneConfig> = { ...PAPER_RECIPE, warmupSteps: 24 };

/** The built-in micro CLIP's recipe (scaled from the paper's; experiment/defaults.ts). */
export const MICRO_RECIPE: Readonly<FinetuneConfig> = {
  epochs: 4,
  batchSize: 64,
  lr: 3e-4,
  weightDecay: 0.1,
  warmupSteps: 25,
  maxGradNorm: 1,
};

export type RecipeId = 'paper' | 'micro';

export const RECIPES: Readonly<Record<RecipeId, Readonly<FinetuneConfig>>> = { paper: REAL_CLIP_RECIPE, micro: MICRO_RECIPE };

/** The recipe a model source fine-tunes with by default: the micro CLIP's for the built-in, else the paper's. */
export function recipeIdFor(model: ModelSource): RecipeId {
  return model.kind === 'builtin' ? 'micro' : 'paper';
}

/**
 * The prompts of the zero-shot head a model gets by default on a dataset. The paper adopts Ilharco et
 * al.'s configuration per dataset (appendix A.2.1), whose head for CIFAR-10 and CIFAR-100 averages
 * CLIP's 18 CIFAR templates (task_vectors, src/heads.py), so a real CLIP on CIFAR gets those. The micro
 * CLIP (measured with the single template since it was built; its WordLevel vocabulary lacks
 * 'contrast', 'high' and 'big') and a folder of images (no per-dataset list) get 'a photo of a {}.'.
 */
export function templatesFor(model: ModelSource, data: DataSource): TemplateSet {
  return recipeIdFor(model) === 'paper' && (data.kind === 'cifar10' || data.kind === 'cifar100') ? 'cifar18' : 'simple';
}

export const RECIPE_KEYS = ['epochs', 'batchSize', 'lr', 'weightDecay', 'warmupSteps', 'maxGradNorm'] as const satisfies readonly (keyof FinetuneConfig)[];

/** Which preset a fine-tuning config is, field for field (null: a recipe of the user's own). */
export function recipeIdOf(hp: FinetuneConfig): RecipeId | null {
  for (const id of Object.keys(RECIPES) as RecipeId[]) {
    if (RECIPE_KEYS.every((k) => hp[k] === RECIPES[id][k])) return id;
  }
  return null;
}
