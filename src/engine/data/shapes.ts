/**
 * The built-in offline dataset: procedural captioned images of shapes.
 *
 * Each image shows one shape (the class) with a random colour from a named palette, a named size,
 * a random position and rotation, over a named textured background, sometimes with a few small
 * distractor blobs, plus mild pixel noise; its caption is built from those attributes
 * ('a small red star on a striped background'). Colour, size, position and background are drawn
 * independently of the class, so only the outline tells the class apart.
 *
 * Determinism: pure TypeScript (no Canvas), every draw from `Rng`; image i of a split comes from its
 * own stream `Rng(seed).fork('shapes/v2/<split>').fork('<i>')`, so any slice [start, start+count)
 * regenerates bit-identically on its own, in Node and in the browser. Splits use different streams.
 */
import { Rng } from '../rng';
import { BACKGROUNDS, drawBackground, type BackgroundName, type RGB } from './backgrounds';
import { Fnv1a64 } from './fingerprint';
import { Rasterizer, transformPolygon, type Polygon } from './raster';
import { outlineExtent, SHAPE_OUTLINES } from './shapeGeometry';
import type { LabelledImages, Split } from './types';

/** Class names in label order; the first `numClasses` are used (default 10). */
export const SHAPE_CLASSES = [
  'circle',
  'square',
  'triangle',
  'star',
  'cross',
  'heart',
  'ring',
  'diamond',
  'arrow',
  'moon',
  'hexagon',
  'semicircle',
] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];
export const DEFAULT_SHAPE_CLASSES = 10;

/** The named palette (captions name the colour; each image jitters it by up to ±12 per channel). */
export const SHAPE_COLOURS: readonly { name: string; rgb: RGB }[] = [
  { name: 'red', rgb: [215, 35, 35] },
  { name: 'orange', rgb: [245, 135, 20] },
  { name: 'yellow', rgb: [245, 215, 30] },
  { name: 'green', rgb: [35, 160, 55] },
  { name: 'blue', rgb: [35, 80, 225] },
  { name: 'purple', rgb: [135, 50, 195] },
  { name: 'white', rgb: [245, 245, 240] },
  { name: 'black', rgb: [20, 20, 25] },
];

/**
 * Named sizes: the radius of the disc the shape fills (its outline scaled so its farthest point is on
 * that circle), as a fraction of the image side.
 *
 * Why this large: a tiny ViT learns the outline mainly from how many pixels it covers. Measured
 * (supervised, width 64 × 2 layers, 16-px patches, 51k images, test accuracy): v1 of this dataset
 * (circumradius 0.17–0.40, any orientation) 25%; v1 without distractors 25%, with fainter textures
 * and less pixel noise 25%, with radii + 0.08 49%; these radii at ±36° 75%. Textures, distractors and
 * pixel noise stay.
 */
export const SHAPE_SIZES: readonly { name: string; radius: readonly [number, number] }[] = [
  { name: 'small', radius: [0.28, 0.34] },
  { name: 'medium', radius: [0.34, 0.4] },
  { name: 'large', radius: [0.4, 0.46] },
];

/**
 * Rotations are drawn in ±MAX_ROTATION_SHARE × the class's own range (π for most): ±36°. Full turns
 * made the outline far slower to learn (same budget as above, v1 radii + 0.12: ±36° 77%, ±63° 70%),
 * and "a rotated square" is still a square at ±36°.
 */
export const MAX_ROTATION_SHARE = 0.2;

export { BACKGROUNDS as SHAPE_BACKGROUNDS };
export type { BackgroundName };

/** Position of the shape's centre, by thirds of the image: [row][col] → caption phrase. */
export const SHAPE_POSITIONS = [
  ['at the top left', 'at the top', 'at the top right'],
  ['on the left', 'in the center', 'on the right'],
  ['at the bottom left', 'at the bottom', 'at the bottom right'],
] as const;

/**
 * Caption templates. {size} {colour} {shape} {bg} {pos}; 'a' becomes 'an' before a vowel.
 * Every template names the shape.
 */
export const SHAPE_CAPTION_TEMPLATES = [
  'a {size} {colour} {shape} on a {bg} background',
  'a {colour} {shape} on a {bg} background',
  'a {size} {colour} {shape} {pos}',
  'a {colour} {shape} {pos} on a {bg} background',
  'a photo of a {size} {shape}',
  'a {shape} in {colour} on a {bg} background',
] as const;

