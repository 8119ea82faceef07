/**
 * The one trigger interface, its JSON-serialisable configs, and the typed error.
 *
 * A trigger acts on RAW images: NHWC float32 in [0, 1] at model resolution S (before CLIP's mean/std
 * normalisation, docs/ARCHITECTURE.md). Fixed parts (patterns, noise images, warp maps) are built once
 * from the config's seed and held as tensors until dispose(). Per-image randomness (positions, or
 * CleanCLIP-style per-image noise) is a function of (seed, global sample index) only, so an image gets
 * the same trigger in every epoch and a run reproduces.
 */
import type { tf } from '../tf';

/** Where a patch goes: a new position per image, one seeded position for all, or explicit top-left. */
export type PatchPosition = 'random' | 'fixed' | { x: number; y: number };

/** BadNet (appendix A.1, after CleanCLIP `apply_trigger(patch_type='random')`). See badnet.ts. */
export interface BadNetParams {
  /** Patch side in model pixels; null → max(1, round(16·S/224)). */
  patchSize: number | null;
  position: PatchPosition;
  /** 'image-mean': patch = per-image channel mean + N(0,1) (CleanCLIP); 'none': patch = N(0,1). */
  offset: 'image-mean' | 'none';
  /** 'wrap': uint8 wrap-around of ToPILImage's mul(255).byte() (CleanCLIP's saved images); 'clip': [0,1]. */
  range: 'wrap' | 'clip';
  /** 'fixed': one N(0,1) draw per attack (SPEC); 'per-image': a draw per (seed, index) (CleanCLIP). */
  noise: 'fixed' | 'per-image';
}

/** Blended: x' = (1−ratio)·x + ratio·N, N ~ U[0,1) at S×S×3. See blended.ts. */
export interface BlendedParams {
  ratio: number;
  /** 'fixed': one noise image per attack (SPEC); 'per-image': a draw per (seed, index) (CleanCLIP). */
  noise: 'fixed' | 'per-image';
}

/** WaNet warp (Nguyen & Tran 2021, CleanCLIP constants). See wanet.ts. */
export interface WanetParams {
  /** Control-grid size; clamped to S when larger (k = S means one random offset per pixel). */
  k: number;
  /** Warping strength s. */
  s: number;
  /** grid_rescale (1 in CleanCLIP / WaNet). */
  gridRescale: number;
}

/** SIG: x' = clip(x + Δ·sin(2π·f·j/S), 0, 1). See sig.ts. */
export interface SigParams {
  delta: number;
  frequency: number;
}

/** A user-painted trigger: x' = (1−m)·x + m·p. See painted.ts. */
export interface PaintedParams {
  /** Pattern size in its own pixels (≤ 64 each). */
  width: number;
  height: number;
  /** base64 of uint8 RGB, row-major [height, width, 3], 0..255 ↦ [0, 1]. */
  pattern: string;
  /** base64 of uint8 alpha, row-major [height, width], 0..255 ↦ [0, 1]. */
  mask: string;
  /** Longer side in model pixels (aspect kept); null → max(1, round(16·S/224)) like BadNet. */
  size: number | null;
  position: PatchPosition;
  /** How the pattern and mask are resized to model pixels (tf.image.resize*, half-pixel centres). */
  resize: 'bilinear' | 'nearest';
}

export type TriggerConfig =
  | { kind: 'badnet'; seed: number; params: BadNetParams }
  | { kind: 'blended'; seed: number; params: BlendedParams }
  | { kind: 'wanet'; seed: number; params: WanetParams }
  | { kind: 'sig'; seed: number; params: SigParams }
  | { kind: 'painted'; seed: number; params: PaintedParams };

export type TriggerKind = TriggerConfig['kind'];
export type TriggerConfigOf<K extends TriggerKind> = Extract<TriggerConfig, { kind: K }>;

export interface Trigger {
  readonly config: TriggerConfig;
  /** Model input side S the trigger was built for. */
  readonly imageSize: number;
  /**
   * Apply to a batch. raw: [B, S, S, 3] in [0, 1]. sampleIndices: global dataset indices (length B) for
   * per-image randomness; default 0..B−1. Returns a new tensor; the caller disposes it and `raw`.
   */
  apply(raw: tf.Tensor4D, sampleIndices?: Int32Array): tf.Tensor4D;
  /** Free the fixed tensors. apply() afterwards throws TriggerError('disposed'). */
  dispose(): void;
}

export type TriggerErrorCode = 'bad-config' | 'bad-input' | 'disposed';

export class TriggerError extends Error {
  readonly code: TriggerErrorCode;
  constructor(code: TriggerErrorCode, message: string) {
    super(message);
    this.name = 'TriggerError';
    this.code = code;
  }
}

/** Every trigger kind, in the picker's order (tfjs-free: the UI thread and validate.ts import it). */
export const TRIGGER_KINDS: readonly TriggerKind[] = ['badnet', 'blended', 'wanet', 'sig', 'painted'];

export const TRIGGER_LABELS: Record<TriggerKind, string> = {
  badnet: 'BadNet',
  blended: 'Blended',
  wanet: 'WaNet',
  sig: 'SIG',
  painted: 'Painted',
};
