import { useShallow } from 'zustand/react/shallow';
import { ChartCard } from '../charts/ChartCard';
import { LossChart } from '../charts/LossChart';
import { SweepChart } from '../charts/SweepChart';
import { C } from '../charts/colours';
import { counted, fmtAlpha, fmtRate, fmtSci, pct, removedText } from '../format';
import { DECREE_FIELDS, SWEEP_FIELDS, TBAR_FIELDS } from '../params';
import { className } from '../selectors';
import { useLab } from '../store';
import { FieldGrid, Settings, Stat } from '../ui/Fields';
import { FileSource } from '../ui/FileSource';
import { Panel } from '../ui/Panel';
import { AlphaGridFields } from './AlphaGrid';
import { AlphaScrubber } from './Predictions';
import { BatchPlan } from './BatchPlan';
import { RecipePicker, recipeTag } from './RecipePicker';
import { DecreeCard } from './DecreeCard';
import { StageButtons } from './StageButtons';

/** Step 5: TBAR — the trigger vector from the forget set, then the α sweep. */
export function UnlearnPanel() {
  const { tbar, sweep, cfg, forget, rule, ceiling, runCeiling, target, losses, live, running, busy, presenter, decree, baseline, inferred, vectorName, vectorFile } = useLab(
    useShallow((s) => ({
      vectorName: s.config.triggerVector?.name ?? null,
      vectorFile: s.files.triggerVector?.[0] ?? null,
      decree: s.config.forget?.trigger === 'decree',
      baseline: s.config.forget?.trigger === 'decree' && s.config.forget.decree.baseline,
      inferred: s.current.decree ? className(s, s.current.decree.inference.target) : null,
      tbar: s.current.tbar,
      sweep: s.current.sweep,
      cfg: s.config.tbar,
      forget: s.config.splits.forget,
      rule: s.config.sweep.rule,
      ceiling: s.config.sweep.asrThreshold,
      runCeiling: s.current.config.sweep.asrThreshold, // the one the shown sweep was selected with
      target: className(s, s.config.attack.target),
      losses: s.current.losses.tbar,
      live: s.live.tbar,
      running: s.stages.tbar.status === 'running',
      busy: s.busy,
      presenter: s.presenter,
    })),
  );
  const setField = useLab((s) => s.setField);
  const setForgetTrigger = useLab((s) => s.setForgetTrigger);
  const setSourceFile = useLab((s) => s.setSourceFile);
  const run = useLab((s) => s.runStage);
  // Sizes of the trigger vector and of the whole backdoored update θ_b − θ_pre, and how aligned they are.
  const norms = tbar && `‖τ̂_t‖ = ${tbar.triggerNorm.toFixed(2)} · ‖τ_b = θ_b − θ_pre‖ = ${tbar.backdoorNorm.toFixed(2)} · cos(τ̂_t, τ_b) = ${tbar.cosine.toFixed(2)}`;
  return (
    <Panel id="unlearn" onRetry={() => run(['tbar', 'sweep'])}
      actions={<StageButtons stages={['tbar', 'sweep']} label="Remove the backdoor" redoLabel="Unlearn again" testId="run-unlearn" />}>
      {vectorName !== null ? (
        <p className="lede">
          τ̂_t is a trigger vector extracted from another model backdoored with the same attack ({vectorName}): TBAR vectors transfer between
          models (§5.2, Table 2). No fine-tuning here; subtracting it from this θ_b, θ̂_c = θ_b − α·τ̂_t (eq. 5), removes the backdoor if it
          is the same one.
        </p>
      ) : decree ? (
        <p className="lede">
          The defence does not know the attack (§6). DECREE reverse-engineers a trigger from θ_b; fine-tune θ_b on {forget} clean images stamped
          with it and labelled with the class it steers to{inferred ? <> (<b>{inferred}</b>)</> : ''} → θ_b+t. Subtracting τ̂_t = θ_b+t − θ_b,
          θ̂_c = θ_b − α·τ̂_t (eq. 5), with α raised until the stamp no longer works.
        </p>
      ) : (
        <p className="lede">
          Fine-tune θ_b on {forget} triggered images labelled <b>{target}</b> → θ_b+t. The difference is the trigger vector τ̂_t = θ_b+t − θ_b
          (eq. 4); subtracting it, θ̂_c = θ_b − α·τ̂_t (eq. 5), removes the backdoor.
        </p>
      )}
      <FileSource testId="tau" disabled={busy} name={vectorName} picked={vectorFile}
        here={{ title: 'Estimate τ̂_t here', help: 'Fine-tune θ_b on the forget set (eq. 4).' }}
        load={{ title: 'Load a trigger vector τ̂_t', help: "A .safetensors τ̂_t of this architecture, e.g. the lab's τ̂_t export from a run on other data or seed. Stays on your machine." }}
        onChoose={(f) => setSourceFile('triggerVector', f)} />
      <Settings summary={`forget ${forget}${decree ? ' (DECREE)' : ''} · ${recipeTag(cfg)} · ${counted(cfg.epochs, 'epoch')} · lr ${fmtSci(cfg.lr)} · α: ${rule === 'known-trigger' ? `best CA with ASR ≤ ${pct(ceiling, 1)}` : 'attack-agnostic (§6)'}`} testId="unlearn-settings">
        <fieldset className="plain" disabled={busy}>
          <label className="field">
            <span className="field-label">Forget-set trigger</span>
            <select value={decree ? 'decree' : 'known'} onChange={(e) => setForgetTrigger(e.target.value as 'known' | 'decree')} data-testid="forget-trigger">
              <option value="known">The attack's trigger (known)</option>
              <option value="decree">Reverse-engineered by DECREE (§6: attack unknown)</option>
            </select>
          </label>
          {decree && (
            <>
              <FieldGrid fields={DECREE_FIELDS} />
              <label className="check">
                <input type="checkbox" checked={baseline} onChange={(e) => setField('forget.decree.baseline', e.target.checked)} data-testid="decree-baseline" />
                Also invert θ_pre (DECREE's detection baseline: a clean encoder needs a larger stamp). Doubles DECREE's time.
              </label>
            </>
          )}
          <RecipePicker stage="tbar" />
          <FieldGrid fields={TBAR_FIELDS} />
          <h4 className="settings-h">Choosing α</h4>
          <AlphaGridFields />
          <label className="field">
            <span className="field-label">Selection rule</span>
            <select value={rule} onChange={(e) => setField('sweep.rule', e.target.value)}>
              <option value="known-trigger">Known trigger: best CA with ASR under the ceiling</option>
              <option value="agnostic">Attack-agnostic (§6): raise α until ASR = 0, then a window</option>
            </select>
          </label>
          <FieldGrid fields={SWEEP_FIELDS} />
        </fieldset>
      </Settings>
      <BatchPlan stage="tbar" />
      {decree && <DecreeCard />}

      <div className="cols cols-wide-left">
        <div className="col">
          {tbar?.fromFile && (
            <div className="chart-placeholder" data-testid="tau-loaded">
              τ̂_t: {tbar.fromFile.name} ({tbar.fromFile.taken} vision tensors{tbar.fromFile.ignored ? `; ${tbar.fromFile.ignored} others ignored` : ''}). No fine-tuning.
              {norms}
            </div>
          )}
          {(running || losses.length > 0) && (
            <div className="train-live">
              <div className="train-head">
                <span className="sub-title">Forget-set loss</span>
                {live && running && <span className="muted">{fmtRate(live.imagesPerSec)} images/s</span>}
                {tbar && (
                  <span className="muted" data-testid="tbar-norms">
                    {norms}
                  </span>
                )}
              </div>
              <LossChart losses={losses} colour={C.tbar} height={110} testId="tbar-loss" />
            </div>
          )}
          {!tbar?.fromFile && !running && losses.length === 0 && (
            // Holds the loss chart's place, so the sweep chart below does not jump when TBAR starts.
            <div className="chart-placeholder tbar-loss-placeholder">The forget-set loss appears here, step by step, while TBAR fine-tunes.</div>
          )}
          <ChartCard title="α sweep: clean accuracy and attack success (validation)" fileName="tbar-alpha-sweep.png" testId="sweep-card">
            <SweepChart height={presenter ? 420 : 290} />
          </ChartCard>
          {sweep && (
            <div className="stats" data-testid="sweep-outcome">
              <Stat label="Selected α" value={fmtAlpha(sweep.alpha)}
                sub={sweep.satisfied ? (sweep.rule === 'known-trigger' ? `best CA with validation ASR ≤ ${pct(runCeiling, 1)}` : '§6 rule') : 'no α met the rule: lowest ASR'} />
              <Stat label="Cleaned CA" value={pct(sweep.test.ca)} sub={`${pct(sweep.caRetained, 1)} of backdoored retained`} tone="ca" testId="clean-ca" />
              <Stat label="Cleaned ASR" value={pct(sweep.test.asr)} sub={removedText(sweep.asrRemoved, 'the attack')} tone="asr" testId="clean-asr" />
            </div>
          )}
        </div>
        <div className="col">
          <AlphaScrubber />
        </div>
      </div>
    </Panel>
  );
}
