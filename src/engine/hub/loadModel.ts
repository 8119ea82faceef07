/**
 * θ_pre from the Hugging Face Hub or from files dropped on the page → { model, tokenizer }.
 *
 *   const { model, tokenizer, name } = await loadModelFromSource(
 *     { kind: 'hub', repo: 'openai/clip-vit-base-patch32' }, { onProgress, signal });
 *   const { model, tokenizer } = await loadModelFromSource({ kind: 'file', name }, { files });
 *
 * Hub: `config.json`, then `tokenizer.json` (or `vocab.json` + `merges.txt`), then the weights:
 * `model.safetensors`, or `model.safetensors.index.json` + shards. Before downloading the weights
 * their safetensors header is fetched with two small Range requests and checked against config.json,
 * so a checkpoint of another architecture (or an HTML page) fails in a second, not after 600 MB.
 *
 * Weights stream tensor by tensor (io/safetensorsStream.ts): each tensor's Float32Array is uploaded
 * to the tfjs backend and dropped before the next arrives, so the checkpoint is never held twice
 * (peak CPU memory ≈ one tensor — the 101 MB token embedding for B/32 — plus the backend copy; on
 * WebGPU tfjs keeps a tensor's CPU values until its first use uploads them).
 *
 * Failure leaves the caller's current model alone: everything is built into a NEW ClipModel and
 * every tensor uploaded so far is disposed on error. Errors are HubError (errors.ts) with messages
 * that say what to do.
 */
import { tf } from '../tf';
import { type CLIPConfig, ClipConfigError, describeTensorShapeDiff, diffTensorShapes, expectedTensorShapes, parseClipConfig } from '../clip/config';
import { architectureDiffs, inferArchitecture, type StateDict } from '../clip/load';
import { ClipModel, ClipWeightsError } from '../clip/model';
import { ClipTokenizer, TokenizerError } from '../clip/tokenizer';
import type { ModelSource } from '../experiment/config';
import { readSafetensorsHeaderLength, parseSafetensorsHeader, SafetensorsError, type SafetensorsHeader, type NamedTensor } from '../io/safetensors';
import { readSafetensorsStream } from '../io/safetensorsStream';
import { parseShardIndex, readShardedSafetensors, type ShardIndex } from '../io/sharded';
import { HubCache } from './cache';
import { type FetchFn, HubClient, parseJsonText } from './client';
import { HubError, KEEPS_PREVIOUS, cancelled, throwIfAborted } from './errors';
import { type ProgressFn, formatBytes, throttle } from './progress';
import { tokenizerJsonFromVocabMerges } from './tokenizerFiles';
import { DEFAULT_HUB_URL, DEFAULT_MODEL_REPO, DEFAULT_REVISION, type HubLocation, checkRepoId, hubFileUrl } from './url';
import { type DeviceBudget, checkModelFits } from '../memory/plan';

/** A dropped file: File satisfies it (Blob + name + webkitRelativePath). */
export interface FileLike {
  readonly name: string;
  readonly size: number;
  readonly webkitRelativePath?: string;
  readonly lastModified?: number;
  stream(): ReadableStream<Uint8Array>;
  text(): Promise<string>;
}

export interface ModelLoadOptions {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /** For { kind: 'file' }: the dropped files (a .safetensors + optional config.json / tokenizer.json, or a folder). */
  files?: readonly FileLike[];
  /** Injected fetch (tests); default globalThis.fetch. */
  fetch?: FetchFn;
  /** The download cache: 'default' (Cache API when available), a HubCache, or null for none. */
  cache?: HubCache | null | 'default';
  /** For { kind: 'builtin' }: the folder URL that holds its config.json, tokenizer.json, model.safetensors. */
  builtinUrl?: string;
  /** Where a dropped checkpoint without tokenizer.json gets CLIP's tokenizer (default: the Hub). */
  tokenizerFallback?: HubLocation | null;
  /** Refuse a model whose weights cannot fit the device before downloading it (memory/plan.ts). */
  device?: DeviceBudget;
}

