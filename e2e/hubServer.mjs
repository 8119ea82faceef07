// A local stand-in for the Hugging Face Hub (huggingface.co) for tests, e2e and benchmarks: the same
// URL layout, Range requests, CORS, LFS-style redirects for big files, and fault modes.
//
//   /{owner}/{repo}/resolve/{revision}/{path}            model repo files
//   /datasets/{owner}/{repo}/resolve/{revision}/{path}   dataset repo files
//   /__fault/{mode}/…                                    the same, with a fault (put it in the base URL:
//                                                        ?hub=http://127.0.0.1:PORT/__fault/truncate)
// Fault modes: truncate (weights/parquet bodies stop at 60% of their Content-Length, then the socket
// is cut), 404 (every file), html (JSON/Markdown files come back as an HTML page, 200 text/html),
// b16 (config.json says patch 16 — ViT-B/16 — while the weights are B/32), slow (~8 MB/s).
//
// Files come from a generated fixture folder (scripts/hub/makeHubFixtures.ts, run once into the
// gitignored e2e/artifacts/hub/), plus tokenizer.json, copied at serve time from
// ../shared/data/tinyclip-8m-16-text-3m-hf-tokenizer/ (CLIP's standard 49,408-token BPE). The repo
// tbar-test/tiny-clip-vocab serves vocab.json + merges.txt made from it instead of tokenizer.json.
//
//   const hub = await startHubServer();   // { baseUrl, requests, close() }
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const HUB_FIXTURES_DIR = path.join(ROOT, 'e2e/artifacts/hub');
/** The full-size ViT-B/32 checkpoint for the benchmark (repo tbar-bench/clip-vit-base-patch32-full). */
export const HUB_FULL_FIXTURES_DIR = path.join(ROOT, 'e2e/artifacts/hub-full');
export const TOKENIZER_JSON = path.resolve(ROOT, '../shared/data/tinyclip-8m-16-text-3m-hf-tokenizer/tokenizer.json');
const FIXTURE_VERSION = 3; // keep equal to scripts/hub/makeHubFixtures.ts

/** Whether `dir` holds fixtures of this version. */
function fixturesReady(dir, full) {
  try {
    return JSON.parse(readFileSync(path.join(dir, full ? 'stamp-full.json' : 'stamp.json'), 'utf8')).version === FIXTURE_VERSION;
  } catch {
    return false;
  }
}

/**
 * Generate the fixtures unless they are there already (tsx child process; ~15 s for the small set,
 * ~1 min for the full-size ViT-B/32). Generated into a temporary folder and renamed into place, so
 * parallel test files never see half-written fixtures.
 */
export function ensureHubFixtures({ dir = HUB_FIXTURES_DIR, full = false } = {}) {
  if (fixturesReady(dir, full)) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
  const args = [path.join(ROOT, 'scripts/hub/makeHubFixtures.ts'), tmp, ...(full ? ['--full'] : [])];
  const r = spawnSync(tsx, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=8192' } });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`generating the hub fixtures failed (${tsx} ${args.join(' ')} → ${r.status})`);
  }
  if (fixturesReady(dir, full)) {
    rmSync(tmp, { recursive: true, force: true }); // another process finished first
    return dir;
  }
  rmSync(dir, { recursive: true, force: true }); // stale version
  try {
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!fixturesReady(dir, full)) throw e;
  }
  return dir;
}

const FAULTS = new Set(['truncate', '404', 'html', 'b16', 'slow']);
const BIG = /\.(safetensors|parquet)$/;

let tokenizerCache = null;
function tokenizerJson() {
  if (!tokenizerCache) tokenizerCache = readFileSync(TOKENIZER_JSON);
  return tokenizerCache;
}

/** vocab.json + merges.txt of the shared tokenizer (HF's slow-tokenizer files). */
function slowTokenizerFiles() {
  const tok = JSON.parse(tokenizerJson().toString('utf8'));
  const merges = tok.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  return {
    'vocab.json': Buffer.from(JSON.stringify(tok.model.vocab)),
    'merges.txt': Buffer.from(`#version: 0.2\n${merges.join('\n')}\n`),
  };
}

const HTML_PAGE = Buffer.from('<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><h1>Please sign in</h1><p>This is a captive portal.</p></body></html>\n');

