/**
 * CIFAR-10 / CIFAR-100 from their parquet files on the Hugging Face Hub → LabelledImages.
 *
 * Layout (the `uoft-cs` datasets after their conversion to parquet; checked against the dataset
 * cards' `dataset_info` and `configs`):
 *   uoft-cs/cifar10   plain_text/train-00000-of-00001.parquet (50,000 rows), plain_text/test-… (10,000)
 *                     columns: img = struct {bytes: PNG, path: string}, label: int64 (ClassLabel)
 *   uoft-cs/cifar100  cifar100/train-00000-of-00001.parquet, cifar100/test-…
 *                     columns: img, fine_label (100 classes), coarse_label (20 superclasses)
 * Class names: the dataset card (README.md) YAML `dataset_info.features[…].dtype.class_label.names`;
 * the same lists (from the original `batches.meta` / `meta` pickles) are built in below and used
 * when the card cannot be read. Names go to the zero-shot prompts with '_' read as a space
 * ("aquarium_fish" → "aquarium fish"), as CLIP's own CIFAR-100 prompt list (openai/CLIP data/prompts.md)
 * writes them. (task_vectors' head passes torchvision's names unchanged, so its prompts for the 9
 * CIFAR-100 classes with a '_' keep it: "a photo of a maple_tree.".)
 *
 * The parquet bytes are cached by the HubClient (Cache API, keyed by URL); the decoded pixels are
 * cached too (key: the parquet URL + '#rgb-v1'), so a second load decodes nothing and needs no network.
 */
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { HubClient, readAll } from '../hub/client';
import { HubError, KEEPS_PREVIOUS, cancelled } from '../hub/errors';
import { type ProgressFn, formatBytes, throttle } from '../hub/progress';
import { hubFileUrl, type HubLocation } from '../hub/url';
import type { LabelledImages } from './types';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

export const CIFAR100_CLASSES = [
  'apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle', 'bicycle', 'bottle',
  'bowl', 'boy', 'bridge', 'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle',
  'chair', 'chimpanzee', 'clock', 'cloud', 'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur',
  'dolphin', 'elephant', 'flatfish', 'forest', 'fox', 'girl', 'hamster', 'house', 'kangaroo', 'keyboard',
  'lamp', 'lawn_mower', 'leopard', 'lion', 'lizard', 'lobster', 'man', 'maple_tree', 'motorcycle', 'mountain',
  'mouse', 'mushroom', 'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear', 'pickup_truck', 'pine_tree',
  'plain', 'plate', 'poppy', 'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road', 'rocket',
  'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk', 'skyscraper', 'snail', 'snake', 'spider',
  'squirrel', 'streetcar', 'sunflower', 'sweet_pepper', 'table', 'tank', 'telephone', 'television', 'tiger', 'tractor',
  'train', 'trout', 'tulip', 'turtle', 'wardrobe', 'whale', 'willow_tree', 'wolf', 'woman', 'worm',
] as const;

export const CIFAR100_COARSE_CLASSES = [
  'aquatic_mammals', 'fish', 'flowers', 'food_containers', 'fruit_and_vegetables', 'household_electrical_devices',
  'household_furniture', 'insects', 'large_carnivores', 'large_man-made_outdoor_things', 'large_natural_outdoor_scenes',
  'large_omnivores_and_herbivores', 'medium_mammals', 'non-insect_invertebrates', 'people', 'reptiles', 'small_mammals',
  'trees', 'vehicles_1', 'vehicles_2',
] as const;

export interface CifarHubSpec {
  repo: string;
  files: { train: string; test: string };
  imageColumn: string;
  labelColumn: string;
  classNames: readonly string[];
  imageSize: number;
}

export const CIFAR_HUB: Record<'cifar10' | 'cifar100', CifarHubSpec> = {
  cifar10: {
    repo: 'uoft-cs/cifar10',
    files: { train: 'plain_text/train-00000-of-00001.parquet', test: 'plain_text/test-00000-of-00001.parquet' },
    imageColumn: 'img',
    labelColumn: 'label',
    classNames: CIFAR10_CLASSES,
    imageSize: 32,
  },
  cifar100: {
    repo: 'uoft-cs/cifar100',
    files: { train: 'cifar100/train-00000-of-00001.parquet', test: 'cifar100/test-00000-of-00001.parquet' },
    imageColumn: 'img',
    labelColumn: 'fine_label',
    classNames: CIFAR100_CLASSES,
    imageSize: 32,
  },
};

/** A decoded image: [height, width, 3] RGB. */
export interface DecodedImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes one encoded image (PNG/JPEG bytes). The browser's is decodeBrowser.ts; Node tests pass pngjs. */
export type ImageDecoder = (bytes: Uint8Array, mimeType: string) => Promise<DecodedImage>;

/** The browser decoder (createImageBitmap + OffscreenCanvas), loaded lazily so Node never imports it. */
export async function browserDecoder(): Promise<ImageDecoder> {
  const { decodeImageBlob } = await import('./decodeBrowser');
  return (bytes, mimeType) => decodeImageBlob(new Blob([bytes as BlobPart], { type: mimeType }));
}

