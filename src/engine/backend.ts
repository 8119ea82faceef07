/**
 * Backend selection: WebGPU when there is a real GPU, else WASM, with a sentence that says why.
 *
 * - 'auto'   → WebGPU if `navigator.gpu` gives a hardware adapter; otherwise WASM, and `reason` says
 *              what was missing (no navigator.gpu, no adapter, only a software adapter, device failed).
 * - 'webgpu' → WebGPU even on a software (fallback) adapter such as SwiftShader; BackendError if none.
 * - 'wasm'   → tfjs-wasm (XNNPACK, SIMD, single-threaded: see below).
 * - 'cpu'    → tfjs plain-JS CPU backend (for debugging; ~30× slower than WASM).
 *
 * WebGPU: we create the GPUDevice ourselves, asking for the adapter's real limits (the WebGPU
 * defaults cap a storage binding at 128 MiB and a buffer at 256 MiB; ViT-B/32 training needs more on
 * big batches), register tfjs's WebGPU backend with that device (the same factory shape as
 * tfjs-backend-webgpu 4.22's `base.js`, which builds `new WebGPUBackend(device, adapterInfo)`), and
 * watch `device.lost` so the app can tell the user (see `onDeviceLost`).
 *
 * WASM: threads are off (`WASM_HAS_MULTITHREAD_SUPPORT` = false): tfjs's threaded build breaks in a
 * Vite production build and needs cross-origin isolation anyway. The caller passes where the .wasm
 * files are (`wasmPaths`): the app passes Vite asset URLs (`wasmAssets.ts`, browser-only), Node passes
 * a node_modules folder (tests/nodeBackend.ts). This module itself stays importable in Node.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf';
import { BACKEND_REQUESTS, BackendError, type BackendName, type BackendRequest } from './backendRequest';
import { registerChunkedAddN } from './webgpuAddN';

export * from './backendRequest';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for software adapters (SwiftShader, WARP, llvmpipe…), reported or recognised by name. */
  isFallbackAdapter: boolean;
}

/** The device limits that decide what fits (bytes unless noted). */
export interface DeviceLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeWorkgroupsPerDimension: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxStorageBuffersPerShaderStage: number;
}

export interface BackendInfo {
  /** The tfjs backend actually running (checked with tf.getBackend()). */
  name: BackendName;
  requested: BackendRequest;
  /** One or two sentences for the user: what runs, and why not something faster. */
  reason: string;
  adapter?: AdapterSummary;
  /** Limits of the device we created (WebGPU only). */
  limits?: DeviceLimits;
  /** WASM only: whether the SIMD build runs, and that threads are off. */
  wasm?: { simd: boolean; threads: boolean };
}

/**
 * Measured matMul 1024³ float32 throughput (GFLOP/s), used for the "about N× slower" sentences.
 * Source: `npm run bench` (bench/run.mjs, case matmul-1024) in headless Chromium 156 on the 2-core
 * AMD EPYC build VM without GPU, where WebGPU is SwiftShader (software Vulkan); best of the runs in
 * bench/README.md (wasm 18.8–20.4, SwiftShader 0.12–0.22, cpu 0.26–0.70: the VM was shared).
 * `gpuReference` is the one number not measured here: tfjs's WebGPU matMul 500³ took 2.5 ms on an
 * Intel Iris Plus 655 laptop iGPU (tensorflow/tfjs-core PR #1723) = 100 GFLOP/s — a low-end
 * integrated GPU, so the WASM-vs-GPU ratio is a floor; discrete GPUs are several times faster again.
 */
export const MEASURED_GFLOPS = {
  wasm: 19,
  cpu: 0.7,
  webgpuSwiftShader: 0.22,
  gpuReference: 100,
} as const;

function ratio(a: number, b: number): number {
  const r = a / b;
  return r >= 10 ? Math.round(r / 5) * 5 : Math.round(r);
}
const WASM_VS_GPU = ratio(MEASURED_GFLOPS.gpuReference, MEASURED_GFLOPS.wasm);
const SOFTWARE_VS_WASM = ratio(MEASURED_GFLOPS.wasm, MEASURED_GFLOPS.webgpuSwiftShader);
const CPU_VS_WASM = ratio(MEASURED_GFLOPS.wasm, MEASURED_GFLOPS.cpu);

// ---------------------------------------------------------------------------------------------
// Adapter inspection (pure; exported for tests)

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|basic render driver|warp|software/i;

