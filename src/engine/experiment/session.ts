/**
 * The experiment session: the worker's state for one ExperimentConfig pipeline, and the one place the
 * stages are wired together (the worker's job handlers are one-liners over it).
 *
 *   loadModel   → θ_pre (the model, its tokenizer, a copy of its vision tower)
 *   loadData    → pools → train / val / test / forget splits (data/splits.ts)
 *   (head)      → zero-shot head from the frozen text tower (built when model and data are there)
 *   zeroShot    → θ_pre on the test split
 *   attack      → θ_b: poisoned fine-tuning from θ_pre (optionally the clean baseline first)
 *   decree      → (TBAR+DECREE, §6, when config.forget.trigger = 'decree') a stamp inverted from θ_b
 *                 and the target it steers to: the forget set's trigger and label from then on
 *   tbar        → τ̂_t = θ_{b+t} − θ_b (eq. 4), with the per-epoch curve
 *   sweep       → θ̂_c(α) = θ_b − α·τ̂_t (eq. 5) over the α grid, α selected, scored on test
 *   disentangle → ξ(α_c, α_t) (eq. 2)
 *   gradientAscent, predictSamples, xiCellSamples, previewTrigger, exportWeights
 *
 * Weights stay here (tensors never cross to the UI). Each stored output carries a stamp of the config
 * parts it was made from (stages.ts); a stage whose input is missing or was made from different parts
 * throws StaleStageError ('stale-stage') naming the stage to rerun. One job runs at a time: jobs queue
 * on a lock (a queued job that is cancelled before its turn never starts). Every job sets the model
 * weights it needs before it runs; none relies on what the previous job left in the live variables.
 *
 * Seeds: everything derives from config.seed (data, splits, poisoning, data order) and
 * config.trigger.seed (patterns), so a run reproduces bit for bit on the same backend.
 */
import { tf } from '../tf';
import { isVisionWeight, type CLIPConfig } from '../clip/config';
import type { ClipModel } from '../clip/model';
import { TEMPLATE_SETS } from '../clip/templates';
import { buildZeroShotHead } from '../clip/zeroshot';
import { throwIfAborted } from '../cancel';
import { range, rawBatch, toBytes, trainingSet, type BatchOptions } from '../data/batches';
import { poisonTrainingSplit } from '../data/poison';
import { doubled, headOf, makeSplits, pick, withoutClass, type ExperimentSplits, type ImageSplit } from '../data/splits';
import { writeSafetensors, type NamedTensor } from '../io/safetensors';
import { createTrigger, describeTrigger } from '../triggers';
import type { Trigger, TriggerConfig } from '../triggers/types';
import { INPUT_CACHE_BYTES, InputCache, TRAINING_INPUT_CACHE_BYTES } from '../eval/inputCache';
import { asrOnSplit, EVAL_BATCH_SIZE, evaluateSplit, predictSplit, probabilitiesSplit, scoreSplit, scoreSplitByClass, type EvalContext } from '../eval/evaluate';
import type { ClassCounts } from '../eval/byClass';
import type { EvalBatchPlan } from '../eval/batchPlan';
import { finetuneVision } from '../train/finetune';
import { releaseFreeGpuBuffers } from '../webgpuMemory';
import { gradientAscent } from '../train/gradientAscent';
import { alphaStar, decompose, differingFirst, runDisentanglement, type DomainPredictions } from '../arithmetic/disentanglement';
import { coarseGrid, removalFigures, runSweep, type ValScores } from '../arithmetic/sweep';
import { estimateTriggerVector, forgetSet } from '../arithmetic/tbar';
import { invertTrigger, type InvertedTrigger } from '../inversion/decree';
import { stampTrigger } from '../inversion/stamp';
import { inferTarget } from '../inversion/targetLabel';
import { cloneWeights, disposeWeights, loadArithmetic, TaskVector, type WeightMap } from '../arithmetic/taskVector';
import { forgetOf, type DecreeConfig, type ExperimentConfig, type FinetuneConfig } from './config';
import type {
  AttackResult,
  BatchLimit,
  DataSummary,
  DecreeResult,
  DecreeStageProgress,
  DecreeStampSummary,
  DisentangleResult,
  EvalProgress,
  ExportedFile,
  GaPoint,
  GaResult,
  ImageStrip,
  LoadProgress,
  ModelSummary,
  SamplePredictions,
  Scores,
  SweepPoint,
  SweepResult,
  TbarResult,
  TrainProgress,
  TriggerPreview,
  XiCell,
  XiCellSamples,
  ZeroShotResult,
} from './results';
import { BUILTIN_SOURCES, SourceError, type FileSource, type LoadedData, type LoadedModel, type SourceRegistry, type UserFile } from './sources';
import { derivedSeed, isFresh, requireFresh, stableJson, stampOf, type Stamp } from './stages';
import { ExperimentConfigError, validateConfig } from './validate';
import { loadVisionFile, pickedFile } from './visionFile';

/** What a stage reports to (a JobContext satisfies it). */
export interface StageContext<P = EvalProgress, Q = never> {
  signal?: AbortSignal;
  progress?(p: P): void;
  partial?(q: Q): void;
}

/**
 * Builds the zero-shot head [classes, E] from the frozen text tower (default: buildZeroShotHead, not
 * cached). The worker passes one that keeps heads in the browser cache (hub/textHead.ts).
 */
export type HeadBuilder = (
  loaded: LoadedModel,
  classNames: readonly string[],
  templates: readonly string[],
  opts: { maxLength: number; progress?: (p: LoadProgress) => void; signal?: AbortSignal },
) => Promise<tf.Tensor2D>;

/**
 * How many images one forward/backward pass of a fine-tuning stage may hold on this device
 * (memory/plan.ts chooseBatchSize): the requested batch, or with the reason a chunk of it whose
 * gradients the stage sums (`chunks`), or for DECREE (`chunks: false`) a smaller batch; and the bytes
 * the budget has left beside such a step (for the stage's InputCache). Throws when even one image
 * does not fit.
 */
export type BatchFitter = (model: CLIPConfig, requested: number, opts: { classes: number; chunks: boolean }) => { batchSize: number; limitedBy?: string; spareBytes?: number };

