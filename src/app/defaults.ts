/**
 * The experiment the lab opens with, and each trigger's paper defaults — without loading TensorFlow.js.
 *
 * The UI thread must not import the engine's trigger modules (they import tfjs, which lives in the
 * worker), so the trigger defaults are restated here; tests/urlState.test.ts checks them against
 * the engine's `defaultTriggerConfig` so the two cannot drift apart.
 */
import { EXPERIMENT_CONFIG_VERSION, type ExperimentConfig } from '../engine/experiment/config';
import { MICRO_RECIPE } from '../engine/experiment/recipes';
import type { TriggerConfig, TriggerConfigOf, TriggerKind } from '../engine/triggers/types';

export { TRIGGER_KINDS, TRIGGER_LABELS } from '../engine/triggers/types';

/** One line per trigger for the picker. */
export const TRIGGER_BLURBS: Record<TriggerKind, string> = {
  badnet: 'A small square of random noise stamped somewhere on the image (visible).',
  blended: 'A faint noise image blended over the whole picture (nearly invisible).',
  wanet: 'A subtle smooth warp of the image geometry (invisible).',
  sig: 'A faint sine wave along the image width (vertical stripes) added to every pixel.',
  painted: 'Your own pattern and mask, painted below.',
};

export const PAINTED_MAX_SIDE = 64;

/** base64 of bytes (the engine's painted.ts `encodeBytes`, restated: it lives beside tfjs). */
export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** The engine's default painted trigger: an 8×8 black/white checkerboard, fully opaque. */
function checkerboard(): TriggerConfigOf<'painted'>['params'] {
  const n = 8;
  const rgb = new Uint8Array(n * n * 3);
  for (let px = 0; px < n * n; px++) {
    const v = ((px % n) + Math.floor(px / n)) % 2 ? 255 : 0;
    rgb.fill(v, px * 3, px * 3 + 3);
  }
  return {
    width: n,
    height: n,
    pattern: bytesToBase64(rgb),
    mask: bytesToBase64(new Uint8Array(n * n).fill(255)),
    size: null,
    position: 'random',
    resize: 'nearest',
  };
}

/** The paper's configuration of each attack (appendix A.1) — equal to the engine's defaultTriggerConfig. */
export function defaultTrigger<K extends TriggerKind>(kind: K, seed = 0): TriggerConfigOf<K> {
  const byKind: { [P in TriggerKind]: () => TriggerConfigOf<P>['params'] } = {
    badnet: () => ({ patchSize: null, position: 'random', offset: 'image-mean', range: 'wrap', noise: 'fixed' }),
    blended: () => ({ ratio: 0.2, noise: 'fixed' }),
    wanet: () => ({ k: 224, s: 1, gridRescale: 1 }),
    sig: () => ({ delta: 60 / 255, frequency: 6 }),
    painted: checkerboard,
  };
  return { kind, seed, params: byKind[kind]() } as unknown as TriggerConfigOf<K>;
}


/** DECREE on the micro CLIP (tfjs-free, shared with the engine). */
export { MICRO_DECREE } from '../engine/experiment/decreeDefaults';

/**
 * The built-in micro CLIP on the procedural shapes: runs with one click and no download. Sizes and
 * schedules are the paper's (appendix A.2: AdamW, cosine, 3% poison, forget set disjoint from the
 * training split) scaled to a small model and a laptop CPU, exactly as the engine's
 * experiment/defaults.ts (which imports tfjs, so the UI thread cannot); tests/urlState.test.ts checks
 * the two are equal.
 */
export function defaultExperimentConfig(): ExperimentConfig {
  return {
    version: EXPERIMENT_CONFIG_VERSION,
    seed: 0,
    model: { kind: 'builtin', id: 'micro-clip' },
    data: { kind: 'shapes' },
    splits: { train: 2000, val: 500, test: 1000, forget: 2000 },
    templates: 'simple',
    trigger: defaultTrigger('sig', 0) as TriggerConfig,
    attack: { ...MICRO_RECIPE, target: 0, poisonRate: 0.03 },
    tbar: { ...MICRO_RECIPE },
    sweep: {
      alphas: alphaGrid(0, 3, 0.1),
      rule: 'known-trigger',
      asrThreshold: 0.01,
      caFloor: 0.9,
      window: 10,
    },
    disentangle: { range: 2, levels: [5, 9, 17], samples: 200 },
    ga: { epochs: 5 },
  };
}

/** [from, from+step, …, to], rounded so 0.1·3 prints as 0.3. */
export function alphaGrid(from: number, to: number, step: number): number[] {
  const n = Math.max(0, Math.round((to - from) / step));
  return Array.from({ length: n + 1 }, (_, i) => +(from + i * step).toFixed(6));
}

/**
 * The sweep's α grid "0 to `to` in steps of `step`" from the form's two texts, or why not. The typed
 * largest α is never moved: when it is not a whole number of steps, the error offers the two nearest.
 */
export function alphaGridFromText(toText: string, stepText: string): { alphas: number[] } | { error: string } {
  const to = Number(toText), step = Number(stepText);
  if (toText.trim() === '' || !(to > 0 && to <= 20)) return { error: 'The largest α must be a number above 0 and at most 20.' };
  if (stepText.trim() === '' || !(step > 0 && Number.isFinite(step))) return { error: 'The α step must be a number above 0.' };
  if (step > to) return { error: `The step ${step} is larger than the largest α ${to}: the grid would hold only α = 0.` };
  const n = Math.round(to / step);
  if (Math.abs(n * step - to) > 1e-6 * to) {
    const near = [Math.floor(to / step), Math.ceil(to / step)].map((k) => +(k * step).toFixed(6)).filter((a) => a > 0 && a <= 20);
    return { error: `The largest α ${to} is not a whole number of steps of ${step}: try ${near.join(' or ')}, or another step.` };
  }
  if (n > 400) return { error: `That is ${n + 1} values of α; at most 401 (take a larger step).` };
  return { alphas: alphaGrid(0, to, step) };
}

/** The (from, to, step) a grid was made from, when it is evenly spaced; null otherwise. */
export function gridParams(alphas: readonly number[]): { from: number; to: number; step: number } | null {
  if (alphas.length < 2) return null;
  const step = +(alphas[1] - alphas[0]).toFixed(6);
  const g = alphaGrid(alphas[0], alphas[alphas.length - 1], step);
  return g.length === alphas.length && g.every((a, i) => Math.abs(a - alphas[i]) < 1e-6)
    ? { from: alphas[0], to: alphas[alphas.length - 1], step }
    : null;
}
