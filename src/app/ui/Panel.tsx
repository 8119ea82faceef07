import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useLab } from '../store';
import { panelStatus, PANELS, type PanelId } from '../selectors';
import { ErrorBox, ProgressLine, StatusChip } from './Status';

/** One step of the story: numbered title, status, progress while running, the error if it failed. */
export function Panel({ id, children, actions, onRetry }: { id: PanelId; children: ReactNode; actions?: ReactNode; onRetry?: () => void }) {
  const st = useLab(useShallow((s) => panelStatus(s, id)));
  const i = PANELS.findIndex((p) => p.id === id);
  const meta = PANELS[i];
  return (
    <section id={id} className={`panel panel-${id} is-${st.status}`} data-testid={`panel-${id}`} data-status={st.status} aria-labelledby={`${id}-title`}>
      <header className="panel-head">
        <span className="step-no" aria-hidden>
          {i + 1}
        </span>
        <div className="panel-titles">
          <h2 id={`${id}-title`}>{meta.title}</h2>
          <p className="panel-sub">{meta.subtitle}</p>
        </div>
        <StatusChip status={st.status} label={st.label} testId={`status-${id}`} />
      </header>
      {st.status === 'running' && <ProgressLine progress={st.progress} testId={`progress-${id}`} />}
      {st.status === 'error' && st.error && id !== 'trigger' && <ErrorBox error={st.error} testId={`error-${id}`} onRetry={onRetry} />}
      {st.stale && st.status !== 'running' && (
        <p className="stale-note" data-testid={`stale-${id}`}>
          Settings changed since these results were computed. Run again to update them.
        </p>
      )}
      <div className="panel-body">{children}</div>
      {actions && <footer className="panel-actions">{actions}</footer>}
    </section>
  );
}
