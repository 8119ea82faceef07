/**
 * Fetching Hub files: cache-first, with byte progress (speed, ETA), truncation and content checks,
 * and typed errors (errors.ts). One HubClient per load; it carries the fetch function (injectable
 * for tests), the cache (or none), the AbortSignal and the progress callback.
 *
 * Big files (weights, parquet) go network → cache → stream: the body is written into the Cache API
 * as it arrives (nothing held in memory), then read back from the cache as a stream. A second load
 * only does the second half, offline. When there is no cache, or the free quota is smaller than the
 * file, or the cache refuses mid-way (QuotaExceededError), the file is streamed from the network
 * uncached instead and `warnings` says so.
 */
import { HubCache, freeStorageBytes } from './cache';
import { HubError, KEEPS_PREVIOUS, cancelled, isAbortError, isQuotaError, throwIfAborted } from './errors';
import { type LoadPhase, type ProgressFn, RateMeter, formatBytes, throttle } from './progress';
import { fileNameOf } from './url';

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export interface HubClientOptions {
  fetch?: FetchFn;
  /** The cache to use; null = none. */
  cache?: HubCache | null;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Free bytes to keep beyond the file when deciding whether to cache it (default 64 MB). */
  quotaMarginBytes?: number;
}

export interface StreamedFile {
  stream: ReadableStream<Uint8Array>;
  /** Exact size when known (Content-Length without content coding, or the cached size). */
  totalBytes: number | undefined;
  /** True when this load read the file from the cache (no network). */
  fromCache: boolean;
  /** True when the file is now in the cache (was there, or was stored by this load). */
  cached: boolean;
}

/** Progress accounting across several files (e.g. shards): bytes before this file and in all. */
export interface ByteSpan {
  offset: number;
  grandTotal?: number;
}

function statusError(url: string, status: number, what: string): HubError {
  const file = fileNameOf(url);
  if (status === 404) {
    return new HubError('not-found', `${what}: ${file} was not found (HTTP 404 at ${url}). Check the repo id and revision, and that the hub address is right. ${KEEPS_PREVIOUS}`, { url, status });
  }
  if (status === 401 || status === 403) {
    return new HubError('not-found', `${what}: access to ${file} was refused (HTTP ${status}): the repo is private or gated, or the name is wrong. Use a public repo, or download the files and drop them on the page. ${KEEPS_PREVIOUS}`, { url, status });
  }
  return new HubError('http-error', `${what}: the server answered HTTP ${status} for ${file} (${url}). Try again later, or check the hub address. ${KEEPS_PREVIOUS}`, { url, status });
}

export class HubClient {
  readonly fetchFn: FetchFn;
  readonly cache: HubCache | null;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: ProgressFn | undefined;
  readonly warnings: string[] = [];
  private readonly quotaMargin: number;

  constructor(opts: HubClientOptions = {}) {
    this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
    this.cache = opts.cache ?? null;
    this.signal = opts.signal;
    this.onProgress = opts.onProgress;
    this.quotaMargin = opts.quotaMarginBytes ?? 64e6;
  }

