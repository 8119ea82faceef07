import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  f16ToF32,
  f32ToF16,
  findDuplicateJsonKey,
  parseSafetensors,
  readSafetensorsHeader,
  type SafetensorsErrorCode,
  type SafetensorsHeader,
  writeSafetensors,
  type NamedTensor,
} from '../src/engine/io/safetensors';
import { collectSafetensorsStream, readSafetensorsStream } from '../src/engine/io/safetensorsStream';
import {
  isSafeShardFileName,
  loadShardedSafetensors,
  parseShardIndex,
  type ShardSource,
} from '../src/engine/io/sharded';
import { Rng } from '../src/engine/rng';
import { bitsOf, errorOf, parseViaStream, rawFile, sameFloats, streamOf, summary } from './safetensorsHelpers';

const FIX = 'tests/fixtures/safetensors';
const read = (p: string) => new Uint8Array(readFileSync(`${FIX}/${p}`)); // fresh buffer, byteOffset 0
interface ExpectedFile {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; bits: number[] }>;
  skipped: string[];
  order?: string[];
}
const expected = JSON.parse(readFileSync(`${FIX}/expected.json`, 'utf8')) as Record<string, ExpectedFile> & { f32_to_f16: [number, number][] };

function checkAgainstGolden(p: { metadata: Record<string, string>; tensors: Map<string, NamedTensor>; skipped: string[] }, exp: ExpectedFile) {
  expect(p.metadata).toEqual(exp.metadata);
  expect([...p.skipped].sort()).toEqual(exp.skipped);
  expect([...p.tensors.keys()].sort()).toEqual(Object.keys(exp.tensors).sort());
  for (const [name, e] of Object.entries(exp.tensors)) {
    const t = p.tensors.get(name)!;
    expect(t.name).toBe(name);
    expect(t.shape).toEqual(e.shape);
    expect(sameFloats(t.data, e.bits), `${name} (${e.dtype}) bits`).toBe(true);
  }
}

const f32bytes = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);
const entry = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

describe('golden files written by an independent Python implementation (torch casts)', () => {
  const files = ['mixed.safetensors', 'unaligned.safetensors', 'sharded/model-00001-of-00002.safetensors', 'sharded/model-00002-of-00002.safetensors'];
  for (const f of files) {
    it(`parses ${f} exactly (F32/F16/BF16/F64 → float32, integer buffers skipped)`, () => {
      checkAgainstGolden(parseSafetensors(read(f)), expected[f]);
    });
  }

  it('returns tensors in file-offset order, not header order', () => {
    const p = parseSafetensors(read('mixed.safetensors'));
    expect([...p.tensors.keys()]).toEqual(expected['mixed.safetensors'].order);
    const h = readSafetensorsHeader(read('mixed.safetensors'));
    const begins = h.entries.map((e) => e.begin);
    expect(begins).toEqual([...begins].sort((a, b) => a - b));
  });

  it('gives the same result at every byte alignment of the input (ArrayBuffer and offset views)', () => {
    const file = read('mixed.safetensors');
    const ref = summary(parseSafetensors(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer));
    for (let shift = 1; shift < 8; shift++) {
      const big = new Uint8Array(file.length + 16);
      big.set(file, shift);
      expect(summary(parseSafetensors(big.subarray(shift, shift + file.length)))).toEqual(ref);
    }
  });

  for (const f of files) {
    it(`stream reader on ${f}: chunk sizes 1, 3, 7, 61 and whole, with and without totalBytes`, async () => {
      const bytes = read(f);
      const ref = summary(parseSafetensors(bytes));
      for (const chunks of [[1], [3], [7], [61], [bytes.length], [5, 1, 13, 2]]) {
        expect(summary(await parseViaStream(bytes, chunks))).toEqual(ref);
        expect(summary(await parseViaStream(bytes, chunks, { totalBytes: bytes.length }))).toEqual(ref);
      }
    });
  }

  it('F32 → F16 rounding matches torch .half() (ties, subnormals, overflow, NaN)', () => {
    const cases = expected.f32_to_f16;
    expect(cases.length).toBeGreaterThan(200);
    const f = new Float32Array(new Uint32Array(cases.map((c) => c[0])).buffer);
    const bad = cases.filter((c, i) => f32ToF16(f[i]) !== c[1]).map((c) => `${c[0].toString(16)}→${c[1].toString(16)}`);
    expect(bad).toEqual([]);
  });
});

