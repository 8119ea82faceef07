/**
 * tfjs-backend-wasm 4.22 has no UnsortedSegmentSum kernel, which the gradient of tf.gather needs
 * (the text tower's token-embedding lookup and its end-of-text pooling). Pretraining the text tower
 * in Node on wasm therefore needs one: this registers a plain JS implementation (a synchronous read
 * of the inputs, a scatter-add, an output in wasm memory). Only the build script uses it; the lab
 * never trains the text tower.
 */
import { tf } from '../../src/engine/tf';

interface WasmBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array;
}

export function registerWasmUnsortedSegmentSum(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const b = backend as unknown as WasmBackendLike;
      if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0]) {
        throw new Error(`UnsortedSegmentSum (wasm, JS): expected 1-D segment ids over x's first axis, got x [${x.shape}], ids [${segmentIds.shape}]`);
      }
      const n = x.shape[0];
      const inner = x.shape.slice(1).reduce((a, d) => a * d, 1);
      const xs = b.readSync(x.dataId);
      const ids = b.readSync(segmentIds.dataId);
      const out = b.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
      const o = b.typedArrayFromHeap(out);
      o.fill(0);
      for (let i = 0; i < n; i++) {
        const s = ids[i];
        if (s < 0 || s >= numSegments) continue; // as TF: out-of-range ids are dropped
        const src = i * inner;
        const dst = s * inner;
        for (let k = 0; k < inner; k++) o[dst + k] += xs[src + k];
      }
      return out;
    },
  });
}
