import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { gpuMemoryBytes } from '../env';
import { batchPlanView } from '../memoryPlan';
import { useLab } from '../store';

/**
 * The memory plan line of a fine-tuning stage: whether the configured batch fits the device, else the
 * chunks each batch will run in (their gradients summed) and why, or that the device cannot fine-tune
 * this model at all; and, after a run whose batch was chunked, the chunks it used.
 */
export function BatchPlan({ stage }: { stage: 'attack' | 'tbar' }) {
  const { clip, backend, requested, classes, limit } = useLab(
    useShallow((s) => ({
      clip: s.loaded.model?.clipConfig,
      backend: s.mock ? null : s.backend,
      requested: s.config[stage].batchSize,
      classes: s.loaded.data?.classNames.length ?? 100,
      limit: s.current[stage]?.batchLimit,
    })),
  );
  const view = useMemo(() => batchPlanView(clip, backend, requested, classes, gpuMemoryBytes()), [clip, backend, requested, classes]);
  if (!view && !limit) return null;
  return (
    <div className="batch-plan" data-testid={`batch-plan-${stage}`} data-kind={view?.kind ?? 'ran'} data-batch={view?.batchSize ?? ''}>
      {view && <p className={view.kind === 'fits' ? 'help' : 'help warn'}>{view.text}</p>}
      {limit && (
        <p className="help warn" data-testid={`batch-used-${stage}`}>
          Each batch of {limit.requested} ran in chunks of {limit.used}, their gradients summed (the same steps as batch {limit.requested}): {limit.reason}.
        </p>
      )}
    </div>
  );
}
