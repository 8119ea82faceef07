// Fuzz: mutated safetensors files from a seeded Rng. Every call must either parse or throw a
// SafetensorsError (never another error type, never hang), and the stream reader must agree with the
// buffer parser on the same bytes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, SafetensorsError, writeSafetensors, type ParsedSafetensors } from '../src/engine/io/safetensors';
import { Rng } from '../src/engine/rng';
import { parseViaStream, rawFile, summary } from './safetensorsHelpers';

const CASES = 20_000;
const STREAM_EVERY = 4; // 5000 of them also through the stream reader

function baseFiles(rng: Rng): Uint8Array[] {
  const fix = (p: string) => new Uint8Array(readFileSync(`tests/fixtures/safetensors/${p}`));
  const t = (name: string, shape: number[]) => ({ name, shape, data: rng.normalArray(shape.reduce((a, b) => a * b, 1)) });
  const tensors = [t('a.weight', [3, 4]), t('b.bias', [4]), t('c', []), t('ñ模型', [2, 0]), t('d', [5, 2])];
  const raw = new Uint8Array(64).map((_, i) => (i * 37) & 0xff);
  return [
    fix('mixed.safetensors'),
    fix('unaligned.safetensors'),
    fix('sharded/model-00001-of-00002.safetensors'),
    writeSafetensors(tensors, { format: 'pt' }),
    writeSafetensors(tensors, {}, { dtype: 'F16' }),
    rawFile(
      {
        x: { dtype: 'BF16', shape: [2, 4], data_offsets: [0, 16] },
        y: { dtype: 'I64', shape: [2], data_offsets: [16, 32] },
        z: { dtype: 'F64', shape: [3], data_offsets: [32, 56] },
        w: { dtype: 'U8', shape: [8], data_offsets: [56, 64] },
      },
      raw,
    ),
  ];
}

const headerLen = (b: Uint8Array) => (b.length >= 8 ? Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)) : 0);

function setLen(b: Uint8Array, n: bigint): Uint8Array {
  const out = b.slice();
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, n), true);
  return out;
}

function flip(b: Uint8Array, rng: Rng, lo: number, hi: number, count: number): Uint8Array {
  const out = b.slice();
  if (hi <= lo) return out;
  for (let k = 0; k < count; k++) {
    const i = lo + rng.int(hi - lo);
    out[i] = rng.uniform() < 0.5 ? out[i] ^ (1 << rng.int(8)) : rng.int(256);
  }
  return out;
}

const DTYPES = ['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'U8', 'BOOL', 'U64', 'F8_E4M3', 'f32', 'Q4', '', 7, null];
const pick = <T,>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];
const wild = (rng: Rng): unknown =>
  pick(rng, [-1, 0, 1, 2, 3, 4, 7, 8, 16, 1.5, -0.5, 2 ** 31, 2 ** 40, 2 ** 53, 2 ** 60, 1e300, '4', null, true, [], {}, [1, 2]]);

/** Mutate the header JSON (structure-aware), re-serialise, fix or break N and the data length. */
function jsonMutation(b: Uint8Array, rng: Rng): Uint8Array {
  const n = headerLen(b);
  const header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))) as Record<string, unknown>;
  let data = b.subarray(8 + n);
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const rounds = 1 + rng.int(3);
  let dupName: string | null = null;
  for (let r = 0; r < rounds; r++) {
    const name = names.length ? pick(rng, names) : 'x';
    const cur = header[name];
    const e = (typeof cur === 'object' && cur !== null && !Array.isArray(cur) ? cur : {}) as Record<string, unknown>;
    const shape = Array.isArray(e.shape) ? [...(e.shape as unknown[])] : [];
    const offs = Array.isArray(e.data_offsets) ? [...(e.data_offsets as unknown[])] : [0, 0];
    switch (rng.int(14)) {
      case 0: delete e[pick(rng, ['dtype', 'shape', 'data_offsets'])]; break;
      case 1: e.dtype = pick(rng, DTYPES); break;
      case 2: shape[rng.int(shape.length + 1)] = wild(rng); e.shape = shape; break;
      case 3: shape.push(pick(rng, [1, 2, 0, 2 ** 40])); e.shape = shape; break;
      case 4: shape.pop(); e.shape = shape; break;
      case 5: offs[rng.int(2)] = wild(rng); e.data_offsets = offs; break;
      case 6: e.data_offsets = offs.map((o) => (typeof o === 'number' ? o + pick(rng, [-8, -4, -2, -1, 1, 2, 4, 8]) : o)); break;
      case 7: e.data_offsets = [offs[1], offs[0]]; break;
      case 8: e.data_offsets = pick(rng, [[0], [0, 4, 8], 'x', null, {}]); break;
      case 9: delete header[name]; break;
      case 10: header[`${name}.copy`] = { ...e }; break;
      case 11: header.__metadata__ = pick(rng, [{ a: 1 }, ['x'], 'meta', null, { ok: 'yes' }, {}]); break;
      case 12: dupName = name; break;
      case 13: header[name] = pick(rng, [3, null, [], 'F32', { dtype: 'F32' }]); continue;
    }
    if (name in header) header[name] = e;
  }
  let text = JSON.stringify(header);
  if (dupName !== null && header[dupName] !== undefined) {
    text = `${text.slice(0, -1)},${JSON.stringify(dupName)}:${JSON.stringify(header[dupName])}}`; // raw duplicate key
  }
  text += ' '.repeat(rng.int(9));
  switch (rng.int(6)) {
    case 0: data = data.subarray(0, rng.int(data.length + 1)); break;
    case 1: { const more = new Uint8Array(data.length + 1 + rng.int(16)); more.set(data); data = more; break; }
  }
  const h = new TextEncoder().encode(text);
  const out = rawFile(text, data);
  if (rng.int(8) === 0) return setLen(out, BigInt(h.length + pick(rng, [-3, -1, 1, 2, 1000])));
  return out;
}

