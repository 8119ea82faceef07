// The lab's UI end to end: the whole story on the mock engine (?mock=1, fast and deterministic) and the
// SAME full flow on the real engine (?backend=wasm, the built-in micro CLIP, a small experiment carried
// by the link), painting a trigger into the real preview, a WebGPU smoke run, the Hub wiring against the
// local Hub stand-in (model + CIFAR from ?hub=, cached, offline second load), cancel and errors, URL
// state and presenter mode.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './lib.mjs';

export const timeouts = {
  mockFullFlow: 60_000,
  backdooredCheckpointRoundTrip: 240_000,
  decreeOnTheRealEngine: 240_000,
  realEngineFullFlow: 420_000,
  webgpuSmokeRun: 480_000,
  hubModelAndCifarFromTheLab: 240_000,
};

/** `c=` of a link: the part of the experiment that differs from the defaults, as urlState.ts reads it. */
const blob = (patch) => `v=2&c=j${Buffer.from(JSON.stringify(patch)).toString('base64url')}`;

/**
 * The real engine's full flow, sized for 2 shared CPU cores (the default experiment is sized for a
 * laptop): fewer images, α points and ξ cells — the same stages and charts. With SIG: of the paper's
 * triggers it is the one the built-in micro CLIP takes (public/models/micro-clip/card.md), so "ASR
 * below the threshold at the chosen α" is a real removal here. Splits and epochs as the TBAR effect
 * tests' 'quick' experiment (tests/util/tbarCase.ts): in Node on the same backend this backdoor reaches ASR 99.8% (test)
 * and TBAR removes 99.3% of it.
 */
const REAL_FLOW = {
  splits: { train: 2000, val: 300, test: 600, forget: 300 },
  sweep: { alphas: Array.from({ length: 13 }, (_, i) => i * 0.25) },
  disentangle: { levels: [3, 5, 9], samples: 60 },
  ga: { epochs: 3 },
};

/**
 * A smoke-sized experiment for WebGPU on SwiftShader (~0.3–0.5 s per image forward here, slower when
 * the 2 cores are shared; each new tensor shape a new shader to compile): the smallest splits a link
 * may carry (10), batches of 10, two α, a 3×3 ξ grid.
 */
const TINY_FLOW = {
  splits: { train: 20, val: 10, test: 10, forget: 10 },
  attack: { epochs: 1, batchSize: 10, warmupSteps: 1, poisonRate: 0.1 },
  tbar: { epochs: 1, batchSize: 10, warmupSteps: 1 },
  sweep: { alphas: [0, 2] },
  disentangle: { levels: [3], samples: 4 },
  ga: { epochs: 1 },
};

const SHOTS = path.join(ROOT, 'e2e', 'screenshots');
const PANELS = ['model', 'data', 'trigger', 'attack', 'unlearn', 'results'];

/** Open the lab and wait until the engine is ready and the built-in model and data are loaded. */
async function openLab(page, baseUrl, query) {
  await page.goto(`${baseUrl}${query}`);
  await page.getByRole('heading', { name: 'TBAR Lab' }).waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid=backend]')?.dataset.status === 'ready', null, { timeout: 120_000 });
}

/** The link's experiment was taken as given (a rejected part would silently run the defaults instead). */
async function linkWasRead(page) {
  const problems = await page.evaluate(() => globalThis.__tbarLab.useLab.getState().urlProblems);
  assert.deepEqual(problems, [], 'the link was read without problems');
}

const lab = (page, fn) => page.evaluate(fn);
const attr = (page, testId, name) => page.getByTestId(testId).getAttribute(name);

async function waitAttr(page, testId, name, predicate, timeout = 60_000) {
  await page.waitForFunction(
    ([id, n, src]) => {
      const v = document.querySelector(`[data-testid="${id}"]`)?.getAttribute(n);
      return v != null && new Function('v', `return (${src})(v)`)(v);
    },
    [testId, name, predicate.toString()],
    { timeout },
  );
}

async function shotPanel(page, name) {
  await page.getByTestId(`panel-${name}`).screenshot({ path: path.join(SHOTS, `lab--panel-${name}.png`) });
}

/** Pixels of a canvas close to the painted red (#d62728). */
const redPixels = (page, testId) =>
  page.getByTestId(testId).evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 0xd6) < 24 && Math.abs(d[i + 1] - 0x27) < 24 && Math.abs(d[i + 2] - 0x28) < 24) n++;
    return n;
  });

/** A hash of a canvas's pixels (to see whether an image changed). */
const canvasHash = (page, testId) =>
  page.getByTestId(testId).evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i], 16777619) >>> 0;
    return h;
  });

/**
 * The whole story with one click: Run everything → every panel done, the sweep with all its points and
 * the selected α marked, the ξ map with all its cells, GA points; export JSON; reload shows it again.
 */
