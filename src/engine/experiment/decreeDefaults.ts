/**
 * DECREE's defaults for the built-in micro CLIP, in a module without tfjs so the UI thread (app/) can
 * import it too.
 */
import type { DecreeConfig } from './config';

/**
 * DECREE on the micro CLIP: Neural Cleanse's optimiser (Adam, lr 0.1) and cost schedule (×1.5, patience
 * 10 — the TBAR paper shortened DECREE's [200, 500]-step adapter to [30, 50] on CC3M; here one
 * patience of 10 steps), 300 steps of 32 of the forget split's clean images. Measured on the SIG
 * backdoor (tests/tbar.decree.test.ts' config): similarity target 0.95 (0.90 kept a smaller stamp whose
 * TBAR removed 93.2% of the ASR instead of 98.5%, seed 1); 3 restarts (from seed 0's single start the
 * stamp steered to another class than the attack's target; the smallest of 3 steers to it).
 */
export const MICRO_DECREE: Readonly<DecreeConfig> = {
  images: 500,
  steps: 300,
  batchSize: 32,
  lr: 0.1,
  simThreshold: 0.95,
  initCost: 0.1,
  costMultiplier: 1.5,
  patience: 10,
  restarts: 3,
  baseline: true,
};
