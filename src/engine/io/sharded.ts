/**
 * Sharded safetensors checkpoints: `model.safetensors.index.json` + `model-0000k-of-0000n.safetensors`.
 *
 * Index (as written by Hugging Face transformers/huggingface_hub):
 *   { "metadata": { "total_size": 123, … }?, "weight_map": { tensorName: shardFileName } }
 *
 * Rules:
 * - shard file names are plain names in the index's folder: no '/', '\\', ':', '%' (URL parsers turn
 *   '%2e%2e' into '..'), control characters, '.', '..' or empty names ('bad-shard-name'): they end up
 *   in URLs and paths.
 * - every tensor of a shard must be listed in the index for that shard ('unlisted-tensor'; a name that
 *   was already read from an earlier shard is 'duplicate-tensor'), and every name the index lists for a
 *   shard must be in it ('missing-tensor'). These checks run on each shard's header, before its data.
 * - `metadata.total_size` is informational and not checked. Shard `__metadata__` maps are merged
 *   (the first shard's value wins on a conflict).
 * - shards are read one at a time, in sorted file-name order.
 */
import {
  decodeJsonObject,
  decodeTensor,
  type NamedTensor,
  readSafetensorsHeader,
  type ParsedSafetensors,
  SafetensorsError,
  type SafetensorsHeader,
} from './safetensors';
import { readSafetensorsStream } from './safetensorsStream';

export interface ShardIndex {
  /** The index's "metadata" object (e.g. { total_size }), values as in the JSON. */
  metadata: Record<string, unknown>;
  /** Tensor name → shard file name. */
  weightMap: Map<string, string>;
  /** The distinct shard file names, sorted. */
  files: string[];
}

/** What fetchFile may return for a shard. `{ stream, totalBytes }` enables the streaming size checks. */
export type ShardSource =
  | ArrayBuffer
  | Uint8Array
  | ReadableStream<Uint8Array>
  | { stream: ReadableStream<Uint8Array>; totalBytes?: number };

export type FetchShard = (fileName: string) => Promise<ShardSource>;

export interface ShardProgress {
  file: string;
  fileIndex: number;
  fileCount: number;
  /** Bytes read of this shard (streams; for buffers: the whole shard at once). */
  read: number;
  total: number | undefined;
}

export interface ShardedLoadOptions {
  onProgress?: (p: ShardProgress) => void;
}

export interface ShardedSafetensors extends ParsedSafetensors {
  indexMetadata: Record<string, unknown>;
  files: string[];
}

/** True for a plain file name that cannot escape the index's folder. */
export function isSafeShardFileName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 255 &&
    name !== '.' &&
    name !== '..' &&
    !/[/\\:%\u0000-\u001f\u007f]/.test(name)
  );
}

/** Parse and validate `model.safetensors.index.json` (text, bytes, or an already parsed object). */
export function parseShardIndex(input: string | Uint8Array | ArrayBuffer | object): ShardIndex {
  let obj: Record<string, unknown>;
  try {
    if (typeof input === 'string') obj = decodeJsonObject(new TextEncoder().encode(input), 'shard index');
    else if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
      obj = decodeJsonObject(input instanceof Uint8Array ? input : new Uint8Array(input), 'shard index');
    } else if (typeof input === 'object' && input !== null && !Array.isArray(input)) obj = input as Record<string, unknown>;
    else throw new SafetensorsError('bad-index', 'shard index must be a JSON object');
  } catch (e) {
    // JSON-level problems of the index are 'bad-index' (duplicate keys keep their own code)
    if (e instanceof SafetensorsError && e.code !== 'duplicate-name' && e.code !== 'bad-index') {
      throw new SafetensorsError('bad-index', e.message, { cause: e });
    }
    throw e;
  }
  const metadata = obj.metadata ?? {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new SafetensorsError('bad-index', 'shard index: "metadata" must be an object');
  }
  const wm = obj.weight_map;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) {
    throw new SafetensorsError('bad-index', 'shard index: "weight_map" (tensor name → file name) is missing or not an object');
  }
  const weightMap = new Map<string, string>();
  const files = new Set<string>();
  for (const [name, file] of Object.entries(wm)) {
    if (typeof file !== 'string') {
      throw new SafetensorsError('bad-index', `shard index: weight_map["${name}"] must be a file name string`);
    }
    if (!isSafeShardFileName(file)) {
      throw new SafetensorsError('bad-shard-name', `shard index: weight_map["${name}"] = ${JSON.stringify(file).slice(0, 80)} is not a plain file name`);
    }
    weightMap.set(name, file);
    files.add(file);
  }
  if (weightMap.size === 0) throw new SafetensorsError('bad-index', 'shard index: weight_map is empty');
  return { metadata: metadata as Record<string, unknown>, weightMap, files: [...files].sort() };
}

