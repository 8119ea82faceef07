/**
 * Safetensors: the format, header validation, whole-buffer parse and the writer.
 * (Streaming: safetensorsStream.ts. Sharded checkpoints: sharded.ts.)
 *
 * Format (https://github.com/huggingface/safetensors, "Format"):
 *   u64 little-endian N · N bytes of UTF-8 JSON header · data section.
 *   Header: { "__metadata__"?: {string: string}, name: { dtype, shape, data_offsets: [begin, end] } },
 *   offsets relative to the start of the data section, little-endian row-major data.
 *
 * What we accept and reject (the reference Rust implementation's rules, made explicit):
 * - N ≤ 100 000 000 (checked on the raw u64 before anything is allocated or decoded);
 * - the header is valid UTF-8, starts with `{` (no BOM, no leading whitespace), is a JSON object;
 *   trailing whitespace (the writers' space padding) is fine;
 * - no duplicate keys anywhere in the header JSON (JSON.parse would silently keep the last one;
 *   a light scan of the raw text catches them);
 * - `__metadata__`, if present, maps strings to strings;
 * - every entry has a string dtype, an array shape of non-negative integers and two integer offsets
 *   begin ≤ end; extra fields in an entry are ignored;
 * - shape × dtype size = end − begin (element counts and byte sizes must stay below 2^53);
 * - the tensors, sorted by offset, tile the data section exactly: the first starts at 0, each starts
 *   where the previous ended (a hole is a 'gap', an overlap is 'overlapping-offsets'; zero-size
 *   tensors may share an offset), and the file ends where the last tensor ends (anything after it
 *   is 'trailing-bytes'). The spec requires a fully indexed data section without holes ("prevents
 *   polyglot files"), so gaps and trailing bytes are rejected, not tolerated.
 * - dtypes F64/F32/F16/BF16 are converted to Float32Array (F64 rounds to nearest, out-of-range → ±Inf);
 *   I64/I32/I16/I8/U64/U32/U16/U8/BOOL are accepted and skipped (reported by name): in CLIP
 *   checkpoints they are buffers such as `*.position_ids`. Dtypes newer than this reader
 *   (F8_*, F4, F6_*, C64) are a typed 'unsupported-dtype' error rather than silently dropped weights.
 * - NaN and ±Inf values are data, not errors.
 *
 * Tensors are returned in file-offset order (the order the stream reader yields them).
 * Every failure is a SafetensorsError with a stable `code` (SafetensorsErrorCode).
 */

export type SafetensorsDtype =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

export type FloatDtype = 'F64' | 'F32' | 'F16' | 'BF16';

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

export const FLOAT_DTYPES: ReadonlySet<SafetensorsDtype> = new Set<SafetensorsDtype>(['F64', 'F32', 'F16', 'BF16']);

/** Dtypes of newer safetensors versions that this reader recognises but cannot convert. */
const UNSUPPORTED_DTYPES = new Set(['F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);

/** The reference implementation's limit on the header length N. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One float tensor as read from a file (row-major, shape as stored). */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** An entry of the header JSON as written in the file. */
export interface SafetensorsHeaderEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  data_offsets: [number, number];
}

/** One validated header entry. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range [begin, end) relative to the start of the data section. */
  begin: number;
  end: number;
  /** Element count (product of shape; 1 for a scalar). */
  size: number;
  /** Converted to float32 (F64/F32/F16/BF16) rather than skipped. */
  float: boolean;
}

/** A validated header. */
export interface SafetensorsHeader {
  metadata: Record<string, string>;
  /** All entries (float and skipped), sorted by file offset. */
  entries: TensorInfo[];
  /** N, the header length in bytes (without the 8-byte prefix). */
  headerBytes: number;
  /** Length of the data section = end of the last tensor. The file is 8 + headerBytes + dataBytes long. */
  dataBytes: number;
}

export interface ParsedSafetensors {
  metadata: Record<string, string>;
  /** Float tensors, converted to float32, in file-offset order. */
  tensors: Map<string, NamedTensor>;
  /** Names of integer/bool tensors that were skipped (e.g. position_ids), in file-offset order. */
  skipped: string[];
}