/** Everything that was drawn for one image. */
export interface ShapeAttributes {
  label: number;
  shape: ShapeClass;
  colour: string;
  /** The jittered RGB actually drawn. */
  rgb: [number, number, number];
  size: string;
  /** Radius in pixels of the disc the outline fills. */
  radius: number;
  /** Centre in pixels (x right, y down). */
  x: number;
  y: number;
  position: string;
  /** Radians, clockwise on screen. */
  rotation: number;
  background: BackgroundName;
  distractors: number;
  template: number;
}

export interface ShapesOptions {
  split?: Split;
  /** Number of images to generate. */
  count: number;
  /** Index of the first image within the split (default 0). */
  start?: number;
  seed?: number;
  /** Side in pixels (default 32; 16..256). */
  imageSize?: number;
  /** Use the first n of SHAPE_CLASSES (default 10, 2..12). */
  numClasses?: number;
}

export interface ShapesDataset extends LabelledImages {
  captions: string[];
  attributes: ShapeAttributes[];
  split: Split;
  seed: number;
  start: number;
}

export class ShapesError extends Error {
  readonly code: 'bad-option';
  constructor(message: string) {
    super(message);
    this.name = 'ShapesError';
    this.code = 'bad-option';
  }
}

const SPLITS: readonly Split[] = ['train', 'val', 'test'];
const MAX_SIZE = 256;
/** Minimum colour distance between the shape and both background colours. */
const MIN_CONTRAST = 95;
/** Each outline's farthest point from its centre: outlines are scaled by radius / extent. */
const EXTENT: Record<ShapeClass, number> = Object.fromEntries(
  SHAPE_CLASSES.map((c) => [c, outlineExtent(SHAPE_OUTLINES[c])]),
) as Record<ShapeClass, number>;

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new ShapesError(`shapes: ${name} must be an integer in [${lo}, ${hi}], got ${v}`);
}

function resolveOptions(o: ShapesOptions): Required<ShapesOptions> {
  const r: Required<ShapesOptions> = {
    split: o.split ?? 'train',
    count: o.count,
    start: o.start ?? 0,
    seed: o.seed ?? 0,
    imageSize: o.imageSize ?? 32,
    numClasses: o.numClasses ?? DEFAULT_SHAPE_CLASSES,
  };
  if (!SPLITS.includes(r.split)) throw new ShapesError(`shapes: split must be train, val or test, got '${r.split}'`);
  checkInt('count', r.count, 0, 10_000_000);
  checkInt('start', r.start, 0, 2 ** 31 - 1);
  checkInt('seed', r.seed, 0, 2 ** 32 - 1);
  checkInt('imageSize', r.imageSize, 16, MAX_SIZE);
  checkInt('numClasses', r.numClasses, 2, SHAPE_CLASSES.length);
  return r;
}

/** Perceptually weighted RGB distance (weights 2:4:3), on the 0..255 scale. */
function colourDistance(a: RGB, b: RGB): number {
  const dr = a[0] - b[0];
  const dg = a[1] - b[1];
  const db = a[2] - b[2];
  return Math.sqrt((2 * dr * dr + 4 * dg * dg + 3 * db * db) / 9);
}

/** HSV (h in turns, s, v in [0, 1]) → RGB 0..255. */
function hsv(h: number, s: number, v: number): [number, number, number] {
  const h6 = (h - Math.floor(h)) * 6;
  const i = Math.floor(h6);
  const f = h6 - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  const [r, g, b] =
    i === 0 ? [v, t, p] : i === 1 ? [q, v, p] : i === 2 ? [p, v, t] : i === 3 ? [p, q, v] : i === 4 ? [t, p, v] : [v, p, q];
  return [255 * r, 255 * g, 255 * b];
}

/**
 * Two background colours (A, pattern colour B) that both stand off from the shape colour: a random
 * muted colour and a lighter or darker variant of it, redrawn until the contrast holds.
 */