function checkShardHeader(index: ShardIndex, file: string, header: SafetensorsHeader, seen: Map<string, string>): void {
  const present = new Set<string>();
  for (const e of header.entries) {
    const earlier = seen.get(e.name);
    if (earlier !== undefined) {
      throw new SafetensorsError('duplicate-tensor', `tensor "${e.name}" is in both ${earlier} and ${file}`);
    }
    const listed = index.weightMap.get(e.name);
    if (listed !== file) {
      throw new SafetensorsError(
        'unlisted-tensor',
        listed === undefined
          ? `${file}: tensor "${e.name}" is not listed in the index`
          : `${file}: tensor "${e.name}" is listed in the index under ${listed} (in two shards, or a stale index)`,
      );
    }
    present.add(e.name);
  }
  for (const [name, f] of index.weightMap) {
    if (f === file && !present.has(name)) {
      throw new SafetensorsError('missing-tensor', `${file}: the index lists tensor "${name}" in this shard, but it is not there`);
    }
  }
  for (const name of present) seen.set(name, file);
}

function prefixed(file: string, e: unknown): unknown {
  if (e instanceof SafetensorsError && !e.message.startsWith(`${file}:`)) {
    return new SafetensorsError(e.code, `${file}: ${e.message}`, { cause: e.cause });
  }
  return e;
}

/**
 * Read all shards, yielding float tensors one at a time (file order, then offset order within a file).
 * `onHeader` sees each shard's validated header (e.g. to collect skipped names and metadata).
 */
export async function* readShardedSafetensors(
  index: ShardIndex,
  fetchFile: FetchShard,
  options: ShardedLoadOptions & { onHeader?: (file: string, header: SafetensorsHeader) => void } = {},
): AsyncGenerator<NamedTensor, void, undefined> {
  const seen = new Map<string, string>();
  const fileCount = index.files.length;
  for (let fileIndex = 0; fileIndex < fileCount; fileIndex++) {
    const file = index.files[fileIndex];
    if (!isSafeShardFileName(file)) throw new SafetensorsError('bad-shard-name', `refusing shard file name ${JSON.stringify(file)}`);
    let source: ShardSource;
    try {
      source = await fetchFile(file);
    } catch (cause) {
      throw new SafetensorsError('fetch-failed', `${file}: could not fetch the shard: ${String(cause)}`, { cause });
    }
    const onHeader = (h: SafetensorsHeader) => {
      checkShardHeader(index, file, h, seen);
      options.onHeader?.(file, h);
    };
    try {
      if (source instanceof ArrayBuffer || source instanceof Uint8Array) {
        const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
        const header = readSafetensorsHeader(bytes);
        onHeader(header);
        options.onProgress?.({ file, fileIndex, fileCount, read: bytes.byteLength, total: bytes.byteLength });
        for (const e of header.entries) if (e.float) yield decodeTensor(bytes, header, e);
        continue;
      }
      const { stream, totalBytes } =
        typeof ReadableStream !== 'undefined' && source instanceof ReadableStream ? { stream: source, totalBytes: undefined } : source as { stream: ReadableStream<Uint8Array>; totalBytes?: number };
      if (!stream || typeof (stream as ReadableStream).getReader !== 'function') {
        throw new SafetensorsError('bad-input', `fetchFile returned neither bytes nor a ReadableStream`);
      }
      yield* readSafetensorsStream(stream, {
        totalBytes,
        onHeader,
        onProgress: (read, total) => options.onProgress?.({ file, fileIndex, fileCount, read, total }),
      });
    } catch (e) {
      throw prefixed(file, e);
    }
  }
}

/** Load every shard and return the union (float tensors; skipped names; merged shard metadata). */
export async function loadShardedSafetensors(
  index: ShardIndex,
  fetchFile: FetchShard,
  options: ShardedLoadOptions = {},
): Promise<ShardedSafetensors> {
  const tensors = new Map<string, NamedTensor>();
  const skipped: string[] = [];
  const metadata: Record<string, string> = {};
  const onHeader = (_file: string, h: SafetensorsHeader) => {
    for (const e of h.entries) if (!e.float) skipped.push(e.name);
    for (const [k, v] of Object.entries(h.metadata)) {
      if (!Object.prototype.hasOwnProperty.call(metadata, k)) Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  };
  for await (const t of readShardedSafetensors(index, fetchFile, { ...options, onHeader })) tensors.set(t.name, t);
  return { metadata, tensors, skipped, indexMetadata: index.metadata, files: index.files };
}
