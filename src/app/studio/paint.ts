/**
 * The painted trigger as editable pixels: pattern RGB and mask (alpha), both uint8, at most 64×64.
 * Pure functions; the canvas component only calls them and draws the result.
 */
import type { PaintedParams } from '../../engine/triggers/types';
import { base64ToBytes, bytesToBase64 } from '../defaults';

export interface Pixels {
  w: number;
  h: number;
  /** [h, w, 3] */
  rgb: Uint8Array;
  /** [h, w] */
  mask: Uint8Array;
}

export type Tool = 'brush' | 'eraser' | 'opacity' | 'fill';

export function decodePainted(p: PaintedParams): Pixels {
  return { w: p.width, h: p.height, rgb: base64ToBytes(p.pattern), mask: base64ToBytes(p.mask) };
}

export function encodePainted(px: Pixels): Pick<PaintedParams, 'width' | 'height' | 'pattern' | 'mask'> {
  return { width: px.w, height: px.h, pattern: bytesToBase64(px.rgb), mask: bytesToBase64(px.mask) };
}

export const clonePixels = (p: Pixels): Pixels => ({ ...p, rgb: p.rgb.slice(), mask: p.mask.slice() });

export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex);
  const n = m ? parseInt(m[1], 16) : 0;
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export interface BrushSpec {
  tool: Tool;
  /** Side in pattern pixels. */
  size: number;
  colour: [number, number, number];
  /** 0..1: the brush's alpha (brush) or the mask value it sets (opacity brush). */
  opacity: number;
}

/** Apply the brush centred on pattern pixel (x, y). Mutates `px`. */
export function dab(px: Pixels, x: number, y: number, b: BrushSpec): void {
  const r0 = Math.floor((b.size - 1) / 2);
  for (let dy = -r0; dy < b.size - r0; dy++) {
    for (let dx = -r0; dx < b.size - r0; dx++) {
      const xx = x + dx, yy = y + dy;
      if (xx < 0 || yy < 0 || xx >= px.w || yy >= px.h) continue;
      // Round brushes from size 4 up.
      if (b.size >= 4) {
        const c = (b.size - 1) / 2 - r0;
        if ((dx - c) ** 2 + (dy - c) ** 2 > (b.size / 2) ** 2) continue;
      }
      const i = yy * px.w + xx;
      if (b.tool === 'eraser') px.mask[i] = 0;
      else if (b.tool === 'opacity') px.mask[i] = Math.round(b.opacity * 255);
      else {
        px.rgb.set(b.colour, i * 3);
        px.mask[i] = Math.round(b.opacity * 255);
      }
    }
  }
}

/** Dabs along the segment (x0, y0) → (x1, y1), so a fast stroke leaves no gaps. */
export function stroke(px: Pixels, x0: number, y0: number, x1: number, y1: number, b: BrushSpec): void {
  const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
  for (let i = 0; i <= n; i++) dab(px, Math.round(x0 + ((x1 - x0) * i) / n), Math.round(y0 + ((y1 - y0) * i) / n), b);
}

/** Every pixel gets the brush (fill tool). */
export function fillAll(px: Pixels, b: BrushSpec): void {
  for (let i = 0; i < px.w * px.h; i++) {
    if (b.tool === 'eraser') px.mask[i] = 0;
    else if (b.tool === 'opacity') px.mask[i] = Math.round(b.opacity * 255);
    else {
      px.rgb.set(b.colour, i * 3);
      px.mask[i] = Math.round(b.opacity * 255);
    }
  }
}

/** Nearest-neighbour resample to a new side (changing the canvas resolution keeps the drawing). */
export function resample(px: Pixels, w: number, h: number): Pixels {
  const out: Pixels = { w, h, rgb: new Uint8Array(w * h * 3), mask: new Uint8Array(w * h) };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = Math.min(px.w - 1, Math.floor(((x + 0.5) * px.w) / w));
      const sy = Math.min(px.h - 1, Math.floor(((y + 0.5) * px.h) / h));
      const s = sy * px.w + sx, d = y * w + x;
      out.rgb.set(px.rgb.subarray(s * 3, s * 3 + 3), d * 3);
      out.mask[d] = px.mask[s];
    }
  }
  return out;
}

/**
 * RGBA for display: 'pattern' composites the pattern over a light checkerboard by its mask (what the
 * stamp looks like); 'mask' shows the mask as grey levels (white = opaque).
 */
export function toRgba(px: Pixels, view: 'pattern' | 'mask'): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(px.w * px.h * 4);
  for (let i = 0; i < px.w * px.h; i++) {
    const m = px.mask[i] / 255;
    if (view === 'mask') {
      out.fill(px.mask[i], i * 4, i * 4 + 3);
    } else {
      const x = i % px.w, y = Math.floor(i / px.w);
      const bg = (x + y) % 2 ? 236 : 212;
      for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round(m * px.rgb[i * 3 + c] + (1 - m) * bg);
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}
