// Loading CLIP from a (local) Hugging Face Hub and from dropped files: src/engine/hub/loadModel.ts
// against e2e/hubServer.mjs started in-process, with an in-memory Cache API.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/engine/tf';
import { parseSafetensors } from '../src/engine/io/safetensors';
import { HubCache, MemoryCacheStorage, cacheInfo, clearCache } from '../src/engine/hub/cache';
import { HubError } from '../src/engine/hub/errors';
import { loadModelFromSource, type FileLike, type LoadedModel } from '../src/engine/hub/loadModel';
import type { LoadProgress as WorkerLoadProgress } from '../src/worker/protocol';
import type { LoadProgress } from '../src/engine/hub/progress';
import { startHubServer, type HubServer } from '../e2e/hubServer.mjs';

let hub: HubServer;
const fixtures = () => hub.dir;
const file = (...p: string[]) => readFileSync(path.join(fixtures(), ...p));

beforeAll(async () => {
  hub = await startHubServer();
});
afterAll(async () => {
  await hub?.close();
});

const TINY = 'tbar-test/tiny-clip';
const CAT_IDS = [49406, 320, 1125, 539, 320, 2368, 49407]; // "a photo of a cat" (CLIP-LAYOUT.md)

async function freshCache(limit?: number) {
  return (await HubCache.open(new MemoryCacheStorage(limit)))!;
}

async function expectHubError(p: Promise<unknown>, code: string, message?: RegExp): Promise<HubError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, `expected HubError ${code}`).toBeInstanceOf(HubError);
  expect((err as HubError).code).toBe(code);
  if (message) expect((err as HubError).message).toMatch(message);
  expect((err as HubError).message).toMatch(/previously loaded model and data are still in use/);
  return err as HubError;
}

/** The weights of a loaded model equal those of the fixture file, tensor by tensor. */
async function expectWeightsEqualFile(m: LoadedModel, bytes: Uint8Array) {
  const ref = parseSafetensors(bytes).tensors;
  const got = m.model.getWeights();
  expect(got.size).toBe([...ref.keys()].filter((n) => !n.endsWith('position_ids')).length);
  for (const [name, t] of ref) {
    const v = got.get(name)!;
    expect(v.shape).toEqual(t.shape);
    const d = (await v.data()) as Float32Array;
    expect(Buffer.from(d.buffer, d.byteOffset, d.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), name).toBe(true);
  }
}

