import { useEffect, useState } from 'react';
import { alphaGridFromText, gridParams } from '../defaults';
import { useLab } from '../store';

/** The α grid of the sweep as "0 to max in steps of step". */
export function AlphaGridFields() {
  const alphas = useLab((s) => s.config.sweep.alphas);
  const setField = useLab((s) => s.setField);
  const g = gridParams(alphas) ?? { from: 0, to: alphas[alphas.length - 1], step: 0.1 };
  const [to, setTo] = useState(String(g.to));
  const [step, setStep] = useState(String(g.step));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setTo(String(g.to));
    setStep(String(g.step));
  }, [g.to, g.step]);
  const commit = () => {
    const g = alphaGridFromText(to, step);
    if ('error' in g) return setError(g.error);
    setError(null);
    setField('sweep.alphas', g.alphas);
  };
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <span className="field-label">α grid</span>
      <div className="field-input grid-inputs">
        <span>0 to</span>
        <input type="text" inputMode="decimal" value={to} aria-label="Largest α" onChange={(e) => setTo(e.target.value)} onBlur={commit}
          onKeyDown={(e) => e.key === 'Enter' && commit()} />
        <span>step</span>
        <input type="text" inputMode="decimal" value={step} aria-label="α step" onChange={(e) => setStep(e.target.value)} onBlur={commit}
          onKeyDown={(e) => e.key === 'Enter' && commit()} />
      </div>
      <p className="help">{error ?? `${alphas.length} values of α, each a model θ_b − α·τ̂_t scored on the validation split (paper: a grid search).`}</p>
    </div>
  );
}
