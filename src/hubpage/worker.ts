/// <reference lib="webworker" />
/**
 * The Hub page's engine worker (hub.html): the same loaders the lab's loadModel / loadData jobs use,
 * behind a tiny request/response protocol. Keeps one current model and dataset; a failed load leaves
 * them in place (the loaders build into new objects; we swap only on success).
 */
import { tf } from '../engine/tf';
import { selectBackend, type BackendInfo } from '../engine/backend';
import { wasmAssetPaths } from '../engine/wasmAssets';
import { TEMPLATE_SETS, type TemplateSet } from '../engine/clip/templates';
import { loadModelFromSource, type LoadedModel, type FileLike } from '../engine/hub/loadModel';
import { loadDataFromSource, type LoadedData } from '../engine/hub/loadData';
import { zeroShotHeadCached } from '../engine/hub/textHead';
import { cacheInfo, clearCache } from '../engine/hub/cache';
import { chooseBatchSize, deviceBudget, formatGiB } from '../engine/memory/plan';
import type { ModelSource, DataSource } from '../engine/experiment/config';
import type { DroppedFile } from '../engine/data/folder';
import { makeSplits } from '../engine/data/splits';
import type { SplitConfig } from '../engine/experiment/config';
import type { LoadProgress } from '../engine/hub/progress';

declare const self: DedicatedWorkerGlobalScope;

export type HubRequest =
  | { op: 'init'; args: { backend: 'wasm' | 'webgpu' | 'auto' } }
  | { op: 'loadModel'; args: { source: ModelSource; files?: File[] } }
  | { op: 'loadData'; args: { source: DataSource; files?: File[]; seed: number; splits: SplitConfig } }
  | { op: 'textHead'; args: { templates: TemplateSet } }
  | { op: 'probe'; args: Record<string, never> }
  | { op: 'memoryPlan'; args: { batchSize: number } }
  | { op: 'cacheInfo'; args: Record<string, never> }
  | { op: 'clearCache'; args: Record<string, never> };

export type HubResponse =
  | { id: number; type: 'progress'; progress: LoadProgress }
  | { id: number; type: 'done'; result: unknown }
  | { id: number; type: 'error'; error: { name: string; code: string; message: string } };

let backend: BackendInfo | null = null;
let current: LoadedModel | null = null;
let data: LoadedData | null = null;

async function handle(req: HubRequest, progress: (p: LoadProgress) => void): Promise<unknown> {
  switch (req.op) {
    case 'init':
      backend = await selectBackend({ requested: req.args.backend, wasmPaths: wasmAssetPaths });
      return { name: backend.name, reason: backend.reason };
    case 'loadModel': {
      const t0 = performance.now();
      const next = await loadModelFromSource(req.args.source, { files: req.args.files as FileLike[] | undefined, onProgress: progress });
      current?.model.dispose(); // swap only on success
      current = next;
      return { name: next.name, fromCache: next.fromCache, weightBytes: next.weightBytes, warnings: next.warnings, ms: performance.now() - t0, params: next.model.numParams(), numTensors: tf.memory().numTensors };
    }
    case 'loadData': {
      const t0 = performance.now();
      const next = await loadDataFromSource(req.args.source, { files: req.args.files as unknown as DroppedFile[] | undefined, onProgress: progress });
      data = next;
      const s = makeSplits(next.pools, req.args.splits, req.args.seed);
      return { name: next.name, classNames: next.classNames, imageSize: next.imageSize, counts: { train: s.train.rows.length, val: s.val.rows.length, forget: s.forget.rows.length, test: s.test.rows.length }, fromCache: next.fromCache, warnings: next.warnings, ms: performance.now() - t0, firstLabels: Array.from(s.test.labels.slice(0, 8)) };
    }
    case 'textHead': {
      if (!current || !data) throw Object.assign(new Error('load a model and a dataset first'), { code: 'not-ready' });
      const m = current;
      const templates = TEMPLATE_SETS[req.args.templates];
      const t0 = performance.now();
      const h = await zeroShotHeadCached(m.model, (t) => m.tokenizer.tokenize(t), data.classNames, templates, { modelId: m.id, onProgress: progress });
      const shape = h.head.shape;
      h.head.dispose();
      return { shape, fromCache: h.fromCache, ms: performance.now() - t0 };
    }
    case 'probe': {
      if (!current) return null;
      const m = current;
      const ids = tf.tensor2d(m.tokenizer.tokenize(['a photo of a cat']).ids, [1, 77], 'int32');
      const e = m.model.encodeText(ids);
      const v = Array.from((await e.data()).slice(0, 4));
      tf.dispose([ids, e]);
      return { name: m.name, embedding: v };
    }
    case 'memoryPlan': {
      if (!current || !backend) return null;
      const c = chooseBatchSize(current.config, req.args.batchSize, deviceBudget(backend), { backend: backend.name });
      return { batchSize: c.batchSize, limitedBy: c.limitedBy, peak: formatGiB(c.plan.peakBytes), lines: c.plan.lines.map((l) => `${l.label}: ${(l.bytes / 1e6).toFixed(0)} MB`) };
    }
    case 'cacheInfo':
      return cacheInfo();
    case 'clearCache':
      return clearCache();
  }
}

self.addEventListener('message', (ev: MessageEvent<{ id: number } & HubRequest>) => {
  const { id } = ev.data;
  const post = (m: HubResponse) => self.postMessage(m);
  handle(ev.data, (progress) => post({ id, type: 'progress', progress })).then(
    (result) => post({ id, type: 'done', result }),
    (e: Error & { code?: string }) => post({ id, type: 'error', error: { name: e?.name ?? 'Error', code: e?.code ?? 'internal', message: e?.message ?? String(e) } }),
  );
});
