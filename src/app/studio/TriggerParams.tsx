import type { PatchPosition, TriggerConfig } from '../../engine/triggers/types';
import { modelImageSize } from '../selectors';
import { useLab } from '../store';

function Choice<T extends string>({ label, value, options, onChange, help }: {
  label: string;
  value: T;
  options: { value: T; label: string }[];
  onChange: (v: T) => void;
  help?: string;
}) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value as T)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>{o.label}</option>
        ))}
      </select>
      {help && <span className="help">{help}</span>}
    </label>
  );
}

function Slider({ label, value, min, max, step, onChange, show, help, testId }: {
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  onChange: (v: number) => void;
  show: (v: number) => string;
  help?: string;
  testId?: string;
}) {
  return (
    <label className="field">
      <span className="field-label">
        {label} <b>{show(value)}</b>
      </span>
      <input type="range" min={min} max={max} step={step} value={value} onChange={(e) => onChange(+e.target.value)} data-testid={testId} />
      {help && <span className="help">{help}</span>}
    </label>
  );
}

type PosKey = 'random' | 'fixed' | 'corner';
const posKey = (p: PatchPosition): PosKey => (typeof p === 'object' ? 'corner' : p);

/** The selected trigger's parameters (appendix A.1 values are the defaults). */
export function TriggerParams() {
  const t = useLab((s) => s.config.trigger);
  const S = useLab(modelImageSize);
  const set = useLab((s) => s.setTriggerParams);
  const auto = S ? Math.max(1, Math.round((16 * S) / 224)) : null;
  const position = (p: PatchPosition, side: number, onChange: (p: PatchPosition) => void) => (
    <Choice<PosKey>
      label="Position"
      value={posKey(p)}
      options={[
        { value: 'random', label: 'Random per image (paper)' },
        { value: 'fixed', label: 'One fixed spot' },
        ...(S ? [{ value: 'corner' as const, label: 'Bottom-right corner' }] : []),
      ]}
      onChange={(v) => onChange(v === 'corner' ? { x: Math.max(0, S! - side - 1), y: Math.max(0, S! - side - 1) } : v)}
    />
  );
  const sizeSlider = (label: string, value: number | null, onChange: (v: number | null) => void, help: string) => (
    <Slider
      label={label}
      value={value ?? auto ?? 2}
      min={1}
      max={S ?? 64}
      step={1}
      show={(v) => (value === null ? `auto · ${v} px` : `${v} px`)}
      onChange={(v) => onChange(v === auto && value === null ? null : v)}
      help={help}
      testId="stamp-size"
    />
  );

  switch (t.kind) {
    case 'badnet': {
      const p = t.params;
      const side = p.patchSize ?? auto ?? 2;
      return (
        <div className="params">
          {sizeSlider('Patch size', p.patchSize, (v) => set({ patchSize: v }), 'Paper: 16 px at 224 px; auto scales it to this model.')}
          {position(p.position, side, (v) => set({ position: v }))}
          <Choice label="Noise" value={p.noise} onChange={(v) => set({ noise: v })}
            options={[{ value: 'fixed', label: 'One pattern for all (paper)' }, { value: 'per-image', label: 'New noise per image (CleanCLIP)' }]} />
          <Choice label="Patch colour" value={p.offset} onChange={(v) => set({ offset: v })}
            options={[{ value: 'image-mean', label: 'Image mean + noise (CleanCLIP)' }, { value: 'none', label: 'Pure N(0,1) noise' }]} />
        </div>
      );
    }
    case 'blended': {
      const p = t.params;
      return (
        <div className="params">
          <Slider label="Blend ratio" value={p.ratio} min={0} max={1} step={0.01} show={(v) => `${Math.round(v * 100)}%`}
            onChange={(v) => set({ ratio: v })} help="x′ = (1 − r)·x + r·noise. Paper: 20%." />
          <Choice label="Noise" value={p.noise} onChange={(v) => set({ noise: v })}
            options={[{ value: 'fixed', label: 'One noise image (paper)' }, { value: 'per-image', label: 'New noise per image' }]} />
        </div>
      );
    }
    case 'wanet': {
      const p = t.params;
      return (
        <div className="params">
          <Slider label="Warp strength s" value={p.s} min={0} max={4} step={0.05} show={(v) => v.toFixed(2)}
            onChange={(v) => set({ s: v })} help="How far pixels move. Paper: 1." />
          <Slider label="Control grid k" value={Math.min(p.k, S ?? p.k)} min={2} max={S ?? 224} step={1} show={(v) => String(v)}
            onChange={(v) => set({ k: v })} help={`Random offsets on a k×k grid, smoothly upsampled. Paper: 224${S && S < 224 ? ` (capped at ${S} here)` : ''}.`} />
        </div>
      );
    }
    case 'sig': {
      const p = t.params;
      return (
        <div className="params">
          <Slider label="Amplitude Δ" value={Math.round(p.delta * 255)} min={0} max={128} step={1} show={(v) => `${v}/255`}
            onChange={(v) => set({ delta: v / 255 })} help="x′ = clip(x + Δ·sin(2π·f·j/S)). Paper: 60/255." />
          <Slider label="Frequency f" value={p.frequency} min={1} max={32} step={1} show={(v) => `${v} periods`}
            onChange={(v) => set({ frequency: v })} help="Sine periods across the image width. Paper: 6." />
        </div>
      );
    }
    case 'painted': {
      const p = t.params;
      const side = p.size ?? auto ?? 2;
      return (
        <div className="params">
          {sizeSlider('Stamp size', p.size, (v) => set({ size: v }), 'Longer side of the stamp in model pixels.')}
          {position(p.position, side, (v) => set({ position: v }))}
          <Choice label="Resize" value={p.resize} onChange={(v) => set({ resize: v })}
            options={[{ value: 'nearest', label: 'Nearest (crisp pixels)' }, { value: 'bilinear', label: 'Bilinear (smooth)' }]} />
        </div>
      );
    }
  }
}

export type { TriggerConfig };
