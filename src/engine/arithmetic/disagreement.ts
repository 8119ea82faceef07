/**
 * Where two models' predictions on the same images differ: eq. 2's indicator 1(f(x; θ₁) ≠ f(x; θ₂)),
 * its mean, and the images to show first. Pure and tfjs-free, so the mock worker uses it as is.
 */

export class DisentanglementError extends Error {
  readonly code = 'bad-grid';
  constructor(message: string) {
    super(message);
    this.name = 'DisentanglementError';
  }
}

/** Share of positions where two prediction vectors differ: E[1(a ≠ b)]. */
export function disagreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new DisentanglementError(`disagreement of ${a.length} vs ${b.length} predictions`);
  if (a.length === 0) throw new DisentanglementError('disagreement of an empty set is undefined');
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d / a.length;
}

/** Up to `count` indices: those where `a` and `b` differ first, then those where they agree, each in order. */
export function differingFirst(a: ArrayLike<number>, b: ArrayLike<number>, count: number): number[] {
  if (a.length !== b.length) throw new DisentanglementError(`comparing ${a.length} with ${b.length} predictions`);
  const differ: number[] = [];
  const agree: number[] = [];
  for (let i = 0; i < a.length; i++) (a[i] !== b[i] ? differ : agree).push(i);
  return [...differ, ...agree].slice(0, Math.max(0, count));
}
