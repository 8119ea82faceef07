import { useLab } from './store';

/** The lab's story, one panel per step; each is filled in by its own feature. */
const STORY = ['Model', 'Data', 'Trigger', 'Attack', 'Unlearn', 'Results'] as const;

function BackendLine() {
  const { status, backend, error, requested, selfTest, deviceLost } = useLab();
  return (
    <div className="engine">
      <p data-testid="backend" data-backend={backend?.name ?? ''} data-status={status}>
        {status === 'starting' && !backend && <>Starting the engine ({requested})…</>}
        {backend && (
          <>
            Backend: <b>{backend.name}</b> <span className="reason">— {backend.reason}</span>
          </>
        )}
        {!backend && status === 'error' && <>Engine could not start.</>}
      </p>
      {error && (
        <p className="error" role="alert" data-testid="engine-error">
          {error}
        </p>
      )}
      {deviceLost && (
        <p className="error" role="alert" data-testid="device-lost">
          The GPU device was lost ({deviceLost}). Reload the page to continue.
        </p>
      )}
      {selfTest && (
        <p className="selftest" data-testid="selftest">
          Engine self-test: {selfTest.size}×{selfTest.size} matMul chain on {selfTest.backend} in {selfTest.ms.toFixed(0)} ms
          (checksum {selfTest.checksum.toFixed(5)})
        </p>
      )}
    </div>
  );
}

export function App() {
  return (
    <div className="app">
      <header>
        <h1>TBAR Lab</h1>
        <p className="tagline">Backdoor a CLIP vision tower, then remove the backdoor with task arithmetic — in your browser.</p>
        <BackendLine />
      </header>
      <nav className="story" aria-label="Story">
        {STORY.map((s, i) => (
          <span key={s}>
            {i > 0 && ' → '}
            <a href={`#${s.toLowerCase()}`}>{s}</a>
          </span>
        ))}
      </nav>
      <main>
        {STORY.map((s) => (
          <section key={s} id={s.toLowerCase()} className="panel" data-testid={`panel-${s.toLowerCase()}`}>
            <h2>{s}</h2>
            <p className="placeholder">Coming soon.</p>
          </section>
        ))}
      </main>
    </div>
  );
}
