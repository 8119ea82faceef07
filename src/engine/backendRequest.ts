/**
 * Backend names, the `?backend=` parser and BackendError — free of tfjs, so the UI thread can use
 * them without loading TensorFlow.js (the engine and tfjs live in the worker). backend.ts re-exports all.
 */
export type BackendName = 'webgpu' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;
export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'webgpu', 'wasm', 'cpu'];

export type BackendErrorCode =
  | 'unknown-backend'
  | 'webgpu-unsupported'
  | 'no-adapter'
  | 'device-failed'
  | 'init-failed';

export class BackendError extends Error {
  readonly code: BackendErrorCode;
  constructor(code: BackendErrorCode, message: string) {
    super(message);
    this.name = 'BackendError';
    this.code = code;
  }
}

/** Parse a `?backend=` value (missing/empty = 'auto'); anything unknown is a BackendError. */
export function parseBackendRequest(value: string | null | undefined): BackendRequest {
  if (value == null || value === '') return 'auto';
  const v = value.toLowerCase() as BackendRequest;
  if (!BACKEND_REQUESTS.includes(v)) {
    throw new BackendError('unknown-backend', `unknown ?backend=${value}: use one of ${BACKEND_REQUESTS.join(', ')}`);
  }
  return v;
}
