/**
 * Browser-only: the tfjs-wasm binaries as URLs of files Vite copies into the build (`?url` imports).
 * Pass `wasmAssetPaths` to `selectBackend({ wasmPaths })`. Node never imports this module (Vite's
 * `?url` suffix means nothing there); tests/nodeBackend.ts points tfjs at node_modules instead.
 *
 * The threaded binary is listed too so that tfjs never fetches from a CDN, although we run WASM with
 * threads off (see backend.ts).
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export const wasmAssetPaths: { [fileName: string]: string } = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
};
