/**
 * Real CLIP checkpoints and datasets from the Hugging Face Hub (issue #7): the public surface.
 *
 *   loadModelFromSource(source, { onProgress, signal, files })  → { model, tokenizer, name, id, … }
 *   loadDataFromSource(source, { splits, seed, files, … })      → { splits: train/val/forget/test, … }
 *   zeroShotHeadCached(model, tokenize, classNames, templates, { modelId })
 *   cacheInfo() / clearCache()
 * Errors are HubError (code + a message that says what to do); memory limits are MemoryPlanError.
 */
export { loadModelFromSource, droppedModelName, type LoadedModel, type ModelLoadOptions, type FileLike } from './loadModel';
export { loadDataFromSource, type LoadedData, type DataLoadOptions } from './loadData';
export { zeroShotHeadCached, textHeadKey, type CachedHead } from './textHead';
export { cacheInfo, clearCache, HubCache, MemoryCacheStorage, type CacheInfo } from './cache';
export { HubError, type HubErrorCode, KEEPS_PREVIOUS } from './errors';
export { DEFAULT_HUB_URL, DEFAULT_MODEL_REPO, KNOWN_MODEL_REPOS, hubFileUrl, parseHubParam } from './url';
export { chooseBatchSize, deviceBudget, planFinetuneMemory, checkModelFits, MemoryPlanError } from '../memory/plan';
export type { LoadProgress } from './progress';
