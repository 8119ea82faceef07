/**
 * Node-only image decoding for tests and scripts (the engine decodes in the browser with
 * src/engine/data/decodeBrowser.ts). Both return tightly packed RGB, [height, width, 3] uint8.
 */
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export interface DecodedRgb {
  width: number;
  height: number;
  /** [height, width, 3] uint8 RGB. */
  data: Uint8Array;
}

/** Decode a JPEG with jpeg-js (baseline/progressive; grayscale and CMYK come out as RGB). */
export function decodeJpegFile(path: string): DecodedRgb {
  const img = jpeg.decode(readFileSync(path), { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
  return { width: img.width, height: img.height, data: img.data };
}

/** Decode a PNG with pngjs (any bit depth/colour type; alpha is dropped, 16-bit is reduced to 8). */
export function decodePngFile(path: string): DecodedRgb {
  const png = PNG.sync.read(readFileSync(path)); // RGBA, 8 bits per channel
  const n = png.width * png.height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[i * 3] = png.data[i * 4];
    data[i * 3 + 1] = png.data[i * 4 + 1];
    data[i * 3 + 2] = png.data[i * 4 + 2];
  }
  return { width: png.width, height: png.height, data };
}
