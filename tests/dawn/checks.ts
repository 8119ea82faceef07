/**
 * Engine checks on tfjs's WebGPU backend, through Dawn (npm `webgpu`) on Chromium's SwiftShader. Run
 * in a child process by tests/webgpu.dawn.test.ts — Dawn finds the Vulkan loader only through
 * LD_LIBRARY_PATH, which must be set before the process starts — and prints one JSON line of measured
 * values with their known answers.
 *
 * 1–3. Sums over more tensors than WebGPU lets one shader bind (maxStorageBuffersPerShaderStage: 12
 *      on SwiftShader), the case that read 0 before webgpuAddN.ts.
 * 4.   The free-buffer pool (webgpuMemory.ts): bytes tfjs keeps after tensors of several sizes are
 *      disposed, what releaseFreeGpuBuffers gives back, and that tensors made afterwards compute right
 *      and return their buffers to the pool as before.
 */
import { TaskVector } from '../../src/engine/arithmetic/taskVector';
import { tf } from '../../src/engine/tf';
import { AdamW } from '../../src/engine/train/adamw';
import { disposeTrainState, train, type ProgressEvent } from '../../src/engine/train/loop';
import { constantSchedule } from '../../src/engine/train/schedule';
import { releaseFreeGpuBuffers } from '../../src/engine/webgpuMemory';
import { initNodeBackend } from '../nodeBackend';

const N = 40;
const info = await initNodeBackend('webgpu');
const squares = Array.from({ length: N }, (_, i) => (i + 1) ** 2).reduce((s, x) => s + x, 0); // Σ (i+1)²

// 1. tf.addN of N + 1 scalars 1 … N+1.
const scalars = Array.from({ length: N + 1 }, (_, i) => tf.scalar(i + 1));
const addNSum = tf.addN(scalars);
const addN = (await addNSum.data())[0];
tf.dispose([...scalars, addNSum]);

// 2. ‖τ‖ and ⟨τ, τ⟩ of a task vector of N tensors, tensor i = [i+1, i+1, i+1].
const tau = new TaskVector(new Map(Array.from({ length: N }, (_, i) => [`vision_model.t${i}.weight`, tf.fill([3], i + 1)])));
const norm = await tau.norm();
const dot = await tau.dot(tau);
tau.dispose();

// 3. The training loop's gradient norm (what clipping divides by): N variables w_i = [i+1, 0],
//    L = ½ Σ ‖w_i‖², so ∂L/∂w_i = w_i and ‖∇L‖ = sqrt(Σ (i+1)²).
const vars = new Map(Array.from({ length: N }, (_, i) => [`w${i}`, tf.variable(tf.tensor1d([i + 1, 0]), true, `dawn-w${i}`)] as const));
const optimizer = new AdamW(vars, { weightDecay: 0 });
const events: ProgressEvent[] = [];
const result = await train({
  variables: vars,
  lossFn: () => tf.mul(0.5, tf.addN([...vars.values()].map((v) => tf.sum(tf.square(v))))) as tf.Scalar,
  sampler: { datasetSize: 1, batchSize: 1, epochs: 1, seed: 1 },
  makeBatch: () => ({}),
  optimizer,
  schedule: constantSchedule(1e-3),
  maxGradNorm: 1,
  onProgress: (e) => events.push(e),
});
const gradNorm = events[0]?.gradNorm;
const loss = events[0]?.loss;
disposeTrainState(result.state);
optimizer.dispose();
tf.dispose([...vars.values()]);

// 4. The pool. Tensors of 3 sizes (1, 2 and 3 MiB), used once and disposed.
const gpuBytes = () => {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number; numBytesAllocatedInGPU: number };
  return { inUse: m.numBytesInGPU, allocated: m.numBytesAllocatedInGPU };
};
const cycle = async (mib: number[]) => {
  for (const m of mib) {
    const t = tf.tidy(() => tf.mul(tf.ones([m * 2 ** 18]), 2)); // m MiB
    await t.data();
    t.dispose();
  }
};
await cycle([1, 2, 3]);
const pooled = gpuBytes();
const released = releaseFreeGpuBuffers();
const afterRelease = gpuBytes();
const sum = tf.tidy(() => tf.sum(tf.add(tf.ones([1000]), tf.ones([1000]))));
const sumAfterRelease = (await sum.data())[0];
sum.dispose();
await cycle([1, 2, 3]);
const pooledAgain = gpuBytes();

console.log(
  JSON.stringify({
    pool: { pooled, released, afterRelease, sumAfterRelease, pooledAgain },
    backend: tf.getBackend(),
    adapter: info?.adapter?.description,
    maxStorageBuffersPerShaderStage: info?.limits?.maxStorageBuffersPerShaderStage,
    addN: { got: addN, want: ((N + 1) * (N + 2)) / 2 },
    norm: { got: norm, want: Math.sqrt(3 * squares) },
    dot: { got: dot, want: 3 * squares },
    gradNorm: { got: gradNorm, want: Math.sqrt(squares) },
    loss: { got: loss, want: squares / 2 },
  }),
);
process.exit(0);