export type SafetensorsErrorCode =
  // input and size of the file
  | 'bad-input' // not an ArrayBuffer / Uint8Array / ReadableStream, or a bad option
  | 'truncated' // shorter than the 8-byte length prefix
  | 'header-too-large' // N > 100 MB (usually: not a safetensors file)
  | 'header-beyond-file' // 8 + N > file length
  // header JSON
  | 'bad-utf8'
  | 'header-not-object' // does not start with '{'
  | 'bad-json'
  | 'duplicate-name' // a key occurs twice in one JSON object of the header
  | 'bad-metadata'
  | 'bad-entry' // entry not an object, or dtype/shape/data_offsets missing or of the wrong JSON type
  | 'unknown-dtype'
  | 'unsupported-dtype'
  | 'bad-shape' // a dimension that is not a non-negative integer
  | 'shape-overflow' // element count or byte size ≥ 2^53
  | 'bad-offsets' // offsets not two non-negative integers with begin ≤ end
  | 'shape-bytes-mismatch'
  // data section layout
  | 'overlapping-offsets'
  | 'gap'
  | 'offsets-out-of-range' // the header describes more data than the file holds
  | 'trailing-bytes'
  | 'out-of-memory' // a float32 buffer for a tensor could not be allocated
  // streams
  | 'stream-ended-early'
  | 'stream-error' // the underlying stream failed or delivered something other than Uint8Array chunks
  // sharded checkpoints
  | 'bad-index'
  | 'bad-shard-name'
  | 'fetch-failed'
  | 'missing-tensor'
  | 'duplicate-tensor'
  | 'unlisted-tensor'
  // writer
  | 'bad-tensor';

export class SafetensorsError extends Error {
  constructor(
    readonly code: SafetensorsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SafetensorsError';
  }
}

// ---------------------------------------------------------------------------------------------
// Number conversion

/** IEEE half → float. */
export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const f32Box = new Float32Array(1);
const u32Box = new Uint32Array(f32Box.buffer);

/** float → IEEE half bits, rounding to nearest even (overflow → ±Inf, NaN → sign | 0x7e00, as torch). */
export function f32ToF16(value: number): number {
  f32Box[0] = value;
  const x = u32Box[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | (mant ? 0x7e00 : 0x7c00);
  const e = exp - 127 + 15; // half exponent field
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // half subnormal: h = round(m24 · 2^(exp − 126)), m24 = mantissa with the implicit bit
    const shift = 126 - exp; // ≥ 14
    if (shift > 25) return sign; // below half the smallest subnormal
    const m24 = mant | 0x800000;
    const h = m24 >>> shift;
    const rem = m24 & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    return sign | (rem > half || (rem === half && h & 1) ? h + 1 : h);
  }
  const h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // a carry out of the mantissa bumps the exponent (and 65520+ becomes Inf), as it should
  return sign | (rem > 0x1000 || (rem === 0x1000 && h & 1) ? h + 1 : h);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let f16Table: Float32Array | null = null;
function getF16Table(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToF32(h);
  }
  return f16Table;
}

/**
 * Convert `count` little-endian elements of `dtype` from `src` into `dst[dstOffset …]`.
 * `src` needs at least count × DTYPE_BYTES[dtype] bytes; any alignment.
 */
export function decodeFloats(dtype: FloatDtype, src: Uint8Array, count: number, dst: Float32Array, dstOffset: number): void {
  if (count === 0) return;
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN) {
      new Uint8Array(dst.buffer, dst.byteOffset + dstOffset * 4, count * 4).set(src.subarray(0, count * 4));
    } else {
      const dv = new DataView(src.buffer, src.byteOffset, count * 4);
      for (let i = 0; i < count; i++) dst[dstOffset + i] = dv.getFloat32(i * 4, true);
    }
  } else if (dtype === 'F16') {
    const table = getF16Table();
    if (LITTLE_ENDIAN && src.byteOffset % 2 === 0) {
      const u16 = new Uint16Array(src.buffer, src.byteOffset, count);
      for (let i = 0; i < count; i++) dst[dstOffset + i] = table[u16[i]];
    } else {
      for (let i = 0, p = 0; i < count; i++, p += 2) dst[dstOffset + i] = table[src[p] | (src[p + 1] << 8)];
    }
  } else if (dtype === 'BF16') {
    // bf16 is the top half of a float32: shift the bits into place, no rounding involved
    const out = new Uint32Array(dst.buffer, dst.byteOffset + dstOffset * 4, count);
    for (let i = 0, p = 0; i < count; i++, p += 2) out[i] = (src[p] | (src[p + 1] << 8)) << 16;
  } else {
    if (LITTLE_ENDIAN && src.byteOffset % 8 === 0) {
      dst.set(new Float64Array(src.buffer, src.byteOffset, count), dstOffset); // rounds to nearest
    } else {
      const dv = new DataView(src.buffer, src.byteOffset, count * 8);
      for (let i = 0; i < count; i++) dst[dstOffset + i] = dv.getFloat64(i * 8, true);
    }
  }
}