function mutate(base: Uint8Array, rng: Rng): { kind: string; bytes: Uint8Array } {
  const n = headerLen(base);
  const kind = pick(rng, ['flip-header', 'flip-data', 'flip-any', 'truncate', 'header-length', 'json', 'json', 'json', 'splice']);
  switch (kind) {
    case 'flip-header': return { kind, bytes: flip(base, rng, 8, 8 + n, 1 + rng.int(4)) };
    case 'flip-data': return { kind, bytes: flip(base, rng, 8 + n, base.length, 1 + rng.int(8)) };
    case 'flip-any': return { kind, bytes: flip(base, rng, 0, base.length, 1 + rng.int(4)) };
    case 'truncate': return { kind, bytes: base.slice(0, rng.int(base.length)) };
    case 'header-length': {
      const choices = [
        () => (BigInt(rng.nextUint32()) << 32n) | BigInt(rng.nextUint32()),
        () => BigInt(rng.int(base.length + 16)),
        () => BigInt(n + rng.int(9) - 4),
        () => BigInt(100_000_000 + rng.int(3) - 1),
        () => BigInt(rng.nextUint32()),
      ];
      return { kind, bytes: setLen(base, pick(rng, choices)()) };
    }
    case 'json': return { kind, bytes: jsonMutation(base, rng) };
    default: {
      const at = rng.int(base.length + 1);
      const ins = new Uint8Array(1 + rng.int(8)).map(() => rng.int(256));
      const out = new Uint8Array(base.length + ins.length);
      out.set(base.subarray(0, at));
      out.set(ins, at);
      out.set(base.subarray(at), at + ins.length);
      return { kind: 'splice', bytes: out };
    }
  }
}

type Outcome = { ok: true; result: ParsedSafetensors } | { ok: false; code: string };

function outcome(fn: () => ParsedSafetensors): Outcome {
  try {
    return { ok: true, result: fn() };
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw new Error(`not a SafetensorsError: ${String(e)}`, { cause: e });
    if (!e.code || e.message.length < 10) throw new Error(`error without code/message: ${e.code} ${e.message}`);
    return { ok: false, code: e.code };
  }
}

async function outcomeAsync(fn: () => Promise<ParsedSafetensors>): Promise<Outcome> {
  try {
    return { ok: true, result: await fn() };
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw new Error(`not a SafetensorsError: ${String(e)}`, { cause: e });
    return { ok: false, code: e.code };
  }
}

/** The stream reader's code without totalBytes, given the buffer parser's code on the same bytes. */
const streamCodeWithoutSize = (code: string) =>
  ['truncated', 'header-beyond-file', 'offsets-out-of-range'].includes(code) ? 'stream-ended-early' : code;

describe('safetensors fuzz', () => {
  it(`${CASES} mutated files: parse or SafetensorsError; stream reader agrees`, async () => {
    const rng = new Rng(0x5afe7e);
    const bases = baseFiles(rng.fork('bases'));
    const codes = new Map<string, number>();
    const kinds = new Map<string, [number, number]>();
    let parsed = 0;
    let streamed = 0;
    const t0 = performance.now();
    for (let i = 0; i < CASES; i++) {
      const base = pick(rng, bases);
      const { kind, bytes } = mutate(base, rng);
      const label = `case ${i} (${kind})`;
      const o = outcome(() => parseSafetensors(bytes));
      const k = kinds.get(kind) ?? [0, 0];
      k[o.ok ? 0 : 1]++;
      kinds.set(kind, k);
      if (o.ok) {
        parsed++;
        // a parse result is self-consistent
        for (const t of o.result.tensors.values()) expect(t.data.length, label).toBe(t.shape.reduce((a, b) => a * b, 1));
      } else {
        codes.set(o.code, (codes.get(o.code) ?? 0) + 1);
      }
      // flipping data bytes never breaks a file: data is data (NaN/Inf included)
      if (kind === 'flip-data') expect(o.ok, label).toBe(true);

      if (i % STREAM_EVERY === 0) {
        streamed++;
        const withSize = rng.uniform() < 0.5;
        const chunk = 1 + rng.int(97);
        const s = await outcomeAsync(() => parseViaStream(bytes, [chunk, 1 + rng.int(7)], withSize ? { totalBytes: bytes.length } : {}));
        if (o.ok) {
          expect(s.ok, `${label}: stream failed where the buffer parsed: ${!s.ok && s.code}`).toBe(true);
          if (s.ok) expect(summary(s.result), label).toEqual(summary(o.result));
        } else {
          expect(s.ok, label).toBe(false);
          if (!s.ok) expect(s.code, label).toBe(withSize ? o.code : streamCodeWithoutSize(o.code));
        }
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `fuzz: ${CASES} cases (${streamed} also streamed) in ${seconds.toFixed(1)} s; ${parsed} parsed; codes`,
      Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])),
      'by kind [ok, error]', Object.fromEntries(kinds),
    );
    // the mutations reach both outcomes and a broad set of error paths
    expect(parsed).toBeGreaterThan(CASES / 10);
    expect(CASES - parsed).toBeGreaterThan(CASES / 3);
    expect(codes.size).toBeGreaterThanOrEqual(15);
  }, 120_000);
});