describe('f16 conversions', () => {
  it('f16ToF32 then f32ToF16 is the identity on every non-NaN half', () => {
    for (let h = 0; h < 65536; h++) {
      const x = f16ToF32(h);
      if (Number.isNaN(x)) expect((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0).toBe(true);
      else if (f32ToF16(x) !== h) throw new Error(`half ${h.toString(16)} → ${x} → ${f32ToF16(x).toString(16)}`);
    }
  });

  it('f16ToF32 analytic values', () => {
    expect(f16ToF32(0x3c00)).toBe(1);
    expect(f16ToF32(0xc000)).toBe(-2);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
    expect(f16ToF32(0xfc00)).toBe(-Infinity);
  });
});

describe('writer', () => {
  const rng = new Rng(11);
  const tensors: NamedTensor[] = [
    { name: 'a.weight', shape: [3, 4], data: rng.normalArray(12) },
    { name: 'ñ模型😀', shape: [5], data: rng.normalArray(5, 0, 1000) },
    { name: 'scalar', shape: [], data: new Float32Array([Math.PI]) },
    { name: 'empty', shape: [2, 0], data: new Float32Array(0) },
    { name: 'special', shape: [6], data: new Float32Array([NaN, Infinity, -Infinity, -0, 1e-45, 3.4e38]) },
    { name: '__proto__', shape: [1], data: new Float32Array([7]) },
  ];
  const metadata = { format: 'pt', 'ключ': 'значение ✓', quote: 'a"b\\c' };

  it('round-trips F32 exactly, with metadata, in order', async () => {
    const bytes = writeSafetensors(tensors, metadata);
    const p = parseSafetensors(bytes);
    expect(p.metadata).toEqual(metadata);
    expect([...p.tensors.keys()]).toEqual(tensors.map((t) => t.name));
    for (const t of tensors) {
      const got = p.tensors.get(t.name)!;
      expect(got.shape).toEqual(t.shape);
      expect(sameFloats(got.data, bitsOf(t.data))).toBe(true);
    }
    expect(summary(await parseViaStream(bytes, [3]))).toEqual(summary(p));
    expect(Object.getPrototypeOf(p.metadata)).toBe(Object.prototype); // no prototype pollution either way
  });

  it('round-trips F16 as f32ToF16 rounding', () => {
    const p = parseSafetensors(writeSafetensors(tensors, {}, { dtype: 'F16' }));
    for (const t of tensors) {
      const want = Array.from(t.data, (x) => f16ToF32(f32ToF16(x)));
      expect(sameFloats(p.tensors.get(t.name)!.data, bitsOf(new Float32Array(want)))).toBe(true);
    }
  });

  it('pads the header with spaces to a multiple of 8 bytes, counting UTF-8 bytes (not characters)', () => {
    // names whose UTF-8 byte length differs from their string length by 1..7 bytes
    for (let k = 0; k < 16; k++) {
      const name = 'é'.repeat(k) + 'x'.repeat(k % 5);
      const bytes = writeSafetensors([{ name, shape: [1], data: new Float32Array([k]) }], k % 2 ? { m: '✓'.repeat(k) } : {});
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect((8 + n) % 8).toBe(0);
      expect(bytes.length).toBe(8 + n + 4);
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      expect(text.trimEnd().endsWith('}')).toBe(true);
      expect(text.length - text.trimEnd().length).toBeLessThan(8);
      expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
      expect(parseSafetensors(bytes).tensors.get(name)!.data[0]).toBe(k);
    }
  });

  it('rejects bad input with typed errors', async () => {
    const t = (o: Partial<NamedTensor>) => [{ name: 'x', shape: [2], data: new Float32Array(2), ...o }] as NamedTensor[];
    expect((await errorOf(() => writeSafetensors(t({ shape: [3] })))).code).toBe('bad-tensor');
    expect((await errorOf(() => writeSafetensors(t({ shape: [-2] })))).code).toBe('bad-tensor');
    expect((await errorOf(() => writeSafetensors(t({ name: '__metadata__' })))).code).toBe('bad-tensor');
    expect((await errorOf(() => writeSafetensors([...t({}), ...t({})]))).code).toBe('bad-tensor');
    expect((await errorOf(() => writeSafetensors(t({ data: [1, 2] as unknown as Float32Array })))).code).toBe('bad-tensor');
    expect((await errorOf(() => writeSafetensors(t({}), { a: 1 as unknown as string }))).code).toBe('bad-metadata');
    expect((await errorOf(() => writeSafetensors(t({}), {}, { dtype: 'BF16' as 'F16' }))).code).toBe('bad-input');
  });

  it('writes an empty file that parses', () => {
    const p = parseSafetensors(writeSafetensors([]));
    expect(p.tensors.size).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed inputs: one case per failure, parsed from a buffer and from a stream.

const A4 = f32bytes(1, 2, 3, 4); // 16 bytes of data
const ok = (shape: unknown = [4], offsets: unknown = [0, 16], dtype = 'F32') => ({ a: entry(dtype, shape, offsets) });
const u64 = (n: bigint) => n;

const MALFORMED: [string, SafetensorsErrorCode, Uint8Array][] = [
  ['empty file', 'truncated', new Uint8Array(0)],
  ['7 bytes', 'truncated', new Uint8Array(7)],
  ['header length 100 000 001', 'header-too-large', rawFile('{}', A4, u64(100_000_001n))],
  ['header length 2^64 − 1', 'header-too-large', rawFile('{}', A4, u64(2n ** 64n - 1n))],
  ['zip (PyTorch .bin)', 'header-too-large', new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 0, 0, 0, 0])],
  ['header length past the end', 'header-beyond-file', rawFile('{}', new Uint8Array(0), u64(3n))],
  ['cut inside the header', 'header-beyond-file', rawFile(ok(), A4).subarray(0, 20)],
  ['invalid UTF-8', 'bad-utf8', rawFile('{"ab":1}').map((b, i) => (i === 10 ? 0xff : b))],
  ['empty header', 'header-not-object', rawFile('')],
  ['array header', 'header-not-object', rawFile('[]')],
  ['null header', 'header-not-object', rawFile('null')],
  ['leading space', 'header-not-object', rawFile(' {}')],
  ['BOM', 'header-not-object', rawFile('\ufeff{}')],
  ['not JSON', 'bad-json', rawFile('{"a":')],
  ['JSON then junk', 'bad-json', rawFile('{} x')],
  ['duplicate tensor', 'duplicate-name', rawFile(`{"a":${JSON.stringify(entry('F32', [2], [0, 8]))},"a":${JSON.stringify(entry('F32', [2], [8, 16]))}}`, A4)],
  ['duplicate by escape', 'duplicate-name', rawFile(`{"a":${JSON.stringify(entry('F32', [2], [0, 8]))},"\\u0061":${JSON.stringify(entry('F32', [2], [8, 16]))}}`, A4)],
  ['duplicate field in entry', 'duplicate-name', rawFile('{"a":{"dtype":"F64","dtype":"F32","shape":[4],"data_offsets":[0,16]}}', A4)],
  ['duplicate metadata key', 'duplicate-name', rawFile(`{"__metadata__":{"k":"1","k":"2"},"a":${JSON.stringify(entry('F32', [4], [0, 16]))}}`, A4)],
  ['metadata array', 'bad-metadata', rawFile({ __metadata__: ['x'], ...ok() }, A4)],
  ['metadata number value', 'bad-metadata', rawFile({ __metadata__: { total_size: 16 }, ...ok() }, A4)],
  ['entry is a number', 'bad-entry', rawFile({ a: 3 }, A4)],
  ['entry is an array', 'bad-entry', rawFile({ a: ['F32', [4], [0, 16]] }, A4)],
  ['entry is null', 'bad-entry', rawFile({ a: null }, A4)],
  ['dtype missing', 'bad-entry', rawFile({ a: { shape: [4], data_offsets: [0, 16] } }, A4)],
  ['dtype not a string', 'bad-entry', rawFile({ a: entry(4 as unknown as string, [4], [0, 16]) }, A4)],
  ['shape missing', 'bad-entry', rawFile({ a: { dtype: 'F32', data_offsets: [0, 16] } }, A4)],
  ['shape a string', 'bad-entry', rawFile(ok('4'), A4)],
  ['offsets missing', 'bad-entry', rawFile({ a: { dtype: 'F32', shape: [4] } }, A4)],
  ['offsets an object', 'bad-entry', rawFile(ok([4], { begin: 0, end: 16 }), A4)],
  ['unknown dtype', 'unknown-dtype', rawFile(ok([4], [0, 16], 'F33'), A4)],
  ['lower-case dtype', 'unknown-dtype', rawFile(ok([4], [0, 16], 'f32'), A4)],
  ['prototype name as dtype', 'unknown-dtype', rawFile(ok([4], [0, 16], 'toString'), A4)],
  ['F8 dtype', 'unsupported-dtype', rawFile(ok([16], [0, 16], 'F8_E4M3'), A4)],
  ['negative dim', 'bad-shape', rawFile(ok([-4]), A4)],
  ['fractional dim', 'bad-shape', rawFile(ok([1.5]), A4)],
  ['string dim', 'bad-shape', rawFile(ok(['4']), A4)],
  ['null dim', 'bad-shape', rawFile(ok([null]), A4)],
  ['1e400 dim', 'bad-shape', rawFile('{"a":{"dtype":"F32","shape":[1e400],"data_offsets":[0,16]}}', A4)],
  ['[2^40, 2^40]', 'shape-overflow', rawFile(ok([2 ** 40, 2 ** 40]), A4)],
  ['[2^40, 2^40, 0]', 'shape-overflow', rawFile(ok([2 ** 40, 2 ** 40, 0], [0, 0]), A4)],
  ['2^60 dim', 'shape-overflow', rawFile(ok([2 ** 60]), A4)],
  ['bytes ≥ 2^53', 'shape-overflow', rawFile(ok([2 ** 51], [0, 16], 'F64'), A4)],
  ['one offset', 'bad-offsets', rawFile(ok([4], [16]), A4)],
  ['three offsets', 'bad-offsets', rawFile(ok([4], [0, 16, 32]), A4)],
  ['end < begin', 'bad-offsets', rawFile(ok([4], [16, 0]), A4)],
  ['negative offset', 'bad-offsets', rawFile(ok([4], [-16, 0]), A4)],
  ['fractional offset', 'bad-offsets', rawFile(ok([4], [0.5, 16.5]), A4)],
  ['string offsets', 'bad-offsets', rawFile(ok([4], ['0', '16']), A4)],
  ['huge offset', 'bad-offsets', rawFile(ok([4], [2 ** 60, 2 ** 60 + 16]), A4)],
  ['shape/bytes mismatch', 'shape-bytes-mismatch', rawFile(ok([3]), A4)],
  ['shape/bytes mismatch (dtype)', 'shape-bytes-mismatch', rawFile(ok([4], [0, 16], 'F16'), A4)],
  ['overlap', 'overlapping-offsets', rawFile({ a: entry('F32', [3], [0, 12]), b: entry('F32', [2], [8, 16]) }, A4)],
  ['same range twice', 'overlapping-offsets', rawFile({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [0, 8]), c: entry('F32', [2], [8, 16]) }, A4)],
  ['empty tensor inside another', 'overlapping-offsets', rawFile({ a: entry('F32', [4], [0, 16]), b: entry('F32', [0], [8, 8]) }, A4)],
  ['first tensor not at 0', 'gap', rawFile(ok([3], [4, 16]), A4)],
  ['hole between tensors', 'gap', rawFile({ a: entry('F32', [1], [0, 4]), b: entry('F32', [2], [8, 16]) }, A4)],
  ['data cut short', 'offsets-out-of-range', rawFile(ok(), A4.subarray(0, 13))],
  ['offsets past the file', 'offsets-out-of-range', rawFile(ok([8], [0, 32]), A4)],
  ['trailing bytes', 'trailing-bytes', rawFile(ok([3], [0, 12]), A4)],
  ['no tensors but data', 'trailing-bytes', rawFile({}, A4)],
];

describe('malformed files: typed errors with distinct codes', () => {
  it.each(MALFORMED)('%s → %s', async (_label, code, bytes) => {
    const e = await errorOf(() => parseSafetensors(bytes));
    expect(e.code).toBe(code);
    expect(e.message.length).toBeGreaterThan(10);
    // the stream reader with the file size gives the same code
    expect((await errorOf(() => parseViaStream(bytes, [5], { totalBytes: bytes.length }))).code).toBe(code);
    // without the size, a too-short file ends the stream early; everything else has the same code
    const early = ['truncated', 'header-beyond-file', 'offsets-out-of-range'].includes(code);
    expect((await errorOf(() => parseViaStream(bytes, [3]))).code).toBe(early ? 'stream-ended-early' : code);
  });

  it('the codes are distinct per failure', () => {
    expect(new Set(MALFORMED.map((m) => m[1])).size).toBeGreaterThanOrEqual(19);
  });

  it('says what a non-safetensors file looks like', async () => {
    expect((await errorOf(() => parseSafetensors(new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\n')))).message).toMatch(/LFS/);
    expect((await errorOf(() => parseSafetensors(new TextEncoder().encode('<!DOCTYPE html><html>')))).message).toMatch(/HTML/);
    expect((await errorOf(() => parseSafetensors(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0])))).message).toMatch(/zip/);
  });

  it('rejects a non-buffer input', async () => {
    expect((await errorOf(() => parseSafetensors(null as unknown as Uint8Array))).code).toBe('bad-input');
    expect((await errorOf(() => parseSafetensors('abc' as unknown as Uint8Array))).code).toBe('bad-input');
  });
});

describe('valid edge cases', () => {
  it('accepts empty headers, metadata only, zero-size tensors sharing an offset, NaN/Inf data', () => {
    expect(parseSafetensors(rawFile('{}')).tensors.size).toBe(0);
    expect(parseSafetensors(rawFile('{}      ')).tensors.size).toBe(0); // space padding
    expect(parseSafetensors(rawFile('{"__metadata__":{"format":"pt"}}')).metadata).toEqual({ format: 'pt' });
    const p = parseSafetensors(
      rawFile({ z1: entry('F32', [0], [0, 0]), z2: entry('F16', [3, 0], [0, 0]), a: entry('F32', [4], [0, 16]), z3: entry('BF16', [0], [16, 16]) }, f32bytes(NaN, Infinity, -Infinity, -0)),
    );
    expect([...p.tensors.keys()]).toEqual(['z1', 'z2', 'a', 'z3']);
    expect(Array.from(p.tensors.get('a')!.data)).toEqual([NaN, Infinity, -Infinity, -0]);
    expect(p.tensors.get('z2')!.shape).toEqual([3, 0]);
  });

  it('ignores extra entry fields and keeps "__proto__" names as data', () => {
    const p = parseSafetensors(rawFile('{"__metadata__":{"__proto__":"x"},"__proto__":{"dtype":"F32","shape":[4],"data_offsets":[0,16],"extra":1}}', A4));
    expect(p.tensors.get('__proto__')!.data[3]).toBe(4);
    expect(Object.getOwnPropertyDescriptor(p.metadata, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(p.metadata)).toBe(Object.prototype);
  });

  it('findDuplicateJsonKey tracks strings, escapes and nesting', () => {
    expect(findDuplicateJsonKey('{"a":{"a":1},"b":["a","a"],"c":"\\"a"}')).toBeNull();
    expect(findDuplicateJsonKey('{"x":{"k":1,"k\\u0000":2},"y":{"k":[{"q":1},{"q":2}],"k":3}}')).toEqual({ key: 'k', depth: 2 });
    expect(findDuplicateJsonKey('{"a\\\\":1,"a\\u005c":2}')).toEqual({ key: 'a\\', depth: 1 });
  });
});

// ---------------------------------------------------------------------------------------------
// Stream reader specifics

describe('stream reader', () => {
  it('yields one tensor at a time, reports progress and the header', async () => {
    const bytes = read('mixed.safetensors');
    const progress: [number, number | undefined][] = [];
    let header: SafetensorsHeader | null = null;
    const names: string[] = [];
    for await (const t of readSafetensorsStream(streamOf(bytes, [50]), {
      totalBytes: bytes.length,
      onProgress: (r, total) => progress.push([r, total]),
      onHeader: (h) => (header = h),
    })) {
      expect(header).not.toBeNull(); // header arrives before the first tensor
      names.push(t.name);
    }
    expect(names).toEqual(expected['mixed.safetensors'].order);
    expect(progress.at(-1)).toEqual([bytes.length, bytes.length]);
    expect(progress.every(([r], i) => i === 0 || r > progress[i - 1][0])).toBe(true);
    expect(header!.entries.filter((e) => !e.float).map((e) => e.name).sort()).toEqual(expected['mixed.safetensors'].skipped);
  });

  it('does not read more than it needs before yielding a tensor', async () => {
    // two tensors of 4 KiB each: the first is yielded before the second's bytes are pulled
    const data = new Uint8Array(8192).map((_, i) => i & 0x7f);
    const bytes = rawFile({ a: entry('U8', [10], [0, 10]), b: entry('F32', [1022], [10, 4098]), c: entry('F32', [1023], [4098, 8190]), d: entry('U8', [2], [8190, 8192]) }, data);
    let readSoFar = 0;
    const seenAt: number[] = [];
    for await (const t of readSafetensorsStream(streamOf(bytes, [1000]), { onProgress: (r) => (readSoFar = r) })) {
      seenAt.push(readSoFar);
      expect(t.data.length).toBe(t.shape[0]);
    }
    const dataStart = bytes.length - 8192;
    expect(seenAt[0]).toBeLessThan(dataStart + 4098 + 1000);
    expect(seenAt[1]).toBeLessThanOrEqual(bytes.length);
  });

  it('decodes large tensors across many chunks (buffer growth path, no totalBytes)', async () => {
    const rng = new Rng(5);
    const big = rng.normalArray(700_000); // > the 2^18-element initial capacity
    for (const dtype of ['F32', 'F16'] as const) {
      const bytes = writeSafetensors([{ name: 'w', shape: [700, 1000], data: big }], {}, { dtype });
      const ref = parseSafetensors(bytes).tensors.get('w')!;
      const got = (await parseViaStream(bytes, [65_537, 3, 1_000_001])).tensors.get('w')!.data;
      expect(got.length).toBe(ref.data.length);
      const a = new Uint32Array(got.buffer);
      const b = new Uint32Array(ref.data.buffer);
      let diff = 0;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff++;
      expect(diff).toBe(0);
    }
  });

  it('a lying header without totalBytes does not allocate the claimed size', async () => {
    // claims a 4 GB F32 tensor; the stream then ends after 1 MB of data
    const claimed = 2 ** 30;
    const bytes = rawFile({ w: entry('F32', [claimed], [0, claimed * 4]) }, new Uint8Array(1 << 20));
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const e = await errorOf(() => parseViaStream(bytes, [1 << 16], { onProgress: () => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)) }));
    expect(e.code).toBe('stream-ended-early');
    expect(e.message).toMatch(/tensor "w"/);
    expect(peak - before).toBeLessThan(64 * 2 ** 20);
  });

  it('stream ending early: in the prefix, the header and a tensor', async () => {
    const bytes = read('mixed.safetensors');
    for (const cut of [0, 5, 8, 30, bytes.length - 1]) {
      const e = await errorOf(() => parseViaStream(bytes.subarray(0, cut), [7]));
      expect(e.code).toBe('stream-ended-early');
    }
  });

  it('trailing bytes in the stream (with a totalBytes that is too small)', async () => {
    const bytes = read('mixed.safetensors');
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect((await errorOf(() => parseViaStream(longer, [100]))).code).toBe('trailing-bytes');
    // the caller's totalBytes is the file's size, but the stream delivers more
    expect((await errorOf(() => parseViaStream(longer, [100], { totalBytes: bytes.length }))).code).toBe('trailing-bytes');
    // totalBytes bigger than the file: caught from the header, before any tensor
    expect((await errorOf(() => parseViaStream(bytes, [100], { totalBytes: bytes.length + 3 }))).code).toBe('trailing-bytes');
  });

  it('a failing stream is a stream-error with the cause; wrong chunk types too', async () => {
    const boom = new Error('network down');
    let n = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(c) {
        if (n < 2) c.enqueue(read('mixed.safetensors').subarray(n * 20, n * 20 + 20));
        else c.error(boom);
        n++;
      },
    });
    const e = await errorOf(() => collectSafetensorsStream(failing));
    expect(e.code).toBe('stream-error');
    expect(e.cause).toBe(boom);
    const strings = new ReadableStream({ start: (c) => (c.enqueue('abc'), c.close()) }) as unknown as ReadableStream<Uint8Array>;
    expect((await errorOf(() => collectSafetensorsStream(strings))).code).toBe('stream-error');
  });

  it('bad options and locked streams are bad-input', async () => {
    const bytes = read('mixed.safetensors');
    expect((await errorOf(() => parseViaStream(bytes, [10], { totalBytes: -1 }))).code).toBe('bad-input');
    expect((await errorOf(() => parseViaStream(bytes, [10], { totalBytes: 1.5 }))).code).toBe('bad-input');
    const s = streamOf(bytes);
    s.getReader();
    expect((await errorOf(() => collectSafetensorsStream(s))).code).toBe('bad-input');
    expect((await errorOf(() => collectSafetensorsStream({} as ReadableStream<Uint8Array>))).code).toBe('bad-input');
  });

  it('breaking out of the loop cancels the stream; errors cancel it too', async () => {
    const bytes = read('mixed.safetensors');
    const make = () => {
      const state = { cancelled: false, pulled: 0 };
      const inner = streamOf(bytes, [16]).getReader();
      const stream = new ReadableStream<Uint8Array>({
        async pull(c) {
          state.pulled++;
          const r = await inner.read();
          if (r.done) c.close();
          else c.enqueue(r.value);
        },
        cancel() {
          state.cancelled = true;
        },
      }, { highWaterMark: 0 });
      return { stream, state };
    };
    const a = make();
    for await (const t of readSafetensorsStream(a.stream)) {
      expect(t.name).toBe(expected['mixed.safetensors'].order![0]);
      break;
    }
    expect(a.state.cancelled).toBe(true);
    // it stopped pulling right after the first tensor (f64.d, 112 bytes at the start of the data)
    const n = readSafetensorsHeader(bytes).headerBytes;
    expect(a.state.pulled * 16).toBeLessThanOrEqual(8 + n + 112 + 32);
    expect(a.state.pulled * 16).toBeLessThan(bytes.length - 100);

    const b = make();
    await errorOf(() => collectSafetensorsStream(b.stream, { totalBytes: bytes.length + 1 }));
    expect(b.state.cancelled).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Sharded checkpoints

describe('sharded checkpoints', () => {
  const indexText = readFileSync(`${FIX}/sharded/model.safetensors.index.json`, 'utf8');
  const shard = (f: string) => read(`sharded/${f}`);

  it('parses the index (HF layout)', () => {
    const idx = parseShardIndex(indexText);
    expect(idx.files).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(idx.weightMap.get('c.bias')).toBe('model-00002-of-00002.safetensors');
    expect(typeof idx.metadata.total_size).toBe('number');
    expect(parseShardIndex(new TextEncoder().encode(indexText)).weightMap.size).toBe(5);
    expect(parseShardIndex(JSON.parse(indexText)).weightMap.size).toBe(5);
  });

  for (const kind of ['buffer', 'arraybuffer', 'stream', 'stream+size'] as const) {
    it(`loads the union of all shards (${kind}) and matches the Python goldens`, async () => {
      const fetched: string[] = [];
      const fetchFile = async (f: string): Promise<ShardSource> => {
        fetched.push(f);
        const b = shard(f);
        if (kind === 'buffer') return b;
        if (kind === 'arraybuffer') return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
        if (kind === 'stream') return streamOf(b, [9]);
        return { stream: streamOf(b, [9]), totalBytes: b.length };
      };
      const progress: string[] = [];
      const p = await loadShardedSafetensors(parseShardIndex(indexText), fetchFile, { onProgress: (q) => progress.push(`${q.fileIndex}/${q.fileCount}`) });
      expect(fetched).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
      const e1 = expected['sharded/model-00001-of-00002.safetensors'];
      const e2 = expected['sharded/model-00002-of-00002.safetensors'];
      checkAgainstGolden(p, { metadata: { format: 'pt' }, skipped: [...e1.skipped, ...e2.skipped].sort(), tensors: { ...e1.tensors, ...e2.tensors } });
      expect(p.indexMetadata.total_size).toBe(JSON.parse(indexText).metadata.total_size);
      expect(progress.at(-1)).toBe('1/2');
    });
  }

  // synthetic shards written with the raw builder
  const S1 = rawFile({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [8, 16]) }, A4);
  const S2 = rawFile({ c: entry('F32', [4], [0, 16]) }, A4);
  const load = (weightMap: Record<string, string>, shards: Record<string, Uint8Array>) =>
    loadShardedSafetensors(parseShardIndex({ weight_map: weightMap }), async (f) => {
      if (!(f in shards)) throw new Error(`404 ${f}`);
      return shards[f];
    });

  it('typed errors for index/shard disagreements', async () => {
    expect((await load({ a: 's1', b: 's1', c: 's2' }, { s1: S1, s2: S2 })).tensors.size).toBe(3);
    const missing = await errorOf(() => load({ a: 's1', b: 's1', c: 's2', x: 's2' }, { s1: S1, s2: S2 }));
    expect([missing.code, missing.message]).toEqual(['missing-tensor', 's2: the index lists tensor "x" in this shard, but it is not there']);
    // "b" in both shards, listed in the first
    const S2b = rawFile({ b: entry('F32', [2], [0, 8]), c: entry('F32', [2], [8, 16]) }, A4);
    expect((await errorOf(() => load({ a: 's1', b: 's1', c: 's2' }, { s1: S1, s2: S2b }))).code).toBe('duplicate-tensor');
    // "b" in both shards, listed in the second: the first shard holds a tensor the index puts elsewhere
    expect((await errorOf(() => load({ a: 's1', b: 's2', c: 's2' }, { s1: S1, s2: S2b }))).code).toBe('unlisted-tensor');
    expect((await errorOf(() => load({ a: 's1', c: 's2' }, { s1: S1, s2: S2 }))).code).toBe('unlisted-tensor');
    const fetchFail = await errorOf(() => load({ a: 's1', b: 's1', c: 's3' }, { s1: S1, s2: S2 }));
    expect(fetchFail.code).toBe('fetch-failed');
    expect(String((fetchFail.cause as Error).message)).toBe('404 s3');
    // a broken shard: its own code, message prefixed with the shard's name
    const broken = await errorOf(() => load({ a: 's1', b: 's1', c: 's2' }, { s1: S1, s2: S2.subarray(0, S2.length - 3) }));
    expect(broken.code).toBe('offsets-out-of-range');
    expect(broken.message.startsWith('s2: ')).toBe(true);
    const junk = await errorOf(() => loadShardedSafetensors(parseShardIndex({ weight_map: { a: 's1' } }), async () => 'nope' as unknown as Uint8Array));
    expect(junk.code).toBe('bad-input');
  });

  it('rejects bad indexes and path traversal before fetching anything', async () => {
    const bad: [unknown, SafetensorsErrorCode][] = [
      ['{', 'bad-index'],
      ['[]', 'bad-index'],
      ['{}', 'bad-index'],
      [{ weight_map: [] }, 'bad-index'],
      [{ weight_map: {} }, 'bad-index'],
      [{ weight_map: { a: 3 } }, 'bad-index'],
      [{ weight_map: { a: 'x' }, metadata: 'm' }, 'bad-index'],
      ['{"weight_map":{"a":"x","a":"y"}}', 'duplicate-name'],
      [{ weight_map: { a: '../x.safetensors' } }, 'bad-shard-name'],
      [{ weight_map: { a: 'sub/x.safetensors' } }, 'bad-shard-name'],
      [{ weight_map: { a: '..\\x' } }, 'bad-shard-name'],
      [{ weight_map: { a: '/etc/passwd' } }, 'bad-shard-name'],
      [{ weight_map: { a: 'C:x' } }, 'bad-shard-name'],
      [{ weight_map: { a: '%2e%2e' } }, 'bad-shard-name'],
      [{ weight_map: { a: '..' } }, 'bad-shard-name'],
      [{ weight_map: { a: '' } }, 'bad-shard-name'],
      [{ weight_map: { a: 'x\u0000.safetensors' } }, 'bad-shard-name'],
    ];
    for (const [input, code] of bad) {
      const e = await errorOf(() => parseShardIndex(input as string));
      expect([JSON.stringify(input), e.code]).toEqual([JSON.stringify(input), code]);
    }
    expect(isSafeShardFileName('model-00001-of-00002.safetensors')).toBe(true);
    // a hand-made index object that skipped validation is still refused at fetch time
    let fetched = false;
    const idx = { metadata: {}, weightMap: new Map([['a', '../x']]), files: ['../x'] };
    const e = await errorOf(() => loadShardedSafetensors(idx, async () => ((fetched = true), S1)));
    expect(e.code).toBe('bad-shard-name');
    expect(fetched).toBe(false);
  });
});
