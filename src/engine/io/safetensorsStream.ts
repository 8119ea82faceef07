/**
 * Streaming safetensors reader: yields one float32 tensor at a time as its bytes arrive from a web
 * ReadableStream<Uint8Array> (e.g. a fetch body), so a caller can upload it to the GPU and drop it.
 *
 * Memory: the reader holds the header, the current tensor's Float32Array (decoded incrementally as
 * chunks arrive, never the raw bytes of the tensor as well) and at most one partial element of
 * carry-over. It never holds the whole file. Skipped (integer) tensors are read past without copying.
 *
 * Validation is the same as parseSafetensors (safetensors.ts). With `totalBytes` (e.g. from
 * Content-Length) the header is checked against the file size before any tensor is read, and the
 * error codes equal parseSafetensors' on the same bytes. Without it, a file that is too short shows
 * up as 'stream-ended-early' when the stream ends, and extra bytes after the last tensor as
 * 'trailing-bytes'. A failing stream is a 'stream-error' (the original error is the `cause`).
 *
 * Output buffers: with `totalBytes` each tensor's Float32Array is allocated at its final size when its
 * data starts. Without it, a header cannot be trusted against a file size, so the buffer grows
 * (doubling, from ≤ 1 MiB) as bytes actually arrive: a lying header cannot make us allocate more
 * than about twice what was received.
 */
import {
  allocFloat32,
  decodeFloats,
  DTYPE_BYTES,
  type FloatDtype,
  type NamedTensor,
  type ParsedSafetensors,
  parseSafetensorsHeader,
  readSafetensorsHeaderLength,
  SafetensorsError,
  type SafetensorsHeader,
  type TensorInfo,
} from './safetensors';

export interface SafetensorsStreamOptions {
  /** The file's length in bytes, when known (Content-Length). Enables the up-front size checks. */
  totalBytes?: number;
  /** Called after every chunk with the bytes read so far. */
  onProgress?: (read: number, total: number | undefined) => void;
  /** Called once the header is read and validated, before the first tensor. */
  onHeader?: (header: SafetensorsHeader) => void;
}

const EMPTY = new Uint8Array(0);
/** Initial element capacity of an output buffer when the file size is unknown (1 MiB of float32). */
const INITIAL_CAPACITY = 1 << 18;

/** Pulls chunks from a stream reader and hands out byte ranges of them. */
class ChunkSource {
  private chunk: Uint8Array = EMPTY;
  private pos = 0;
  private done = false;
  read = 0;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly total: number | undefined,
    private readonly onProgress: ((read: number, total: number | undefined) => void) | undefined,
  ) {}

  /** Make sure unread bytes are available; false when the stream has ended. */
  async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.byteLength) {
      if (this.done) return false;
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await this.reader.read();
      } catch (cause) {
        throw new SafetensorsError('stream-error', `reading the stream failed after ${this.read} bytes: ${String(cause)}`, { cause });
      }
      if (r.done) {
        this.done = true;
        return false;
      }
      if (!(r.value instanceof Uint8Array)) {
        throw new SafetensorsError('stream-error', `stream delivered a ${Object.prototype.toString.call(r.value)} chunk, expected Uint8Array`);
      }
      this.chunk = r.value;
      this.pos = 0;
      this.read += r.value.byteLength;
      this.onProgress?.(this.read, this.total);
    }
    return true;
  }

  /** Up to `max` unread bytes of the current chunk (a view, no copy). Call after fill(). */
  take(max: number): Uint8Array {
    const n = Math.min(max, this.chunk.byteLength - this.pos);
    const out = this.chunk.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Exactly n bytes (a view when they lie in one chunk, else a copy of the pieces as they arrived). */
  async readExact(n: number, what: string): Promise<Uint8Array> {
    const pieces: Uint8Array[] = [];
    let got = 0;
    while (got < n) {
      if (!(await this.fill())) {
        throw new SafetensorsError('stream-ended-early', `stream ended after ${this.read} bytes while reading ${what} (${got} of ${n} bytes)`);
      }
      const piece = this.take(n - got);
      pieces.push(piece);
      got += piece.byteLength;
    }
    if (pieces.length === 1) return pieces[0];
    const out = new Uint8Array(n);
    let p = 0;
    for (const piece of pieces) {
      out.set(piece, p);
      p += piece.byteLength;
    }
    return out;
  }

  /** Pass n bytes to `sink` piece by piece (or discard them when sink is null). */
  async pump(n: number, sink: ((piece: Uint8Array) => void) | null, what: string): Promise<void> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) {
        throw new SafetensorsError('stream-ended-early', `stream ended after ${this.read} bytes inside ${what} (${n - left} of ${n} bytes)`);
      }
      const piece = this.take(left);
      sink?.(piece);
      left -= piece.byteLength;
    }
  }

  async close(): Promise<void> {
    try {
      if (!this.done) await this.reader.cancel();
    } catch {
      // cancelling an errored stream rejects: nothing left to clean up
    }
    this.reader.releaseLock();
  }
}

