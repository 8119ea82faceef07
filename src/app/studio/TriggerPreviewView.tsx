import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { className } from '../selectors';
import { useLab } from '../store';
import { StripImage } from './ImageView';
import { differenceStrip } from './imageOps';

/** Clean vs triggered at model resolution, enlarged and pixelated: one big pair and the 8 samples. */
export function TriggerPreviewView() {
  const { preview, stageData } = useLab(useShallow((s) => ({ preview: s.preview, stageData: s.stages.data.status })));
  const names = useLab(useShallow((s) => (s.preview.data?.clean.labels ?? []).map((l) => className(s, l))));
  const [pick, setPick] = useState(0);
  const d = preview.data;
  const diff = useMemo(() => (d ? differenceStrip(d.clean, d.triggered, 4) : null), [d]);
  if (!d) {
    return (
      <div className="preview-empty" data-testid="trigger-preview" data-state={preview.status}>
        {preview.status === 'running' || stageData === 'running' || stageData === 'queued'
          ? 'Preparing sample images…'
          : 'The preview appears once the data is loaded (step 2).'}
      </div>
    );
  }
  const i = Math.min(pick, d.clean.count - 1);
  return (
    <div className={`preview${preview.status === 'running' ? ' is-updating' : ''}`} data-testid="trigger-preview" data-state={preview.status}>
      <div className="preview-pair">
        <figure>
          <StripImage strip={d.clean} index={i} display="fill" testId="preview-big-clean" />
          <figcaption>Clean · {names[i]}</figcaption>
        </figure>
        <figure>
          <StripImage strip={d.triggered} index={i} display="fill" testId="preview-big-triggered" />
          <figcaption>Triggered</figcaption>
        </figure>
        <figure title="Where the trigger changed the image: |triggered − clean| × 4">
          <StripImage strip={diff!} index={i} display="fill" testId="preview-big-diff" />
          <figcaption>Difference ×4</figcaption>
        </figure>
      </div>
      <div className="preview-strips">
        {(['clean', 'triggered'] as const).map((row) => (
          <div key={row} className="strip-row" data-testid={`preview-${row}`}>
            <span className="strip-label">{row === 'clean' ? 'Clean' : 'Triggered'}</span>
            {Array.from({ length: d[row].count }, (_, k) => (
              <button key={k} type="button" className={`thumb${k === i ? ' is-picked' : ''}`} onClick={() => setPick(k)} aria-label={`Show sample ${k + 1} large`}>
                <StripImage strip={d[row]} index={k} display="fill" />
              </button>
            ))}
          </div>
        ))}
      </div>
      <p className="preview-desc" data-testid="trigger-description">
        {d.description} · {d.clean.size}×{d.clean.size} px, shown enlarged
      </p>
    </div>
  );
}
