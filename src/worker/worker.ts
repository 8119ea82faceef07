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

// Static files (public/models/micro-clip/…) are fetched relative to the app's root, not to this worker
// script: the build sets base './' and puts the worker chunk in assets/, so the root is its parent
// folder (this also works when the app is served from a sub-path); the dev server serves public/ at '/'.
const appRoot = import.meta.env.DEV ? new URL('/', self.location.origin) : new URL('../', self.location.href);
const files = fetchFileSource(appRoot);

const server = serve(self, createHandlers({ wasmPaths: wasmAssetPaths, files, hub: {} }));
onDeviceLost((e) => server.notify({ kind: 'deviceLost', ...e }));
