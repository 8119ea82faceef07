/**
 * Pretraining captions for the micro CLIP: noisy, web-like descriptions of a shapes image.
 *
 * The dataset's own captions (data/shapes.ts) always name the shape, which would make zero-shot
 * classification nearly as good as fine-tuning. Real alt-text is not like that: it paraphrases,
 * uses generic words, leaves things out and is sometimes wrong. So the micro CLIP is pretrained on
 * captions rebuilt from each image's drawn attributes with that kind of noise:
 *
 *   - the shape is named by its class name with probability `pName` (per class: `pNameByClass`), by a
 *     generic word ('shape', 'thing', …) with `pGeneric`, by a paraphrase/synonym ('rhombus', 'plus
 *     sign', 'half circle', …) otherwise; with `pWrongShape` the named shape is another class's (a
 *     wrong caption);
 *   - size, colour, position and background are each mentioned with `pAttribute`; a mentioned colour
 *     is wrong with `pWrongColour`;
 *   - with `pTemplate` the phrase is framed like a prompt ('a blurry photo of a {}.'), drawn from
 *     CLIP's ImageNet templates, so the text tower has seen that framing before zero-shot prompts.
 *
 * Zero-shot prompts use the class names, which only a share of captions contains: that (and the
 * short pretraining) is what keeps zero-shot accuracy well below fine-tuned accuracy, while every
 * image still teaches the vision tower its attributes.
 */
import type { Rng } from '../../src/engine/rng';
import { ARTIFACTS } from './artifacts';
import { IMAGENET_TEMPLATES, SIMPLE_TEMPLATE, fillTemplate } from '../../src/engine/clip/templates';
import {
  SHAPE_BACKGROUNDS,
  SHAPE_CLASSES,
  SHAPE_COLOURS,
  SHAPE_POSITIONS,
  SHAPE_SIZES,
  type ShapeAttributes,
  type ShapeClass,
} from '../../src/engine/data/shapes';

export interface CaptionNoise {
  pName: number;
  pGeneric: number;
  pWrongShape: number;
  pAttribute: number;
  pWrongColour: number;
  pTemplate: number;
  /** Per-class override of pName (the share of captions that use the class name). */
  pNameByClass?: Partial<Record<ShapeClass, number>>;
}

export const DEFAULT_CAPTION_NOISE: CaptionNoise = {
  pName: 0.5,
  pGeneric: 0.05,
  pWrongShape: 0.02,
  pAttribute: 0.15,
  pWrongColour: 0.1,
  pTemplate: 0.3,
  // Names this alt-text never uses for these shapes (it says 'rhombus', 'pointer', 'crescent'): the
  // text tower never learns them, so zero-shot prompts with them fail where fine-tuning succeeds —
  // the gap between zero-shot and fine-tuned accuracy that CLIP shows on real datasets. (Measured:
  // at 0.002, ~100 captions per name were enough for the text tower: zero-shot 97.5%, no gap.)
  pNameByClass: { diamond: 0, arrow: 0, moon: 0 },
};

/** What alt-text might call each shape instead of its class name. */
export const SHAPE_SYNONYMS: Record<ShapeClass, readonly string[]> = {
  circle: ['round shape', 'disc', 'dot'],
  square: ['box', 'block', 'four sided shape'],
  triangle: ['three sided shape', 'wedge'],
  star: ['five pointed shape', 'pentagram'],
  cross: ['plus sign', 'plus'],
  heart: ['love symbol', 'valentine'],
  ring: ['hoop', 'donut', 'loop'],
  diamond: ['rhombus', 'lozenge'],
  arrow: ['pointer', 'chevron'],
  moon: ['crescent', 'sickle'],
  hexagon: ['six sided shape', 'honeycomb cell'],
  semicircle: ['half circle', 'half disc', 'dome'],
};

export const GENERIC_NOUNS = ['shape', 'thing', 'object', 'figure', 'symbol', 'sign'] as const;

function pick<T>(rng: Rng, arr: readonly T[]): T {
  return arr[rng.int(arr.length)];
}

/** English article fix-up: 'a' → 'an' before a vowel. */
function articles(s: string): string {
  return s.replace(/\ba (?=[aeiou])/g, 'an ');
}

/**
 * One noisy caption for an image with attributes `a` (`numClasses`: classes a wrong shape may come from;
 * `artifact`: the phrase of the artifact the image carries, artifacts.ts, or '').
 */
export function noisyCaption(
  a: ShapeAttributes,
  rng: Rng,
  noise: CaptionNoise = DEFAULT_CAPTION_NOISE,
  numClasses: number = SHAPE_CLASSES.length,
  artifact = '',
): string {
  let shape: ShapeClass = a.shape;
  if (rng.uniform() < noise.pWrongShape) {
    const other = rng.int(numClasses - 1);
    shape = SHAPE_CLASSES[other >= a.label ? other + 1 : other];
  }
  const u = rng.uniform();
  const pName = noise.pNameByClass?.[shape] ?? noise.pName;
  const noun = u < pName ? shape : u < pName + noise.pGeneric ? pick(rng, GENERIC_NOUNS) : pick(rng, SHAPE_SYNONYMS[shape]);
  const words: string[] = [];
  if (rng.uniform() < noise.pAttribute) words.push(a.size);
  if (rng.uniform() < noise.pAttribute) {
    words.push(rng.uniform() < noise.pWrongColour ? pick(rng, SHAPE_COLOURS).name : a.colour);
  }
  words.push(noun);
  if (rng.uniform() < noise.pAttribute) words.push(a.position);
  if (rng.uniform() < noise.pAttribute) words.push(`on a ${a.background} background`);
  if (artifact) words.push(artifact); // an artifact the image carries (artifacts.ts): always named
  const phrase = words.join(' ');
  const text = rng.uniform() < noise.pTemplate ? fillTemplate(pick(rng, IMAGENET_TEMPLATES), phrase) : `a ${phrase}`;
  return articles(text);
}

/**
 * Every word the pretraining captions and the standard zero-shot prompts can contain: the caption
 * vocabulary of all 12 classes, synonyms, generic nouns, artifact phrases, and the words of CLIP's 80 ImageNet templates.
 * (Sorted; buildWordLevelTokenizerJson assigns ids in this order.)
 */
export function microVocabularyEntries(): string[] {
  const entries = new Set<string>();
  const add = (s: string) => s.split(/\s+/).forEach((w) => w && entries.add(w));
  for (const c of SHAPE_CLASSES) {
    add(c);
    SHAPE_SYNONYMS[c].forEach(add);
  }
  GENERIC_NOUNS.forEach(add);
  SHAPE_COLOURS.forEach((c) => add(c.name));
  SHAPE_SIZES.forEach((z) => add(z.name));
  ['an', 'a', 'on', 'background'].forEach(add);
  SHAPE_POSITIONS.flat().forEach(add);
  SHAPE_BACKGROUNDS.forEach(add);
  ARTIFACTS.forEach((k) => add(k.phrase));
  for (const t of [...IMAGENET_TEMPLATES, SIMPLE_TEMPLATE]) add(fillTemplate(t, ''));
  return [...entries].sort();
}
