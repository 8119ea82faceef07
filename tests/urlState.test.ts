import { describe, expect, it } from 'vitest';
import { canonicalJson, checkConfig } from '../src/app/configCheck';
import { alphaGrid, bytesToBase64, defaultExperimentConfig, defaultTrigger, MICRO_DECREE, TRIGGER_KINDS } from '../src/app/defaults';
import { decodeUrlState, encodeUrlState, LINK_VERSION, linkDefaults, MAX_BLOB_CHARS, type UrlState } from '../src/app/urlState';
import { withData, withModel, withRecipe } from '../src/app/recipe';
import { defaultTriggerConfig } from '../src/engine/triggers';
import type { ExperimentConfig } from '../src/engine/experiment/config';
import { defaultExperimentConfig as engineDefaults } from '../src/engine/experiment/defaults';

const state = (config: ExperimentConfig, extra: Partial<UrlState> = {}): UrlState => ({
  config,
  presenter: false,
  alpha: null,
  cleanBaseline: false,
  xiTerm: 'xi',
  xiCell: null,
  ...extra,
});

async function roundTrip(s: UrlState, current?: URLSearchParams) {
  const enc = await encodeUrlState(s, current);
  const dec = await decodeUrlState(enc.search);
  return { enc, dec };
}

/** A seeded painted trigger of side n with `colours` distinct colours in blocks (compressible). */
function painted(n: number, colours: number, seed = 1) {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const rgb = new Uint8Array(n * n * 3);
  const mask = new Uint8Array(n * n);
  for (let i = 0; i < n * n; i++) {
    const c = colours ? Math.floor(((i % n) / n) * colours) : Math.floor(rnd() * 256);
    rgb.set([c * 40 % 256, colours ? 200 : Math.floor(rnd() * 256), 255 - ((c * 40) % 256)], i * 3);
    mask[i] = colours ? (i % 3 ? 255 : 128) : Math.floor(rnd() * 256);
  }
  const t = defaultTrigger('painted', 0);
  t.params = { ...t.params, width: n, height: n, pattern: bytesToBase64(rgb), mask: bytesToBase64(mask), size: 6, position: { x: 2, y: 3 } };
  return t;
}

describe('app defaults', () => {
  it('restate the engine trigger defaults exactly (the UI thread cannot import tfjs)', () => {
    for (const kind of TRIGGER_KINDS) expect(defaultTrigger(kind, 7)).toEqual(defaultTriggerConfig(kind, 7));
  });

  it('are a valid config that checks clean', () => {
    const d = defaultExperimentConfig();
    expect(checkConfig(d)).toEqual({ config: d, problems: [] });
    expect(d.model).toEqual({ kind: 'builtin', id: 'micro-clip' });
    expect(d.data).toEqual({ kind: 'shapes' });
    expect(d.sweep.alphas[0]).toBe(0);
  });
});

