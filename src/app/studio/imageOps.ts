import type { ImageStrip } from '../../engine/experiment/results';

/**
 * |triggered − clean| per pixel, amplified by `gain` and shown on mid-grey, so near-invisible
 * triggers (Blended, WaNet, SIG) become visible. Same shape as the inputs.
 */
export function differenceStrip(clean: ImageStrip, triggered: ImageStrip, gain = 4): ImageStrip {
  const n = Math.min(clean.pixels.length, triggered.pixels.length);
  const pixels = new Uint8Array(n);
  for (let i = 0; i < n; i++) pixels[i] = Math.min(255, Math.abs(triggered.pixels[i] - clean.pixels[i]) * gain);
  return { ...clean, pixels };
}
