/**
 * AddN on WebGPU, in chunks the device can bind.
 *
 * Why: tfjs-backend-webgpu 4.22's AddN compiles ONE shader that binds every input as its own storage
 * buffer, plus one for the output. WebGPU caps storage buffers per shader stage
 * (`maxStorageBuffersPerShaderStage`: 8 by default, 12 on SwiftShader, 16 on an NVIDIA H100 with
 * driver 580). Over the cap the pipeline is invalid: Dawn logs a validation error to the console and
 * the output buffer is never written, so `tf.addN` of 20 scalars silently reads 0. The engine sums
 * one scalar per weight tensor with addN — the gradient norm that clipping uses in every training step
 * (train/loop.ts) and the task-vector norms and cosines (arithmetic/taskVector.ts) — over ~40 tensors
 * for the micro CLIP and ~200 for ViT-B/32: on every real GPU, clipping was off and the norms were 0.
 * tfjs's Concat splits its inputs by this limit; AddN does not. `registerChunkedAddN` wraps the WebGPU
 * kernel so that each dispatch adds at most (limit − 1) tensors, then adds the partial sums the same
 * way (a tree; the order of additions differs from one big sum only in float rounding).
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { tf } from './tf';

/** The WebGPU minimum of maxStorageBuffersPerShaderStage: every device binds at least this many. */
export const WEBGPU_MIN_STORAGE_BUFFERS = 8;

interface WebGPULikeBackend {
  device?: { limits?: { maxStorageBuffersPerShaderStage?: number } };
  disposeData(dataId: object): boolean;
}

/** Inputs per AddN dispatch: one storage buffer per input, one for the output. */
export function addNChunkSize(maxStorageBuffersPerShaderStage: number | undefined): number {
  const limit = Number.isFinite(maxStorageBuffersPerShaderStage) ? maxStorageBuffersPerShaderStage! : WEBGPU_MIN_STORAGE_BUFFERS;
  return Math.max(2, limit - 1);
}

/**
 * Add `inputs` with `addChunk` (one dispatch of at most `chunk` inputs), level by level.
 * `release` frees a partial sum; the caller's inputs are never released. Pure over its arguments, so
 * tests can run it with plain numbers.
 */
export function addInChunks<T>(inputs: readonly T[], chunk: number, addChunk: (xs: T[]) => T, release: (x: T) => void): T {
  if (chunk < 2) throw new Error(`addInChunks: chunk must be ≥ 2, got ${chunk}`);
  if (inputs.length === 0) throw new Error('addInChunks: no inputs');
  let level = inputs.slice();
  const partial = new Set<T>();
  while (level.length > chunk) {
    const next: T[] = [];
    for (let i = 0; i < level.length; i += chunk) {
      const part = level.slice(i, i + chunk);
      if (part.length === 1) {
        next.push(part[0]);
        continue;
      }
      const sum = addChunk(part);
      for (const x of part) {
        if (partial.delete(x)) release(x);
      }
      partial.add(sum);
      next.push(sum);
    }
    level = next;
  }
  const out = addChunk(level);
  for (const x of level) if (partial.has(x)) release(x);
  return out;
}

const CHUNKED = Symbol.for('tbar.chunkedAddN');

/** Wrap the registered WebGPU AddN kernel (idempotent; call after tfjs-backend-webgpu is imported). */
export function registerChunkedAddN(): void {
  const original = tf.getKernel('AddN', 'webgpu') as KernelConfig | undefined;
  if (!original || (original.kernelFunc as unknown as Record<symbol, boolean>)[CHUNKED]) return;
  const inner = original.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const tensors = args.inputs as unknown as TensorInfo[];
    const backend = args.backend as unknown as WebGPULikeBackend;
    const chunk = addNChunkSize(backend.device?.limits?.maxStorageBuffersPerShaderStage);
    if (tensors.length <= chunk) return inner(args);
    return addInChunks(
      tensors,
      chunk,
      (xs) => inner({ ...args, inputs: xs as unknown as typeof args.inputs }) as TensorInfo,
      (x) => backend.disposeData(x.dataId),
    );
  };
  (kernelFunc as unknown as Record<symbol, boolean>)[CHUNKED] = true;
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({ ...original, kernelFunc });
}
