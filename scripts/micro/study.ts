/**
 * The TBAR feasibility study on the micro CLIP, as a library: for each trigger, from the pretrained
 * weights θ_pre,
 *   clean fine-tuning → CA_clean;
 *   attack: fine-tune θ_pre on the train split with `poisonRate` of it triggered and relabelled to
 *     `target` → θ_b (CA_b, ASR_b);
 *   forget-set fine-tuning: fine-tune θ_b on `forgetCount` other train images, all triggered and
 *     labelled `target`, same recipe → θ_{b+t}; τ̂_t = θ_{b+t} − θ_b (TBAR eq. 4);
 *   sweep θ̂_c(α) = θ_b − α·τ̂_t (eq. 5) over `alphas`, CA and ASR on the val split;
 *   choose α on val (lowest ASR, ties within 1 point → highest CA) and report CA/ASR on test.
 * ASR counts triggered test images whose true class is not the target. BadNet positions are drawn per
 * image from disjoint index ranges for the poisons, the forget set, val and test.
 */
import { tf } from '../../src/engine/tf';
import type { ClipModel } from '../../src/engine/clip/model';
import { isVisionWeight } from '../../src/engine/clip/config';
import { Rng } from '../../src/engine/rng';
import { createTrigger, defaultTriggerConfig, TRIGGER_LABELS, type TriggerKind } from '../../src/engine/triggers';
import type { ShapesDataset } from '../../src/engine/data/shapes';
import { attackSuccess, cleanAccuracy } from './data';
import { finetuneVision, type FinetuneRecipe } from './finetune';

export interface StudySettings {
  trainCount: number;
  forgetCount: number;
  valCount: number;
  testCount: number;
  poisonRate: number;
  target: number;
  triggerSeed: number;
  alphas: number[];
  /** Selection: among α with val ASR ≤ max(min ASR, asrTolerance), the highest val CA. */
  asrTolerance: number;
  recipe: FinetuneRecipe;
  forgetRecipe: FinetuneRecipe;
}

export interface SweepPoint {
  alpha: number;
  valCA: number;
  valASR: number;
}

export interface TriggerResult {
  trigger: TriggerKind;
  attackedCA: number;
  attackedASR: number;
  alpha: number;
  /** Smallest α with val ASR = 0 (the paper's α*), or null. */
  alphaStar: number | null;
  tbarCA: number;
  tbarASR: number;
  removed: number;
  retained: number;
  tauNorm: number;
  attackNorm: number;
  attackSeconds: number;
  forgetSeconds: number;
  sweep: SweepPoint[];
}

export interface TbarStudy {
  sha256: string;
  settings: StudySettings;
  zeroShotCA: number;
  cleanCA: number;
  cleanSeconds: number;
  results: TriggerResult[];
  date: string;
}

type Weights = Map<string, tf.Tensor>;

function snapshot(model: ClipModel): Weights {
  return new Map([...model.getWeights(isVisionWeight)].map(([n, t]) => [n, tf.clone(t)]));
}

async function norm(w: Weights, minus?: Weights): Promise<number> {
  let s = 0;
  for (const [n, t] of w) {
    const v = tf.tidy(() => tf.sum(tf.square(minus ? tf.sub(t, minus.get(n)!) : t)));
    s += (await v.data())[0];
    v.dispose();
  }
  return Math.sqrt(s);
}

/** θ_b − α·τ into the model. */
function applyNegation(model: ClipModel, thetaB: Weights, tau: Weights, alpha: number): void {
  const w = new Map([...thetaB].map(([n, t]) => [n, tf.tidy(() => tf.sub(t, tf.mul(tau.get(n)!, alpha)))]));
  model.setWeights(w);
  tf.dispose([...w.values()]);
}

