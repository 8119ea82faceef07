/**
 * The benchmark page (bench.html). `npm run bench` opens it once per backend
 * (`bench.html?backend=webgpu|wasm|cpu`) and calls `__bench.run(caseName)` for each registered case.
 * Runs on the page's main thread (the numbers are the same as in the worker; nothing else runs here).
 */
import { parseBackendRequest, selectBackend, type BackendInfo } from '../engine/backend';
import { wasmAssetPaths } from '../engine/wasmAssets';
import { CASES, findCase } from './cases';
import { runCase, type BenchResult, type BenchSkip, type RunOptions } from './runner';

interface BenchApi {
  ready: Promise<BackendInfo>;
  cases: string[];
  run(name: string, opts?: RunOptions): Promise<BenchResult | BenchSkip>;
}

const out = document.getElementById('out')!;
const log = (s: string) => (out.textContent += s + '\n');

const ready = (async () => {
  const requested = parseBackendRequest(new URLSearchParams(location.search).get('backend'));
  const info = await selectBackend({ requested, wasmPaths: wasmAssetPaths });
  log(`backend: ${info.name} — ${info.reason}`);
  return info;
})();
ready.catch((e: Error) => log(`backend failed: ${e.message}`));

const api: BenchApi = {
  ready,
  cases: CASES.map((c) => c.name),
  async run(name, opts) {
    await ready;
    const r = await runCase(findCase(name), opts);
    if ('skipped' in r) log(`${r.case} on ${r.backend}: skipped, ${r.skipped}`);
    else log(`${r.case} on ${r.backend}: ${r.medianMs.toFixed(1)} ms${r.gflops ? `, ${r.gflops.toFixed(2)} GFLOP/s` : ''}`);
    return r;
  },
};
Object.assign(globalThis, { __bench: api });
