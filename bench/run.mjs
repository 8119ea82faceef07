#!/usr/bin/env node
// `npm run bench`: build the app, serve it, open bench.html in headless Chromium once per backend
// (WebGPU — SwiftShader on a machine without GPU —, WASM, CPU) and run every registered case
// (src/bench/cases.ts). Prints a table and writes bench/results/<case>-<timestamp>.json.
//
//   node bench/run.mjs [--no-build] [--backends webgpu,wasm,cpu] [--cases matmul-1024] [--quick] [--no-cap]
//
// A case with a time cap (the CLIP cases) is skipped, with the reason printed, on a backend where its
// estimated time is over the cap (runner.ts); --no-cap runs it anyway.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, buildApp, launchChromium, serveApp } from '../e2e/lib.mjs';
import { fmt, printTable } from './table.mjs';

const RESULTS = path.join(ROOT, 'bench/results');
const CASE_TIMEOUT_MS = 10 * 60_000;

function parseArgs(argv) {
  const o = { build: true, backends: ['webgpu', 'wasm', 'cpu'], cases: null, quick: false, cap: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-build') o.build = false;
    else if (a === '--backends') o.backends = argv[++i].split(',');
    else if (a === '--cases') o.cases = argv[++i].split(',');
    else if (a === '--quick') o.quick = true;
    else if (a === '--no-cap') o.cap = false;
    else throw new Error(`unknown argument ${a} (see the header of bench/run.mjs)`);
  }
  return o;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.build) console.log(`bench: built dist/ in ${(await buildApp()).toFixed(1)} s`);
  const server = await serveApp();
  const browser = await launchChromium();
  const env = {
    chromium: browser.version(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    platform: `${os.platform()} ${os.release()}`,
  };
  console.log(`bench: chromium ${env.chromium} · ${env.cpus} × ${env.cpuModel}`);
  const rows = [];
  const backends = {};
  try {
    for (const backend of opts.backends) {
      const page = await browser.newPage();
      page.on('pageerror', (e) => console.log(`  [${backend}] page error: ${e.message}`));
      await page.goto(`${server.baseUrl}bench.html?backend=${backend}`);
      let info;
      try {
        info = await page.evaluate(() => globalThis.__bench.ready);
      } catch (e) {
        console.log(`  ${backend}: could not start (${e.message.split('\n')[0]})`);
        rows.push({ case: '*', backend, error: 'backend failed to start' });
        await page.close();
        continue;
      }
      backends[backend] = info;
      console.log(`  ${backend}: ${info.reason}`);
      const names = await page.evaluate(() => globalThis.__bench.cases);
      for (const name of names.filter((n) => !opts.cases || opts.cases.includes(n))) {
        const runOpts = { ...(opts.quick ? { minIters: 1, minTimeMs: 0, maxTimeMs: 0 } : {}), ...(opts.cap ? {} : { timeCapMs: Infinity }) };
        page.setDefaultTimeout(CASE_TIMEOUT_MS);
        try {
          const r = await page.evaluate(([n, o]) => globalThis.__bench.run(n, o), [name, runOpts]);
          rows.push(r);
          if (r.skipped) console.log(`  ${backend}: ${name} skipped: ${r.skipped}`);
          else console.log(`  ${backend}: ${name} ${fmt(r.medianMs, 1)} ms${r.gflops ? ` · ${fmt(r.gflops)} GFLOP/s` : ''}`);
        } catch (e) {
          rows.push({ case: name, backend, error: e.message.split('\n')[0] });
        }
      }
      await page.close();
    }
  } finally {
    await browser.close().catch(() => {});
    await server.close();
  }

  console.log('');
  printTable(rows);

  mkdirSync(RESULTS, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (const name of [...new Set(rows.map((r) => r.case).filter((c) => c !== '*'))]) {
    const file = path.join(RESULTS, `${name}-${stamp}.json`);
    const results = rows.filter((r) => r.case === name);
    writeFileSync(file, JSON.stringify({ case: name, timestamp: new Date().toISOString(), env, backends, results }, null, 2));
    console.log(`bench: wrote ${path.relative(ROOT, file)}`);
  }
  if (rows.some((r) => r.error)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`bench: ${e.stack ?? e}`);
  process.exit(1);
});
