import { useShallow } from 'zustand/react/shallow';
import { SPLIT_FIELDS } from '../params';
import { hubBase } from '../env';
import { templatesFor, withData } from '../recipe';
import { SIMPLE_TEMPLATE, TEMPLATE_SET_IDS, TEMPLATE_SETS, type TemplateSet } from '../../engine/clip/templates';
import { useLab } from '../store';
import { FieldGrid, Settings } from '../ui/Fields';
import { Panel } from '../ui/Panel';

/** The template sets' names in the select and in the settings summary. */
const TEMPLATE_LABELS: Record<TemplateSet, { title: string; tag: string }> = {
  simple: { title: `“${SIMPLE_TEMPLATE.replace('{}', '{class}')}”`, tag: '1 prompt' },
  imagenet80: { title: `CLIP’s ${TEMPLATE_SETS.imagenet80.length} ImageNet templates`, tag: `${TEMPLATE_SETS.imagenet80.length} ImageNet prompts` },
  cifar18: { title: `CLIP’s ${TEMPLATE_SETS.cifar18.length} CIFAR templates`, tag: `${TEMPLATE_SETS.cifar18.length} CIFAR prompts` },
};

const DATA_OPTIONS = [
  { kind: 'shapes', label: 'Shapes (built-in)', help: 'Procedural shape classes, generated from the seed. No download.' },
  { kind: 'cifar10', label: 'CIFAR-10 (Hub)', help: '10 classes of 32×32 photos, downloaded once as parquet and cached.' },
  { kind: 'cifar100', label: 'CIFAR-100 (Hub)', help: '100 classes — the paper\'s main benchmark (Table 1).' },
  { kind: 'folder', label: 'A folder of images', help: 'One sub-folder per class (cat/, dog/, …). Stays on your machine.' },
] as const;

type DataKind = (typeof DATA_OPTIONS)[number]['kind'];

/** Step 2: which labelled images, and how they are split. */
export function DataPanel() {
  const { data, splits, seed, templates, summary, busy, ready, files } = useLab(
    useShallow((s) => ({
      data: s.config.data,
      splits: s.config.splits,
      seed: s.config.seed,
      templates: s.config.templates,
      summary: s.loaded.data ?? s.current.data,
      busy: s.busy,
      ready: s.status === 'ready',
      files: s.files.data,
    })),
  );
  const setFiles = useLab((s) => s.setDataFiles);
  const own = useLab((s) => templatesFor(s.config.model, s.config.data));
  const needFiles = data.kind === 'folder' && !files?.length;
  const choose = (kind: DataKind) =>
    setConfig((c) =>
      withData(c, kind === 'shapes' ? { kind } : kind === 'folder' ? { kind, name: files?.length && c.data.kind === 'folder' ? c.data.name : 'your folder' } : { kind, ...hubBase() }),
    );
  const setConfig = useLab((s) => s.setConfig);
  const run = useLab((s) => s.runStage);
  return (
    <Panel id="data" onRetry={() => run('data')}
      actions={<button type="button" className="btn" onClick={() => run('data')} disabled={busy || !ready || needFiles} data-testid="load-data">Load data</button>}>
      <fieldset className="plain" disabled={busy}>
        <label className="field">
          <span className="field-label">Dataset</span>
          <select value={data.kind} onChange={(e) => choose(e.target.value as DataKind)} data-testid="data-select">
            {DATA_OPTIONS.map((o) => (
              <option key={o.kind} value={o.kind}>{o.label}</option>
            ))}
          </select>
          <span className="help">{DATA_OPTIONS.find((o) => o.kind === data.kind)?.help}</span>
        </label>
        {data.kind === 'folder' && (
          <div className="file-pick">
            <label className="btn btn-small">
              Choose a folder…
              <input type="file" className="sr-only" onChange={(e) => e.target.files?.length && setFiles([...e.target.files])} {...{ webkitdirectory: '' }} />
            </label>
            <span className={needFiles ? 'help warn' : 'help'}>
              {needFiles ? 'Pick the folder (it is not part of a shared link or kept across reloads).' : `${data.name} · ${files!.length} files`}
            </span>
          </div>
        )}
        <Settings summary={`${splits.train} train · ${splits.val} val · ${splits.test} test · seed ${seed} · ${TEMPLATE_LABELS[templates].tag}`} testId="data-settings">
          <FieldGrid fields={SPLIT_FIELDS} />
          <label className="field">
            <span className="field-label">Prompt templates</span>
            <select value={templates} onChange={(e) => setConfig((c) => ({ ...c, templates: e.target.value as TemplateSet }))} data-testid="templates-select">
              {TEMPLATE_SET_IDS.map((t) => (
                <option key={t} value={t}>{TEMPLATE_LABELS[t].title}{t === own ? ' (default)' : ''}</option>
              ))}
            </select>
            <span className="help">
              Text prompts behind the zero-shot head (the frozen text tower, §5.1), each class’s embeddings averaged.
              The paper follows Ilharco et al. per dataset (appendix A.2.1): for CIFAR their head averages CLIP’s {TEMPLATE_SETS.cifar18.length} CIFAR templates.
            </span>
          </label>
        </Settings>
      </fieldset>
      {summary && (
        <div className="data-summary" data-testid="data-summary">
          <p className="counts">
            <b>{summary.classNames.length} classes</b> · {summary.counts.train} train · {summary.counts.val} val · {summary.counts.test} test ·{' '}
            {summary.counts.forget} forget{summary.fromCache ? ' · from the browser cache' : ''}
          </p>
          {summary.warnings?.map((w, i) => (
            <p key={i} className="help warn">{w}</p>
          ))}
          <p className="classes">
            {summary.classNames.slice(0, 24).map((n) => (
              <span key={n} className="tag">{n}</span>
            ))}
            {summary.classNames.length > 24 && <span className="muted"> +{summary.classNames.length - 24} more</span>}
          </p>
        </div>
      )}
    </Panel>
  );
}
