/**
 * check.html: engine checks driven by e2e/webgpu.spec.mjs through `globalThis.__check`, on the
 * backend of `?backend=webgpu|wasm|cpu` (default wasm). Runs on the page's main thread; the lab runs
 * the same engine code in its worker.
 *
 * - tinyClip(seed): a tiny random CLIP (both towers) → logits (compared across backends).
 * - golden(): the torch-made checkpoint of tests/fixtures/clip-golden (fetched from `fixtures/…`,
 *   which the spec serves from the repository) → embeddings and logits (compared with torch's).
 * - shapes(options): the procedural dataset's fingerprint (compared with the Node one).
 */
import { parseBackendRequest, selectBackend } from '../engine/backend';
import { loadClipFromFiles } from '../engine/clip/load';
import { generateShapes, fingerprintLabelledImages, type ShapesOptions } from '../engine/data/shapes';
import { tf } from '../engine/tf';
import { wasmAssetPaths } from '../engine/wasmAssets';
import { runTinyClip, type TinyClipRun } from './tinyClip';

interface GoldenRun {
  backend: string;
  image_embeds: number[][];
  text_embeds: number[][];
  logits_per_image: number[][];
  ms: number;
}

interface ShapesRun {
  fingerprint: string;
  /** Fingerprint of a second generation of the same slice in this page. */
  again: string;
  firstCaption: string;
  ms: number;
}

const out = document.getElementById('out')!;
const log = (s: string) => (out.textContent += s + '\n');

const ready = (async () => {
  const requested = parseBackendRequest(new URLSearchParams(location.search).get('backend') ?? 'wasm');
  const info = await selectBackend({ requested, wasmPaths: wasmAssetPaths });
  log(`backend: ${info.name} (tf.getBackend() = ${tf.getBackend()}) — ${info.reason}`);
  return info;
})();
ready.catch((e: Error) => log(`backend failed: ${e.message}`));

async function rows(t: tf.Tensor): Promise<number[][]> {
  const v = Array.from(await t.data());
  const [r, c] = t.shape;
  return Array.from({ length: r }, (_, i) => v.slice(i * c!, (i + 1) * c!));
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return r;
}

const api = {
  ready,
  async tinyClip(seed: number): Promise<TinyClipRun> {
    await ready;
    const r = await runTinyClip(seed);
    log(`tiny CLIP (seed ${seed}) on ${r.backend}: logits [${r.shape}] in ${r.ms.toFixed(0)} ms`);
    return r;
  },
  async golden(): Promise<GoldenRun> {
    await ready;
    const t0 = performance.now();
    const dir = 'fixtures/clip-golden/';
    const [config, weights, inputs] = await Promise.all([
      fetchOk(dir + 'config.json').then((r) => r.json()),
      fetchOk(dir + 'model.safetensors').then((r) => r.arrayBuffer()),
      fetchOk(dir + 'inputs.json').then((r) => r.json() as Promise<{ pixels_shape: number[]; pixels: number[]; ids: number[][]; eot_index: number[] }>),
    ]);
    const model = loadClipFromFiles({ config, weights: new Uint8Array(weights) });
    try {
      const [img, txt, logits] = tf.tidy(() => {
        const pixels = tf.tensor4d(inputs.pixels, inputs.pixels_shape as [number, number, number, number]);
        const i = model.encodeImage(pixels);
        const t = model.encodeText(tf.tensor2d(inputs.ids, undefined, 'int32'), inputs.eot_index);
        return [i, t, model.logits(i, t)];
      });
      const result = {
        backend: tf.getBackend(),
        image_embeds: await rows(img),
        text_embeds: await rows(txt),
        logits_per_image: await rows(logits),
        ms: performance.now() - t0,
      };
      tf.dispose([img, txt, logits]);
      log(`golden CLIP on ${result.backend} in ${result.ms.toFixed(0)} ms`);
      return result;
    } finally {
      model.dispose();
    }
  },
  shapes(options: ShapesOptions): ShapesRun {
    const t0 = performance.now();
    const d = generateShapes(options);
    const fingerprint = fingerprintLabelledImages(d);
    const again = fingerprintLabelledImages(generateShapes(options));
    const r = { fingerprint, again, firstCaption: d.captions[0], ms: performance.now() - t0 };
    log(`shapes ${JSON.stringify(options)}: ${fingerprint}`);
    return r;
  },
};
Object.assign(globalThis, { __check: api });
