/**
 * THE one place where user-visible state meets the URL (like TensorFlow Playground): a link opens the
 * same experiment. Readable query parameters for the common fields, everything else as a compact
 * blob of what differs from the defaults:
 *
 *   ?seed=3&trigger=blended&target=2&poison=0.05&alpha=1.2&present=1&c=z…
 *
 *   seed     ExperimentConfig.seed                 model   micro-clip | hub:owner/name[@revision]
 *   data     shapes | cifar10 | cifar100           trigger badnet | blended | wanet | sig | painted
 *   target   attack.target (class index)           poison  attack.poisonRate (fraction)
 *   alpha    the α the scrubber shows              present 1 = presenter mode
 *   clean    1 = also train the clean baseline     c       the rest: 'z' + base64url(deflate-raw(JSON))
 *   xi       the ξ map's term: clean | triggered (absent: their sum, ξ itself)
 *                                                          or 'j' + base64url(JSON) (no CompressionStream)
 *   cell     α_c,α_t: the ξ cell whose images the inspector shows
 *
 *   v        the link format (LINK_VERSION), written whenever the link names an experiment (seed … c)
 *
 * `backend`, `hub` (a Hub mirror), `gpuMemoryGB` (the memory plan's GPU size), `mock`, `mockFail` and `mockSpeed` belong to the environment, not the experiment: they pass
 * through untouched. A bad value never crashes: it is reported and the default is used.
 *
 * Links are diffs against the defaults, so when the defaults move an old link must be read against
 * the defaults it was written against, or it silently opens another experiment. Version 1 (links with
 * experiment parameters and no `v`, made before 2026-11-24): BadNet and a 500-image forget set.
 * Version 2: SIG and a 2000-image forget set; every model's link against the micro CLIP's recipe.
 * Version 3: as 2, but the fine-tuning recipes are the model's own (recipe.ts): a Hub or file model's
 * link is a diff against the paper's recipe (lr 1e-5, batch 128, …).
 * Version 4 (the current defaults): as 3, and the zero-shot head's templates are the model's and
 * data's own (recipes.ts templatesFor): a real CLIP on CIFAR against CLIP's 18 CIFAR templates. Before,
 * every link was a diff against the single 'a photo of a {}.'.
 */
import type { DataSource, ExperimentConfig, ModelSource } from '../engine/experiment/config';
import type { TriggerKind } from '../engine/triggers/types';
import { checkConfig, canonicalJson } from './configCheck';
import { defaultExperimentConfig, defaultTrigger, TRIGGER_KINDS } from './defaults';
import { checkNumber, fieldByPath } from './params';
import { recipeIdFor, templatesFor, withRecipe } from './recipe';

export interface UrlState {
  config: ExperimentConfig;
  presenter: boolean;
  /** The α the scrubber shows (null = the selected α). */
  alpha: number | null;
  cleanBaseline: boolean;
  /** What the ξ map shows: ξ of eq. 2, or one of its two terms (an XiCell field). */
  xiTerm: XiTerm;
  /** The ξ cell whose images the inspector shows (null = none). */
  xiCell: XiCellRef | null;
}

/** A cell of the ξ map by its coefficients. */
export interface XiCellRef {
  alphaC: number;
  alphaT: number;
}

/** ξ = clean + triggered (eq. 2): the map can show the sum or either term on its own. */
export type XiTerm = 'xi' | 'clean' | 'triggered';

export interface DecodedUrl {
  state: UrlState;
  /** One sentence per part of the link that was ignored. */
  problems: string[];
}

/** Parameters that belong to the environment and pass through unchanged. */
export const PASSTHROUGH = ['backend', 'hub', 'gpuMemoryGB', 'mock', 'mockFail', 'mockSpeed'] as const;

/** The parameters that set the experiment (the rest set the environment or the view: present, alpha, xi, cell, clean). */
const EXPERIMENT_PARAMS = ['seed', 'model', 'data', 'trigger', 'target', 'poison', 'c'];

/**
 * Whether a link says anything about the experiment. A hand-typed `?present=1` names none, so it opens
 * today's defaults, as the bare URL does (it used to be read as a version-1 link: BadNet, forget 500).
 */
const namesExperiment = (q: URLSearchParams) => EXPERIMENT_PARAMS.some((k) => q.has(k));

/** The link format written now; see the file comment for what each version's defaults were. */
export const LINK_VERSION = 4;

/** The defaults a link of format `version` is a diff against. */
export function linkDefaults(version: number): ExperimentConfig {
  const d = defaultExperimentConfig();
  if (version >= 2) return d;
  return { ...d, trigger: defaultTrigger('badnet', d.seed) as ExperimentConfig['trigger'], splits: { ...d.splits, forget: 500 } };
}

