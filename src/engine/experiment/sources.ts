/**
 * Where θ_pre and the labelled images come from: the loader registry of an experiment session.
 *
 *   ModelSource kind → ModelLoader → { model, tokenizer, name }
 *   DataSource kind  → DataLoader  → { name, pools: { train, val?, test } }   (data/splits.ts draws the splits)
 *
 * This file provides 'builtin' (the micro CLIP under public/models/micro-clip/) and 'shapes' (the
 * procedural dataset). Other kinds plug in by registering loaders (the Hub/file model loader and the
 * CIFAR/folder data loaders live in their own modules): `createSession({ sources: mergeSources(…) })`.
 *
 * File access is abstracted as a FileSource, so the same loader reads `models/micro-clip/…` with
 * fetch() relative to the app in the browser (fetchFileSource) and from public/ in Node
 * (tests/util/nodeFiles.ts; Node-only code stays out of src/ so Vite never bundles it).
 */
import { ClipTokenizer } from '../clip/tokenizer';
import { loadClipWithTokenizer } from '../clip/load';
import type { ClipModel } from '../clip/model';
import { generateShapes } from '../data/shapes';
import type { DataPools } from '../data/splits';
import type { LabelledImages, Split } from '../data/types';
import { checkpoint } from '../cancel';
import type { DataSource, ModelSource, SplitConfig } from './config';
import type { LoadProgress } from './results';

/** Read-only access to the app's static files (paths relative to the app root, e.g. 'models/micro-clip/config.json'). */
export interface FileSource {
  read(path: string, opts?: { signal?: AbortSignal; onBytes?: (done: number, total: number | undefined) => void }): Promise<Uint8Array>;
}

export class SourceError extends Error {
  readonly code: 'not-found' | 'unsupported-source' | 'no-files' | 'bad-data';
  constructor(code: SourceError['code'], message: string) {
    super(message);
    this.name = 'SourceError';
    this.code = code;
  }
}

/** Files over HTTP relative to `base` (the app's base URL: in the worker, new URL(BASE_URL, location.origin)). */
export function fetchFileSource(base: string | URL): FileSource {
  return {
    async read(path, opts = {}) {
      const url = new URL(path, base);
      const res = await fetch(url, { signal: opts.signal });
      if (!res.ok) throw new SourceError('not-found', `could not fetch ${url.href}: HTTP ${res.status} ${res.statusText}`);
      const total = Number(res.headers.get('content-length')) || undefined;
      if (!res.body) return new Uint8Array(await res.arrayBuffer());
      const reader = res.body.getReader();
      const chunks: Uint8Array[] = [];
      let done = 0;
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        chunks.push(r.value);
        done += r.value.byteLength;
        opts.onBytes?.(done, total);
      }
      const out = new Uint8Array(done);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.byteLength;
      }
      return out;
    },
  };
}

/**
 * A file the user dropped or picked (a browser File satisfies it; Node tests build their own): what the
 * Hub module's dropped-model (FileLike) and dropped-folder (DroppedFile) readers need.
 */
export interface UserFile {
  readonly name: string;
  readonly size: number;
  readonly type?: string;
  /** 'pets/cat/1.png' for a file of a picked folder. */
  readonly webkitRelativePath?: string;
  readonly lastModified?: number;
  stream(): ReadableStream<Uint8Array>;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface LoadContext {
  /** The app's static files (the built-in model). */
  files?: FileSource;
  /** The user's files for model { kind: 'file' } / data { kind: 'folder' } (the job's `files` param). */
  dropped?: readonly UserFile[];
  signal?: AbortSignal;
  progress?: (p: LoadProgress) => void;
}

export interface LoadedModel {
  model: ClipModel;
  tokenizer: ClipTokenizer;
  /** Shown in the UI, e.g. 'micro-clip (built in)'. */
  name: string;
  /** Identifies the weights for caches keyed by model (the zero-shot head); absent: not cached. */
  id?: string;
  /** Every file came from the browser cache. */
  fromCache?: boolean;
  /** What the user should know that did not stop the load (not cached, config inferred…). */
  warnings?: string[];
}

export type ModelLoader = (source: ModelSource, ctx: LoadContext) => Promise<LoadedModel>;

/** What the experiment will draw from the pools (loaders of generated data size them by it). */
export interface DataRequest {
  seed: number;
  splits: SplitConfig;
}

export interface LoadedData {
  name: string;
  pools: DataPools;
  fromCache?: boolean;
  warnings?: string[];
}

export type DataLoader = (source: DataSource, req: DataRequest, ctx: LoadContext) => Promise<LoadedData>;

export interface SourceRegistry {
  models: Partial<Record<ModelSource['kind'], ModelLoader>>;
  data: Partial<Record<DataSource['kind'], DataLoader>>;
}

/** The built-in micro CLIP's folder under the app's public root. */
export const MICRO_CLIP_DIR = 'models/micro-clip';

const decodeJson = (bytes: Uint8Array, what: string): unknown => {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new SourceError('bad-data', `${what} is not valid JSON: ${(e as Error).message}`);
  }
};