export interface SessionOptions {
  sources?: SourceRegistry;
  files?: FileSource;
  /** Evaluation batches: a size (default EVAL_BATCH_SIZE; a short last batch runs short), or a rule
   *  given the loaded model (the worker's: eval/batchPlan.ts). */
  evalBatch?: number | ((model: CLIPConfig) => EvalBatchPlan);
  buildHead?: HeadBuilder;
  /** Default: the configured batch size, unchecked. */
  fitBatch?: BatchFitter;
}

/** The head without a cache: the text tower over every class × template, with LoadProgress. */
export const uncachedHead: HeadBuilder = (loaded, classNames, templates, { maxLength, progress }) => {
  const message = 'embedding the class prompts (zero-shot head)';
  progress?.({ phase: 'text-head', done: 0, total: classNames.length * templates.length, message });
  return buildZeroShotHead(loaded.model, (texts) => loaded.tokenizer.tokenize(texts, maxLength), classNames, templates, {
    onProgress: (done, total) => progress?.({ phase: 'text-head', done, total, message }),
  });
};

interface ModelState {
  loaded: LoadedModel;
  stamp: Stamp;
  /** θ_pre, vision tower. */
  thetaPre: WeightMap;
}

interface DataState {
  loaded: LoadedData;
  splits: ExperimentSplits;
  stamp: Stamp;
}

/** Classes of the loaded data (the text head's rows). */
const classCount = (data: DataState) => data.loaded.pools.train.classNames.length;

interface BackdoorState {
  thetaB: WeightMap;
  stamp: Stamp;
  result: AttackResult;
}

/** The forget set's trigger and label when they are not the attack's (TBAR+DECREE). */
interface ProxyState {
  trigger: TriggerConfig;
  target: number;
  stamp: Stamp;
  result: DecreeResult;
}

interface TriggerVectorState {
  tauHat: TaskVector;
  stamp: Stamp;
  result: TbarResult;
}

interface SweepState {
  result: SweepResult;
  stamp: Stamp;
}

const templatesOf = (c: ExperimentConfig): readonly string[] => TEMPLATE_SETS[c.templates];

export class ExperimentSession {
  private readonly sources: SourceRegistry;
  private readonly files: FileSource | undefined;
  private readonly evalBatch: number | ((model: CLIPConfig) => EvalBatchPlan);
  private readonly buildHead: HeadBuilder;
  private readonly fitBatch: BatchFitter | undefined;
  private model: ModelState | null = null;
  private data: DataState | null = null;
  private head: { tensor: tf.Tensor2D; stamp: Stamp } | null = null;
  private backdoor: BackdoorState | null = null;
  private proxy: ProxyState | null = null;
  private triggerVector: TriggerVectorState | null = null;
  private sweepState: SweepState | null = null;
  private lock: Promise<void> = Promise.resolve();

  constructor(opts: SessionOptions = {}) {
    this.sources = opts.sources ?? BUILTIN_SOURCES;
    this.files = opts.files;
    this.evalBatch = opts.evalBatch ?? EVAL_BATCH_SIZE;
    this.buildHead = opts.buildHead ?? uncachedHead;
    this.fitBatch = opts.fitBatch;
  }

  // ---- jobs --------------------------------------------------------------------------------

  /**
   * θ_pre from config.model (kept when the same model is already loaded). `dropped`: the user's files
   * for model { kind: 'file' }; giving them always loads them (a file's name says nothing of its bytes).
   * A failed load keeps the previous model.
   */
  loadModel(config: ExperimentConfig, ctx: StageContext<LoadProgress> = {}, dropped?: readonly UserFile[]): Promise<ModelSummary> {
    return this.exclusive(ctx.signal, async () => {
      validateConfig(config);
      if (dropped?.length || !isFresh('loadModel', this.model?.stamp, config)) {
        const loader = this.sources.models[config.model.kind];
        if (!loader) throw new SourceError('unsupported-source', `no loader for model source '${config.model.kind}' in this build`);
        const loaded = await loader(config.model, { files: this.files, dropped, signal: ctx.signal, progress: ctx.progress });
        this.dropModel();
        this.model = { loaded, stamp: stampOf('loadModel', config), thetaPre: cloneWeights(loaded.model) };
      }
      if (this.data && isFresh('loadData', this.data.stamp, config)) await this.ensureHead(config, ctx.progress, ctx.signal);
      return this.modelSummary();
    });
  }

  /**
   * The pools of config.data, split by config.seed (kept when already loaded for the same parts).
   * `dropped`: the user's folder for data { kind: 'folder' } (always loaded when given).
   */
  loadData(config: ExperimentConfig, ctx: StageContext<LoadProgress> = {}, dropped?: readonly UserFile[]): Promise<DataSummary> {
    return this.exclusive(ctx.signal, async () => {
      validateConfig(config);
      if (dropped?.length || !isFresh('loadData', this.data?.stamp, config)) {
        const loader = this.sources.data[config.data.kind];
        if (!loader) throw new SourceError('unsupported-source', `no loader for data source '${config.data.kind}' in this build`);
        const loaded = await loader(config.data, { seed: config.seed, splits: config.splits }, { files: this.files, dropped, signal: ctx.signal, progress: ctx.progress });
        const splits = makeSplits(loaded.pools, config.splits, config.seed);
        this.dropData();
        this.data = { loaded, splits, stamp: stampOf('loadData', config) };
      }
      if (this.model && isFresh('loadModel', this.model.stamp, config)) await this.ensureHead(config, ctx.progress, ctx.signal);
      return this.dataSummary();
    });
  }