describe('URL state', () => {
  it('the default experiment is the bare URL', async () => {
    const { enc, dec } = await roundTrip(state(defaultExperimentConfig()));
    expect(enc.search).toBe('');
    expect(dec).toEqual({ state: state(defaultExperimentConfig()), problems: [] });
  });

  it('common fields are readable query parameters', async () => {
    let c = defaultExperimentConfig();
    c.seed = 3;
    c.trigger = defaultTrigger('blended', 3);
    c.attack = { ...c.attack, target: 2, poisonRate: 0.05 };
    c.data = { kind: 'cifar10' };
    // Chosen as the Model panel chooses it: the recipes follow the model (the paper's for a real CLIP),
    // and the templates the model and data (CLIP's CIFAR ones for a real CLIP on CIFAR-10).
    c = withModel(c, { kind: 'hub', repo: 'openai/clip-vit-base-patch32' });
    expect(c.templates).toBe('cifar18');
    const { enc, dec } = await roundTrip(state(c, { presenter: true, alpha: 1.25 }));
    const q = new URLSearchParams(enc.search);
    expect(Object.fromEntries(q)).toEqual({
      seed: '3',
      model: 'hub:openai/clip-vit-base-patch32',
      data: 'cifar10',
      trigger: 'blended',
      target: '2',
      poison: '0.05',
      alpha: '1.25',
      present: '1',
      v: '4',
    });
    expect(dec.problems).toEqual([]);
    expect(dec.state).toEqual(state(c, { presenter: true, alpha: 1.25 }));
  });

  it('round-trips every field of every trigger kind, with changed hyper-parameters', async () => {
    for (const kind of TRIGGER_KINDS) {
      const c = defaultExperimentConfig();
      c.seed = 11;
      c.trigger = defaultTrigger(kind, 5);
      if (kind === 'badnet') c.trigger.params = { ...c.trigger.params, patchSize: 4, position: { x: 1, y: 2 }, noise: 'per-image' };
      if (kind === 'blended') c.trigger.params = { ...c.trigger.params, ratio: 0.35 };
      if (kind === 'wanet') c.trigger.params = { ...c.trigger.params, k: 4, s: 0.5 };
      if (kind === 'sig') c.trigger.params = { ...c.trigger.params, delta: 0.1, frequency: 3 };
      c.attack = { ...c.attack, lr: 3e-5, epochs: 7, warmupSteps: 0 };
      c.tbar = { ...c.tbar, batchSize: 32, maxGradNorm: 0 };
      c.splits = { ...c.splits, forget: 123 };
      c.sweep = { ...c.sweep, alphas: alphaGrid(0, 3, 0.25), rule: 'agnostic', window: 4 };
      c.disentangle = { range: 1.5, levels: [3, 5, 9], samples: 40 };
      c.ga = { epochs: 8 };
      c.templates = 'imagenet80';
      c.data = { kind: 'shapes', imageSize: 48 };
      const s = state(c, { cleanBaseline: true, alpha: 0.7 });
      const { enc, dec } = await roundTrip(s);
      expect(dec.problems, kind).toEqual([]);
      expect(canonicalJson(dec.state), kind).toBe(canonicalJson(s));
      expect(enc.search.length, kind).toBeLessThan(500);
    }
  });

  it('keeps a painted trigger in the link when it compresses small, and says so when it cannot', async () => {
    const small = defaultExperimentConfig();
    small.trigger = painted(32, 4);
    const a = await roundTrip(state(small));
    expect(a.enc.omitted).toEqual([]);
    expect(a.dec.state.config.trigger).toEqual(small.trigger);

    const noisy = defaultExperimentConfig();
    noisy.trigger = painted(64, 0);
    const b = await roundTrip(state(noisy));
    expect(new URLSearchParams(b.enc.search).get('c')!.length).toBeLessThanOrEqual(MAX_BLOB_CHARS);
    expect(b.enc.omitted).toHaveLength(1);
    // Everything else of the painted trigger survives; the pattern falls back to the checkerboard.
    const t = b.dec.state.config.trigger;
    expect(t.kind).toBe('painted');
    expect(t.params).toMatchObject({ size: 6, position: { x: 2, y: 3 }, width: 8, height: 8 });
  });

  it('keeps which term of ξ the map shows (xi=clean|triggered; absent: ξ itself); a bad one is named', async () => {
    for (const xiTerm of ['clean', 'triggered'] as const) {
      const { enc, dec } = await roundTrip(state(defaultExperimentConfig(), { xiTerm }));
      expect(enc.search).toBe(`xi=${xiTerm}`); // a view parameter: no experiment, no v
      expect(dec).toEqual({ state: state(defaultExperimentConfig(), { xiTerm }), problems: [] });
    }
    const bad = await decodeUrlState('xi=both&v=2');
    expect(bad.state.xiTerm).toBe('xi');
    expect(bad.problems).toEqual(['xi=both is not clean or triggered']);
  });

  it('keeps the inspected ξ cell (cell=α_c,α_t); a bad one is named and dropped', async () => {
    const xiCell = { alphaC: -0.25, alphaT: 1.5 };
    const { enc, dec } = await roundTrip(state(defaultExperimentConfig(), { xiCell, xiTerm: 'clean' }));
    expect(enc.search).toBe('xi=clean&cell=-0.25%2C1.5');
    expect(dec).toEqual({ state: state(defaultExperimentConfig(), { xiCell, xiTerm: 'clean' }), problems: [] });
    for (const v of ['1', '1,2,3', 'a,1', ',1', '1,200']) {
      const bad = await decodeUrlState(`cell=${encodeURIComponent(v)}`);
      expect(bad.state.xiCell).toBeNull();
      expect(bad.problems).toEqual([`cell=${v} is not two numbers α_c,α_t (−100–100)`]);
    }
  });

  it('passes backend and mock through and drops unknown parameters', async () => {
    const cur = new URLSearchParams('backend=wasm&mock=1&foo=bar');
    const { enc } = await roundTrip(state(defaultExperimentConfig(), { presenter: true }), cur);
    expect(enc.search).toBe('backend=wasm&mock=1&present=1');
  });

  it('a bad link gives defaults and a sentence per problem, never a throw', async () => {
    const cases: [string, RegExp][] = [
      ['c=%%%not-base64', /damaged/],
      ['c=zAAAA', /damaged/],
      ['c=jeyJ', /damaged/],
      ['seed=-1', /seed=-1/],
      ['seed=abc', /seed=abc/],
      ['trigger=laser', /trigger=laser/],
      ['target=1.5', /target=1.5/],
      ['poison=2', /poison=2/],
      ['poison=0', /poison=0: Poison rate must be above 0% and below 100%/], // the engine refuses 0 and 1
      ['poison=1', /poison=1:/],
      ['alpha=NaN', /alpha=NaN/],
      ['present=yes', /present=yes/],
      ['model=gpt', /model=gpt/],
      ['data=mnist', /data=mnist/],
    ];
    for (const [search, re] of cases) {
      const dec = await decodeUrlState(`v=2&${search}`);
      expect(dec.problems.join(' '), search).toMatch(re);
      expect(dec.state.config, search).toEqual(defaultExperimentConfig());
    }
  });

  it('a value only the engine refuses (in a blob, a stored run) falls back to its default, so every stage can still start', async () => {
    const raw = { ...defaultExperimentConfig(), sweep: { ...defaultExperimentConfig().sweep, caFloor: 0 }, attack: { ...defaultExperimentConfig().attack, poisonRate: 1 } };
    const c = checkConfig(raw);
    expect(c.config).toEqual(defaultExperimentConfig());
    expect(c.problems.join('\n')).toMatch(/sweep\.caFloor 0: ca floor must be above 0% and at most 100%/);
    expect(c.problems.join('\n')).toMatch(/attack\.poisonRate 1: poison rate must be above 0% and below 100%/);
    // A rule that only validate.ts knows (the α grid must start at 0) is caught by the engine's own check.
    const grid = checkConfig({ ...defaultExperimentConfig(), sweep: { ...defaultExperimentConfig().sweep, alphas: [0.5, 1, 2] } });
    expect(grid.config.sweep.alphas).toEqual(defaultExperimentConfig().sweep.alphas);
    expect(grid.problems.join('\n')).toMatch(/sweep\.alphas: must start at 0/);
  });

  it('round-trips a TBAR+DECREE forget set; a bad one is named and dropped', async () => {
    const c = defaultExperimentConfig();
    c.forget = { trigger: 'decree', decree: { ...MICRO_DECREE, steps: 120, restarts: 2, lr: 0.05, baseline: false } };
    c.sweep = { ...c.sweep, rule: 'agnostic' };
    const s = state(c);
    const { enc, dec } = await roundTrip(s);
    expect(dec.problems).toEqual([]);
    expect(canonicalJson(dec.state)).toBe(canonicalJson(s));
    expect(enc.search.length).toBeLessThan(400);
    const bad = 'j' + Buffer.from(JSON.stringify({ forget: { trigger: 'guess', decree: { steps: 5 } } })).toString('base64url');
    const d2 = await decodeUrlState(`c=${bad}`);
    expect(d2.state.config.forget).toBeUndefined();
    expect(d2.problems.join('\n')).toMatch(/forget-set trigger "guess"/);
    const badSteps = 'j' + Buffer.from(JSON.stringify({ forget: { trigger: 'decree', decree: { ...MICRO_DECREE, steps: 0 } } })).toString('base64url');
    const d3 = await decodeUrlState(`c=${badSteps}`);
    expect(d3.state.config.forget).toEqual({ trigger: 'decree', decree: MICRO_DECREE });
    expect(d3.problems.join('\n')).toMatch(/forget\.decree\.steps 0/);
  });

  it('round-trips a backdoored checkpoint and a trigger vector by name (the files never travel); a bad one is named and dropped', async () => {
    const c = defaultExperimentConfig();
    c.backdoor = { kind: 'file', name: 'theta-b sig.safetensors' };
    c.triggerVector = { kind: 'file', name: 'micro-clip-trigger-vector.safetensors' };
    const s = state(c);
    const { dec } = await roundTrip(s);
    expect(dec.problems).toEqual([]);
    expect(dec.state.config.backdoor).toEqual(c.backdoor);
    expect(dec.state.config.triggerVector).toEqual(c.triggerVector);
    const bad = 'j' + Buffer.from(JSON.stringify({ backdoor: { kind: 'url', name: 'x' }, triggerVector: { kind: 'file', name: '' } })).toString('base64url');
    const d2 = await decodeUrlState(`c=${bad}`);
    expect(d2.state.config.backdoor).toBeUndefined();
    expect(d2.state.config.triggerVector).toBeUndefined();
    expect(d2.problems.join('\n')).toMatch(/backdoored checkpoint[^]*trigger vector/);
  });

  it('a blob with bad fields keeps the good ones and names the bad ones', async () => {
    const blob = 'j' + Buffer.from(JSON.stringify({
      attack: { lr: 'fast', epochs: 4 },
      sweep: { alphas: [0, 2, 1] },
      disentangle: { levels: [5, 7] },
      trigger: { params: { patchSize: -3 } },
      model: { kind: 'hub', repo: 'not a repo' },
    })).toString('base64url');
    const dec = await decodeUrlState(`v=2&trigger=badnet&c=${blob}`);
    const d = { ...defaultExperimentConfig(), trigger: defaultTrigger('badnet', 0) };
    expect(dec.state.config.attack.epochs).toBe(4);
    expect(dec.state.config.attack.lr).toBe(d.attack.lr);
    expect(dec.state.config.sweep.alphas).toEqual(d.sweep.alphas);
    expect(dec.state.config.disentangle.levels).toEqual(d.disentangle.levels);
    expect(dec.state.config.trigger).toEqual(d.trigger);
    expect(dec.state.config.model).toEqual(d.model);
    expect(dec.problems).toHaveLength(5);
    expect(dec.problems.join('\n')).toMatch(/attack\.lr "fast"/);
    expect(dec.problems.join('\n')).toMatch(/ascending/);
    expect(dec.problems.join('\n')).toMatch(/nest/);
    expect(dec.problems.join('\n')).toMatch(/patchSize -3/);
    expect(dec.problems.join('\n')).toMatch(/owner\/name/);
  });
});