/** Prompt-ready class name: underscores as spaces. */
export function promptName(name: string): string {
  return name.replace(/_/g, ' ').trim();
}

/**
 * The class names of `column` from a dataset card's YAML header (`dataset_info.features`), or null.
 * Reads only the shape HF writes: `- name: <column>` … `class_label:` … `names:` then `'<i>': <name>`.
 */
export function classNamesFromCard(readme: string, column: string): string[] | null {
  const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(readme);
  if (!m) return null;
  const lines = m[1].split(/\r?\n/);
  const start = lines.findIndex((l) => new RegExp(`^\\s*-\\s*name:\\s*${column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`).test(l));
  if (start < 0) return null;
  let i = start + 1;
  while (i < lines.length && !/^\s*names:\s*$/.test(lines[i])) {
    if (/^\s*-\s*name:/.test(lines[i])) return null; // next feature: this one has no class_label
    i++;
  }
  const out: string[] = [];
  for (i++; i < lines.length; i++) {
    const e = /^\s*'?(\d+)'?\s*:\s*(.+?)\s*$/.exec(lines[i]);
    if (!e) break;
    const idx = Number(e[1]);
    if (idx !== out.length) return null;
    out.push(e[2].replace(/^['"]|['"]$/g, ''));
  }
  return out.length ? out : null;
}

export interface CifarLoadOptions {
  baseUrl?: string;
  revision?: string;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  decode?: ImageDecoder;
  /** Decode at most this many rows of each split (tests; default: all). */
  limit?: number;
  /** Images decoded concurrently (default 32). */
  concurrency?: number;
}

const RGB_SUFFIX = '#rgb-v1';

/** LabelledImages ⇄ one buffer (for the decoded-pixel cache): u32 header length, JSON, labels, pixels. */
function packImages(d: LabelledImages): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify({ count: d.count, imageSize: d.imageSize, classNames: d.classNames }));
  const pad = (4 - ((4 + head.byteLength) % 4)) % 4;
  const out = new Uint8Array(4 + head.byteLength + pad + d.count * 4 + d.images.byteLength);
  new DataView(out.buffer).setUint32(0, head.byteLength + pad, true);
  out.set(head, 4);
  out.fill(0x20, 4 + head.byteLength, 4 + head.byteLength + pad);
  const off = 4 + head.byteLength + pad;
  out.set(new Uint8Array(d.labels.buffer, d.labels.byteOffset, d.count * 4), off);
  out.set(d.images, off + d.count * 4);
  return out;
}

function unpackImages(b: Uint8Array): LabelledImages | null {
  try {
    const n = new DataView(b.buffer, b.byteOffset).getUint32(0, true);
    const meta = JSON.parse(new TextDecoder().decode(b.subarray(4, 4 + n))) as { count: number; imageSize: number; classNames: string[] };
    const off = 4 + n;
    const labels = new Int32Array(b.slice(off, off + meta.count * 4).buffer);
    const images = b.slice(off + meta.count * 4);
    if (images.byteLength !== meta.count * meta.imageSize * meta.imageSize * 3) return null;
    return { images, labels, classNames: meta.classNames, imageSize: meta.imageSize, count: meta.count };
  } catch {
    return null;
  }
}

/**
 * Decode the rows of a CIFAR parquet file: PNG bytes → [N, S, S, 3], labels → Int32Array.
 * Throws HubError('bad-dataset') when columns, label values or image sizes are not CIFAR's.
 */
export async function decodeCifarParquet(
  file: Uint8Array,
  spec: Pick<CifarHubSpec, 'imageColumn' | 'labelColumn' | 'imageSize'>,
  classNames: readonly string[],
  opts: { decode: ImageDecoder; limit?: number; concurrency?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void; what: string },
): Promise<LabelledImages> {
  const ab = file.byteOffset === 0 && file.byteLength === file.buffer.byteLength ? (file.buffer as ArrayBuffer) : (file.slice().buffer as ArrayBuffer);
  let names: string[];
  try {
    names = parquetMetadata(ab).schema.map((s) => s.name);
  } catch (e) {
    throw new HubError('bad-dataset', `${opts.what}: not a parquet file (${(e as Error).message}). ${KEEPS_PREVIOUS}`, { cause: e });
  }
  for (const col of [spec.imageColumn, spec.labelColumn]) {
    if (!names.includes(col)) {
      throw new HubError('bad-dataset', `${opts.what}: the parquet file has no "${col}" column (it has ${names.slice(1).join(', ')}): not the CIFAR layout. ${KEEPS_PREVIOUS}`);
    }
  }
  const rows = (await parquetReadObjects({ file: ab, columns: [spec.imageColumn, spec.labelColumn], utf8: false, rowEnd: opts.limit })) as Record<string, unknown>[];
  const N = rows.length;
  const S = spec.imageSize;
  const px = S * S * 3;
  const images = new Uint8Array(N * px);
  const labels = new Int32Array(N);
  const C = classNames.length;
  for (let i = 0; i < N; i++) {
    const l = Number(rows[i][spec.labelColumn] as bigint | number);
    if (!Number.isInteger(l) || l < 0 || l >= C) throw new HubError('bad-dataset', `${opts.what}: row ${i} has label ${String(rows[i][spec.labelColumn])}, outside 0..${C - 1}. ${KEEPS_PREVIOUS}`);
    labels[i] = l;
  }
  const conc = Math.max(1, opts.concurrency ?? 32);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= N) return;
      if (opts.signal?.aborted) throw cancelled(opts.what);
      const img = rows[i][spec.imageColumn] as { bytes?: Uint8Array; path?: string } | null;
      const bytes = img?.bytes;
      if (!(bytes instanceof Uint8Array)) throw new HubError('bad-dataset', `${opts.what}: row ${i} has no image bytes. ${KEEPS_PREVIOUS}`);
      let dec: DecodedImage;
      try {
        dec = await opts.decode(bytes, bytes[0] === 0xff ? 'image/jpeg' : 'image/png');
      } catch (e) {
        throw new HubError('bad-dataset', `${opts.what}: the image of row ${i}${img?.path ? ` (${img.path})` : ''} does not decode (${(e as Error).message}). ${KEEPS_PREVIOUS}`, { cause: e });
      }
      if (dec.width !== S || dec.height !== S) {
        throw new HubError('bad-dataset', `${opts.what}: row ${i} is ${dec.width}×${dec.height}, CIFAR images are ${S}×${S}. ${KEEPS_PREVIOUS}`);
      }
      images.set(dec.data, i * px);
      rows[i] = {}; // drop the PNG bytes as we go
      done++;
      if (done % 256 === 0 || done === N) opts.onProgress?.(done, N);
    }
  };
  await Promise.all(Array.from({ length: Math.min(conc, N) }, worker));
  return { images, labels, classNames: classNames.map(promptName), imageSize: S, count: N };
}