/** Summarise an adapter; a software adapter counts as fallback even when the browser does not say so. */
export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = (adapter.info ?? {}) as Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean };
  const legacy = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const device = info.device ?? '';
  const description = info.description ?? '';
  const named = SOFTWARE_ADAPTER.test(`${architecture} ${device} ${description}`);
  return {
    vendor,
    architecture,
    device,
    description,
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? legacy) || named,
  };
}

/** "SwiftShader", "google swiftshader", "nvidia ampere (NVIDIA GeForce RTX 3060)"… */
export function adapterLabel(a: AdapterSummary): string {
  if (/swiftshader/i.test(`${a.architecture} ${a.description}`)) return 'SwiftShader';
  const main = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown GPU';
  const extra = a.description || a.device;
  return extra && extra !== main ? `${main} (${extra})` : main;
}

const LIMIT_KEYS: (keyof DeviceLimits)[] = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
];

function readLimits(limits: GPUSupportedLimits): DeviceLimits {
  const out = {} as DeviceLimits;
  for (const k of LIMIT_KEYS) out[k] = Number(limits[k]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Device loss

export interface DeviceLostEvent {
  /** 'destroyed' (we destroyed it) or 'unknown' (driver reset, GPU process crash, OOM…). */
  reason: string;
  message: string;
  adapter?: AdapterSummary;
}
type DeviceLostListener = (e: DeviceLostEvent) => void;
const lostListeners = new Set<DeviceLostListener>();

/** Listen for WebGPU device loss (not for our own `destroy()` on switching). Returns unsubscribe. */
export function onDeviceLost(listener: DeviceLostListener): () => void {
  lostListeners.add(listener);
  return () => lostListeners.delete(listener);
}

let currentDevice: GPUDevice | null = null;

function releaseWebGPU(): void {
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  if (currentDevice) {
    const d = currentDevice;
    currentDevice = null;
    d.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// WebGPU

interface AdapterProbe {
  adapter: GPUAdapter | null;
  /** Why there is no adapter, when there is none. */
  missing?: string;
}

async function probeAdapter(gpu: GPU | undefined): Promise<AdapterProbe> {
  if (!gpu) return { adapter: null, missing: 'this browser has no WebGPU (navigator.gpu is missing)' };
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { adapter: null, missing: 'no WebGPU adapter (the GPU is blocklisted, disabled or absent)' };
    return { adapter };
  } catch (e) {
    return { adapter: null, missing: `requesting a WebGPU adapter failed (${(e as Error).message})` };
  }
}

async function startWebGPU(adapter: GPUAdapter): Promise<{ adapter: AdapterSummary; limits: DeviceLimits }> {
  const summary = summarizeAdapter(adapter);
  const requiredFeatures: GPUFeatureName[] = [];
  for (const f of ['timestamp-query', 'bgra8unorm-storage'] as GPUFeatureName[]) {
    if (adapter.features.has(f)) requiredFeatures.push(f);
  }
  // Ask for everything the adapter can do on the limits that bound tensor sizes and dispatches.
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMIT_KEYS) requiredLimits[k] = Number(adapter.limits[k]);

  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'tbar-lab' });
  } catch (e) {
    throw new BackendError('device-failed', `could not create a WebGPU device on ${adapterLabel(summary)}: ${(e as Error).message}`);
  }

  releaseWebGPU();
  currentDevice = device;
  void device.lost.then((info) => {
    if (currentDevice === device) currentDevice = null;
    if (info.reason === 'destroyed') return; // our own releaseWebGPU()
    const ev: DeviceLostEvent = { reason: info.reason, message: info.message, adapter: summary };
    for (const l of lostListeners) l(ev);
  });

  // Registers the WebGPU kernels (and tfjs's own factory, which we replace by ours with our device).
  const webgpu = await import('@tensorflow/tfjs-backend-webgpu');
  registerChunkedAddN();
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  const info = adapter.info;
  tf.registerBackend('webgpu', () => new webgpu.WebGPUBackend(device, info), 3);

  let ok = false;
  let cause = '';
  try {
    ok = await tf.setBackend('webgpu');
  } catch (e) {
    cause = `: ${(e as Error).message}`;
  }
  if (!ok || tf.getBackend() !== 'webgpu') {
    releaseWebGPU();
    throw new BackendError('init-failed', `tfjs could not start its WebGPU backend on ${adapterLabel(summary)}${cause}`);
  }
  return { adapter: summary, limits: readLimits(device.limits) };
}

