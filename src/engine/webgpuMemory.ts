/**
 * Give back the GPU memory tfjs's WebGPU backend keeps for reuse.
 *
 * Why: tfjs-backend-webgpu 4.22's BufferManager never frees a buffer. A disposed tensor's buffer goes
 * to a free list keyed by (size, usage) and waits for a tensor of exactly that size. Stages of an
 * experiment use different shapes (fine-tuning at batch 64, evaluating at 512), so the free lists only
 * grow: measured through Dawn on an H100, ViT-B/32's zero-shot evaluation of 1,000 images at batch 64
 * left 0.33 GiB of tensors and 5.76 GiB allocated, and with evaluation at batch 512 before the attack
 * the attack's first step failed with VK_ERROR_OUT_OF_DEVICE_MEMORY on the 80 GB card. The
 * experiment calls `releaseFreeGpuBuffers()` when a fine-tuning run or a stage ends, so what one
 * stage cached never crowds out the next.
 *
 * It reaches into tfjs internals (`backend.bufferManager.freeBuffers`, a Map of arrays); the lists
 * are emptied in place, because releaseBuffer() stops returning buffers once the Map itself is empty
 * (its post-dispose() guard). Buffers on a free list are not used by unsubmitted work: tfjs releases a
 * buffer still referenced by its open command encoder only after submitting it, and WebGPU lets a
 * buffer used by submitted work be destroyed (it lives until that work completes).
 */
import { tf } from './tf';

interface PooledBuffer {
  size: number;
  destroy(): void;
}

interface BufferManagerLike {
  freeBuffers: Map<string, PooledBuffer[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
}

function bufferManager(): BufferManagerLike | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const bm = (tf.backend() as unknown as { bufferManager?: Partial<BufferManagerLike> }).bufferManager;
  if (!bm || !(bm.freeBuffers instanceof Map) || typeof bm.numBytesAllocated !== 'number') return null;
  return bm as BufferManagerLike;
}

/** Destroy every buffer on tfjs's WebGPU free lists; returns the bytes given back (0 on other backends). */
export function releaseFreeGpuBuffers(): number {
  const bm = bufferManager();
  if (!bm) return 0;
  let bytes = 0;
  for (const list of bm.freeBuffers.values()) {
    for (const b of list) {
      bytes += b.size;
      b.destroy();
    }
    list.length = 0;
  }
  bm.numBytesAllocated -= bytes;
  bm.numFreeBuffers = 0;
  return bytes;
}
