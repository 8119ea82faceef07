/**
 * The evaluation batch a device gets. On a hardware GPU, up to 512 images where memory allows
 * (memory/plan.ts chooseEvalBatchSize: a GPU's cost per kernel and per upload is fixed, so a bigger
 * batch is nearly free), every batch padded to that one shape (a new shape costs new pooled buffers
 * and shader compilations: webgpuMemory.ts). On WASM, and on a software WebGPU adapter such as
 * SwiftShader, where time grows with the images computed, EVAL_BATCH_SIZE with a short last batch.
 */
import type { BackendInfo } from '../backend';
import type { CLIPConfig } from '../clip/config';
import { chooseEvalBatchSize, evalSpareBytes, type DeviceBudget } from '../memory/plan';
import { EVAL_BATCH_SIZE } from './evaluate';
import { INPUT_CACHE_BYTES } from './inputCache';

export interface EvalBatchPlan {
  size: number;
  /** Pad a short last batch to `size` (EvalContext.padToBatch). */
  padToBatch: boolean;
  /** What an InputCache may hold beside the model and its batches: INPUT_CACHE_BYTES, or what the budget has left. */
  inputCacheBytes: number;
}

export function evalBatchPlan(model: CLIPConfig, info: Pick<BackendInfo, 'name' | 'adapter'> | undefined, budget: DeviceBudget | undefined): EvalBatchPlan {
  const hardwareGpu = info?.name === 'webgpu' && info.adapter?.isFallbackAdapter === false;
  const size = hardwareGpu ? chooseEvalBatchSize(model, budget, EVAL_BATCH_SIZE) : EVAL_BATCH_SIZE;
  const spare = budget ? Math.max(0, evalSpareBytes(model, budget, size)) : INPUT_CACHE_BYTES;
  return { size, padToBatch: hardwareGpu, inputCacheBytes: Math.min(INPUT_CACHE_BYTES, spare) };
}
