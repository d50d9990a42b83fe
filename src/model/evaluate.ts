// Measuring a model: logits over a data set, accuracy, and how far a quantized model's logits
// are from the original's (SQNR, cosine, KL divergence of the softmax, top-1 agreement).
import { compare } from '../metrics.js';
import { Tensor, expectTensor } from '../tensor.js';
import type { Sequential } from './sequential.js';

/** Logits [count, classes] for images [count · in], in batches, the kernels off the main thread. */
export async function predict(model: Sequential, images: Float32Array, opts: { batchSize?: number } = {}): Promise<Tensor> {
  const batch = opts.batchSize ?? 1000;
  const inF = model.inFeatures, outF = model.outFeatures;
  if (!(images instanceof Float32Array)) throw new TypeError('images must be a Float32Array of count · inFeatures values');
  if (images.length % inF !== 0) throw new RangeError(`images have ${images.length} values, not a multiple of the model's ${inF} inputs`);
  const count = images.length / inF;
  const out = new Float32Array(count * outF);
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    const y = await model.forward(new Tensor('float32', images.subarray(i * inF, (i + n) * inF), [n, inF]));
    out.set(y.data as Float32Array, i * outF);
  }
  return new Tensor('float32', out, [count, outF]);
}

/** Fraction of rows whose largest logit is at the label. */
export function accuracy(logits: Tensor, labels: Uint8Array | ArrayLike<number>): number {
  expectTensor(logits, 'logits', ['float32'], 2);
  const [count, classes] = logits.dims;
  if (labels.length !== count) throw new RangeError(`${labels.length} labels for ${count} rows of logits`);
  const z = logits.data as Float32Array;
  let right = 0;
  for (let r = 0; r < count; r++) if (argmax(z, r * classes, classes) === labels[r]) right++;
  return count ? right / count : 0;
}

function argmax(z: Float32Array, off: number, n: number): number {
  let best = 0;
  for (let c = 1; c < n; c++) if (z[off + c] > z[off + best]) best = c;
  return best;
}

function logSoftmax(z: Float32Array, off: number, n: number, out: Float64Array) {
  let max = -Infinity;
  for (let c = 0; c < n; c++) max = Math.max(max, z[off + c]);
  let sum = 0;
  for (let c = 0; c < n; c++) sum += Math.exp(z[off + c] - max);
  const lse = max + Math.log(sum);
  for (let c = 0; c < n; c++) out[c] = z[off + c] - lse;
}

export interface LogitComparison {
  /** SQNR of the logits, dB. */
  sqnrDb: number;
  cosine: number;
  /** Mean KL(softmax(reference) ‖ softmax(approx)) per row, nats. */
  kl: number;
  /** Fraction of rows with the same top-1 class. */
  agreement: number;
}

/** How far approx's logits are from the reference's. */
export function compareLogits(reference: Tensor, approx: Tensor): LogitComparison {
  const { sqnrDb, cosine } = compare(reference, approx);
  expectTensor(reference, 'reference', ['float32'], 2);
  const [count, classes] = reference.dims;
  const r = reference.data as Float32Array, a = approx.data as Float32Array;
  const lr = new Float64Array(classes), la = new Float64Array(classes);
  let kl = 0, same = 0;
  for (let i = 0; i < count; i++) {
    logSoftmax(r, i * classes, classes, lr);
    logSoftmax(a, i * classes, classes, la);
    for (let c = 0; c < classes; c++) kl += Math.exp(lr[c]) * (lr[c] - la[c]);
    if (argmax(r, i * classes, classes) === argmax(a, i * classes, classes)) same++;
  }
  return { sqnrDb, cosine, kl: count ? kl / count : 0, agreement: count ? same / count : 1 };
}