  /**
   * A few clean and triggered validation images at model resolution (data's resolution without a model).
   * It previews the TRIGGER, so it uses whatever data is loaded, even if the config's data settings have
   * changed since (new split sizes, say): the lab's panel keeps showing the chosen trigger while the data
   * waits to be loaded again, as the mock engine does.
   */
  previewTrigger(config: ExperimentConfig, count: number, ctx: StageContext<never> = {}): Promise<TriggerPreview> {
    return this.exclusive(ctx.signal, async () => {
      validateConfig(config);
      if (!this.data) requireFresh('loadData', null, config, 'previewTrigger'); // throws: no data yet
      const data = this.data!;
      const S = this.model && isFresh('loadModel', this.model.stamp, config) ? this.model.loaded.model.config.vision_config.image_size : data.loaded.pools.train.imageSize;
      const split = headOf(data.splits.val, count);
      const trigger = createTrigger(config.trigger, S);
      try {
        const clean = await this.strip(split, { imageSize: S, rows: 'none' });
        const triggered = await this.strip(split, { imageSize: S, trigger, rows: 'all' });
        return { clean, triggered, description: describeTrigger(config.trigger, S) };
      } finally {
        trigger.dispose();
      }
    });
  }

  /** θ_pre on the test split: CA, the trigger's ASR (≈ chance for a clean model) and per-class accuracy. */
  zeroShot(config: ExperimentConfig, ctx: StageContext<EvalProgress> = {}): Promise<ZeroShotResult> {
    return this.exclusive(ctx.signal, async () => {
      const { model, data } = await this.ready(config, 'zeroShot', ctx);
      model.loaded.model.setWeights(model.thetaPre);
      return this.withTrigger(config, async (trigger) => {
        ctx.progress?.({ done: 0, total: 1, message: 'θ_pre on the test split' });
        const ev = await evaluateSplit(this.evalCtx(trigger, ctx.signal), data.splits.test, config.attack.target, classCount(data));
        ctx.progress?.({ done: 1, total: 1, message: 'done' });
        return { test: { ca: ev.scores.ca, asr: ev.scores.asr }, perClass: ev.perClass };
      });
    });
  }

  /**
   * Poisoned fine-tuning from θ_pre → θ_b (appendix A.1/A.2), optionally preceded by the clean baseline.
   * With config.backdoor = { kind: 'file' }, θ_b is instead the vision tower of the checkpoint in
   * `dropped` (visionFile.ts); either way it is then scored on the test split with the config's trigger.
   */
  attack(config: ExperimentConfig, cleanBaseline: boolean, ctx: StageContext<TrainProgress> = {}, dropped?: readonly UserFile[]): Promise<AttackResult> {
    return this.exclusive(ctx.signal, async () => {
      const { model, data } = await this.ready(config, 'attack', ctx);
      const m = model.loaded.model;
      const S = m.config.vision_config.image_size;
      const train = data.splits.train;
      const poison = poisonTrainingSplit(train.labels, config.attack.target, config.attack.poisonRate, derivedSeed(config.seed, 'poison'), classCount(data));
      const orderSeed = derivedSeed(config.seed, 'attack/order');
      const { hp, microBatchSize, batchLimit } = this.fitted(config.attack, m.config, data);
      return this.withTrigger(config, async (trigger) => {
        const ev = this.evalCtx(trigger, ctx.signal);
        let cleanTest: Scores | undefined;
        if (cleanBaseline) {
          m.setWeights(model.thetaPre);
          await finetuneVision({
            model: m,
            head: this.head!.tensor,
            data: trainingSet(train, train.labels, { imageSize: S, rows: 'none' }),
            hp,
            microBatchSize,
            seed: orderSeed, // same data order and schedule as the attack, no poison
            stage: 'clean',
            onProgress: ctx.progress,
            signal: ctx.signal,
          });
          cleanTest = scoresOf(await scoreSplit(ev, data.splits.test, config.attack.target));
        }
        let thetaB: WeightMap;
        let losses: number[] = [];
        let fromFile: AttackResult['fromFile'];
        let trainSeconds: number | undefined;
        if (config.backdoor) {
          const file = pickedFile(dropped, 'θ_b', config.backdoor.name);
          const loaded = await loadVisionFile(file, model.thetaPre, 'backdoor', { signal: ctx.signal });
          thetaB = loaded.tensors;
          fromFile = { name: file.name, taken: loaded.taken, ignored: loaded.ignored };
          m.setWeights(thetaB);
        } else {
          m.setWeights(model.thetaPre);
          const t0 = performance.now();
          ({ losses } = await finetuneVision({
            model: m,
            head: this.head!.tensor,
            data: trainingSet(train, poison.labels, { imageSize: S, trigger, rows: poison.mask }),
            hp,
            microBatchSize,
            seed: orderSeed,
            stage: 'attack',
            onProgress: ctx.progress,
            signal: ctx.signal,
          }));
          trainSeconds = (performance.now() - t0) / 1000;
          thetaB = cloneWeights(m);
        }
        let test: Scores;
        let byClass: ClassCounts;
        try {
          const scored = await scoreSplitByClass(ev, data.splits.test, config.attack.target, classCount(data));
          test = scoresOf(scored);
          byClass = scored.byClass;
        } catch (e) {
          disposeWeights(thetaB);
          throw e;
        }
        const result: AttackResult = {
          test,
          byClass,
          cleanTest,
          losses,
          poisoned: fromFile ? 0 : poison.positions.length,
          ...(trainSeconds !== undefined && { trainSeconds }),
          ...(batchLimit && !fromFile && { batchLimit }),
          ...(fromFile && { fromFile }),
        };
        this.dropBackdoor();
        this.backdoor = { thetaB, stamp: stampOf('attack', config), result };
        return result;
      });
    });
  }

