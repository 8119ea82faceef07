/**
 * hub.html: buttons and progress over the Hub worker (worker.ts), and `globalThis.__hub` for
 * e2e/hub.spec.mjs. `?hub=` sets the Hub address (DataSource/ModelSource baseUrl), `?backend=` the
 * tfjs backend (default wasm).
 */
import type { HubRequest, HubResponse } from './worker';
import type { LoadProgress } from '../engine/hub/progress';
import type { TemplateSet } from '../engine/clip/templates';
import { parseHubParam } from '../engine/hub/url';

const params = new URLSearchParams(location.search);
const hubUrl = parseHubParam(location.search);
const backend = (params.get('backend') ?? 'wasm') as 'wasm' | 'webgpu' | 'auto';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });

let nextId = 1;
const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
const progressLog: LoadProgress[] = [];

function showProgress(p: LoadProgress) {
  progressLog.push(p);
  const bar = $<HTMLProgressElement>('progress');
  bar.max = p.total || 1;
  bar.value = p.total ? p.done : 0;
  $('phase').textContent = p.phase;
  $('progress-text').textContent = p.message;
}

worker.addEventListener('message', (ev: MessageEvent<HubResponse>) => {
  const m = ev.data;
  if (m.type === 'progress') return showProgress(m.progress);
  const p = pending.get(m.id);
  if (!p) return;
  pending.delete(m.id);
  if (m.type === 'done') p.resolve(m.result);
  else p.reject(Object.assign(new Error(m.error.message), { code: m.error.code, remoteName: m.error.name }));
});

function call<R = unknown>(req: HubRequest): Promise<R> {
  const id = nextId++;
  return new Promise<R>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    worker.postMessage({ id, ...req });
  });
}

/** Run an op with the page's status/error lines updated, rethrowing for the caller. */
async function ui<R>(label: string, req: HubRequest, describe: (r: R) => string): Promise<R> {
  $('error').textContent = '';
  $('status').textContent = `${label}…`;
  try {
    const r = await call<R>(req);
    $('status').textContent = describe(r);
    $('status').className = 'ok';
    await refreshCache();
    return r;
  } catch (e) {
    const err = e as Error & { code?: string };
    $('error').textContent = `${label} failed [${err.code}]: ${err.message}`;
    $('status').textContent = '';
    throw e;
  }
}

async function refreshCache() {
  const info = await call<{ totalBytes: number; entries: unknown[] }>({ op: 'cacheInfo', args: {} });
  $('cache').textContent = `cache: ${info.entries.length} entries, ${(info.totalBytes / 1e6).toFixed(1)} MB`;
}

type ModelResult = { name: string; fromCache: boolean; weightBytes: number; ms: number; warnings: string[] };
type DataResult = { name: string; counts: Record<string, number>; fromCache: boolean; ms: number; classNames: string[] };

const api = {
  ready: call({ op: 'init', args: { backend } }),
  progress: progressLog,
  loadModel: (repo: string, baseUrl = hubUrl) =>
    ui<ModelResult>('Loading the model', { op: 'loadModel', args: { source: { kind: 'hub', repo, baseUrl } } }, (r) =>
      `Model: ${r.name} (${(r.weightBytes / 1e6).toFixed(0)} MB${r.fromCache ? ', from the browser cache' : ''}, ${(r.ms / 1000).toFixed(1)} s)${r.warnings.length ? ' — ' + r.warnings.join(' ') : ''}`),
  loadModelFiles: (files: File[]) =>
    ui<ModelResult>('Loading the dropped model', { op: 'loadModel', args: { source: { kind: 'file', name: '' }, files } }, (r) => `Model: ${r.name} (dropped files, ${(r.ms / 1000).toFixed(1)} s)`),
  loadData: (kind: 'cifar10' | 'cifar100', splits = { train: 1000, val: 300, forget: 200, test: 400 }, seed = 1, baseUrl = hubUrl) =>
    ui<DataResult>('Loading the data', { op: 'loadData', args: { source: { kind, baseUrl }, seed, splits } }, (r) =>
      `Data: ${r.name}, ${r.classNames.length} classes, train ${r.counts.train} / val ${r.counts.val} / forget ${r.counts.forget} / test ${r.counts.test}${r.fromCache ? ', from the browser cache' : ''} (${(r.ms / 1000).toFixed(1)} s)`),
  loadFolder: (files: File[], splits = { train: 100, val: 3, forget: 2, test: 3 }) =>
    ui<DataResult>('Loading the folder', { op: 'loadData', args: { source: { kind: 'folder', name: '' }, files, seed: 1, splits } }, (r) => `Data: ${r.name}, classes ${r.classNames.join(', ')}`),
  textHead: (templates: TemplateSet = 'imagenet80') =>
    ui<{ shape: number[]; fromCache: boolean; ms: number }>('Building the zero-shot head', { op: 'textHead', args: { templates } }, (r) => `Zero-shot head [${r.shape}]${r.fromCache ? ' from the browser cache' : ''} in ${(r.ms / 1000).toFixed(1)} s`),
  probe: () => call<{ name: string; embedding: number[] } | null>({ op: 'probe', args: {} }),
  memoryPlan: (batchSize: number) => call({ op: 'memoryPlan', args: { batchSize } }),
  cacheInfo: () => call({ op: 'cacheInfo', args: {} }),
  clearCache: () => ui<number>('Clearing the cache', { op: 'clearCache', args: {} }, (n) => `Cache cleared (${(n / 1e6).toFixed(1)} MB)`),
};
Object.assign(globalThis, { __hub: api });

api.ready.then(
  (b) => {
    $('status').textContent = `engine ready (${(b as { name: string }).name})${hubUrl ? `, hub ${hubUrl}` : ''}`;
    document.body.dataset.ready = 'true';
    void refreshCache();
  },
  (e: Error) => ($('error').textContent = `engine failed: ${e.message}`),
);

$('load-model').addEventListener('click', () => void api.loadModel($<HTMLInputElement>('repo').value).catch(() => {}));
$('load-data').addEventListener('click', () => void api.loadData($<HTMLSelectElement>('dataset').value as 'cifar10').catch(() => {}));
$('clear-cache').addEventListener('click', () => void api.clearCache().catch(() => {}));
$('model-files').addEventListener('change', (e) => void api.loadModelFiles([...((e.target as HTMLInputElement).files ?? [])]).catch(() => {}));
$('folder').addEventListener('change', (e) => void api.loadFolder([...((e.target as HTMLInputElement).files ?? [])]).catch(() => {}));
