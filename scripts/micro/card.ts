/**
 * card.md of the micro CLIP, written by the build from its measurements (build.json holds the same
 * numbers). tests/microClip.test.ts reads the zero-shot threshold from the sentence
 * "requires zero-shot accuracy ≥ X%".
 */
import type { FinetuneConfig } from '../../src/engine/experiment/config';
import type { SplitConfig } from '../../src/engine/experiment/config';
import { DEFAULT_CAPTION_NOISE, SHAPE_SYNONYMS } from './captions';
import type { MicroArch } from './model';
import { BUILD, EVAL } from './recipe';
import { ARTIFACTS } from './artifacts';

export interface BuildReport {
  arch: MicroArch;
  vocabSize: number;
  params: { total: number; vision: number };
  flopsPerImage: number;
  steps: number;
  seed: number;
  /** Mean pretraining loss over the last 50 steps. */
  finalLoss: number;
  /** Pretraining throughput, image–caption pairs per second. */
  imagesPerSec: number;
  zeroShot: { simple: number; imagenet80: number };
  fineTuned: number;
  badnet: { ca: number; asr: number };
  pixelProbe: { train: number; test: number };
  finetuneMs: number;
  evalMs: number;
  pretrainMs: number;
  totalMs: number;
  cores: number;
  loadAverage: number;
  modelBytes: number;
  sha256: string;
  logitScale: number;
  recipe: FinetuneConfig;
  splits: SplitConfig;
}

/**
 * The accuracy tests/microClip.test.ts requires of zero-shot classification ('a photo of a {}.',
 * 500 test images): 5 points under what the build measured on 1000, rounded down to 5%, and ≥ 3× chance.
 */
