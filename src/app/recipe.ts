/**
 * Which fine-tuning recipe the attack and TBAR use and which prompts the zero-shot head averages, and
 * how both follow the model (and the prompts the data).
 *
 * The built-in micro CLIP trains with lr 3e-4; a real CLIP (ViT-B/32 from the Hub, or a checkpoint file)
 * with the paper's 1e-5, and on CIFAR its head averages CLIP's 18 CIFAR templates
 * (engine/experiment/recipes.ts). Choosing another model or dataset moves a setting to the new default
 * only when it was the old one untouched: a recipe or a template set the user chose stays.
 */
import type { DataSource, ExperimentConfig, FinetuneConfig, ModelSource } from '../engine/experiment/config';
import { RECIPES, RECIPE_KEYS, recipeIdFor, recipeIdOf, templatesFor, type RecipeId } from '../engine/experiment/recipes';
import { fmtSci } from './format';

export { recipeIdFor, recipeIdOf, RECIPES, templatesFor, type RecipeId } from '../engine/experiment/recipes';

export type RecipeStage = 'attack' | 'tbar';

const P = RECIPES.paper, M = RECIPES.micro;

/** The presets' names and one line each, from their numbers (so the text cannot drift from them). */
export const RECIPE_LABELS: Record<RecipeId, { title: string; help: string }> = {
  paper: {
    title: 'Paper’s (real CLIP)',
    help:
      `Appendix A.2.1 for ViT-B/32: AdamW lr ${fmtSci(P.lr)}, batch ${P.batchSize}, ${P.epochs} epochs, weight decay ${P.weightDecay}, ` +
      `clipping ${P.maxGradNorm}; the warmup keeps the paper’s 25% of the steps (${P.warmupSteps} at 2000 images).`,
  },
  micro: {
    title: 'Micro CLIP’s',
    help: `The paper’s scaled to the built-in model, pretrained for minutes: lr ${fmtSci(M.lr)}, batch ${M.batchSize}, ${M.epochs} epochs, ${M.warmupSteps} warmup steps.`,
  },
};

/** `hp` with the preset's fields (epochs, batch, lr, weight decay, warmup, clipping); the rest kept. */
export function applyRecipe<T extends FinetuneConfig>(hp: T, id: RecipeId): T {
  const out = { ...hp };
  for (const k of RECIPE_KEYS) (out as FinetuneConfig)[k] = RECIPES[id][k];
  return out;
}

/** The config with `id`'s recipe for `stage` (both stages when omitted). */
export function withRecipe(c: ExperimentConfig, id: RecipeId, stage?: RecipeStage): ExperimentConfig {
  const stages: RecipeStage[] = stage ? [stage] : ['attack', 'tbar'];
  let out = c;
  for (const s of stages) out = { ...out, [s]: applyRecipe(out[s], id) };
  return out;
}

/**
 * The config with `model` chosen; each stage's recipe follows when it was the previous model's preset,
 * and the templates when they were the previous model's default for the data.
 */
export function withModel(c: ExperimentConfig, model: ModelSource): ExperimentConfig {
  const from = recipeIdFor(c.model), to = recipeIdFor(model);
  let out: ExperimentConfig = withTemplatesFollowing(c, { ...c, model });
  if (from === to) return out;
  for (const s of ['attack', 'tbar'] as const) if (recipeIdOf(c[s]) === from) out = withRecipe(out, to, s);
  return out;
}

/** The config with `data` chosen; the templates follow when they were the default for the previous data. */
export function withData(c: ExperimentConfig, data: DataSource): ExperimentConfig {
  return withTemplatesFollowing(c, { ...c, data });
}

/** `next` with the default templates for its model and data, when `prev` had its own default. */
function withTemplatesFollowing(prev: ExperimentConfig, next: ExperimentConfig): ExperimentConfig {
  if (prev.templates !== templatesFor(prev.model, prev.data)) return next;
  return { ...next, templates: templatesFor(next.model, next.data) };
}
