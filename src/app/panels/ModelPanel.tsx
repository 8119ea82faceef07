import { useShallow } from 'zustand/react/shallow';
import { fmtCount, fmtFlops } from '../format';
import { useLab } from '../store';
import { Stat } from '../ui/Fields';
import { Panel } from '../ui/Panel';

/** Step 1: which CLIP, and what it is. */
export function ModelPanel() {
  const { model, summary, busy, ready } = useLab(
    useShallow((s) => ({ model: s.config.model, summary: s.loaded.model ?? s.current.model, busy: s.busy, ready: s.status === 'ready' })),
  );
  const setConfig = useLab((s) => s.setConfig);
  const run = useLab((s) => s.runStage);
  const hubRepo = model.kind === 'hub' ? model.repo : 'openai/clip-vit-base-patch32';
  return (
    <Panel id="model" onRetry={() => run('model')}
      actions={<button type="button" className="btn" onClick={() => run('model')} disabled={busy || !ready}>Load model</button>}>
      <fieldset className="plain choices" disabled={busy}>
        <label className="choice">
          <input type="radio" name="model" checked={model.kind === 'builtin'} onChange={() => setConfig((c) => ({ ...c, model: { kind: 'builtin', id: 'micro-clip' } }))} />
          <span>
            <b>Built-in micro CLIP</b>
            <span className="help">A tiny CLIP trained for this lab. No download; runs anywhere.</span>
          </span>
        </label>
        <label className="choice">
          <input type="radio" name="model" checked={model.kind === 'hub'} onChange={() => setConfig((c) => ({ ...c, model: { kind: 'hub', repo: hubRepo } }))} />
          <span>
            <b>Hugging Face Hub</b>
            <span className="help">The paper's ViT-B/32 (≈ 600 MB download; a GPU is recommended).</span>
          </span>
        </label>
        {model.kind === 'hub' && (
          <input className="repo-input" type="text" value={model.repo} aria-label="Hub repository"
            onChange={(e) => setConfig((c) => ({ ...c, model: { kind: 'hub', repo: e.target.value.trim() } }))} />
        )}
      </fieldset>
      {summary && (
        <div className="stats stats-compact" data-testid="model-summary">
          <Stat label="Model" value={summary.name} />
          <Stat label="Input" value={`${summary.imageSize} px`} sub={`patch ${summary.patchSize}`} />
          <Stat label="Vision tower" value={fmtCount(summary.visionParams)} sub={`of ${fmtCount(summary.params)} params`} />
          <Stat label="Per image" value={fmtFlops(summary.flopsPerImage)} />
        </div>
      )}
    </Panel>
  );
}