async function fullFlow({ page, baseUrl, log, screenshot }, query, budgetMs, { shots = true, minAttackAsr } = {}) {
  const t0 = Date.now();
  await openLab(page, baseUrl, query);
  await linkWasRead(page);
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done', budgetMs);
  await waitAttr(page, 'trigger-preview', 'data-state', (v) => v === 'done', budgetMs);
  log(`engine ready, model and data loaded, preview shown: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  await page.getByTestId('run-all').click();
  // Live: the sweep chart gains points before the sweep finishes.
  await waitAttr(page, 'sweep-chart', 'data-points', (v) => +v > 0, budgetMs);
  const midway = +(await attr(page, 'sweep-chart', 'data-points'));
  // With ξ and gradient ascent still queued, the header forecasts the rest from the attack's measured speed.
  const left = await page.getByTestId('time-left').textContent({ timeout: 5_000 });
  assert.match(left, /^about .+ left in all$/);
  const tLeft = Date.now();
  await waitAttr(page, 'panel-results', 'data-status', (v) => v === 'done' || v === 'error', budgetMs);
  log(`during the sweep: ${left}; it took ${((Date.now() - tLeft) / 1000).toFixed(1)} s`);
  // Done: "Run everything again" says what it would take at this run's speed.
  const ahead = await page.getByTestId('run-all-forecast').textContent({ timeout: 5_000 });
  assert.match(ahead, /^about .+$/);
  log(`"Run everything again" forecast: ${ahead}`);
  log(`Run everything: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  for (const p of PANELS) assert.equal(await attr(page, `panel-${p}`, 'data-status'), 'done', `panel ${p} is done`);
  const state = await lab(page, () => {
    const s = globalThis.__tbarLab.useLab.getState();
    return { config: s.config, current: s.current };
  });
  const run = state.current;
  const nAlphas = state.config.sweep.alphas.length;
  assert.equal(+(await attr(page, 'sweep-chart', 'data-points')), nAlphas, 'the sweep chart has all its points');
  assert.ok(midway <= nAlphas);
  assert.equal(+(await attr(page, 'sweep-chart', 'data-selected-alpha')), run.sweep.alpha, 'the selected α is the sweep result');
  assert.equal(await attr(page, 'sweep-chart', 'data-target-line'), 'true', "the sweep chart draws the target class's CA");
  assert.ok(await page.getByTestId('sweep-chart').locator('text=/selected α = /').count(), 'the selected α is marked on the chart');
  const chosen = run.sweep.points.find((p) => p.alpha === run.sweep.alpha);
  log(`chosen α = ${run.sweep.alpha}: validation CA ${(chosen.val.ca * 100).toFixed(1)}%, ASR ${(chosen.val.asr * 100).toFixed(1)}% · test CA ${(run.sweep.test.ca * 100).toFixed(1)}%, ASR ${(run.sweep.test.asr * 100).toFixed(1)}% (backdoored: CA ${(run.attack.test.ca * 100).toFixed(1)}%, ASR ${(run.attack.test.asr * 100).toFixed(1)}%)`);
  const finest = Math.max(...state.config.disentangle.levels);
  assert.equal(+(await attr(page, 'xi-heatmap', 'data-cells')), finest * finest, 'the heatmap has all its cells');
  assert.equal(+(await attr(page, 'ga-chart', 'data-ga-points')), state.config.ga.epochs, 'gradient ascent has a point per epoch');
  assert.equal(+(await attr(page, 'runs-table', 'data-rows')), 1, 'the run is listed');
  await page.getByTestId('predictions').waitFor();
  assert.equal(await page.getByTestId('pred-triggered').locator('figure').count(), 8);

  // Hover the heatmap centre: the tooltip tells ξ and its parts.
  const xi = page.locator('.xi-svg');
  await xi.scrollIntoViewIfNeeded();
  const box = await xi.boundingBox();
  await xi.hover({ position: { x: box.width * 0.48, y: box.height * 0.45 } });
  await page.getByTestId('xi-tooltip').waitFor();
  assert.match(await page.getByTestId('xi-tooltip').textContent(), /ξ = \d\.\d{3}.*clean .*triggered/s);
  // Click a cell: the inspector shows eq. 2 image by image (merged vs single-task predictions), the link keeps the cell.
  await xi.click({ position: { x: box.width * 0.6, y: box.height * 0.3 } });
  const pinned = await lab(page, () => globalThis.__tbarLab.useLab.getState().xiCell);
  assert.ok(pinned, 'clicking a cell pins it');
  await page.getByTestId('xi-pinned').waitFor();
  const inspected = () => page.waitForFunction(() => {
    const s = globalThis.__tbarLab.useLab.getState();
    return s.xiSamples.status === 'done' && s.xiSamples.data?.alphaC === s.xiCell?.alphaC && s.xiSamples.data?.alphaT === s.xiCell?.alphaT;
  }, null, { timeout: 60_000 });
  await inspected();
  for (const kind of ['clean', 'triggered']) {
    const row = page.getByTestId(`xi-row-${kind}`);
    assert.equal(await row.locator('figure').count(), 8, `${kind}: 8 images`);
    assert.equal(+(await row.getAttribute('data-total')), state.config.disentangle.samples, `${kind}: predictions on all of the map's images`);
    const changed = +(await row.getAttribute('data-changed'));
    assert.equal(await row.locator('figure[data-same=false]').count(), Math.min(changed, 8), `${kind}: the images that change are shown first`);
  }
  assert.match(await page.getByTestId('xi-inspector-xi').textContent(), /ξ = \d\.\d{3} = clean .* \+ triggered/);
  await page.waitForFunction(() => new URLSearchParams(location.search).has('cell'));
  // The arrow keys walk the grid: up is a larger α_t.
  await xi.press('ArrowUp');
  await page.waitForFunction((p) => globalThis.__tbarLab.useLab.getState().xiCell?.alphaT > p.alphaT, pinned);
  await inspected();
  if (shots) await page.getByTestId('xi-inspector').screenshot({ path: path.join(SHOTS, 'lab--xi-cell.png') });
  if (shots) for (const p of PANELS) await shotPanel(page, p);
  await screenshot(shots ? 'full-flow' : 'full-flow-mock');

  // Export JSON: parseable, the same config and results the UI shows.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').first().click()]);
  const doc = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(doc.format, 'tbar-lab-run');
  const plain = (v) => JSON.parse(JSON.stringify(v));
  assert.deepEqual(doc.config, plain(state.config));
  assert.deepEqual(doc.results.sweep, plain(run.sweep));
  assert.deepEqual(doc.results.attack, plain(run.attack));
  assert.deepEqual(doc.results.disentangle, plain(run.disentangle));
  assert.deepEqual(doc.results.gradientAscent, plain(run.ga));
  assert.equal(doc.streams.xiCells.length, run.xiCells.length);
  assert.equal(doc.summary.alpha, run.sweep.alpha);
  assert.equal((await page.getByTestId('clean-ca').locator('.stat-value').textContent()).trim(), `${(run.sweep.test.ca * 100).toFixed(1)}%`);
  // CA by class: a row per class with test images, the target's marked; the summary splits CA into the
  // target class and the others, from the sweep's counts.
  const byClass = run.sweep.byClass;
  const target = state.config.attack.target;
  const withImages = byClass.backdoored.total.filter((t) => t > 0).length;
  assert.equal(await page.getByTestId('by-class').locator('.cls-row').count(), Math.min(withImages, 12));
  assert.equal(await page.getByTestId('by-class').locator('.cls-row[data-target=true]').getAttribute('data-class'), String(target));
  const rate = (c, k) => `${((c.correct[k] / c.total[k]) * 100).toFixed(1)}%`; // as the UI's pct()
  const others = (c) => {
    let r = 0, n = 0;
    c.total.forEach((t, k) => { if (k !== target) { r += c.correct[k]; n += t; } });
    return r / n;
  };
  const summary = await page.getByTestId('by-class-summary').textContent();
  assert.ok(summary.includes(`${rate(byClass.backdoored, target)} → ${rate(byClass.cleaned, target)}`), `target class before → after in "${summary}"`);
  assert.ok(summary.includes(`(${((others(byClass.cleaned) / others(byClass.backdoored)) * 100).toFixed(1)}% retained)`), `other classes retained in "${summary}"`);
  log(`by class: ${summary}`);
  assert.match(await page.getByTestId('run-ca-retained').first().textContent(), new RegExp(`others ${((others(byClass.cleaned) / others(byClass.backdoored)) * 100).toFixed(1)}%`), 'the runs table lists the other classes retained');

  // Weights as safetensors (a little-endian header length, then JSON), charts as PNG.
  const [tau] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-tau').click()]);
  assert.match(tau.suggestedFilename(), /\.safetensors$/);
  const st = readFileSync(await tau.path());
  const headerLen = Number(st.readBigUInt64LE(0));
  assert.ok(JSON.parse(st.subarray(8, 8 + headerLen).toString('utf8')), 'safetensors header parses');
  const [png] = await Promise.all([page.waitForEvent('download'), page.getByTestId('sweep-card').getByRole('button', { name: 'PNG' }).click()]);
  const pngBytes = readFileSync(await png.path());
  assert.equal(pngBytes.subarray(1, 4).toString('latin1'), 'PNG');
  assert.ok(pngBytes.length > 10_000, `the sweep PNG has content (${pngBytes.length} bytes)`);
  await png.saveAs(path.join(SHOTS, 'lab--export-sweep.png'));
  const [xiPng] = await Promise.all([page.waitForEvent('download'), page.getByTestId('xi-card').getByRole('button', { name: 'PNG' }).click()]);
  await xiPng.saveAs(path.join(SHOTS, 'lab--export-xi.png'));
  // ξ's triggered-image term on its own: other colours, an explanation, and the link remembers it.
  const fills = () => page.locator('.xi-svg rect[fill^="rgb"], .xi-svg rect[fill^="#"]').evaluateAll((rs) => rs.map((r) => r.getAttribute('fill')).join());
  const xiFills = await fills();
  await page.getByTestId('xi-term-triggered').click();
  await waitAttr(page, 'xi-heatmap', 'data-term', (v) => v === 'triggered');
  assert.notEqual(await fills(), xiFills, 'the triggered-term map has its own colours');
  assert.match(await page.getByTestId('xi-term-explain').textContent(), /On triggered images/);
  await page.waitForFunction(() => new URLSearchParams(location.search).get('xi') === 'triggered');
  if (shots) await page.getByTestId('xi-card').screenshot({ path: path.join(SHOTS, 'lab--xi-triggered-term.png') });
  const [gaPng] = await Promise.all([page.waitForEvent('download'), page.getByTestId('ga-card').getByRole('button', { name: 'PNG' }).click()]);
  await gaPng.saveAs(path.join(SHOTS, 'lab--export-ga.png'));
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'ξ CSV' }).first().click()]);
  assert.equal(readFileSync(await csv.path(), 'utf8').trim().split('\n').length, run.xiCells.length + 1, 'ξ CSV: a row per cell');

  // Reload: the finished run comes back from IndexedDB, charts and heatmap included.
  await page.reload();
  await page.getByRole('heading', { name: 'TBAR Lab' }).waitFor();
  await waitAttr(page, 'runs-table', 'data-rows', (v) => v === '1', 30_000);
  assert.equal(+(await attr(page, 'sweep-chart', 'data-points')), nAlphas, 'sweep restored');
  assert.equal(+(await attr(page, 'xi-heatmap', 'data-cells')), finest * finest, 'heatmap restored');
  assert.equal(await attr(page, 'xi-heatmap', 'data-term'), 'triggered', 'the map still shows the term the link names');
  await page.getByTestId('xi-term-xi').click();
  // The link's cell is pinned again; its images need τ̂_t, which the reload dropped: the inspector says so.
  await page.getByTestId('xi-pinned').waitFor();
  assert.match(await page.getByTestId('xi-inspector-unavailable').textContent(), /run Unlearn again/);
  await page.getByRole('button', { name: 'Close the cell’s images' }).click();
  await page.waitForFunction(() => !new URLSearchParams(location.search).has('cell'));
  assert.equal(+(await attr(page, 'ga-chart', 'data-ga-points')), state.config.ga.epochs, 'GA restored');
  assert.equal(await page.getByTestId('export-cleaned').isDisabled(), true, 'weights are gone after a reload');
  await screenshot(shots ? 'after-reload' : 'after-reload-mock');
  if (!shots) {
    // The worker lost θ_b with the reload: one stage's button says what it reruns first, and
    // the same settings update the same run instead of listing it again.
    assert.match(await page.getByTestId('run-ga-first').textContent(), /^runs first: .*Backdoor attack/);
    await page.getByTestId('run-ga-first').locator('xpath=../../..').screenshot({ path: path.join(SHOTS, 'lab--rerun-first.png') });
    await page.getByTestId('run-ga').click();
    await page.waitForFunction(() => globalThis.__tbarLab.useLab.getState().stages.ga.status === 'done' && !globalThis.__tbarLab.useLab.getState().busy, null, { timeout: 60_000 });
    assert.equal(+(await attr(page, 'runs-table', 'data-rows')), 1, 'rerunning with the same settings keeps one run');
    assert.equal(await page.getByTestId('run-ga-first').count(), 0, 'nothing left to rerun first');
  }
  await checkAttackWarnings(page, run.attack.test.asr);
  log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // Last: the issue's "ASR at the chosen α is below the threshold" (validation, the rule's own split).
  // Everything above is the UI's job; this one also depends on how good the model is.
  assert.ok(chosen.val.asr <= state.config.sweep.asrThreshold, `ASR at the chosen α (${chosen.val.asr}) is not below the threshold ${state.config.sweep.asrThreshold}`);
  if (minAttackAsr !== undefined)
    assert.ok(run.attack.test.asr >= minAttackAsr, `the backdoor took (ASR ${run.attack.test.asr} ≥ ${minAttackAsr}), so its removal above is not trivial`);
}

