// Shared by the e2e runner (e2e/run.mjs) and the bench (bench/run.mjs): build the app, serve it with
// `vite preview` on a free 127.0.0.1 port, and launch the system Chromium with WebGPU enabled.
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Chromium flags. Found by probing `navigator.gpu.requestAdapter()` in a page and in a dedicated
 * worker (Debian Chromium 156, headless, 2-core VM without GPU): without flags the adapter is null (WebGPU
 * is blocklisted on Linux without a supported GPU); `--enable-unsafe-webgpu` alone gives an adapter
 * in both — Chromium's bundled SwiftShader Vulkan (vendor 'google', architecture 'swiftshader',
 * info.isFallbackAdapter true, maxStorageBufferBindingSize = maxBufferSize = 1 GiB).
 * `--enable-features=Vulkan`, `--use-vulkan=swiftshader` and `--use-webgpu-adapter=swiftshader`
 * change nothing here, so they are left out. The rest keeps Chromium off the (closed) network.
 * Playwright already adds --no-sandbox (we run as root) and its own temporary profile.
 */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium({ headless = true } = {}) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install it with 'apt-get install -y chromium' (or set CHROMIUM_PATH)`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** A free TCP port on 127.0.0.1 (asked from the OS, then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** `vite build` → dist/ (programmatic, same config as `npm run build`). Returns seconds taken. */
export async function buildApp({ quiet = true } = {}) {
  const { build } = await import('vite');
  const t0 = performance.now();
  await build({ root: ROOT, logLevel: quiet ? 'warn' : 'info' });
  return (performance.now() - t0) / 1000;
}

/** `vite preview` of dist/ on a free port. Returns { baseUrl, close }. */
export async function serveApp() {
  if (!existsSync(path.join(ROOT, 'dist/index.html'))) throw new Error('dist/ is missing: build first (npm run build)');
  const { preview } = await import('vite');
  const port = await freePort();
  const server = await preview({
    root: ROOT,
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  const baseUrl = `http://127.0.0.1:${port}/`;
  return {
    baseUrl,
    close: () => new Promise((resolve) => server.httpServer.close(() => resolve())),
  };
}

export function fmtSeconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
