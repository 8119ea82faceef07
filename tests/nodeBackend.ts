import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../src/engine/tf';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Select a tfjs backend in Node (used by the test setup, the bench and the build scripts). */
export async function initNodeBackend(name: 'wasm' | 'cpu' = 'wasm'): Promise<void> {
  if (name === 'wasm') setWasmPaths(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`could not start the tfjs ${name} backend in Node`);
}
