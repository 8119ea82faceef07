/// <reference lib="webworker" />
/**
 * Entry of the engine's module Web Worker: everything numeric runs here, off the UI thread.
 * The app creates it with `new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module' })`
 * (see client.ts) and talks to it only through protocol.ts.
 */
import { onDeviceLost } from '../engine/backend';
import { fetchFileSource } from '../engine/experiment/sources';
import { wasmAssetPaths } from '../engine/wasmAssets';
import { serve } from './host';
import { createHandlers } from './jobs';

declare const self: DedicatedWorkerGlobalScope;

// Static files (public/models/micro-clip/…) are fetched relative to the app's base URL, not to this
// worker script's own URL (which lives under assets/).
const files = fetchFileSource(new URL(import.meta.env.BASE_URL, self.location.origin));

const server = serve(self, createHandlers({ wasmPaths: wasmAssetPaths, files }));
onDeviceLost((e) => server.notify({ kind: 'deviceLost', ...e }));
