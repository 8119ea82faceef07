import { afterAll, describe, expect, it } from 'vitest';
import {
  BackendError,
  adapterLabel,
  parseBackendRequest,
  selectBackend,
  summarizeAdapter,
} from '../src/engine/backend';
import { tf } from '../src/engine/tf';

/** A stand-in for navigator.gpu that hands out one fake adapter. */
function fakeGpu(adapter: Partial<GPUAdapter> | null): GPU {
  return { requestAdapter: async () => adapter as GPUAdapter } as unknown as GPU;
}

function fakeAdapter(info: Partial<GPUAdapterInfo>, requestDevice?: () => Promise<GPUDevice>): Partial<GPUAdapter> {
  return {
    info: { vendor: '', architecture: '', device: '', description: '', ...info } as GPUAdapterInfo,
    features: new Set() as unknown as GPUSupportedFeatures,
    limits: { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 } as GPUSupportedLimits,
    requestDevice: requestDevice ?? (async () => Promise.reject(new Error('fake adapters make no devices'))),
  };
}

const swiftShader = () => fakeAdapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true } as Partial<GPUAdapterInfo>);

describe('selectBackend', () => {
  afterAll(async () => {
    await selectBackend({ requested: 'wasm' }); // leave the suite's backend as the setup chose it
  });

  it('starts WASM when asked, with threads off, and says so', async () => {
    const info = await selectBackend({ requested: 'wasm' });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.wasm?.threads).toBe(false);
    expect(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(false);
    expect(info.reason).toMatch(/WASM .*as requested/);
  });

  it('starts the CPU backend when asked and warns that it is slow', async () => {
    const info = await selectBackend({ requested: 'cpu' });
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.reason).toMatch(/\d+× slower than WASM/);
    await selectBackend({ requested: 'wasm' });
  });

  it('auto without navigator.gpu falls back to WASM and says why', async () => {
    const info = await selectBackend({ requested: 'auto', gpu: null });
    expect(info.name).toBe('wasm');
    expect(info.reason).toMatch(/navigator\.gpu is missing/);
    expect(info.reason).toMatch(/about \d+× slower than even a low-end laptop GPU/);
  });

  it('auto with no adapter falls back to WASM', async () => {
    const info = await selectBackend({ requested: 'auto', gpu: fakeGpu(null) });
    expect(info.name).toBe('wasm');
    expect(info.reason).toMatch(/^No WebGPU adapter/);
  });

  it('auto refuses a software (fallback) adapter and names it', async () => {
    const info = await selectBackend({ requested: 'auto', gpu: fakeGpu(swiftShader()) });
    expect(info.name).toBe('wasm');
    expect(info.adapter?.isFallbackAdapter).toBe(true);
    expect(info.reason).toMatch(/software fallback \(SwiftShader\)/);
    expect(info.reason).toMatch(/\?backend=webgpu/);
  });

  it('auto treats an adapter named like a software rasteriser as fallback even if not flagged', async () => {
    const info = await selectBackend({
      requested: 'auto',
      gpu: fakeGpu(fakeAdapter({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })),
    });
    expect(info.name).toBe('wasm');
    expect(info.reason).toMatch(/software fallback/);
  });

  it('auto falls back to WASM when a hardware adapter cannot make a device', async () => {
    const info = await selectBackend({
      requested: 'auto',
      gpu: fakeGpu(fakeAdapter({ vendor: 'nvidia', architecture: 'ampere' })),
    });
    expect(info.name).toBe('wasm');
    expect(info.reason).toMatch(/could not create a WebGPU device on nvidia ampere: fake adapters make no devices/);
  });

  it('forced webgpu without WebGPU throws a BackendError the user can act on', async () => {
    const err = await selectBackend({ requested: 'webgpu', gpu: null }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.code).toBe('webgpu-unsupported');
    expect(err.message).toMatch(/\?backend=wasm/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('forced webgpu without an adapter throws no-adapter', async () => {
    const err = await selectBackend({ requested: 'webgpu', gpu: fakeGpu(null) }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.code).toBe('no-adapter');
  });

  it('forced webgpu whose device fails throws device-failed', async () => {
    const err = await selectBackend({ requested: 'webgpu', gpu: fakeGpu(swiftShader()) }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.code).toBe('device-failed');
  });

  it('rejects an unknown request', async () => {
    const err = await selectBackend({ requested: 'tpu' as never }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.code).toBe('unknown-backend');
  });
});

describe('adapter helpers', () => {
  it('reads the legacy adapter.isFallbackAdapter flag', () => {
    const a = { ...fakeAdapter({ vendor: 'x', architecture: 'y' }), isFallbackAdapter: true } as unknown as GPUAdapter;
    expect(summarizeAdapter(a).isFallbackAdapter).toBe(true);
  });

  it('labels adapters', () => {
    expect(adapterLabel(summarizeAdapter(swiftShader() as GPUAdapter))).toBe('SwiftShader');
    const hw = summarizeAdapter(fakeAdapter({ vendor: 'nvidia', architecture: 'ampere', description: 'RTX 3060' }) as GPUAdapter);
    expect(hw.isFallbackAdapter).toBe(false);
    expect(adapterLabel(hw)).toBe('nvidia ampere (RTX 3060)');
  });
});

describe('parseBackendRequest', () => {
  it('defaults to auto and accepts the four names in any case', () => {
    expect(parseBackendRequest(null)).toBe('auto');
    expect(parseBackendRequest('')).toBe('auto');
    expect(parseBackendRequest('WebGPU')).toBe('webgpu');
    expect(parseBackendRequest('wasm')).toBe('wasm');
    expect(parseBackendRequest('cpu')).toBe('cpu');
  });

  it('throws on anything else', () => {
    expect(() => parseBackendRequest('webgl')).toThrow(BackendError);
  });
});
