// Image decoding in Node for tests (the browser uses createImageBitmap, src/engine/data/decodeBrowser.ts):
// PNG with pngjs, JPEG with jpeg-js, both to tightly packed RGB like the browser decoder.
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { DecodedImage, ImageDecoder } from '../../src/engine/data/cifarHub';

function rgbaToRgb(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, n = width * height; i < n; i++) {
    out[i * 3] = rgba[i * 4];
    out[i * 3 + 1] = rgba[i * 4 + 1];
    out[i * 3 + 2] = rgba[i * 4 + 2];
  }
  return out;
}

export function decodeSync(bytes: Uint8Array): DecodedImage {
  if (bytes[0] === 0x89 && bytes[1] === 0x50) {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: rgbaToRgb(png.data, png.width, png.height) };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    return { width: img.width, height: img.height, data: rgbaToRgb(img.data, img.width, img.height) };
  }
  throw new Error('not a PNG or JPEG');
}

export const nodeDecoder: ImageDecoder = async (bytes) => decodeSync(bytes);
