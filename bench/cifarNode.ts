/**
 * Node-side DataLoader for DataSource 'cifar10' from the JPEG folders in ../shared/data
 * (cifar10-{train,test}-jpg/<split>/<class>/NNNN.jpg, 32×32, decoded with jpeg-js): the first
 * `perClass` images of each class of each split, class by class. For scripts (bench:tbar); the app's
 * CIFAR loader reads the Hub parquet instead.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { DataLoader } from '../src/engine/experiment/sources';
import type { LabelledImages } from '../src/engine/data/types';
import { decodeJpegFile } from '../tests/util/images';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export function readCifarFolder(dir: string, perClass: number, classNames: string[]): LabelledImages {
  const S = 32;
  const per = S * S * 3;
  const images = new Uint8Array(classNames.length * perClass * per);
  const labels = new Int32Array(classNames.length * perClass);
  let n = 0;
  CIFAR10_CLASSES.forEach((c, label) => {
    const files = readdirSync(path.join(dir, c)).filter((f) => f.endsWith('.jpg')).sort().slice(0, perClass);
    if (files.length < perClass) throw new Error(`${dir}/${c} has ${files.length} images, ${perClass} requested`);
    for (const f of files) {
      const img = decodeJpegFile(path.join(dir, c, f));
      if (img.width !== S || img.height !== S) throw new Error(`${f}: ${img.width}×${img.height}, expected 32×32`);
      images.set(img.data, n * per);
      labels[n++] = label;
    }
  });
  return { images, labels, classNames, imageSize: S, count: n };
}

export interface CifarNodeOptions {
  root: string;
  trainPerClass: number;
  testPerClass: number;
  /** Names used for the zero-shot prompts (default: CIFAR-10's own). */
  classNames?: string[];
}

export function cifar10NodeLoader(o: CifarNodeOptions): DataLoader {
  return async (source) => {
    if (source.kind !== 'cifar10') throw new Error(`cifar10NodeLoader got ${source.kind}`);
    const trainDir = path.join(o.root, 'cifar10-train-jpg/train');
    const testDir = path.join(o.root, 'cifar10-test-jpg/test');
    for (const d of [trainDir, testDir]) if (!existsSync(d)) throw new Error(`no CIFAR-10 JPEG folder at ${d}`);
    const names = o.classNames ?? CIFAR10_CLASSES;
    return {
      name: `CIFAR-10 JPEG subset (${o.trainPerClass}/${o.testPerClass} per class)`,
      pools: { train: readCifarFolder(trainDir, o.trainPerClass, names), test: readCifarFolder(testDir, o.testPerClass, names) },
    };
  };
}
