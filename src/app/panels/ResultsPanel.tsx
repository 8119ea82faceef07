import { useShallow } from 'zustand/react/shallow';
import { didNotTake, whyNoBackdoor } from '../attackCheck';
import { ChartCard } from '../charts/ChartCard';
import { GaChart } from '../charts/GaChart';
import { XiHeatmap } from '../charts/XiHeatmap';
import { counted, fmtAlpha, pct, removedText } from '../format';
import { DISENTANGLE_FIELDS, GA_FIELDS } from '../params';
import { stageReady, useLab } from '../store';
import { FieldGrid, Settings } from '../ui/Fields';
import { Panel } from '../ui/Panel';
import { ClassAccuracy } from './ClassAccuracy';
import { RunsTable } from './RunsTable';
import { StageButtons } from './StageButtons';
import { StageLine } from './StageLine';
import { XiCellInspector } from './XiCellInspector';

function BeforeAfter() {
  const { sweep, zs, runConfig } = useLab(useShallow((s) => ({ sweep: s.current.sweep, zs: s.current.zeroShot, runConfig: s.current.config })));
  if (!sweep) return <p className="muted">Run the steps above (or Run everything) to see the backdoor removed.</p>;
  const noBackdoor = didNotTake(sweep.backdoored.asr);
  return (
    <>
      {noBackdoor && (
        <p className="help warn" data-testid="results-warning">
          The backdoor did not take (ASR {pct(sweep.backdoored.asr)} before TBAR), so these numbers do not show a backdoor being removed. {whyNoBackdoor(runConfig) ?? ''}
        </p>
      )}
      <div className="before-after" data-testid="before-after">
        <div className="ba ba-ca">
          <div className="ba-label">Clean accuracy</div>
          <div className="ba-values">
            <span>{pct(sweep.backdoored.ca)}</span>
            <span className="arrow" aria-hidden>→</span>
            <b>{pct(sweep.test.ca)}</b>
          </div>
          <div className="ba-sub">{pct(sweep.caRetained, 1)} retained{zs ? ` · zero-shot ${pct(zs.test.ca)}` : ''}</div>
        </div>
        <div className="ba ba-asr">
          <div className="ba-label">Attack success rate</div>
          <div className="ba-values">
            <span>{pct(sweep.backdoored.asr)}</span>
            <span className="arrow" aria-hidden>→</span>
            <b>{pct(sweep.test.asr)}</b>
          </div>
          <div className="ba-sub">{removedText(sweep.asrRemoved, 'the backdoor', ` at α = ${fmtAlpha(sweep.alpha)}`)}</div>
        </div>
      </div>
      <ClassAccuracy />
    </>
  );
}

function WeightExports() {
  const { available, backdoored, exporting, error, alpha } = useLab(
    useShallow((s) => ({ available: stageReady(s, 'tbar'), backdoored: stageReady(s, 'attack'), exporting: s.exporting, error: s.exportError, alpha: s.scrubAlpha ?? s.current.sweep?.alpha ?? null })),
  );
  const exportWeights = useLab((s) => s.exportWeights);
  const why = available ? undefined : 'The weights live in the engine’s memory and are gone after a reload or an engine restart: run Unlearn again to export them.';
  return (
    <div className="weights" data-testid="weight-exports">
      <span className="sub-title">Weights (safetensors, Hugging Face layout)</span>
      <span title={why}>
        <button type="button" className="btn btn-small" disabled={!available || !!exporting || alpha === null} onClick={() => exportWeights('cleaned')} data-testid="export-cleaned">
          {exporting === 'cleaned' ? 'Exporting…' : `Cleaned model (α = ${alpha === null ? '—' : fmtAlpha(alpha)})`}
        </button>
      </span>
      <span title={why}>
        <button type="button" className="btn btn-small" disabled={!available || !!exporting} onClick={() => exportWeights('trigger-vector')} data-testid="export-tau">
          {exporting === 'trigger-vector' ? 'Exporting…' : 'Trigger vector τ̂_t'}
        </button>
      </span>
      <span title={backdoored ? 'θ_b as a checkpoint: load it later in step 4 ("Load a backdoored checkpoint"), or share it' : why}>
        <button type="button" className="btn btn-small" disabled={!backdoored || !!exporting} onClick={() => exportWeights('backdoored')} data-testid="export-backdoored">
          {exporting === 'backdoored' ? 'Exporting…' : 'Backdoored θ_b'}
        </button>
      </span>
      {!available && <span className="muted small">{why}</span>}
      {error && <span className="error-inline">{error.title} {error.action}</span>}
    </div>
  );
}