/** A Float32Array of `count` elements, or a typed error instead of a RangeError. */
export function allocFloat32(count: number, name: string): Float32Array {
  try {
    return new Float32Array(count);
  } catch (cause) {
    throw new SafetensorsError(
      'out-of-memory',
      `tensor "${name}": could not allocate ${count} float32 values (${(count * 4) / 2 ** 20} MiB)`,
      { cause },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Header

/** What the first bytes look like when they are not a safetensors file (for error messages). */
function sniff(prefix: Uint8Array): string {
  const text = String.fromCharCode(...prefix.subarray(0, 8));
  if (text.startsWith('PK\x03\x04')) return ' It looks like a zip archive (a PyTorch .bin/.pt checkpoint?), not safetensors.';
  if (text.startsWith('version')) return ' It looks like a Git LFS pointer file: the weights were not downloaded.';
  if (/^\s*</.test(text)) return ' It looks like HTML/XML (an error page?), not safetensors.';
  if (/^\s*[{[]/.test(text)) return ' It looks like JSON, not safetensors.';
  return ' Is this a safetensors file?';
}

/**
 * Read N from the 8-byte prefix and check it before anything is allocated.
 * `fileBytes`: the file's total length when known (then 8 + N must fit in it).
 */
export function readSafetensorsHeaderLength(prefix: Uint8Array, fileBytes?: number): number {
  if (prefix.byteLength < 8) {
    throw new SafetensorsError('truncated', `file is ${prefix.byteLength} bytes long, shorter than the 8-byte header length`);
  }
  const big = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (big > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(
      'header-too-large',
      `header length ${big} exceeds the ${MAX_HEADER_BYTES}-byte limit.${sniff(prefix)}`,
    );
  }
  const n = Number(big);
  if (fileBytes !== undefined && 8 + n > fileBytes) {
    throw new SafetensorsError(
      'header-beyond-file',
      `header length ${n} runs past the end of the file (${fileBytes} bytes): the file is truncated.${sniff(prefix)}`,
    );
  }
  return n;
}

/**
 * Find a key that occurs twice in the same object of a (valid) JSON text; JSON.parse keeps only the
 * last one. A linear scan that tracks strings and nesting only.
 */
export function findDuplicateJsonKey(text: string): { key: string; depth: number } | null {
  interface Frame { keys: Set<string> | null; expectKey: boolean }
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      for (; j < text.length; j++) {
        const d = text.charCodeAt(j);
        if (d === 0x5c /* \ */) {
          escaped = true;
          j++;
        } else if (d === 0x22) break;
      }
      const top = stack[stack.length - 1];
      if (top && top.keys && top.expectKey) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (top.keys.has(key)) return { key, depth: stack.length };
        top.keys.add(key);
        top.expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) stack.push({ keys: new Set(), expectKey: true });
    else if (c === 0x5b /* [ */) stack.push({ keys: null, expectKey: false });
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) stack.pop();
    else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top && top.keys) top.expectKey = true;
    }
  }
  return null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode a JSON object from UTF-8 bytes with the header's rules (UTF-8, '{' first, no duplicate keys). */
export function decodeJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new SafetensorsError('bad-utf8', `${what} is not valid UTF-8`);
  }
  if (text.charCodeAt(0) !== 0x7b) {
    const start = JSON.stringify(text.slice(0, 20));
    throw new SafetensorsError('header-not-object', `${what} must be a JSON object starting with '{', it starts with ${start}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError('bad-json', `${what} is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(value)) throw new SafetensorsError('header-not-object', `${what} is not a JSON object`);
  const dup = findDuplicateJsonKey(text);
  if (dup) {
    const where = dup.depth === 1 ? 'tensor name' : 'key';
    throw new SafetensorsError('duplicate-name', `${what}: ${where} ${JSON.stringify(dup.key)} occurs twice`);
  }
  return value;
}

function parseMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) throw new SafetensorsError('bad-metadata', '__metadata__ must be an object of string values');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError('bad-metadata', `__metadata__["${k}"] must be a string, got ${JSON.stringify(v)?.slice(0, 40)}`);
    }
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function parseEntry(name: string, raw: unknown): TensorInfo {
  const where = `tensor "${name}"`;
  if (!isPlainObject(raw)) throw new SafetensorsError('bad-entry', `${where}: entry must be an object {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string') throw new SafetensorsError('bad-entry', `${where}: "dtype" missing or not a string`);
  if (!Array.isArray(shape)) throw new SafetensorsError('bad-entry', `${where}: "shape" missing or not an array`);
  if (!Array.isArray(offsets)) throw new SafetensorsError('bad-entry', `${where}: "data_offsets" missing or not an array`);
  if (!Object.prototype.hasOwnProperty.call(DTYPE_BYTES, dtype)) {
    if (UNSUPPORTED_DTYPES.has(dtype)) {
      throw new SafetensorsError('unsupported-dtype', `${where}: dtype ${dtype} is not supported; convert the checkpoint to F32, F16 or BF16`);
    }
    throw new SafetensorsError('unknown-dtype', `${where}: unknown dtype ${JSON.stringify(dtype).slice(0, 40)}`);
  }
  const dt = dtype as SafetensorsDtype;
  let size = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new SafetensorsError('bad-shape', `${where}: shape [${String(shape).slice(0, 60)}] must hold non-negative integers`);
    }
    size *= d;
    if (d > Number.MAX_SAFE_INTEGER || size > Number.MAX_SAFE_INTEGER) {
      throw new SafetensorsError('shape-overflow', `${where}: shape [${String(shape).slice(0, 60)}] has too many elements`);
    }
  }
  const bytes = size * DTYPE_BYTES[dt];
  if (bytes > Number.MAX_SAFE_INTEGER) {
    throw new SafetensorsError('shape-overflow', `${where}: shape [${String(shape).slice(0, 60)}] is too large in bytes`);
  }
  const [begin, end] = offsets as unknown[];
  if (
    offsets.length !== 2 ||
    typeof begin !== 'number' || typeof end !== 'number' ||
    !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) ||
    begin < 0 || end < begin
  ) {
    throw new SafetensorsError('bad-offsets', `${where}: data_offsets ${JSON.stringify(offsets).slice(0, 60)} must be [begin, end] with 0 ≤ begin ≤ end`);
  }
  if (end - begin !== bytes) {
    throw new SafetensorsError(
      'shape-bytes-mismatch',
      `${where}: ${dt} shape [${shape}] needs ${bytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
    );
  }
  return { name, dtype: dt, shape: shape as number[], begin, end, size, float: FLOAT_DTYPES.has(dt) };
}

