/**
 * The dataset interface every loader implements (procedural shapes, CIFAR folders, parquet, a folder
 * of images dropped on the page). CPU side only: pixels stay bytes until a batch is uploaded.
 */
export interface LabelledImages {
  /** [N, S, S, 3] RGB, 0..255, row-major (NHWC). */
  images: Uint8Array;
  /** [N] class index into `classNames`. */
  labels: Int32Array;
  /** Class names, plain English words a tokenizer handles (used for zero-shot prompts). */
  classNames: string[];
  /** S: images are square, S×S. */
  imageSize: number;
  /** N. */
  count: number;
  /** [N] one caption per image, for contrastive (image–caption) training, where the set has them. */
  captions?: string[];
}

/** The three disjoint splits a dataset can be drawn from. */
export type Split = 'train' | 'val' | 'test';
