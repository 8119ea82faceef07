/**
 * The Hub module as loaders of an experiment session (experiment/sources.ts): what the worker merges
 * over the built-in micro CLIP and shapes, so that the lab's loadModel / loadData jobs read
 *
 *   ModelSource 'hub' | 'file'                → loadModelFromSource (Cache API, dropped files)
 *   DataSource 'cifar10' | 'cifar100' | 'folder' → loadDataFromSource → pools (data/splits.ts draws the splits)
 *
 * and the zero-shot head is cached per model × classes × templates (textHead.ts), and fine-tuning
 * batches are limited to what the device holds (memory/plan.ts). Node tests inject fetch, a cache and
 * an image decoder; the browser worker uses the defaults.
 */
import type { ImageDecoder } from '../data/cifarHub';
import type { HeadBuilder, BatchFitter } from '../experiment/session';
import { uncachedHead } from '../experiment/session';
import type { DataLoader, ModelLoader, SourceRegistry } from '../experiment/sources';
import { chooseBatchSize, type DeviceBudget } from '../memory/plan';
import type { HubCache } from './cache';
import type { FetchFn } from './client';
import { loadDataFromSource } from './loadData';
import { loadModelFromSource } from './loadModel';
import { zeroShotHeadCached } from './textHead';

export interface HubSourceOptions {
  fetch?: FetchFn;
  /** Download cache: default the Cache API; null = none (tests). */
  cache?: HubCache | null;
  /** Text-head cache: default the Cache API; null = none. */
  headCache?: HubCache | null;
  decode?: ImageDecoder;
  /** The device's memory budget, once the backend is chosen (a model that cannot fit fails before its download). */
  device?: () => DeviceBudget | undefined;
}

/** Loaders for the Hub's models and datasets and the user's dropped files. */
export function hubSources(opts: HubSourceOptions = {}): Partial<SourceRegistry> {
  const model: ModelLoader = async (source, ctx) => {
    const m = await loadModelFromSource(source, {
      files: ctx.dropped,
      onProgress: ctx.progress,
      signal: ctx.signal,
      fetch: opts.fetch,
      cache: opts.cache,
      device: opts.device?.(),
    });
    return { model: m.model, tokenizer: m.tokenizer, name: m.name, id: m.id, fromCache: m.fromCache, warnings: m.warnings };
  };
  const data: DataLoader = async (source, _req, ctx) => {
    const d = await loadDataFromSource(source, {
      files: ctx.dropped,
      onProgress: ctx.progress,
      signal: ctx.signal,
      fetch: opts.fetch,
      cache: opts.cache,
      decode: opts.decode,
    });
    return { name: d.name, pools: d.pools, fromCache: d.fromCache, warnings: d.warnings };
  };
  return { models: { hub: model, file: model }, data: { cifar10: data, cifar100: data, folder: data } };
}

/** Zero-shot heads from the browser cache for models with an id (Hub, dropped files); others uncached. */
export function cachedHead(cache?: HubCache | null): HeadBuilder {
  return async (loaded, classNames, templates, o) => {
    if (!loaded.id) return uncachedHead(loaded, classNames, templates, o);
    const h = await zeroShotHeadCached(loaded.model, (t) => loaded.tokenizer.tokenize(t, o.maxLength), classNames, templates, {
      modelId: loaded.id,
      onProgress: o.progress,
      signal: o.signal,
      cache,
    });
    return h.head;
  };
}

/**
 * Fine-tuning batches the device can hold: chooseBatchSize against `device()` (the budget of the
 * backend `init` selected; none yet: the batch is left as configured).
 */
export function deviceBatchFitter(device: () => DeviceBudget | undefined): BatchFitter {
  return (model, requested, { classes, chunks }) => {
    const budget = device();
    if (!budget) return { batchSize: requested };
    const c = chooseBatchSize(model, requested, budget, { backend: budget.backend, classes }, { chunks });
    return { batchSize: c.batchSize, limitedBy: c.limitedBy, spareBytes: budget.totalBytes - c.plan.peakBytes };
  };
}
