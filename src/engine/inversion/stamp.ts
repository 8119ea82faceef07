/**
 * A DECREE stamp as a trigger: the inverted mask m [S, S] and pattern p [S, S, 3] become a painted
 * trigger covering the whole input at (0, 0), x' = (1 − m)·x + m·p (triggers/painted.ts), quantised
 * to bytes as a saved image would be. The forget set of TBAR+DECREE (§6) carries this trigger, so what
 * the lab shows and exports is exactly what unlearning used.
 */
import { encodeBytes } from '../triggers/painted';
import type { TriggerConfigOf } from '../triggers/types';
import type { InvertedTrigger } from './decree';

const toByte = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);

/** The inverted stamp as a whole-image painted trigger (seed: the experiment's). */
export function stampTrigger(inv: Pick<InvertedTrigger, 'size' | 'mask' | 'pattern'>, seed: number): TriggerConfigOf<'painted'> {
  const S = inv.size;
  if (inv.mask.length !== S * S || inv.pattern.length !== S * S * 3) {
    throw new Error(`stampTrigger: a ${S}×${S} stamp needs ${S * S} mask and ${S * S * 3} pattern values, got ${inv.mask.length} and ${inv.pattern.length}`);
  }
  return {
    kind: 'painted',
    seed,
    params: {
      width: S,
      height: S,
      pattern: encodeBytes(Uint8Array.from(inv.pattern, toByte)),
      mask: encodeBytes(Uint8Array.from(inv.mask, toByte)),
      size: S,
      position: { x: 0, y: 0 },
      resize: 'nearest',
    },
  };
}
