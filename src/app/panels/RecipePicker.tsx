import { useShallow } from 'zustand/react/shallow';
import type { FinetuneConfig } from '../../engine/experiment/config';
import { RECIPE_LABELS, recipeIdFor, recipeIdOf, withRecipe, type RecipeId, type RecipeStage } from '../recipe';
import { useLab } from '../store';

const IDS: RecipeId[] = ['paper', 'micro'];

/** Why a preset that is not the model's own is a poor fit for it. */
const MISFIT: Record<RecipeId, string> = {
  paper: 'This is the built-in micro CLIP: at the paper’s lr 1e-5 it barely moves from θ_pre (SIG, seed 0: clean accuracy 74.9% zero-shot, 76.4% after the attack) and the backdoor does not take (ASR 1.1%).',
  micro: 'This is a real CLIP: lr 3e-4 is 30× the paper’s 1e-5 and takes it far from θ_pre, outside the regime in which the paper measured TBAR.',
};

/**
 * A fine-tuning stage's recipe: the paper's (a real CLIP) or the micro CLIP's, with the model's own
 * marked. The number fields below it stay editable; editing one makes the recipe the user's own.
 */
export function RecipePicker({ stage }: { stage: RecipeStage }) {
  const { hp, model } = useLab(useShallow((s) => ({ hp: s.config[stage], model: s.config.model })));
  const setConfig = useLab((s) => s.setConfig);
  const current = recipeIdOf(hp);
  const own = recipeIdFor(model);
  return (
    <div className="field recipe-picker" data-testid={`recipe-${stage}`} data-recipe={current ?? 'own'}>
      <span className="field-label">Recipe</span>
      <div className="seg" role="radiogroup" aria-label={`${stage === 'attack' ? 'Attack' : 'TBAR'} fine-tuning recipe`}>
        {IDS.map((id) => (
          <button key={id} type="button" role="radio" aria-checked={current === id} className="seg-btn" data-recipe={id}
            onClick={() => setConfig((c) => withRecipe(c, id, stage))}>
            {RECIPE_LABELS[id].title}
            {id === own && <span className="seg-note"> · this model’s</span>}
          </button>
        ))}
      </div>
      <p className={`help${current && current !== own ? ' warn' : ''}`}>
        {current ? RECIPE_LABELS[current].help : 'Your own: the fields below differ from both presets.'}
        {current && current !== own && ` ${MISFIT[current]}`}
      </p>
    </div>
  );
}

/** "paper's recipe", "micro CLIP's recipe" or "own recipe": a stage's recipe, for its settings summary line. */
export function recipeTag(hp: FinetuneConfig): string {
  const id = recipeIdOf(hp);
  return id === 'paper' ? 'paper’s recipe' : id === 'micro' ? 'micro CLIP’s recipe' : 'own recipe';
}