/**
 * Validate a header (the N bytes after the length prefix).
 * `dataBytes`: the length of the data section when known (file length − 8 − N); then the tensors must
 * end exactly there. Throws SafetensorsError; allocates only the parsed JSON.
 */
export function parseSafetensorsHeader(headerJson: Uint8Array, dataBytes?: number): SafetensorsHeader {
  const obj = decodeJsonObject(headerJson, 'safetensors header');
  const metadata = parseMetadata(obj.__metadata__);
  const entries: TensorInfo[] = [];
  for (const name of Object.keys(obj)) {
    if (name !== '__metadata__') entries.push(parseEntry(name, obj[name]));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: TensorInfo | null = null;
  for (const e of entries) {
    if (e.begin < pos) {
      throw new SafetensorsError(
        'overlapping-offsets',
        `tensors "${prev!.name}" [${prev!.begin}, ${prev!.end}) and "${e.name}" [${e.begin}, ${e.end}) overlap`,
      );
    }
    if (e.begin > pos) {
      throw new SafetensorsError(
        'gap',
        `data section has a hole at bytes [${pos}, ${e.begin}) before tensor "${e.name}"; safetensors requires contiguous data`,
      );
    }
    pos = e.end;
    prev = e;
  }
  if (dataBytes !== undefined) {
    if (pos > dataBytes) {
      throw new SafetensorsError(
        'offsets-out-of-range',
        `tensor "${prev!.name}" ends at data byte ${pos} but the data section has only ${dataBytes} bytes: the file is truncated or the header is wrong`,
      );
    }
    if (pos < dataBytes) {
      throw new SafetensorsError('trailing-bytes', `${dataBytes - pos} bytes after the last tensor; safetensors requires a fully indexed data section`);
    }
  }
  return { metadata, entries, headerBytes: headerJson.byteLength, dataBytes: pos };
}

// ---------------------------------------------------------------------------------------------
// Whole-buffer parse

export function toBytes(input: ArrayBuffer | Uint8Array): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new SafetensorsError('bad-input', `expected an ArrayBuffer or Uint8Array, got ${Object.prototype.toString.call(input)}`);
}