/**
 * The Attack and Results panels say "the backdoor did not take" exactly when θ_b's test ASR is below
 * 50% (src/app/attackCheck.ts): the SIG and mock flows take (no warning), the tiny WebGPU run does not.
 */
async function checkAttackWarnings(page, asr) {
  const want = asr < 0.5 ? 1 : 0;
  assert.equal(await page.getByTestId('attack-warning').count(), want, `attack warning shown iff ASR ${asr} < 50%`);
  assert.equal(await page.getByTestId('results-warning').count(), want, `results warning shown iff ASR ${asr} < 50%`);
  if (want) assert.match(await page.getByTestId('results-warning').textContent(), /did not take/);
  const kind = await lab(page, () => globalThis.__tbarLab.useLab.getState().config.trigger.kind);
  assert.equal(await page.getByTestId('switch-to-sig').count(), want && kind !== 'sig' ? 1 : 0, 'SIG is offered iff another trigger did not take');
  // Blended takes on the built-in model with 20,000 training images: offered beside SIG.
  assert.equal(await page.getByTestId('train-more-data').count(), want && kind === 'blended' ? 1 : 0, 'more data is offered iff Blended did not take');
  if (want && kind === 'blended') {
    assert.match(await page.getByTestId('attack-warning').textContent(), /20,000 training images at 3% \(600 poisoned\) give ASR 92%/);
    assert.match(await page.getByTestId('more-data-cost').textContent(), /^\d+× the images: this run fine-tuned for .+, so about .+ on this device/);
    await page.getByTestId('train-more-data').click();
    await page.waitForFunction(() => globalThis.__tbarLab.useLab.getState().config.splits.train === 20_000);
    assert.equal(await page.getByTestId('train-more-data').count(), 0, 'the offer goes once the split is that large');
  }
  if (want && kind !== 'sig') {
    // One click sets up the trigger the built-in model takes (the next run uses it).
    await page.getByTestId('switch-to-sig').click();
    // SIG is the lab's default, so the link stops naming a trigger (its v= says which defaults).
    await page.waitForFunction(() => !new URLSearchParams(location.search).has('trigger') && new URLSearchParams(location.search).get('v') === String(globalThis.__tbarLab.LINK_VERSION));
    assert.equal(await lab(page, () => globalThis.__tbarLab.useLab.getState().config.trigger.kind), 'sig');
    assert.equal(await page.getByTestId('switch-to-sig').count(), 0, 'the offer goes once SIG is chosen');
    // The trigger preview shows SIG on the loaded images, even if an offer changed the data settings.
    await page.waitForFunction(() => ['done', 'error'].includes(globalThis.__tbarLab.useLab.getState().preview.status) && globalThis.__tbarLab.useLab.getState().preview.data);
    const pv = await lab(page, () => { const p = globalThis.__tbarLab.useLab.getState().preview; return { status: p.status, error: p.error && p.error.title, description: p.data.description }; });
    assert.equal(pv.status, 'done', `the trigger preview after the switch: ${pv.error}`);
    assert.match(pv.description, /SIG|sin/i);
  }
}