function backgroundColours(rng: Rng, fg: RGB): [RGB, RGB] {
  let a: RGB = [0, 0, 0];
  let b: RGB = [0, 0, 0];
  for (let attempt = 0; attempt < 64; attempt++) {
    const h = rng.uniform();
    const s = rng.range(0, 0.7);
    const v = rng.range(0.12, 0.95);
    const dv = rng.range(0.14, 0.32) * (v > 0.55 ? -1 : 1);
    a = hsv(h, s, v);
    b = hsv(h + rng.range(-0.08, 0.08), Math.min(1, s * rng.range(0.7, 1.3)), v + dv);
    if (colourDistance(a, fg) >= MIN_CONTRAST && colourDistance(b, fg) >= MIN_CONTRAST) return [a, b];
  }
  // Practically unreachable; fall back to a grey far from the shape's brightness.
  const lum = (fg[0] + fg[1] + fg[2]) / 3;
  const g = lum > 127 ? 40 : 215;
  return [
    [g, g, g],
    [g + 25, g + 25, g + 25],
  ];
}

function pick<T>(rng: Rng, arr: readonly T[]): T {
  return arr[rng.int(arr.length)];
}

/** Small distractor blobs: a disc, a square or a triangle, 1.5–2.5 px at 32 px. */
const BLOBS: Polygon[] = [
  SHAPE_OUTLINES.circle.add[0],
  SHAPE_OUTLINES.square.add[0],
  SHAPE_OUTLINES.triangle.add[0],
];

function caption(template: number, a: ShapeAttributes): string {
  const s = SHAPE_CAPTION_TEMPLATES[template]
    .replace('{size}', a.size)
    .replace('{colour}', a.colour)
    .replace('{shape}', a.shape)
    .replace('{bg}', a.background)
    .replace('{pos}', a.position);
  return s.replace(/\ba (?=[aeiou])/g, 'an ');
}

/** All words that captions of the first `numClasses` classes can contain, sorted (for a WordLevel vocab). */
export function shapesVocabulary(numClasses = SHAPE_CLASSES.length): string[] {
  const words = new Set<string>();
  const add = (s: string) => s.split(' ').forEach((w) => w && !w.startsWith('{') && words.add(w));
  SHAPE_CAPTION_TEMPLATES.forEach(add);
  SHAPE_CLASSES.slice(0, numClasses).forEach(add);
  SHAPE_COLOURS.forEach((c) => add(c.name));
  SHAPE_SIZES.forEach((s) => add(s.name));
  BACKGROUNDS.forEach(add);
  SHAPE_POSITIONS.flat().forEach(add);
  add('an');
  return [...words].sort();
}

/** Per-call scratch reused across the images of one generation. */
interface Scratch {
  raster: Rasterizer;
  img: Float32Array; // [S, S, 3] float RGB
  weights: Float32Array; // [S, S] background mix
  poly: Float64Array; // transformed vertices
}

function place(p: Polygon, s: Scratch, cx: number, cy: number, scale: number, rot: number): Polygon {
  const out = s.poly.length >= p.length ? s.poly.subarray(0, p.length) : new Float64Array(p.length);
  return transformPolygon(p, cx, cy, scale, rot, out);
}

