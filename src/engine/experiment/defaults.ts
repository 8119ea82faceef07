/**
 * The default experiment: the built-in micro CLIP on the procedural shapes, SIG, and the paper's
 * recipe SCALED to that model and dataset. Every number that differs from the paper says how it maps.
 *
 * Why SIG: it is the one paper trigger that takes on the micro CLIP with the lab's 2000 training images
 * (ASR ≈ 99%), so a first run shows a backdoor and its removal. BadNet's 2-px patch, WaNet's
 * half-pixel warp and Blended's 60 poisoned images do not (figures in src/app/attackCheck.ts and README).
 *
 * The paper (appendix A.2.1, frozen text tower, ViT-B/32; task_vectors' finetune.py defaults):
 *   AdamW, lr 1e-5, weight decay 0.1, batch 128, cosine schedule with 500 warmup steps, global-norm
 *   clipping at 1; CIFAR100: 43k train / 5k val / 2k forget / 10k test, 6 epochs (≈ 2000 steps, so the
 *   warmup is ≈ 25% of the run), poison 3%, target 'orange'; TBAR "the same configurations";
 *   gradient ascent "the same TBAR hyperparameters".
 *
 * The micro CLIP (public/models/micro-clip/card.md) is ~300× smaller than ViT-B/32 (vision width 96,
 * 2 layers, patch 16 at 32 px) and was pretrained for minutes, not on 400M pairs, so:
 *   - lr 1e-5 → MICRO_RECIPE.lr 3e-4: a small transformer far from convergence needs larger steps
 *     (measured on a 2400-step build of this architecture: clean fine-tuning CA 96.5% at 3e-4,
 *     95.3% at 1e-3 over 8 epochs, 91.2% at 3e-3);
 *   - batch 128 → 64: the fastest per image on the wasm backend (tests, CPU-only machines);
 *   - 500 warmup steps of ~2000 → the same ≈ 25% of the attack's steps;
 *   - 43k/5k/10k train/val/test images → 2000/500/1000 (the shapes generator is unbounded; the sizes
 *     keep an attack + TBAR run under a minute on one CPU core); the forget set keeps the paper's 2000
 *     (Table 4), which retains more CA than a smaller one (SIG: 93.2% retained vs 90.4% with 500);
 *   - weight decay 0.1, clipping 1, poison 3%, TBAR = attack hyper-parameters: as in the paper.
 * A real CLIP (Hub or file) keeps the paper's recipe, lr 1e-5 included (experiment/recipes.ts); the app
 * switches the recipe with the model.
 */
import { defaultTriggerConfig } from '../triggers';
import type { TriggerKind } from '../triggers/types';
import { EXPERIMENT_CONFIG_VERSION, type ExperimentConfig } from './config';
import { MICRO_RECIPE } from './recipes';
import { validateConfig } from './validate';

export { MICRO_RECIPE, PAPER_RECIPE, PAPER_SPLITS, REAL_CLIP_RECIPE } from './recipes';

export const MICRO_SPLITS = { train: 2_000, val: 500, test: 1_000, forget: 2_000 };

export { MICRO_DECREE } from './decreeDefaults';

/** 0, step, 2·step, …, max (rounded to 1e-9 so the values print cleanly). */
export function alphaGrid(max: number, step: number): number[] {
  const n = Math.round(max / step);
  return Array.from({ length: n + 1 }, (_, i) => Math.round(i * step * 1e9) / 1e9);
}

/** The default experiment (validated). `trigger`: which attack (paper constants, appendix A.1). */
export function defaultExperimentConfig(trigger: TriggerKind = 'sig', seed = 0): ExperimentConfig {
  return validateConfig({
    version: EXPERIMENT_CONFIG_VERSION,
    seed,
    model: { kind: 'builtin', id: 'micro-clip' },
    data: { kind: 'shapes' },
    splits: { ...MICRO_SPLITS },
    templates: 'simple',
    trigger: defaultTriggerConfig(trigger, seed),
    attack: { ...MICRO_RECIPE, target: 0, poisonRate: 0.03 },
    tbar: { ...MICRO_RECIPE },
    sweep: {
      alphas: alphaGrid(3, 0.1),
      rule: 'known-trigger',
      asrThreshold: 0.01,
      caFloor: 0.9, // §6 / SPEC: 90% of the backdoored CA
      window: 10, // §6: "typically 10 steps"
    },
    disentangle: { range: 2, levels: [5, 9, 17], samples: 200 },
    ga: { epochs: 5 },
  });
}
