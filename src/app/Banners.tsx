import { useShallow } from 'zustand/react/shallow';
import { useLab } from './store';

/** Messages that belong to no panel: a bad link, the engine, the GPU. */
export function Banners() {
  const { urlProblems, engineNotice, deviceLost, error, status } = useLab(
    useShallow((s) => ({ urlProblems: s.urlProblems, engineNotice: s.engineNotice, deviceLost: s.deviceLost, error: s.error, status: s.status })),
  );
  const dismissUrl = useLab((s) => s.dismissUrlProblems);
  const dismissNotice = useLab((s) => s.dismissEngineNotice);
  const restart = useLab((s) => s.restartEngine);
  return (
    <div className="banners">
      {urlProblems.length > 0 && (
        <div className="banner banner-warn" role="alert" data-testid="url-banner">
          <div>
            <b>Parts of this link could not be read, so the lab used its defaults for them.</b>
            <ul>
              {urlProblems.slice(0, 6).map((p, i) => (
                <li key={i}>{p}</li>
              ))}
              {urlProblems.length > 6 && <li>…and {urlProblems.length - 6} more</li>}
            </ul>
          </div>
          <button type="button" className="btn btn-small" onClick={dismissUrl}>OK</button>
        </div>
      )}
      {status === 'error' && error && (
        <div className="banner banner-error" role="alert" data-testid="engine-error">
          <div>
            <b>{error}</b>
            <p>The engine could not start. Check the address (e.g. ?backend=wasm), or restart it.</p>
          </div>
          <button type="button" className="btn btn-small" onClick={() => void restart()}>Restart engine</button>
        </div>
      )}
      {engineNotice && (
        <div className="banner banner-info" role="status" data-testid="engine-notice">
          <div>{engineNotice}</div>
          <button type="button" className="btn btn-small" onClick={dismissNotice}>OK</button>
        </div>
      )}
      {deviceLost && (
        <div className="banner banner-error" role="alert" data-testid="device-lost">
          <div>
            <b>The GPU device was lost ({deviceLost}).</b>
            <p>Finished results are kept. Restart the engine, then run again.</p>
          </div>
          <button type="button" className="btn btn-small" onClick={() => void restart('The engine was restarted after the GPU was lost.')}>
            Restart engine
          </button>
        </div>
      )}
    </div>
  );
}