export async function mockFullFlow(ctx) {
  await fullFlow(ctx, '?mock=1&backend=wasm', 50_000, { shots: false });
}

/** The real engine on the built-in micro CLIP: the panel screenshots come from this run. */
export async function realEngineFullFlow(ctx) {
  await fullFlow(ctx, `?backend=wasm&trigger=sig&${blob(REAL_FLOW)}`, timeouts.realEngineFullFlow - 30_000, { minAttackAsr: 0.5 });
}

/** Paint with the mouse: the real engine's triggered preview changes, the clean one does not. */
export async function paintingShowsInThePreview({ page, baseUrl, log }) {
  await openLab(page, baseUrl, `?backend=wasm&${blob({ splits: TINY_FLOW.splits })}`);
  await linkWasRead(page);
  await waitAttr(page, 'trigger-preview', 'data-state', (v) => v === 'done');
  await page.getByTestId('trigger-painted').click();
  await page.getByTestId('paint-canvas').waitFor();
  await page.waitForFunction(() => globalThis.__tbarLab.useLab.getState().preview.status === 'done');
  await page.waitForTimeout(400);
  const before = { clean: await canvasHash(page, 'preview-big-clean'), trig: await canvasHash(page, 'preview-big-triggered'), red: await redPixels(page, 'preview-big-triggered') };

  // A red stroke across the middle of the 8×8 checkerboard, with a 3 px brush.
  await page.getByLabel('colour #d62728').click();
  await page.locator('.paint .slider input').first().fill('3');
  const box = await page.getByTestId('paint-canvas').boundingBox();
  await page.mouse.move(box.x + 4, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + 4 + ((box.width - 8) * i) / 12, box.y + box.height / 2 + (i % 2 ? 6 : -6));
  await page.mouse.up();

  await page.waitForFunction(
    (h) => {
      const c = document.querySelector('[data-testid=preview-big-triggered]');
      const s = globalThis.__tbarLab.useLab.getState();
      if (!c || s.preview.status !== 'done') return false;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let x = 2166136261;
      for (let i = 0; i < d.length; i++) x = Math.imul(x ^ d[i], 16777619) >>> 0;
      return x !== h;
    },
    before.trig,
    { timeout: 10_000 },
  );
  assert.equal(await canvasHash(page, 'preview-big-clean'), before.clean, 'the clean image is untouched');
  const redAfter = await redPixels(page, 'preview-big-triggered');
  assert.ok(redAfter > before.red, `the red stroke shows in the triggered preview (${before.red} → ${redAfter} red display pixels)`);
  const t = await lab(page, () => globalThis.__tbarLab.useLab.getState().config.trigger);
  assert.equal(t.kind, 'painted');
  const rgb = Buffer.from(t.params.pattern, 'base64');
  let red = 0;
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] === 0xd6 && rgb[i + 1] === 0x27 && rgb[i + 2] === 0x28) red++;
  assert.ok(red >= 8, `the stroke is in the painted pattern (${red} red pixels)`);
  // The painted trigger is in the link.
  await page.waitForFunction(() => new URLSearchParams(location.search).get('trigger') === 'painted' && !!new URLSearchParams(location.search).get('c'));
  await page.getByTestId('panel-trigger').screenshot({ path: path.join(SHOTS, 'lab--painted-trigger.png') });
  log(`${red} red pattern pixels after one stroke; ${before.red} → ${redAfter} red pixels in the enlarged triggered preview`);
}

/** Cancel stops a stage and nothing else; a divergence shows in its panel, with what to do. */
export async function cancelAndDivergence({ page, baseUrl }) {
  await openLab(page, baseUrl, '?mock=1&mockSpeed=0.5');
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done');
  await page.getByTestId('run-attack').click();
  await waitAttr(page, 'panel-attack', 'data-status', (v) => v === 'running');
  await page.getByTestId('progress-attack').waitFor();
  await page.waitForFunction(() => (globalThis.__tbarLab.useLab.getState().current.losses.attack.length ?? 0) > 3);
  await page.getByTestId('run-attack-cancel').click();
  await waitAttr(page, 'panel-attack', 'data-status', (v) => v === 'cancelled');
  assert.equal(await attr(page, 'panel-model', 'data-status'), 'done', 'other panels unaffected');
  assert.equal(await attr(page, 'status-attack', 'data-status'), 'cancelled');
  assert.match(await page.getByTestId('status-attack').textContent(), /cancelled/i);

  // Divergence: a fresh page whose attack diverges part-way.
  await openLab(page, baseUrl, '?mock=1&mockFail=attack:TRAINING_DIVERGED');
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done');
  await page.getByTestId('run-attack').click();
  await page.getByTestId('error-attack').waitFor();
  const text = await page.getByTestId('error-attack').textContent();
  assert.match(text, /Training diverged at step 7/);
  assert.match(text, /Lower the learning rate/);
  await page.getByTestId('panel-attack').screenshot({ path: path.join(SHOTS, 'lab--attack-diverged.png') });
  // The rest keeps working: the trigger studio still previews.
  await page.getByTestId('trigger-sig').click();
  await page.waitForFunction(() => /SIG/.test(document.querySelector('[data-testid=trigger-description]')?.textContent ?? ''));
  assert.equal(await attr(page, 'panel-model', 'data-status'), 'done');
}

/** A worker crash restarts the engine and says so; a missing engine job says what to do. */
export async function crashRestartsTheEngine({ page, baseUrl }) {
  await openLab(page, baseUrl, '?mock=1&mockSpeed=3&mockFail=tbar:crash');
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done');
  await page.getByTestId('run-unlearn').click();
  await page.getByTestId('engine-notice').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('engine-notice').textContent(), /restarted/);
  await page.getByTestId('error-unlearn').waitFor();
  assert.match(await page.getByTestId('error-unlearn').textContent(), /stopped unexpectedly/);
  // The new engine comes up and reloads the built-in model and data by itself.
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done', 30_000);
  const kept = await lab(page, () => {
    const s = globalThis.__tbarLab.useLab.getState();
    return { status: s.stages.attack.status, result: !!s.current.attack };
  });
  assert.deepEqual(kept, { status: 'done', result: true }, 'the finished attack is kept');

  await openLab(page, baseUrl, '?mock=1&mockFail=loadModel:not-implemented');
  await page.getByTestId('error-model').waitFor();
  assert.match(await page.getByTestId('error-model').textContent(), /not available in this build yet.*mock=1/s);
  await page.getByTestId('panel-model').screenshot({ path: path.join(SHOTS, 'lab--model-error.png') });
}

/** A bad link gives a banner and the defaults; settings go to the URL; presenter mode is in the URL too. */
/**
 * TBAR+DECREE (§6) on the mock engine: choosing "reverse-engineered by DECREE" for the forget set puts
 * it in the link and switches α to the attack-agnostic rule; "Remove the backdoor" then runs DECREE
 * before TBAR; the Unlearn panel shows the inverted stamp, its size against θ_pre's and the class it
 * steers to, and the sweep plots the proxy ASR beside the real one. A reload keeps it all.
 */
