/// <reference lib="webworker" />
/**
 * Entry of the engine's module Web Worker: everything numeric runs here, off the UI thread.
 * The app creates it with `new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module' })`
 * (see client.ts) and talks to it only through protocol.ts.
 */
import { onDeviceLost } from '../engine/backend';
import { wasmAssetPaths } from '../engine/wasmAssets';
import { serve } from './host';
import { createHandlers } from './jobs';

declare const self: DedicatedWorkerGlobalScope;

const server = serve(self, createHandlers({ wasmPaths: wasmAssetPaths }));
onDeviceLost((e) => server.notify({ kind: 'deviceLost', ...e }));