  /**
   * TBAR+DECREE (§6, appendix A.3.5, C.1): invert a stamp from θ_b on the forget split's clean images
   * (and from θ_pre, DECREE's detection baseline, when asked), then infer the class it steers to by
   * probing θ_b with it (or by the logit shift from θ_pre, C.1). TBAR and gradient ascent then use
   * this stamp and class for their forget set, and the sweep's rules read its ASR (the proxy ASR).
   */
  decree(config: ExperimentConfig, ctx: StageContext<DecreeStageProgress> = {}): Promise<DecreeResult> {
    return this.exclusive(ctx.signal, async () => {
      const { model, data } = await this.ready(config, 'DECREE', ctx);
      const backdoor = this.requireBackdoor(config, 'DECREE');
      const d = decreeOf(config);
      const m = model.loaded.model;
      const S = m.config.vision_config.image_size;
      const images = headOf(data.splits.forget, d.images); // clean: their trigger rows are never set
      // A DECREE step holds a fine-tuning step's activations: the device's memory plan limits its batch too.
      const { hp, microBatchSize, batchLimit } = this.fitted({ ...config.tbar, batchSize: d.batchSize }, m.config, data, false);
      const invert = async (weights: WeightMap, phase: DecreeStageProgress['phase']): Promise<{ inv: InvertedTrigger; summary: DecreeStampSummary }> => {
        m.setWeights(weights);
        const curve: DecreeStampSummary['curve'] = [];
        const inv = await invertTrigger({
          ...d,
          batchSize: microBatchSize ?? hp.batchSize, // DECREE's own batch: smaller, not chunked
          model: m,
          images,
          imageSize: S,
          seed: derivedSeed(config.seed, 'decree'),
          signal: ctx.signal,
          onProgress: (p) => {
            curve.push({ restart: p.restart, similarity: p.similarity, pl1: p.pl1 });
            ctx.progress?.({ ...p, phase });
          },
        });
        return { inv, summary: { l1: inv.l1, pl1: inv.pl1, similarity: inv.similarity, reachedThreshold: inv.reachedThreshold, runs: inv.runs, curve } };
      };
      const backdoored = await invert(backdoor.thetaB, 'backdoored');
      const clean = d.baseline ? (await invert(model.thetaPre, 'clean')).summary : undefined;
      const trigger = stampTrigger(backdoored.inv, config.seed);
      const t = createTrigger(trigger, S);
      try {
        const ev = this.evalCtx(t, ctx.signal);
        m.setWeights(backdoor.thetaB);
        const probsB = await probabilitiesSplit(ev, images, 'all');
        m.setWeights(model.thetaPre);
        const probsPre = await probabilitiesSplit(ev, images, 'all');
        const inference = inferTarget(probsB, probsPre, classCount(data));
        const stamped = await this.strip(headOf(images, 8), { imageSize: S, trigger: t, rows: 'all' });
        const result: DecreeResult = { trigger, backdoored: backdoored.summary, ...(clean && { clean }), inference, stamped, ...(batchLimit && { batchLimit }) };
        this.dropProxy();
        this.proxy = { trigger, target: inference.target, stamp: stampOf('decree', config), result };
        return result;
      } finally {
        t.dispose();
      }
    });
  }

  /**
   * Fine-tune θ_b on the forget set → τ̂_t = θ_{b+t} − θ_b (eq. 4), with the per-epoch curve (Fig. 3);
   * with config.triggerVector, load τ̂_t from the file in `dropped` instead (§5.2 transfer).
   * `perEpoch: false` skips that curve (scripts and tests that only need τ̂_t; perEpoch is then []).
   */
  tbar(
    config: ExperimentConfig,
    ctx: StageContext<TrainProgress> = {},
    opts: { perEpoch?: boolean } = {},
    dropped?: readonly UserFile[],
  ): Promise<TbarResult> {
    if (config.triggerVector) return this.loadTriggerVector(config, config.triggerVector.name, ctx, dropped);
    return this.forgetStage(config, 'TBAR', ctx, async ({ model, data, backdoor, target, hp, batchLimit, ev, valScores, train }) => {
      const run = await estimateTriggerVector({
        ...train,
        hp,
        onProgress: ctx.progress,
        signal: ctx.signal,
        perEpoch: opts.perEpoch === false ? undefined : {
          alphas: coarseGrid(config.sweep.alphas),
          asrThreshold: config.sweep.asrThreshold,
          score: {
            val: valScores,
            test: async () => scoresOf(await scoreSplit(ev, data.splits.test, target)),
          },
        },
      });
      return this.keepTriggerVector(config, run.tauHat, model, backdoor, { losses: run.losses, perEpoch: run.perEpoch, ...(batchLimit && { batchLimit }) });
    });
  }

  /**
   * config.triggerVector: τ̂_t is the vision tower of the picked .safetensors file in `dropped` (e.g. the
   * lab's "Trigger vector τ̂_t" export from another run), checked against θ_pre's names and shapes —
   * the transfer of §5.2 / Table 2. No fine-tuning; the sweep then applies it to this θ_b.
   */
  private loadTriggerVector(config: ExperimentConfig, name: string, ctx: StageContext<TrainProgress>, dropped?: readonly UserFile[]): Promise<TbarResult> {
    return this.exclusive(ctx.signal, async () => {
      const { model } = await this.ready(config, 'TBAR', ctx);
      const backdoor = this.requireBackdoor(config, 'TBAR');
      const file = pickedFile(dropped, 'τ̂_t', name);
      const loaded = await loadVisionFile(file, model.thetaPre, 'trigger-vector', { signal: ctx.signal });
      const fromFile = { name: file.name, taken: loaded.taken, ignored: loaded.ignored };
      return this.keepTriggerVector(config, new TaskVector(loaded.tensors), model, backdoor, { losses: [], perEpoch: [], fromFile });
    });
  }

  /** Store τ̂_t as the tbar stage's output (taking ownership) and report ‖τ̂_t‖, ‖τ_b‖ and their cosine. */
  private async keepTriggerVector(
    config: ExperimentConfig,
    tauHat: TaskVector,
    model: ModelState,
    backdoor: BackdoorState,
    rest: Omit<TbarResult, 'triggerNorm' | 'backdoorNorm' | 'cosine'>,
  ): Promise<TbarResult> {
    try {
      const tauB = TaskVector.fromDifference(backdoor.thetaB, model.thetaPre);
      let result: TbarResult;
      try {
        result = { ...rest, triggerNorm: await tauHat.norm(), backdoorNorm: await tauB.norm(), cosine: await tauHat.cosine(tauB) };
      } finally {
        tauB.dispose();
      }
      this.dropTriggerVector();
      this.triggerVector = { tauHat, stamp: stampOf('tbar', config), result };
      return result;
    } catch (e) {
      tauHat.dispose();
      throw e;
    }
  }

