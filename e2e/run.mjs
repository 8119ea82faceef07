#!/usr/bin/env node
// The e2e runner (`npm run test:e2e`): vite build → vite preview on a free 127.0.0.1 port → every
// e2e/*.spec.mjs in headless /usr/bin/chromium via playwright-core.
//
// A spec exports named async tests:  export async function opensTheApp({ page, baseUrl, screenshot }) {…}
// Each test gets a fresh browser context and page: { browser, context, page, baseUrl, screenshot(name), log }.
// Optional per-spec `export const timeouts = { testName: ms }` (default 120 s). Tests run one after
// another; a test fails on a throw, a timeout, or an uncaught page/worker error.
// Screenshots go to e2e/screenshots/<spec>--<name>.png (gitignored).
//
//   node e2e/run.mjs [--no-build] [--grep text] [spec-name …]
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, buildApp, fmtSeconds, launchChromium, serveApp } from './lib.mjs';

const DEFAULT_TIMEOUT_MS = 120_000;
const E2E = path.join(ROOT, 'e2e');
const SHOTS = path.join(E2E, 'screenshots');

function parseArgs(argv) {
  const o = { build: true, grep: null, specs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-build') o.build = false;
    else if (a === '--grep') o.grep = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log('node e2e/run.mjs [--no-build] [--grep text] [spec-name …]');
      process.exit(0);
    } else o.specs.push(a.replace(/\.spec\.mjs$/, ''));
  }
  return o;
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${fmtSeconds(ms)}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  mkdirSync(SHOTS, { recursive: true });

  const specFiles = readdirSync(E2E)
    .filter((f) => f.endsWith('.spec.mjs'))
    .filter((f) => opts.specs.length === 0 || opts.specs.includes(f.replace(/\.spec\.mjs$/, '')))
    .sort();
  if (specFiles.length === 0) throw new Error('no e2e/*.spec.mjs matched');

  if (opts.build) {
    const s = await buildApp();
    console.log(`e2e: built dist/ in ${s.toFixed(1)} s`);
  }
  const server = await serveApp();
  const browser = await launchChromium();
  console.log(`e2e: serving ${server.baseUrl} · chromium ${browser.version()}`);

  const results = [];
  try {
    for (const file of specFiles) {
      const spec = file.replace(/\.spec\.mjs$/, '');
      const mod = await import(pathToFileURL(path.join(E2E, file)).href);
      const timeouts = mod.timeouts ?? {};
      const tests = Object.entries(mod).filter(
        ([name, fn]) => typeof fn === 'function' && !name.startsWith('_') && (!opts.grep || name.includes(opts.grep)),
      );
      for (const [name, fn] of tests) {
        const title = `${spec} › ${name}`;
        const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
        const page = await context.newPage();
        const pageErrors = [];
        const consoleLines = [];
        page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
        page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
        page.on('worker', (w) => w.on('console', (m) => consoleLines.push(`[worker ${m.type()}] ${m.text()}`)));
        const screenshot = async (shot) => {
          const p = path.join(SHOTS, `${spec}--${shot}.png`);
          await page.screenshot({ path: p, fullPage: true });
          return p;
        };
        const log = (...a) => console.log(`    ${a.join(' ')}`);
        const ms = timeouts[name] ?? DEFAULT_TIMEOUT_MS;
        const start = performance.now();
        let error = null;
        try {
          await withTimeout(Promise.resolve(fn({ browser, context, page, baseUrl: server.baseUrl, screenshot, log })), ms, title);
          if (pageErrors.length) throw new Error(pageErrors.join('\n'));
        } catch (e) {
          error = e;
          await screenshot(`${name}--FAILED`).catch(() => {});
        }
        const dt = performance.now() - start;
        await context.close().catch(() => {});
        results.push({ title, ok: !error, ms: dt });
        if (error) {
          console.log(`  ✗ ${title} (${fmtSeconds(dt)})\n    ${String(error.stack ?? error).split('\n').join('\n    ')}`);
          if (consoleLines.length) console.log(`    console:\n      ${consoleLines.slice(-30).join('\n      ')}`);
        } else {
          console.log(`  ✓ ${title} (${fmtSeconds(dt)})`);
        }
      }
    }
  } finally {
    await browser.close().catch(() => {});
    await server.close();
  }

  const failed = results.filter((r) => !r.ok);
  console.log(
    `\ne2e: ${results.length - failed.length} passed, ${failed.length} failed, ${results.length} total · ${fmtSeconds(performance.now() - t0)}`,
  );
  if (results.length === 0) {
    console.log('e2e: no tests ran');
    process.exitCode = 1;
  }
  if (failed.length) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`e2e: ${e.stack ?? e}`);
  process.exit(1);
});