/** Decodes one tensor incrementally from pieces of arbitrary length. */
class TensorAssembler {
  private out: Float32Array;
  private n = 0; // elements written
  private readonly elem: number;
  private readonly carry = new Uint8Array(8);
  private carryLen = 0;

  constructor(
    private readonly info: TensorInfo,
    preallocate: boolean,
  ) {
    this.elem = DTYPE_BYTES[info.dtype];
    this.out = allocFloat32(preallocate ? info.size : Math.min(info.size, INITIAL_CAPACITY), info.name);
  }

  private ensure(elements: number): void {
    if (elements <= this.out.length) return;
    const grown = allocFloat32(Math.min(this.info.size, Math.max(elements, this.out.length * 2)), this.info.name);
    grown.set(this.out.subarray(0, this.n));
    this.out = grown;
  }

  push = (piece: Uint8Array): void => {
    const dtype = this.info.dtype as FloatDtype;
    let off = 0;
    if (this.carryLen > 0) {
      const k = Math.min(this.elem - this.carryLen, piece.byteLength);
      this.carry.set(piece.subarray(0, k), this.carryLen);
      this.carryLen += k;
      off = k;
      if (this.carryLen < this.elem) return;
      this.ensure(this.n + 1);
      decodeFloats(dtype, this.carry, 1, this.out, this.n);
      this.n += 1;
      this.carryLen = 0;
    }
    const whole = Math.floor((piece.byteLength - off) / this.elem);
    if (whole > 0) {
      this.ensure(this.n + whole);
      decodeFloats(dtype, piece.subarray(off, off + whole * this.elem), whole, this.out, this.n);
      this.n += whole;
      off += whole * this.elem;
    }
    if (off < piece.byteLength) {
      this.carry.set(piece.subarray(off), 0);
      this.carryLen = piece.byteLength - off;
    }
  };

  finish(): Float32Array {
    // the pump delivered exactly size × elem bytes, so n === size and the buffer is exactly full
    return this.out.length === this.n ? this.out : this.out.slice(0, this.n);
  }
}

/**
 * Read a safetensors file from a stream, yielding float tensors (as Float32Array) in file-offset order.
 * Integer/bool tensors are skipped (their names are in the header passed to `onHeader`). Breaking out
 * of the loop cancels the stream.
 *
 *   for await (const t of readSafetensorsStream(res.body!, { totalBytes })) upload(t);
 */
export async function* readSafetensorsStream(
  stream: ReadableStream<Uint8Array>,
  options: SafetensorsStreamOptions = {},
): AsyncGenerator<NamedTensor, void, undefined> {
  const { totalBytes, onProgress, onHeader } = options;
  if (totalBytes !== undefined && !(Number.isSafeInteger(totalBytes) && totalBytes >= 0)) {
    throw new SafetensorsError('bad-input', `totalBytes must be a non-negative integer, got ${totalBytes}`);
  }
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = stream.getReader();
  } catch (cause) {
    throw new SafetensorsError('bad-input', `cannot read the stream (not a ReadableStream, or already locked): ${String(cause)}`, { cause });
  }
  const src = new ChunkSource(reader, totalBytes, onProgress);
  try {
    if (totalBytes !== undefined && totalBytes < 8) readSafetensorsHeaderLength(new Uint8Array(totalBytes));
    const n = readSafetensorsHeaderLength(await src.readExact(8, 'the 8-byte header length'), totalBytes);
    const header = parseSafetensorsHeader(
      await src.readExact(n, 'the header'),
      totalBytes === undefined ? undefined : totalBytes - 8 - n,
    );
    onHeader?.(header);
    for (const e of header.entries) {
      const what = `tensor "${e.name}"`;
      if (!e.float) {
        await src.pump(e.end - e.begin, null, what);
        continue;
      }
      const asm = new TensorAssembler(e, totalBytes !== undefined);
      await src.pump(e.end - e.begin, asm.push, what);
      yield { name: e.name, shape: e.shape, data: asm.finish() };
    }
    if (await src.fill()) {
      throw new SafetensorsError('trailing-bytes', `the stream goes on after the last tensor (byte ${8 + n + header.dataBytes}); safetensors requires a fully indexed data section`);
    }
  } finally {
    await src.close();
  }
}

/** Read a whole stream into the same result as parseSafetensors (for small files or when all is needed). */
export async function collectSafetensorsStream(
  stream: ReadableStream<Uint8Array>,
  options: SafetensorsStreamOptions = {},
): Promise<ParsedSafetensors> {
  let header: SafetensorsHeader | null = null;
  const tensors = new Map<string, NamedTensor>();
  for await (const t of readSafetensorsStream(stream, {
    ...options,
    onHeader: (h) => {
      header = h;
      options.onHeader?.(h);
    },
  })) {
    tensors.set(t.name, t);
  }
  const h = header as SafetensorsHeader | null;
  return {
    metadata: h?.metadata ?? {},
    tensors,
    skipped: h ? h.entries.filter((e) => !e.float).map((e) => e.name) : [],
  };
}
