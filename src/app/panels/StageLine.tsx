import { useLab } from '../store';
import { STAGE_LABEL, type StageId } from '../pipeline';
import { ErrorBox, StatusChip } from '../ui/Status';
import { stageStale } from '../store';

/** The status of one stage inside a panel that holds several (the Results panel's two analyses); the
 *  panel's own bar shows the progress of whichever runs. */
export function StageLine({ stage }: { stage: StageId }) {
  const st = useLab((s) => s.stages[stage]);
  const stale = useLab((s) => stageStale(s, stage));
  const run = useLab((s) => s.runStage);
  return (
    <div className="stage-line" data-testid={`stage-${stage}`} data-status={st.status}>
      <StatusChip status={st.status} label={stale && st.status === 'done' ? 'Done · settings changed' : undefined} testId={`status-${stage}`} />
      {st.status === 'error' && st.error && <ErrorBox error={{ ...st.error, title: st.error.title || `${STAGE_LABEL[stage]} failed` }} testId={`error-${stage}`} onRetry={() => run(stage)} />}
    </div>
  );
}