export interface LoadedModel {
  model: ClipModel;
  tokenizer: ClipTokenizer;
  /** Display name: the repo id (with @revision unless main), or the dropped file/folder name. */
  name: string;
  config: CLIPConfig;
  /** Identifies the weights for caches keyed by model (text heads): URL or file name + size + date. */
  id: string;
  /** Whether every file came from the browser cache (no network). */
  fromCache: boolean;
  /** Bytes of the weights read. */
  weightBytes: number;
  /** Things the user should know that did not stop the load (not cached: quota, config inferred…). */
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------
// Checks

function shapesFromHeaders(headers: SafetensorsHeader[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const h of headers) for (const e of h.entries) m.set(e.name, e.shape);
  return m;
}

/**
 * Compare a checkpoint's tensor list (names → shapes, from safetensors headers) with what config.json
 * describes. Throws HubError('architecture-mismatch') when the shapes imply a different architecture
 * (e.g. a B/32 checkpoint with a B/16 config), HubError('weights-mismatch') for anything else.
 * `partial`: only some shards' headers are known; absent tensors are not "missing" yet.
 */
export function checkCheckpointAgainstConfig(config: CLIPConfig, shapes: Map<string, readonly number[]>, what: string, partial = false): void {
  const mismatch = diffTensorShapes(config, shapes, partial);
  if (!mismatch) return;
  const dict: StateDict = new Map([...shapes].map(([n, s]) => [n, { shape: s, data: new Float32Array(0) }]));
  const arch = inferArchitecture(dict);
  const diffs = architectureDiffs(arch, config, 'weights');
  if (diffs.length) {
    throw new HubError(
      'architecture-mismatch',
      `${what}: the weights are a different architecture than config.json describes (${diffs.join('; ')}). ` +
        `Use the config.json that belongs to these weights (same repo and revision). ${KEEPS_PREVIOUS}`,
    );
  }
  throw new HubError(
    'weights-mismatch',
    `${what}: the weights do not match a Hugging Face CLIPModel checkpoint for this config (${describeTensorShapeDiff(mismatch, 4)}). ` +
      `Only CLIPModel checkpoints (both towers, HF tensor names) are supported. ${KEEPS_PREVIOUS}`,
  );
}

/**
 * A config for weights that came without config.json, read off the tensor shapes with the OpenAI
 * CLIP conventions (head_dim 64, quick_gelu, image size from the position count). Throws
 * HubError('missing-file') when the shapes are not a CLIPModel's.
 */
export function inferConfigFromShapes(shapes: Map<string, readonly number[]>): CLIPConfig {
  const dict: StateDict = new Map([...shapes].map(([n, s]) => [n, { shape: s, data: new Float32Array(0) }]));
  const a = inferArchitecture(dict);
  const need = [a.visionHidden, a.patchSize, a.visionPositions, a.visionIntermediate, a.textHidden, a.vocabSize, a.textPositions, a.textIntermediate, a.projectionDim];
  if (need.some((x) => x === undefined) || !a.visionLayers || !a.textLayers) {
    throw new HubError('missing-file', `the dropped weights are not a Hugging Face CLIPModel checkpoint (vision_model.* / text_model.* tensors missing), and no config.json came with them. Drop the checkpoint's config.json too. ${KEEPS_PREVIOUS}`);
  }
  const grid = Math.round(Math.sqrt(a.visionPositions! - 1));
  const headsOf = (d: number) => (d % 64 === 0 ? d / 64 : 1);
  try {
    return parseClipConfig({
      model_type: 'clip',
      projection_dim: a.projectionDim,
      vision_config: {
        hidden_size: a.visionHidden,
        intermediate_size: a.visionIntermediate,
        num_hidden_layers: a.visionLayers,
        num_attention_heads: headsOf(a.visionHidden!),
        image_size: grid * a.patchSize!,
        patch_size: a.patchSize,
      },
      text_config: {
        hidden_size: a.textHidden,
        intermediate_size: a.textIntermediate,
        num_hidden_layers: a.textLayers,
        num_attention_heads: headsOf(a.textHidden!),
        vocab_size: a.vocabSize,
        max_position_embeddings: a.textPositions,
        bos_token_id: 0,
        eos_token_id: 2,
      },
    });
  } catch (e) {
    throw new HubError('missing-file', `no config.json came with the weights and one could not be inferred (${(e as Error).message}). Drop the checkpoint's config.json too. ${KEEPS_PREVIOUS}`);
  }
}

function configOrThrow(json: unknown, where: string): CLIPConfig {
  try {
    return parseClipConfig(json);
  } catch (e) {
    if (e instanceof ClipConfigError) {
      throw new HubError('bad-config', `${where}: ${e.message}. This is not a Hugging Face CLIPModel config (model_type "clip") this lab can run. ${KEEPS_PREVIOUS}`, { cause: e });
    }
    throw e;
  }
}

function tokenizerOrThrow(json: unknown, config: CLIPConfig, where: string): ClipTokenizer {
  try {
    const tok = ClipTokenizer.fromJSON(json);
    tok.checkTextConfig(config.text_config);
    return tok;
  } catch (e) {
    if (e instanceof TokenizerError) {
      throw new HubError('bad-tokenizer', `${where}: ${e.message} ${KEEPS_PREVIOUS}`, { cause: e });
    }
    throw e;
  }
}

/** SafetensorsError → HubError (a HubError carried as a stream's cause is rethrown as is). */
function weightsError(e: unknown, what: string): unknown {
  if (e instanceof HubError) return e;
  if (e instanceof SafetensorsError) {
    const inner = (e as { cause?: unknown }).cause;
    if (inner instanceof HubError) return inner;
    if (e.code === 'stream-ended-early' || e.code === 'header-beyond-file' || e.code === 'offsets-out-of-range' || e.code === 'truncated') {
      return new HubError('truncated', `${what}: the weights file is truncated (${e.message}). Download it again; if it came from the Hub, clear the cache and retry. ${KEEPS_PREVIOUS}`, { cause: e });
    }
    if (e.code === 'out-of-memory') {
      return new HubError('out-of-memory', `${what}: ${e.message}. Close other tabs or use a smaller model. ${KEEPS_PREVIOUS}`, { cause: e });
    }
    return new HubError('not-safetensors', `${what}: not a valid safetensors file (${e.message}). ${KEEPS_PREVIOUS}`, { cause: e });
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// Streaming tensors to the backend

interface TensorSink {
  tensors: Map<string, tf.Tensor>;
  bytes: number;
}

async function uploadAll(
  source: AsyncIterable<NamedTensor>,
  count: () => number,
  sink: TensorSink,
  report: (done: number, total: number, name: string) => void,
  signal: AbortSignal | undefined,
  what: string,
): Promise<void> {
  let done = 0;
  for await (const t of source) {
    throwIfAborted(signal, what);
    if (t.name.endsWith('.position_ids')) continue;
    // tf.tensor copies into the backend; the Float32Array `t.data` is garbage after this iteration.
    sink.tensors.set(t.name, tf.tensor(t.data, t.shape, 'float32'));
    sink.bytes += t.data.byteLength;
    done++;
    report(done, count(), t.name);
  }
}

function disposeSink(sink: TensorSink): void {
  for (const t of sink.tensors.values()) t.dispose();
  sink.tensors.clear();
}

function buildModel(config: CLIPConfig, sink: TensorSink, what: string): ClipModel {
  try {
    return ClipModel.fromTensors(config, sink.tensors);
  } catch (e) {
    if (e instanceof ClipWeightsError) {
      checkCheckpointAgainstConfig(config, new Map([...sink.tensors].map(([n, t]) => [n, t.shape])), what);
      throw new HubError('weights-mismatch', `${what}: ${e.message}. ${KEEPS_PREVIOUS}`, { cause: e });
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Hub

/** The safetensors header of a remote file via two Range requests (or a cached copy). */
async function remoteHeader(client: HubClient, url: string, what: string): Promise<SafetensorsHeader> {
  try {
    const pre = await client.range(url, 0, 8, what);
    if (pre.bytes.byteLength < 8 && pre.fileBytes !== undefined && pre.fileBytes >= 8) throw new SafetensorsError('truncated', 'short read');
    const n = readSafetensorsHeaderLength(pre.bytes, pre.fileBytes);
    const head = await client.range(url, 8, 8 + n, what);
    if (head.bytes.byteLength < n) throw new SafetensorsError('header-beyond-file', `the header is ${n} bytes but only ${head.bytes.byteLength} arrived`);
    const fileBytes = head.fileBytes ?? pre.fileBytes;
    return parseSafetensorsHeader(head.bytes, fileBytes === undefined ? undefined : fileBytes - 8 - n);
  } catch (e) {
    throw weightsError(e, what);
  }
}

async function loadFromHub(loc: Required<Pick<HubLocation, 'repo'>> & HubLocation, name: string, opts: ModelLoadOptions, client: HubClient): Promise<LoadedModel> {
  const what = `Loading ${name}`;
  const url = (path: string) => hubFileUrl(loc, path);
  const report = throttle(opts.onProgress, 100);
  let fromCache = true;

  report({ phase: 'download', done: 0, total: 0, message: `${name}: config.json` }, true);
  const cfg = await client.json(url('config.json'), `${what} (config.json)`);
  fromCache &&= cfg.fromCache;
  const config = configOrThrow(cfg.json, `${name}/config.json`);
  if (opts.device) checkModelFits(config, opts.device);

  report({ phase: 'download', done: 0, total: 0, message: `${name}: tokenizer` }, true);
  let tokJson: unknown;
  try {
    const t = await client.json(url('tokenizer.json'), `${what} (tokenizer.json)`);
    fromCache &&= t.fromCache;
    tokJson = t.json;
  } catch (e) {
    if (!(e instanceof HubError && e.code === 'not-found')) throw e;
    const vocab = await client.json(url('vocab.json'), `${what} (vocab.json)`);
    const merges = await client.text(url('merges.txt'), `${what} (merges.txt)`);
    fromCache &&= vocab.fromCache && merges.fromCache;
    try {
      tokJson = tokenizerJsonFromVocabMerges(vocab.json, merges.text);
    } catch (err) {
      throw new HubError('bad-tokenizer', `${name}: vocab.json/merges.txt: ${(err as Error).message} ${KEEPS_PREVIOUS}`, { cause: err });
    }
  }
  const tokenizer = tokenizerOrThrow(tokJson, config, `${name}/tokenizer.json`);

  const sink: TensorSink = { tensors: new Map(), bytes: 0 };
  const expectedCount = expectedTensorShapes(config).size;
  const upload = (done: number, total: number, tensor: string) =>
    report({ phase: 'upload', done, total, message: `${name}: ${done}/${total} tensors on the device (${tensor})` }, done === total);
  try {
    const single = url('model.safetensors');
    let header: SafetensorsHeader | null = null;
    let sharded: ShardIndex | null = null;
    const cachedSingle = await client.cache?.has(single);
    const cachedIndex = !cachedSingle && (await client.cache?.has(url('model.safetensors.index.json')));
    if (!cachedSingle) {
      try {
        if (cachedIndex) throw new HubError('not-found', 'sharded checkpoint in the cache'); // offline: no preflight
        header = await remoteHeader(client, single, `${what} (model.safetensors)`);
      } catch (e) {
        if (!(e instanceof HubError && e.code === 'not-found')) throw e;
        const idx = await client.json(url('model.safetensors.index.json'), `${what} (model.safetensors.index.json)`);
        fromCache &&= idx.fromCache;
        try {
          sharded = parseShardIndex(idx.json as object);
        } catch (err) {
          throw weightsError(err, `${what} (model.safetensors.index.json)`);
        }
      }
      if (header) checkCheckpointAgainstConfig(config, shapesFromHeaders([header]), `${name}/model.safetensors`);
      if (sharded) {
        checkCheckpointAgainstConfig(config, new Map([...sharded.weightMap.keys()].map((n) => [n, expectedTensorShapes(config).get(n) ?? []])), `${name}/model.safetensors.index.json`, false);
      }
    }

    if (!sharded) {
      const file = await client.stream(single, `${what} (model.safetensors)`);
      fromCache &&= file.fromCache;
      try {
        const tensors = readSafetensorsStream(file.stream, {
          totalBytes: file.totalBytes,
          onHeader: (h) => checkCheckpointAgainstConfig(config, shapesFromHeaders([h]), `${name}/model.safetensors`),
        });
        await uploadAll(tensors, () => expectedCount, sink, upload, client.signal, what);
      } catch (e) {
        // a cached file that turns out bad must not poison later loads
        if (file.cached && e instanceof HubError && e.code !== 'cancelled') await client.cache?.delete(single);
        if (file.cached && e instanceof SafetensorsError) await client.cache?.delete(single);
        throw e;
      }
    } else {
      const idx = sharded;
      const shardUrls = new Map(idx.files.map((f) => [f, url(f)]));
      const headers: SafetensorsHeader[] = [];
      let offset = 0;
      const tensors = readShardedSafetensors(
        idx,
        async (f) => {
          const file = await client.stream(shardUrls.get(f)!, `${what} (${f})`, { offset });
          fromCache &&= file.fromCache;
          offset += file.totalBytes ?? 0;
          return { stream: file.stream, totalBytes: file.totalBytes };
        },
        {
          onHeader: (_f, h) => {
            headers.push(h);
            checkCheckpointAgainstConfig(config, shapesFromHeaders(headers), `${name}/${_f}`, true);
          },
        },
      );
      await uploadAll(tensors, () => expectedCount, sink, upload, client.signal, what);
    }
    throwIfAborted(client.signal, what);
    const model = buildModel(config, sink, `${name}`);
    const rev = loc.revision && loc.revision !== DEFAULT_REVISION ? `@${loc.revision}` : '';
    return {
      model,
      tokenizer,
      name: `${loc.repo}${rev}`,
      config,
      id: `hub:${url('model.safetensors')}`,
      fromCache,
      weightBytes: sink.bytes,
      warnings: client.warnings,
    };
  } catch (e) {
    disposeSink(sink);
    if (client.signal?.aborted) throw cancelled(what);
    throw weightsError(e, what);
  }
}

// ---------------------------------------------------------------------------------------------
// Dropped files

function relPath(f: FileLike): string {
  return f.webkitRelativePath || f.name;
}

function baseName(f: FileLike): string {
  const p = relPath(f);
  return p.slice(p.lastIndexOf('/') + 1);
}

async function fileJson(f: FileLike, what: string): Promise<unknown> {
  return parseJsonText(await f.text(), relPath(f), what);
}

async function loadFromFiles(name: string, opts: ModelLoadOptions, client: HubClient): Promise<LoadedModel> {
  const files = opts.files ?? [];
  const what = `Loading ${name}`;
  if (!files.length) {
    throw new HubError('missing-file', `${what}: no files were given. Drop a .safetensors checkpoint (with its config.json and tokenizer.json, or the whole folder). ${KEEPS_PREVIOUS}`);
  }
  const report = throttle(opts.onProgress, 100);
  const byName = new Map<string, FileLike>();
  for (const f of files) if (!byName.has(baseName(f))) byName.set(baseName(f), f);
  const warnings: string[] = [];
  const weights = files.filter((f) => baseName(f).endsWith('.safetensors'));
  const indexFile = byName.get('model.safetensors.index.json');
  if (!weights.length) {
    const other = files.some((f) => /\.(bin|pt|pth|ckpt|onnx|h5)$/i.test(baseName(f)));
    throw new HubError(
      'missing-file',
      `${what}: no .safetensors file among the dropped files${other ? ' (PyTorch .bin/.pt, ONNX and Keras files are not supported: convert to safetensors)' : ''}. ${KEEPS_PREVIOUS}`,
    );
  }
  if (weights.length > 1 && !indexFile) {
    throw new HubError('missing-file', `${what}: ${weights.length} .safetensors files but no model.safetensors.index.json: drop one checkpoint at a time, or include the shard index. ${KEEPS_PREVIOUS}`);
  }

  // Read the first weights file's header(s) before anything else: config inference and early checks.
  const headerOf = async (f: FileLike): Promise<SafetensorsHeader> => {
    const reader = f.stream().getReader();
    const chunks: Uint8Array[] = [];
    let n = 0;
    let need = 8;
    let headerLen = -1;
    try {
      while (n < need) {
        const r = await reader.read();
        if (r.done) break;
        chunks.push(r.value);
        n += r.value.byteLength;
        if (headerLen < 0 && n >= 8) {
          const all = concat(chunks, n);
          headerLen = readSafetensorsHeaderLength(all.subarray(0, 8), f.size);
          need = 8 + headerLen;
        }
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
    const all = concat(chunks, n);
    if (headerLen < 0) readSafetensorsHeaderLength(all, f.size);
    return parseSafetensorsHeader(all.subarray(8, 8 + headerLen), f.size - 8 - headerLen);
  };

  let config: CLIPConfig;
  const cfgFile = byName.get('config.json');
  let headers: SafetensorsHeader[] = [];
  try {
    if (!indexFile) headers = [await headerOf(weights[0])];
  } catch (e) {
    throw weightsError(e, `${what} (${baseName(weights[0])})`);
  }
  if (cfgFile) config = configOrThrow(await fileJson(cfgFile, `${what} (config.json)`), `${name}/config.json`);
  else {
    if (indexFile) throw new HubError('missing-file', `${what}: a sharded checkpoint needs its config.json: drop the whole folder. ${KEEPS_PREVIOUS}`);
    config = inferConfigFromShapes(shapesFromHeaders(headers));
    warnings.push('No config.json was dropped: the architecture was read off the tensor shapes (head size 64, quick_gelu, OpenAI CLIP conventions). Drop the config.json to be exact.');
  }
  if (opts.device) checkModelFits(config, opts.device);
  if (headers.length) checkCheckpointAgainstConfig(config, shapesFromHeaders(headers), `${name}/${baseName(weights[0])}`);

  // tokenizer: dropped tokenizer.json, or vocab.json + merges.txt, or CLIP's from the Hub/cache
  let tokJson: unknown;
  const tokFile = byName.get('tokenizer.json');
  if (tokFile) tokJson = await fileJson(tokFile, `${what} (tokenizer.json)`);
  else if (byName.has('vocab.json') && byName.has('merges.txt')) {
    try {
      tokJson = tokenizerJsonFromVocabMerges(await fileJson(byName.get('vocab.json')!, `${what} (vocab.json)`), await byName.get('merges.txt')!.text());
    } catch (e) {
      if (e instanceof HubError) throw e;
      throw new HubError('bad-tokenizer', `${name}: vocab.json/merges.txt: ${(e as Error).message} ${KEEPS_PREVIOUS}`, { cause: e });
    }
  } else {
    const fb = opts.tokenizerFallback === undefined ? { repo: DEFAULT_MODEL_REPO, baseUrl: DEFAULT_HUB_URL } : opts.tokenizerFallback;
    if (!fb || config.text_config.vocab_size !== 49408) {
      throw new HubError('missing-file', `${what}: no tokenizer.json was dropped. Drop the checkpoint's tokenizer.json (or vocab.json + merges.txt) too. ${KEEPS_PREVIOUS}`);
    }
    try {
      tokJson = (await client.json(hubFileUrl(fb, 'tokenizer.json'), `${what} (CLIP tokenizer from ${fb.repo})`)).json;
      warnings.push(`No tokenizer.json was dropped: using CLIP's standard tokenizer from ${fb.repo} (49,408 tokens).`);
    } catch (e) {
      throw new HubError('missing-file', `${what}: no tokenizer.json was dropped, and CLIP's standard tokenizer could not be fetched (${(e as Error).message.split('. ')[0]}). Drop tokenizer.json with the weights. ${KEEPS_PREVIOUS}`, { cause: e });
    }
  }
  const tokenizer = tokenizerOrThrow(tokJson, config, `${name}/tokenizer.json`);

  const sink: TensorSink = { tensors: new Map(), bytes: 0 };
  const expectedCount = expectedTensorShapes(config).size;
  const total = weights.reduce((a, f) => a + f.size, 0);
  let readBefore = 0;
  const upload = (done: number, totalT: number, tensor: string) =>
    report({ phase: 'upload', done, total: totalT, bytes: readBefore, totalBytes: total, message: `${name}: ${done}/${totalT} tensors on the device (${tensor})` }, done === totalT);
  try {
    if (!indexFile) {
      const f = weights[0];
      const tensors = readSafetensorsStream(f.stream(), {
        totalBytes: f.size,
        onProgress: (read) => (readBefore = read),
        onHeader: (h) => checkCheckpointAgainstConfig(config, shapesFromHeaders([h]), `${name}/${baseName(f)}`),
      });
      await uploadAll(tensors, () => expectedCount, sink, upload, opts.signal, what);
    } else {
      let index: ShardIndex;
      try {
        index = parseShardIndex((await fileJson(indexFile, `${what} (model.safetensors.index.json)`)) as object);
      } catch (e) {
        throw weightsError(e, `${what} (model.safetensors.index.json)`);
      }
      const seen: SafetensorsHeader[] = [];
      const tensors = readShardedSafetensors(
        index,
        async (file) => {
          const f = byName.get(file);
          if (!f) throw new HubError('missing-file', `${what}: shard ${file} (listed in model.safetensors.index.json) was not dropped: drop the whole folder. ${KEEPS_PREVIOUS}`);
          return { stream: f.stream(), totalBytes: f.size };
        },
        { onHeader: (file, h) => (seen.push(h), checkCheckpointAgainstConfig(config, shapesFromHeaders(seen), `${name}/${file}`, true)) },
      );
      await uploadAll(tensors, () => expectedCount, sink, upload, opts.signal, what);
    }
    throwIfAborted(opts.signal, what);
    const model = buildModel(config, sink, name);
    const first = weights[0];
    return {
      model,
      tokenizer,
      name,
      config,
      id: `file:${name}:${total}:${first.lastModified ?? 0}`,
      fromCache: false,
      weightBytes: sink.bytes,
      warnings: [...warnings, ...client.warnings],
    };
  } catch (e) {
    disposeSink(sink);
    if (opts.signal?.aborted) throw cancelled(what);
    const inner = e instanceof SafetensorsError && (e as { cause?: unknown }).cause instanceof HubError ? (e as { cause?: unknown }).cause : e;
    throw weightsError(inner, what);
  }
}

function concat(chunks: Uint8Array[], n: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(n);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return out;
}

/** The display name of a set of dropped files: the folder name, else the weights file's name. */
export function droppedModelName(files: readonly FileLike[]): string {
  const withFolder = files.find((f) => f.webkitRelativePath && f.webkitRelativePath.includes('/'));
  if (withFolder) return withFolder.webkitRelativePath!.split('/')[0];
  const w = files.find((f) => f.name.endsWith('.safetensors'));
  return w?.name ?? files[0]?.name ?? 'dropped files';
}

// ---------------------------------------------------------------------------------------------

/**
 * Load θ_pre from a ModelSource. 'hub' and 'file' are handled here; 'builtin' is handled when
 * `builtinUrl` gives the folder that holds its files (same layout as a Hub repo folder), otherwise
 * it is the caller's (the engine's built-in loader).
 */
export async function loadModelFromSource(source: ModelSource, opts: ModelLoadOptions = {}): Promise<LoadedModel> {
  const cache = opts.cache === undefined || opts.cache === 'default' ? await HubCache.open() : opts.cache;
  const client = new HubClient({ fetch: opts.fetch, cache, signal: opts.signal, onProgress: opts.onProgress });
  throwIfAborted(opts.signal, 'Loading the model');
  const t0 = performance.now();
  let out: LoadedModel;
  if (source.kind === 'hub') {
    const repo = checkRepoId(source.repo);
    const rev = source.revision && source.revision !== DEFAULT_REVISION ? `@${source.revision}` : '';
    out = await loadFromHub({ repo, revision: source.revision, baseUrl: source.baseUrl }, `${repo}${rev}`, opts, client);
  } else if (source.kind === 'file') {
    out = await loadFromFiles(source.name || droppedModelName(opts.files ?? []), opts, client);
  } else if (source.kind === 'builtin' && opts.builtinUrl) {
    out = await loadFromFolderUrl(opts.builtinUrl, source.id, opts, new HubClient({ fetch: opts.fetch, cache: null, signal: opts.signal, onProgress: opts.onProgress }));
  } else {
    throw new HubError('bad-source', `the built-in model is loaded by the engine's own loader (no builtinUrl given)`);
  }
  const ms = performance.now() - t0;
  opts.onProgress?.({
    phase: 'upload',
    done: 1,
    total: 1,
    bytes: out.weightBytes,
    totalBytes: out.weightBytes,
    message: `${out.name}: ${formatBytes(out.weightBytes)} of weights loaded in ${(ms / 1000).toFixed(1)} s${out.fromCache ? ' from the browser cache' : ''}`,
  });
  return out;
}

/** A model folder served over HTTP with the Hub's file names (config.json, tokenizer.json, model.safetensors). */
async function loadFromFolderUrl(folderUrl: string, name: string, opts: ModelLoadOptions, client: HubClient): Promise<LoadedModel> {
  const base = folderUrl.replace(/\/+$/, '');
  const fetchFn = client.fetchFn;
  // Reuse the hub path with a fetch that maps {base}/{x}/resolve/main/{file} → {folder}/{file}.
  const mapped: FetchFn = (input, init) => fetchFn(input.replace(/^https:\/\/builtin\.invalid\/local\/model\/resolve\/main\//, `${base}/`), init);
  const c = new HubClient({ fetch: mapped, cache: null, signal: opts.signal, onProgress: opts.onProgress });
  const out = await loadFromHub({ repo: 'local/model', baseUrl: 'https://builtin.invalid' }, name, opts, c);
  return { ...out, name, id: `builtin:${name}:${base}` };
}