  /** θ̂_c(α) = θ_b − α·τ̂_t (eq. 5) on the α grid, one partial per α; α by config.sweep.rule; test scores. */
  sweep(config: ExperimentConfig, ctx: StageContext<EvalProgress, SweepPoint> = {}): Promise<SweepResult> {
    return this.exclusive(ctx.signal, async () => {
      const { model, data } = await this.ready(config, 'sweep', ctx);
      const backdoor = this.requireBackdoor(config, 'the sweep');
      const tv = this.requireTriggerVector(config, 'the sweep');
      const m = model.loaded.model;
      const target = config.attack.target;
      const s = config.sweep;
      return this.withTrigger(config, (trigger) => this.withProxy(config, 'the sweep', async (proxy) => {
        const ev = this.evalCtx(trigger, ctx.signal);
        const t0 = performance.now();
        const inputs = this.inputCache(INPUT_CACHE_BYTES); // every α scores the same validation images
        const run = await runSweep({
          ...s,
          signal: ctx.signal,
          evaluate: async (alpha) => {
            loadArithmetic(m, backdoor.thetaB, [[tv.tauHat, -alpha]]); // eq. 5
            return this.valScores({ ...ev, inputs }, data.splits.val, target, classCount(data), proxy);
          },
          onPoint: (p, i) => {
            ctx.partial?.(p);
            const ms = performance.now() - t0;
            ctx.progress?.({ done: i + 1, total: s.alphas.length, message: `α = ${p.alpha}`, etaMs: (ms / (i + 1)) * (s.alphas.length - i - 1) });
          },
        }).finally(() => inputs.dispose());
        const alpha = run.selection.alpha;
        loadArithmetic(m, backdoor.thetaB, [[tv.tauHat, -alpha]]);
        const scored = await scoreSplitByClass(ev, data.splits.test, target, classCount(data));
        const test = scoresOf(scored);
        // θ_b on the same test split, scored by the attack stage.
        const { test: backdoored, byClass: backdooredByClass } = backdoor.result;
        const result: SweepResult = {
          points: run.points,
          rule: s.rule,
          alpha,
          test,
          backdoored,
          ...(backdooredByClass && { byClass: { backdoored: backdooredByClass, cleaned: scored.byClass } }),
          ...removalFigures(backdoored, test),
          satisfied: run.selection.satisfied,
        };
        this.sweepState = { result, stamp: stampOf('sweep', config) };
        return result;
      }));
    });
  }

  /** ξ(α_c, α_t) of eq. 2 on [−range, range]², coarse to fine, one partial per cell. */
  disentangle(config: ExperimentConfig, ctx: StageContext<EvalProgress, XiCell> = {}): Promise<DisentangleResult> {
    return this.exclusive(ctx.signal, () =>
      this.withDecomposition(config, 'the disentanglement error', ctx, async ({ trigger, star, predictModel }) => {
        const d = config.disentangle;
        const ev = { ...this.evalCtx(trigger, ctx.signal), inputs: this.inputCache(INPUT_CACHE_BYTES) }; // every cell runs the same images
        const grid = await runDisentanglement({
          range: d.range,
          levels: d.levels,
          signal: ctx.signal,
          onCell: (c) => ctx.partial?.(c),
          onProgress: ctx.progress,
          predict: (alphaC, alphaT) => predictModel(ev, alphaC, alphaT),
        }).finally(() => ev.inputs.dispose());
        return { alphaStar: star.alpha, alphaStarExact: star.exact, range: d.range, size: grid.size, cells: grid.cells };
      }),
    );
  }

  /**
   * One ξ cell image by image (the heatmap's cell inspector): the merged model θ_pre + α_c τ̂_c + α_t τ_t
   * and the single-task model of each image set, on all of ξ's images; strips of `count` of them per
   * set, those where the two models differ first.
   */
  xiCellSamples(config: ExperimentConfig, alphaC: number, alphaT: number, count: number, ctx: StageContext<never> = {}): Promise<XiCellSamples> {
    return this.exclusive(ctx.signal, () => {
      for (const [name, v] of [['α_c', alphaC], ['α_t', alphaT]] as const) {
        if (!Number.isFinite(v)) throw new ExperimentConfigError([{ path: name, code: 'out-of-range', message: `${name} must be a finite number, got ${v}` }]);
      }
      if (!Number.isInteger(count) || count < 1) throw new ExperimentConfigError([{ path: 'count', code: 'out-of-range', message: `count must be a positive integer, got ${count}` }]);
      return this.withDecomposition(config, 'inspecting a ξ cell', ctx, async ({ trigger, star, images, predictModel }) => {
        const S = this.model!.loaded.model.config.vision_config.image_size;
        const ev = this.evalCtx(trigger, ctx.signal);
        // The three models of the cell, run exactly as the map ran them (the same batches, so the same numbers).
        const merged = await predictModel(ev, alphaC, alphaT);
        const cleanSingle = Array.from((await predictModel(ev, alphaC, 0)).clean);
        const triggeredSingle = Array.from((await predictModel(ev, 0, alphaT)).triggered);
        const cleanMerged = Array.from(merged.clean);
        const triggeredMerged = Array.from(merged.triggered);
        const cleanShown = differingFirst(cleanMerged, cleanSingle, count);
        const triggeredShown = differingFirst(triggeredMerged, triggeredSingle, count);
        return {
          alphaC,
          alphaT,
          alphaStar: star.alpha,
          cleanMerged,
          cleanSingle,
          triggeredMerged,
          triggeredSingle,
          cleanShown,
          triggeredShown,
          clean: await this.strip(pick(images, cleanShown), { imageSize: S, rows: 'none' }),
          triggered: await this.strip(pick(images, triggeredShown), { imageSize: S, trigger, rows: 'all' }),
        };
      });
    });
  }

  /** Gradient ascent from θ_b on the forget set with TBAR's hyper-parameters; test CA/ASR per epoch. */
  gradientAscent(config: ExperimentConfig, ctx: StageContext<TrainProgress, GaPoint> = {}): Promise<GaResult> {
    return this.forgetStage(config, 'gradient ascent', ctx, async ({ data, target, hp, batchLimit, ev, train }) => {
      const run = await gradientAscent({
        ...train, // same forget-set order as TBAR
        hp,
        epochs: config.ga.epochs,
        scoreTest: async () => scoresOf(await scoreSplit(ev, data.splits.test, target)),
        onProgress: ctx.progress,
        onPoint: (p) => ctx.partial?.(p),
        signal: ctx.signal,
      });
      return { points: run.points, ...(batchLimit && { batchLimit }) };
    });
  }

