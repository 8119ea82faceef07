// CIFAR parquet from a (local) Hub, splits by seed, dropped folders, and the cached zero-shot head.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { buildZeroShotHead } from '../src/engine/clip/zeroshot';
import { IMAGENET_TEMPLATES, SIMPLE_TEMPLATE } from '../src/engine/clip/templates';
import { CIFAR10_CLASSES, CIFAR100_CLASSES, classNamesFromCard, promptName } from '../src/engine/data/cifarHub';
import { squareResize, type DroppedFile } from '../src/engine/data/folder';
import { makeSplits } from '../src/engine/data/splits';
import { PAPER_SPLITS } from '../src/engine/experiment/defaults';
import type { LabelledImages } from '../src/engine/data/types';
import { HubCache, MemoryCacheStorage, TEXT_HEAD_CACHE_NAME } from '../src/engine/hub/cache';
import { HubError } from '../src/engine/hub/errors';
import { loadDataFromSource } from '../src/engine/hub/loadData';
import { loadModelFromSource } from '../src/engine/hub/loadModel';
import { zeroShotHeadCached } from '../src/engine/hub/textHead';
import { startHubServer, type HubServer } from '../e2e/hubServer.mjs';
import { decodeSync, nodeDecoder } from './util/decodeNode';

let hub: HubServer;
beforeAll(async () => {
  hub = await startHubServer();
});
afterAll(async () => {
  await hub?.close();
});

const JPG = path.resolve(import.meta.dirname, '../../shared/data/cifar10-test-jpg/test');
const small = { train: 1000, val: 300, forget: 200, test: 400 };

describe('CIFAR parquet fixtures (the Hub layout)', () => {
  it('has the uoft-cs columns: img {bytes, path}, label / fine_label, coarse_label', async () => {
    const f = readFileSync(path.join(hub.dir, 'datasets/uoft-cs/cifar10/plain_text/train-00000-of-00001.parquet'));
    const ab = f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength);
    const md = parquetMetadata(ab);
    expect(Number(md.num_rows)).toBe(1600);
    expect(md.schema.map((s) => s.name)).toEqual(['schema', 'img', 'bytes', 'path', 'label']);
    expect(md.row_groups.length).toBeGreaterThan(1);
    const rows = await parquetReadObjects({ file: ab, rowEnd: 2, utf8: false });
    expect(rows[0]).toMatchObject({ img: { path: 'airplane_0000.png' }, label: 0n });
    expect(rows[1]).toMatchObject({ img: { path: 'automobile_0000.png' }, label: 1n });
    // the PNG holds exactly the pixels of the shared JPEG, decoded
    const png = decodeSync((rows[1] as { img: { bytes: Uint8Array } }).img.bytes);
    const jpg = decodeSync(new Uint8Array(readFileSync(path.join(JPG, 'automobile/0000.jpg'))));
    expect([png.width, png.height]).toEqual([32, 32]);
    expect(Buffer.from(png.data).equals(Buffer.from(jpg.data))).toBe(true);
    const f100 = readFileSync(path.join(hub.dir, 'datasets/uoft-cs/cifar100/cifar100/test-00000-of-00001.parquet'));
    expect(parquetMetadata(f100.buffer.slice(f100.byteOffset, f100.byteOffset + f100.byteLength)).schema.map((s) => s.name)).toEqual(['schema', 'img', 'bytes', 'path', 'fine_label', 'coarse_label']);
  });

  it('reads class names from the dataset card', () => {
    const card = readFileSync(path.join(hub.dir, 'datasets/uoft-cs/cifar100/README.md'), 'utf8');
    expect(classNamesFromCard(card, 'fine_label')).toEqual([...CIFAR100_CLASSES]);
    expect(classNamesFromCard(card, 'coarse_label')?.length).toBe(20);
    expect(classNamesFromCard(card, 'img')).toBeNull();
    expect(classNamesFromCard('no front matter', 'label')).toBeNull();
    expect(promptName('aquarium_fish')).toBe('aquarium fish');
  });
});

