import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { STAGES } from './pipeline';
import { fmtDuration } from './format';
import { panelStatus, PANELS, runAllSeconds, timeLeft } from './selectors';
import { useLab } from './store';
import { StatusChip } from './ui/Status';

/** A forecast in whole seconds (null: none), so the header re-renders once a second at most. */
const wholeSeconds = (t: number | null) => (t === null ? null : Math.round(t));

function RunAll() {
  const { busy, ready, anyDone } = useLab(
    useShallow((s) => ({ busy: s.busy, ready: s.status === 'ready', anyDone: STAGES.slice(2).some((id) => s.stages[id].status === 'done') })),
  );
  const runAll = useLab((s) => s.runAll);
  const cancel = useLab((s) => s.cancel);
  // During a run, the time left; before one, what "Run everything" would take at the last run's speed.
  const left = useLab((s) => wholeSeconds(s.busy ? timeLeft(s) : null));
  const ahead = useLab((s) => wholeSeconds(s.busy ? null : runAllSeconds(s)));
  if (busy) {
    return (
      <>
        {left !== null && (
          <span className="muted run-left" data-testid="time-left" title="From this run’s measured speed: the attack’s fine-tune and the zero-shot score (the α sweep once it has run).">
            about {fmtDuration(left * 1000)} left in all
          </span>
        )}
        <button type="button" className="btn btn-danger" onClick={cancel} data-testid="cancel-all">
          Cancel
        </button>
      </>
    );
  }
  return (
    <>
      {ahead !== null && ahead > 0 && ready && (
        <span className="muted run-left" data-testid="run-all-forecast" title="At the last run’s measured speed on this model and backend; downloads not counted">
          about {fmtDuration(ahead * 1000)}
        </span>
      )}
      <button type="button" className="btn btn-primary btn-run" onClick={() => void runAll()} disabled={!ready} data-testid="run-all"
        title="Load, attack, unlearn, sweep α, map ξ and compare with gradient ascent — each panel updates live">
        ▶ {anyDone ? 'Run everything again' : 'Run everything'}
      </button>
    </>
  );
}

function Share() {
  const omitted = useLab((s) => s.urlOmitted);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      setCopied(true);
      setTimeout(() => setCopied(false), 1800);
    } catch {
      prompt('Copy this link:', location.href);
    }
  };
  return (
    <button type="button" className="btn" onClick={copy} title={omitted.length ? `Not in the link: ${omitted.join('; ')}` : 'The link opens this exact experiment'}>
      {copied ? 'Link copied' : 'Share link'}
    </button>
  );
}

function PresenterToggle() {
  const on = useLab((s) => s.presenter);
  const set = useLab((s) => s.setPresenter);
  return (
    <label className="toggle" title="Large type and charts for a projector">
      <input type="checkbox" checked={on} onChange={(e) => set(e.target.checked)} data-testid="presenter-toggle" />
      <span className="toggle-track" aria-hidden><span className="toggle-thumb" /></span>
      Presenter
    </label>
  );
}

function EngineLine() {
  const { status, backend, requested, selfTest, mock } = useLab(
    useShallow((s) => ({ status: s.status, backend: s.backend, requested: s.requested, selfTest: s.selfTest, mock: s.mock })),
  );
  return (
    <p className="engine" data-testid="backend" data-backend={backend?.name ?? ''} data-status={status}>
      {mock && <span className="tag tag-mock">mock engine</span>}
      {status === 'starting' && !backend && <>Starting the engine ({requested})…</>}
      {backend && (
        <>
          Backend: <b>{backend.name}</b> <span className="reason">— {backend.reason}</span>
        </>
      )}
      {!backend && status === 'error' && <>Engine could not start.</>}
      {selfTest && !mock && (
        <span className="selftest" data-testid="selftest" title={`checksum ${selfTest.checksum.toFixed(5)}`}>
          {' '}· self-test {selfTest.ms.toFixed(0)} ms
        </span>
      )}
    </p>
  );
}

/** The story at a glance: six steps with their status, each a link to its panel. */
function StoryNav() {
  const statuses = useLab(useShallow((s) => PANELS.map((p) => panelStatus(s, p.id).status)));
  const fractions = useLab(useShallow((s) => PANELS.map((p) => panelStatus(s, p.id).progress?.fraction ?? null)));
  return (
    <nav className="story" aria-label="Story">
      <ol>
        {PANELS.map((p, i) => (
          <li key={p.id} className={`story-step is-${statuses[i]}`}>
            <a href={`#${p.id}`}>
              <span className="story-no">{i + 1}</span>
              <span className="story-name">{p.title}</span>
              {statuses[i] === 'running' && fractions[i] !== null ? (
                <span className="story-pct">{Math.round(fractions[i]! * 100)}%</span>
              ) : (
                <StatusChip status={statuses[i]} label=" " />
              )}
            </a>
          </li>
        ))}
      </ol>
    </nav>
  );
}

export function Header() {
  return (
    <header className="top">
      <div className="top-row">
        <div className="brand">
          <h1>TBAR Lab</h1>
          <p className="tagline">Backdoor a CLIP vision tower, then remove the backdoor with task arithmetic — in your browser.</p>
        </div>
        <div className="top-actions">
          <PresenterToggle />
          <Share />
          <RunAll />
        </div>
      </div>
      <EngineLine />
      <StoryNav />
      <p className="intro">
        Pick a model and data, choose or paint a trigger, backdoor the model, then remove the backdoor by subtracting a <i>trigger vector</i>{' '}
        and see why it works. <b>Run everything</b> does it all on the built-in model, with no download.
      </p>
    </header>
  );
}