/** Above this the painted pattern stays out of the link (a note says so). */
export const MAX_BLOB_CHARS = 6000;

export function defaultUrlState(): UrlState {
  return { config: defaultExperimentConfig(), presenter: false, alpha: null, cleanBaseline: false, xiTerm: 'xi', xiCell: null };
}

// ---- base64url and deflate

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('not base64url');
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  const bin = atob(b64);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

const hasCompression = () => typeof CompressionStream === 'function' && typeof DecompressionStream === 'function';

async function pipeBytes(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

async function packJson(v: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(v));
  if (hasCompression()) return 'z' + toBase64Url(await pipeBytes(bytes, new CompressionStream('deflate-raw')));
  return 'j' + toBase64Url(bytes);
}

async function unpackJson(s: string): Promise<unknown> {
  const kind = s[0];
  const body = fromBase64Url(s.slice(1));
  let bytes: Uint8Array;
  if (kind === 'z') bytes = await pipeBytes(body, new DecompressionStream('deflate-raw'));
  else if (kind === 'j') bytes = body;
  else throw new Error(`unknown blob kind '${kind}'`);
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
}

// ---- diffs against a base config

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The parts of `v` that differ from `base` (objects recursively; arrays and leaves whole). */
function diff(v: unknown, base: unknown): unknown {
  if (isObj(v) && isObj(base)) {
    const out: Obj = {};
    for (const k of Object.keys(v)) {
      if (v[k] === undefined) continue;
      const d = diff(v[k], base[k]);
      if (d !== undefined) out[k] = d;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return canonicalJson(v) === canonicalJson(base) ? undefined : v;
}

/** `base` with `patch` laid over it (objects recursively). */
function merge(base: unknown, patch: unknown): unknown {
  if (isObj(base) && isObj(patch)) {
    const out: Obj = { ...base };
    for (const k of Object.keys(patch)) out[k] = merge(base[k], patch[k]);
    return out;
  }
  return patch === undefined ? base : patch;
}

// ---- common fields

function modelParam(m: ModelSource): string | null {
  if (m.kind === 'builtin') return null;
  if (m.kind === 'hub') return `hub:${m.repo}${m.revision ? '@' + m.revision : ''}`;
  return null; // files travel in the blob (named only)
}

function parseModelParam(s: string): ModelSource | null {
  if (s === 'micro-clip') return { kind: 'builtin', id: 'micro-clip' };
  const m = /^hub:([^@]+)(?:@(.+))?$/.exec(s);
  if (!m) return null;
  return m[2] ? { kind: 'hub', repo: m[1], revision: m[2] } : { kind: 'hub', repo: m[1] };
}

/**
 * The config the blob is a diff against: the link version's defaults `d` with the common fields applied;
 * from version 3 the fine-tuning recipes of the experiment's model and from version 4 the templates of
 * its model and data (`own`: wherever the link names them, a file model or a folder in the blob).
 */
function baseFor(
  d: ExperimentConfig,
  c: Pick<ExperimentConfig, 'seed' | 'model' | 'data' | 'attack'> & { triggerKind: TriggerKind; triggerSeed: number },
  version: number,
  own: { model: ModelSource; data: DataSource },
): ExperimentConfig {
  const base: ExperimentConfig = {
    ...d,
    seed: c.seed,
    model: c.model,
    data: c.data,
    trigger: defaultTrigger(c.triggerKind, c.triggerSeed),
    attack: { ...d.attack, target: c.attack.target, poisonRate: c.attack.poisonRate },
  };
  const recipes = version >= 3 ? withRecipe(base, recipeIdFor(own.model)) : base;
  return version >= 4 ? { ...recipes, templates: templatesFor(own.model, own.data) } : recipes;
}

const num = (v: number) => String(+v.toPrecision(8));

export interface EncodedUrl {
  /** The query string without '?' ('' for the default experiment). */
  search: string;
  /** Parts that did not fit in the link. */
  omitted: string[];
}

/** State → query string. `current` supplies the pass-through parameters (backend, mock, …). */
export async function encodeUrlState(state: UrlState, current: URLSearchParams = new URLSearchParams()): Promise<EncodedUrl> {
  const c = state.config;
  const d = defaultExperimentConfig();
  const q = new URLSearchParams();
  for (const k of PASSTHROUGH) {
    const v = current.get(k);
    if (v !== null) q.set(k, v);
  }
  if (c.seed !== d.seed) q.set('seed', String(c.seed));
  const mp = modelParam(c.model);
  if (mp) q.set('model', mp);
  if (c.data.kind !== 'folder' && c.data.kind !== d.data.kind) q.set('data', c.data.kind);
  if (c.trigger.kind !== d.trigger.kind) q.set('trigger', c.trigger.kind);
  if (c.attack.target !== d.attack.target) q.set('target', String(c.attack.target));
  if (c.attack.poisonRate !== d.attack.poisonRate) q.set('poison', num(c.attack.poisonRate));
  if (state.alpha !== null) q.set('alpha', num(state.alpha));
  if (state.presenter) q.set('present', '1');
  if (state.cleanBaseline) q.set('clean', '1');
  if (state.xiTerm !== 'xi') q.set('xi', state.xiTerm);
  if (state.xiCell) q.set('cell', `${num(state.xiCell.alphaC)},${num(state.xiCell.alphaT)}`);

  // What the common fields cannot say goes in the blob. The trigger seed defaults to the master seed.
  // It is a diff against exactly what decodeUrlState rebuilds from the parameters above.
  const base = baseFor(d, {
    seed: c.seed,
    model: (mp && parseModelParam(mp)) || d.model,
    data: q.has('data') ? { kind: c.data.kind as 'cifar10' } : d.data,
    attack: c.attack,
    triggerKind: c.trigger.kind,
    triggerSeed: c.seed,
  }, LINK_VERSION, c);
  const omitted: string[] = [];
  let rest = diff(c, base) as Obj | undefined;
  if (rest) {
    // The model and data sources are whole objects: say them whole when anything in them differs.
    if (rest.model) rest.model = c.model;
    if (rest.data) rest.data = c.data;
    let blob = await packJson(rest);
    if (blob.length > MAX_BLOB_CHARS && c.trigger.kind === 'painted' && isObj(rest.trigger)) {
      const t = { ...(rest.trigger as Obj), params: { ...((rest.trigger as Obj).params as Obj) } };
      for (const k of ['width', 'height', 'pattern', 'mask']) delete (t.params as Obj)[k];
      rest = { ...rest, trigger: t };
      blob = await packJson(rest);
      omitted.push('the painted pattern (too large for a link: export the run as JSON to share it)');
    }
    q.set('c', blob);
  }
  if (namesExperiment(q)) q.set('v', String(LINK_VERSION));
  return { search: q.toString(), omitted };
}

/**
 * The link's format: `v` when given; a link that names an experiment without `v` is version 1; a
 * link with nothing but environment parameters opens today's defaults.
 */
function linkVersion(q: URLSearchParams, problems: string[]): number {
  const s = q.get('v');
  if (s === null) return namesExperiment(q) ? 1 : LINK_VERSION;
  const v = Number(s);
  if (Number.isInteger(v) && v >= 1 && v <= LINK_VERSION) return v;
  problems.push(
    Number.isInteger(v) && v > LINK_VERSION
      ? `v=${s}: the link was made by a newer version of the lab (this one reads up to ${LINK_VERSION}); read as version ${LINK_VERSION}`
      : `v=${s} is not a link version 1–${LINK_VERSION}: read as version ${LINK_VERSION}`,
  );
  return LINK_VERSION;
}

/** Query string → state, never throwing: every ignored part is reported. */
export async function decodeUrlState(search: string | URLSearchParams): Promise<DecodedUrl> {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  const problems: string[] = [];
  const version = linkVersion(q, problems);
  const d = linkDefaults(version);
  const common = {
    seed: d.seed,
    model: d.model,
    data: d.data,
    attack: d.attack,
    triggerKind: d.trigger.kind as TriggerKind,
    triggerSeed: d.seed,
  };

  const intParam = (name: string, lo: number, hi: number): number | null => {
    const s = q.get(name);
    if (s === null) return null;
    const v = Number(s);
    if (s.trim() === '' || !Number.isInteger(v) || v < lo || v > hi) {
      problems.push(`${name}=${s} is not a whole number ${lo}–${hi}`);
      return null;
    }
    return v;
  };
  const numParam = (name: string, lo: number, hi: number): number | null => {
    const s = q.get(name);
    if (s === null) return null;
    const v = Number(s);
    if (s.trim() === '' || !Number.isFinite(v) || v < lo || v > hi) {
      problems.push(`${name}=${s} is not a number ${lo}–${hi}`);
      return null;
    }
    return v;
  };
  /** A parameter that sets a form field: the form's own bounds (params.ts), in the form's words. */
  const fieldParam = (name: string, path: string): number | null => {
    const s = q.get(name);
    if (s === null) return null;
    const why = checkNumber(fieldByPath(path)!, s.trim() === '' ? NaN : Number(s));
    if (why) problems.push(`${name}=${s}: ${why}`);
    return why ? null : Number(s);
  };

  const seed = intParam('seed', 0, 2 ** 31 - 1);
  if (seed !== null) common.seed = common.triggerSeed = seed;
  const model = q.get('model');
  if (model !== null) {
    const m = parseModelParam(model);
    if (m) common.model = m;
    else problems.push(`model=${model} is not 'micro-clip' or 'hub:owner/name'`);
  }
  const data = q.get('data');
  if (data !== null) {
    if (data === 'shapes' || data === 'cifar10' || data === 'cifar100') common.data = { kind: data };
    else problems.push(`data=${data} is not shapes, cifar10 or cifar100`);
  }
  const trigger = q.get('trigger');
  if (trigger !== null) {
    if ((TRIGGER_KINDS as readonly string[]).includes(trigger)) common.triggerKind = trigger as TriggerKind;
    else problems.push(`trigger=${trigger} is not one of ${TRIGGER_KINDS.join(', ')}`);
  }
  const target = intParam('target', 0, 100000);
  const poison = fieldParam('poison', 'attack.poisonRate');
  common.attack = { ...d.attack, target: target ?? d.attack.target, poisonRate: poison ?? d.attack.poisonRate };

  let patch: Obj | null = null;
  const blob = q.get('c');
  if (blob) {
    try {
      const p = await unpackJson(blob);
      if (!isObj(p)) throw new Error('not an object');
      patch = p;
    } catch {
      problems.push('the link\'s experiment settings (c=…) are damaged or cut off: using the defaults for them');
    }
  }
  // The recipes (from version 3) and templates (from 4) are the model's and data's own: the blob's
  // when it names them (a file model, a folder).
  const own = {
    model: patch && isObj(patch.model) ? (patch.model as ModelSource) : common.model,
    data: patch && isObj(patch.data) ? (patch.data as DataSource) : common.data,
  };
  let raw: unknown = baseFor(d, common, version, own);
  if (patch) {
    // A blob that switches the model/data kind replaces the whole source.
    raw = merge(raw, patch);
    for (const k of ['model', 'data'] as const) if (isObj(patch[k])) (raw as Obj)[k] = patch[k];
  }
  const checked = checkConfig(raw);
  problems.push(...checked.problems);

  const alpha = numParam('alpha', -100, 100);
  const flag = (name: string) => {
    const s = q.get(name);
    if (s === null || s === '0') return false;
    if (s === '1' || s === '') return true;
    problems.push(`${name}=${s} is not 1 or 0`);
    return false;
  };
  const xiTermParam = (): XiTerm => {
    const s = q.get('xi');
    if (s === null) return 'xi';
    if (s === 'clean' || s === 'triggered') return s;
    problems.push(`xi=${s} is not clean or triggered`);
    return 'xi';
  };
  const xiCellParam = (): XiCellRef | null => {
    const s = q.get('cell');
    if (s === null) return null;
    const parts = s.split(',');
    const [alphaC, alphaT] = parts.map((x) => (x.trim() === '' ? NaN : Number(x)));
    if (parts.length !== 2 || ![alphaC, alphaT].every((v) => Number.isFinite(v) && Math.abs(v) <= 100)) {
      problems.push(`cell=${s} is not two numbers α_c,α_t (−100–100)`);
      return null;
    }
    return { alphaC, alphaT };
  };
  return {
    state: { config: checked.config, presenter: flag('present'), alpha, cleanBaseline: flag('clean'), xiTerm: xiTermParam(), xiCell: xiCellParam() },
    problems,
  };
}

/**
 * Keep the address bar in step with the state: on every change (debounced), encode and replace the
 * URL (no history entry per keystroke). Returns the unsubscribe function.
 */
export function syncUrl(opts: {
  read: () => UrlState;
  subscribe: (listener: () => void) => () => void;
  onEncoded: (e: EncodedUrl) => void;
  delayMs?: number;
}): () => void {
  let last = canonicalJson(opts.read());
  let timer: ReturnType<typeof setTimeout> | null = null;
  let seq = 0;
  const write = async () => {
    const mine = ++seq;
    const enc = await encodeUrlState(opts.read(), new URLSearchParams(location.search));
    if (mine !== seq) return;
    const url = `${location.pathname}${enc.search ? '?' + enc.search : ''}${location.hash}`;
    if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(history.state, '', url);
    opts.onEncoded(enc);
  };
  const unsub = opts.subscribe(() => {
    const now = canonicalJson(opts.read());
    if (now === last) return;
    last = now;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void write(), opts.delayMs ?? 250);
  });
  return () => {
    unsub();
    if (timer) clearTimeout(timer);
  };
}
