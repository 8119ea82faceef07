import { useEffect, useId, useState } from 'react';
import { fmtSci } from '../format';
import { checkNumber, getPath, type NumberField } from '../params';
import { useLab } from '../store';

function show(f: NumberField, v: number): string {
  if (f.percent) return String(+(v * 100).toFixed(3));
  if (f.sci) return fmtSci(v);
  return String(v);
}

/** A number input for one ExperimentConfig field: commits valid values, explains invalid ones. */
export function NumberInput({ field, disabled }: { field: NumberField; disabled?: boolean }) {
  const value = useLab((s) => getPath(s.config, field.path) as number);
  const setField = useLab((s) => s.setField);
  const [text, setText] = useState(show(field, value));
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  useEffect(() => {
    setText(show(field, value));
    setError(null);
  }, [value, field]);
  const commit = (t: string) => {
    const raw = Number(t.trim());
    const v = field.percent ? raw / 100 : raw;
    const why = t.trim() === '' ? `${field.label} is required` : checkNumber(field, field.percent ? +v.toFixed(6) : v);
    setError(why);
    if (!why && v !== value) setField(field.path, field.percent ? +v.toFixed(6) : v);
  };
  return (
    <div className={`field${error ? ' has-error' : ''}`} data-field={field.path}>
      <label htmlFor={id}>{field.label}</label>
      <div className="field-input">
        <input
          id={id}
          type="text"
          inputMode="decimal"
          value={text}
          disabled={disabled}
          aria-invalid={!!error}
          aria-describedby={`${id}-help`}
          onChange={(e) => setText(e.target.value)}
          onBlur={(e) => commit(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && commit((e.target as HTMLInputElement).value)}
        />
        {field.percent && <span className="unit">%</span>}
      </div>
      <p className="help" id={`${id}-help`}>
        {error ?? field.help}
      </p>
    </div>
  );
}

export function FieldGrid({ fields, disabled }: { fields: NumberField[]; disabled?: boolean }) {
  return (
    <div className="field-grid">
      {fields.map((f) => (
        <NumberInput key={f.path} field={f} disabled={disabled} />
      ))}
    </div>
  );
}

/** A folded block of settings whose summary line says the current values. */
export function Settings({ summary, children, testId }: { summary: string; children: React.ReactNode; testId?: string }) {
  return (
    <details className="settings" data-testid={testId}>
      <summary>
        <span className="settings-label">Settings</span>
        <span className="settings-summary">{summary}</span>
      </summary>
      <div className="settings-body">{children}</div>
    </details>
  );
}

/** A big number with a caption. */
export function Stat({ label, value, sub, tone, testId }: { label: string; value: string; sub?: string; tone?: 'ca' | 'asr' | 'plain'; testId?: string }) {
  return (
    <div className={`stat stat-${tone ?? 'plain'}`} data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {sub && <div className="stat-sub">{sub}</div>}
    </div>
  );
}
