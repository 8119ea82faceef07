/// <reference lib="webworker" />
/**
 * Entry of the mock engine worker (`?mock=1`, for UI work and the fast e2e flow): the same protocol
 * as worker.ts, answered by mockJobs.ts. The app sends { type: 'mock-options', … } before any request.
 */
import { serve } from './host';
import { createMockHandlers, type MockOptions } from './mockJobs';

declare const self: DedicatedWorkerGlobalScope;

const options: MockOptions = { speed: 1, fail: {} };
self.addEventListener('message', (ev: MessageEvent) => {
  const m = ev.data as { type?: string } & Partial<MockOptions>;
  if (m?.type === 'mock-options') Object.assign(options, { speed: m.speed ?? 1, fail: m.fail ?? {} });
});
serve(self, createMockHandlers(options));
