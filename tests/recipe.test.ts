import { describe, expect, it } from 'vitest';
import { defaultExperimentConfig } from '../src/app/defaults';
import { applyRecipe, recipeIdOf, withData, withModel, withRecipe } from '../src/app/recipe';
import { defaultExperimentConfig as engineDefaults } from '../src/engine/experiment/defaults';
import { MICRO_RECIPE, PAPER_RECIPE, REAL_CLIP_RECIPE, recipeIdFor, templatesFor } from '../src/engine/experiment/recipes';
import { planSteps } from '../src/engine/train/loop';
import type { DataSource, ModelSource } from '../src/engine/experiment/config';

const builtin: ModelSource = { kind: 'builtin', id: 'micro-clip' };
const hub: ModelSource = { kind: 'hub', repo: 'openai/clip-vit-base-patch32' };
const file: ModelSource = { kind: 'file', name: 'clip.safetensors' };

describe('fine-tuning recipes', () => {
  it('the paper\'s is appendix A.2.1 as written: AdamW 1e-5, wd 0.1, batch 128, 500 warmup steps, clip 1; CIFAR100 6 epochs = 25% warmup', () => {
    expect(PAPER_RECIPE).toEqual({ epochs: 6, batchSize: 128, lr: 1e-5, weightDecay: 0.1, warmupSteps: 500, maxGradNorm: 1 });
    const paperRun = planSteps({ datasetSize: 43_000, batchSize: 128, epochs: 6, seed: 0 });
    expect(paperRun.totalSteps).toBe(2016);
    expect(500 / paperRun.totalSteps).toBeCloseTo(0.248, 3);
  });

  it('a real CLIP in the lab keeps all of it but the warmup, which keeps its 25% share of the lab\'s 2000-image run', () => {
    const d = engineDefaults();
    for (const n of [d.splits.train, d.splits.forget]) {
      const run = planSteps({ datasetSize: n, batchSize: REAL_CLIP_RECIPE.batchSize, epochs: REAL_CLIP_RECIPE.epochs, seed: 0 });
      expect(run.totalSteps).toBe(96);
      expect(REAL_CLIP_RECIPE.warmupSteps).toBe(Math.round(0.25 * run.totalSteps));
    }
    expect({ ...REAL_CLIP_RECIPE, warmupSteps: 500 }).toEqual(PAPER_RECIPE);
  });

  it('the built-in model\'s defaults are the micro recipe, in the engine and the app alike', () => {
    const { target: _t, poisonRate: _p, ...attack } = engineDefaults().attack;
    expect(attack).toEqual(MICRO_RECIPE);
    expect(engineDefaults().tbar).toEqual(MICRO_RECIPE);
    expect(recipeIdOf(defaultExperimentConfig().attack)).toBe('micro');
    expect(recipeIdOf(defaultExperimentConfig().tbar)).toBe('micro');
  });

  it('the built-in fine-tunes with the micro recipe, a Hub or file CLIP with the paper\'s', () => {
    expect([builtin, hub, file].map(recipeIdFor)).toEqual(['micro', 'paper', 'paper']);
  });

  it('recipeIdOf names a preset only when every field matches', () => {
    expect(recipeIdOf(REAL_CLIP_RECIPE)).toBe('paper');
    expect(recipeIdOf(MICRO_RECIPE)).toBe('micro');
    expect(recipeIdOf(PAPER_RECIPE)).toBeNull(); // 500 warmup steps: the paper's own, not the lab's scaled one
    expect(recipeIdOf({ ...MICRO_RECIPE, epochs: 5 })).toBeNull();
    expect(recipeIdOf(applyRecipe({ ...MICRO_RECIPE, lr: 0.5 }, 'paper'))).toBe('paper');
  });
});

describe('the recipe follows the model', () => {
  it('choosing a Hub or file CLIP moves both stages from the micro recipe to the paper\'s, and back; target and poison stay', () => {
    const d = defaultExperimentConfig();
    d.attack = { ...d.attack, target: 3, poisonRate: 0.1 };
    const real = withModel(d, hub);
    expect(real.model).toEqual(hub);
    expect(real.attack).toEqual({ ...REAL_CLIP_RECIPE, target: 3, poisonRate: 0.1 });
    expect(real.tbar).toEqual(REAL_CLIP_RECIPE);
    expect(withModel(real, file)).toEqual({ ...real, model: file }); // both real: nothing else moves
    expect(withModel(real, builtin)).toEqual({ ...d, model: builtin });
  });

  it('a recipe the user set stays when the model changes', () => {
    const d = defaultExperimentConfig();
    const custom = { ...d, attack: { ...d.attack, lr: 5e-4 } };
    const real = withModel(custom, hub);
    expect(real.attack.lr).toBe(5e-4);
    expect(real.attack.batchSize).toBe(MICRO_RECIPE.batchSize);
    expect(real.tbar).toEqual(REAL_CLIP_RECIPE); // the TBAR stage was untouched: it follows
    // A preset chosen by hand for the other model (the paper's on the built-in) is also the user's.
    const chosen = withRecipe(d, 'paper', 'tbar');
    expect(withModel(chosen, hub).tbar).toEqual(REAL_CLIP_RECIPE);
    expect(withModel(withRecipe(withModel(d, hub), 'micro'), builtin).attack).toEqual(d.attack);
  });
});

describe('zero-shot templates follow the model and the data', () => {
  const shapes: DataSource = { kind: 'shapes' };
  const cifar10: DataSource = { kind: 'cifar10' };
  const cifar100: DataSource = { kind: 'cifar100', baseUrl: 'http://mirror' };
  const folder: DataSource = { kind: 'folder', name: 'pets' };

  it('a real CLIP on CIFAR gets the 18 CIFAR templates (Ilharco et al.\'s head); the micro CLIP and other data the single one', () => {
    for (const m of [hub, file]) expect([shapes, cifar10, cifar100, folder].map((d) => templatesFor(m, d))).toEqual(['simple', 'cifar18', 'cifar18', 'simple']);
    expect([shapes, cifar10, cifar100, folder].map((d) => templatesFor(builtin, d))).toEqual(['simple', 'simple', 'simple', 'simple']);
    expect(engineDefaults().templates).toBe(templatesFor(engineDefaults().model, engineDefaults().data));
  });

  it('choosing a real CLIP and CIFAR, in either order, moves the templates; going back moves them back', () => {
    const d = defaultExperimentConfig();
    const a = withData(withModel(d, hub), cifar100);
    const b = withModel(withData(d, cifar100), hub);
    expect(a.templates).toBe('cifar18');
    expect(b).toEqual(a);
    expect(withData(a, shapes).templates).toBe('simple');
    expect(withModel(a, builtin).templates).toBe('simple');
    expect(withModel(a, file).templates).toBe('cifar18');
  });

  it('templates the user chose stay when the model or the data changes', () => {
    const d = defaultExperimentConfig();
    const mine = { ...d, templates: 'imagenet80' as const };
    expect(withData(withModel(mine, hub), cifar10).templates).toBe('imagenet80');
    // 'simple' chosen by hand for ViT-B/32 on CIFAR is not that pair's default: it stays on the way back too.
    const simple = { ...withData(withModel(d, hub), cifar10), templates: 'simple' as const };
    expect(withModel(simple, file).templates).toBe('simple');
  });
});
