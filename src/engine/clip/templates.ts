/**
 * Prompt templates for zero-shot classification heads.
 *
 * IMAGENET_TEMPLATES is CLIP's list of 80 ImageNet prompt templates, copied verbatim and in order from
 * the `imagenet_templates` cell of openai/CLIP `notebooks/Prompt_Engineering_for_ImageNet.ipynb`
 * (commit 0f8656596bf596470b4d6d84ab1a086545b4ffaa; MIT licence). The same list is
 * `openai_imagenet_template` in mlfoundations/task_vectors. Grammar slips such as "a origami {}." are
 * part of the original and are kept: the published zero-shot numbers were measured with them.
 *
 * tests/fixtures/tokenizer/templates.json is a JSON dump of this list; the Python tokenizer golden
 * reads it, and tests/tokenizer.test.ts asserts it equals IMAGENET_TEMPLATES (one source of truth).
 *
 * CIFAR_TEMPLATES is CLIP's 18 CIFAR-10/CIFAR-100 templates (openai/CLIP `data/prompts.md`), which
 * task_vectors (Ilharco et al., 2022a) uses for both CIFAR datasets (`cifar10_template` and
 * `cifar100_template` in src/datasets/templates.py are this list). The TBAR paper adopts Ilharco et al.'s
 * configuration per dataset (appendix A.2.1), so a real CLIP on CIFAR gets this head by default.
 */

/** Placeholder that `fillTemplate` replaces with the class name. */
export const TEMPLATE_PLACEHOLDER = '{}';

/** The single template used when no ensemble is wanted. */
export const SIMPLE_TEMPLATE = 'a photo of a {}.';

/** CLIP's 80 ImageNet templates (ensemble in the zero-shot head). */
export const IMAGENET_TEMPLATES: readonly string[] = Object.freeze([
  'a bad photo of a {}.',
  'a photo of many {}.',
  'a sculpture of a {}.',
  'a photo of the hard to see {}.',
  'a low resolution photo of the {}.',
  'a rendering of a {}.',
  'graffiti of a {}.',
  'a bad photo of the {}.',
  'a cropped photo of the {}.',
  'a tattoo of a {}.',
  'the embroidered {}.',
  'a photo of a hard to see {}.',
  'a bright photo of a {}.',
  'a photo of a clean {}.',
  'a photo of a dirty {}.',
  'a dark photo of the {}.',
  'a drawing of a {}.',
  'a photo of my {}.',
  'the plastic {}.',
  'a photo of the cool {}.',
  'a close-up photo of a {}.',
  'a black and white photo of the {}.',
  'a painting of the {}.',
  'a painting of a {}.',
  'a pixelated photo of the {}.',
  'a sculpture of the {}.',
  'a bright photo of the {}.',
  'a cropped photo of a {}.',
  'a plastic {}.',
  'a photo of the dirty {}.',
  'a jpeg corrupted photo of a {}.',
  'a blurry photo of the {}.',
  'a photo of the {}.',
  'a good photo of the {}.',
  'a rendering of the {}.',
  'a {} in a video game.',
  'a photo of one {}.',
  'a doodle of a {}.',
  'a close-up photo of the {}.',
  'a photo of a {}.',
  'the origami {}.',
  'the {} in a video game.',
  'a sketch of a {}.',
  'a doodle of the {}.',
  'a origami {}.',
  'a low resolution photo of a {}.',
  'the toy {}.',
  'a rendition of the {}.',
  'a photo of the clean {}.',
  'a photo of a large {}.',
  'a rendition of a {}.',
  'a photo of a nice {}.',
  'a photo of a weird {}.',
  'a blurry photo of a {}.',
  'a cartoon {}.',
  'art of a {}.',
  'a sketch of the {}.',
  'a embroidered {}.',
  'a pixelated photo of a {}.',
  'itap of the {}.',
  'a jpeg corrupted photo of the {}.',
  'a good photo of a {}.',
  'a plushie {}.',
  'a photo of the nice {}.',
  'a photo of the small {}.',
  'a photo of the weird {}.',
  'the cartoon {}.',
  'art of the {}.',
  'a drawing of the {}.',
  'a photo of the large {}.',
  'a black and white photo of a {}.',
  'the plushie {}.',
  'a dark photo of a {}.',
  'itap of a {}.',
  'graffiti of the {}.',
  'a toy {}.',
  'itap of my {}.',
  'a photo of a cool {}.',
  'a photo of a small {}.',
  'a tattoo of the {}.',
]);

/** CLIP's 18 CIFAR templates, in the order of openai/CLIP `data/prompts.md` and task_vectors. */
export const CIFAR_TEMPLATES: readonly string[] = Object.freeze([
  'a photo of a {}.',
  'a blurry photo of a {}.',
  'a black and white photo of a {}.',
  'a low contrast photo of a {}.',
  'a high contrast photo of a {}.',
  'a bad photo of a {}.',
  'a good photo of a {}.',
  'a photo of a small {}.',
  'a photo of a big {}.',
  'a photo of the {}.',
  'a blurry photo of the {}.',
  'a black and white photo of the {}.',
  'a low contrast photo of the {}.',
  'a high contrast photo of the {}.',
  'a bad photo of the {}.',
  'a good photo of the {}.',
  'a photo of the small {}.',
  'a photo of the big {}.',
]);

/** The prompt sets a zero-shot head can be built from (ExperimentConfig.templates). */
export type TemplateSet = 'simple' | 'imagenet80' | 'cifar18';

export const TEMPLATE_SETS: Readonly<Record<TemplateSet, readonly string[]>> = Object.freeze({
  simple: Object.freeze([SIMPLE_TEMPLATE]),
  imagenet80: IMAGENET_TEMPLATES,
  cifar18: CIFAR_TEMPLATES,
});

export const TEMPLATE_SET_IDS = Object.keys(TEMPLATE_SETS) as TemplateSet[];

export const isTemplateSet = (v: unknown): v is TemplateSet => typeof v === 'string' && Object.hasOwn(TEMPLATE_SETS, v);

/**
 * Fill a template: every `{}` becomes `className` (as Python's `template.format(classname)` does for
 * these one-placeholder templates). The class name is inserted literally (no `$&`-style expansion).
 */
export function fillTemplate(template: string, className: string): string {
  return template.split(TEMPLATE_PLACEHOLDER).join(className);
}