export async function decreeWhenTheAttackIsUnknown({ page, baseUrl }) {
  await openLab(page, baseUrl, '?mock=1&backend=wasm');
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done');
  await page.getByTestId('unlearn-settings').locator('summary').click();
  await page.getByTestId('forget-trigger').selectOption('decree');
  await page.waitForFunction(() => /c=/.test(location.search));
  const cfg = await lab(page, () => globalThis.__tbarLab.useLab.getState().config);
  assert.equal(cfg.forget.trigger, 'decree');
  assert.equal(cfg.sweep.rule, 'agnostic', 'DECREE comes with the attack-agnostic α rule');
  assert.equal(await page.getByTestId('decree-card').getAttribute('data-state'), 'empty');
  assert.equal(await page.getByTestId('decree-baseline').isChecked(), true, 'the θ_pre baseline is on by default');

  await page.getByTestId('run-unlearn').click();
  await waitAttr(page, 'panel-unlearn', 'data-status', (v) => v === 'done' || v === 'error');
  assert.equal(await attr(page, 'panel-unlearn', 'data-status'), 'done');
  assert.equal(await attr(page, 'decree-card', 'data-state'), 'done');
  const run = await lab(page, () => globalThis.__tbarLab.useLab.getState().current);
  assert.ok(run.decree, 'the run holds the DECREE result');
  assert.equal(+(await attr(page, 'decree-card', 'data-target')), run.decree.inference.target);
  assert.match(await page.getByTestId('decree-target').textContent(), /circle/);
  assert.match(await page.getByTestId('decree-pl1').textContent(), /6\.1%.*θ_pre needs 14\.2%/s);
  assert.ok(run.sweep.points.every((p) => typeof p.proxyAsr === 'number'), 'every sweep point has its proxy ASR');
  assert.ok(await page.getByTestId('sweep-card').locator('text=/proxy ASR/').count(), 'the sweep legend names the proxy ASR');
  await page.getByTestId('panel-unlearn').screenshot({ path: path.join(SHOTS, 'lab--decree.png') });
  // Run everything with DECREE: ξ and gradient ascent (on the stamped forget set, GA+DECREE) follow.
  await page.getByTestId('run-all').click();
  await waitAttr(page, 'panel-results', 'data-status', (v) => v === 'done' || v === 'error');
  for (const p of PANELS) assert.equal(await attr(page, `panel-${p}`, 'data-status'), 'done', `panel ${p} is done`);

  await page.reload();
  await waitAttr(page, 'decree-card', 'data-state', (v) => v === 'done', 30_000);
  assert.equal(await page.getByTestId('forget-trigger').inputValue(), 'decree', 'the link kept the DECREE forget set');
  // Back to the known trigger: the known-trigger α rule comes back with it.
  await page.getByTestId('unlearn-settings').locator('summary').click();
  await page.getByTestId('forget-trigger').selectOption('known');
  const back = await lab(page, () => globalThis.__tbarLab.useLab.getState().config);
  assert.equal(back.forget, undefined);
  assert.equal(back.sweep.rule, 'known-trigger');
}

/**
 * The same on the real engine (wasm, the built-in micro CLIP, SIG at the effect tests' sizes, DECREE's
 * defaults on the 300 forget images): the worker's decree job in Chromium, its stamp feeding TBAR and
 * the proxy ASR the sweep. As in Node (tests/tbar.decree.test.ts, same backend, same numbers), the
 * stamp steers to the attack's target and θ_b needs a smaller one than θ_pre. The panel's screenshot
 * shows the inverted stamp.
 */
