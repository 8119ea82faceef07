// Real-CLIP loading from a Hub (issue #7), in Chromium, against the local Hub stand-in
// (e2e/hubServer.mjs): hub.html?hub=http://127.0.0.1:PORT runs the engine's Hub loaders in a module
// worker with the browser's Cache API, createImageBitmap and postMessage'd File objects.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib.mjs';
import { TOKENIZER_JSON, startHubServer } from './hubServer.mjs';

export const timeouts = { loadsThenReloadsOfflineFromTheCache: 420_000, faultsKeepThePreviousModel: 300_000, droppedFilesAndFolders: 180_000 };

async function openHubPage(page, baseUrl, hubUrl) {
  await page.goto(`${baseUrl}hub.html?hub=${encodeURIComponent(hubUrl)}&backend=wasm`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120_000 });
}

const status = (page) => page.getByTestId('status').textContent();
const errorText = (page) => page.getByTestId('error').textContent();

export async function loadsThenReloadsOfflineFromTheCache({ page, baseUrl, screenshot, log }) {
  const hub = await startHubServer();
  try {
    await openHubPage(page, baseUrl, hub.baseUrl);
    // watch the progress line while the 91 MB checkpoint downloads
    const seen = new Set();
    const watch = setInterval(() => page.getByTestId('progress-text').textContent().then((t) => t && seen.add(t)).catch(() => {}), 100);
    const m = await page.evaluate(() => __hub.loadModel('openai/clip-vit-base-patch32'));
    clearInterval(watch);
    log(`model: ${m.name}, ${(m.weightBytes / 1e6).toFixed(0)} MB in ${(m.ms / 1000).toFixed(1)} s`);
    assert.equal(m.fromCache, false);
    const progress = await page.evaluate(() => __hub.progress.slice());
    const dl = progress.filter((p) => p.phase === 'download' && p.totalBytes > 50e6);
    assert.ok(dl.length > 1, 'download progress with bytes');
    assert.equal(dl.at(-1).bytes, 91_451_882);
    assert.ok(dl.some((p) => p.bytesPerSec > 0 && p.etaMs !== undefined), 'speed and ETA');
    assert.ok(progress.some((p) => p.phase === 'upload' && /tensors on the device/.test(p.message)));
    assert.ok([...seen].some((t) => /model\.safetensors\): .* MB/.test(t)) || [...seen].some((t) => /tensors on the device|loaded in/.test(t)), `progress shown on the page: ${[...seen].slice(0, 3)}`);
    assert.match(await status(page), /Model: openai\/clip-vit-base-patch32 \(\d+ MB, /);
    const probe1 = await page.evaluate(() => __hub.probe());

    const d = await page.evaluate(() => __hub.loadData('cifar10'));
    assert.deepEqual(d.counts, { train: 1000, val: 300, forget: 200, test: 400 });
    assert.equal(d.classNames.length, 10);
    const head = await page.evaluate(() => __hub.textHead('imagenet80'));
    assert.deepEqual(head.shape, [10, 512]);
    assert.equal(head.fromCache, false);
    log(`data ${(d.ms / 1000).toFixed(1)} s; zero-shot head 10×80 prompts ${(head.ms / 1000).toFixed(1)} s`);
    await screenshot('loaded');
    const info = await page.evaluate(() => __hub.cacheInfo());
    assert.ok(info.totalBytes > 91e6, `cache holds the checkpoint (${info.totalBytes})`);

    // the Hub goes away; a new page (new worker) loads everything again from the cache
    await hub.close();
    await openHubPage(page, baseUrl, hub.baseUrl);
    const m2 = await page.evaluate(() => __hub.loadModel('openai/clip-vit-base-patch32'));
    assert.equal(m2.fromCache, true);
    assert.match(await status(page), /from the browser cache/);
    assert.deepEqual(await page.evaluate(() => __hub.probe()), probe1);
    const d2 = await page.evaluate(() => __hub.loadData('cifar10'));
    assert.equal(d2.fromCache, true);
    assert.deepEqual(d2.counts, d.counts);
    const head2 = await page.evaluate(() => __hub.textHead('imagenet80'));
    assert.equal(head2.fromCache, true);
    log(`offline reload: model ${(m2.ms / 1000).toFixed(1)} s (was ${(m.ms / 1000).toFixed(1)}), data ${(d2.ms / 1000).toFixed(1)} s, head ${(head2.ms / 1000).toFixed(2)} s`);
    await screenshot('offline-reload');
    // the memory plan for this model on this device
    const plan = await page.evaluate(() => __hub.memoryPlan(128));
    assert.ok(plan.batchSize >= 1 && plan.batchSize <= 128);
    // clearing empties the cache
    await page.evaluate(() => __hub.clearCache());
    assert.equal((await page.evaluate(() => __hub.cacheInfo())).totalBytes, 0);
  } finally {
    await hub.close();
  }
}

