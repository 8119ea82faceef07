// Smoke tests: the app loads, the engine worker starts on the requested backend, and WebGPU
// (SwiftShader here) computes the same self-test numbers as WASM.
import assert from 'node:assert/strict';

export const timeouts = { webgpuMatchesWasm: 180_000 };

/** Open the lab and wait until the worker has selected a backend and run its self-test. */
async function openLab(page, baseUrl, query = '') {
  await page.goto(`${baseUrl}${query}`);
  await page.getByRole('heading', { name: 'TBAR Lab' }).waitFor();
  await page.waitForFunction(
    () => ['ready', 'error'].includes(document.querySelector('[data-testid=backend]')?.dataset.status ?? ''),
    null,
    { timeout: 150_000 },
  );
  const state = await page.evaluate(() => {
    const s = globalThis.__tbarLab.useLab.getState();
    return { status: s.status, error: s.error, backend: s.backend, selfTest: s.selfTest };
  });
  assert.equal(state.status, 'ready', `engine did not start with '${query}': ${state.error}`);
  return state;
}

function assertClose(a, b, tol, what) {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= tol, `${what}: max |Δ| = ${worst} > ${tol}`);
  return worst;
}

export async function showsHeaderAndBackendLine({ page, baseUrl, screenshot }) {
  const s = await openLab(page, baseUrl, '?backend=wasm');
  assert.equal(await page.locator('h1').textContent(), 'TBAR Lab');
  const line = await page.getByTestId('backend').textContent();
  assert.match(line, /Backend: wasm/);
  assert.match(line, /as requested/);
  assert.equal(s.selfTest.backend, 'wasm');
  for (const panel of ['model', 'data', 'trigger', 'attack', 'unlearn', 'results']) {
    await page.getByTestId(`panel-${panel}`).waitFor();
  }
  await screenshot('wasm');
}

export async function webgpuMatchesWasm({ page, context, baseUrl, screenshot, log }) {
  const gpu = await openLab(page, baseUrl, '?backend=webgpu');
  assert.equal(gpu.backend.name, 'webgpu', 'BackendInfo.name');
  // The self-test reports tf.getBackend() from inside the worker: the numbers really came from WebGPU.
  assert.equal(gpu.selfTest.backend, 'webgpu', 'backend the worker computed on');
  assert.match(await page.getByTestId('backend').textContent(), /Backend: webgpu/);
  // The device was created with the adapter's limits, not WebGPU's defaults (128 MiB binding).
  assert.ok(gpu.backend.limits.maxStorageBufferBindingSize > 128 * 2 ** 20, 'maxStorageBufferBindingSize raised');
  log(`adapter: ${JSON.stringify(gpu.backend.adapter)}; self-test ${gpu.selfTest.ms.toFixed(0)} ms`);
  await screenshot('webgpu');

  const other = await context.newPage();
  const cpu = await openLab(other, baseUrl, '?backend=wasm');
  assert.equal(cpu.selfTest.backend, 'wasm');
  const d1 = assertClose(gpu.selfTest.logits, cpu.selfTest.logits, 1e-3, 'logits');
  const d2 = assertClose(gpu.selfTest.probs, cpu.selfTest.probs, 1e-3, 'probs');
  assertClose([gpu.selfTest.checksum], [cpu.selfTest.checksum], 1e-3, 'checksum');
  log(`webgpu vs wasm: max |Δ| logits ${d1.toExponential(2)}, probs ${d2.toExponential(2)}`);
  await other.close();
}

export async function autoFallsBackToWasmOnSoftwareAdapter({ page, baseUrl, screenshot }) {
  const s = await openLab(page, baseUrl);
  assert.equal(s.backend.requested, 'auto');
  assert.equal(s.backend.name, 'wasm', 'auto must not pick a software WebGPU adapter');
  assert.equal(s.selfTest.backend, 'wasm');
  assert.equal(s.backend.adapter?.isFallbackAdapter, true);
  assert.match(s.backend.reason, /software fallback \(SwiftShader\)/);
  assert.match(await page.getByTestId('backend').textContent(), /software fallback/);
  await screenshot('auto');
}

export async function rejectsUnknownBackendParameter({ page, baseUrl, screenshot }) {
  await page.goto(`${baseUrl}?backend=tpu`);
  const err = page.getByTestId('engine-error');
  await err.waitFor();
  assert.match(await err.textContent(), /unknown \?backend=tpu/);
  await screenshot('bad-param');
}