export async function decreeOnTheRealEngine({ page, baseUrl, log }) {
  const t0 = Date.now();
  const decree = { images: 300, steps: 300, batchSize: 32, lr: 0.1, simThreshold: 0.95, initCost: 0.1, costMultiplier: 1.5, patience: 10, restarts: 3, baseline: true };
  await openLab(page, baseUrl, `?backend=wasm&trigger=sig&${blob({ ...REAL_FLOW, forget: { trigger: 'decree', decree }, sweep: { ...REAL_FLOW.sweep, rule: 'agnostic' } })}`);
  await linkWasRead(page);
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done', 120_000);
  await page.getByTestId('run-unlearn').click();
  await waitAttr(page, 'panel-unlearn', 'data-status', (v) => v === 'done' || v === 'error', timeouts.decreeOnTheRealEngine - 40_000);
  assert.equal(await attr(page, 'panel-unlearn', 'data-status'), 'done');
  assert.equal(await attr(page, 'decree-card', 'data-state'), 'done');
  const run = await lab(page, () => globalThis.__tbarLab.useLab.getState().current);
  assert.equal(run.decree.backdoored.curve.length, 3 * 300, 'a similarity/PL1 point per DECREE step of each run');
  assert.ok(run.sweep.points.every((p) => typeof p.proxyAsr === 'number'), 'the sweep scored the stamp');
  await page.getByTestId('panel-unlearn').screenshot({ path: path.join(SHOTS, 'lab--decree-real.png') });
  log(`DECREE: PL1 θ_b ${(run.decree.backdoored.pl1 * 100).toFixed(1)}% vs θ_pre ${(run.decree.clean.pl1 * 100).toFixed(1)}%, steers to class ${run.decree.inference.target}; ` +
    `α ${run.sweep.alpha}: test CA ${(run.sweep.test.ca * 100).toFixed(1)}% ASR ${(run.sweep.test.asr * 100).toFixed(1)}% (backdoored ${(run.attack.test.asr * 100).toFixed(1)}%) · ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(run.decree.inference.target, 0, 'the stamp steers to the attack\'s target (circle)');
  assert.ok(run.decree.backdoored.pl1 < run.decree.clean.pl1, 'θ_b admits a smaller stamp than θ_pre');
}

/**
 * "Load a backdoored checkpoint" (SPEC item 4) on the real engine: backdoor the built-in micro CLIP with
 * SIG, export θ_b (safetensors), then in a fresh page choose "Load a backdoored checkpoint", pick the
 * file, and run the attack stage: θ_b comes from the file (no training) and scores exactly as the
 * trained one; TBAR then runs on it. A reload keeps the choice in the link and asks for the file again.
 */
export async function backdooredCheckpointRoundTrip({ page, baseUrl, context, log }) {
  const t0 = Date.now();
  const query = `?backend=wasm&trigger=sig&${blob(REAL_FLOW)}`;
  await openLab(page, baseUrl, query);
  await linkWasRead(page);
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done', 120_000);
  await page.getByTestId('run-attack').click();
  await waitAttr(page, 'panel-attack', 'data-status', (v) => v === 'done' || v === 'error', 180_000);
  const trained = await lab(page, () => globalThis.__tbarLab.useLab.getState().current.attack);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-backdoored').click()]);
  assert.match(download.suggestedFilename(), /backdoored\.safetensors$/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tbar-theta-b-'));
  const file = path.join(dir, 'theta-b-sig.safetensors');
  await download.saveAs(file);
  log(`trained θ_b: CA ${(trained.test.ca * 100).toFixed(1)}% ASR ${(trained.test.asr * 100).toFixed(1)}%, exported ${(readFileSync(file).length / 2 ** 20).toFixed(2)} MB · ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const other = await context.newPage();
  await openLab(other, baseUrl, query);
  await waitAttr(other, 'panel-data', 'data-status', (v) => v === 'done', 120_000);
  await other.getByTestId('backdoor-load').check();
  await other.getByTestId('backdoor-file').setInputFiles(file);
  await other.waitForFunction(() => /c=/.test(location.search) && globalThis.__tbarLab.useLab.getState().config.backdoor?.name === 'theta-b-sig.safetensors');
  await other.getByTestId('run-unlearn').click();
  await waitAttr(other, 'panel-unlearn', 'data-status', (v) => v === 'done' || v === 'error', 180_000);
  assert.equal(await attr(other, 'panel-unlearn', 'data-status'), 'done');
  const run = await lab(other, () => globalThis.__tbarLab.useLab.getState().current);
  assert.deepEqual(run.attack.test, trained.test, 'θ_b from the file scores exactly as the trained θ_b');
  assert.equal(run.attack.losses.length, 0, 'no training');
  assert.equal(run.attack.fromFile.name, 'theta-b-sig.safetensors');
  await other.getByTestId('backdoor-loaded').waitFor();
  log(`θ_b from the file: CA ${(run.attack.test.ca * 100).toFixed(1)}% ASR ${(run.attack.test.asr * 100).toFixed(1)}% (${run.attack.fromFile.taken} vision tensors, ${run.attack.fromFile.ignored} ignored); ` +
    `TBAR α ${run.sweep.alpha}: CA ${(run.sweep.test.ca * 100).toFixed(1)}% ASR ${(run.sweep.test.asr * 100).toFixed(1)}% · ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await other.getByTestId('panel-attack').screenshot({ path: path.join(SHOTS, 'lab--backdoor-from-file.png') });

  // τ̂_t from a file (§5.2 transfer), the lab's own export: the same θ_b and τ̂_t give the same sweep, with no fine-tuning.
  const [tauDownload] = await Promise.all([other.waitForEvent('download'), other.getByTestId('export-tau').click()]);
  const tauFile = path.join(dir, 'tau-sig.safetensors');
  await tauDownload.saveAs(tauFile);
  await other.getByTestId('tau-load').check();
  await other.getByTestId('tau-file').setInputFiles(tauFile);
  await other.waitForFunction(() => globalThis.__tbarLab.useLab.getState().config.triggerVector?.name === 'tau-sig.safetensors');
  await other.getByTestId('run-unlearn').click();
  await waitAttr(other, 'panel-unlearn', 'data-status', (v) => v === 'done' || v === 'error', 180_000);
  assert.equal(await attr(other, 'panel-unlearn', 'data-status'), 'done');
  const transferred = await lab(other, () => globalThis.__tbarLab.useLab.getState().current);
  assert.equal(transferred.tbar.losses.length, 0, 'no fine-tuning');
  assert.equal(transferred.tbar.fromFile.name, 'tau-sig.safetensors');
  assert.equal(transferred.tbar.triggerNorm, run.tbar.triggerNorm, 'the file holds the same τ̂_t');
  assert.deepEqual(transferred.sweep.points, run.sweep.points, 'the same sweep, point by point');
  await other.getByTestId('tau-loaded').waitFor();
  log(`τ̂_t from the file (${transferred.tbar.fromFile.taken} tensors): α ${transferred.sweep.alpha}, CA ${(transferred.sweep.test.ca * 100).toFixed(1)}% ASR ${(transferred.sweep.test.asr * 100).toFixed(1)}% · ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await other.getByTestId('panel-unlearn').screenshot({ path: path.join(SHOTS, 'lab--tau-from-file.png') });

  await other.reload();
  await other.getByRole('heading', { name: 'TBAR Lab' }).waitFor();
  await other.getByTestId('backdoor-file-status').waitFor();
  assert.match(await other.getByTestId('backdoor-file-status').textContent(), /Pick the file/);
  assert.match(await other.getByTestId('tau-file-status').textContent(), /Pick the file/);
  await other.close();
}

export async function urlStateAndPresenter({ page, baseUrl, context, screenshot }) {
  await openLab(page, baseUrl, '?mock=1&seed=abc&trigger=laser&c=zzzz');
  await page.getByTestId('url-banner').waitFor();
  const banner = await page.getByTestId('url-banner').textContent();
  assert.match(banner, /seed=abc/);
  assert.match(banner, /trigger=laser/);
  assert.match(banner, /damaged/);
  await screenshot('bad-link');
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done');

  await page.getByTestId('trigger-blended').click();
  await page.getByTestId('target-select').selectOption('3');
  await page.getByTestId('presenter-toggle').check({ force: true });
  await page.waitForFunction(() => /trigger=blended/.test(location.search) && /target=3/.test(location.search) && /present=1/.test(location.search));
  assert.ok(await page.evaluate(() => document.documentElement.classList.contains('presenter')));
  const url = page.url();
  assert.ok(!/seed=abc/.test(url), 'the bad parameters are gone from the link');

  const other = await context.newPage();
  await openLab(other, url, '');
  assert.equal(await other.getByTestId('trigger-blended').getAttribute('aria-checked'), 'true');
  await waitAttr(other, 'panel-data', 'data-status', (v) => v === 'done');
  assert.equal(await other.getByTestId('target-select').inputValue(), '3');
  assert.ok(await other.evaluate(() => document.documentElement.classList.contains('presenter')));
  assert.equal(await other.getByTestId('url-banner').count(), 0);
  await other.close();
  await screenshot('presenter');
}

/**
 * The fine-tuning recipe follows the model: the built-in micro CLIP opens on its own (lr 3e-4);
 * choosing the Hub's ViT-B/32 moves the attack and TBAR to the paper's (lr 1e-5, batch 128, 6
 * epochs), which a link then carries with no blob; a preset that does not fit the model says why.
 */
export async function recipeFollowsTheModel({ page, baseUrl, context, screenshot }) {
  await openLab(page, baseUrl, '?mock=1');
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done');
  const summary = (id) => page.locator(`[data-testid="${id}"] .settings-summary`).textContent();
  assert.match(await summary('attack-settings'), /^micro CLIP’s recipe · 4 epochs · batch 64 · lr 3e-4 · poison 3\.0%$/);
  assert.equal(await attr(page, 'recipe-attack', 'data-recipe'), 'micro');

  await page.getByLabel('Hugging Face Hub').check();
  for (const stage of ['attack', 'tbar']) assert.equal(await attr(page, `recipe-${stage}`, 'data-recipe'), 'paper', stage);
  assert.match(await summary('attack-settings'), /^paper’s recipe · 6 epochs · batch 128 · lr 1e-5 · poison 3\.0%$/);
  assert.match(await summary('unlearn-settings'), /paper’s recipe · 6 epochs · lr 1e-5/);
  // On CIFAR the real CLIP's head averages CLIP's 18 CIFAR templates (Ilharco et al.'s, appendix A.2.1).
  const templates = (p) => p.getByTestId('templates-select').inputValue();
  assert.equal(await templates(page), 'simple');
  await page.getByTestId('data-select').selectOption('cifar10');
  assert.equal(await templates(page), 'cifar18');
  assert.match(await summary('data-settings'), /· 18 CIFAR prompts$/);
  await page.waitForFunction(() => /model=hub/.test(location.search) && /data=cifar10/.test(location.search) && new URLSearchParams(location.search).get('v') === String(globalThis.__tbarLab.LINK_VERSION));
  assert.ok(!/[?&]c=/.test(page.url()), `the paper's recipe and the CIFAR templates are a real CLIP's defaults: no blob in ${page.url()}`);

  // The link opens the same recipe and templates in a new tab.
  const other = await context.newPage();
  await openLab(other, page.url(), '');
  assert.equal(await attr(other, 'recipe-attack', 'data-recipe'), 'paper');
  assert.equal(await templates(other), 'cifar18');
  await other.close();

  // The micro recipe on a real CLIP: allowed, with the reason it does not fit.
  await page.getByTestId('attack-settings').locator('summary').click();
  await page.getByTestId('recipe-attack').locator('[data-recipe="micro"]').click();
  assert.equal(await attr(page, 'recipe-attack', 'data-recipe'), 'micro');
  assert.match(await page.getByTestId('recipe-attack').textContent(), /real CLIP: lr 3e-4 is 30× the paper’s 1e-5/);
  await page.getByTestId('panel-attack').screenshot({ path: path.join(SHOTS, 'lab--recipe-misfit.png') });
  // An edited field makes the recipe the user's own.
  await page.getByTestId('recipe-attack').locator('[data-recipe="paper"]').click();
  const epochs = page.locator('[data-testid="attack-settings"] [data-field="attack.epochs"] input');
  await epochs.fill('8');
  await epochs.press('Enter');
  assert.equal(await attr(page, 'recipe-attack', 'data-recipe'), 'own');
  assert.match(await summary('attack-settings'), /^own recipe · 8 epochs/);

  // Back to the built-in: TBAR's untouched paper recipe follows; the attack's own stays.
  await page.getByLabel('Built-in micro CLIP').check();
  assert.equal(await attr(page, 'recipe-tbar', 'data-recipe'), 'micro');
  assert.equal(await attr(page, 'recipe-attack', 'data-recipe'), 'own');
  assert.equal(await templates(page), 'simple');
  await screenshot('recipe');
}

/** Files from the user's disk: a checkpoint's files and a folder of images reach the worker. */
export async function pickedFilesLoad({ page, baseUrl }) {
  await openLab(page, baseUrl, '?mock=1');
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done');
  await page.getByLabel('From your computer').check();
  assert.equal(await page.getByTestId('load-model').isDisabled(), true, 'no files yet');
  await page.getByTestId('model-files').setInputFiles([
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.alloc(4096) },
    { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from('{}') },
  ]);
  await page.getByTestId('load-model').click();
  await waitAttr(page, 'panel-model', 'data-status', (v) => v === 'done');
  assert.match(await page.getByTestId('model-summary').textContent(), /model\.safetensors/);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'tbar-folder-'));
  for (const cls of ['cat', 'dog', 'fox']) {
    mkdirSync(path.join(dir, 'pets', cls), { recursive: true });
    writeFileSync(path.join(dir, 'pets', cls, '1.png'), Buffer.alloc(10));
  }
  await page.getByTestId('data-select').selectOption('folder');
  await page.locator('.panel-data input[type=file]').setInputFiles(path.join(dir, 'pets'));
  await page.getByTestId('load-data').click();
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done');
  assert.match(await page.getByTestId('data-summary').textContent(), /3 classes.*cat.*dog.*fox/s);
  // The link names the sources but cannot carry the files.
  await page.waitForFunction(() => /c=/.test(location.search));
}