export async function faultsKeepThePreviousModel({ page, baseUrl, screenshot, log }) {
  const hub = await startHubServer();
  try {
    await openHubPage(page, baseUrl, hub.baseUrl);
    await page.evaluate(() => __hub.loadModel('tbar-test/tiny-clip'));
    const before = await page.evaluate(() => __hub.probe());
    assert.equal(before.name, 'tbar-test/tiny-clip');
    const cases = [
      ['truncate', 'openai/clip-vit-base-patch32', /\[truncated\].*model\.safetensors stopped at .* of 91 MB/],
      ['404', 'openai/clip-vit-base-patch32', /\[not-found\].*config\.json was not found \(HTTP 404/],
      ['html', 'openai/clip-vit-base-patch32', /\[wrong-content\].*config\.json is an HTML page/],
      ['b16', 'openai/clip-vit-base-patch32', /\[architecture-mismatch\].*vision patch_size: weights 32, config 16/],
    ];
    for (const [fault, repo, re] of cases) {
      const err = await page.evaluate(([r, u]) => __hub.loadModel(r, u).then(() => null, (e) => ({ code: e.code, message: e.message })), [repo, `${hub.baseUrl}/__fault/${fault}`]);
      assert.ok(err, `${fault}: the load must fail`);
      const shown = await errorText(page);
      assert.match(shown, re, `${fault}: ${shown}`);
      assert.match(shown, /previously loaded model and data are still in use/);
      assert.deepEqual(await page.evaluate(() => __hub.probe()), before, `${fault}: the previous model still answers`);
      log(`${fault}: ${shown.slice(0, 160)}`);
      if (fault === 'b16') await screenshot('architecture-mismatch');
    }
    // nothing partial was cached
    const info = await page.evaluate(() => __hub.cacheInfo());
    assert.ok(!info.entries.some((e) => e.url.includes('__fault/truncate') && e.url.endsWith('model.safetensors')));
  } finally {
    await hub.close();
  }
}

export async function droppedFilesAndFolders({ page, baseUrl, screenshot }) {
  const hub = await startHubServer();
  try {
    await openHubPage(page, baseUrl, hub.baseUrl);
    const tiny = path.join(hub.dir, 'models/tbar-test/tiny-clip');
    // a checkpoint as files: weights + config + tokenizer (File objects posted to the worker)
    await page.setInputFiles('#model-files', [path.join(tiny, 'model.safetensors'), path.join(tiny, 'config.json'), TOKENIZER_JSON]);
    await page.waitForFunction(() => /Model: model\.safetensors/.test(document.querySelector('[data-testid=status]').textContent), null, { timeout: 60_000 });
    assert.equal((await page.evaluate(() => __hub.probe())).name, 'model.safetensors');
    // a folder of images, one sub-folder per class
    const folder = path.join(ROOT, 'e2e/artifacts/hub-folder/pets-mini');
    const jpg = path.resolve(ROOT, '../shared/data/cifar10-test-jpg/test');
    for (const c of ['cat', 'dog', 'horse']) {
      mkdirSync(path.join(folder, c), { recursive: true });
      for (const f of readdirSync(path.join(jpg, c)).slice(0, 4)) cpSync(path.join(jpg, c, f), path.join(folder, c, f));
    }
    await page.setInputFiles('#folder', folder);
    await page.waitForFunction(() => /Data: pets-mini, classes cat, dog, horse/.test(document.querySelector('[data-testid=status]').textContent), null, { timeout: 60_000 });
    await screenshot('dropped');
    // a wrong file gives the message, not a crash
    await page.setInputFiles('#model-files', { name: 'pytorch_model.bin', mimeType: 'application/octet-stream', buffer: readFileSync(path.join(tiny, 'config.json')) });
    await page.waitForFunction(() => /missing-file/.test(document.querySelector('[data-testid=error]').textContent), null, { timeout: 30_000 });
  } finally {
    await hub.close();
  }
}