// ---------------------------------------------------------------------------------------------
// WASM / CPU

async function startWasm(wasmPaths: WasmPaths | undefined): Promise<{ simd: boolean; threads: boolean }> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (wasmPaths) setWasmPaths(wasmPaths);
  await startPlain('wasm');
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  return { simd, threads: false };
}

async function startPlain(name: 'wasm' | 'cpu'): Promise<void> {
  let ok = false;
  let cause = '';
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    cause = `: ${(e as Error).message}`;
  }
  if (!ok || tf.getBackend() !== name) {
    throw new BackendError('init-failed', `tfjs could not start its ${name} backend${cause} (running: ${tf.getBackend() ?? 'none'})`);
  }
}

// ---------------------------------------------------------------------------------------------

/** Where the tfjs-wasm binaries are: a URL/path prefix ending in '/', or a file-name → URL map. */
export type WasmPaths = string | { [fileName: string]: string };

export interface SelectBackendOptions {
  requested?: BackendRequest;
  /** .wasm locations (see module comment). Omit when already set (Node tests). */
  wasmPaths?: WasmPaths;
  /** WebGPU entry point; defaults to `navigator.gpu`. Tests pass a stand-in. */
  gpu?: GPU | null;
}

function defaultGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  return nav?.gpu ?? undefined;
}

/** Start the best (or the requested) tfjs backend and say why. Throws BackendError when a forced one fails. */
export async function selectBackend(opts: SelectBackendOptions = {}): Promise<BackendInfo> {
  const requested = opts.requested ?? 'auto';
  if (!BACKEND_REQUESTS.includes(requested)) {
    throw new BackendError('unknown-backend', `unknown backend '${String(requested)}': use one of ${BACKEND_REQUESTS.join(', ')}`);
  }
  const gpu = opts.gpu === undefined ? defaultGpu() : opts.gpu ?? undefined;

  if (requested === 'cpu') {
    await startPlain('cpu');
    return {
      name: 'cpu',
      requested,
      reason: `plain-JavaScript CPU backend, as requested: about ${CPU_VS_WASM}× slower than WASM (for debugging only)`,
    };
  }

  if (requested === 'wasm') {
    const wasm = await startWasm(opts.wasmPaths);
    return { name: 'wasm', requested, reason: `WASM (CPU${wasm.simd ? ', SIMD' : ''}, 1 thread), as requested`, wasm };
  }

  const probe = await probeAdapter(gpu);

  if (requested === 'webgpu') {
    if (!probe.adapter) {
      const code = gpu ? 'no-adapter' : 'webgpu-unsupported';
      throw new BackendError(code, `WebGPU was requested but ${probe.missing}. Use Chrome or Edge 113+ with a GPU, or ?backend=wasm.`);
    }
    const started = await startWebGPU(probe.adapter);
    const label = adapterLabel(started.adapter);
    const reason = started.adapter.isFallbackAdapter
      ? `WebGPU on a software fallback adapter (${label}), as requested: about ${SOFTWARE_VS_WASM}× slower than WASM here`
      : `WebGPU on ${label}, as requested`;
    return { name: 'webgpu', requested, reason, ...started };
  }

  // auto
  let why: string;
  let adapter: AdapterSummary | undefined;
  let hint = '';
  if (probe.adapter) {
    adapter = summarizeAdapter(probe.adapter);
    if (!adapter.isFallbackAdapter) {
      try {
        const started = await startWebGPU(probe.adapter);
        return { name: 'webgpu', requested, reason: `WebGPU on ${adapterLabel(started.adapter)}`, ...started };
      } catch (e) {
        why = `WebGPU failed to start (${(e as Error).message})`;
      }
    } else {
      why = `the WebGPU adapter is a software fallback (${adapterLabel(adapter)}), about ${SOFTWARE_VS_WASM}× slower than WASM here`;
      hint = ' Add ?backend=webgpu to use it anyway.';
    }
  } else {
    why = probe.missing ?? 'no WebGPU adapter';
  }
  const wasm = await startWasm(opts.wasmPaths);
  const reason =
    `${capitalize(why)}, so the lab runs on WASM (CPU${wasm.simd ? ', SIMD' : ''}, 1 thread): ` +
    `about ${WASM_VS_GPU}× slower than even a low-end laptop GPU.${hint}`;
  return { name: 'wasm', requested, reason, wasm, ...(adapter ? { adapter } : {}) };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
