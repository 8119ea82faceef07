/**
 * Procedural, named backgrounds for the shapes dataset (the names appear in captions).
 *
 * Each pattern mixes two colours A and B per pixel with a weight t ∈ [0, 1]. Hard-edged patterns are
 * anti-aliased analytically (box filter of the pattern over the pixel's footprint), so they stay
 * clean when the image is shown enlarged. Pattern scales are in pixels at 32 px and scale with S.
 */
import type { Rng } from '../rng';

export const BACKGROUNDS = ['plain', 'gradient', 'striped', 'checkered', 'dotted', 'noisy'] as const;
export type BackgroundName = (typeof BACKGROUNDS)[number];

export type RGB = readonly [number, number, number];

/** ∫₀ᵘ of a square wave that is 1 on [n, n + duty) and 0 elsewhere. */
function squareWaveIntegral(u: number, duty: number): number {
  const f = Math.floor(u);
  return f * duty + Math.min(u - f, duty);
}

/** Box-filtered square wave: share of [u − w/2, u + w/2] where the wave is 1. */
function boxSquare(u: number, w: number, duty: number): number {
  return (squareWaveIntegral(u + 0.5 * w, duty) - squareWaveIntegral(u - 0.5 * w, duty)) / w;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/**
 * Paint background `kind` into img ([S, S, 3] float RGB 0..255), mixing colours a and b; all pattern
 * parameters (angle, period, phase, lattice values) are drawn from `rng`.
 */
export function drawBackground(
  kind: BackgroundName,
  img: Float32Array,
  S: number,
  rng: Rng,
  a: RGB,
  b: RGB,
  scratch?: Float32Array,
): void {
  const f = S / 32; // pattern scale relative to 32 px
  // t per pixel, [S·S]: 0 → a, 1 → b (`scratch`, if given, is reused to save an allocation per image)
  const weights = scratch && scratch.length >= S * S ? scratch : new Float32Array(S * S);
  switch (kind) {
    case 'plain':
      weights.fill(0);
      break;
    case 'gradient': {
      const ang = rng.range(0, 2 * Math.PI);
      const nx = Math.cos(ang);
      const ny = Math.sin(ang);
      const span = S * rng.range(0.7, 1.1);
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++) {
          const d = (x + 0.5 - S / 2) * nx + (y + 0.5 - S / 2) * ny;
          weights[y * S + x] = clamp01(0.5 + d / span);
        }
      break;
    }
    case 'striped': {
      const ang = rng.range(0, Math.PI);
      const period = rng.range(3.5, 7) * f;
      const duty = rng.range(0.35, 0.6);
      const phase = rng.uniform();
      const nx = Math.cos(ang) / period;
      const ny = Math.sin(ang) / period;
      const w = Math.abs(nx) + Math.abs(ny); // footprint of one pixel, in periods
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++) weights[y * S + x] = boxSquare((x + 0.5) * nx + (y + 0.5) * ny + phase, w, duty);
      break;
    }
    case 'checkered': {
      const ang = rng.range(0, Math.PI / 2);
      const cell = rng.range(3, 6) * f;
      const ux = Math.cos(ang) / (2 * cell); // one period = two cells
      const uy = Math.sin(ang) / (2 * cell);
      const w = Math.abs(ux) + Math.abs(uy);
      const pu = rng.uniform();
      const pv = rng.uniform();
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++) {
          const px = x + 0.5;
          const py = y + 0.5;
          const su = 2 * boxSquare(px * ux + py * uy + pu, w, 0.5) - 1;
          const sv = 2 * boxSquare(-px * uy + py * ux + pv, w, 0.5) - 1;
          weights[y * S + x] = 0.5 - 0.5 * su * sv;
        }
      break;
    }
    case 'dotted': {
      const ang = rng.range(0, Math.PI / 2);
      const spacing = rng.range(3.5, 6) * f;
      const radius = spacing * rng.range(0.2, 0.32);
      const c = Math.cos(ang) / spacing;
      const s = Math.sin(ang) / spacing;
      const pu = rng.uniform();
      const pv = rng.uniform();
      const stagger = rng.uniform() < 0.5 ? 0.5 : 0; // half the time a hexagonal-ish lattice
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++) {
          const px = x + 0.5;
          const py = y + 0.5;
          const v = -px * s + py * c + pv;
          const row = Math.floor(v + 0.5);
          const u = px * c + py * s + pu + (row & 1 ? stagger : 0);
          const du = u - Math.floor(u + 0.5);
          const dv = v - row;
          const d = spacing * Math.sqrt(du * du + dv * dv);
          weights[y * S + x] = clamp01(radius - d + 0.5);
        }
      break;
    }
    case 'noisy': {
      // value noise: random lattice, smoothstep-bilinear interpolation, plus fine grain
      const cell = rng.range(2.5, 5) * f;
      const n = Math.ceil(S / cell) + 2;
      const lat = rng.uniformArray(n * n);
      const grain = rng.range(0.15, 0.35);
      for (let y = 0; y < S; y++) {
        const gy = (y + 0.5) / cell;
        const iy = Math.floor(gy);
        let fy = gy - iy;
        fy = fy * fy * (3 - 2 * fy);
        for (let x = 0; x < S; x++) {
          const gx = (x + 0.5) / cell;
          const ix = Math.floor(gx);
          let fx = gx - ix;
          fx = fx * fx * (3 - 2 * fx);
          const v00 = lat[iy * n + ix];
          const v01 = lat[iy * n + ix + 1];
          const v10 = lat[(iy + 1) * n + ix];
          const v11 = lat[(iy + 1) * n + ix + 1];
          const v = v00 + (v01 - v00) * fx + (v10 - v00) * fy + (v00 - v01 - v10 + v11) * fx * fy;
          weights[y * S + x] = clamp01(v + grain * (rng.uniform() - 0.5) * 2);
        }
      }
      break;
    }
    default:
      throw new Error(`unknown background '${kind as string}'`);
  }
  for (let i = 0; i < S * S; i++) {
    const t = weights[i];
    img[3 * i] = a[0] + (b[0] - a[0]) * t;
    img[3 * i + 1] = a[1] + (b[1] - a[1]) * t;
    img[3 * i + 2] = a[2] + (b[2] - a[2]) * t;
  }
}
