/**
 * Write a PNG grid of shapes samples (nearest-neighbour upscaled) to scratch/ and print the captions.
 *   npx tsx scripts/shapes-gallery.ts [--split train] [--seed 0] [--size 32] [--n 64] [--scale 4] [--start 0]
 */
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { generateShapes } from '../src/engine/data/shapes';
import type { Split } from '../src/engine/data/types';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const split = arg('split', 'train') as Split;
const seed = Number(arg('seed', '0'));
const S = Number(arg('size', '32'));
const n = Number(arg('n', '64'));
const scale = Number(arg('scale', '4'));
const start = Number(arg('start', '0'));
const classes = Number(arg('classes', '10'));

const d = generateShapes({ split, seed, imageSize: S, count: n, start, numClasses: classes });
const cols = Math.ceil(Math.sqrt(n));
const rows = Math.ceil(n / cols);
const gap = 2;
const cell = S * scale + gap;
const png = new PNG({ width: cols * cell + gap, height: rows * cell + gap });
png.data.fill(255);
for (let i = 0; i < n; i++) {
  const ox = gap + (i % cols) * cell;
  const oy = gap + Math.floor(i / cols) * cell;
  for (let y = 0; y < S * scale; y++)
    for (let x = 0; x < S * scale; x++) {
      const src = ((i * S + Math.floor(y / scale)) * S + Math.floor(x / scale)) * 3;
      const dst = ((oy + y) * png.width + ox + x) * 4;
      png.data[dst] = d.images[src];
      png.data[dst + 1] = d.images[src + 1];
      png.data[dst + 2] = d.images[src + 2];
      png.data[dst + 3] = 255;
    }
}
const outDir = path.resolve('scratch');
fs.mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `shapes-${split}-s${seed}-${S}px.png`);
fs.writeFileSync(file, PNG.sync.write(png));
d.captions.forEach((c, i) => console.log(`${String(start + i).padStart(4)} [${d.classNames[d.labels[i]]}] ${c}`));
console.log(`wrote ${file} (${cols}×${rows} grid, ×${scale})`);