describe('link versions (links are diffs against the defaults of their day)', () => {
  const blobOf = (v: unknown) => 'j' + Buffer.from(JSON.stringify(v)).toString('base64url');

  it('reads a link without v= (made before SIG became the default) against version 1: BadNet, forget 500', async () => {
    const old = await decodeUrlState(`seed=3&c=${blobOf({ splits: { train: 5000 } })}`);
    expect(old.problems).toEqual([]);
    expect(old.state.config.trigger).toEqual(defaultTrigger('badnet', 3));
    expect(old.state.config.splits).toEqual({ train: 5000, val: 500, test: 1000, forget: 500 });
    const now = await decodeUrlState(`seed=3&c=${blobOf({ splits: { train: 5000 } })}&v=2`);
    expect(now.state.config.trigger).toEqual(defaultTrigger('sig', 3));
    expect(now.state.config.splits).toEqual({ train: 5000, val: 500, test: 1000, forget: 2000 });
    // Re-encoded, the old experiment says what changed from today's defaults and stays the same.
    const { enc, dec } = await roundTrip(old.state);
    expect(new URLSearchParams(enc.search).get('trigger')).toBe('badnet');
    expect(new URLSearchParams(enc.search).get('v')).toBe(String(LINK_VERSION));
    expect(dec).toEqual({ state: old.state, problems: [] });
  });

  it('environment-only links open today’s defaults; v=1 is explicit; an unknown v is named', async () => {
    // …and so do view-only links: a hand-typed ?present=1 opens the experiment the speaker rehearsed.
    for (const search of ['', 'backend=wasm', 'mock=1&backend=webgpu', 'present=1', 'mock=1&present=1&xi=triggered&alpha=1.5&clean=1']) {
      expect((await decodeUrlState(search)).state.config, search).toEqual(defaultExperimentConfig());
    }
    expect((await decodeUrlState('v=1')).state.config).toEqual(linkDefaults(1));
    expect(linkDefaults(1).trigger.kind).toBe('badnet');
    const newer = await decodeUrlState('v=5&trigger=wanet');
    expect(newer.problems.join(' ')).toMatch(/v=5: the link was made by a newer version/);
    expect(newer.state.config.trigger.kind).toBe('wanet');
    expect(newer.state.config.splits.forget).toBe(2000);
    expect((await decodeUrlState('v=two')).problems.join(' ')).toMatch(/v=two is not a link version 1–4/);
  });
});