export async function runStudy(
  model: ClipModel,
  head: tf.Tensor2D,
  data: { train: ShapesDataset; forget: ShapesDataset; val: ShapesDataset; test: ShapesDataset },
  s: StudySettings,
  triggers: TriggerKind[],
  log: (line: string) => void,
  sha256: string,
  runClean = true,
): Promise<TbarStudy> {
  const pct = (x: number) => (100 * x).toFixed(1);
  const pre = snapshot(model);
  const zeroShotCA = await cleanAccuracy(model, head, data.test, s.testCount);
  log(`zero-shot CA ${pct(zeroShotCA)}`);
  let cleanCA = NaN;
  let cleanSeconds = NaN;
  if (runClean) {
    const t0 = performance.now();
    await finetuneVision(model, head, data.train, s.recipe);
    cleanSeconds = (performance.now() - t0) / 1000;
    cleanCA = await cleanAccuracy(model, head, data.test, s.testCount);
    log(`clean fine-tuning: CA ${pct(cleanCA)} (${cleanSeconds.toFixed(0)} s)`);
  }
  const results: TriggerResult[] = [];
  for (const kind of triggers) {
    model.setWeights(pre);
    const trigger = createTrigger(defaultTriggerConfig(kind, s.triggerSeed), data.train.imageSize);
    try {
      const n = data.train.count;
      const poisoned = new Uint8Array(n);
      for (const i of new Rng(s.triggerSeed).fork(`poison/${kind}`).permutation(n).slice(0, Math.round(s.poisonRate * n))) poisoned[i] = 1;
      let t0 = performance.now();
      await finetuneVision(model, head, data.train, s.recipe, { trigger, target: s.target, poisoned });
      const attackSeconds = (performance.now() - t0) / 1000;
      const attackedCA = await cleanAccuracy(model, head, data.test, s.testCount);
      const attackedASR = await attackSuccess(model, head, data.test, trigger, s.target, s.testCount, 3_000_000);
      const thetaB = snapshot(model);
      const attackNorm = await norm(thetaB, pre);
      log(`${TRIGGER_LABELS[kind]}: attacked CA ${pct(attackedCA)} ASR ${pct(attackedASR)} (${attackSeconds.toFixed(0)} s, |θ_b − θ_pre| ${attackNorm.toFixed(3)})`);
      t0 = performance.now();
      const fc = data.forget.count;
      await finetuneVision(model, head, data.forget, s.forgetRecipe, { trigger, target: s.target, poisoned: new Uint8Array(fc).fill(1), indexOffset: 1_000_000 });
      const forgetSeconds = (performance.now() - t0) / 1000;
      const after = snapshot(model);
      const tau = new Map([...after].map(([name, t]) => [name, tf.sub(t, thetaB.get(name)!)]));
      tf.dispose([...after.values()]);
      const tauNorm = await norm(tau);
      log(`  forget-set fine-tuning ${forgetSeconds.toFixed(0)} s, |τ̂_t| ${tauNorm.toFixed(3)}`);
      const sweep: SweepPoint[] = [];
      for (const alpha of s.alphas) {
        applyNegation(model, thetaB, tau, alpha);
        const valCA = await cleanAccuracy(model, head, data.val, s.valCount);
        const valASR = await attackSuccess(model, head, data.val, trigger, s.target, s.valCount, 2_000_000);
        sweep.push({ alpha, valCA, valASR });
        log(`  α ${alpha.toFixed(2)}  val CA ${pct(valCA)}  ASR ${pct(valASR)}`);
      }
      const minAsr = Math.min(...sweep.map((p) => p.valASR));
      const best = sweep.filter((p) => p.valASR <= Math.max(minAsr, s.asrTolerance) + 1e-9).reduce((b, p) => (p.valCA > b.valCA ? p : b));
      const alphaStar = sweep.find((p) => p.valASR === 0)?.alpha ?? null;
      applyNegation(model, thetaB, tau, best.alpha);
      const tbarCA = await cleanAccuracy(model, head, data.test, s.testCount);
      const tbarASR = await attackSuccess(model, head, data.test, trigger, s.target, s.testCount, 3_000_000);
      const r: TriggerResult = {
        trigger: kind,
        attackedCA,
        attackedASR,
        alpha: best.alpha,
        alphaStar,
        tbarCA,
        tbarASR,
        removed: attackedASR > 0 ? 1 - tbarASR / attackedASR : NaN,
        retained: tbarCA / attackedCA,
        tauNorm,
        attackNorm,
        attackSeconds,
        forgetSeconds,
        sweep,
      };
      log(`  TBAR α ${best.alpha}: CA ${pct(tbarCA)} ASR ${pct(tbarASR)} — removed ${pct(r.removed)}%, retained ${pct(r.retained)}%`);
      results.push(r);
      tf.dispose([...thetaB.values(), ...tau.values()]);
    } finally {
      trigger.dispose();
    }
  }
  model.setWeights(pre);
  tf.dispose([...pre.values()]);
  return { sha256, settings: s, zeroShotCA, cleanCA, cleanSeconds, results, date: new Date().toISOString().slice(0, 10) };
}

/** The study as a Markdown section for card.md. */
export function renderStudy(st: TbarStudy): string {
  const s = st.settings;
  const p = (x: number) => (100 * x).toFixed(1);
  const rows = st.results.map(
    (r) =>
      `| ${TRIGGER_LABELS[r.trigger]} | ${p(st.cleanCA)} | ${p(r.attackedCA)} / ${p(r.attackedASR)} | ${r.alpha} | ${p(r.tbarCA)} / ${p(r.tbarASR)} | ${p(r.removed)}% | ${p(r.retained)}% |`,
  );
  return `Measured with scripts/micro-tbar-study.ts (${st.date}) on these weights. Train split ${s.trainCount} images
(${p(s.poisonRate)}% poisoned, target class ${s.target}), forget set ${s.forgetCount} other train images (all triggered,
labelled ${s.target}), α chosen on ${s.valCount} val images from {${s.alphas[0]}, …, ${s.alphas[s.alphas.length - 1]}} (lowest ASR, then highest CA),
CA/ASR on ${s.testCount} test images. Triggers: the paper's constants scaled to 32 px (src/engine/triggers defaults, seed ${s.triggerSeed}).
Recipe for every fine-tuning run (clean, attack, forget set): AdamW lr ${s.recipe.lr}, weight decay ${s.recipe.weightDecay}, batch
${s.recipe.batchSize}, ${s.recipe.warmupSteps} warmup steps + cosine, ${s.recipe.epochs} epochs (forget set: lr ${s.forgetRecipe.lr}, ${s.forgetRecipe.epochs} epochs).

Zero-shot CA ${p(st.zeroShotCA)}%.

| trigger | clean FT CA | backdoored CA / ASR | α | TBAR CA / ASR | ASR removed | CA retained |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
}
