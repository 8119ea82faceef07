/**
 * The zero-shot head (clip/zeroshot.ts) computed once per model × class names × templates and kept in
 * the browser's Cache API, so that the 100 classes × 80 templates = 8,000 text-tower passes of
 * CIFAR-100 (≈ a minute on WASM for ViT-B/32's text tower) are paid once.
 *
 * Key: SHA-256 of { model id, a fingerprint of the text tower's output weights, class names,
 * templates }. The fingerprint (text_projection + final_layer_norm) makes two different checkpoints
 * that happen to share a name (two dropped "model.safetensors") different keys. Value: the head's
 * float32 rows [classes, projection_dim]. Progress: LoadProgress phase 'text-head'.
 */
import { tf } from '../tf';
import type { ClipModel } from '../clip/model';
import { buildZeroShotHead, type TokenizeFn } from '../clip/zeroshot';
import { HubCache, TEXT_HEAD_CACHE_NAME } from './cache';
import { readAll } from './client';
import { throwIfAborted } from './errors';
import { type ProgressFn, throttle } from './progress';

const KEY_ORIGIN = 'https://tbar-lab.invalid/text-head/';

export interface TextHeadOptions {
  /** LoadedModel.id (hub URL or dropped file identity). */
  modelId: string;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /** 'default' = the Cache API when available; null = no caching. */
  cache?: HubCache | null | 'default';
  batchSize?: number;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The cache key (a URL) of a head. */
export async function textHeadKey(model: ClipModel, modelId: string, classNames: readonly string[], templates: readonly string[]): Promise<string> {
  const parts: Uint8Array[] = [new TextEncoder().encode(JSON.stringify({ v: 1, modelId, classNames, templates }))];
  for (const name of ['text_projection.weight', 'text_model.final_layer_norm.weight', 'text_model.final_layer_norm.bias']) {
    const d = (await model.weight(name).data()) as Float32Array;
    parts.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  const n = parts.reduce((a, p) => a + p.byteLength, 0);
  const all = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.byteLength;
  }
  return KEY_ORIGIN + (await sha256Hex(all));
}

export interface CachedHead {
  head: tf.Tensor2D;
  fromCache: boolean;
  key: string;
}

/** buildZeroShotHead, cached. The caller owns (and disposes) `head`. */
export async function zeroShotHeadCached(
  model: ClipModel,
  tokenize: TokenizeFn,
  classNames: readonly string[],
  templates: readonly string[],
  opts: TextHeadOptions,
): Promise<CachedHead> {
  const cache = opts.cache === undefined || opts.cache === 'default' ? await HubCache.open(undefined, TEXT_HEAD_CACHE_NAME) : opts.cache;
  const key = await textHeadKey(model, opts.modelId, classNames, templates);
  const E = model.config.projection_dim;
  const C = classNames.length;
  const total = C * templates.length;
  const report = throttle(opts.onProgress, 100);
  if (cache) {
    const hit = await cache.get(key);
    if (hit) {
      const bytes = await readAll(hit.body, opts.signal, 'Building the zero-shot head');
      if (bytes.byteLength === C * E * 4) {
        const rows = new Float32Array(bytes.slice().buffer);
        report({ phase: 'text-head', done: total, total, message: `zero-shot head: ${C} classes × ${templates.length} templates from the browser cache` }, true);
        return { head: tf.tensor2d(rows, [C, E]), fromCache: true, key };
      }
      await cache.delete(key);
    }
  }
  throwIfAborted(opts.signal, 'Building the zero-shot head');
  const t0 = performance.now();
  const head = await buildZeroShotHead(model, tokenize, classNames, templates, {
    batchSize: opts.batchSize,
    onProgress: (done, all) => {
      throwIfAborted(opts.signal, 'Building the zero-shot head');
      const ms = performance.now() - t0;
      const etaMs = done > 0 ? (ms / done) * (all - done) : undefined;
      report({ phase: 'text-head', done, total: all, etaMs, message: `zero-shot head: ${done}/${all} prompts through the text tower` }, done === all);
    },
  });
  if (cache) {
    const rows = (await head.data()) as Float32Array;
    try {
      await cache.put(key, new Uint8Array(rows.buffer.slice(rows.byteOffset, rows.byteOffset + rows.byteLength)), { contentType: 'application/octet-stream' });
    } catch {
      // quota: the head is recomputed next time; nothing else depends on it being cached
    }
  }
  return { head, fromCache: false, key };
}