/** Only validate: the header of a complete file in memory. */
export function readSafetensorsHeader(input: ArrayBuffer | Uint8Array): SafetensorsHeader {
  const bytes = toBytes(input);
  const n = readSafetensorsHeaderLength(bytes.subarray(0, 8), bytes.byteLength);
  return parseSafetensorsHeader(bytes.subarray(8, 8 + n), bytes.byteLength - 8 - n);
}

/** Parse a complete file in memory. Float tensors are copied into fresh Float32Arrays. */
export function parseSafetensors(input: ArrayBuffer | Uint8Array): ParsedSafetensors {
  const bytes = toBytes(input);
  const header = readSafetensorsHeader(bytes);
  const tensors = new Map<string, NamedTensor>();
  const skipped: string[] = [];
  for (const e of header.entries) {
    if (e.float) tensors.set(e.name, decodeTensor(bytes, header, e));
    else skipped.push(e.name);
  }
  return { metadata: header.metadata, tensors, skipped };
}

/** Convert one float entry of a validated in-memory file (from readSafetensorsHeader) to float32. */
export function decodeTensor(file: Uint8Array, header: SafetensorsHeader, e: TensorInfo): NamedTensor {
  if (!e.float) throw new SafetensorsError('bad-input', `tensor "${e.name}" has dtype ${e.dtype}, which is skipped, not converted`);
  const start = 8 + header.headerBytes;
  const data = allocFloat32(e.size, e.name);
  decodeFloats(e.dtype as FloatDtype, file.subarray(start + e.begin, start + e.end), e.size, data, 0);
  return { name: e.name, shape: e.shape, data };
}

// ---------------------------------------------------------------------------------------------
// Writer

export interface WriteSafetensorsOptions {
  /** Stored dtype (default F32). F16 rounds to nearest even; values beyond ±65504 become ±Inf. */
  dtype?: 'F32' | 'F16';
}

/**
 * Write float tensors as a safetensors file: tensors in the given order, contiguous, header padded with
 * spaces so that the data section starts at a multiple of 8 bytes (as the reference writer does).
 * Hugging Face transformers wants `metadata = { format: 'pt' }`; nothing is added implicitly.
 */
export function writeSafetensors(
  tensors: NamedTensor[],
  metadata: Record<string, string> = {},
  options: WriteSafetensorsOptions = {},
): Uint8Array {
  const dtype = options.dtype ?? 'F32';
  if (dtype !== 'F32' && dtype !== 'F16') throw new SafetensorsError('bad-input', `writeSafetensors: dtype must be F32 or F16, got ${dtype}`);
  const elemBytes = DTYPE_BYTES[dtype];
  const parts: string[] = [];
  const metaKeys = Object.keys(metadata);
  if (metaKeys.length) {
    const fields = metaKeys.map((k) => {
      const v = metadata[k];
      if (typeof v !== 'string') throw new SafetensorsError('bad-metadata', `metadata["${k}"] must be a string`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`"__metadata__":{${fields.join(',')}}`);
  }
  const names = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    if (typeof t.name !== 'string' || t.name === '__metadata__') {
      throw new SafetensorsError('bad-tensor', `invalid tensor name ${JSON.stringify(t.name)}`);
    }
    if (names.has(t.name)) throw new SafetensorsError('bad-tensor', `tensor "${t.name}" is given twice`);
    names.add(t.name);
    if (!(t.data instanceof Float32Array)) throw new SafetensorsError('bad-tensor', `tensor "${t.name}": data must be a Float32Array`);
    let size = 1;
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0) throw new SafetensorsError('bad-tensor', `tensor "${t.name}": bad shape [${t.shape}]`);
      size *= d;
    }
    if (size !== t.data.length) {
      throw new SafetensorsError('bad-tensor', `tensor "${t.name}": shape [${t.shape}] has ${size} elements but data has ${t.data.length}`);
    }
    const len = size * elemBytes;
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + len}]}`);
    offset += len;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLen = Math.ceil(json.byteLength / 8) * 8; // 8 + headerLen is a multiple of 8
  const out = new Uint8Array(8 + headerLen + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLen);
  let p = 8 + headerLen;
  for (const t of tensors) {
    if (dtype === 'F32') {
      if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
      else for (let i = 0; i < t.data.length; i++) dv.setFloat32(p + i * 4, t.data[i], true);
    } else {
      for (let i = 0; i < t.data.length; i++) dv.setUint16(p + i * 2, f32ToF16(t.data[i]), true);
    }
    p += t.data.length * elemBytes;
  }
  return out;
}
