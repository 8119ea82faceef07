/**
 * The download cache: Hub files (config, tokenizer, weights, parquet) and computed text heads, kept in
 * the browser across reloads so that a second load is offline and fast.
 *
 * Why the Cache API (and not OPFS or IndexedDB):
 * - It is keyed by URL, which is exactly what a Hub file is (repo + revision + path), and it is
 *   available in the module worker where the engine runs (`self.caches`), without a user gesture.
 * - It streams both ways: `cache.put(url, new Response(stream))` writes a 600 MB body to disk as it
 *   arrives, and `(await cache.match(url)).body` reads it back as a stream, so neither the download
 *   nor the cached load holds the file in memory (the safetensors reader consumes the stream tensor by
 *   tensor). OPFS would need a hand-written index, FileSystemSyncAccessHandle plumbing and its own
 *   streaming; IndexedDB stores values whole (a 600 MB ArrayBuffer in memory at once).
 * - A put whose stream fails (truncated download, cancel, quota) stores nothing, so a partial file
 *   can never be served later as if it were complete.
 * - Its quota is the origin's storage quota (navigator.storage.estimate()); we check the free space
 *   before caching a large file and fall back to an uncached, streamed load when it does not fit.
 *
 * Policy: cache-first. A cached `main` revision is used as is (a new upstream commit is not noticed
 * until the cache is cleared; pin `revision` to a commit for strict reproducibility). `clearCache()`
 * empties everything; `cacheInfo()` reports sizes.
 *
 * The small `CacheLike` / `CacheStorageLike` interfaces are the subset of the Cache API we use, so
 * Node tests run the same code against `MemoryCacheStorage`.
 */
import { isQuotaError } from './errors';

export const HUB_CACHE_NAME = 'tbar-lab-hub-v1';
/** Response header with the body's size in bytes (set by us on put). */
const SIZE_HEADER = 'x-tbar-size';
const STORED_HEADER = 'x-tbar-stored';

export interface CacheLike {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
  delete(request: string): Promise<boolean>;
  keys(): Promise<ReadonlyArray<{ url: string }>>;
}

export interface CacheStorageLike {
  open(name: string): Promise<CacheLike>;
  delete(name: string): Promise<boolean>;
}

export interface CacheEntry {
  url: string;
  bytes: number;
  storedAt?: string;
}

export interface CacheInfo {
  entries: CacheEntry[];
  /** Sum of the entries' sizes. */
  totalBytes: number;
  /** navigator.storage.estimate() of the whole origin, where available. */
  usage?: number;
  quota?: number;
}

/** The browser's CacheStorage (window or worker), or null (Node, insecure context, disabled storage). */
export function defaultCacheStorage(): CacheStorageLike | null {
  const c = (globalThis as { caches?: CacheStorageLike }).caches;
  return c && typeof c.open === 'function' ? c : null;
}

/** Free bytes of the origin's storage quota, or undefined when the browser does not say. */
export async function freeStorageBytes(): Promise<number | undefined> {
  const storage = (globalThis as { navigator?: { storage?: { estimate?: () => Promise<{ usage?: number; quota?: number }> } } }).navigator?.storage;
  if (!storage?.estimate) return undefined;
  try {
    const { usage, quota } = await storage.estimate();
    return quota !== undefined && usage !== undefined ? Math.max(0, quota - usage) : undefined;
  } catch {
    return undefined;
  }
}

export class HubCache {
  private constructor(
    private readonly cache: CacheLike,
    private readonly storage: CacheStorageLike,
    readonly name: string,
  ) {}

  /** Open the cache; null when there is no CacheStorage or it refuses (private mode, disabled storage). */
  static async open(storage: CacheStorageLike | null = defaultCacheStorage(), name = HUB_CACHE_NAME): Promise<HubCache | null> {
    if (!storage) return null;
    try {
      return new HubCache(await storage.open(name), storage, name);
    } catch {
      return null;
    }
  }

  /** A cached body as a stream with its size, or null. */
  async get(url: string): Promise<{ body: ReadableStream<Uint8Array>; bytes: number | undefined; contentType: string } | null> {
    let res: Response | undefined;
    try {
      res = await this.cache.match(url);
    } catch {
      return null;
    }
    if (!res || !res.body) return null;
    const size = Number(res.headers.get(SIZE_HEADER) ?? res.headers.get('content-length') ?? NaN);
    return { body: res.body, bytes: Number.isFinite(size) ? size : undefined, contentType: res.headers.get('content-type') ?? '' };
  }

  async has(url: string): Promise<boolean> {
    try {
      return (await this.cache.match(url)) !== undefined;
    } catch {
      return false;
    }
  }