/** Draw one image from its own stream `rng` into `out` at `offset` (S·S·3 bytes); returns its attributes. */
function drawOne(rng: Rng, S: number, numClasses: number, s: Scratch, out: Uint8Array, offset: number): ShapeAttributes {
  const label = rng.int(numClasses);
  const shape = SHAPE_CLASSES[label];
  const outline = SHAPE_OUTLINES[shape];
  const colour = pick(rng, SHAPE_COLOURS);
  const rgb: [number, number, number] = [0, 1, 2].map((c) =>
    Math.min(255, Math.max(0, colour.rgb[c] + rng.range(-12, 12))),
  ) as [number, number, number];
  const size = pick(rng, SHAPE_SIZES);
  const radius = S * rng.range(size.radius[0], size.radius[1]);
  const rotation = MAX_ROTATION_SHARE * rng.range(-outline.maxRotation, outline.maxRotation);
  const margin = radius + 0.5; // the whole shape inside; the position range does not depend on the class
  const scale = radius / EXTENT[shape];
  const x = rng.range(margin, S - margin);
  const y = rng.range(margin, S - margin);
  const position = SHAPE_POSITIONS[Math.min(2, Math.floor((3 * y) / S))][Math.min(2, Math.floor((3 * x) / S))];
  const background = pick(rng, BACKGROUNDS);
  const [bgA, bgB] = backgroundColours(rng, rgb);

  const img = s.img;
  drawBackground(background, img, S, rng, bgA, bgB, s.weights);

  // Distractors: 0 (45%), 1 (30%), 2 (17%), 3 (8%) small blobs away from the shape.
  const u = rng.uniform();
  const nBlobs = u < 0.45 ? 0 : u < 0.75 ? 1 : u < 0.92 ? 2 : 3;
  let distractors = 0;
  for (let i = 0; i < nBlobs; i++) {
    const br = S * rng.range(0.05, 0.08);
    const blob = pick(rng, BLOBS);
    const bc = pick(rng, SHAPE_COLOURS).rgb;
    const brot = rng.range(0, 2 * Math.PI);
    let bx = 0;
    let by = 0;
    let ok = false;
    for (let t = 0; t < 8 && !ok; t++) {
      bx = rng.range(br, S - br);
      by = rng.range(br, S - br);
      ok = Math.hypot(bx - x, by - y) > radius + br + 1;
    }
    if (!ok) continue;
    s.raster.fill(place(blob, s, bx, by, br, brot), 1);
    s.raster.composite(img, bc[0], bc[1], bc[2]);
    distractors++;
  }

  for (const p of outline.add) s.raster.fill(place(p, s, x, y, scale, rotation), 1);
  for (const p of outline.sub) s.raster.fill(place(p, s, x, y, scale, rotation), 0);
  s.raster.composite(img, rgb[0], rgb[1], rgb[2]);

  // Pixel noise: uniform ±amp per channel, 4 channels per 32-bit draw; then round to bytes.
  const amp = rng.range(0, 14) / 127.5;
  const n = S * S * 3;
  let bits = 0;
  for (let i = 0; i < n; i++) {
    if ((i & 3) === 0) bits = rng.nextUint32();
    const noise = ((bits & 0xff) - 127.5) * amp;
    bits >>>= 8;
    const v = img[i] + noise;
    out[offset + i] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
  }

  const template = rng.int(SHAPE_CAPTION_TEMPLATES.length);
  return {
    label,
    shape,
    colour: colour.name,
    rgb,
    size: size.name,
    radius,
    x,
    y,
    position,
    rotation,
    background,
    distractors,
    template,
  };
}

/** The stream of split `split` for `seed`; image i draws from `splitStream(...).fork(String(i))`. */
function splitStream(seed: number, split: Split): Rng {
  return new Rng(seed).fork(`shapes/v2/${split}`);
}

/**
 * Generate images [start, start + count) of a split. Deterministic: the same options give the same
 * bytes everywhere, and a slice equals the same indices of a larger generation.
 */
export function generateShapes(options: ShapesOptions): ShapesDataset {
  const o = resolveOptions(options);
  const S = o.imageSize;
  const per = S * S * 3;
  const images = new Uint8Array(o.count * per);
  const labels = new Int32Array(o.count);
  const captions: string[] = new Array(o.count);
  const attributes: ShapeAttributes[] = new Array(o.count);
  const scratch: Scratch = { raster: new Rasterizer(S, 4), img: new Float32Array(per), weights: new Float32Array(S * S), poly: new Float64Array(128) };
  const stream = splitStream(o.seed, o.split);
  for (let i = 0; i < o.count; i++) {
    const rng = stream.fork(String(o.start + i));
    const a = drawOne(rng, S, o.numClasses, scratch, images, i * per);
    labels[i] = a.label;
    attributes[i] = a;
    captions[i] = caption(a.template, a);
  }
  return {
    images,
    labels,
    classNames: SHAPE_CLASSES.slice(0, o.numClasses),
    imageSize: S,
    count: o.count,
    captions,
    attributes,
    split: o.split,
    seed: o.seed,
    start: o.start,
  };
}

/** FNV-1a 64 over a dataset's pixel bytes, labels (int32 LE) and captions (UTF-8, 0-terminated). */
export function fingerprintLabelledImages(d: LabelledImages): string {
  const h = new Fnv1a64();
  h.update(d.images);
  h.updateInt32(d.labels);
  for (const c of d.captions ?? []) h.updateString(c);
  return h.hex();
}

/** Fingerprint of a generation (16 hex digits), for comparing Node and browser outputs. */
export function shapesFingerprint(options: ShapesOptions): string {
  return fingerprintLabelledImages(generateShapes(options));
}
