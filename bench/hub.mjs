#!/usr/bin/env node
// `npm run bench:hub`: loading a full-size ViT-B/32 checkpoint (random weights, 605 MB F32, generated
// once into the gitignored e2e/artifacts/hub-full/) from the local Hub stand-in (e2e/hubServer.mjs),
// and one fine-tuning step's memory.
//   Node (tfjs-wasm): load time, process RSS peak, wasm heap; one step at a small batch: tf.memory()
//     numBytes peak, the wasm heap really malloc'ed, and the memory plan's prediction.
//   Chromium (hub.html, wasm, module worker + Cache API): cold load (network → cache → tensors) and
//     warm load (cache → tensors, Hub stopped), with the peak RSS of the browser's processes.
// Prints a table and writes bench/results/hub-<timestamp>.json.
//
//   node bench/hub.mjs [--no-build] [--batch 2] [--skip-browser] [--skip-node]
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, buildApp, serveApp } from '../e2e/lib.mjs';
import { HUB_FULL_FIXTURES_DIR, ensureHubFixtures, startHubServer } from '../e2e/hubServer.mjs';

const REPO = 'tbar-bench/clip-vit-base-patch32-full';
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const build = !args.includes('--no-build');
const batch = Number(opt('--batch', 2));
const MB = (n) => (n / 1e6).toFixed(0);

/** Summed RSS (bytes) of every process descending from this one (Chromium's browser, GPU, renderer…). */
function descendantsRss() {
  const parent = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(Number(pid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const mine = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, pp] of parent) if (!mine.has(pid) && mine.has(pp)) (mine.add(pid), (grew = true));
  }
  mine.delete(process.pid);
  let rss = 0;
  for (const pid of mine) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) rss += Number(m[1]) * 1024;
    } catch {
      // gone
    }
  }
  return rss;
}

async function sampled(fn) {
  let peak = descendantsRss();
  const before = peak;
  const timer = setInterval(() => (peak = Math.max(peak, descendantsRss())), 50);
  try {
    const result = await fn();
    return { result, rssBefore: before, rssPeak: Math.max(peak, descendantsRss()) };
  } finally {
    clearInterval(timer);
  }
}

function printTable(rows) {
  const head = ['case', 'where', 'time s', 'peak MB', 'note'];
  const body = rows.map((r) => head.map((h) => String(r[h] ?? '')));
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(w[i])).join('  ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const b of body) console.log(line(b));
}

async function main() {
  const t0 = performance.now();
  ensureHubFixtures({ dir: HUB_FULL_FIXTURES_DIR, full: true });
  console.log(`bench:hub: fixtures ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${HUB_FULL_FIXTURES_DIR})`);
  const rows = [];
  const out = { env: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMem: os.totalmem() }, batch };

  if (!args.includes('--skip-node')) {
    const hub = await startHubServer({ dir: HUB_FULL_FIXTURES_DIR, generate: false });
    try {
      // async: this process serves the Hub while the child loads from it
      const r = await new Promise((resolve) => {
        const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'bench/hub.node.ts'), hub.baseUrl, String(batch)], {
          cwd: ROOT,
          env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=8192' },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
      if (r.status !== 0) throw new Error(`bench/hub.node.ts failed:\n${r.stderr}`);
      const node = JSON.parse(r.stdout.trim().split('\n').at(-1));
      out.node = node;
      rows.push({ case: 'load ViT-B/32 (605 MB, F32) from the local Hub', where: 'node wasm', 'time s': (node.load.ms / 1000).toFixed(1), 'peak MB': `RSS ${MB(node.load.rssPeak)} (+${MB(node.load.rssPeak - node.load.rssBefore)})`, note: `wasm heap ${MB(node.load.wasmHeapBytes)} MB after` });
      rows.push({
        case: `one fine-tuning step, batch ${node.step.batch}`,
        where: 'node wasm',
        'time s': (node.step.ms / 1000).toFixed(1),
        'peak MB': `heap +${MB(node.step.wasmHeapPeakAboveWeights)} (plan ${MB(node.step.plannedStepBytes)})`,
        note: `tf.memory().numBytes peak ${MB(node.step.tfNumBytesPeak)} MB (counts views twice); wasm heap total ${MB(node.step.wasmHeapPeakTotal)} MB`,
      });
    } finally {
      await hub.close();
    }
  }

  if (!args.includes('--skip-browser')) {
    if (build) console.log(`bench:hub: built dist/ in ${(await buildApp()).toFixed(1)} s`);
    const app = await serveApp();
    // A persistent profile: storage on disk with the normal quota (Playwright's default contexts are
    // incognito-like, whose in-memory Cache API refuses a 605 MB body).
    const { chromium } = await import('playwright-core');
    const profile = path.join(ROOT, 'e2e/artifacts/bench-hub-profile');
    rmSync(profile, { recursive: true, force: true });
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
    const browser = { version: () => context.browser()?.version() ?? 'chromium', close: () => context.close() };
    const hub = await startHubServer({ dir: HUB_FULL_FIXTURES_DIR, generate: false });
    try {
      const page = await context.newPage();
      const open = async () => {
        await page.goto(`${app.baseUrl}hub.html?hub=${encodeURIComponent(hub.baseUrl)}&backend=wasm`);
        await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 120_000 });
      };
      await open();
      const cold = await sampled(() => page.evaluate((repo) => __hub.loadModel(repo), REPO));
      const port = hub.port;
      await hub.close(); // warm: the Hub is gone, everything comes from the Cache API
      await open();
      const warm = await sampled(() => page.evaluate((repo) => __hub.loadModel(repo), REPO));
      const info = await page.evaluate(() => __hub.cacheInfo());
      out.browser = { chromium: browser.version(), cold, warm, cacheBytes: info.totalBytes, hubPort: port };
      rows.push({ case: 'load ViT-B/32, cold (download → Cache API → tensors)', where: 'chromium wasm', 'time s': (cold.result.ms / 1000).toFixed(1), 'peak MB': `RSS ${MB(cold.rssPeak)} (+${MB(cold.rssPeak - cold.rssBefore)})`, note: `cache ${MB(info.totalBytes)} MB` });
      rows.push({ case: 'load ViT-B/32, warm (Cache API → tensors, Hub stopped)', where: 'chromium wasm', 'time s': (warm.result.ms / 1000).toFixed(1), 'peak MB': `RSS ${MB(warm.rssPeak)} (+${MB(warm.rssPeak - warm.rssBefore)})`, note: warm.result.fromCache ? 'from cache' : 'NOT from cache' });
      await page.evaluate(() => __hub.clearCache());
    } finally {
      await browser.close().catch(() => {});
      await app.close();
      await hub.close();
    }
  }

  printTable(rows);
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const file = path.join(ROOT, `bench/results/hub-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ ...out, rows }, null, 2));
  console.log(`bench:hub: wrote ${path.relative(ROOT, file)}`);
}

main().catch((e) => {
  console.error(`bench:hub: ${e.stack ?? e}`);
  process.exit(1);
});
