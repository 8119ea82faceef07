/**
 * Browser image decoding (main thread or Web Worker): Blob/File → tightly packed RGB uint8.
 *
 * Uses createImageBitmap + OffscreenCanvas, so it works inside the engine's worker. Colour
 * management is switched off (`colorSpaceConversion: 'none'`) so the pixels are the file's own
 * values, as PIL would read them; alpha is dropped like PIL's `convert("RGB")` (which is what
 * transformers' convert_to_rgb calls). Browser JPEG decoders (libjpeg-turbo in Chrome, with its own
 * IDCT and chroma upsampling) can differ from PIL's by a few levels per pixel.
 */

export interface DecodedRgb {
  width: number;
  height: number;
  /** [height, width, 3] uint8 RGB. */
  data: Uint8Array;
}

export type DecodeErrorCode = 'unsupported' | 'decode-failed';

export class DecodeError extends Error {
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Decode an image Blob (JPEG, PNG, WebP, … whatever the browser decodes) to RGB. */
export async function decodeImageBlob(blob: Blob): Promise<DecodedRgb> {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') {
    throw new DecodeError(
      'unsupported',
      'this environment has no createImageBitmap/OffscreenCanvas; use a current Chrome, Edge or Firefox',
    );
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
      // PIL's Image.open (and so HF's processor) ignores the EXIF orientation tag; do the same.
      imageOrientation: 'none',
    });
  } catch (e) {
    const name = blob instanceof File ? ` "${blob.name}"` : '';
    throw new DecodeError(
      'decode-failed',
      `could not decode image${name} (${blob.type || 'unknown type'}, ${blob.size} bytes): ${(e as Error)?.message ?? e}`,
    );
  }
  try {
    const { width, height } = bitmap;
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new DecodeError('unsupported', 'OffscreenCanvas 2d context is not available');
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, width, height).data; // [H, W, 4]
    const n = width * height;
    const data = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      data[i * 3] = rgba[i * 4];
      data[i * 3 + 1] = rgba[i * 4 + 1];
      data[i * 3 + 2] = rgba[i * 4 + 2];
    }
    return { width, height, data };
  } finally {
    bitmap.close();
  }
}
