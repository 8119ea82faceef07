/**
 * Which classes the Results panel's "clean accuracy by class" list shows, in what order (pure, so a
 * unit test pins it): every class in label order when there are at most `max`; otherwise the target
 * first, then the classes θ̂_c lost most on, so a 100- or 1000-class run shows what moved.
 */
import { perClassRates, type ClassCounts } from '../engine/eval/byClass';

export interface ClassRow {
  cls: number;
  name: string;
  isTarget: boolean;
  images: number;
  before: number | null;
  after: number | null;
}

export function classRows(b: { backdoored: ClassCounts; cleaned: ClassCounts }, target: number, names: readonly string[] | null, max = 12): { rows: ClassRow[]; hidden: number } {
  const before = perClassRates(b.backdoored);
  const after = perClassRates(b.cleaned);
  const all: ClassRow[] = before.map((x, k) => ({
    cls: k,
    name: names?.[k] ?? `class ${k}`,
    isTarget: k === target,
    images: b.backdoored.total[k],
    before: x,
    after: after[k],
  }));
  const shown = all.filter((r) => r.images > 0);
  if (shown.length <= max) return { rows: shown, hidden: 0 };
  const drop = (r: ClassRow) => (r.before ?? 0) - (r.after ?? 0);
  const others = shown.filter((r) => !r.isTarget).sort((x, y) => drop(y) - drop(x) || x.cls - y.cls);
  const head = [...shown.filter((r) => r.isTarget), ...others].slice(0, max);
  return { rows: head, hidden: shown.length - head.length };
}