describe('CIFAR from the Hub', () => {
  it('loads CIFAR-10, splits it by seed, and loads again from the cache with the hub stopped', async () => {
    const cache = (await HubCache.open(new MemoryCacheStorage()))!;
    const events: string[] = [];
    const d = await loadDataFromSource({ kind: 'cifar10', baseUrl: hub.baseUrl }, { cache, decode: nodeDecoder, onProgress: (p) => events.push(`${p.phase}:${p.message}`) });
    expect(d.name).toBe('CIFAR-10');
    expect(d.classNames).toEqual([...CIFAR10_CLASSES]);
    expect(d.imageSize).toBe(32);
    expect([d.pools.train.count, d.pools.test?.count, d.pools.val]).toEqual([1600, 400, undefined]);
    const s = makeSplits(d.pools, small, 7);
    expect([s.train.rows.length, s.val.rows.length, s.forget.rows.length, s.test.rows.length]).toEqual([1000, 300, 200, 400]);
    // disjoint, inside the 1600 training rows, and labels as built (row k has class k mod 10)
    const all = new Set([...s.train.rows, ...s.val.rows, ...s.forget.rows]);
    expect(all.size).toBe(1500);
    for (const i of all) expect(i).toBeLessThan(1600);
    s.val.rows.forEach((row, k) => expect(s.val.labels[k]).toBe(row % 10));
    // pixels: row 13 of the train file is class 3 (cat), image 1
    expect(d.pools.train.labels[13]).toBe(3);
    const jpg = decodeSync(new Uint8Array(readFileSync(path.join(JPG, 'cat/0001.jpg'))));
    expect(Buffer.from(d.pools.train.images.subarray(13 * 3072, 14 * 3072)).equals(Buffer.from(jpg.data))).toBe(true);
    expect(events.some((e) => e.startsWith('download:'))).toBe(true);
    expect(events.some((e) => /decode:CIFAR-10 train: 1600\/1600 images decoded/.test(e))).toBe(true);

    const before = hub.requests.length;
    const again = await loadDataFromSource({ kind: 'cifar10', baseUrl: hub.baseUrl }, {
      cache,
      decode: async () => {
        throw new Error('the cached load must not decode');
      },
      fetch: async () => {
        throw new TypeError('offline');
      },
    });
    expect(hub.requests.length).toBe(before);
    expect(again.fromCache).toBe(true);
    expect(Buffer.from(again.pools.train.images).equals(Buffer.from(d.pools.train.images))).toBe(true);
    expect(Array.from(again.pools.test!.labels)).toEqual(Array.from(d.pools.test!.labels));
  });

  it('loads the CIFAR-100 layout (fine labels, 100 names from the card)', async () => {
    const d = await loadDataFromSource({ kind: 'cifar100', baseUrl: hub.baseUrl }, { cache: null, decode: nodeDecoder });
    expect(d.classNames.length).toBe(100);
    expect(d.classNames[1]).toBe('aquarium fish');
    expect(Math.max(...d.pools.train.labels)).toBeGreaterThan(50);
  });

  it('fails clearly on a truncated parquet and on a 404', async () => {
    for (const [fault, code] of [
      ['truncate', 'truncated'],
      ['404', 'not-found'],
    ]) {
      let err: unknown;
      try {
        await loadDataFromSource({ kind: 'cifar10', baseUrl: `${hub.baseUrl}/__fault/${fault}` }, { cache: null, decode: nodeDecoder });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(HubError);
      expect((err as HubError).code).toBe(code);
    }
  });
});

describe('splits (paper Table 4)', () => {
  const fake = (n: number): LabelledImages => ({ images: new Uint8Array(n * 3), labels: Int32Array.from({ length: n }, (_, i) => i % 100), classNames: [], imageSize: 1, count: n });

  it('carves 43,000 / 5,000 / 2,000 out of 50,000 and takes the 10,000 test images', () => {
    const pools = { train: fake(50_000), test: fake(10_000) };
    const s = makeSplits(pools, PAPER_SPLITS, 3);
    expect([s.train.rows.length, s.val.rows.length, s.forget.rows.length, s.test.rows.length]).toEqual([43_000, 5_000, 2_000, 10_000]);
    expect(new Set([...s.train.rows, ...s.val.rows, ...s.forget.rows]).size).toBe(50_000);
    const again = makeSplits(pools, PAPER_SPLITS, 3);
    expect(Array.from(again.val.rows)).toEqual(Array.from(s.val.rows));
    const other = makeSplits(pools, PAPER_SPLITS, 4);
    expect(Array.from(other.val.rows)).not.toEqual(Array.from(s.val.rows));
    expect(s.forget.labels[5]).toBe(s.forget.rows[5] % 100);
  });

  it('carves the test split from the training pool when there is no test set, scaling a request that does not fit', () => {
    const s = makeSplits({ train: fake(100) }, { train: 1000, val: 200, forget: 100, test: 300 }, 1);
    expect([s.val.rows.length, s.forget.rows.length, s.test.rows.length, s.train.rows.length]).toEqual([12, 6, 18, 62]);
    expect(s.capped).toBe(true);
    expect(new Set([...s.train.rows, ...s.val.rows, ...s.forget.rows, ...s.test.rows]).size).toBe(98);
    expect(s.test.pool).toBe(s.train.pool);
  });

  it('gives every split at least one image of a tiny folder (the rounding would give val none)', () => {
    const s = makeSplits({ train: fake(12) }, { train: 100, val: 3, forget: 2, test: 3 }, 1);
    expect([s.val.rows.length, s.forget.rows.length, s.test.rows.length, s.train.rows.length]).toEqual([1, 1, 1, 8]);
    expect(new Set([...s.train.rows, ...s.val.rows, ...s.forget.rows, ...s.test.rows]).size).toBe(11);
  });
});

describe('a dropped folder', () => {
  const f = (rel: string): DroppedFile => {
    const bytes = readFileSync(path.join(JPG, rel.split('/').slice(1).join('/')));
    return { name: path.basename(rel), size: bytes.length, webkitRelativePath: rel, type: 'image/jpeg', arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
  };

  it('becomes a dataset with one class per sub-folder', async () => {
    const files = [
      ...readdirSync(path.join(JPG, 'ship')).slice(0, 6).map((n) => f(`mini/ship/${n}`)),
      ...readdirSync(path.join(JPG, 'deer')).slice(0, 5).map((n) => f(`mini/deer/${n}`)),
      ...readdirSync(path.join(JPG, 'automobile')).slice(0, 4).map((n) => f(`mini/automobile/${n}`)),
      { name: '.DS_Store', size: 1, webkitRelativePath: 'mini/.DS_Store', arrayBuffer: async () => new ArrayBuffer(1) },
    ];
    const d = await loadDataFromSource({ kind: 'folder', name: 'mini' }, { files, decode: nodeDecoder });
    expect(d.classNames).toEqual(['automobile', 'deer', 'ship']);
    expect(d.imageSize).toBe(32);
    expect([d.pools.train.count, d.pools.test]).toEqual([15, undefined]);
    const s = makeSplits(d.pools, { train: 6, val: 3, forget: 2, test: 4 }, 1);
    expect([s.val.rows.length, s.forget.rows.length, s.test.rows.length, s.train.rows.length]).toEqual([3, 2, 4, 6]);
    expect(d.warnings.join(' ')).toMatch(/1 file\(s\) skipped/);
    const one = [f('x/ship/0000.jpg')];
    await expect(loadDataFromSource({ kind: 'folder', name: 'x' }, { files: one, decode: nodeDecoder })).rejects.toThrow(/only one class \(ship\)/);
  });

  it('crops and resizes to a square', () => {
    // 4×2 image: left half 0, right half 200 → centre crop is columns 1..2 → resize to 1×1 = mean 100
    const data = new Uint8Array(4 * 2 * 3);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) data.fill(x < 2 ? 0 : 200, (y * 4 + x) * 3, (y * 4 + x + 1) * 3);
    expect(Array.from(squareResize({ width: 4, height: 2, data }, 1))).toEqual([100, 100, 100]);
    expect(Array.from(squareResize({ width: 4, height: 2, data }, 2))).toEqual([0, 0, 0, 200, 200, 200, 0, 0, 0, 200, 200, 200]);
  });
});

describe('the zero-shot head, cached', () => {
  it('computes once per model × classes × templates', async () => {
    const m = await loadModelFromSource({ kind: 'hub', repo: 'tbar-test/tiny-clip', baseUrl: hub.baseUrl }, { cache: null });
    const tokenize = (t: string[]) => m.tokenizer.tokenize(t);
    const cache = (await HubCache.open(new MemoryCacheStorage(), TEXT_HEAD_CACHE_NAME))!;
    const classes = [...CIFAR10_CLASSES];
    const phases: string[] = [];
    try {
      const a = await zeroShotHeadCached(m.model, tokenize, classes, IMAGENET_TEMPLATES, { modelId: m.id, cache, batchSize: 200, onProgress: (p) => phases.push(`${p.phase} ${p.done}/${p.total}`) });
      expect(a.fromCache).toBe(false);
      expect(phases.at(-1)).toBe('text-head 800/800');
      const direct = await buildZeroShotHead(m.model, tokenize, classes, IMAGENET_TEMPLATES, { batchSize: 200 });
      expect(Array.from(await a.head.data())).toEqual(Array.from(await direct.data()));
      // Other batches run other lengths (prompts are batched by length): the same head to float rounding.
      const other = await buildZeroShotHead(m.model, tokenize, classes, IMAGENET_TEMPLATES, { batchSize: 64 });
      const d = await direct.data(), o = await other.data();
      expect(Math.max(...Array.from(d, (v, i) => Math.abs(v - o[i])))).toBeLessThan(1e-6);
      other.dispose();
      const b = await zeroShotHeadCached(m.model, tokenize, classes, IMAGENET_TEMPLATES, { modelId: m.id, cache });
      expect(b.fromCache).toBe(true);
      expect(b.key).toBe(a.key);
      expect(Array.from(await b.head.data())).toEqual(Array.from(await a.head.data()));
      const c = await zeroShotHeadCached(m.model, tokenize, classes, [SIMPLE_TEMPLATE], { modelId: m.id, cache });
      expect(c.fromCache).toBe(false);
      expect(c.key).not.toBe(a.key);
      tf.dispose([a.head, b.head, c.head, direct]);
    } finally {
      m.model.dispose();
    }
  });
});
