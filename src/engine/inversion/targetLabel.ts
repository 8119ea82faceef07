/**
 * Which class does an inverted trigger steer to? (TBAR paper §6 and appendix C.1.)
 *
 *   probe       — stamp clean images with the inverted trigger and take the class θ_b predicts most
 *                 often (§6: "probing the backdoored model with DECREE-generated triggers").
 *   logit shift — the class whose mean softmax probability on the stamped images rises most from
 *                 θ_pre to θ_b (C.1: with a weak SIG stamp the probe named the class the *pre-trained*
 *                 model also predicts — a bias of the model, not the backdoor — while the largest shift
 *                 named the true target).
 * Rule: the probe's class, unless θ_pre predicts that same class most often on the stamped images
 * (C.1's symptom); then the logit shift's class.
 */

export interface TargetInference {
  target: number;
  rule: 'probe' | 'logit-shift';
  /** Predictions per class of θ_b and θ_pre on the stamped images. */
  probe: number[];
  preProbe: number[];
  /** Mean softmax probability per class, θ_b minus θ_pre, on the stamped images. */
  shift: number[];
}

const argmax = (xs: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
};

/** Class counts of a prediction vector. */
export function classCounts(pred: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < pred.length; i++) counts[pred[i]]++;
  return counts;
}

/**
 * `probsB`, `probsPre`: softmax probabilities [N, C] row-major of θ_b and θ_pre on the same N stamped
 * images.
 */
export function inferTarget(probsB: ArrayLike<number>, probsPre: ArrayLike<number>, numClasses: number): TargetInference {
  const C = numClasses;
  if (probsB.length !== probsPre.length || probsB.length % C !== 0 || probsB.length === 0) {
    throw new Error(`inferTarget: probabilities of ${probsB.length} and ${probsPre.length} values for ${C} classes`);
  }
  const N = probsB.length / C;
  const predB: number[] = [];
  const predPre: number[] = [];
  const shift = new Array<number>(C).fill(0);
  for (let i = 0; i < N; i++) {
    const rowB = Array.prototype.slice.call(probsB, i * C, (i + 1) * C) as number[];
    const rowPre = Array.prototype.slice.call(probsPre, i * C, (i + 1) * C) as number[];
    predB.push(argmax(rowB));
    predPre.push(argmax(rowPre));
    for (let c = 0; c < C; c++) shift[c] += (rowB[c] - rowPre[c]) / N;
  }
  const probe = classCounts(predB, C);
  const preProbe = classCounts(predPre, C);
  const probed = argmax(probe);
  const biased = argmax(preProbe) === probed;
  return { target: biased ? argmax(shift) : probed, rule: biased ? 'logit-shift' : 'probe', probe, preProbe, shift };
}
