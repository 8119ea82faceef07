/**
 * The trigger registry: build a trigger from its JSON config, the paper's default config per kind, and
 * a one-line description for the UI. Constants: TBAR paper appendix A.1 (following CleanCLIP/BadCLIP).
 */
import { badnetPatchSize, BADNET_DEFAULTS, createBadNet } from './badnet';
import { BLENDED_DEFAULTS, createBlended } from './blended';
import { createPainted, paintedParams, paintedStampSize } from './painted';
import { createSig, SIG_DEFAULTS } from './sig';
import {
  TriggerError,
  type PatchPosition,
  type Trigger,
  type TriggerConfig,
  type TriggerConfigOf,
  type TriggerKind,
} from './types';
import { createWanet, WANET_DEFAULTS, wanetEffectiveK } from './wanet';

export * from './types';
export { wrapUint8 } from './badnet';
export { paintedParams, encodeBytes, decodeBytes, PAINTED_MAX_SIDE } from './painted';
export { bicubicUpsampleAlignCorners, buildWarpMap, createWanet } from './wanet';
export { sigSignal } from './sig';

/** Build a trigger for model input side `imageSize`. Throws TriggerError('bad-config') on bad params. */
export function createTrigger(config: TriggerConfig, imageSize: number): Trigger {
  if (!Number.isInteger(imageSize) || imageSize < 1) {
    throw new TriggerError('bad-config', `image size must be a positive integer, got ${imageSize}`);
  }
  if (!Number.isInteger(config?.seed)) {
    throw new TriggerError('bad-config', `trigger seed must be an integer, got ${config?.seed}`);
  }
  switch (config.kind) {
    case 'badnet':
      return createBadNet(config, imageSize);
    case 'blended':
      return createBlended(config, imageSize);
    case 'wanet':
      return createWanet(config, imageSize);
    case 'sig':
      return createSig(config, imageSize);
    case 'painted':
      return createPainted(config, imageSize);
    default:
      throw new TriggerError('bad-config', `unknown trigger kind ${JSON.stringify((config as { kind?: unknown })?.kind)}`);
  }
}

/** An 8×8 black/white checkerboard, fully opaque: the painted trigger before anyone paints. */
function checkerboardParams() {
  const n = 8;
  const pattern = Array.from({ length: n * n * 3 }, (_, i) => {
    const px = Math.floor(i / 3);
    return ((px % n) + Math.floor(px / n)) % 2;
  });
  return paintedParams(pattern, new Array(n * n).fill(1), n, n, { resize: 'nearest' });
}

/** The paper's configuration of each attack (appendix A.1), with the given seed. */
export function defaultTriggerConfig<K extends TriggerKind>(kind: K, seed: number): TriggerConfigOf<K> {
  const params = {
    badnet: BADNET_DEFAULTS,
    blended: BLENDED_DEFAULTS,
    wanet: WANET_DEFAULTS,
    sig: SIG_DEFAULTS,
    painted: null,
  }[kind];
  if (kind === 'painted') return { kind, seed, params: checkerboardParams() } as TriggerConfigOf<K>;
  if (params === undefined) throw new TriggerError('bad-config', `unknown trigger kind ${JSON.stringify(kind)}`);
  return { kind, seed, params: { ...params } } as TriggerConfigOf<K>;
}

const num = (v: number) => String(+v.toFixed(4));
const where = (p: PatchPosition) =>
  p === 'random' ? 'at a random position' : p === 'fixed' ? 'at a fixed position' : `at (${p.x}, ${p.y})`;

/** One line for the UI, e.g. 'BadNet — 16×16 N(0,1) patch at a random position (CleanCLIP), 2×2 at 32 px'. */
export function describeTrigger(config: TriggerConfig, imageSize?: number): string {
  const at = imageSize ? ` at ${imageSize} px` : '';
  switch (config.kind) {
    case 'badnet': {
      const p = { ...BADNET_DEFAULTS, ...config.params };
      const side = p.patchSize ?? 16;
      const extras = [
        p.offset === 'none' ? 'no mean offset' : '',
        p.range === 'clip' ? 'clipped to [0,1]' : '',
        p.noise === 'per-image' ? 'new noise per image' : '',
      ].filter(Boolean);
      const q = imageSize ? badnetPatchSize(p, imageSize) : 0;
      const scaled = imageSize && p.patchSize === null ? `, ${q}×${q}${at}` : '';
      const source = `CleanCLIP${extras.length ? '; ' + extras.join(', ') : ''}`;
      return `BadNet — ${side}×${side} N(0,1) patch ${where(p.position)} (${source})${scaled}`;
    }
    case 'blended': {
      const r = config.params.ratio;
      const fresh = config.params.noise === 'per-image' ? ', new noise per image' : '';
      return `Blended — ${num(1 - r)}·x + ${num(r)}·U[0,1) noise image (CleanCLIP${fresh})`;
    }
    case 'wanet': {
      const { k, s, gridRescale } = config.params;
      const kEff = imageSize ? wanetEffectiveK(k, imageSize) : k;
      const rescale = gridRescale === 1 ? '' : `, grid rescale ${num(gridRescale)}`;
      const clamped = imageSize && kEff !== k ? `, k=${kEff}${at}` : '';
      return `WaNet — warp with control grid k=${k}, strength s=${num(s)}${rescale}, no noise mode (CleanCLIP)${clamped}`;
    }
    case 'sig': {
      const { delta, frequency } = config.params;
      const d255 = delta * 255;
      const d = Math.abs(d255 - Math.round(d255)) < 1e-6 ? `${Math.round(d255)}/255` : num(delta);
      return `SIG — clip(x + ${d}·sin(2π·${num(frequency)}·j/S), 0, 1) along the columns (BadCLIP)`;
    }
    case 'painted': {
      const p = config.params;
      const wh = imageSize ? paintedStampSize(p, imageSize).reverse().join('×') : '';
      const stamp = imageSize ? `, ${p.resize} resize to ${wh}${at}` : '';
      return `Painted — ${p.width}×${p.height} pattern with mask ${where(p.position)}${stamp}`;
    }
    default:
      return 'unknown trigger';
  }
}