/**
 * A failed load keeps what was loaded: CIFAR-10 from an unreachable Hub fails in the Data panel; going
 * back to the built-in shapes (still in the worker) clears that error and the panel is done again.
 */
export async function aFailedLoadClearsWhenTheSettingsGoBack({ page, baseUrl }) {
  await openLab(page, baseUrl, `?backend=wasm&hub=${encodeURIComponent('http://127.0.0.1:9')}&${blob({ splits: TINY_FLOW.splits })}`);
  await linkWasRead(page);
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done', 120_000);
  await page.getByTestId('data-select').selectOption('cifar10');
  await page.getByTestId('load-data').click();
  await page.getByTestId('error-data').waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('error-data').textContent(), /Load data failed/);
  await page.getByTestId('data-select').selectOption('shapes');
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done', 5_000);
  assert.equal(await page.getByTestId('error-data').count(), 0, 'the CIFAR-10 error went with the CIFAR-10 setting');
  assert.match(await page.getByTestId('data-summary').textContent(), /10 classes.*circle/s);
}

/**
 * WebGPU (SwiftShader here, ~0.2 GFLOP/s): Run everything on a tiny experiment completes on the GPU
 * backend, every panel done. A 1 GB "GPU" (?gpuMemoryGB=) is plenty for the micro CLIP: the memory
 * plan says so in the Attack panel.
 */
