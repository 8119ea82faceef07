/**
 * The outlines of the shape classes, in a local frame where the shape fits the unit disc (radius 1,
 * y down). A shape is a union of `add` polygons minus the `sub` polygons (ring, moon).
 * Curves are polygons with many vertices (a 48-gon at radius 12 px deviates from a circle by 0.03 px).
 */
import { polygon, regularPolygon, type Polygon } from './raster';

export interface ShapeOutline {
  add: Polygon[];
  sub: Polygon[];
  /** Largest rotation magnitude (radians) drawn for this class; π = any orientation. */
  maxRotation: number;
}

/** Largest distance of an outline vertex from the origin (so a placed shape stays inside the image). */
export function outlineExtent(o: ShapeOutline): number {
  let m = 0;
  for (const p of o.add) for (let i = 0; i < p.length; i += 2) m = Math.max(m, Math.hypot(p[i], p[i + 1]));
  return m;
}

const CURVE = 48;

function disc(r: number, cx = 0, cy = 0, segments = CURVE): Polygon {
  return regularPolygon(segments, r, 0, cx, cy);
}

function star(points: number, outer: number, inner: number): Polygon {
  const xy: number[] = [];
  for (let i = 0; i < 2 * points; i++) {
    const r = i % 2 === 0 ? outer : inner;
    const a = -Math.PI / 2 + (Math.PI * i) / points;
    xy.push(r * Math.cos(a), r * Math.sin(a) + 0.1 * outer); // +0.1: centre the star's box
  }
  return polygon(xy);
}

function heart(): Polygon[] {
  // A square turned 45° (point down) with a disc on each of its two upper edges.
  const h = 0.72; // half-diagonal of the square
  const b = 0.86; // y of the bottom point
  const r = h / Math.SQRT2; // disc radius = half the square's side
  const sq = polygon([0, b, -h, b - h, 0, b - 2 * h, h, b - h]);
  const mx = h / 2;
  const my = b - 1.5 * h;
  return [sq, disc(r, -mx, my), disc(r, mx, my)];
}

function semicircle(): Polygon {
  const xy: number[] = [];
  const n = CURVE / 2;
  for (let i = 0; i <= n; i++) {
    const a = Math.PI + (Math.PI * i) / n; // upper half (y < 0)
    xy.push(Math.cos(a), Math.sin(a) + 0.42);
  }
  return polygon(xy);
}

const ANY = Math.PI;

/** Outline per class name. */
export const SHAPE_OUTLINES: Record<string, ShapeOutline> = {
  circle: { add: [disc(0.82)], sub: [], maxRotation: ANY },
  square: { add: [polygon([-0.68, -0.68, 0.68, -0.68, 0.68, 0.68, -0.68, 0.68])], sub: [], maxRotation: ANY },
  triangle: { add: [regularPolygon(3, 1, -Math.PI / 2, 0, 0.22)], sub: [], maxRotation: ANY },
  star: { add: [star(5, 1, 0.42)], sub: [], maxRotation: ANY },
  cross: {
    add: [
      polygon([
        -0.27, -0.9, 0.27, -0.9, 0.27, -0.27, 0.9, -0.27, 0.9, 0.27, 0.27, 0.27, 0.27, 0.9, -0.27, 0.9, -0.27, 0.27,
        -0.9, 0.27, -0.9, -0.27, -0.27, -0.27,
      ]),
    ],
    sub: [],
    maxRotation: ANY,
  },
  heart: { add: heart(), sub: [], maxRotation: 0.6 },
  ring: { add: [disc(0.9)], sub: [disc(0.5)], maxRotation: ANY },
  diamond: { add: [polygon([0, -1, 0.58, 0, 0, 1, -0.58, 0])], sub: [], maxRotation: ANY },
  arrow: {
    add: [polygon([-0.95, -0.2, 0.1, -0.2, 0.1, -0.62, 0.95, 0, 0.1, 0.62, 0.1, 0.2, -0.95, 0.2])],
    sub: [],
    maxRotation: ANY,
  },
  moon: { add: [disc(0.9)], sub: [disc(0.78, 0.42, -0.1)], maxRotation: ANY },
  hexagon: { add: [regularPolygon(6, 0.92, 0)], sub: [], maxRotation: ANY },
  semicircle: { add: [semicircle()], sub: [], maxRotation: ANY },
};
