/**
 * Writes files with our TS safetensors writer for the Python cross-check in safetensors_golden.py
 * (not run in CI): `npx tsx scripts/golden/safetensors_ts_sample.ts <outDir>` writes
 * ts_written_F32.safetensors, ts_written_F16.safetensors and ts_written.json (names, shapes, float32 bits).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeSafetensors, type NamedTensor } from '../../src/engine/io/safetensors';
import { Rng } from '../../src/engine/rng';

const outDir = process.argv[2] ?? 'scratch';
mkdirSync(outDir, { recursive: true });
const rng = new Rng(7);
const specials = new Float32Array([0, -0, 1, -1, 65504, 65520, 1e-8, 2 ** -24, 2 ** -25, NaN, Infinity, -Infinity, 0.1, 3.4e38]);
const tensors: NamedTensor[] = [
  { name: 'vision_model.embeddings.class_embedding', shape: [8], data: rng.normalArray(8) },
  { name: 'ñ', shape: [3, 5], data: rng.normalArray(15, 0, 100) },
  { name: '模型.权重', shape: [2, 2, 2], data: rng.normalArray(8, 0, 1e-4) },
  { name: '😀 emoji', shape: [], data: new Float32Array([42.5]) },
  { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
  { name: 'specials', shape: [specials.length], data: specials },
  { name: 'a"quote\\back', shape: [1], data: new Float32Array([-3]) },
];
const metadata = { format: 'pt', note: 'ünïcode ✓ — «TBAR»' };
for (const dtype of ['F32', 'F16'] as const) {
  writeFileSync(path.join(outDir, `ts_written_${dtype}.safetensors`), writeSafetensors(tensors, metadata, { dtype }));
}
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
writeFileSync(
  path.join(outDir, 'ts_written.json'),
  JSON.stringify({ metadata, tensors: tensors.map((t) => ({ name: t.name, shape: t.shape, bits: bits(t.data) })) }),
);
console.log(`wrote ${tensors.length} tensors (F32 and F16) to ${outDir}`);