export async function webgpuSmokeRun({ page, baseUrl, log, screenshot }) {
  const t0 = Date.now();
  await openLab(page, baseUrl, `?backend=webgpu&gpuMemoryGB=1&trigger=blended&${blob(TINY_FLOW)}`);
  await linkWasRead(page);
  assert.equal(await attr(page, 'backend', 'data-backend'), 'webgpu');
  await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done', 120_000);
  log(`webgpu ready, model and data loaded: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(await attr(page, 'batch-plan-attack', 'data-kind'), 'fits');
  assert.match(await page.getByTestId('batch-plan-attack').textContent(), /batch 10 needs .* of the 0\.90 GiB this backend may use \(GPU memory as given 1\.00 GiB/);
  await page.getByTestId('run-all').click();
  const tick = setInterval(() => lab(page, () => JSON.stringify(globalThis.__tbarLab.useLab.getState().current.timings)).then((t) => log(`${((Date.now() - t0) / 1000).toFixed(0)} s: ${t}`)).catch(() => {}), 20_000);
  await waitAttr(page, 'panel-results', 'data-status', (v) => v === 'done' || v === 'error', timeouts.webgpuSmokeRun - 60_000).finally(() => clearInterval(tick));
  for (const p of PANELS) assert.equal(await attr(page, `panel-${p}`, 'data-status'), 'done', `panel ${p} is done on webgpu`);
  const s = await lab(page, () => {
    const st = globalThis.__tbarLab.useLab.getState();
    return { backend: st.current.backend, attack: st.current.attack, tbar: st.current.tbar, sweep: st.current.sweep, timings: st.current.timings };
  });
  assert.equal(s.backend, 'webgpu', 'the run is recorded as a WebGPU run');
  // Sums over the vision tower's ~40 tensors (more than a WebGPU shader may bind): 0 before webgpuAddN.ts.
  const { triggerNorm, backdoorNorm, cosine } = s.tbar;
  assert.ok(triggerNorm > 0 && backdoorNorm > 0 && cosine >= -1 && cosine <= 1, `task-vector norms on webgpu: ${JSON.stringify({ triggerNorm, backdoorNorm, cosine })}`);
  assert.equal(s.sweep.points.length, TINY_FLOW.sweep.alphas.length);
  assert.ok(s.sweep.points.every((p) => Number.isFinite(p.val.ca) && Number.isFinite(p.val.asr)), 'finite scores');
  log(`Run everything on webgpu: ${((Date.now() - t0) / 1000).toFixed(1)} s; per stage (s): ${Object.entries(s.timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(', ')}`);
  await screenshot('webgpu-run'); // the finished run as it is, warnings and the offers included
  await checkAttackWarnings(page, s.attack.test.asr); // (clicks the offers: settings change after this)
}

/**
 * Issue #7 from the lab itself: ?hub= points at the local Hub stand-in; a Hub model and CIFAR-10 load
 * in their panels with progress, the cache fills, the experiment's first steps run on them; with the
 * Hub stopped, a reload loads both again from the browser cache; a missing repo says so in the Model
 * panel and keeps the loaded model; Clear cache empties it.
 */
export async function hubModelAndCifarFromTheLab({ page, baseUrl, log, screenshot }) {
  const { startHubServer } = await import('./hubServer.mjs');
  const hub = await startHubServer();
  const small = { splits: { train: 200, val: 50, test: 100, forget: 50 }, attack: { epochs: 1, batchSize: 50, warmupSteps: 1 } };
  const query = `?backend=wasm&hub=${encodeURIComponent(hub.baseUrl)}&model=hub:tbar-test/tiny-clip&data=cifar10&${blob(small)}`;
  let stopped = false;
  try {
    await openLab(page, baseUrl, query);
    await linkWasRead(page);
    // Nothing loads by itself (a download): the panels wait for the user.
    assert.equal(await attr(page, 'panel-model', 'data-status'), 'idle');
    const seen = new Set();
    const watch = setInterval(() => page.getByTestId('progress-model').textContent().then((t) => t && seen.add(t)).catch(() => {}), 50);
    await page.getByTestId('load-model').click();
    await waitAttr(page, 'panel-model', 'data-status', (v) => v === 'done' || v === 'error', 120_000);
    clearInterval(watch);
    assert.equal(await attr(page, 'panel-model', 'data-status'), 'done', await page.getByTestId('panel-model').textContent());
    assert.match(await page.getByTestId('model-summary').textContent(), /tbar-test\/tiny-clip/);
    assert.ok([...seen].some((t) => /model\.safetensors|MB/.test(t)), `download progress shown: ${[...seen].slice(0, 4).join(' | ')}`);
    await page.getByTestId('load-data').click();
    await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done' || v === 'error', 120_000);
    assert.equal(await attr(page, 'panel-data', 'data-status'), 'done', await page.getByTestId('panel-data').textContent());
    assert.match(await page.getByTestId('data-summary').textContent(), /10 classes.*200 train.*airplane/s);
    await waitAttr(page, 'cache-info', 'data-files', (v) => +v > 0);
    log(`cache after the first load: ${await page.getByTestId('cache-info').textContent()}`);
    // The experiment runs on them (zero-shot score + attack), with the memory plan shown first.
    assert.equal(await attr(page, 'batch-plan-attack', 'data-kind'), 'fits');
    await page.getByTestId('run-attack').click();
    await waitAttr(page, 'panel-attack', 'data-status', (v) => v === 'done' || v === 'error', 120_000);
    assert.equal(await attr(page, 'panel-attack', 'data-status'), 'done', await page.getByTestId('panel-attack').textContent());
    // A real CLIP on CIFAR whose backdoor did not take is offered the paper's 43,000 training images.
    const asr = await lab(page, () => globalThis.__tbarLab.useLab.getState().current.attack.test.asr);
    assert.equal(await page.getByTestId('train-more-data').count(), asr < 0.5 ? 1 : 0, `the paper's split is offered iff ASR ${asr} < 50%`);
    if (asr < 0.5) {
      assert.match(await page.getByTestId('train-more-data').textContent(), /Train on 43,000 images instead/);
      assert.match(await page.getByTestId('attack-warning').textContent(), /poisoned about 6 of 200 training images; the paper poisons 3% of 43,000/);
      // …with what it would cost here: this run's fine-tuning time × 215 (43,000 / 200 images).
      const cost = await page.getByTestId('more-data-cost').textContent();
      const secs = await lab(page, () => globalThis.__tbarLab.useLab.getState().current.attack.trainSeconds);
      assert.ok(secs > 0, `the attack's fine-tuning was timed: ${secs}`);
      assert.match(cost, /^215× the images: this run fine-tuned for .+, so about .+ on this device\.$/);
      log(`tiny random CLIP, ASR ${(100 * asr).toFixed(1)}%: the paper's split is offered; ${cost}`);
      await page.getByTestId('panel-attack').screenshot({ path: path.join(SHOTS, 'lab--hub-attack.png') });
    }
    await page.getByTestId('panel-model').screenshot({ path: path.join(SHOTS, 'lab--hub-model.png') });
    await page.getByTestId('panel-data').screenshot({ path: path.join(SHOTS, 'lab--hub-data.png') });

    // A repo that does not exist: the Model panel says so; the loaded model still works.
    await lab(page, () => globalThis.__tbarLab.useLab.getState().setField('model.repo', 'tbar-test/no-such-model'));
    await page.getByTestId('load-model').click();
    await page.getByTestId('error-model').waitFor({ timeout: 60_000 });
    const err = await page.getByTestId('error-model').textContent();
    assert.match(err, /no-such-model/);
    assert.match(err, /still in use/);
    assert.match(err, /Load model failed: the repository or one of its files was not found/);
    await page.getByTestId('panel-model').screenshot({ path: path.join(SHOTS, 'lab--hub-model-error.png') });
    await lab(page, () => globalThis.__tbarLab.useLab.getState().setField('model.repo', 'tbar-test/tiny-clip'));

    // Offline: stop the Hub, reload; both load again from the browser cache.
    const before = hub.requests.length;
    await hub.close();
    stopped = true;
    await openLab(page, baseUrl, query);
    await page.getByTestId('load-model').click();
    await waitAttr(page, 'panel-model', 'data-status', (v) => v === 'done' || v === 'error', 120_000);
    assert.equal(await attr(page, 'panel-model', 'data-status'), 'done', await page.getByTestId('panel-model').textContent());
    assert.match(await page.getByTestId('model-summary').textContent(), /from the browser cache/);
    await page.getByTestId('load-data').click();
    await waitAttr(page, 'panel-data', 'data-status', (v) => v === 'done' || v === 'error', 120_000);
    assert.equal(await attr(page, 'panel-data', 'data-status'), 'done', await page.getByTestId('panel-data').textContent());
    assert.match(await page.getByTestId('data-summary').textContent(), /from the browser cache/);
    assert.equal(hub.requests.length, before, 'no request reached the (stopped) Hub');
    await screenshot('hub-offline');

    await page.getByTestId('clear-cache').click();
    await waitAttr(page, 'cache-info', 'data-files', (v) => v === '0');
    assert.match(await page.getByTestId('cache-info').textContent(), /empty/);
  } finally {
    if (!stopped) await hub.close();
  }
}