  /**
   * Store a body. The promise settles when the whole stream has been written; if the stream errors
   * (truncated, cancelled) or the quota is exceeded it rejects and nothing is stored.
   */
  async put(url: string, body: ReadableStream<Uint8Array> | Uint8Array, opts: { bytes?: number; contentType?: string } = {}): Promise<void> {
    const headers = new Headers({ [STORED_HEADER]: new Date().toISOString() });
    const size = body instanceof Uint8Array ? body.byteLength : opts.bytes;
    if (size !== undefined) headers.set(SIZE_HEADER, String(size));
    if (opts.contentType) headers.set('content-type', opts.contentType);
    await this.cache.put(url, new Response(body as BodyInit, { status: 200, headers }));
  }

  async delete(url: string): Promise<boolean> {
    return this.cache.delete(url);
  }

  /** Every entry with its size (from our size header, else by reading the body's length). */
  async entries(): Promise<CacheEntry[]> {
    const out: CacheEntry[] = [];
    for (const req of await this.cache.keys()) {
      const res = await this.cache.match(req.url);
      if (!res) continue;
      let bytes = Number(res.headers.get(SIZE_HEADER) ?? NaN);
      if (!Number.isFinite(bytes)) bytes = (await res.blob()).size; // disk-backed Blob in browsers
      else await res.body?.cancel();
      out.push({ url: req.url, bytes, storedAt: res.headers.get(STORED_HEADER) ?? undefined });
    }
    return out;
  }

  /** Delete this whole cache. */
  async clear(): Promise<void> {
    await this.storage.delete(this.name);
  }
}

/** Size of everything the lab has cached (files and text heads), plus the origin's usage and quota. */
export async function cacheInfo(storage: CacheStorageLike | null = defaultCacheStorage()): Promise<CacheInfo> {
  const entries: CacheEntry[] = [];
  for (const name of [HUB_CACHE_NAME, TEXT_HEAD_CACHE_NAME]) {
    const c = await HubCache.open(storage, name);
    if (c) entries.push(...(await c.entries()));
  }
  const info: CacheInfo = { entries, totalBytes: entries.reduce((a, e) => a + e.bytes, 0) };
  const est = (globalThis as { navigator?: { storage?: { estimate?: () => Promise<{ usage?: number; quota?: number }> } } }).navigator?.storage;
  if (est?.estimate) {
    try {
      const { usage, quota } = await est.estimate();
      info.usage = usage;
      info.quota = quota;
    } catch {
      // estimate is best effort
    }
  }
  return info;
}

/** Delete every cached Hub file and text head. Returns the bytes freed (as reported before). */
export async function clearCache(storage: CacheStorageLike | null = defaultCacheStorage()): Promise<number> {
  if (!storage) return 0;
  const before = (await cacheInfo(storage)).totalBytes;
  await storage.delete(HUB_CACHE_NAME);
  await storage.delete(TEXT_HEAD_CACHE_NAME);
  return before;
}

export const TEXT_HEAD_CACHE_NAME = 'tbar-lab-text-heads-v1';

export { isQuotaError };

// ---------------------------------------------------------------------------------------------
// In-memory CacheStorage (Node tests; also a stand-in where CacheStorage is unavailable).

class MemoryCache implements CacheLike {
  readonly map = new Map<string, { body: Uint8Array; headers: [string, string][] }>();
  constructor(private readonly limitBytes: number) {}

  private used(): number {
    let n = 0;
    for (const v of this.map.values()) n += v.body.byteLength;
    return n;
  }

  async match(request: string): Promise<Response | undefined> {
    const hit = this.map.get(request);
    if (!hit) return undefined;
    return new Response(hit.body.slice(), { status: 200, headers: hit.headers });
  }

  async put(request: string, response: Response): Promise<void> {
    const body = new Uint8Array(await response.arrayBuffer()); // rejects when the body stream errors
    if (this.used() + body.byteLength > this.limitBytes) {
      throw new DOMException(`MemoryCache: quota of ${this.limitBytes} bytes exceeded`, 'QuotaExceededError');
    }
    const headers: [string, string][] = [];
    response.headers.forEach((v, k) => headers.push([k, v]));
    this.map.set(request, { body, headers });
  }

  async delete(request: string): Promise<boolean> {
    return this.map.delete(request);
  }

  async keys(): Promise<{ url: string }[]> {
    return [...this.map.keys()].map((url) => ({ url }));
  }
}

/** A CacheStorage in memory, with an optional quota (bytes per cache) to test quota handling. */
export class MemoryCacheStorage implements CacheStorageLike {
  readonly caches = new Map<string, MemoryCache>();
  constructor(readonly limitBytes = Infinity) {}
  async open(name: string): Promise<MemoryCache> {
    let c = this.caches.get(name);
    if (!c) this.caches.set(name, (c = new MemoryCache(this.limitBytes)));
    return c;
  }
  async delete(name: string): Promise<boolean> {
    return this.caches.delete(name);
  }
}