describe('from the Hub', () => {
  it('loads config, tokenizer and weights with progress, then again from the cache with the hub stopped', async () => {
    const cache = await freshCache();
    const events: LoadProgress[] = [];
    const m = await loadModelFromSource({ kind: 'hub', repo: TINY, baseUrl: hub.baseUrl }, { cache, onProgress: (p) => events.push(p) });
    try {
      expect(m.name).toBe(TINY);
      expect(m.fromCache).toBe(false);
      expect(m.config.vision_config.hidden_size).toBe(64);
      expect(Array.from(m.tokenizer.tokenize(['a photo of a cat']).ids.slice(0, 7))).toEqual(CAT_IDS);
      await expectWeightsEqualFile(m, file('models', TINY, 'model.safetensors'));
      // progress: bytes with speed and ETA while downloading, tensors while uploading
      const dl = events.filter((e) => e.phase === 'download' && e.totalBytes);
      expect(dl.length).toBeGreaterThan(0);
      expect(dl[dl.length - 1]).toMatchObject({ bytes: 6_710_300, totalBytes: 6_710_300 });
      expect(dl.some((e) => e.bytesPerSec! > 0)).toBe(true);
      const up = events.filter((e) => e.phase === 'upload');
      expect(up.at(-1)!.message).toMatch(/loaded in .* s/);
      // the safetensors header came first, by Range, before the full download
      const weightReqs = hub.requests.filter((r) => r.path.endsWith(`${TINY}/resolve/main/model.safetensors`) && r.status !== 302);
      expect(weightReqs.map((r) => r.range ?? 'full')).toEqual(['bytes=0-7', expect.stringMatching(/^bytes=8-\d+$/), 'full']);
      // a LoadProgress of the engine is a LoadProgress of the worker protocol
      const asWorker: WorkerLoadProgress = events[0];
      expect(asWorker.phase).toBeDefined();
      const info = await cacheInfo(new MemoryCacheStorage()); // empty storage: zero
      expect(info.totalBytes).toBe(0);
    } finally {
      m.model.dispose();
    }

    // second load: offline and from the cache
    const before = hub.requests.length;
    const offlineFetch = async () => {
      throw new TypeError('fetch failed (offline)');
    };
    const again = await loadModelFromSource({ kind: 'hub', repo: TINY, baseUrl: hub.baseUrl }, { cache, fetch: offlineFetch });
    try {
      expect(again.fromCache).toBe(true);
      expect(hub.requests.length).toBe(before);
      await expectWeightsEqualFile(again, file('models', TINY, 'model.safetensors'));
    } finally {
      again.model.dispose();
    }
  });

  it('loads the openai/clip-vit-base-patch32 layout (F16 weights, reduced depth)', async () => {
    const m = await loadModelFromSource({ kind: 'hub', repo: 'openai/clip-vit-base-patch32', baseUrl: hub.baseUrl }, { cache: null });
    try {
      const v = m.config.vision_config;
      expect([v.hidden_size, v.patch_size, v.num_attention_heads, v.num_hidden_layers]).toEqual([768, 32, 12, 2]);
      expect(m.config.text_config.num_hidden_layers).toBe(1);
      expect(m.model.weight('text_model.embeddings.token_embedding.weight').shape).toEqual([49408, 512]);
      expect(m.weightBytes).toBe(m.model.numParams() * 4);
      const emb = m.model.encodeText(tf.tensor2d(m.tokenizer.tokenize(['a photo of a cat']).ids, [1, 77], 'int32'));
      expect(emb.shape).toEqual([1, 512]);
      emb.dispose();
    } finally {
      m.model.dispose();
    }
  });

  it('reads sharded checkpoints and vocab.json + merges.txt', async () => {
    const single = await loadModelFromSource({ kind: 'hub', repo: TINY, baseUrl: hub.baseUrl }, { cache: null });
    const sharded = await loadModelFromSource({ kind: 'hub', repo: 'tbar-test/tiny-clip-sharded', baseUrl: hub.baseUrl }, { cache: null });
    const slow = await loadModelFromSource({ kind: 'hub', repo: 'tbar-test/tiny-clip-vocab', baseUrl: hub.baseUrl }, { cache: null });
    try {
      for (const [name, t] of single.model.getWeights()) {
        expect(Array.from((await sharded.model.weight(name).data()) as Float32Array)).toEqual(Array.from((await t.data()) as Float32Array));
      }
      const prompts = ['a photo of a cat.', 'a bad photo of the aquarium fish.', 'itap of a lawn mower', 'Fish &amp; chips!'];
      expect(Array.from(slow.tokenizer.tokenize(prompts).ids)).toEqual(Array.from(single.tokenizer.tokenize(prompts).ids));
      expect(hub.requests.some((r) => r.path.endsWith('tiny-clip-vocab/resolve/main/merges.txt'))).toBe(true);
    } finally {
      single.model.dispose();
      sharded.model.dispose();
      slow.model.dispose();
    }
  });

  it('loads a sharded checkpoint offline from the cache, and a model folder served by URL (the built-in)', async () => {
    const cache = await freshCache();
    const src = { kind: 'hub', repo: 'tbar-test/tiny-clip-sharded', baseUrl: hub.baseUrl } as const;
    (await loadModelFromSource(src, { cache })).model.dispose();
    const offline = await loadModelFromSource(src, { cache, fetch: async () => Promise.reject(new TypeError('offline')) });
    expect(offline.fromCache).toBe(true);
    offline.model.dispose();
    const builtin = await loadModelFromSource({ kind: 'builtin', id: 'micro-clip' }, { cache: null, builtinUrl: `${hub.baseUrl}/${TINY}/resolve/main/` });
    expect(builtin.name).toBe('micro-clip');
    await expectWeightsEqualFile(builtin, file('models', TINY, 'model.safetensors'));
    builtin.model.dispose();
  });

  it('gives a clear typed error for each fault and keeps the previous model working', async () => {
    const cache = await freshCache();
    const previous = await loadModelFromSource({ kind: 'hub', repo: TINY, baseUrl: hub.baseUrl }, { cache });
    const probe = async () => {
      const e = previous.model.encodeText(tf.tensor2d(previous.tokenizer.tokenize(['a photo of a cat']).ids, [1, 77], 'int32'));
      const d = await e.data();
      e.dispose();
      return Array.from(d);
    };
    const reference = await probe();
    const tensorsBefore = tf.memory().numTensors;
    const at = (fault: string) => `${hub.baseUrl}/__fault/${fault}`;

    const trunc = await expectHubError(loadModelFromSource({ kind: 'hub', repo: TINY, baseUrl: at('truncate') }, { cache }), 'truncated', /model\.safetensors stopped at .* of 6\.7 MB/);
    expect(await cache.has(trunc.url!)).toBe(false); // a partial file is never cached
    await expectHubError(loadModelFromSource({ kind: 'hub', repo: TINY, baseUrl: at('404') }, { cache }), 'not-found', /config\.json was not found \(HTTP 404/);
    await expectHubError(loadModelFromSource({ kind: 'hub', repo: TINY, baseUrl: at('html') }, { cache }), 'wrong-content', /config\.json is an HTML page/);
    const n = hub.requests.length;
    await expectHubError(
      loadModelFromSource({ kind: 'hub', repo: 'openai/clip-vit-base-patch32', baseUrl: at('b16') }, { cache }),
      'architecture-mismatch',
      /vision patch_size: weights 32, config 16.*Use the config\.json that belongs to these weights/,
    );
    // found from the header alone: no full download of the 91 MB file
    const weightGets = hub.requests.slice(n).filter((r) => r.path.endsWith('model.safetensors') && r.status === 200);
    expect(weightGets).toEqual([]);
    await expectHubError(loadModelFromSource({ kind: 'hub', repo: 'tbar-test/no-such-repo', baseUrl: hub.baseUrl }, { cache }), 'not-found');
    await expectHubError(loadModelFromSource({ kind: 'hub', repo: TINY, baseUrl: 'http://127.0.0.1:1' }, { cache: null }), 'network', /could not reach/);

    expect(tf.memory().numTensors).toBe(tensorsBefore); // failed loads leaked nothing
    expect(await probe()).toEqual(reference);
    previous.model.dispose();
  });

  it('goes on uncached when the quota is exceeded, and can be cancelled', async () => {
    const tinyQuota = await freshCache(1_000_000);
    const m = await loadModelFromSource({ kind: 'hub', repo: TINY, baseUrl: hub.baseUrl }, { cache: tinyQuota });
    expect(m.warnings.join(' ')).toMatch(/model\.safetensors was not cached: the browser's storage quota is full/);
    m.model.dispose();

    const ac = new AbortController();
    const p = loadModelFromSource(
      { kind: 'hub', repo: 'openai/clip-vit-base-patch32', baseUrl: `${hub.baseUrl}/__fault/slow` },
      { cache: await freshCache(), signal: ac.signal, onProgress: (e) => e.phase === 'download' && (e.bytes ?? 0) > 2e6 && ac.abort() },
    );
    await expectHubError(p, 'cancelled');
  });

  it('reports and clears the cache', async () => {
    const storage = new MemoryCacheStorage();
    const cache = (await HubCache.open(storage))!;
    const m = await loadModelFromSource({ kind: 'hub', repo: TINY, baseUrl: hub.baseUrl }, { cache });
    m.model.dispose();
    const info = await cacheInfo(storage);
    expect(info.entries.map((e) => path.basename(e.url)).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(info.entries.find((e) => e.url.endsWith('model.safetensors'))!.bytes).toBe(6_710_300);
    expect(await clearCache(storage)).toBe(info.totalBytes);
    expect((await cacheInfo(storage)).totalBytes).toBe(0);
  });
});

/** A dropped file: a Blob with a name and a folder path. */
function dropped(p: string, bytes: Uint8Array, rel?: string): FileLike {
  const blob = new Blob([bytes as BlobPart]);
  return { name: path.basename(p), size: blob.size, webkitRelativePath: rel ?? '', lastModified: 1, stream: () => blob.stream() as ReadableStream<Uint8Array>, text: () => blob.text() };
}

describe('from dropped files', () => {
  const tokenizer = () => readFileSync(path.resolve(import.meta.dirname, '../../shared/data/tinyclip-8m-16-text-3m-hf-tokenizer/tokenizer.json'));

  it('loads a folder (weights + config.json + tokenizer.json)', async () => {
    const files = [
      dropped('model.safetensors', file('models', TINY, 'model.safetensors'), 'tiny-clip/model.safetensors'),
      dropped('config.json', file('models', TINY, 'config.json'), 'tiny-clip/config.json'),
      dropped('tokenizer.json', tokenizer(), 'tiny-clip/tokenizer.json'),
      dropped('README.md', new TextEncoder().encode('# hi'), 'tiny-clip/README.md'),
    ];
    const m = await loadModelFromSource({ kind: 'file', name: '' }, { files, cache: null });
    try {
      expect(m.name).toBe('tiny-clip');
      expect(m.id).toMatch(/^file:tiny-clip:6710300:/);
      await expectWeightsEqualFile(m, file('models', TINY, 'model.safetensors'));
    } finally {
      m.model.dispose();
    }
  });

  it('infers the config and fetches CLIP’s tokenizer when only the weights are dropped', async () => {
    const files = [dropped('model.safetensors', file('models', TINY, 'model.safetensors'))];
    const m = await loadModelFromSource({ kind: 'file', name: 'model.safetensors' }, { files, cache: null, tokenizerFallback: { repo: TINY, baseUrl: hub.baseUrl } });
    try {
      expect(m.config.vision_config).toMatchObject({ hidden_size: 64, patch_size: 8, image_size: 32, num_hidden_layers: 2, num_attention_heads: 1 });
      expect(m.warnings.join(' ')).toMatch(/architecture was read off the tensor shapes/);
      expect(m.warnings.join(' ')).toMatch(/using CLIP's standard tokenizer/);
    } finally {
      m.model.dispose();
    }
  });

  it('rejects wrong files with what to do', async () => {
    const cfg = JSON.parse(file('models', TINY, 'config.json').toString());
    cfg.vision_config.patch_size = 16;
    await expectHubError(
      loadModelFromSource({ kind: 'file', name: 'x' }, { files: [dropped('model.safetensors', file('models', TINY, 'model.safetensors')), dropped('config.json', new TextEncoder().encode(JSON.stringify(cfg)))], cache: null }),
      'architecture-mismatch',
      /patch_size: weights 8, config 16/,
    );
    await expectHubError(loadModelFromSource({ kind: 'file', name: 'x' }, { files: [dropped('pytorch_model.bin', new Uint8Array(10))], cache: null }), 'missing-file', /PyTorch .bin\/.pt, ONNX and Keras files are not supported/);
    const html = new TextEncoder().encode('<!DOCTYPE html><html>' + ' '.repeat(100) + '</html>');
    await expectHubError(loadModelFromSource({ kind: 'file', name: 'x' }, { files: [dropped('model.safetensors', html)], cache: null }), 'not-safetensors', /looks like HTML/);
    const cut = file('models', TINY, 'model.safetensors').subarray(0, 4_000_000);
    await expectHubError(
      loadModelFromSource({ kind: 'file', name: 'x' }, { files: [dropped('model.safetensors', cut), dropped('config.json', file('models', TINY, 'config.json')), dropped('tokenizer.json', tokenizer())], cache: null }),
      'truncated',
    );
  });
});