  /** fetch with typed errors for network failures, aborts and HTTP statuses. */
  async request(url: string, what: string, init: RequestInit = {}): Promise<Response> {
    throwIfAborted(this.signal, what);
    let res: Response | undefined;
    // One retry after a connection-level failure (a kept-alive connection the server closed, a reset):
    // GETs are idempotent, and a second failure is reported as it is.
    for (let attempt = 0; !res; attempt++) {
      try {
        res = await this.fetchFn(url, { ...init, signal: this.signal });
      } catch (e) {
        if (isAbortError(e) || this.signal?.aborted) throw cancelled(what);
        if (attempt === 0) {
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
        throw new HubError('network', `${what}: could not reach ${url} (${(e as Error)?.message ?? e}). You are offline or the hub address is wrong; files loaded before are in the cache and load without a network. ${KEEPS_PREVIOUS}`, { url, cause: e });
      }
    }
    if (!res.ok && res.status !== 206) {
      await res.body?.cancel().catch(() => {});
      throw statusError(url, res.status, what);
    }
    return res;
  }

  /** Expected body size: Content-Length unless the body is content-coded (then the decoded size differs). */
  static bodySize(res: Response): number | undefined {
    const enc = res.headers.get('content-encoding');
    if (enc && enc !== 'identity') return undefined;
    const n = Number(res.headers.get('content-length') ?? NaN);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  }

  /**
   * A counting pass-through: reports download progress, and turns "ended early" (fewer bytes than
   * expected, or the network stream failing mid-way) into HubError('truncated').
   */
  private counter(
    url: string,
    what: string,
    expected: number | undefined,
    phase: LoadPhase,
    span: ByteSpan | undefined,
    failure: { error?: unknown },
  ): TransformStream<Uint8Array, Uint8Array> {
    const meter = new RateMeter();
    const report = throttle(this.onProgress, 100);
    const offset = span?.offset ?? 0;
    const grand = span?.grandTotal ?? (expected === undefined ? undefined : offset + expected);
    let n = 0;
    const emit = (force: boolean) => {
      const bytes = offset + n;
      const { bytesPerSec, etaMs } = meter.update(bytes, grand);
      const speed = bytesPerSec > 0 ? `, ${formatBytes(bytesPerSec)}/s` : '';
      const eta = etaMs !== undefined && Number.isFinite(etaMs) ? `, ${Math.ceil(etaMs / 1000)} s left` : '';
      report(
        {
          phase,
          done: bytes,
          total: grand ?? 0,
          bytes,
          totalBytes: grand,
          bytesPerSec,
          etaMs,
          message: `${what}: ${formatBytes(bytes)}${grand !== undefined ? ` of ${formatBytes(grand)}` : ''}${speed}${eta}`,
        },
        force,
      );
    };
    emit(true);
    return new TransformStream<Uint8Array, Uint8Array>({
      transform: (chunk, controller) => {
        n += chunk.byteLength;
        if (expected !== undefined && n > expected) {
          failure.error ??= new HubError('wrong-content', `${what}: ${fileNameOf(url)} is longer than its Content-Length (${expected} bytes). ${KEEPS_PREVIOUS}`, { url });
          controller.error(failure.error);
          return;
        }
        controller.enqueue(chunk);
        emit(false);
      },
      flush: (controller) => {
        if (expected !== undefined && n < expected) {
          failure.error ??= truncatedError(url, what, n, expected);
          controller.error(failure.error);
          return;
        }
        emit(true);
      },
    });
  }

  /** Pipe a network body through the counter, mapping mid-stream failures to 'truncated'/'cancelled'. */
  private counted(
    res: Response,
    url: string,
    what: string,
    phase: LoadPhase,
    span?: ByteSpan,
  ): { stream: ReadableStream<Uint8Array>; expected: number | undefined; failure: { error?: unknown } } {
    const failure: { error?: unknown } = {};
    const expected = HubClient.bodySize(res);
    if (!res.body) throw new HubError('wrong-content', `${what}: the server sent no body for ${url}. ${KEEPS_PREVIOUS}`, { url });
    let n = 0;
    const signal = this.signal;
    // Count before the counter too, so that a failing read knows how far it got.
    const guard = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        n += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const reader = res.body.getReader();
    const source = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const r = await reader.read();
          if (r.done) controller.close();
          else controller.enqueue(r.value);
        } catch (e) {
          failure.error =
            signal?.aborted || isAbortError(e)
              ? cancelled(what)
              : expected !== undefined && n < expected
                ? truncatedError(url, what, n, expected, e)
                : new HubError('network', `${what}: the download of ${fileNameOf(url)} failed after ${formatBytes(n)} (${(e as Error)?.message ?? e}). Try again. ${KEEPS_PREVIOUS}`, { url, cause: e });
          controller.error(failure.error);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
    const counter = this.counter(url, what, expected, phase, span, failure);
    return { stream: source.pipeThrough(guard).pipeThrough(counter), expected, failure };
  }

  /** The whole body as bytes (small files, and parquet which hyparquet reads by random access). */
  async bytes(
    url: string,
    what: string,
    opts: { phase?: LoadPhase; span?: ByteSpan; validate?: (bytes: Uint8Array) => void } = {},
  ): Promise<{ bytes: Uint8Array; fromCache: boolean }> {
    const hit = await this.cache?.get(url);
    if (hit) return { bytes: await readAll(hit.body, this.signal, what), fromCache: true };
    const res = await this.request(url, what);
    const contentType = res.headers.get('content-type') ?? '';
    const { stream } = this.counted(res, url, what, opts.phase ?? 'download', opts.span);
    const bytes = await readAll(stream, this.signal, what);
    opts.validate?.(bytes); // never cache a file that is wrong (an HTML page, a truncated file…)
    if (this.cache) {
      try {
        await this.cache.put(url, bytes, { contentType });
      } catch (e) {
        this.warnCacheFailure(url, e);
      }
    }
    return { bytes, fromCache: false };
  }

  /** Text (UTF-8) of a small file. */
  async text(url: string, what: string, validate?: (text: string) => void): Promise<{ text: string; fromCache: boolean }> {
    const decode = (b: Uint8Array) => new TextDecoder('utf-8').decode(b);
    const { bytes, fromCache } = await this.bytes(url, what, { validate: validate && ((b) => validate(decode(b))) });
    return { text: decode(bytes), fromCache };
  }

  /** A JSON file, refusing HTML pages, LFS pointers and non-JSON with a clear message (and never caching them). */
  async json(url: string, what: string): Promise<{ json: unknown; fromCache: boolean }> {
    let json: unknown;
    const { text, fromCache } = await this.text(url, what, (t) => {
      json = parseJsonText(t, url, what);
    });
    return { json: json ?? parseJsonText(text, url, what), fromCache };
  }

  /**
   * A large file as a stream (see the module comment). `span` aggregates progress over several files.
   */
  async stream(url: string, what: string, span?: ByteSpan): Promise<StreamedFile> {
    const hit = await this.cache?.get(url);
    if (hit) return { stream: hit.body, totalBytes: hit.bytes, fromCache: true, cached: true };
    const res = await this.request(url, what);
    const expected = HubClient.bodySize(res);
    const contentType = res.headers.get('content-type') ?? '';
    if (this.cache) {
      const free = await freeStorageBytes();
      if (expected !== undefined && free !== undefined && free < expected + this.quotaMargin) {
        this.warnings.push(`${fileNameOf(url)} (${formatBytes(expected)}) was not cached: only ${formatBytes(free)} of browser storage is free. Clear the cache or free disk space to make the next load offline.`);
      } else {
        const { stream, failure } = this.counted(res, url, what, 'download', span);
        try {
          await this.cache.put(url, stream, { bytes: expected, contentType });
          const stored = await this.cache.get(url);
          if (stored) return { stream: stored.body, totalBytes: stored.bytes ?? expected, fromCache: false, cached: true };
          this.warnings.push(`${fileNameOf(url)} was stored in the cache but could not be read back; loading it from the network.`);
        } catch (e) {
          // Browsers reject Cache.put with a generic "network error" when the body stream fails:
          // the reason is the error our counting stream raised.
          if (failure.error) throw failure.error;
          if (e instanceof HubError) throw e; // truncated, cancelled, wrong content: the load fails
          if (this.signal?.aborted) throw cancelled(what);
          // The cache refused the file (quota; Chrome's in-memory storage of incognito windows
          // rejects big bodies with "Unexpected internal error"): load it uncached instead.
          this.warnCacheFailure(url, e);
        }
        // the first body was consumed by the failed put: fetch again, uncached
        const again = await this.request(url, what);
        const c = this.counted(again, url, what, 'download', span);
        return { stream: c.stream, totalBytes: c.expected, fromCache: false, cached: false };
      }
    }
    const c = this.counted(res, url, what, 'download', span);
    return { stream: c.stream, totalBytes: c.expected, fromCache: false, cached: false };
  }

  /**
   * Bytes [start, end) of a file by an HTTP Range request; falls back to reading the prefix of a full
   * response when the server ignores Range (200). Not cached (used for header preflights).
   */
  async range(url: string, start: number, end: number, what: string): Promise<{ bytes: Uint8Array; fileBytes: number | undefined }> {
    const res = await this.request(url, what, { headers: { Range: `bytes=${start}-${end - 1}` } });
    if (res.status === 206) {
      const total = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '')?.[1];
      const bytes = await readAll(res.body!, this.signal, what);
      if (bytes.byteLength < end - start && (total === undefined || Number(total) >= end)) {
        throw truncatedError(url, what, start + bytes.byteLength, end);
      }
      return { bytes, fileBytes: total === undefined ? undefined : Number(total) };
    }
    // 200: the server sent the whole file; read only what we need and drop the rest
    const fileBytes = HubClient.bodySize(res);
    const reader = res.body!.getReader();
    const out = new Uint8Array(end - start);
    let pos = 0; // bytes of the file seen
    try {
      while (pos < end) {
        const r = await reader.read();
        if (r.done) break;
        const chunk = r.value;
        const from = Math.max(start - pos, 0);
        const to = Math.min(end - pos, chunk.byteLength);
        if (to > from) out.set(chunk.subarray(from, to), pos + from - start);
        pos += chunk.byteLength;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
    return { bytes: out.subarray(0, Math.max(0, Math.min(pos, end) - start)), fileBytes };
  }

  private warnCacheFailure(url: string, e: unknown): void {
    this.warnings.push(
      isQuotaError(e)
        ? `${fileNameOf(url)} was not cached: the browser's storage quota is full. Clear the cache (Model panel) to make the next load offline.`
        : `${fileNameOf(url)} was not cached (${(e as Error)?.message ?? e}).`,
    );
  }
}

export function truncatedError(url: string, what: string, got: number, expected: number, cause?: unknown): HubError {
  return new HubError(
    'truncated',
    `${what}: the download of ${fileNameOf(url)} stopped at ${formatBytes(got)} of ${formatBytes(expected)} (the connection was cut or the server sent a truncated file). Nothing was cached; try again. ${KEEPS_PREVIOUS}`,
    { url, cause },
  );
}

/** Read a stream to the end into one Uint8Array. */
export async function readAll(stream: ReadableStream<Uint8Array>, signal: AbortSignal | undefined, what: string): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  try {
    for (;;) {
      if (signal?.aborted) throw cancelled(what);
      const r = await reader.read();
      if (r.done) break;
      parts.push(r.value);
      n += r.value.byteLength;
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(n);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.byteLength;
  }
  return out;
}

/** What a text that should be JSON looks like instead (for messages). */
export function sniffText(text: string): string {
  const head = text.trimStart().slice(0, 200).toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || /^<\w/.test(head)) return 'an HTML page (a login or error page, or the wrong hub address)';
  if (head.startsWith('version https://git-lfs')) return 'a Git LFS pointer (the real file was not downloaded)';
  return 'not JSON';
}

export function parseJsonText(text: string, url: string, what: string): unknown {
  const t = text.replace(/^\uFEFF/, '');
  const first = t.trimStart()[0];
  if (first !== '{' && first !== '[') {
    throw new HubError('wrong-content', `${what}: ${fileNameOf(url)} is ${sniffText(t)}, not JSON (${url}). Check the hub address and repo id. ${KEEPS_PREVIOUS}`, { url });
  }
  try {
    return JSON.parse(t);
  } catch (e) {
    throw new HubError('wrong-content', `${what}: ${fileNameOf(url)} is not valid JSON (${(e as Error).message}); the file may be truncated or corrupt. ${KEEPS_PREVIOUS}`, { url, cause: e });
  }
}