  /** θ̂_c(α) on the first `count` test images whose class ≠ target, clean and triggered. */
  predictSamples(config: ExperimentConfig, alpha: number, count: number, ctx: StageContext<never> = {}): Promise<SamplePredictions> {
    return this.exclusive(ctx.signal, async () => {
      const { model, data } = await this.ready(config, 'predictSamples', ctx);
      const backdoor = this.requireBackdoor(config, 'predictSamples');
      const m = model.loaded.model;
      const S = m.config.vision_config.image_size;
      if (alpha !== 0) loadArithmetic(m, backdoor.thetaB, [[this.requireTriggerVector(config, `predictSamples at α = ${alpha}`).tauHat, -alpha]]);
      else m.setWeights(backdoor.thetaB);
      const images = headOf(withoutClass(data.splits.test, config.attack.target), count);
      return this.withTrigger(config, async (trigger) => {
        const ev = this.evalCtx(trigger, ctx.signal);
        return {
          alpha,
          clean: await this.strip(images, { imageSize: S, rows: 'none' }),
          triggered: await this.strip(images, { imageSize: S, trigger, rows: 'all' }),
          cleanPred: Array.from(await predictSplit(ev, images, 'none')),
          triggeredPred: Array.from(await predictSplit(ev, images, 'all')),
        };
      });
    });
  }

  /**
   * safetensors in HF layout: the cleaned model θ_b − α·τ̂_t (α: the given one, else the sweep's),
   * θ_b, or τ̂_t (vision tower tensors only). __metadata__ holds the config JSON.
   */
  exportWeights(config: ExperimentConfig, what: 'cleaned' | 'backdoored' | 'trigger-vector', alpha?: number, ctx: StageContext<never> = {}): Promise<ExportedFile> {
    return this.exclusive(ctx.signal, async () => {
      const { model } = await this.ready(config, 'exportWeights', ctx);
      const m = model.loaded.model;
      const backdoor = this.requireBackdoor(config, 'exportWeights');
      const meta: Record<string, string> = { format: 'pt', 'tbar.config': stableJson(config), 'tbar.what': what };
      let tensors: NamedTensor[];
      let a: number | undefined;
      if (what === 'trigger-vector') {
        const tv = this.requireTriggerVector(config, 'exporting the trigger vector');
        tensors = [];
        for (const [name, t] of tv.tauHat.tensors) tensors.push({ name, shape: [...t.shape], data: (await t.data()) as Float32Array });
      } else {
        if (what === 'cleaned') {
          if (alpha === undefined) requireFresh('sweep', this.sweepState?.stamp, config, 'exporting the cleaned model without an explicit α');
          const chosen = alpha ?? this.sweepState!.result.alpha;
          a = chosen;
          loadArithmetic(m, backdoor.thetaB, [[this.requireTriggerVector(config, 'exporting the cleaned model').tauHat, -chosen]]);
          meta['tbar.alpha'] = String(chosen);
        } else {
          m.setWeights(backdoor.thetaB);
        }
        tensors = await m.toStateDict();
      }
      const bytes = writeSafetensors(tensors, meta);
      const base = model.loaded.name.split(' ')[0];
      const fileName = `${base}-${what === 'cleaned' ? `cleaned-alpha${a}` : what}.safetensors`;
      return { fileName, mimeType: 'application/octet-stream', bytes };
    });
  }

  /** Free every tensor the session holds. */
  dispose(): void {
    this.dropModel();
    this.dropData();
  }

  // ---- state ---------------------------------------------------------------------------------

  private dropSweep(): void {
    this.sweepState = null;
  }

  private dropTriggerVector(): void {
    this.triggerVector?.tauHat.dispose();
    this.triggerVector = null;
    this.dropSweep();
  }

  private dropProxy(): void {
    this.proxy = null;
    this.dropTriggerVector();
  }

  private dropBackdoor(): void {
    if (this.backdoor) disposeWeights(this.backdoor.thetaB);
    this.backdoor = null;
    this.dropProxy();
  }

  private dropHead(): void {
    this.head?.tensor.dispose();
    this.head = null;
    this.dropBackdoor();
  }

  private dropModel(): void {
    this.dropHead();
    if (this.model) {
      disposeWeights(this.model.thetaPre);
      this.model.loaded.model.dispose();
    }
    this.model = null;
  }

  private dropData(): void {
    this.dropHead();
    this.data = null;
  }

