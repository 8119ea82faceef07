/**
 * Safetensors parse throughput: `npx tsx bench/safetensors.bench.ts [MB]` (default 100 MB files).
 * Buffer parse (F32 / F16 / BF16 / F64) and the stream reader (64 KiB chunks, with and without
 * totalBytes). Throughput is file MB (10^6 bytes) per second; median of 5 runs. Writes
 * bench/results/safetensors.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseSafetensors, writeSafetensors } from '../src/engine/io/safetensors';
import { collectSafetensorsStream } from '../src/engine/io/safetensorsStream';
import { Rng } from '../src/engine/rng';

const MB = Number(process.argv[2] ?? 100);
const RUNS = 5;

function rawFile(dtype: string, elemBytes: number, bytes: number, fill: (u8: Uint8Array) => void): Uint8Array {
  // 4 tensors of equal size, like a few big weight matrices
  const per = Math.floor(bytes / 4 / elemBytes);
  const header: Record<string, unknown> = {};
  for (let i = 0; i < 4; i++) header[`w${i}`] = { dtype, shape: [per], data_offsets: [i * per * elemBytes, (i + 1) * per * elemBytes] };
  let json = JSON.stringify(header);
  while ((json.length + 8) % 8) json += ' ';
  const out = new Uint8Array(8 + json.length + 4 * per * elemBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  fill(out.subarray(8 + json.length));
  return out;
}

function streamOf(bytes: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let pos = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (pos >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(pos, pos + chunk)); // a view, as a fetch body's chunks are fresh buffers
      pos += chunk;
    },
  });
}

async function median(fn: () => unknown | Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[RUNS >> 1];
}

const rng = new Rng(1);
const bytes = MB * 1e6;
const randomBytes = (u8: Uint8Array) => {
  const u32 = new Uint32Array(u8.buffer, u8.byteOffset, u8.byteLength >> 2);
  for (let i = 0; i < u32.length; i++) u32[i] = rng.nextUint32() & 0x3f7fffff; // finite, moderate exponents
};
const files: Record<string, Uint8Array> = {
  F32: writeSafetensors([{ name: 'w', shape: [bytes / 4], data: rng.normalArray(bytes / 4) }]),
  F16: rawFile('F16', 2, bytes, randomBytes),
  BF16: rawFile('BF16', 2, bytes, randomBytes),
  F64: rawFile('F64', 8, bytes, (u8) => new Float64Array(u8.buffer, u8.byteOffset, u8.byteLength >> 3).set(rng.normalArray(u8.byteLength >> 3))),
};
const results: Record<string, number> = {};
for (const [dtype, file] of Object.entries(files)) {
  const mb = file.byteLength / 1e6;
  results[`parse ${dtype}`] = mb / ((await median(() => parseSafetensors(file))) / 1000);
  if (dtype === 'F32' || dtype === 'F16') {
    results[`stream ${dtype} (totalBytes)`] = mb / ((await median(() => collectSafetensorsStream(streamOf(file, 65536), { totalBytes: file.byteLength }))) / 1000);
    results[`stream ${dtype} (no size)`] = mb / ((await median(() => collectSafetensorsStream(streamOf(file, 65536)))) / 1000);
  }
}
const f32 = parseSafetensors(files.F32).tensors.get('w')!;
results['write F32'] = (bytes / 1e6) / ((await median(() => writeSafetensors([f32]))) / 1000);
results['write F16'] = (bytes / 2e6) / ((await median(() => writeSafetensors([f32], {}, { dtype: 'F16' }))) / 1000);

for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(26)} ${v.toFixed(0).padStart(7)} MB/s`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/safetensors.json', JSON.stringify({ fileMB: MB, runs: RUNS, node: process.version, mbPerSecond: results }, null, 2));