/**
 * A Hugging Face CLIP folder (config.json, tokenizer.json, model.safetensors) read through a FileSource.
 * Reports download bytes, then parse/upload.
 */
export async function loadClipFolder(files: FileSource, dir: string, name: string, ctx: LoadContext): Promise<LoadedModel> {
  const progress = ctx.progress ?? (() => {});
  const get = async (file: string, phaseTotal: number, index: number) => {
    const t0 = performance.now();
    return files.read(`${dir}/${file}`, {
      signal: ctx.signal,
      onBytes: (done, total) => {
        const s = (performance.now() - t0) / 1000;
        const rate = s > 0 ? done / s : undefined;
        progress({
          phase: 'download',
          done: index,
          total: phaseTotal,
          bytes: done,
          totalBytes: total,
          bytesPerSec: rate,
          etaMs: rate && total ? ((total - done) / rate) * 1000 : undefined,
          message: `downloading ${file}`,
        });
      },
    });
  };
  const configBytes = await get('config.json', 3, 0);
  const tokenizerBytes = await get('tokenizer.json', 3, 1);
  const weights = await get('model.safetensors', 3, 2);
  await checkpoint(ctx.signal);
  progress({ phase: 'parse', done: 0, total: 1, message: 'parsing model.safetensors' });
  const { model, tokenizer } = loadClipWithTokenizer({ config: decodeJson(configBytes, 'config.json'), weights }, decodeJson(tokenizerBytes, 'tokenizer.json'), (json, cfg) => {
    const tok = ClipTokenizer.fromJSON(json);
    tok.checkTextConfig(cfg.text_config);
    return tok;
  });
  progress({ phase: 'upload', done: 1, total: 1, message: 'weights on the device' });
  return { model, tokenizer, name };
}

/** ModelSource 'builtin': the micro CLIP shipped with the app. */
export const builtinModelLoader: ModelLoader = async (source, ctx) => {
  if (source.kind !== 'builtin' || source.id !== 'micro-clip') throw new SourceError('unsupported-source', `no built-in model ${JSON.stringify(source)}`);
  if (!ctx.files) throw new SourceError('no-files', 'the built-in model needs a FileSource (fetch relative to the app, or public/ in Node)');
  return loadClipFolder(ctx.files, MICRO_CLIP_DIR, 'micro-clip (built in)', ctx);
};

/** Default side of generated shapes (the micro CLIP's input). */
export const SHAPES_DEFAULT_SIZE = 32;
const SHAPES_CHUNK = 500;

/**
 * DataSource 'shapes': generated from the experiment seed, exactly as many images as the splits ask
 * for (train pool = train + forget, val and test from their own streams), in chunks with a yield in
 * between so the worker stays responsive.
 */
export const shapesDataLoader: DataLoader = async (source, req, ctx) => {
  if (source.kind !== 'shapes') throw new SourceError('unsupported-source', `shapesDataLoader got ${source.kind}`);
  const imageSize = source.imageSize ?? SHAPES_DEFAULT_SIZE;
  const want: [Split, number][] = [
    ['train', req.splits.train + req.splits.forget],
    ['val', req.splits.val],
    ['test', req.splits.test],
  ];
  const total = want.reduce((s, [, n]) => s + n, 0);
  let done = 0;
  const t0 = performance.now();
  const pools: Partial<Record<Split, LabelledImages>> = {};
  for (const [split, count] of want) {
    const per = imageSize * imageSize * 3;
    const images = new Uint8Array(count * per);
    const labels = new Int32Array(count);
    let classNames: string[] = [];
    for (let start = 0; start < count; start += SHAPES_CHUNK) {
      await checkpoint(ctx.signal);
      const n = Math.min(SHAPES_CHUNK, count - start);
      const g = generateShapes({ split, count: n, start, seed: req.seed, imageSize });
      images.set(g.images, start * per);
      labels.set(g.labels, start);
      classNames = g.classNames;
      done += n;
      const ms = performance.now() - t0;
      ctx.progress?.({ phase: 'generate', done, total, etaMs: (ms / done) * (total - done), message: `generating ${split} shapes` });
    }
    if (count === 0) classNames = generateShapes({ split, count: 0, seed: req.seed, imageSize }).classNames;
    pools[split] = { images, labels, classNames, imageSize, count };
  }
  return { name: `shapes (${imageSize}×${imageSize}, seed ${req.seed})`, pools: { train: pools.train!, val: pools.val!, test: pools.test! } };
};

export const BUILTIN_SOURCES: SourceRegistry = {
  models: { builtin: builtinModelLoader },
  data: { shapes: shapesDataLoader },
};

/** Registries merged left to right (later loaders win). */
export function mergeSources(...regs: Partial<SourceRegistry>[]): SourceRegistry {
  const out: SourceRegistry = { models: {}, data: {} };
  for (const r of regs) {
    Object.assign(out.models, r.models ?? {});
    Object.assign(out.data, r.data ?? {});
  }
  return out;
}
