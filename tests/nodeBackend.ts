import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { selectBackend, type BackendInfo } from '../src/engine/backend';
import { tf } from '../src/engine/tf';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type NodeBackendName = 'wasm' | 'cpu' | 'webgpu';

/**
 * Select a tfjs backend in Node (used by the test setup, the bench and the build scripts).
 *
 * 'webgpu' runs the app's own `selectBackend` on Dawn through the npm package `webgpu` (the same
 * WebGPU implementation as Chrome's). On a machine without a GPU, Dawn finds SwiftShader only when
 * pointed at Debian Chromium's copy:
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
 * On a machine with a GPU it finds the GPU's Vulkan driver itself.
 */
export async function initNodeBackend(name: NodeBackendName = 'wasm'): Promise<BackendInfo | undefined> {
  if (name === 'webgpu') {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create([]) as unknown as GPU;
    // tfjs's WebGPUBackend refuses to start unless `navigator.gpu` exists (Node 20 has no navigator).
    const nav = (globalThis as { navigator?: object }).navigator ?? {};
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true });
    return selectBackend({ requested: 'webgpu', gpu });
  }
  if (name === 'wasm') setWasmPaths(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`could not start the tfjs ${name} backend in Node`);
  return undefined;
}
