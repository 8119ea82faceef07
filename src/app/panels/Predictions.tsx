import { useShallow } from 'zustand/react/shallow';
import type { ImageStrip } from '../../engine/experiment/results';
import { StripImage } from '../studio/ImageView';
import { classNames, shownAlpha } from '../selectors';
import { predictionsAvailable, useLab } from '../store';
import { fmtAlpha, niceStep } from '../format';

const NO_NAMES: string[] = [];

function Row({ title, strip, preds, names, target, triggered }: {
  title: string;
  strip: ImageStrip;
  preds: number[];
  names: string[];
  target: number;
  triggered: boolean;
}) {
  return (
    <div className="pred-row" data-testid={`pred-${triggered ? 'triggered' : 'clean'}`}>
      <div className="pred-row-title">{title}</div>
      <div className="pred-grid">
        {preds.map((p, i) => {
          const truth = strip.labels[i];
          const ok = p === truth;
          const hit = triggered && p === target && truth !== target;
          return (
            <figure key={i} className={`pred ${ok ? 'is-ok' : 'is-wrong'}${p === target ? ' is-target' : ''}`} data-ok={ok} data-target={p === target}>
              <StripImage strip={strip} index={i} display="fill" title={`true class: ${names[truth] ?? truth}`} />
              <figcaption>
                <span className="pred-mark" aria-hidden>{ok ? '✓' : '✗'}</span>
                <span className="pred-name">{names[p] ?? `class ${p}`}</span>
                {hit && <span className="pred-flag">backdoor</span>}
              </figcaption>
            </figure>
          );
        })}
      </div>
    </div>
  );
}

/** The α scrubber: predictions of θ̂_c(α) on clean and triggered test images. */
export function AlphaScrubber() {
  const { alpha, selected, alphas, available, predictions, names, target, tbarDone, busy } = useLab(
    useShallow((s) => ({
      alpha: shownAlpha(s),
      selected: s.current.sweep?.alpha ?? null,
      alphas: s.current.config.sweep.alphas,
      available: predictionsAvailable(s),
      predictions: s.predictions,
      names: classNames(s) ?? NO_NAMES,
      target: s.config.attack.target,
      tbarDone: s.current.tbar !== null,
      busy: s.busy,
    })),
  );
  const setAlpha = useLab((s) => s.setScrubAlpha);
  if (selected === null || alpha === null) return null;
  const lo = alphas[0], hi = alphas[alphas.length - 1];
  const step = niceStep(hi - lo);
  const d = predictions.data;
  return (
    <div className="scrubber" data-testid="alpha-scrubber">
      <div className="scrub-head">
        <label htmlFor="alpha-slider" className="sub-title">
          Scrub α: <b data-testid="scrub-alpha">{fmtAlpha(alpha)}</b>
        </label>
        <input id="alpha-slider" type="range" min={lo} max={hi} step={step} value={alpha} onChange={(e) => setAlpha(+(+e.target.value).toFixed(6))} data-testid="alpha-slider" />
        <button type="button" className="btn btn-ghost btn-small" onClick={() => setAlpha(null)} disabled={Math.abs(alpha - selected) < 1e-9}>
          Back to selected ({fmtAlpha(selected)})
        </button>
      </div>
      {!available ? (
        <p className="muted" data-testid="pred-unavailable">
          {tbarDone
            ? 'Predictions need the trigger vector in the engine’s memory (gone after a reload or restart): run Unlearn again to scrub α.'
            : 'Run TBAR to scrub α.'}
        </p>
      ) : d ? (
        <div className={`preds${predictions.status === 'running' ? ' is-updating' : ''}`} data-testid="predictions" data-alpha={d.alpha}>
          <Row title="Clean images" strip={d.clean} preds={d.cleanPred} names={names} target={target} triggered={false} />
          <Row title="Triggered images" strip={d.triggered} preds={d.triggeredPred} names={names} target={target} triggered />
          <p className="pred-legend muted">
            Each image shows what θ̂_c({fmtAlpha(d.alpha)}) predicts: <span className="ok">✓ true class</span> · <span className="bad">✗ wrong</span> ·{' '}
            <span className="tgt">target class “{names[target] ?? target}”</span>
          </p>
        </div>
      ) : (
        <p className="muted">Loading predictions…</p>
      )}
      {predictions.status === 'running' && busy && (
        <p className="muted small" data-testid="pred-queued">The engine runs one job at a time: these predictions follow the step that is running now.</p>
      )}
      {predictions.error && <p className="error-inline">{predictions.error.title} {predictions.error.action}</p>}
    </div>
  );
}
