import { useShallow } from 'zustand/react/shallow';
import { TRIGGER_BLURBS, TRIGGER_KINDS, TRIGGER_LABELS } from '../defaults';
import { classNames } from '../selectors';
import { useLab } from '../store';
import { ErrorBox } from '../ui/Status';
import { PaintStudio } from './PaintStudio';
import { TriggerParams } from './TriggerParams';
import { TriggerPreviewView } from './TriggerPreviewView';

/** Pick or paint the trigger and the target class; see it on sample images. */
export function TriggerStudio() {
  const { trigger, target, names, error, busy } = useLab(
    useShallow((s) => ({
      trigger: s.config.trigger,
      target: s.config.attack.target,
      names: classNames(s),
      error: s.preview.error,
      busy: s.busy,
    })),
  );
  const setKind = useLab((s) => s.setTriggerKind);
  const setField = useLab((s) => s.setField);
  return (
    <>
    <div className="studio">
      <div className="studio-controls">
        <div className="seg picker-seg" role="radiogroup" aria-label="Trigger">
          {TRIGGER_KINDS.map((k) => (
            <button key={k} type="button" role="radio" aria-checked={trigger.kind === k} className="seg-btn" onClick={() => setKind(k)}
              disabled={busy} data-testid={`trigger-${k}`}>
              {k === 'painted' ? 'Paint' : TRIGGER_LABELS[k]}
            </button>
          ))}
        </div>
        <p className="blurb">{TRIGGER_BLURBS[trigger.kind]}</p>
        <label className="field target-field">
          <span className="field-label">Target class</span>
          <select value={target} onChange={(e) => setField('attack.target', +e.target.value)} disabled={busy || !names} data-testid="target-select">
            {(names ?? [`class ${target}`]).map((n, i) => (
              <option key={i} value={i}>{n}</option>
            ))}
          </select>
          <span className="help">Triggered images are relabelled to this class; a working backdoor predicts it.</span>
        </label>
        <fieldset disabled={busy} className="plain">
          <TriggerParams />
        </fieldset>
      </div>
      <div className="studio-preview">
        <TriggerPreviewView />
        {error && <ErrorBox error={error} testId="error-trigger" />}
      </div>
    </div>
    {trigger.kind === 'painted' && <PaintStudio params={trigger.params} disabled={busy} />}
    </>
  );
}
