/**
 * "Compute it here" or "load it from a file": the choice the Attack panel offers for θ_b and the
 * Unlearn panel for τ̂_t. The config names the file (`name`, null when computed here); the File
 * itself lives in the store, never in a link or across a reload, so the picker says when it is
 * missing. Test ids: `${testId}-source`, `-here`, `-load`, `-file`, `-file-status`.
 */
export interface FileSourceProps {
  testId: string;
  disabled: boolean;
  /** The configured file name, or null for "compute it here". */
  name: string | null;
  /** The picked File, if any. */
  picked: File | null;
  here: { title: string; help: string };
  load: { title: string; help: string };
  /** Switch to "here" (null) or to a file (a pick, or `undefined` before one is picked). */
  onChoose(file: File | null | undefined): void;
}

export function FileSource({ testId, disabled, name, picked, here, load, onChoose }: FileSourceProps) {
  const fromFile = name !== null;
  const needFile = fromFile && (!picked || picked.name !== name);
  return (
    <fieldset className="plain" disabled={disabled} data-testid={`${testId}-source`}>
      <label className="choice">
        <input type="radio" name={testId} checked={!fromFile} onChange={() => onChoose(null)} data-testid={`${testId}-here`} />
        <span>
          <b>{here.title}</b>
          <span className="help">{here.help}</span>
        </span>
      </label>
      <label className="choice">
        <input type="radio" name={testId} checked={fromFile} onChange={() => onChoose(undefined)} data-testid={`${testId}-load`} />
        <span>
          <b>{load.title}</b>
          <span className="help">{load.help}</span>
        </span>
      </label>
      {fromFile && (
        <div className="file-pick">
          <label className="btn btn-small">
            Choose a .safetensors file…
            <input type="file" accept=".safetensors" className="sr-only" data-testid={`${testId}-file`}
              onChange={(e) => e.target.files?.[0] && onChoose(e.target.files[0])} />
          </label>
          <span className={needFile ? 'help warn' : 'help'} data-testid={`${testId}-file-status`}>
            {needFile ? 'Pick the file (it is not part of a shared link or kept across reloads).' : `${name} · ${(picked!.size / 2 ** 20).toFixed(1)} MB`}
          </span>
        </div>
      )}
    </fieldset>
  );
}
