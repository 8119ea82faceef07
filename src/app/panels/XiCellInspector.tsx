import { useShallow } from 'zustand/react/shallow';
import type { ImageStrip } from '../../engine/experiment/results';
import { StripImage } from '../studio/ImageView';
import { classNames } from '../selectors';
import { useLab, xiCellAvailable, xiMapCurrent } from '../store';
import { fmtAlpha, pct } from '../format';

const NO_NAMES: string[] = [];
const changedCount = (a: number[], b: number[]) => a.filter((p, i) => p !== b[i]).length;

/** One image set of eq. 2: what the single-task model predicts, and what the merged model predicts. */
function TermRow({ title, strip, shown, single, merged, names, kind }: {
  title: string;
  /** The shown images; `shown[k]` is image k's index into the prediction arrays. */
  strip: ImageStrip;
  shown: number[];
  single: number[];
  merged: number[];
  names: string[];
  kind: 'clean' | 'triggered';
}) {
  const name = (p: number) => names[p] ?? `class ${p}`;
  const changed = changedCount(merged, single);
  return (
    <div className="pred-row" data-testid={`xi-row-${kind}`} data-changed={changed} data-total={merged.length}>
      <div className="pred-row-title">{title}</div>
      <div className="pred-grid">
        {shown.map((j, i) => {
          const p = merged[j];
          const same = p === single[j];
          return (
            <figure key={i} className={`pred ${same ? 'is-ok' : 'is-wrong'}`} data-same={same}>
              <StripImage strip={strip} index={i} display="fill" title={`true class: ${name(strip.labels[i])}`} />
              <figcaption>
                <span className="pred-name">{name(p)}</span>
                {same ? <span className="muted small">same</span> : <span className="pred-was">was {name(single[j])}</span>}
              </figcaption>
            </figure>
          );
        })}
      </div>
    </div>
  );
}

/**
 * The ξ map's cell inspector: eq. 2 image by image for the cell the user clicked. Each image shows the
 * merged model θ_pre + α_c·τ̂_c + α_t·τ_t's prediction and, where it differs, the single-task model's:
 * the images where they differ are what the cell's terms count.
 */
export function XiCellInspector() {
  const { cell, samples, available, names, cells, stale, tbarDone } = useLab(
    useShallow((s) => ({
      cell: s.xiCell,
      samples: s.xiSamples,
      available: xiCellAvailable(s),
      names: classNames(s) ?? NO_NAMES,
      cells: s.current.xiCells,
      stale: !xiMapCurrent(s),
      tbarDone: s.current.tbar !== null,
    })),
  );
  const inspect = useLab((s) => s.inspectXiCell);
  if (!cell) return null;
  const mapCell = cells.find((c) => Math.abs(c.alphaC - cell.alphaC) < 1e-9 && Math.abs(c.alphaT - cell.alphaT) < 1e-9); // each point streams once
  const d = samples.data;
  const n = d?.cleanMerged.length ?? 0;
  return (
    <div className="xi-inspector" data-testid="xi-inspector" data-alpha-c={cell.alphaC} data-alpha-t={cell.alphaT}>
      <div className="xi-inspector-head">
        <div>
          <b>
            Cell α_c = {fmtAlpha(cell.alphaC)}, α_t = {fmtAlpha(cell.alphaT)}
          </b>
          {mapCell && (
            <span className="muted" data-testid="xi-inspector-xi">
              {' '}· ξ = {mapCell.xi.toFixed(3)} = clean {pct(mapCell.clean)} + triggered {pct(mapCell.triggered)}
            </span>
          )}
        </div>
        <button type="button" className="btn btn-ghost btn-small" onClick={() => inspect(null)} aria-label="Close the cell’s images">
          ×
        </button>
      </div>
      {!available ? (
        <p className="muted" data-testid="xi-inspector-unavailable">
          {stale
            ? 'Compute the map for these settings to see a cell’s images.'
            : tbarDone
              ? 'A cell’s images need the trigger vector in the engine’s memory (gone after a reload or restart): run Unlearn again to see them.'
              : 'Run TBAR and compute the map to see a cell’s images.'}
        </p>
      ) : d ? (
        <div className={`preds${samples.status === 'running' || d.alphaC !== cell.alphaC || d.alphaT !== cell.alphaT ? ' is-updating' : ''}`} data-testid="xi-inspector-images">
          <TermRow
            kind="clean"
            title={`Clean images: θ_pre + ${fmtAlpha(d.alphaC)}·τ̂_c, then with ${fmtAlpha(d.alphaT)}·τ_t added`}
            strip={d.clean}
            shown={d.cleanShown}
            single={d.cleanSingle}
            merged={d.cleanMerged}
            names={names}
          />
          <TermRow
            kind="triggered"
            title={`Triggered images: θ_pre + ${fmtAlpha(d.alphaT)}·τ_t, then with ${fmtAlpha(d.alphaC)}·τ̂_c added`}
            strip={d.triggered}
            shown={d.triggeredShown}
            single={d.triggeredSingle}
            merged={d.triggeredMerged}
            names={names}
          />
          <p className="pred-legend muted">
            Each image shows what the merged model θ_pre + α_c·τ̂_c + α_t·τ_t predicts; <span className="bad">red</span> where adding the
            other vector changed the single-task model’s prediction (“was …”). Of the map’s {n} validation images,{' '}
            {changedCount(d.cleanMerged, d.cleanSingle)} clean and {changedCount(d.triggeredMerged, d.triggeredSingle)} triggered ones
            change: the cell’s two terms (eq. 2). Shown: the images that change first.
          </p>
        </div>
      ) : samples.error ? null : (
        <p className="muted">Loading the cell’s images…</p>
      )}
      {samples.error && <p className="error-inline">{samples.error.title} {samples.error.action}</p>}
    </div>
  );
}
