/**
 * A folder of images dropped on the page as a dataset: one sub-folder per class
 * (`pets/cat/001.jpg`, `pets/dog/7.png`, …; File.webkitRelativePath gives the path). Classes are the
 * sub-folder names in sorted order, read as prompts with '_' and '-' as spaces. Images are
 * centre-cropped to a square and resized to one size S (LabelledImages holds S×S RGB): their own size
 * when they are all the same square size ≤ 224 (e.g. CIFAR-like folders stay 32×32), else 224 — CLIP's
 * preprocess (clip/preprocess.ts) resizes from there to the model's resolution.
 */
import type { LabelledImages } from './types';
import type { DecodedImage, ImageDecoder } from './cifarHub';
import { HubError, KEEPS_PREVIOUS, cancelled } from '../hub/errors';
import { type ProgressFn, throttle } from '../hub/progress';

export interface DroppedFile {
  readonly name: string;
  readonly size: number;
  readonly webkitRelativePath?: string;
  readonly type?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

const IMAGE_EXT = /\.(jpe?g|png|webp|bmp|gif)$/i;
const MIME: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', bmp: 'image/bmp', gif: 'image/gif' };
export const FOLDER_MAX_SIZE = 224;

/** Centre-crop to a square and resize to S×S (area average when shrinking, bilinear when enlarging). */
export function squareResize(img: DecodedImage, S: number): Uint8Array {
  const side = Math.min(img.width, img.height);
  const x0 = Math.floor((img.width - side) / 2);
  const y0 = Math.floor((img.height - side) / 2);
  const out = new Uint8Array(S * S * 3);
  if (side === S) {
    for (let y = 0; y < S; y++) out.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + S) * 3), y * S * 3);
    return out;
  }
  const scale = side / S;
  if (scale > 1) {
    // box filter over the source pixels each output pixel covers (fractional edges weighted)
    for (let oy = 0; oy < S; oy++) {
      const sy0 = oy * scale;
      const sy1 = sy0 + scale;
      for (let ox = 0; ox < S; ox++) {
        const sx0 = ox * scale;
        const sx1 = sx0 + scale;
        let r = 0, g = 0, b = 0, wsum = 0;
        for (let sy = Math.floor(sy0); sy < Math.ceil(sy1); sy++) {
          const wy = Math.min(sy + 1, sy1) - Math.max(sy, sy0);
          for (let sx = Math.floor(sx0); sx < Math.ceil(sx1); sx++) {
            const w = wy * (Math.min(sx + 1, sx1) - Math.max(sx, sx0));
            const p = ((y0 + sy) * img.width + x0 + sx) * 3;
            r += img.data[p] * w;
            g += img.data[p + 1] * w;
            b += img.data[p + 2] * w;
            wsum += w;
          }
        }
        const o = (oy * S + ox) * 3;
        out[o] = Math.round(r / wsum);
        out[o + 1] = Math.round(g / wsum);
        out[o + 2] = Math.round(b / wsum);
      }
    }
    return out;
  }
  for (let oy = 0; oy < S; oy++) {
    const fy = Math.min(Math.max((oy + 0.5) * scale - 0.5, 0), side - 1);
    const yA = Math.floor(fy);
    const yB = Math.min(yA + 1, side - 1);
    const ty = fy - yA;
    for (let ox = 0; ox < S; ox++) {
      const fx = Math.min(Math.max((ox + 0.5) * scale - 0.5, 0), side - 1);
      const xA = Math.floor(fx);
      const xB = Math.min(xA + 1, side - 1);
      const tx = fx - xA;
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number) => img.data[((y0 + yy) * img.width + x0 + xx) * 3 + c];
        const v = (1 - ty) * ((1 - tx) * at(yA, xA) + tx * at(yA, xB)) + ty * ((1 - tx) * at(yB, xA) + tx * at(yB, xB));
        out[(oy * S + ox) * 3 + c] = Math.round(v);
      }
    }
  }
  return out;
}

export interface FolderDataset extends LabelledImages {
  name: string;
  /** Files skipped (not images, or at the top level outside any class folder). */
  skipped: string[];
}

/** Group files by class folder: the segment before the file name. */
export function groupByClass(files: readonly DroppedFile[]): { root: string; classes: Map<string, DroppedFile[]>; skipped: string[] } {
  const classes = new Map<string, DroppedFile[]>();
  const skipped: string[] = [];
  let root = '';
  for (const f of files) {
    const p = (f.webkitRelativePath || f.name).split('/').filter(Boolean);
    const file = p[p.length - 1] ?? f.name;
    if (p.length < 2 || file.startsWith('.') || !IMAGE_EXT.test(file)) {
      skipped.push(p.join('/') || f.name);
      continue;
    }
    if (!root && p.length >= 3) root = p[0];
    const cls = p[p.length - 2];
    if (!classes.has(cls)) classes.set(cls, []);
    classes.get(cls)!.push(f);
  }
  return { root, classes: new Map([...classes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), skipped };
}

export async function loadFolderDataset(
  files: readonly DroppedFile[],
  opts: { decode: ImageDecoder; onProgress?: ProgressFn; signal?: AbortSignal; imageSize?: number; name?: string },
): Promise<FolderDataset> {
  const { root, classes, skipped } = groupByClass(files);
  const name = opts.name || root || 'dropped folder';
  if (classes.size < 2) {
    throw new HubError(
      'bad-dataset',
      `The dropped folder has ${classes.size === 0 ? 'no images in class sub-folders' : `only one class (${[...classes.keys()][0]})`}: drop a folder with one sub-folder per class (e.g. pets/cat/…, pets/dog/…), at least two classes. ${KEEPS_PREVIOUS}`,
    );
  }
  const report = throttle(opts.onProgress, 100);
  const list: { file: DroppedFile; label: number }[] = [];
  [...classes.values()].forEach((fs, label) => fs.sort((a, b) => (a.name < b.name ? -1 : 1)).forEach((file) => list.push({ file, label })));
  const decoded: DecodedImage[] = new Array(list.length);
  let done = 0;
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= list.length) return;
      if (opts.signal?.aborted) throw cancelled('Loading the folder');
      const f = list[i].file;
      const ext = f.name.slice(f.name.lastIndexOf('.') + 1).toLowerCase();
      try {
        decoded[i] = await opts.decode(new Uint8Array(await f.arrayBuffer()), f.type || MIME[ext] || 'image/*');
      } catch (e) {
        throw new HubError('bad-dataset', `${f.webkitRelativePath || f.name} does not decode as an image (${(e as Error).message}). Remove it from the folder. ${KEEPS_PREVIOUS}`, { cause: e });
      }
      done++;
      report({ phase: 'decode', done, total: list.length, message: `${name}: ${done}/${list.length} images decoded` }, done === list.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, list.length) }, worker));
  const first = decoded[0];
  const uniform = decoded.every((d) => d.width === first.width && d.height === first.height && d.width === d.height);
  const S = opts.imageSize ?? (uniform && first.width <= FOLDER_MAX_SIZE ? first.width : FOLDER_MAX_SIZE);
  const px = S * S * 3;
  const images = new Uint8Array(list.length * px);
  const labels = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) {
    images.set(squareResize(decoded[i], S), i * px);
    labels[i] = list[i].label;
  }
  const classNames = [...classes.keys()].map((c) => c.replace(/[_-]+/g, ' ').trim());
  return { name, images, labels, classNames, imageSize: S, count: list.length, skipped };
}
