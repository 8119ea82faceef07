// Shared helpers for the safetensors tests: raw file building (independent of the writer under test),
// streams with chosen chunking, and exact float comparison.
import { SafetensorsError, type NamedTensor, type ParsedSafetensors } from '../src/engine/io/safetensors';
import { collectSafetensorsStream, type SafetensorsStreamOptions } from '../src/engine/io/safetensorsStream';

/** u64 LE `n` (default: the header's byte length) · header text (UTF-8) · data. */
export function rawFile(header: string | object, data: Uint8Array = new Uint8Array(0), n?: bigint): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** A web ReadableStream delivering `bytes` in chunks of the given sizes (cycled); copies each chunk. */
export function streamOf(bytes: Uint8Array, chunkSizes: number[] | ((i: number) => number) = [bytes.length || 1]): ReadableStream<Uint8Array> {
  let pos = 0;
  let i = 0;
  const size = typeof chunkSizes === 'function' ? chunkSizes : (k: number) => chunkSizes[k % chunkSizes.length];
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pos >= bytes.length) {
        controller.close();
        return;
      }
      const n = Math.max(1, size(i++));
      controller.enqueue(bytes.slice(pos, pos + n));
      pos += n;
    },
  });
}

export async function parseViaStream(bytes: Uint8Array, chunks?: number[] | ((i: number) => number), options: SafetensorsStreamOptions = {}): Promise<ParsedSafetensors> {
  return collectSafetensorsStream(streamOf(bytes, chunks), options);
}

/** The SafetensorsError thrown by fn (sync or async), or fail. */
export async function errorOf(fn: () => unknown): Promise<SafetensorsError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof SafetensorsError) return e;
    throw new Error(`expected a SafetensorsError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a SafetensorsError, but it succeeded');
}

export function bitsOf(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** Equal bit patterns, except that any NaN equals any NaN. */
export function sameFloats(a: Float32Array, bits: number[]): boolean {
  if (a.length !== bits.length) return false;
  const got = bitsOf(a);
  const f = new Float32Array(new Uint32Array(bits).buffer);
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== bits[i] && !(Number.isNaN(a[i]) && Number.isNaN(f[i]))) return false;
  }
  return true;
}

/** Compact, comparable form of a parse result. */
export function summary(p: ParsedSafetensors): { metadata: Record<string, string>; skipped: string[]; tensors: [string, number[], number[]][] } {
  const canon = (t: NamedTensor) => bitsOf(t.data).map((b, i) => (Number.isNaN(t.data[i]) ? 0x7fc00000 : b));
  return {
    metadata: { ...p.metadata },
    skipped: [...p.skipped],
    tensors: [...p.tensors.values()].map((t) => [t.name, t.shape, canon(t)]),
  };
}