/** Step 6: the outcome, why it works (ξ), the gradient-ascent baseline, and every run. */
export function ResultsPanel() {
  const { levels, samples, gaEpochs, busy, presenter, decree } = useLab(
    useShallow((s) => ({
      decree: s.config.forget?.trigger === 'decree',
      levels: s.config.disentangle.levels,
      samples: s.config.disentangle.samples,
      gaEpochs: s.config.ga.epochs,
      busy: s.busy,
      presenter: s.presenter,
    })),
  );
  return (
    <Panel id="results">
      <BeforeAfter />
      <div className="analyses">
        <section className="analysis" aria-label="Weight disentanglement">
          <ChartCard title="Weight disentanglement ξ(α_c, α_t) (eq. 2, paper Fig. 2)" fileName="tbar-disentanglement.png" testId="xi-card">
            <XiHeatmap />
          </ChartCard>
          <p className="explain">
            Each cell compares the model θ_pre + α_c·τ̂_c + α_t·τ_t with the single-vector models on clean and on triggered images.
            Here τ_t = α*·τ̂_t is the trigger vector at the scale that removes the backdoor, and τ̂_c = τ_b − τ_t the rest of the
            backdoored update τ_b = θ_b − θ_pre: the clean task.
            A large bright region means the clean and trigger directions do not interfere — which is why negating τ̂_t removes the backdoor and keeps the task.
          </p>
          <XiCellInspector />
          <div className="analysis-foot">
            <StageLine stage="disentangle" />
            <Settings summary={`${levels.join(' → ')} grid · ${samples} images per cell`}>
              <fieldset className="plain" disabled={busy}>
                <FieldGrid fields={DISENTANGLE_FIELDS} />
              </fieldset>
            </Settings>
            <StageButtons stages={['disentangle']} label="Compute the map" redoLabel="Recompute" testId="run-xi" />
          </div>
        </section>
        <section className="analysis" aria-label="Gradient ascent comparison">
          <ChartCard title={decree ? 'TBAR+DECREE vs GA+DECREE over epochs (paper Fig. 4)' : 'TBAR vs gradient ascent over epochs (paper Fig. 3)'} fileName="tbar-vs-gradient-ascent.png" testId="ga-card">
            <GaChart height={presenter ? 320 : 230} />
          </ChartCard>
          <p className="explain">
            Gradient ascent pushes the loss on the forget set up. It removes the backdoor within an epoch or two, then keeps going and erodes clean accuracy;
            TBAR's subtraction stays put.{decree && ' Both unlearn DECREE’s stamped forget set here; the curves score the real attack.'}
          </p>
          <div className="analysis-foot">
            <StageLine stage="ga" />
            <Settings summary={`${counted(gaEpochs, 'epoch')} of gradient ascent`}>
              <fieldset className="plain" disabled={busy}>
                <FieldGrid fields={GA_FIELDS} />
              </fieldset>
            </Settings>
            <StageButtons stages={['ga']} label="Run gradient ascent" redoLabel="Run again" testId="run-ga" />
          </div>
        </section>
      </div>
      <WeightExports />
      <h3 className="section-h">Runs</h3>
      <RunsTable />
    </Panel>
  );
}
