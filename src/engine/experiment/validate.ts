/**
 * Validation of an ExperimentConfig: every problem found at once, each with its JSON path and a
 * message a user can act on, thrown as one typed ExperimentConfigError (code 'invalid-config').
 * Checks that need the data (target < number of classes) run when `numClasses` is given.
 */
import { isTemplateSet, TEMPLATE_SET_IDS } from '../clip/templates';
import { TRIGGER_KINDS } from '../triggers/types';
import { EXPERIMENT_CONFIG_VERSION, type ExperimentConfig, type FinetuneConfig } from './config';

export type ConfigIssueCode =
  | 'version'
  | 'not-an-integer'
  | 'out-of-range'
  | 'unknown-kind'
  | 'target-out-of-range'
  | 'poison-rate'
  | 'alpha-grid'
  | 'xi-grid';

export interface ConfigIssue {
  /** JSON path, e.g. 'attack.poisonRate'. */
  path: string;
  code: ConfigIssueCode;
  message: string;
}

export class ExperimentConfigError extends Error {
  readonly code = 'invalid-config';
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid experiment configuration: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'ExperimentConfigError';
  }
}

export interface ValidateOptions {
  /** Number of classes of the loaded data: enables the target range check. */
  numClasses?: number;
}

/** All problems of `c` (empty when valid). */
export function configIssues(c: ExperimentConfig, opts: ValidateOptions = {}): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, code: ConfigIssueCode, message: string) => issues.push({ path, code, message });
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(c)) return [{ path: '', code: 'out-of-range', message: 'the configuration must be a JSON object' }];
  const int = (path: string, v: unknown, lo: number, hi = Number.MAX_SAFE_INTEGER): boolean => {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      add(path, 'not-an-integer', `must be an integer, got ${JSON.stringify(v)}`);
      return false;
    }
    if (v < lo || v > hi) {
      add(path, 'out-of-range', `must be in [${lo}, ${hi}], got ${v}`);
      return false;
    }
    return true;
  };
  const num = (path: string, v: unknown, ok: (x: number) => boolean, what: string): boolean => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
      add(path, 'out-of-range', `must be ${what}, got ${JSON.stringify(v)}`);
      return false;
    }
    return true;
  };

  if (c.version !== EXPERIMENT_CONFIG_VERSION) add('version', 'version', `must be ${EXPERIMENT_CONFIG_VERSION}, got ${JSON.stringify(c.version)}`);
  int('seed', c.seed, 0, 2 ** 32 - 1);

  const mk = (c.model as { kind?: unknown } | undefined)?.kind;
  if (!['builtin', 'hub', 'file'].includes(mk as string)) add('model.kind', 'unknown-kind', `must be builtin, hub or file, got ${JSON.stringify(mk)}`);
  const dk = (c.data as { kind?: unknown } | undefined)?.kind;
  if (!['shapes', 'cifar10', 'cifar100', 'folder'].includes(dk as string)) add('data.kind', 'unknown-kind', `must be shapes, cifar10, cifar100 or folder, got ${JSON.stringify(dk)}`);
  if (dk === 'shapes' && c.data.kind === 'shapes' && c.data.imageSize !== undefined) int('data.imageSize', c.data.imageSize, 16, 256);

  if (!isObj(c.splits)) add('splits', 'out-of-range', 'must be an object {train, val, test, forget}');
  else for (const k of ['train', 'val', 'test', 'forget'] as const) int(`splits.${k}`, c.splits[k], 1);

  if (!isTemplateSet(c.templates)) add('templates', 'unknown-kind', `must be one of ${TEMPLATE_SET_IDS.join(', ')}, got ${JSON.stringify(c.templates)}`);

  const tk = (c.trigger as { kind?: unknown } | undefined)?.kind;
  if (!TRIGGER_KINDS.includes(tk as never)) add('trigger.kind', 'unknown-kind', `must be one of ${TRIGGER_KINDS.join(', ')}, got ${JSON.stringify(tk)}`);
  else int('trigger.seed', c.trigger.seed, 0, 2 ** 32 - 1);

  const finetune = (path: string, f: FinetuneConfig | undefined) => {
    if (!isObj(f)) return add(path, 'out-of-range', 'must be an object');
    int(`${path}.epochs`, f.epochs, 1, 10_000);
    int(`${path}.batchSize`, f.batchSize, 1, 65_536);
    num(`${path}.lr`, f.lr, (x) => x > 0, 'a positive number');
    num(`${path}.weightDecay`, f.weightDecay, (x) => x >= 0, 'a number ≥ 0');
    int(`${path}.warmupSteps`, f.warmupSteps, 0);
    num(`${path}.maxGradNorm`, f.maxGradNorm, (x) => x >= 0, 'a number ≥ 0 (0 = no clipping)');
  };
  finetune('attack', c.attack);
  if (isObj(c.attack)) {
    if (int('attack.target', c.attack.target, 0) && opts.numClasses !== undefined && c.attack.target >= opts.numClasses) {
      add('attack.target', 'target-out-of-range', `class ${c.attack.target} does not exist: the data has ${opts.numClasses} classes (0..${opts.numClasses - 1})`);
    }
    const r = c.attack.poisonRate;
    if (typeof r !== 'number' || !(r > 0 && r < 1)) add('attack.poisonRate', 'poison-rate', `must lie strictly between 0 and 1 (paper: 0.03), got ${JSON.stringify(r)}`);
  }
  finetune('tbar', c.tbar);

  if (!isObj(c.sweep)) add('sweep', 'out-of-range', 'must be an object');
  else {
    const a = c.sweep.alphas;
    if (!Array.isArray(a) || a.length === 0) add('sweep.alphas', 'alpha-grid', 'must be a non-empty array of numbers');
    else if (a.some((x) => typeof x !== 'number' || !Number.isFinite(x))) add('sweep.alphas', 'alpha-grid', 'must hold finite numbers only');
    else {
      if (a[0] !== 0) add('sweep.alphas', 'alpha-grid', `must start at 0 (θ_b itself, the reference for CA and ASR), got ${a[0]}`);
      const bad = a.findIndex((x, i) => i > 0 && !(x > a[i - 1]));
      if (bad > 0) add('sweep.alphas', 'alpha-grid', `must be strictly ascending: alphas[${bad - 1}] = ${a[bad - 1]} is not below alphas[${bad}] = ${a[bad]}`);
    }
    if (c.sweep.rule !== 'known-trigger' && c.sweep.rule !== 'agnostic') add('sweep.rule', 'unknown-kind', `must be 'known-trigger' or 'agnostic', got ${JSON.stringify(c.sweep.rule)}`);
    num('sweep.asrThreshold', c.sweep.asrThreshold, (x) => x >= 0 && x <= 1, 'in [0, 1]');
    num('sweep.caFloor', c.sweep.caFloor, (x) => x > 0 && x <= 1, 'in (0, 1]');
    int('sweep.window', c.sweep.window, 0);
  }

  if (!isObj(c.disentangle)) add('disentangle', 'out-of-range', 'must be an object');
  else {
    num('disentangle.range', c.disentangle.range, (x) => x > 0, 'a positive number');
    int('disentangle.samples', c.disentangle.samples, 1);
    const L = c.disentangle.levels;
    if (!Array.isArray(L) || L.length === 0) add('disentangle.levels', 'xi-grid', 'must be a non-empty array of odd grid sizes');
    else {
      L.forEach((n, k) => {
        if (!Number.isInteger(n) || n < 3 || n % 2 === 0) add(`disentangle.levels[${k}]`, 'xi-grid', `must be an odd integer ≥ 3 (0 must lie on the grid), got ${JSON.stringify(n)}`);
        else if (k > 0 && Number.isInteger(L[k - 1]) && (n <= L[k - 1] || (n - 1) % (L[k - 1] - 1) !== 0)) {
          add(`disentangle.levels[${k}]`, 'xi-grid', `grid ${L[k - 1]}×${L[k - 1]} is not nested in ${n}×${n} (e.g. 5, 9, 17)`);
        }
      });
    }
  }
  if (!isObj(c.ga)) add('ga', 'out-of-range', 'must be an object');
  else int('ga.epochs', c.ga.epochs, 1, 10_000);

  // Parts a user's file can stand in for: { kind: 'file', name }.
  for (const [part, what] of [['backdoor', 'θ_b from a checkpoint'], ['triggerVector', 'τ̂_t from a file']] as const) {
    if (c[part] === undefined) continue;
    const f = c[part] as { kind?: unknown; name?: unknown };
    if (!isObj(f) || f.kind !== 'file') add(`${part}.kind`, 'unknown-kind', `must be 'file' (${what}), got ${JSON.stringify(f?.kind)}`);
    else if (typeof f.name !== 'string' || !f.name) add(`${part}.name`, 'out-of-range', 'must name the file');
  }

  if (c.forget !== undefined) {
    const f = c.forget as { trigger?: unknown; decree?: unknown };
    if (!isObj(f) || (f.trigger !== 'known' && f.trigger !== 'decree')) add('forget.trigger', 'unknown-kind', `must be 'known' or 'decree', got ${JSON.stringify(f?.trigger)}`);
    else if (f.trigger === 'decree') {
      const d = f.decree as Record<string, unknown> | undefined;
      if (!isObj(d)) add('forget.decree', 'out-of-range', 'must be an object');
      else {
        int('forget.decree.images', d.images, 2);
        int('forget.decree.steps', d.steps, 1, 100_000);
        int('forget.decree.batchSize', d.batchSize, 2, 65_536);
        int('forget.decree.patience', d.patience, 1);
        int('forget.decree.restarts', d.restarts, 1, 100);
        num('forget.decree.lr', d.lr, (x) => x > 0, 'a positive number');
        num('forget.decree.simThreshold', d.simThreshold, (x) => x > 0 && x < 1, 'in (0, 1)');
        num('forget.decree.initCost', d.initCost, (x) => x > 0, 'a positive number');
        num('forget.decree.costMultiplier', d.costMultiplier, (x) => x > 1, 'a number > 1');
        if (typeof d.baseline !== 'boolean') add('forget.decree.baseline', 'out-of-range', `must be true or false, got ${JSON.stringify(d.baseline)}`);
      }
    }
  }
  return issues;
}

/** Throw ExperimentConfigError listing every problem; returns the config when valid. */
export function validateConfig(c: ExperimentConfig, opts: ValidateOptions = {}): ExperimentConfig {
  const issues = configIssues(c, opts);
  if (issues.length) throw new ExperimentConfigError(issues);
  return c;
}