function contentType(p) {
  if (p.endsWith('.json')) return 'application/json; charset=utf-8';
  if (p.endsWith('.md')) return 'text/markdown; charset=utf-8';
  if (p.endsWith('.txt')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

/**
 * Resolve a repo file to { buffer } or { file, size } or null. `kind` = 'models' | 'datasets'.
 */
function resolveFile(dir, kind, repo, file, fault) {
  if (kind === 'models') {
    if (repo === 'tbar-test/tiny-clip-vocab') {
      if (file === 'tokenizer.json') return null;
      const slow = slowTokenizerFiles();
      if (slow[file]) return { buffer: slow[file] };
      return resolveFile(dir, kind, 'tbar-test/tiny-clip', file, fault);
    }
    if (file === 'tokenizer.json' && existsSync(path.join(dir, 'models', repo))) return { buffer: tokenizerJson() };
    if (file === 'config.json' && fault === 'b16') {
      const cfg = JSON.parse(readFileSync(path.join(dir, 'models', repo, 'config.json'), 'utf8'));
      cfg.vision_config.patch_size = 16;
      cfg._name_or_path = 'openai/clip-vit-base-patch16';
      return { buffer: Buffer.from(JSON.stringify(cfg, null, 2)) };
    }
  }
  const p = path.join(dir, kind, repo, file);
  if (!p.startsWith(path.join(dir, kind) + path.sep) || !existsSync(p) || !statSync(p).isFile()) return null;
  return { file: p, size: statSync(p).size };
}

function parseRange(h, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(h ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start;
  let end;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return { start, end };
}

/** Write `length` bytes of a source (buffer or file) honouring the fault mode. */
function sendBody(req, res, src, start, end, { truncateAt, slow }) {
  const length = end - start + 1;
  const limit = truncateAt === undefined ? length : Math.min(length, truncateAt);
  const stream = src.buffer ? null : createReadStream(src.file, { start, end: start + limit - 1, highWaterMark: 256 * 1024 });
  const chunks = src.buffer ? [src.buffer.subarray(start, start + limit)] : null;
  const finish = () => {
    if (limit < length) res.socket?.destroy(); // cut the connection: the client sees a short body
    else res.end();
  };
  if (chunks) {
    res.write(chunks[0]);
    finish();
    return;
  }
  stream.on('data', (chunk) => {
    if (!res.write(chunk)) {
      stream.pause();
      res.once('drain', () => stream.resume());
    }
    if (slow) {
      stream.pause();
      setTimeout(() => stream.resume(), Math.ceil(chunk.length / (8 * 1024 * 1024) * 1000));
    }
  });
  stream.on('end', finish);
  stream.on('error', () => res.socket?.destroy());
  req.on('close', () => stream.destroy());
}

/** Start the server on 127.0.0.1 (random port unless given). */
export async function startHubServer({ dir = HUB_FIXTURES_DIR, port = 0, generate = true } = {}) {
  if (generate) ensureHubFixtures({ dir });
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let p = decodeURIComponent(url.pathname);
    const entry = { method: req.method, path: p, range: req.headers.range, status: 0 };
    requests.push(entry);
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'range, content-type',
      'access-control-expose-headers': 'content-length, content-range, etag, accept-ranges',
    };
    const reply = (status, body, headers = {}) => {
      entry.status = status;
      res.writeHead(status, { ...cors, 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(body);
    };
    if (req.method === 'OPTIONS') return reply(204, '', { 'access-control-allow-methods': 'GET, HEAD, OPTIONS' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed');

    let fault = null;
    let m = /^\/__fault\/([^/]+)(\/.*)$/.exec(p);
    if (m) {
      if (!FAULTS.has(m[1])) return reply(400, `unknown fault ${m[1]}`);
      fault = m[1];
      p = m[2];
    }
    // LFS-style: big files redirect to a "CDN" path, as the Hub's resolve does
    let cdn = false;
    m = /^\/__cdn(\/.*)$/.exec(p);
    if (m) {
      cdn = true;
      p = m[1];
    }
    m = /^\/(datasets\/)?([\w.-]+\/[\w.-]+)\/resolve\/([^/]+)\/(.+)$/.exec(p);
    if (!m) return reply(404, 'Repository Not Found');
    const kind = m[1] ? 'datasets' : 'models';
    const repo = m[2];
    const file = m[4];
    if (fault === '404') return reply(404, 'Entry not found', { 'x-error-code': 'EntryNotFound' });
    const src = resolveFile(dir, kind, repo, file, fault);
    if (!src) return reply(404, 'Entry not found', { 'x-error-code': 'EntryNotFound' });
    if (fault === 'html' && /\.(json|md|txt)$/.test(file)) {
      entry.status = 200;
      res.writeHead(200, { ...cors, 'content-type': 'text/html; charset=utf-8', 'content-length': HTML_PAGE.length });
      return res.end(req.method === 'HEAD' ? undefined : HTML_PAGE);
    }
    if (BIG.test(file) && !cdn) {
      const prefix = fault ? `/__fault/${fault}` : '';
      entry.status = 302;
      res.writeHead(302, { ...cors, location: `${prefix}/__cdn${p}${url.search}` });
      return res.end();
    }
    const size = src.buffer ? src.buffer.length : src.size;
    const headers = {
      ...cors,
      'content-type': contentType(file),
      'accept-ranges': 'bytes',
      etag: `"${size}-${src.file ? statSync(src.file).mtimeMs.toFixed(0) : 'mem'}"`,
      'cache-control': 'no-store',
    };
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = parseRange(req.headers.range, size);
    if (range === 'invalid') return reply(416, 'range not satisfiable', { 'content-range': `bytes */${size}` });
    if (range) {
      ({ start, end } = range);
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['content-length'] = end - start + 1;
    entry.status = status;
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || size === 0) return res.end();
    const truncateAt = fault === 'truncate' && BIG.test(file) && status === 200 ? Math.floor(size * 0.6) : undefined;
    sendBody(req, res, src, start, end, { truncateAt, slow: fault === 'slow' });
  });
  // Idle keep-alive connections stay open longer than any pause between test steps (Node's default of
  // 5 s races with a client reusing the connection: ECONNRESET under load).
  server.keepAliveTimeout = 120_000;
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = server.address().port;
  return {
    baseUrl: `http://127.0.0.1:${actual}`,
    port: actual,
    dir,
    requests,
    /** Stop listening and cut open connections (a stopped hub, for the offline checks). */
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// `node e2e/hubServer.mjs [port]`: serve until Ctrl-C (handy with `npm run dev` and ?hub=…).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const hub = await startHubServer({ port: Number(process.argv[2] ?? 0) });
  console.log(`hub: ${hub.baseUrl} (fixtures in ${hub.dir}); open the lab with ?hub=${hub.baseUrl}`);
}
