import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { DEFAULT_MODEL_REPO, KNOWN_MODEL_REPOS } from '../../engine/hub/url';
import { hubBase } from '../env';
import { counted, fmtBytes, fmtCount, fmtFlops } from '../format';
import { withModel } from '../recipe';
import { useLab } from '../store';
import { Stat } from '../ui/Fields';
import { Panel } from '../ui/Panel';

/** What the lab keeps in the browser (Hub downloads, zero-shot heads), and a way to drop it. */
function CacheLine({ busy }: { busy: boolean }) {
  const cache = useLab((s) => s.cache);
  const refresh = useLab((s) => s.refreshCache);
  const clear = useLab((s) => s.clearCache);
  useEffect(() => {
    if (useLab.getState().cache.status === 'idle') void refresh();
  }, [refresh]);
  const info = cache.data;
  const files = info?.entries.length ?? 0;
  return (
    <div className="cache-line" data-testid="cache-info" data-files={info ? files : ''} data-status={cache.status}>
      <span className="help">
        Browser cache: {info ? (files ? `${fmtBytes(info.totalBytes)} in ${counted(files, 'file')}` : 'empty') : '…'}
        {info?.usage !== undefined && info.quota ? ` · this site uses ${fmtBytes(info.usage)} of ${fmtBytes(info.quota)}` : ''}. Hub downloads
        and zero-shot heads are kept here, so a second load needs no network.
      </span>
      <button type="button" className="btn btn-small" onClick={() => void clear()} disabled={busy || !files || cache.status === 'running'} data-testid="clear-cache">
        Clear cache
      </button>
      {cache.error && <span className="help warn">{cache.error.title}</span>}
    </div>
  );
}

/** Step 1: which CLIP, and what it is. */
export function ModelPanel() {
  const { model, summary, busy, ready, files } = useLab(
    useShallow((s) => ({
      model: s.config.model,
      summary: s.loaded.model ?? s.current.model,
      busy: s.busy,
      ready: s.status === 'ready',
      files: s.files.model,
    })),
  );
  const setConfig = useLab((s) => s.setConfig);
  const setFiles = useLab((s) => s.setModelFiles);
  const run = useLab((s) => s.runStage);
  const needFiles = model.kind === 'file' && !files?.length;
  const pick = (list: FileList | null) => list && list.length && setFiles([...list]);
  return (
    <Panel id="model" onRetry={() => run('model')}
      actions={
        <button type="button" className="btn" onClick={() => run('model')} disabled={busy || !ready || needFiles} data-testid="load-model">
          Load model
        </button>
      }>
      <fieldset className="plain choices" disabled={busy}>
        <label className="choice">
          <input type="radio" name="model" checked={model.kind === 'builtin'} onChange={() => setConfig((c) => withModel(c, { kind: 'builtin', id: 'micro-clip' }))} />
          <span>
            <b>Built-in micro CLIP</b>
            <span className="help">A tiny CLIP trained for this lab. No download; runs anywhere.</span>
          </span>
        </label>
        <label className="choice">
          <input type="radio" name="model" checked={model.kind === 'hub'}
            onChange={() => setConfig((c) => withModel(c, { kind: 'hub', repo: DEFAULT_MODEL_REPO, ...hubBase() }))} />
          <span>
            <b>Hugging Face Hub</b>
            <span className="help">The paper's ViT-B/32 is a 605 MB download, cached after the first time; a GPU is recommended.</span>
          </span>
        </label>
        {model.kind === 'hub' && (
          <>
            <input className="repo-input" type="text" list="known-repos" value={model.repo} aria-label="Hub repository (owner/name)" spellCheck={false}
              onChange={(e) => setConfig((c) => ({ ...c, model: { ...model, repo: e.target.value.trim() } }))} />
            <datalist id="known-repos">
              {KNOWN_MODEL_REPOS.map((r) => (
                <option key={r.repo} value={r.repo}>{r.label}</option>
              ))}
            </datalist>
          </>
        )}
        <label className="choice">
          <input type="radio" name="model" checked={model.kind === 'file'} onChange={() => setConfig((c) => withModel(c, { kind: 'file', name: c.model.kind === 'file' ? c.model.name : 'your files' }))} />
          <span>
            <b>From your computer</b>
            <span className="help">A .safetensors checkpoint with its config.json and tokenizer.json (or the folder). Stays on your machine.</span>
          </span>
        </label>
        {model.kind === 'file' && (
          <div className="file-pick">
            <label className="btn btn-small">
              Choose files…
              <input type="file" multiple accept=".safetensors,.json,.txt" className="sr-only" onChange={(e) => pick(e.target.files)} data-testid="model-files" />
            </label>
            <label className="btn btn-small">
              Choose a folder…
              <input type="file" className="sr-only" onChange={(e) => pick(e.target.files)} {...{ webkitdirectory: '' }} />
            </label>
            <span className={needFiles ? 'help warn' : 'help'}>
              {needFiles ? 'Pick the files (they are not part of a shared link or kept across reloads).' : `${model.name} · ${files!.length} files`}
            </span>
          </div>
        )}
      </fieldset>
      {summary && (
        <div className="stats stats-compact" data-testid="model-summary">
          <Stat label="Model" value={summary.name} sub={summary.fromCache ? 'from the browser cache' : undefined} />
          <Stat label="Input" value={`${summary.imageSize} px`} sub={`patch ${summary.patchSize}`} />
          <Stat label="Vision tower" value={fmtCount(summary.visionParams)} sub={`of ${fmtCount(summary.params)} params`} />
          <Stat label="Per image" value={fmtFlops(summary.flopsPerImage)} />
        </div>
      )}
      {summary?.warnings?.map((w, i) => (
        <p key={i} className="help warn" data-testid="model-warning">{w}</p>
      ))}
      <CacheLine busy={busy} />
    </Panel>
  );
}
