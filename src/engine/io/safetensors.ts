/**
 * Safetensors reading and writing (https://github.com/huggingface/safetensors, "format" section).
 *
 * Layout: u64 little-endian header length N · N bytes of UTF-8 JSON header · data.
 * Header: { "__metadata__"?: {string: string}, name: { dtype, shape, data_offsets: [begin, end] } },
 * offsets relative to the start of the data section.
 *
 * Floating tensors (F32, F16, BF16, F64) are converted to Float32Array. Integer tensors (I64, I32,
 * U8, …) are accepted and skipped: in CLIP checkpoints they are buffers such as `*.position_ids`.
 *
 * NOTE: first cut. Hardening (every malformed input as a typed error, streams, sharded checkpoints,
 * fuzz test) is tracked in issue #3.
 */

export type SafetensorsDtype =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** One float tensor as read from a file (row-major, shape as stored). */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsHeaderEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  data_offsets: [number, number];
}

export interface ParsedSafetensors {
  metadata: Record<string, string>;
  /** Float tensors, converted to float32, in header order. */
  tensors: Map<string, NamedTensor>;
  /** Names of integer/bool tensors that were skipped (e.g. position_ids). */
  skipped: string[];
}

export class SafetensorsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** IEEE half → float. */
export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function toFloat32(dtype: SafetensorsDtype, bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32') {
    for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, true);
  } else if (dtype === 'F64') {
    for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, true);
  } else if (dtype === 'F16') {
    for (let i = 0; i < count; i++) out[i] = f16ToF32(dv.getUint16(i * 2, true));
  } else if (dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) u32[i] = dv.getUint16(i * 2, true) << 16;
  }
  return out;
}

const FLOAT_DTYPES = new Set<SafetensorsDtype>(['F64', 'F32', 'F16', 'BF16']);

export function parseSafetensors(input: ArrayBuffer | Uint8Array): ParsedSafetensors {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.byteLength < 8) throw new SafetensorsError('truncated', 'file is shorter than the 8-byte header length');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (8 + n > bytes.byteLength) throw new SafetensorsError('header-beyond-file', `header length ${n} runs past the end of the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new SafetensorsError('bad-json', 'header is not valid JSON');
  }
  const dataStart = 8 + n;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const tensors = new Map<string, NamedTensor>();
  const skipped: string[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = raw as SafetensorsHeaderEntry;
    const [b, en] = e.data_offsets;
    const count = e.shape.reduce((a, d) => a * d, 1);
    if (count * DTYPE_BYTES[e.dtype] !== en - b) throw new SafetensorsError('shape-bytes-mismatch', `${name}: shape does not match byte length`);
    if (!FLOAT_DTYPES.has(e.dtype)) {
      skipped.push(name);
      continue;
    }
    const slice = bytes.subarray(dataStart + b, dataStart + en);
    tensors.set(name, { name, shape: e.shape, data: toFloat32(e.dtype, slice, count) });
  }
  return { metadata, tensors, skipped };
}

/** Write float32 tensors as a safetensors file (header padded to 8 bytes with spaces, as the reference does). */
export function writeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const len = t.data.length * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + len] };
    offset += len;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}
