import type { UserError } from '../errors';
import { fmtDuration } from '../format';
import type { ProgressView } from '../pipeline';
import type { StageStatus } from '../store';

const CHIP: Record<StageStatus, string> = {
  idle: 'Not started',
  queued: 'Waiting',
  running: 'Running',
  done: 'Done',
  error: 'Error',
  cancelled: 'Cancelled',
};

/** A small pill with the state of a panel or step. */
export function StatusChip({ status, label, testId }: { status: StageStatus; label?: string; testId?: string }) {
  return (
    <span className={`chip chip-${status}`} data-testid={testId} data-status={status}>
      <span className="chip-dot" aria-hidden />
      {label ?? CHIP[status]}
    </span>
  );
}

/** A progress bar with what is happening, throughput and the time left. */
export function ProgressLine({ progress, testId }: { progress: ProgressView | null; testId?: string }) {
  const f = progress?.fraction;
  return (
    <div className="progress" data-testid={testId}>
      <div
        className={`progress-bar${f == null ? ' indeterminate' : ''}`}
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={f == null ? undefined : Math.round(f * 100)}
      >
        <div className="progress-fill" style={{ width: f == null ? undefined : `${Math.min(100, f * 100)}%` }} />
      </div>
      <div className="progress-text">
        <span>{progress?.label ?? 'Starting…'}</span>
        {progress?.detail && <span className="muted">{progress.detail}</span>}
        {progress?.etaMs != null && <span className="eta">{fmtDuration(progress.etaMs)} left</span>}
      </div>
    </div>
  );
}

/** An error where it happened: what, what to do, and the engine's words folded away. */
export function ErrorBox({ error, testId, onRetry }: { error: UserError; testId?: string; onRetry?: () => void }) {
  return (
    <div className="error-box" role="alert" data-testid={testId} data-code={error.code}>
      <p className="error-title">{error.title}</p>
      <p className="error-action">{error.action}</p>
      <div className="error-foot">
        {onRetry && (
          <button type="button" className="btn btn-small" onClick={onRetry}>
            Try again
          </button>
        )}
        {error.detail && (
          <details>
            <summary>Engine message</summary>
            <code>{error.detail}</code>
          </details>
        )}
      </div>
    </div>
  );
}
