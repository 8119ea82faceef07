import { useShallow } from 'zustand/react/shallow';
import { attackWarnings, didNotTake, moreDataCost, suggestedTrainSplit, whyNoBackdoor } from '../attackCheck';
import { LossChart } from '../charts/LossChart';
import { C } from '../charts/colours';
import { counted, fmtRate, fmtSci, pct } from '../format';
import { ATTACK_FIELDS } from '../params';
import { className } from '../selectors';
import { useLab } from '../store';
import { FieldGrid, Settings, Stat } from '../ui/Fields';
import { FileSource } from '../ui/FileSource';
import { Panel } from '../ui/Panel';
import { BatchPlan } from './BatchPlan';
import { RecipePicker, recipeTag } from './RecipePicker';
import { StageButtons } from './StageButtons';

/** Step 4: poisoned fine-tuning of the vision tower → θ_b. */
export function AttackPanel() {
  const { attack, runConfig, trainedOn, triggerKind, moreData, zeroShot, cfg, target, losses, live, running, busy, cleanBaseline, backdoor, backdoorFile } = useLab(
    useShallow((s) => ({
      backdoor: s.config.backdoor ?? null,
      backdoorFile: s.files.backdoor?.[0] ?? null,
      attack: s.current.attack,
      runConfig: s.current.config,
      trainedOn: s.current.data?.counts.train ?? s.current.config.splits.train,
      triggerKind: s.config.trigger.kind,
      moreData: suggestedTrainSplit(s.config),
      zeroShot: s.current.zeroShot,
      cfg: s.config.attack,
      target: className(s, s.config.attack.target),
      losses: s.current.losses.attack,
      live: s.live.attack,
      running: s.stages.attack.status === 'running',
      busy: s.busy,
      cleanBaseline: s.cleanBaseline,
    })),
  );
  const setClean = useLab((s) => s.setCleanBaseline);
  const setTriggerKind = useLab((s) => s.setTriggerKind);
  const setSourceFile = useLab((s) => s.setSourceFile);
  const setConfig = useLab((s) => s.setConfig);
  // The built-in model takes SIG (card.md): offer it when another trigger did not take; and the
  // amount of data with which the attack takes, where the lab knows one (attackCheck.ts).
  const tookNot = !!attack && !runConfig.backdoor && didNotTake(attack.test.asr);
  const offerSig = tookNot && whyNoBackdoor(runConfig) !== null && triggerKind !== 'sig';
  const offerData = tookNot && moreData !== null;
  // What the larger split would cost, from this run's own fine-tuning time.
  const moreCost = offerData ? moreDataCost(attack, runConfig, trainedOn, moreData!, cleanBaseline) : null;
  const run = useLab((s) => s.runStage);
  return (
    <Panel id="attack" onRetry={() => run(['zeroShot', 'attack'])}
      actions={
        <StageButtons stages={['zeroShot', 'attack']} label={backdoor ? 'Load θ_b and score it' : 'Backdoor the model'} redoLabel={backdoor ? 'Score again' : 'Attack again'} testId="run-attack" />
      }>
      <div className="cols">
        <div className="col">
          {backdoor ? (
            <p className="lede">
              θ_b is the vision tower of a backdoored checkpoint; it is scored with the trigger of step 3 and the target <b>{target}</b>.
            </p>
          ) : (
            <p className="lede">
              Fine-tune the vision tower on training images where {pct(cfg.poisonRate, 1)} carry the trigger and are relabelled <b>{target}</b>.
            </p>
          )}
          <FileSource testId="backdoor" disabled={busy} name={backdoor?.name ?? null} picked={backdoorFile}
            here={{ title: 'Backdoor it here', help: 'Poisoned fine-tuning in the browser.' }}
            load={{ title: 'Load a backdoored checkpoint', help: "A .safetensors file of this model with a backdoor in its vision tower (e.g. the lab's θ_b export). Stays on your machine." }}
            onChoose={(f) => setSourceFile('backdoor', f)} />
          <Settings summary={`${recipeTag(cfg)} · ${counted(cfg.epochs, 'epoch')} · batch ${cfg.batchSize} · lr ${fmtSci(cfg.lr)} · poison ${pct(cfg.poisonRate, 1)}`} testId="attack-settings">
            <fieldset className="plain" disabled={busy}>
              <RecipePicker stage="attack" />
              <FieldGrid fields={ATTACK_FIELDS} />
              <label className="check">
                <input type="checkbox" checked={cleanBaseline} onChange={(e) => setClean(e.target.checked)} />
                Also fine-tune without poison (the clean baseline: the backdoored CA should be within ~3 points of it). Doubles the time.
              </label>
            </fieldset>
          </Settings>
          <BatchPlan stage="attack" />
          <div className="stats" data-testid="attack-stats">
            <Stat label="Zero-shot CA" value={pct(zeroShot?.test.ca)} sub="θ_pre, before any fine-tuning" tone="ca" testId="zs-ca" />
            <Stat label="Backdoored CA" value={pct(attack?.test.ca)} sub={attack?.cleanTest ? `clean fine-tune: ${pct(attack.cleanTest.ca)}` : 'θ_b on clean test images'} tone="ca" testId="attack-ca" />
            <Stat label="Attack success" value={pct(attack?.test.asr)} sub={`triggered images → ${target}`} tone="asr" testId="attack-asr" />
          </div>
          {attack &&
            attackWarnings(attack, runConfig).map((w, i) => (
              <p key={i} className="help warn" data-testid="attack-warning">{w}</p>
            ))}
          {(offerSig || offerData) && (
            <div>
              {offerSig && (
                <button type="button" className="btn btn-small" disabled={busy} onClick={() => setTriggerKind('sig')} data-testid="switch-to-sig">
                  Switch the trigger to SIG
                </button>
              )}
              {offerData && (
                <button type="button" className="btn btn-small" disabled={busy} data-testid="train-more-data"
                  onClick={() => setConfig((c) => ({ ...c, splits: { ...c.splits, train: moreData! } }))}>
                  Train on {moreData!.toLocaleString('en-US')} images instead
                </button>
              )}
              {moreCost && <p className="help" data-testid="more-data-cost">{moreCost}.</p>}
            </div>
          )}
        </div>
        <div className="col">
          {running || losses.length > 0 ? (
            <div className="train-live">
              <div className="train-head">
                <span className="sub-title">Training loss</span>
                {live && running && (
                  <span className="muted" data-testid="attack-rate">
                    {fmtRate(live.imagesPerSec)} images/s · lr {fmtSci(live.lr)}
                  </span>
                )}
                {attack && <span className="muted">{attack.poisoned} poisoned images</span>}
              </div>
              <LossChart losses={losses} colour={C.asr} testId="attack-loss" />
            </div>
          ) : attack?.fromFile ? (
            <div className="chart-placeholder" data-testid="backdoor-loaded">
              θ_b: the vision tower of {attack.fromFile.name} ({attack.fromFile.taken} tensors; {attack.fromFile.ignored} others, such as the text tower, ignored). No training.
            </div>
          ) : (
            <div className="chart-placeholder">The training loss appears here, step by step, while the attack runs.</div>
          )}
        </div>
      </div>
    </Panel>
  );
}