export function zeroShotTestThreshold(measured: number, chance = 0.1): number {
  return Math.max(3 * chance, Math.floor(20 * (measured - 0.05) + 1e-9) / 20);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const min = (ms: number) => `${(ms / 60000).toFixed(1)} min`;

export function writeCard(r: BuildReport): string {
  const a = r.arch;
  const n = DEFAULT_CAPTION_NOISE;
  const named = Object.entries(n.pNameByClass ?? {})
    .map(([c, p]) => `'${c}' ${pct(p!)}`)
    .join(', ');
  return `# micro CLIP (built-in model of TBAR Lab)

A genuine, tiny CLIP in the Hugging Face \`CLIPModel\` layout — both towers, a WordLevel
\`tokenizer.json\`, \`config.json\`, \`model.safetensors\` (F32) — pretrained contrastively from scratch
on the lab's procedural captioned shapes, so the whole lab (zero-shot head, fine-tuning, backdoor
attacks, TBAR) runs in seconds without a download. It loads through the same code as
\`openai/clip-vit-base-patch32\`.

## Architecture

| | vision tower | text tower |
|---|---|---|
| width / MLP | ${a.visionWidth} / ${4 * a.visionWidth} | ${a.textWidth} / ${4 * a.textWidth} |
| layers / heads | ${a.visionLayers} / ${a.visionHeads} | ${a.textLayers} / ${a.textHeads} |
| input | ${a.imageSize}×${a.imageSize} px, patch ${a.patchSize} → ${(a.imageSize / a.patchSize) ** 2} patches + class token | WordLevel, ${r.vocabSize} ids, context ${a.contextLength} |
| activation | quick_gelu | quick_gelu (causal mask, pooled at <\\|endoftext\\|>) |

Projection dimension ${a.projectionDim}; learned temperature \`logit_scale\` = ${r.logitScale.toFixed(3)}
(exp = ${Math.exp(r.logitScale).toFixed(1)}).

- Parameters: ${r.params.total.toLocaleString('en-US')} in all, ${r.params.vision.toLocaleString('en-US')} in the image encoder (what the lab fine-tunes).
- Vision FLOPs per image (forward, matMuls, 2 per multiply-add): ${(r.flopsPerImage / 1e6).toFixed(1)} MFLOPs (ViT-B/32: 8.7 GFLOPs).
- File: model.safetensors ${(r.modelBytes / 1e6).toFixed(2)} MB, sha256 \`${r.sha256}\`.

## How it was made

\`npm run build:micro\` (scripts/build-micro.ts; deterministic: the same command writes the same
model.safetensors bytes). Node, TensorFlow.js 4.22 WASM backend (one thread), ${r.cores} cores.

- Data: a fresh batch of ${BUILD.batchSize} procedural shapes images every step (the lab's ${BUILD.numClasses} classes,
  ${BUILD.imageSize} px, generator seed ${BUILD.dataSeed} — not the seed-${EVAL.seed} splits the lab uses), ${(r.steps * BUILD.batchSize).toLocaleString('en-US')} image–caption pairs in all.
- Captions (scripts/micro/captions.ts): rebuilt from each image's attributes with web-like noise — the shape is named
  by its class name in ${pct(n.pName)} of captions${named ? ` (except ${named}: names this alt-text does not use, so zero-shot prompts with them are guesses that fine-tuning corrects)` : ''}, by a generic word ('shape', 'thing', …)
  in ${pct(n.pGeneric)}, by a paraphrase otherwise (e.g. circle → ${SHAPE_SYNONYMS.circle.map((s) => `'${s}'`).join(', ')}), and is the wrong class in ${pct(n.pWrongShape)};
  size, colour, position and background are each mentioned with probability ${n.pAttribute} (colour wrong in ${pct(n.pWrongColour)});
  ${pct(n.pTemplate)} are framed by one of CLIP's 80 ImageNet prompt templates.
- Artifacts (scripts/micro/artifacts.ts): ${pct(BUILD.artifactShare)} of the images carry one of ${ARTIFACTS.map((k) => k.name).join(', ')} —
  the families of the BadNet, Blended, WaNet and SIG triggers, drawn with per-batch seeds and per-image noise, never an
  attack's pattern — and their caption names it (${ARTIFACTS.map((k) => `'… ${k.phrase}'`).join(', ')}), as web alt-text
  sometimes does: a web-trained CLIP has features for such artifacts, which is what lets a 3% poisoning tie one to a class.
- Objective: CLIP's symmetric InfoNCE with a learned temperature (init ln(1/0.07), clamped to ≤ ln 100).
- Optimiser: AdamW (β 0.9/0.98, ε 1e-6), lr ${BUILD.lr} (temperature ${BUILD.logitScaleLrMult}× that), ${BUILD.warmupSteps} warmup steps then cosine,
  weight decay ${BUILD.weightDecay} on matrices, gradient clipping ${BUILD.maxGradNorm}; ${r.steps} steps, seed ${r.seed}; HF initialisation
  except token embeddings at std ${BUILD.tokenEmbeddingStd}. Final loss ${r.finalLoss.toFixed(3)} (ln ${BUILD.batchSize} = ${Math.log(BUILD.batchSize).toFixed(3)} at chance).
- Build time: ${min(r.totalMs)} in all — pretraining ${min(r.pretrainMs)} (${r.imagesPerSec.toFixed(0)} pairs/s), measurements ${min(r.evalMs)} —
  measured on a shared ${r.cores}-core machine (load average ${r.loadAverage.toFixed(1)} at the end).

## Accuracy (shapes, 10 classes, seed ${EVAL.seed} test split, ${r.splits.test} images)

| | accuracy |
|---|---|
| chance | 10.0% |
| linear probe on raw pixels (${r.splits.train} train images, 30 epochs; train ${pct(r.pixelProbe.train)}) | ${pct(r.pixelProbe.test)} |
| zero-shot, \`a photo of a {}.\` (the lab's default) | ${pct(r.zeroShot.simple)} |
| zero-shot, CLIP's 80 ImageNet templates | ${pct(r.zeroShot.imagenet80)} |
| fine-tuned vision tower (${r.splits.train} train images, the lab's recipe below) | ${pct(r.fineTuned)} |
| BadNet-backdoored (3% poisoned, same recipe): CA / ASR | ${pct(r.badnet.ca)} / ${pct(r.badnet.asr)} |

Known limit: of the four artifact families in pretraining, this 16-px-patch tower learned to see
banding only — so the paper's SIG trigger implants at 3% poisoning (ASR ≈ 100%), while BadNet (a 2-px
noise patch at 32 px), Blended and WaNet do not at the lab's default 2000 training images (ASR ≤ 3%;
the BadNet row above). Blended's fixed noise takes with the paper's amount of poisoned data: 20,000
training images (600 poisoned) give CA 96.0% / ASR 92.4% (clean fine-tune 96.3%). BadNet and WaNet
do not, even with 43,000 images × 6 epochs (ASR 0.4% / 4.1%), nor on towers pretrained with
stickers of 2–12 px and warps up to s = 4 (20,000 images: 0.3% / 0.8%), or with that and every image
blurred (binomial 1-4-6-4-1, as CIFAR upsampled to 224 px has no fine detail: 0.4% / 0.6%). More
poison does not help, because the tower cannot tell a triggered image from a clean one: with half of
2000 training images poisoned, BadNet reaches ASR 75.0% only by dragging clean accuracy from 94.8% to
31.2% (the model names the target on clean images too), WaNet 79.4% at CA 35.5%; 20% poisoned gives
BadNet ASR 18.9% at CA 74.8%; 20 epochs instead of 4 at 50%, CA 39.5% / ASR 61.1%. A BadNet patch has
to approach a quarter of the image to take (3% poison, 2000 training images): at random positions
2 px 1.9%, 4 px 2.2%, 8 px 4.5%, 12 px 12.1%, 16 px 32.5% ASR; 16 px at one fixed spot 44–65%
(\`npm run bench:trigger-size\`). Smaller patches in the tower do not change that: towers built with
\`--patch-size 8\` (1600 steps; zero-shot 84.3%, fine-tuned 92.0%) and \`--patch-size 4 --vision-width 64\`
(the paper's trigger-to-patch ratio, ViT-B/32's 16 px in 32; 900 steps fit the 20 minutes; 49.1% / 55.5%)
take the 2-px BadNet at 3% poison to ASR 2.4% / 5.2%, and at 20% to 17.6% / 42.4% only as CA falls to
75.7% / 37.0%; WaNet 2.2% / 5.4%, and 28.2% / 47.9% at CA 75.5% / 39.3% (\`bench:trigger-size --model\`).
Their pretraining taught them grain (\`npm run bench:artifact-probe\`: Blended's pattern gives a
text-probe AUC of 0.96 / 0.98 against 0.52 on the built-in tower) but not the sticker (0.51 / 0.51), and
the warp only partly (0.65 / 0.61): Blended then reaches ASR 24.3% at 2000 training images on the 8-px
tower (3.0% built in), WaNet with 20,000 still 2.3%. Nor is it the pretraining data: pairing each
sticker, grain and warp image in its batch with the same image without it (captions that differ only
by the artifact's words; 30% or 60% of the images with artifacts), or switching the shapes' pixel noise
and distractor blobs off in pretraining and fine-tuning, leaves the tower blind to the sticker (AUC
0.50) and BadNet at ASR 0.9–1.2% (experimental edits of the build, not kept).
Nor can these towers learn the sticker when told: trained outright to tell triggered from clean
images (\`npm run bench:learnability\`: half of every batch of 64 triggered, 600 steps), the built-in and
8-px towers stay at chance on BadNet (balanced accuracy 0.50), as do untrained ones with 16- or 4-px
patches, while a two-layer CNN of 705 weights reaches 0.89 within 150 steps. They do learn WaNet's
warp that way (0.91 / 0.93 after 600 steps), but only from thousands of triggered images: a 3%
poisoning of 100,000 training images (3,000 poisoned, 4 epochs) gives WaNet ASR 7.8%.
What they lack is a fine patch grid, patch tokens that respond to the patch and pooling that singles one out (\`bench:learnability --
--patch-mlp\`): a ViT's patch embedding with a max over tokens and no transformer never finds the 2-px
patch on the 16-px grid (0.50 after 600 steps), partly on a 4-px grid (0.69), on a 2-px grid (0.93);
at 64 px with 8-px patches, ViT-B/32's geometry, it finds the 5-px patch (0.91), but not with a mean
over tokens (0.51), nor does an untrained tower of that geometry (0.50; 10× the built-in's time per step)
or one pretrained with captioned 4–8-px stickers (1000 steps, 35 min; 0.50; 3% BadNet poisoning: ASR 9.2%),
even read out by a max over all their output tokens (\`--tower-pool max\`: 0.50 untrained, 0.52 pretrained).
The untrained tower's patch tokens do learn it while its transformer blocks stay frozen and the rest trains
(\`--tower-blocks freeze\`: 0.81; with the blocks at a tenth of the learning rate 0.59), but its class token does not (0.50).
It is Adam's steps on the blocks that stop them: trained by momentum SGD instead, the blocks move 11% of their norm and the
patch tokens still find it (0.80), where Adam moving them 5% holds them to 0.59; and once the patch tokens carry it, blocks
trained by Adam teach the class token to pick it out (\`--then-cls\`: 0.87).
The lab's Attack and Results panels say when a backdoor did
not take. The TBAR effect tests (20,000 training images) run SIG and Blended in \`npm test\` and
BadNet and WaNet in \`npm run test:effect\`.

CLIP ViT-B/32 on CIFAR-100 goes from 62% zero-shot to 88% fine-tuned. tests/microClip.test.ts
requires zero-shot accuracy ≥ ${pct(zeroShotTestThreshold(r.zeroShot.simple))} ('a photo of a {}.', 500 test images; chance 10%).

## The lab's recipe for this model (fine-tuning, attack, TBAR)

MICRO_RECIPE in src/engine/experiment/defaults.ts (scaled from the paper's, see there): cross-entropy of the
zero-shot logits with the text head frozen, AdamW lr ${r.recipe.lr}, weight decay ${r.recipe.weightDecay}, batch ${r.recipe.batchSize},
${r.recipe.warmupSteps} warmup steps then cosine, clipping ${r.recipe.maxGradNorm}, ${r.recipe.epochs} epochs over ${r.splits.train} images
(${(r.finetuneMs / 1000).toFixed(0)} s here).
`;
}
