import { useShallow } from 'zustand/react/shallow';
import { fmtAlpha, fmtDuration, fmtTime, pct } from '../format';
import { summarize } from '../runs';
import { useLab } from '../store';

/** Every stored run: settings, before → after, and exports. A reload keeps them (IndexedDB). */
export function RunsTable() {
  const { runs, currentId, busy, dbError } = useLab(useShallow((s) => ({ runs: s.runs, currentId: s.current.id, busy: s.busy, dbError: s.dbError })));
  const showRun = useLab((s) => s.showRun);
  const exportRun = useLab((s) => s.exportRun);
  const deleteRun = useLab((s) => s.deleteRun);
  if (runs.length === 0) {
    return (
      <div className="runs-empty" data-testid="runs-table" data-rows={0}>
        {dbError ?? 'Finished runs appear here and stay after a reload.'}
      </div>
    );
  }
  return (
    <div className="table-wrap">
      <table className="runs" data-testid="runs-table" data-rows={runs.length}>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Trigger → target</th>
            <th scope="col" className="num">CA<br /><span className="th-sub">backdoored → cleaned</span></th>
            <th scope="col" className="num">ASR<br /><span className="th-sub">backdoored → cleaned</span></th>
            <th scope="col" className="num">ASR removed</th>
            <th scope="col" className="num">CA retained<br /><span className="th-sub">all · other classes</span></th>
            <th scope="col" className="num">α</th>
            <th scope="col" className="num">Time</th>
            <th scope="col"><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => {
            const m = summarize(r);
            const isCurrent = r.id === currentId;
            return (
              <tr key={r.id} className={isCurrent ? 'is-current' : ''} data-run={r.id}>
                <td>
                  <div className="run-when">{fmtTime(r.createdAt)}{isCurrent && <span className="tag tag-current">shown</span>}</div>
                  <div className="run-setup muted">{m.setup}{r.backend === 'mock' ? ' · mock' : ''}</div>
                </td>
                <td>{m.trigger} → {m.target}</td>
                <td className="num pair">{pct(m.caBefore)} → <b className="ca">{pct(m.caAfter)}</b></td>
                <td className="num pair">{pct(m.asrBefore)} → <b className="asr">{pct(m.asrAfter)}</b></td>
                <td className="num">{pct(m.asrRemoved)}</td>
                <td className="num" data-testid="run-ca-retained">
                  {pct(m.caRetained)}
                  {m.othersRetained !== null && <div className="muted small" title="CA retained on the classes other than the target">others {pct(m.othersRetained)}</div>}
                </td>
                <td className="num">{m.alpha === null ? '—' : fmtAlpha(m.alpha)}</td>
                <td className="num">{fmtDuration(m.ms)}</td>
                <td className="row-actions">
                  {!isCurrent && (
                    <button type="button" className="btn btn-ghost btn-small" onClick={() => showRun(r.id)} disabled={busy}>Show</button>
                  )}
                  <button type="button" className="btn btn-ghost btn-small" onClick={() => exportRun(r.id, 'json')} data-testid="export-json"
                    title="Settings and every result as JSON">JSON</button>
                  <button type="button" className="btn btn-ghost btn-small" onClick={() => exportRun(r.id, 'sweep-csv')} disabled={!r.sweepPoints.length}
                    title="α sweep points as CSV">Sweep CSV</button>
                  <button type="button" className="btn btn-ghost btn-small" onClick={() => exportRun(r.id, 'xi-csv')} disabled={!r.xiCells.length}
                    title="ξ cells as CSV">ξ CSV</button>
                  <button type="button" className="btn btn-ghost btn-small btn-quiet" onClick={() => deleteRun(r.id)} disabled={busy && isCurrent}
                    aria-label="Delete this run" title="Delete this run">✕</button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
