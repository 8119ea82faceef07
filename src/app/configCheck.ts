/**
 * Read an ExperimentConfig from untrusted JSON (a shared link, a stored run, an imported file):
 * every field is checked; a bad field falls back to its default and is reported in words, so a broken
 * link opens the default experiment with a banner instead of crashing the lab.
 */
import { EXPERIMENT_CONFIG_VERSION, type ExperimentConfig, type ModelSource, type DataSource } from '../engine/experiment/config';
import { configIssues } from '../engine/experiment/validate';
import { isTemplateSet, TEMPLATE_SET_IDS } from '../engine/clip/templates';
import type { PatchPosition, TriggerConfig, TriggerKind } from '../engine/triggers/types';
import { base64ToBytes, defaultExperimentConfig, defaultTrigger, MICRO_DECREE, PAINTED_MAX_SIDE, TRIGGER_KINDS, TRIGGER_LABELS } from './defaults';
import { ALL_NUMBER_FIELDS, checkNumber, getPath, setPath } from './params';

export interface Checked {
  config: ExperimentConfig;
  /** One sentence per field that was ignored. */
  problems: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, lo: number, hi: number): v is number => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
const isNum = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;
const show = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? s.slice(0, 37) + '…' : s;
};
const REPO = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

function checkModel(v: unknown): ModelSource | string {
  if (!isObj(v)) return 'model must be an object';
  if (v.kind === 'builtin') return v.id === 'micro-clip' ? { kind: 'builtin', id: 'micro-clip' } : `unknown built-in model ${show(v.id)}`;
  if (v.kind === 'hub') {
    if (typeof v.repo !== 'string' || !REPO.test(v.repo)) return `Hub repo ${show(v.repo)} is not of the form owner/name`;
    const m: ModelSource = { kind: 'hub', repo: v.repo };
    if (typeof v.revision === 'string' && v.revision) m.revision = v.revision;
    if (typeof v.baseUrl === 'string' && /^https?:\/\//.test(v.baseUrl)) m.baseUrl = v.baseUrl;
    return m;
  }
  if (v.kind === 'file') return typeof v.name === 'string' ? { kind: 'file', name: v.name } : 'model file needs a name';
  return `unknown model kind ${show(v.kind)}`;
}

function checkData(v: unknown): DataSource | string {
  if (!isObj(v)) return 'data must be an object';
  if (v.kind === 'shapes') {
    if (v.imageSize === undefined) return { kind: 'shapes' };
    return isInt(v.imageSize, 16, 512) ? { kind: 'shapes', imageSize: v.imageSize } : `shapes image size ${show(v.imageSize)} is not 16–512`;
  }
  if (v.kind === 'cifar10' || v.kind === 'cifar100') {
    const d: DataSource = { kind: v.kind };
    if (typeof v.baseUrl === 'string' && /^https?:\/\//.test(v.baseUrl)) d.baseUrl = v.baseUrl;
    return d;
  }
  if (v.kind === 'folder') return typeof v.name === 'string' ? { kind: 'folder', name: v.name } : 'image folder needs a name';
  return `unknown data kind ${show(v.kind)}`;
}

function checkPosition(v: unknown): PatchPosition | null {
  if (v === 'random' || v === 'fixed') return v;
  if (isObj(v) && isInt(v.x, 0, 4096) && isInt(v.y, 0, 4096)) return { x: v.x, y: v.y };
  return null;
}

function oneOf<T extends string>(v: unknown, options: readonly T[]): v is T {
  return typeof v === 'string' && (options as readonly string[]).includes(v);
}

/** Trigger params of a known kind; bad params fall back one by one. */
function checkTrigger(v: unknown, problems: string[]): TriggerConfig {
  if (!isObj(v) || !oneOf(v.kind, TRIGGER_KINDS as readonly TriggerKind[])) {
    const d = defaultExperimentConfig().trigger;
    problems.push(`unknown trigger ${show(isObj(v) ? v.kind : v)}: using ${TRIGGER_LABELS[d.kind]} (the default)`);
    return d;
  }
  const kind = v.kind as TriggerKind;
  const seed = isInt(v.seed, 0, 2 ** 31 - 1) ? v.seed : 0;
  if (v.seed !== undefined && seed !== v.seed) problems.push(`trigger seed ${show(v.seed)} is not a whole number ≥ 0`);
  const base = defaultTrigger(kind, seed);
  const p = isObj(v.params) ? v.params : {};
  const out: Obj = { ...base.params };
  const take = (key: string, ok: (x: unknown) => boolean, what: string, map: (x: unknown) => unknown = (x) => x) => {
    if (!(key in p)) return;
    if (ok(p[key])) out[key] = map(p[key]);
    else problems.push(`${base.kind} ${key} ${show(p[key])}: ${what}`);
  };
  const position = (x: unknown) => checkPosition(x) !== null;
  switch (kind) {
    case 'badnet':
      take('patchSize', (x) => x === null || isInt(x, 1, 512), 'must be a whole number of pixels or auto');
      take('position', position, "must be 'random', 'fixed' or {x, y}", checkPosition);
      take('offset', (x) => oneOf(x, ['image-mean', 'none'] as const), "must be 'image-mean' or 'none'");
      take('range', (x) => oneOf(x, ['wrap', 'clip'] as const), "must be 'wrap' or 'clip'");
      take('noise', (x) => oneOf(x, ['fixed', 'per-image'] as const), "must be 'fixed' or 'per-image'");
      break;
    case 'blended':
      take('ratio', (x) => isNum(x, 0, 1), 'must be between 0 and 1');
      take('noise', (x) => oneOf(x, ['fixed', 'per-image'] as const), "must be 'fixed' or 'per-image'");
      break;
    case 'wanet':
      take('k', (x) => isInt(x, 1, 4096), 'must be a whole number 1–4096');
      take('s', (x) => isNum(x, -1000, 1000), 'must be a number');
      take('gridRescale', (x) => isNum(x, 0, 10), 'must be between 0 and 10');
      break;
    case 'sig':
      take('delta', (x) => isNum(x, 0, 1), 'must be between 0 and 1');
      take('frequency', (x) => isNum(x, 0, 1000), 'must be between 0 and 1000');
      break;
    case 'painted': {
      const w = p.width,
        h = p.height;
      const sizeOk = isInt(w, 1, PAINTED_MAX_SIDE) && isInt(h, 1, PAINTED_MAX_SIDE);
      const bytes = (s: unknown) => {
        try {
          return typeof s === 'string' ? base64ToBytes(s) : null;
        } catch {
          return null;
        }
      };
      const rgb = bytes(p.pattern),
        alpha = bytes(p.mask);
      if ('pattern' in p || 'mask' in p || 'width' in p || 'height' in p) {
        if (sizeOk && rgb?.length === w * h * 3 && alpha?.length === w * h) {
          Object.assign(out, { width: w, height: h, pattern: p.pattern, mask: p.mask });
        } else problems.push('the painted trigger is damaged: using a checkerboard');
      }
      take('size', (x) => x === null || isInt(x, 1, 512), 'must be a whole number of pixels or auto');
      take('position', position, "must be 'random', 'fixed' or {x, y}", checkPosition);
      take('resize', (x) => oneOf(x, ['bilinear', 'nearest'] as const), "must be 'bilinear' or 'nearest'");
      break;
    }
  }
  return { kind, seed, params: out } as unknown as TriggerConfig;
}

function checkAlphas(v: unknown): number[] | string {
  if (!Array.isArray(v) || v.length < 2 || v.length > 401) return 'α grid must list 2–401 values';
  if (!v.every((a) => isNum(a, -100, 100))) return 'α grid must hold numbers';
  for (let i = 1; i < v.length; i++) if (!(v[i] > v[i - 1])) return 'α grid must be ascending';
  return v as number[];
}

function checkLevels(v: unknown): number[] | string {
  if (!Array.isArray(v) || v.length < 1 || v.length > 6) return 'ξ grid levels must list 1–6 sizes';
  if (!v.every((n) => isInt(n, 3, 65) && n % 2 === 1)) return 'ξ grid sizes must be odd whole numbers 3–65';
  for (let i = 1; i < v.length; i++) {
    if (!(v[i] > v[i - 1]) || (v[i] - 1) % (v[i - 1] - 1) !== 0) return 'each ξ grid must nest in the next (e.g. 5, 9, 17)';
  }
  return v as number[];
}

/** Check untrusted config JSON field by field against the defaults. */
export function checkConfig(raw: unknown): Checked {
  const problems: string[] = [];
  const d = defaultExperimentConfig();
  if (!isObj(raw)) return { config: d, problems: ['the experiment settings are not an object'] };
  if (raw.version !== undefined && raw.version !== EXPERIMENT_CONFIG_VERSION) {
    problems.push(`settings version ${show(raw.version)} is not ${EXPERIMENT_CONFIG_VERSION}: read what could be read`);
  }
  let c: ExperimentConfig = d;
  // The forget set's trigger first: DECREE's number fields below only exist when it is 'decree'.
  const forget = getPath(raw, 'forget.trigger');
  if (forget === 'decree') {
    const baseline = getPath(raw, 'forget.decree.baseline');
    c = { ...c, forget: { trigger: 'decree', decree: { ...MICRO_DECREE, ...(typeof baseline === 'boolean' && { baseline }) } } };
  } else if (forget !== undefined && forget !== 'known') problems.push(`forget-set trigger ${show(forget)}: must be 'known' or 'decree'`);

  for (const f of ALL_NUMBER_FIELDS) {
    const v = getPath(raw, f.path);
    if (v === undefined || (f.path.startsWith('forget.') && !c.forget)) continue;
    const why = checkNumber(f, v);
    if (why) problems.push(`${f.path} ${show(v)}: ${why.toLowerCase()}`);
    else c = setPath(c, f.path, v);
  }
  if (raw.model !== undefined) {
    const m = checkModel(raw.model);
    if (typeof m === 'string') problems.push(m);
    else c = { ...c, model: m };
  }
  if (raw.data !== undefined) {
    const m = checkData(raw.data);
    if (typeof m === 'string') problems.push(m);
    else c = { ...c, data: m };
  }
  if (raw.templates !== undefined) {
    if (isTemplateSet(raw.templates)) c = { ...c, templates: raw.templates };
    else problems.push(`templates ${show(raw.templates)}: must be one of ${TEMPLATE_SET_IDS.map((t) => `'${t}'`).join(', ')}`);
  }
  if (raw.trigger !== undefined) c = { ...c, trigger: checkTrigger(raw.trigger, problems) };
  // Parts a user's file can stand in for: named in the link, the file itself never travels.
  for (const [part, what] of [['backdoor', 'backdoored checkpoint'], ['triggerVector', 'trigger vector']] as const) {
    const f = raw[part];
    if (f === undefined) continue;
    if (isObj(f) && f.kind === 'file' && typeof f.name === 'string' && f.name.length > 0 && f.name.length <= 300) c = { ...c, [part]: { kind: 'file', name: f.name } };
    else problems.push(`${what} ${show(f)}: must be { kind: 'file', name }`);
  }
  const target = getPath(raw, 'attack.target');
  if (target !== undefined) {
    if (isInt(target, 0, 100000)) c = setPath(c, 'attack.target', target);
    else problems.push(`target class ${show(target)}: must be a class number ≥ 0`);
  }
  const rule = getPath(raw, 'sweep.rule');
  if (rule !== undefined) {
    if (rule === 'known-trigger' || rule === 'agnostic') c = setPath(c, 'sweep.rule', rule);
    else problems.push(`selection rule ${show(rule)}: must be 'known-trigger' or 'agnostic'`);
  }
  const alphas = getPath(raw, 'sweep.alphas');
  if (alphas !== undefined) {
    const a = checkAlphas(alphas);
    if (typeof a === 'string') problems.push(a);
    else c = setPath(c, 'sweep.alphas', a);
  }
  const range = getPath(raw, 'disentangle.range');
  if (range !== undefined) {
    if (isNum(range, 0.01, 100)) c = setPath(c, 'disentangle.range', range);
    else problems.push(`ξ range ${show(range)}: must be between 0.01 and 100`);
  }
  const levels = getPath(raw, 'disentangle.levels');
  if (levels !== undefined) {
    const l = checkLevels(levels);
    if (typeof l === 'string') problems.push(l);
    else c = setPath(c, 'disentangle.levels', l);
  }
  return { config: engineChecked(c, d, problems), problems };
}

/**
 * Last, the engine's own rules (validate.ts): a value it would refuse to run (poison rate 0, say) falls
 * back to its default here, so no link or stored run can leave every stage unable to start.
 */
function engineChecked(c: ExperimentConfig, d: ExperimentConfig, problems: string[]): ExperimentConfig {
  for (const issue of configIssues(c)) {
    const path = issue.path.replace(/\[\d+\]$/, ''); // disentangle.levels[2] → disentangle.levels
    const fallback = getPath(d, path);
    const top = path.split('.')[0] as keyof ExperimentConfig;
    c = fallback === undefined ? { ...c, [top]: d[top] } : setPath(c, path, fallback);
    problems.push(`${path}: ${issue.message}`);
  }
  return configIssues(c).length === 0 ? c : d;
}

/** Canonical JSON (sorted keys): equal configs give equal strings. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function sameConfig(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
