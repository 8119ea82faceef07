// Engine checks in the built app's check.html (src/checkpage), in headless Chromium with
// --enable-unsafe-webgpu (SwiftShader on a machine without a GPU):
//  - a tiny random CLIP (both towers, seed 7) gives the same logits on WebGPU as on WASM;
//  - the torch-made golden checkpoint gives torch's embeddings and logits on WebGPU;
//  - slices of the procedural shapes dataset regenerate in the browser with the fingerprints Node
//    committed (tests/fixtures/shapes/fingerprints.json), identically twice.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib.mjs';

const FIXTURES = path.join(ROOT, 'tests/fixtures');
const readJson = (rel) => JSON.parse(readFileSync(path.join(FIXTURES, rel), 'utf8'));

/** Open check.html on a backend; returns its BackendInfo. */
async function openCheck(page, baseUrl, backend) {
  await page.goto(`${baseUrl}check.html?backend=${backend}`);
  await page.waitForFunction(() => globalThis.__check !== undefined);
  return page.evaluate(() => globalThis.__check.ready);
}

/** max |a − b| and max |a − b| / max |b| over two equally long number arrays. */
function diffs(a, b) {
  assert.equal(a.length, b.length, 'lengths differ');
  let abs = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    abs = Math.max(abs, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { abs, rel: abs / scale };
}

async function assertWebgpu(page, baseUrl) {
  const info = await openCheck(page, baseUrl, 'webgpu');
  // selectBackend checked tf.getBackend() after setBackend; a failed start would have thrown, not fallen back.
  assert.equal(info.name, 'webgpu', `BackendInfo.name: ${info.reason}`);
  assert.equal(info.requested, 'webgpu');
  return info;
}

export async function tinyClipWebgpuMatchesWasm({ page, context, baseUrl, log }) {
  const info = await assertWebgpu(page, baseUrl);
  const gpu = await page.evaluate(() => globalThis.__check.tinyClip(7));
  assert.equal(gpu.backend, 'webgpu', 'tf.getBackend() while the tiny CLIP ran');

  const other = await context.newPage();
  assert.equal((await openCheck(other, baseUrl, 'wasm')).name, 'wasm');
  const cpu = await other.evaluate(() => globalThis.__check.tinyClip(7));
  assert.equal(cpu.backend, 'wasm');
  await other.close();

  assert.deepEqual(gpu.shape, [4, 3]);
  assert.deepEqual(cpu.shape, [4, 3]);
  // Not a degenerate output (e.g. all zeros on both): the logits spread over several units.
  const spread = Math.max(...cpu.logits) - Math.min(...cpu.logits);
  assert.ok(spread > 0.5, `logits spread ${spread}`);
  const d = diffs(gpu.logits, cpu.logits);
  log(`adapter ${info.adapter?.vendor}/${info.adapter?.architecture}; webgpu ${gpu.ms.toFixed(0)} ms, wasm ${cpu.ms.toFixed(0)} ms`);
  log(`logits webgpu vs wasm: max |Δ| ${d.abs.toExponential(2)} (max rel ${d.rel.toExponential(2)}), spread ${spread.toFixed(2)}`);
  assert.ok(d.abs <= 1e-3, `max |Δ logits| = ${d.abs} > 1e-3`);
}

export async function goldenCheckpointOnWebgpuMatchesTorch({ page, baseUrl, log }) {
  // Serve tests/fixtures/clip-golden at <base>/fixtures/clip-golden/ (not part of dist/).
  await page.route('**/fixtures/clip-golden/*', (route) => {
    const name = path.basename(new URL(route.request().url()).pathname);
    return route.fulfill({ body: readFileSync(path.join(FIXTURES, 'clip-golden', name)) });
  });
  await assertWebgpu(page, baseUrl);
  const got = await page.evaluate(() => globalThis.__check.golden());
  assert.equal(got.backend, 'webgpu');
  const ref = readJson('clip-golden/outputs.json');
  const parts = [];
  for (const key of ['image_embeds', 'text_embeds', 'logits_per_image']) {
    const d = diffs(got[key].flat(), ref[key].flat());
    parts.push(`${key} ${d.rel.toExponential(2)}`);
    // The unit test's tolerance on WASM (tests/clip.golden.test.ts): max|Δ| / max|ref| ≤ 1e-4.
    assert.ok(d.rel <= 1e-4, `${key}: relative error ${d.rel} > 1e-4`);
  }
  log(`webgpu vs torch (max|Δ|/max|ref|): ${parts.join(', ')} · ${got.ms.toFixed(0)} ms`);
}

export async function shapesSliceMatchesNodeFingerprint({ page, baseUrl, log }) {
  await openCheck(page, baseUrl, 'wasm');
  const { slices } = readJson('shapes/fingerprints.json');
  assert.ok(slices.length >= 2);
  for (const { options, fingerprint } of slices) {
    const r = await page.evaluate((o) => globalThis.__check.shapes(o), options);
    assert.equal(r.again, r.fingerprint, `${JSON.stringify(options)}: two generations in the browser differ`);
    assert.equal(r.fingerprint, fingerprint, `${JSON.stringify(options)}: browser fingerprint differs from Node's`);
    log(`${JSON.stringify(options)} → ${r.fingerprint} (${r.ms.toFixed(0)} ms for two generations; "${r.firstCaption}")`);
  }
}
