/**
 * Every number a user can set, in one table: label, one-line help (what it is · the paper's value ·
 * how the lab scales it), bounds. The forms render from it and urlState.ts validates links against it.
 */

export interface NumberField {
  /** Dotted path into ExperimentConfig. */
  path: string;
  label: string;
  help: string;
  min: number;
  max: number;
  /** The bound itself is not allowed (the engine's validate.ts wants e.g. 0 < poison rate < 1). */
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  step: number;
  integer?: boolean;
  /** Shown ×100 with a % sign. */
  percent?: boolean;
  /** Shown in scientific notation (learning rates). */
  sci?: boolean;
}

const ft = (stage: 'attack' | 'tbar', paperEpochs: string): NumberField[] => [
  {
    path: `${stage}.epochs`,
    label: 'Epochs',
    help: `Passes over the ${stage === 'attack' ? 'training split' : 'forget set'}. Paper: ${paperEpochs}; the lab's recipes: 6 for a real CLIP, 4 for the micro CLIP.`,
    min: 1,
    max: 100,
    step: 1,
    integer: true,
  },
  {
    path: `${stage}.batchSize`,
    label: 'Batch size',
    help: 'Images per optimizer step. Paper: 128, as the lab\'s recipe for a real CLIP; the micro CLIP\'s: 64, the fastest per image on WASM.',
    min: 1,
    max: 1024,
    step: 1,
    integer: true,
  },
  {
    path: `${stage}.lr`,
    label: 'Learning rate',
    help: 'AdamW peak step size (cosine decay after warmup). Paper: 1e-5 for ViT-B/32; the small, briefly pretrained micro model needs 3e-4.',
    min: 1e-8,
    max: 1,
    step: 1e-5,
    sci: true,
  },
  {
    path: `${stage}.weightDecay`,
    label: 'Weight decay',
    help: 'AdamW decoupled weight decay. Paper (task_vectors setup): 0.1; same here.',
    min: 0,
    max: 10,
    step: 0.01,
  },
  {
    path: `${stage}.warmupSteps`,
    label: 'Warmup steps',
    help: 'Steps of linear learning-rate warmup. Paper: 500 of ~2000 steps (25%); the lab keeps that share of its shorter run.',
    min: 0,
    max: 100000,
    step: 1,
    integer: true,
  },
  {
    path: `${stage}.maxGradNorm`,
    label: 'Gradient clip',
    help: 'Clip the global gradient norm to this (0 = off). Paper (task_vectors): 1; same here.',
    min: 0,
    max: 1000,
    step: 0.1,
  },
];

export const ATTACK_FIELDS: NumberField[] = [
  {
    path: 'attack.poisonRate',
    label: 'Poison rate',
    help: 'Share of training images stamped with the trigger and relabelled to the target. Paper: 3%; same here.',
    min: 0,
    max: 1,
    exclusiveMin: true, // 0 poisons nothing, 1 leaves no clean image: the engine refuses both
    exclusiveMax: true,
    step: 0.005,
    percent: true,
  },
  ...ft('attack', '6 (CIFAR-100) to 14 (SUN397)'),
];

export const TBAR_FIELDS: NumberField[] = [
  {
    path: 'splits.forget',
    label: 'Forget set',
    help: 'Triggered images labelled with the target, used to find the trigger vector. Paper: 2000 (Table 4); same here. Smaller is faster and keeps less CA (SIG on the micro CLIP: 90.4% kept with 500, 93.2% with 2000).',
    min: 1,
    max: 100000,
    step: 1,
    integer: true,
  },
  ...ft('tbar', 'the attack\'s settings'),
];

export const SPLIT_FIELDS: NumberField[] = [
  {
    path: 'splits.train',
    label: 'Training images',
    help: 'Images the attacker fine-tunes on. Paper: 43,000 (CIFAR-100); the lab: 2,000.',
    min: 10,
    max: 1000000,
    step: 1,
    integer: true,
  },
  {
    path: 'splits.val',
    label: 'Validation images',
    help: 'Used to choose α in the sweep. Paper: 5,000; the lab: 500.',
    min: 10,
    max: 100000,
    step: 1,
    integer: true,
  },
  {
    path: 'splits.test',
    label: 'Test images',
    help: 'Used for the reported CA and ASR. Paper: 10,000; the lab: 1,000.',
    min: 10,
    max: 100000,
    step: 1,
    integer: true,
  },
  {
    path: 'seed',
    label: 'Seed',
    help: 'Master seed: data, splits, poisoning and data order. The same seed reproduces a run exactly.',
    min: 0,
    max: 2 ** 31 - 1,
    step: 1,
    integer: true,
  },
];

export const SWEEP_FIELDS: NumberField[] = [
  {
    path: 'sweep.asrThreshold',
    label: 'ASR ceiling',
    help: 'Known trigger: take the α with the best validation CA whose ASR is at most this. The lab: 1%.',
    min: 0,
    max: 1,
    step: 0.005,
    percent: true,
  },
  {
    path: 'sweep.caFloor',
    label: 'CA floor',
    help: 'Attack-agnostic rule (§6): stop raising α when CA falls below this share of the backdoored CA. Paper: 90%.',
    min: 0,
    max: 1,
    exclusiveMin: true, // a floor of 0 never stops the rule: the engine refuses it
    step: 0.01,
    percent: true,
  },
  {
    path: 'sweep.window',
    label: 'Window',
    help: 'Attack-agnostic rule (§6): α steps to continue after the ASR first reaches 0. Paper: 10.',
    min: 0,
    max: 1000,
    step: 1,
    integer: true,
  },
];

