/**
 * Real CLIP checkpoints and datasets from the Hugging Face Hub (issue #7): the public surface.
 *
 *   loadModelFromSource(source, { onProgress, signal, files })  → { model, tokenizer, name, id, … }
 *   loadDataFromSource(source, { splits, seed, files, … })      → { splits: train/val/forget/test, … }
 *   zeroShotHeadCached(model, tokenize, classNames, templates, { modelId })
 *   cacheInfo() / clearCache()
 * Errors are HubError (code + a message that says what to do); memory limits are MemoryPlanError.
 *
 * Wiring (for src/worker/jobs.ts and the app; hub.html / src/hubpage/worker.ts does the same):
 * - loadModel job: `loadModelFromSource(config.model, { onProgress: ctx.progress, signal: ctx.signal,
 *   files, device: deviceBudget(backendInfo) })`, swap the session's model only when it resolves
 *   (dispose the old one then), then `zeroShotHeadCached(model, (t) => tokenizer.tokenize(t),
 *   data.classNames, templates, { modelId: loaded.id, onProgress: ctx.progress })`. 'builtin' stays
 *   the engine's, or pass `builtinUrl` (the folder of public/models/micro-clip/).
 * - loadData job: `loadDataFromSource(config.data, { splits: config.splits, seed: config.seed, files,
 *   onProgress: ctx.progress, signal: ctx.signal })` → `.splits.{train,val,forget,test}`.
 * - dropped files reach the worker as File objects in the job params (structured-cloneable): the
 *   loadModel / loadData params need a `files?: File[]` next to `config`.
 * - attack / tbar / ga: `chooseBatchSize(model.config, cfg.batchSize, deviceBudget(backendInfo),
 *   { backend: backendInfo.name })` → run with `.batchSize`, show `.limitedBy`.
 * - the app: `parseHubParam(location.search)` → ModelSource.baseUrl / DataSource.baseUrl;
 *   `cacheInfo()` / `clearCache()` work on the main thread too (the Cache API is per origin).
 * The lab's worker does all of this through sources.ts (hubSources → the session's loader registry,
 * cachedHead, deviceBatchFitter); loadDataFromSource returns `pools` that data/splits.ts makeSplits
 * draws the train/val/forget/test splits from.
 */
export { loadModelFromSource, droppedModelName, type LoadedModel, type ModelLoadOptions, type FileLike } from './loadModel';
export { loadDataFromSource, type LoadedData, type DataLoadOptions } from './loadData';
export { zeroShotHeadCached, textHeadKey, type CachedHead } from './textHead';
export { cacheInfo, clearCache, HubCache, MemoryCacheStorage, type CacheInfo } from './cache';
export { HubError, type HubErrorCode, KEEPS_PREVIOUS } from './errors';
export { DEFAULT_HUB_URL, DEFAULT_MODEL_REPO, KNOWN_MODEL_REPOS, hubFileUrl, parseHubParam } from './url';
export { chooseBatchSize, deviceBudget, planFinetuneMemory, checkModelFits, MemoryPlanError } from '../memory/plan';
export type { LoadProgress } from './progress';
export { hubSources, cachedHead, deviceBatchFitter, type HubSourceOptions } from './sources';