  /** Run `fn` when every earlier job has finished; a job cancelled while queued never starts. */
  private async exclusive<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const prev = this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((r) => (release = r));
    try {
      await prev;
      throwIfAborted(signal);
      return await fn();
    } finally {
      releaseFreeGpuBuffers(); // what this stage cached on the GPU (webgpuMemory.ts)
      release();
    }
  }

  private requireData(config: ExperimentConfig, needer: string): DataState {
    requireFresh('loadData', this.data?.stamp, config, needer);
    return this.data!;
  }

  /** Model and data loaded for this config, head built, config valid for the data. */
  private async ready(config: ExperimentConfig, needer: string, ctx: { signal?: AbortSignal }): Promise<{ model: ModelState; data: DataState }> {
    const data = this.requireData(config, needer);
    validateConfig(config, { numClasses: classCount(data) });
    requireFresh('loadModel', this.model?.stamp, config, needer);
    await this.ensureHead(config, undefined, ctx.signal);
    return { model: this.model!, data };
  }

  private async ensureHead(config: ExperimentConfig, progress?: (p: LoadProgress) => void, signal?: AbortSignal): Promise<void> {
    if (this.head && isFresh('head', this.head.stamp, config)) return;
    const loaded = this.model!.loaded;
    const classNames = this.data!.loaded.pools.train.classNames;
    const maxLength = Math.min(77, loaded.model.config.text_config.max_position_embeddings);
    throwIfAborted(signal);
    const tensor = await this.buildHead(loaded, classNames, templatesOf(config), { maxLength, progress, signal });
    this.head?.tensor.dispose(); // stage outputs made with the old head are told apart by their stamps
    this.head = { tensor, stamp: stampOf('head', config) };
  }

  /**
   * How a fine-tuning recipe runs on this device: whole batches when they fit, else each batch of
   * hp.batchSize in chunks of `microBatchSize` with their gradients summed (train/loop.ts), so the
   * recipe (steps, schedule, the batch the optimizer sees) is the configured one either way.
   * `chunks: false` (DECREE): `microBatchSize` is a smaller batch to use instead.
   */
  private fitted(hp: FinetuneConfig, model: CLIPConfig, data: DataState, chunks = true): { hp: FinetuneConfig; microBatchSize?: number; batchLimit?: BatchLimit; spareBytes?: number } {
    if (!this.fitBatch) return { hp };
    const choice = this.fitBatch(model, hp.batchSize, { classes: classCount(data), chunks });
    const spare = choice.spareBytes === undefined ? {} : { spareBytes: choice.spareBytes };
    if (choice.batchSize >= hp.batchSize) return { hp, ...spare };
    return {
      hp,
      microBatchSize: choice.batchSize,
      batchLimit: { used: choice.batchSize, requested: hp.batchSize, reason: choice.limitedBy ?? `batch ${hp.batchSize} does not fit this device` },
      ...spare,
    };
  }

  /**
   * The set-up TBAR and gradient ascent share: θ_b fresh, TBAR's recipe fitted to the device, the
   * trigger, and the forget set (triggered forget images labelled with the target, eq. 4's D_t) in
   * the same seeded order for both.
   */
  private forgetStage<T>(
    config: ExperimentConfig,
    needer: string,
    ctx: { signal?: AbortSignal },
    fn: (s: {
      model: ModelState;
      data: DataState;
      backdoor: BackdoorState;
      target: number;
      hp: FinetuneConfig;
      batchLimit?: BatchLimit;
      /** The attack's trigger (test scores are always the true attack's). */
      ev: EvalContext;
      /** Validation scores of the current weights, with the proxy ASR under TBAR+DECREE. */
      valScores: () => Promise<ValScores>;
      train: { model: ClipModel; head: tf.Tensor2D; thetaB: WeightMap; forget: ReturnType<typeof forgetSet>; seed: number; microBatchSize?: number };
    }) => Promise<T>,
  ): Promise<T> {
    return this.exclusive(ctx.signal, async () => {
      const { model, data } = await this.ready(config, needer, ctx);
      const backdoor = this.requireBackdoor(config, needer);
      const m = model.loaded.model;
      const target = config.attack.target;
      const { hp, microBatchSize, batchLimit, spareBytes } = this.fitted(config.tbar, m.config, data);
      return this.withTrigger(config, (trigger) => this.withProxy(config, needer, (proxy) => {
        // Known trigger: the attack's trigger and target; TBAR+DECREE: the inverted stamp and the inferred class.
        const forget = forgetSet(data.splits.forget, proxy?.target ?? target, { imageSize: m.config.vision_config.image_size, trigger: proxy?.trigger ?? trigger });
        const train = { model: m, head: this.head!.tensor, thetaB: backdoor.thetaB, forget, seed: derivedSeed(config.seed, 'tbar/order'), microBatchSize };
        // TBAR's per-epoch α search and gradient ascent's per-epoch test score the same images each epoch.
        const ev = { ...this.evalCtx(trigger, ctx.signal), inputs: this.inputCache(Math.min(TRAINING_INPUT_CACHE_BYTES, spareBytes ?? Infinity)) };
        const valScores = () => this.valScores(ev, data.splits.val, target, classCount(data), proxy);
        return fn({ model, data, backdoor, target, hp, batchLimit, ev, valScores, train }).finally(() => ev.inputs.dispose());
      }));
    });
  }

  /** CA and ASR of the live weights on `split` (and its clean predictions counted by class), and the
   *  proxy's ASR (its stamp, its class) when there is one. */
  private async valScores(ev: EvalContext, split: ImageSplit, target: number, numClasses: number, proxy: { trigger: Trigger; target: number } | null): Promise<ValScores> {
    const scored = await scoreSplitByClass(ev, split, target, numClasses);
    const val = { ...scoresOf(scored), byClass: scored.byClass };
    if (!proxy) return val;
    return { ...val, proxyAsr: (await asrOnSplit({ ...ev, trigger: proxy.trigger }, split, proxy.target)).rate };
  }

  /**
   * Run `fn` with the forget set's proxy trigger and target when config.forget asks for DECREE's (the
   * decree stage must be fresh), or with null in the known-trigger setting.
   */
  private async withProxy<T>(config: ExperimentConfig, needer: string, fn: (proxy: { trigger: Trigger; target: number } | null) => Promise<T>): Promise<T> {
    if (forgetOf(config).trigger === 'known') return fn(null);
    requireFresh('decree', this.proxy?.stamp, config, needer);
    const trigger = createTrigger(this.proxy!.trigger, this.model!.loaded.model.config.vision_config.image_size);
    try {
      return await fn({ trigger, target: this.proxy!.target });
    } finally {
      trigger.dispose();
    }
  }

  private requireBackdoor(config: ExperimentConfig, needer: string): BackdoorState {
    requireFresh('attack', this.backdoor?.stamp, config, needer);
    return this.backdoor!;
  }

  private requireTriggerVector(config: ExperimentConfig, needer: string): TriggerVectorState {
    requireFresh('tbar', this.triggerVector?.stamp, config, needer);
    return this.triggerVector!;
  }

  /**
   * What ξ is measured on (§5.1): α* from the fresh sweep, τ̂_c = τ_b − α*·τ̂_t and τ_t = α*·τ̂_t
   * (disposed after fn), the trigger, ξ's images (the first `disentangle.samples` validation images),
   * and `predictModel`: θ_pre + α_c τ̂_c + α_t τ_t's predictions on them, clean and triggered.
   */
  private async withDecomposition<T>(
    config: ExperimentConfig,
    needer: string,
    ctx: { signal?: AbortSignal },
    fn: (d: { star: { alpha: number; exact: boolean }; trigger: Trigger; images: ImageSplit; predictModel: (ev: EvalContext, alphaC: number, alphaT: number) => Promise<DomainPredictions> }) => Promise<T>,
  ): Promise<T> {
    const { model, data } = await this.ready(config, needer, ctx);
    const backdoor = this.requireBackdoor(config, needer);
    const tv = this.requireTriggerVector(config, needer);
    requireFresh('sweep', this.sweepState?.stamp, config, `${needer} (α* = smallest α with ASR = 0)`);
    const star = alphaStar(this.sweepState!.result.points);
    const { tauC, tauT } = decompose(model.thetaPre, backdoor.thetaB, tv.tauHat, star.alpha);
    try {
      const images = headOf(data.splits.val, config.disentangle.samples);
      // The same images clean then triggered, in one pass per model: on a GPU one batch of 512, where
      // two forwards of 200 padded to 512 each cost the same per-kernel time.
      const n = images.rows.length;
      const both = doubled(images);
      const secondHalf = Uint8Array.from({ length: 2 * n }, (_, i) => (i < n ? 0 : 1));
      const predictModel = async (ev: EvalContext, alphaC: number, alphaT: number): Promise<DomainPredictions> => {
        loadArithmetic(model.loaded.model, model.thetaPre, [
          [tauC, alphaC],
          [tauT, alphaT],
        ]);
        const p = await predictSplit(ev, both, secondHalf);
        return { clean: p.subarray(0, n), triggered: p.subarray(n) };
      };
      return await this.withTrigger(config, (trigger) => fn({ star, trigger, images, predictModel }));
    } finally {
      tauC.dispose();
      tauT.dispose();
    }
  }

  private async withTrigger<T>(config: ExperimentConfig, fn: (t: Trigger) => Promise<T>): Promise<T> {
    const trigger = createTrigger(config.trigger, this.model!.loaded.model.config.vision_config.image_size);
    try {
      return await fn(trigger);
    } finally {
      trigger.dispose();
    }
  }

  private evalCtx(trigger: Trigger, signal?: AbortSignal): EvalContext {
    const model = this.model!.loaded.model;
    const plan = this.evalPlan();
    return { model, head: this.head!.tensor, imageSize: model.config.vision_config.image_size, trigger, batchSize: plan.size, padToBatch: plan.padToBatch, signal };
  }

  private evalPlan(): EvalBatchPlan {
    const model = this.model!.loaded.model;
    return typeof this.evalBatch === 'function' ? this.evalBatch(model.config) : { size: this.evalBatch, padToBatch: false, inputCacheBytes: INPUT_CACHE_BYTES };
  }

  /** An InputCache of at most `limit` bytes and what the evaluation plan leaves room for. The caller disposes it. */
  private inputCache(limit: number): InputCache {
    return new InputCache(Math.min(limit, this.evalPlan().inputCacheBytes));
  }

  private async strip(split: ImageSplit, opts: BatchOptions): Promise<ImageStrip> {
    const raw = rawBatch(split, range(split.rows.length), opts);
    try {
      return { size: opts.imageSize, count: split.rows.length, pixels: await toBytes(raw), labels: Array.from(split.labels) };
    } finally {
      raw.dispose();
    }
  }

  private modelSummary(): ModelSummary {
    const m: ClipModel = this.model!.loaded.model;
    const v = m.config.vision_config;
    return {
      name: this.model!.loaded.name,
      imageSize: v.image_size,
      patchSize: v.patch_size,
      params: m.numParams(),
      visionParams: m.numParams(isVisionWeight),
      flopsPerImage: m.flopsPerImage(),
      clipConfig: structuredClone(m.config),
      ...(this.model!.loaded.fromCache !== undefined && { fromCache: this.model!.loaded.fromCache }),
      ...(this.model!.loaded.warnings?.length && { warnings: [...this.model!.loaded.warnings] }),
    };
  }

  private dataSummary(): DataSummary {
    const d = this.data!;
    const p = d.loaded.pools.train;
    const s = d.splits;
    return {
      name: d.loaded.name,
      classNames: [...p.classNames],
      imageSize: p.imageSize,
      counts: { train: s.train.rows.length, val: s.val.rows.length, test: s.test.rows.length, forget: s.forget.rows.length },
      ...(d.loaded.fromCache !== undefined && { fromCache: d.loaded.fromCache }),
      ...(d.loaded.warnings?.length && { warnings: [...d.loaded.warnings] }),
    };
  }

  // ---- for tests and scripts ----------------------------------------------------------------

  /** The live model (tests; weights are whatever the last job left). */
  get clipModel(): ClipModel | null {
    return this.model?.loaded.model ?? null;
  }

  /** Copies of the stage outputs' vision weights (tests: hashes, algebra checks). Caller disposes. */
  snapshot(which: 'thetaPre' | 'thetaB' | 'tauHat'): WeightMap | null {
    const src = which === 'thetaPre' ? this.model?.thetaPre : which === 'thetaB' ? this.backdoor?.thetaB : this.triggerVector?.tauHat.tensors;
    if (!src) return null;
    const out = new Map<string, tf.Tensor>();
    for (const [n, t] of src) out.set(n, tf.clone(t));
    return out;
  }

  /** The splits in use (tests). */
  get splits(): ExperimentSplits | null {
    return this.data?.splits ?? null;
  }
}

/** config.forget.decree, or a clear error when the configuration does not ask for DECREE. */
function decreeOf(config: ExperimentConfig): DecreeConfig {
  const f = forgetOf(config);
  if (f.trigger !== 'decree') {
    throw new ExperimentConfigError([{ path: 'forget.trigger', code: 'unknown-kind', message: "DECREE runs only when the forget set's trigger is reverse-engineered: set config.forget to { trigger: 'decree', decree: {…} }" }]);
  }
  return f.decree;
}

function scoresOf(s: Scores): Scores {
  return { ca: s.ca, asr: s.asr };
}
