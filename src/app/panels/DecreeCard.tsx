import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { DecreeResult, ImageStrip } from '../../engine/experiment/results';
import { base64ToBytes } from '../defaults';
import { pct } from '../format';
import { className } from '../selectors';
import { useLab } from '../store';
import { StripImage } from '../studio/ImageView';
import { Stat } from '../ui/Fields';

/** The inverted stamp as two images: its mask m (white = opaque) and what it paints, m·p. */
function stampImages(t: DecreeResult['trigger']): ImageStrip {
  const { width: S, pattern, mask } = t.params;
  const rgb = base64ToBytes(pattern);
  const m = base64ToBytes(mask);
  const pixels = new Uint8Array(2 * S * S * 3);
  for (let i = 0; i < S * S; i++) {
    pixels.fill(m[i], i * 3, i * 3 + 3);
    for (let c = 0; c < 3; c++) pixels[(S * S + i) * 3 + c] = Math.round((m[i] / 255) * rgb[i * 3 + c]);
  }
  return { size: S, count: 2, pixels, labels: [0, 0] };
}

/**
 * TBAR+DECREE (§6): the trigger DECREE reverse-engineered from θ_b, how small a stamp θ_b needed
 * compared with θ_pre (DECREE's detection signal, appendix A.3.5), and the class it steers to — the
 * forget set's label. The lab knows the real attack, so it says whether the defence guessed right.
 */
export function DecreeCard() {
  const { d, trueTarget, inferred, targetIndex, images } = useLab(
    useShallow((s) => {
      const d = s.current.decree;
      return {
        d,
        trueTarget: className(s, s.config.attack.target),
        targetIndex: s.config.attack.target,
        inferred: d ? className(s, d.inference.target) : null,
        images: s.config.forget?.trigger === 'decree' ? s.config.forget.decree.images : 0,
      };
    }),
  );
  const stamp = useMemo(() => (d ? stampImages(d.trigger) : null), [d]);
  if (!d || !stamp) {
    return (
      <p className="muted" data-testid="decree-card" data-state="empty">
        DECREE inverts a trigger from θ_b on {images} clean images before TBAR runs: the smallest stamp that makes them all look alike to the
        backdoored encoder.
      </p>
    );
  }
  const inf = d.inference;
  const right = inf.target === targetIndex;
  const probed = inf.probe[inf.target];
  const total = inf.probe.reduce((a, b) => a + b, 0);
  const ratio = d.clean ? d.clean.pl1 / d.backdoored.pl1 : null;
  return (
    <div className="decree" data-testid="decree-card" data-state="done" data-target={inf.target}>
      <span className="sub-title">DECREE: the trigger reverse-engineered from θ_b</span>
      <div className="decree-images">
        <figure>
          <StripImage strip={stamp} index={0} display={72} testId="decree-mask" />
          <figcaption>mask m</figcaption>
        </figure>
        <figure>
          <StripImage strip={stamp} index={1} display={72} />
          <figcaption>m·p</figcaption>
        </figure>
        {Array.from({ length: Math.min(4, d.stamped.count) }, (_, k) => (
          <figure key={k}>
            <StripImage strip={d.stamped} index={k} display={72} />
            <figcaption>{k === 0 ? 'stamped' : '\u00a0'}</figcaption>
          </figure>
        ))}
      </div>
      <div className="stats">
        <Stat label="Stamp size (PL1)" value={pct(d.backdoored.pl1, 1)} testId="decree-pl1"
          sub={d.clean ? `θ_pre needs ${pct(d.clean.pl1, 1)}${ratio && ratio > 1 ? ` (${ratio.toFixed(1)}× larger)` : ''}` : 'of the image (ℓ1 / 3·S²)'} />
        <Stat label="Steers to" value={inferred ?? '—'} testId="decree-target"
          sub={inf.rule === 'probe' ? `θ_b predicts it on ${probed} of ${total} stamped images` : 'largest logit shift from θ_pre (C.1)'} />
        <Stat label="The real attack" value={trueTarget} tone={right ? 'ca' : 'asr'}
          sub={right ? 'DECREE found the target' : 'DECREE steered elsewhere: the forget set is mislabelled'} />
      </div>
      {d.batchLimit && (
        <p className="help" data-testid="decree-batch-limit">
          DECREE used batch {d.batchLimit.used} instead of {d.batchLimit.requested}: {d.batchLimit.reason}
        </p>
      )}
      {!d.backdoored.reachedThreshold && (
        <p className="help warn" data-testid="decree-warning">
          No stamp reached the similarity target of the settings; the most similar one is used. Raise the steps or lower the target.
        </p>
      )}
    </div>
  );
}