describe('fine-tuning recipes in links (version 3: the model\'s own recipe is the default)', () => {
  const hub = { kind: 'hub', repo: 'openai/clip-vit-base-patch32' } as const;

  it('a real CLIP with the paper\'s recipe needs no blob; the same link at v=2 keeps the micro recipe it was made with', async () => {
    const c = withModel(defaultExperimentConfig(), hub);
    const { enc, dec } = await roundTrip(state(c));
    expect(Object.fromEntries(new URLSearchParams(enc.search))).toEqual({ model: 'hub:openai/clip-vit-base-patch32', v: '4' });
    expect(dec).toEqual({ state: state(c), problems: [] });
    expect(dec.state.config.attack.lr).toBe(1e-5);
    const v2 = await decodeUrlState('model=hub:openai/clip-vit-base-patch32&v=2');
    expect(v2.state.config.attack).toEqual(defaultExperimentConfig().attack);
    expect(v2.state.config.tbar.lr).toBe(3e-4);
  });

  it('a recipe that is not the model\'s own travels in the blob, for the built-in, a Hub and a file model', async () => {
    const micro = defaultExperimentConfig();
    const cases: ExperimentConfig[] = [
      withRecipe(micro, 'paper', 'attack'),
      { ...micro, model: hub }, // a Hub model on the micro recipe (chosen by hand)
      withModel(micro, { kind: 'file', name: 'my-clip' }), // the file model travels in the blob; its recipe is the paper's
      withRecipe(withModel(micro, { kind: 'file', name: 'my-clip' }), 'micro', 'tbar'),
    ];
    for (const c of cases) {
      const { enc, dec } = await roundTrip(state(c));
      expect(dec.problems, enc.search).toEqual([]);
      expect(canonicalJson(dec.state.config), enc.search).toBe(canonicalJson(c));
    }
    // The file model with its own (paper) recipe: the blob names the model and nothing of the recipe.
    const file = await encodeUrlState(state(cases[2]));
    const blob = new URLSearchParams(file.search).get('c')!;
    const patch = JSON.parse(new TextDecoder().decode(await new Response(new Blob([Buffer.from(blob.slice(1), 'base64url')]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).arrayBuffer()));
    expect(patch).toEqual({ model: { kind: 'file', name: 'my-clip' } });
  });
});

describe('zero-shot templates in links (version 4: the model\'s and data\'s own are the default)', () => {
  const hub = { kind: 'hub', repo: 'openai/clip-vit-base-patch32' } as const;

  it('ViT-B/32 on CIFAR-100 with CLIP\'s CIFAR templates needs no blob; the same link at v=3 keeps the single template', async () => {
    const c = withData(withModel(defaultExperimentConfig(), hub), { kind: 'cifar100' });
    expect(c.templates).toBe('cifar18');
    const { enc, dec } = await roundTrip(state(c));
    expect(Object.fromEntries(new URLSearchParams(enc.search))).toEqual({ model: 'hub:openai/clip-vit-base-patch32', data: 'cifar100', v: '4' });
    expect(dec).toEqual({ state: state(c), problems: [] });
    const v3 = await decodeUrlState('model=hub:openai/clip-vit-base-patch32&data=cifar100&v=3');
    expect(v3.problems).toEqual([]);
    expect(v3.state.config).toEqual({ ...c, templates: 'simple' });
  });

  it('templates that are not the default travel in the blob: built-in, Hub on CIFAR, a file model on a folder, a CIFAR mirror', async () => {
    const micro = defaultExperimentConfig();
    const real = withData(withModel(micro, hub), { kind: 'cifar10' });
    const cases: ExperimentConfig[] = [
      { ...micro, templates: 'cifar18' },
      { ...real, templates: 'simple' },
      { ...real, templates: 'imagenet80' },
      { ...withData(withModel(micro, { kind: 'file', name: 'my-clip' }), { kind: 'folder', name: 'pets' }), templates: 'imagenet80' },
      withData(withModel(micro, { kind: 'file', name: 'my-clip' }), { kind: 'cifar100', baseUrl: 'http://mirror.local/hub' }),
    ];
    for (const c of cases) {
      const { enc, dec } = await roundTrip(state(c));
      expect(dec.problems, enc.search).toEqual([]);
      expect(canonicalJson(dec.state.config), enc.search).toBe(canonicalJson(c));
    }
    expect(cases[4].templates).toBe('cifar18'); // a file CLIP on a CIFAR mirror: both named in the blob, the templates not
  });

  it('an unknown template set is reported and the default kept', async () => {
    const blob = 'j' + Buffer.from(JSON.stringify({ templates: 'cifar100' })).toString('base64url');
    const dec = await decodeUrlState(`v=4&c=${blob}`);
    expect(dec.problems.join(' ')).toMatch(/templates "cifar100": must be one of 'simple', 'imagenet80', 'cifar18'/);
    expect(dec.state.config.templates).toBe('simple');
  });
});

describe('app defaults vs the engine defaults', () => {
  it('the default experiment is the engine’s', () => {
    expect(defaultExperimentConfig()).toEqual(engineDefaults());
  });
});
