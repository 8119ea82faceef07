import { useShallow } from 'zustand/react/shallow';
import { targetBreakdown, type TargetBreakdown } from '../../engine/eval/byClass';
import { classRows } from '../classRows';
import { fmtAlpha, pct } from '../format';
import { classNames } from '../selectors';
import { useLab } from '../store';

/**
 * Clean accuracy by class, θ_b → θ̂_c: the target class apart from the others. TBAR's forget set is all
 * labelled with the target, so negating τ̂_t can cost the target class its own images — a tenth of CA
 * on a 10-class task, a hundredth on the paper's CIFAR-100 (eval/byClass.ts).
 */
export function ClassAccuracy() {
  const { sweep, target, names } = useLab(useShallow((s) => ({ sweep: s.current.sweep, target: s.current.config.attack.target, names: classNames(s) })));
  const b = sweep?.byClass;
  if (!sweep || !b) return null;
  let t: TargetBreakdown;
  try {
    t = targetBreakdown(b.backdoored, b.cleaned, target);
  } catch {
    return null; // not a before/after pair (e.g. a run saved from another test split): nothing honest to show
  }
  const { rows, hidden } = classRows(b, target, names);
  const targetName = names?.[target] ?? `class ${target}`;
  return (
    <section className="by-class" aria-label="Clean accuracy by class" data-testid="by-class">
      <div className="by-class-head">
        <span className="sub-title">Clean accuracy by class, backdoored → cleaned (α = {fmtAlpha(sweep.alpha)})</span>
        <span className="by-class-sum" data-testid="by-class-summary">
          target class “{targetName}” <b>{pct(t.target.before)} → {pct(t.target.after)}</b> · other classes{' '}
          <b>{pct(t.others.before)} → {pct(t.others.after)}</b> ({pct(t.others.retained)} retained)
        </span>
      </div>
      <div className="by-class-rows">
        {rows.map((r) => (
          <div key={r.cls} className={`cls-row${r.isTarget ? ' is-target' : ''}`} data-class={r.cls} data-target={r.isTarget}>
            <span className="cls-name" title={`${r.images} test images`}>
              {r.name}
              {r.isTarget && <span className="tag tag-target">target</span>}
            </span>
            <span className="cls-bars" aria-hidden>
              <span className="cls-bar before" style={{ width: `${100 * (r.before ?? 0)}%` }} />
              <span className="cls-bar after" style={{ width: `${100 * (r.after ?? 0)}%` }} />
            </span>
            <span className="cls-num">{pct(r.before, 0)} → <b>{pct(r.after, 0)}</b></span>
          </div>
        ))}
      </div>
      {hidden > 0 && <p className="muted small">{hidden} more classes not shown: those that lost least.</p>}
      <p className="explain">
        TBAR's forget set labels every triggered image “{targetName}”, so τ̂_t also learns to answer “{targetName}” more often; subtracting it can cost that
        class its own clean images. With {b.backdoored.total.filter((x) => x > 0).length} classes the target is{' '}
        {pct(t.target.images / (t.target.images + t.others.images), 0)} of the test images; on the paper's CIFAR-100 about 1%.
      </p>
    </section>
  );
}