/** TBAR+DECREE (§6): the trigger inversion's knobs (appendix A.3.5). */
export const DECREE_FIELDS: NumberField[] = [
  {
    path: 'forget.decree.steps',
    label: 'DECREE steps',
    help: 'Optimisation steps of the stamp (mask + pattern) per run. The lab: 300 on the micro CLIP.',
    min: 1,
    max: 100000,
    step: 10,
    integer: true,
  },
  {
    path: 'forget.decree.restarts',
    label: 'Restarts',
    help: 'Runs from new random stamps; the smallest stamp wins (one run can settle on a natural shortcut). The lab: 3.',
    min: 1,
    max: 100,
    step: 1,
    integer: true,
  },
  {
    path: 'forget.decree.images',
    label: 'Clean images',
    help: "The defender's clean images DECREE optimises on and probes with (from the forget split, without the trigger).",
    min: 2,
    max: 100000,
    step: 1,
    integer: true,
  },
  {
    path: 'forget.decree.simThreshold',
    label: 'Similarity target',
    help: 'Mean cosine similarity the stamped images\' embeddings must reach before the stamp is shrunk. The lab: 0.95.',
    min: 0.01,
    max: 0.999,
    step: 0.01,
  },
];

/** DECREE's optimiser and cost schedule: not in the form (the micro CLIP's values work), but a link or an imported JSON may set them. */
const DECREE_EXPERT_FIELDS: NumberField[] = [
  { path: 'forget.decree.batchSize', label: 'DECREE batch', help: 'Clean images per DECREE step.', min: 2, max: 65536, step: 1, integer: true },
  { path: 'forget.decree.lr', label: 'DECREE learning rate', help: 'Adam step size on the stamp (Neural Cleanse: 0.1).', min: 1e-6, max: 10, step: 0.01, sci: true },
  { path: 'forget.decree.initCost', label: 'Initial cost', help: 'λ on the mask size once the similarity target is first held.', min: 1e-9, max: 1000, step: 0.01, sci: true },
  { path: 'forget.decree.costMultiplier', label: 'Cost multiplier', help: 'λ × this after `patience` steps above the target, ÷ this^1.5 below.', min: 1.0001, max: 100, step: 0.1 },
  { path: 'forget.decree.patience', label: 'Patience', help: 'Steps above / below the similarity target before λ changes.', min: 1, max: 100000, step: 1, integer: true },
];

export const DISENTANGLE_FIELDS: NumberField[] = [
  {
    path: 'disentangle.samples',
    label: 'Images per cell',
    help: 'Clean and triggered validation images behind each ξ value (eq. 2). More = smoother map, slower.',
    min: 1,
    max: 10000,
    step: 1,
    integer: true,
  },
];

export const GA_FIELDS: NumberField[] = [
  {
    path: 'ga.epochs',
    label: 'GA epochs',
    help: 'Gradient-ascent epochs on the forget set (appendix A.3.4), with TBAR\'s learning rate. Paper Fig. 3: up to 10.',
    min: 1,
    max: 100,
    step: 1,
    integer: true,
  },
];

export const ALL_NUMBER_FIELDS: NumberField[] = [
  ...ATTACK_FIELDS,
  ...TBAR_FIELDS,
  ...SPLIT_FIELDS,
  ...SWEEP_FIELDS,
  ...DECREE_FIELDS,
  ...DECREE_EXPERT_FIELDS,
  ...DISENTANGLE_FIELDS,
  ...GA_FIELDS,
];

export function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/** A copy of `config` with the value at `path` replaced (structural sharing elsewhere). */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.');
  const o = obj as Record<string, unknown>;
  return { ...o, [head]: rest.length ? setPath(o[head], rest.join('.'), value) : value } as T;
}

/** Why `value` is not acceptable for `field`, or null. */
export function checkNumber(field: NumberField, value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${field.label} must be a number`;
  if (field.integer && !Number.isInteger(value)) return `${field.label} must be a whole number`;
  const below = field.exclusiveMin ? value <= field.min : value < field.min;
  const above = field.exclusiveMax ? value >= field.max : value > field.max;
  if (below || above) {
    const lo = `${field.exclusiveMin ? 'above' : 'at least'} ${bound(field, field.min)}`;
    const hi = `${field.exclusiveMax ? 'below' : 'at most'} ${bound(field, field.max)}`;
    return `${field.label} must be ${lo} and ${hi}`;
  }
  return null;
}

/** A bound as the form shows the field: 0.5 → "50%" for a percent field. */
function bound(field: NumberField, v: number): string {
  return field.percent ? `${+(v * 100).toFixed(3)}%` : String(v);
}

export function fieldByPath(path: string): NumberField | undefined {
  return ALL_NUMBER_FIELDS.find((f) => f.path === path);
}

