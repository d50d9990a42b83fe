// Error metrics between a reference tensor and its approximation.
import { Tensor, expectTensor } from './tensor.js';

export interface Comparison {
  mse: number;
  rmse: number;
  maxAbs: number;
  /** Signal-to-quantization-noise ratio, 10·log10(Σref² / Σ(ref−approx)²); Infinity if equal. */
  sqnrDb: number;
  /** Cosine similarity; 1 for two all-zero tensors, 0 if only one is all zero. */
  cosine: number;
}

export function compare(reference: Tensor, approx: Tensor): Comparison {
  expectTensor(reference, 'reference', ['float32']);
  expectTensor(approx, 'approx', ['float32']);
  if (reference.dims.length !== approx.dims.length || reference.dims.some((d, i) => d !== approx.dims[i])) {
    throw new RangeError(`reference [${reference.dims.join(', ')}] and approx [${approx.dims.join(', ')}] differ in shape`);
  }
  const r = reference.data as Float32Array;
  const a = approx.data as Float32Array;
  let se = 0, sr = 0, sa = 0, dot = 0, maxAbs = 0;
  for (let i = 0; i < r.length; i++) {
    const d = r[i] - a[i];
    se += d * d;
    sr += r[i] * r[i];
    sa += a[i] * a[i];
    dot += r[i] * a[i];
    const ad = Math.abs(d);
    if (ad > maxAbs || Number.isNaN(ad)) maxAbs = ad;
  }
  const n = r.length;
  const mse = n ? se / n : 0;
  const cosine = sr === 0 && sa === 0 ? 1 : sr === 0 || sa === 0 ? 0 : dot / Math.sqrt(sr * sa);
  const sqnrDb = se === 0 ? Infinity : 10 * Math.log10(sr / se);
  return { mse, rmse: Math.sqrt(mse), maxAbs, sqnrDb, cosine };
}
