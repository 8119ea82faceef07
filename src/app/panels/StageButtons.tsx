import { useShallow } from 'zustand/react/shallow';
import { STAGE_LABEL, type StageId } from '../pipeline';
import { buttonPlan, useLab } from '../store';

const NONE: StageId[] = [];

/** Start (or redo) some stages; Cancel while any of them runs. */
export function StageButtons({ stages, label, redoLabel, testId }: { stages: StageId[]; label: string; redoLabel?: string; testId: string }) {
  const { busy, running, queued, done, ready } = useLab(
    useShallow((s) => ({
      busy: s.busy,
      running: stages.some((id) => s.stages[id].status === 'running'),
      queued: stages.some((id) => s.stages[id].status === 'queued'),
      done: stages.every((id) => s.stages[id].status === 'done'),
      ready: s.status === 'ready',
    })),
  );
  // Earlier stages this click reruns first (e.g. after a reload the worker no longer holds θ_b): said
  // beside the button, so "Run again" on one stage does not silently retrain the attack.
  // Not planned while a run streams its progress (every event would re-plan every button; nothing shows then).
  const first = useLab(useShallow((s) => (s.busy ? NONE : buttonPlan(s, stages).filter((id) => !stages.includes(id)))));
  const run = useLab((s) => s.runStage);
  const cancel = useLab((s) => s.cancel);
  if (running) {
    return (
      <button type="button" className="btn btn-danger" onClick={cancel} data-testid={`${testId}-cancel`}>
        Cancel
      </button>
    );
  }
  if (queued) {
    return (
      <button type="button" className="btn" disabled data-testid={`${testId}-queued`}>
        Queued…
      </button>
    );
  }
  const button = (
    <button type="button" className={done ? 'btn' : 'btn btn-primary'} onClick={() => run(stages)} disabled={busy || !ready} data-testid={testId}
      title={busy ? 'Another step is running' : undefined}>
      {done && redoLabel ? redoLabel : label}
    </button>
  );
  if (busy || first.length === 0) return button;
  return (
    <span className="stage-buttons">
      <span className="stage-first" data-testid={`${testId}-first`}>
        runs first: {first.map((id) => STAGE_LABEL[id]).join(', ')}
      </span>
      {button}
    </span>
  );
}
