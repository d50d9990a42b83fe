// Fashion-MNIST (Zalando Research, MIT licence): the full set from Debian's
// dataset-fashion-mnist package when installed, else the 2,000-image test subset bundled with
// lowbit, so that the demo needs no download.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bad } from '../io/reader.js';
import { readIdx } from './idx.js';

export const FASHION_MNIST_CLASSES = Object.freeze([
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
]);

/** Where Debian's dataset-fashion-mnist package puts the files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** lowbit's bundled model and test subset. */
export const BUNDLED_MODEL_DIR = fileURLToPath(new URL('../../models/fashion-mnist-mlp/', import.meta.url));

/** Labelled images as the model sees them: pixels / 255, one row of 784 floats per image. */
export interface LabelledImages {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  features: number;
  /** Where the images came from (files read). */
  source: string;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** Reads an images file and a labels file (IDX, gzipped or not) into a LabelledImages. */
export async function readLabelledImages(imagesPath: string, labelsPath: string): Promise<LabelledImages> {
  const [img, lab] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
  if (img.dims.length !== 3) throw bad(imagesPath, `images must be [count, rows, cols], got [${img.dims.join(', ')}]`);
  if (lab.dims.length !== 1) throw bad(labelsPath, `labels must be [count], got [${lab.dims.join(', ')}]`);
  if (img.dims[0] !== lab.dims[0]) throw bad(labelsPath, `${lab.dims[0]} labels for ${img.dims[0]} images`);
  for (let i = 0; i < lab.data.length; i++) {
    if (lab.data[i] > 9) throw bad(labelsPath, `label ${i} is ${lab.data[i]}, not a class 0-9`);
  }
  const features = img.dims[1] * img.dims[2];
  const images = new Float32Array(img.data.length);
  for (let i = 0; i < images.length; i++) images[i] = img.data[i] / 255;
  return { images, labels: lab.data, count: img.dims[0], features, source: `${imagesPath}, ${labelsPath}` };
}

/**
 * Fashion-MNIST's train or test split from `dir` (default: Debian's package). Throws a coded
 * error naming the package when the files are absent.
 */
export async function loadFashionMnist(split: 'train' | 'test', dir = DEBIAN_FASHION_MNIST_DIR): Promise<LabelledImages> {
  const stem = split === 'train' ? 'train' : 't10k';
  const images = join(dir, `${stem}-images-idx3-ubyte.gz`);
  if (!(await exists(images))) {
    throw bad(images, 'Fashion-MNIST is not there: install Debian\'s dataset-fashion-mnist package (apt-get install dataset-fashion-mnist) or pass its folder');
  }
  return readLabelledImages(images, join(dir, `${stem}-labels-idx1-ubyte.gz`));
}

/**
 * The test images for evaluation: the full 10k test split when Debian's package is installed,
 * else the first 2,000 test images bundled with lowbit.
 */
export async function loadFashionMnistTest(opts: { bundledOnly?: boolean } = {}): Promise<LabelledImages> {
  if (!opts.bundledOnly && (await exists(join(DEBIAN_FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz')))) {
    return loadFashionMnist('test');
  }
  return readLabelledImages(join(BUNDLED_MODEL_DIR, 'test-2k-images-idx3-ubyte.gz'), join(BUNDLED_MODEL_DIR, 'test-2k-labels-idx1-ubyte.gz'));
}

/** The 500 training images bundled with lowbit for calibration and sensitivity analysis. */
export async function loadFashionMnistCalibration(): Promise<LabelledImages> {
  return readLabelledImages(join(BUNDLED_MODEL_DIR, 'calib-500-images-idx3-ubyte.gz'), join(BUNDLED_MODEL_DIR, 'calib-500-labels-idx1-ubyte.gz'));
}