export interface CifarHubData {
  name: string;
  train: LabelledImages;
  test: LabelledImages;
  fromCache: boolean;
  warnings: string[];
}

/** Load both splits of CIFAR-10 or CIFAR-100 from the Hub (cache-first). */
export async function loadCifarFromHub(kind: 'cifar10' | 'cifar100', client: HubClient, opts: CifarLoadOptions = {}): Promise<CifarHubData> {
  const spec = CIFAR_HUB[kind];
  const loc: HubLocation = { repo: spec.repo, revision: opts.revision, baseUrl: opts.baseUrl, type: 'dataset' };
  const name = kind === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100';
  const report = throttle(opts.onProgress, 100);
  const decode = opts.decode ?? (await browserDecoder());

  // class names: the dataset card, else the built-in list
  let classNames: readonly string[] = spec.classNames;
  let fromCache = true;
  try {
    const card = await client.text(hubFileUrl(loc, 'README.md'), `Loading ${name} (README.md)`);
    fromCache &&= card.fromCache;
    const fromCard = classNamesFromCard(card.text, spec.labelColumn);
    if (fromCard && fromCard.length === spec.classNames.length) classNames = fromCard;
    else client.warnings.push(`${name}: the dataset card does not list ${spec.labelColumn} names; using the built-in class list.`);
  } catch (e) {
    if (e instanceof HubError && e.code === 'cancelled') throw e;
    client.warnings.push(`${name}: the dataset card could not be read (${(e as Error).message.split('. ')[0]}); using the built-in class list.`);
  }

  const out: Partial<Record<'train' | 'test', LabelledImages>> = {};
  for (const split of ['train', 'test'] as const) {
    const url = hubFileUrl(loc, spec.files[split]);
    const what = `Loading ${name} (${split})`;
    const rgbKey = url + RGB_SUFFIX + (opts.limit ? `-${opts.limit}` : '');
    const hit = client.cache ? await client.cache.get(rgbKey) : null;
    if (hit) {
      const d = unpackImages(await readAll(hit.body, opts.signal, what));
      if (d && d.classNames.length === classNames.length) {
        out[split] = { ...d, classNames: classNames.map(promptName) };
        report({ phase: 'decode', done: d.count, total: d.count, message: `${name} ${split}: ${d.count} images from the browser cache` }, true);
        continue;
      }
    }
    const { bytes, fromCache: fc } = await client.bytes(url, what);
    fromCache &&= fc;
    report({ phase: 'decode', done: 0, total: 0, message: `${name} ${split}: reading ${formatBytes(bytes.byteLength)} of parquet` }, true);
    const d = await decodeCifarParquet(bytes, spec, classNames, {
      decode,
      limit: opts.limit,
      concurrency: opts.concurrency,
      signal: opts.signal,
      what,
      onProgress: (done, total) => report({ phase: 'decode', done, total, message: `${name} ${split}: ${done}/${total} images decoded` }, done === total),
    });
    out[split] = d;
    if (client.cache) {
      try {
        await client.cache.put(rgbKey, packImages(d), { contentType: 'application/octet-stream' });
      } catch {
        client.warnings.push(`${name} ${split}: the decoded images were not cached (storage quota); the next load decodes again.`);
      }
    }
  }
  return { name, train: out.train!, test: out.test!, fromCache, warnings: client.warnings };
}
