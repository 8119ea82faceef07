/**
 * A tiny deterministic rasteriser: polygons → anti-aliased coverage, composited into a float RGB image.
 *
 * No Canvas / OffscreenCanvas: Node and the browser must produce identical bytes, so everything is
 * plain IEEE arithmetic. Anti-aliasing is supersampling on a regular k×k grid per pixel: each polygon
 * is scan-converted at k× resolution into a byte mask (even–odd rule, sub-sample centres at
 * (j + 0.5)/k), then every pixel's coverage is the share of its k² sub-samples set. Shapes are unions
 * of polygons minus other polygons (a ring = disc − smaller disc), drawn by filling 1s then 0s.
 *
 * Coordinates are in pixels: pixel (x, y) covers [x, x+1) × [y, y+1), y grows downwards.
 */

/** A polygon as interleaved vertices [x0, y0, x1, y1, …]. */
export type Polygon = Float64Array;

/** Vertices of a regular n-gon of circumradius r; the first vertex at angle `phase` (radians). */
export function regularPolygon(n: number, r: number, phase = 0, cx = 0, cy = 0): Polygon {
  const p = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const a = phase + (2 * Math.PI * i) / n;
    p[2 * i] = cx + r * Math.cos(a);
    p[2 * i + 1] = cy + r * Math.sin(a);
  }
  return p;
}

/** A polygon from a flat list of numbers [x0, y0, x1, y1, …]. */
export function polygon(xy: readonly number[]): Polygon {
  if (xy.length % 2 !== 0 || xy.length < 6) throw new Error('polygon needs ≥ 3 (x, y) pairs');
  return Float64Array.from(xy);
}

/**
 * Similarity transform of a polygon into pixel space: rotate by `rot`, scale by `scale`, translate to
 * (cx, cy). Writes into `out` (same length) and returns it.
 */
export function transformPolygon(p: Polygon, cx: number, cy: number, scale: number, rot: number, out: Polygon): Polygon {
  const c = Math.cos(rot) * scale;
  const s = Math.sin(rot) * scale;
  for (let i = 0; i < p.length; i += 2) {
    const x = p[i];
    const y = p[i + 1];
    out[i] = cx + c * x - s * y;
    out[i + 1] = cy + s * x + c * y;
  }
  return out;
}

/** Supersampled coverage rasteriser for S×S images (k×k sub-samples per pixel). */
export class Rasterizer {
  readonly size: number;
  readonly k: number;
  private readonly hi: number; // S·k
  private readonly mask: Uint8Array; // [(S·k)²] sub-sample mask, all zero between shapes
  private readonly xs = new Float64Array(256); // crossings of one scanline
  // Dirty box of the current shape, in sub-samples (inclusive min, exclusive max).
  private x0 = 0;
  private x1 = 0;
  private y0 = 0;
  private y1 = 0;

  constructor(size: number, k = 4) {
    this.size = size;
    this.k = k;
    this.hi = size * k;
    this.mask = new Uint8Array(this.hi * this.hi);
    this.reset();
  }

  private reset(): void {
    this.x0 = this.hi;
    this.y0 = this.hi;
    this.x1 = 0;
    this.y1 = 0;
  }

  /**
   * Scan-convert polygon `p` (pixel coordinates) into the sub-sample mask, writing `value`
   * (1 = add to the shape, 0 = cut it out). Even–odd rule; half-open so shared edges do not double.
   */
  fill(p: Polygon, value: 0 | 1): void {
    const k = this.k;
    const hi = this.hi;
    const n = p.length >> 1;
    if (n > this.xs.length) throw new Error(`polygon has ${n} vertices; the rasteriser supports ${this.xs.length}`);
    let minY = Infinity;
    let maxY = -Infinity;
    let minX = Infinity;
    let maxX = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = p[2 * i] * k;
      const y = p[2 * i + 1] * k;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
    }
    // Rows whose sub-sample centre r + 0.5 lies in [minY, maxY].
    const r0 = Math.max(0, Math.ceil(minY - 0.5));
    const r1 = Math.min(hi - 1, Math.floor(maxY - 0.5));
    if (r1 < r0) return;
    if (value === 1) {
      const cx0 = Math.max(0, Math.ceil(minX - 0.5));
      const cx1 = Math.min(hi, Math.ceil(maxX - 0.5));
      if (cx0 < this.x0) this.x0 = cx0;
      if (cx1 > this.x1) this.x1 = cx1;
      if (r0 < this.y0) this.y0 = r0;
      if (r1 + 1 > this.y1) this.y1 = r1 + 1;
    }
    const xs = this.xs;
    const mask = this.mask;
    for (let r = r0; r <= r1; r++) {
      const yc = r + 0.5;
      let m = 0;
      let ax = p[2 * (n - 1)] * k;
      let ay = p[2 * (n - 1) + 1] * k;
      for (let i = 0; i < n; i++) {
        const bx = p[2 * i] * k;
        const by = p[2 * i + 1] * k;
        if (ay <= yc !== by <= yc) {
          const x = ax + ((yc - ay) * (bx - ax)) / (by - ay);
          // insertion sort as we go (few crossings per row)
          let j = m++;
          while (j > 0 && xs[j - 1] > x) {
            xs[j] = xs[j - 1];
            j--;
          }
          xs[j] = x;
        }
        ax = bx;
        ay = by;
      }
      const row = r * hi;
      for (let j = 0; j + 1 < m; j += 2) {
        // sub-samples c with xa ≤ c + 0.5 < xb
        const ca = Math.max(0, Math.ceil(xs[j] - 0.5));
        const cb = Math.min(hi, Math.ceil(xs[j + 1] - 0.5));
        if (cb > ca) mask.fill(value, row + ca, row + cb);
      }
    }
  }

  /**
   * Composite the shape drawn since the last call over `img` ([S, S, 3] float RGB, 0..255) in colour
   * (r, g, b) with opacity `opacity`, then clear the mask. Returns the covered area in pixels.
   */
  composite(img: Float32Array, r: number, g: number, b: number, opacity = 1): number {
    const k = this.k;
    const hi = this.hi;
    const S = this.size;
    const mask = this.mask;
    let area = 0;
    if (this.x1 > this.x0 && this.y1 > this.y0) {
      const px0 = Math.floor(this.x0 / k);
      const px1 = Math.min(S, Math.ceil(this.x1 / k));
      const py0 = Math.floor(this.y0 / k);
      const py1 = Math.min(S, Math.ceil(this.y1 / k));
      const inv = opacity / (k * k);
      for (let py = py0; py < py1; py++) {
        for (let px = px0; px < px1; px++) {
          let cnt = 0;
          for (let sy = 0; sy < k; sy++) {
            const base = (py * k + sy) * hi + px * k;
            for (let sx = 0; sx < k; sx++) cnt += mask[base + sx];
          }
          if (cnt === 0) continue;
          const a = cnt * inv;
          area += cnt;
          const o = (py * S + px) * 3;
          img[o] += (r - img[o]) * a;
          img[o + 1] += (g - img[o + 1]) * a;
          img[o + 2] += (b - img[o + 2]) * a;
        }
        const rowStart = py * k;
        for (let sy = 0; sy < k; sy++) mask.fill(0, (rowStart + sy) * hi + px0 * k, (rowStart + sy) * hi + px1 * k);
      }
    }
    this.reset();
    return area / (k * k);
  }
}
