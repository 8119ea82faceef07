/**
 * card.md of the micro CLIP, written by the build from its measurements; the TBAR feasibility table
 * comes from tbar-study.json (scripts/micro-tbar-study.ts) when it was made for these exact weights.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CLIPConfig } from '../../src/engine/clip/config';
import { DEFAULT_CAPTION_NOISE, SHAPE_SYNONYMS } from './captions';
import type { MicroArch } from './model';
import { BUILD, EVAL, FINETUNE_RECIPE } from './recipe';
import type { Throughput } from './speed';
import { renderStudy, type TbarStudy } from './study';

export interface BuildReport {
  arch: MicroArch;
  config: CLIPConfig;
  vocabSize: number;
  params: { total: number; vision: number };
  flopsPerImage: number;
  steps: number;
  seed: number;
  zeroShot: Record<string, number>;
  fineTuned: number;
  speed: Throughput;
  pretrainMs: number;
  finetuneMs: number;
  totalMs: number;
  cores: number;
  loadAverage: number;
  modelBytes: number;
  sha256: string;
  logitScale: number;
}

/** The accuracy tests/microClip.test.ts requires of zero-shot classification (stated in card.md). */
export const ZERO_SHOT_TEST_THRESHOLD = 0.35;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const min = (ms: number) => `${(ms / 60000).toFixed(1)} min`;

export function writeCard(r: BuildReport, outDir: string): string {
  const a = r.arch;
  const n = DEFAULT_CAPTION_NOISE;
  let study = '';
  const studyPath = path.join(outDir, 'tbar-study.json');
  if (fs.existsSync(studyPath)) {
    const s = JSON.parse(fs.readFileSync(studyPath, 'utf8')) as TbarStudy;
    study = s.sha256 === r.sha256 ? renderStudy(s) : `_tbar-study.json was made for other weights (sha256 ${s.sha256.slice(0, 12)}…); rerun \`npx tsx scripts/micro-tbar-study.ts\`._\n`;
  } else {
    study = '_Not yet measured for these weights: run `npx tsx scripts/micro-tbar-study.ts`._\n';
  }
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
model.safetensors bytes). Node, TensorFlow.js ${'4.22'} WASM backend, ${r.cores} cores.

- Data: a fresh batch of ${BUILD.batchSize} procedural shapes images every step (all ${BUILD.numClasses} classes,
  ${BUILD.imageSize} px, generator seed ${BUILD.dataSeed} — not the seed-${EVAL.dataSeed} splits the lab uses), ${(r.steps * BUILD.batchSize).toLocaleString('en-US')} image–caption pairs in all.
- Captions (scripts/micro/captions.ts): rebuilt from each image's attributes with web-like noise — the shape is named
  by its class name in ${pct(n.pName)} of captions, by a paraphrase (e.g. circle → ${SHAPE_SYNONYMS.circle.map((s) => `'${s}'`).join(', ')})
  in ${pct(n.pSynonym)}, by a generic word ('shape', 'thing', …) otherwise, and is the wrong class in ${pct(n.pWrongShape)};
  size, colour, position and background are each mentioned with probability ${n.pAttribute} (colour wrong in ${pct(n.pWrongColour)});
  ${pct(n.pTemplate)} are framed by one of CLIP's 80 ImageNet prompt templates.
- Objective: CLIP's symmetric InfoNCE with a learned temperature (init ln(1/0.07), clamped to ≤ ln 100).
- Optimiser: AdamW (β 0.9/0.98, ε 1e-6), lr ${BUILD.lr}, ${BUILD.warmupSteps} warmup steps then cosine, weight decay ${BUILD.weightDecay} on matrices,
  gradient clipping ${BUILD.maxGradNorm}; ${r.steps} steps, seed ${r.seed}.
- Build time: ${min(r.totalMs)} in all (pretraining ${min(r.pretrainMs)}), measured on a shared ${r.cores}-core machine (load average ${r.loadAverage.toFixed(1)} at the end).

## Accuracy (shapes, 10 classes, seed ${EVAL.dataSeed} test split, ${EVAL.testCount} images)

| | accuracy |
|---|---|
| chance | 10.0% |
| zero-shot, \`a photo of a {}.\` | ${pct(r.zeroShot.simple)} |
| zero-shot, CLIP's 80 ImageNet templates | ${pct(r.zeroShot.imagenet80)} |
| fine-tuned vision tower (${EVAL.trainCount} train images, recipe below) | ${pct(r.fineTuned)} |

The gap mirrors CLIP ViT-B/32 on CIFAR-100 (62% zero-shot → 88% fine-tuned). tests/microClip.test.ts
requires zero-shot accuracy ≥ ${pct(ZERO_SHOT_TEST_THRESHOLD)} (80 templates, 500 test images).

## Recipe for the lab (fine-tuning, attack, TBAR)

Fine-tuning the vision tower on cross-entropy of the zero-shot logits (frozen head, 80 templates):
AdamW lr ${FINETUNE_RECIPE.lr}, weight decay ${FINETUNE_RECIPE.weightDecay}, batch ${FINETUNE_RECIPE.batchSize}, ${FINETUNE_RECIPE.warmupSteps} warmup steps then cosine, ${FINETUNE_RECIPE.epochs} epochs
(${(r.finetuneMs / 1000).toFixed(0)} s for ${EVAL.trainCount} images here).

## Speed (vision tower, batch 64, this machine)

Forward ${r.speed.forwardImagesPerSec.toFixed(0)} images/s; forward + backward ${r.speed.trainImagesPerSec.toFixed(0)} images/s.

## TBAR feasibility

${study}`;
}
