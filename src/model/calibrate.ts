// Static activation calibration: run the model on calibration inputs, record what reaches
// each int8 Linear layer, and fix one uint8 (scale, zero point) per layer, so that inference
// need not find each row's range. Three ways to choose the range: MinMax (all of it),
// Percentile (ignore the rarest extremes), MSE (the clipping that minimises the squared error).
import { Tensor } from '../tensor.js';
import type { ActivationQuant } from '../ops.js';
import { Linear, Sequential } from './sequential.js';

export type Calibrator = 'minmax' | 'percentile' | 'mse';

export interface CalibrationOptions {
  method?: Calibrator;
  /** percentile: the share of values inside the range, from the top (default 99.99). */
  percentile?: number;
  /** Rows per forward pass while collecting (default 500). */
  batchSize?: number;
}

/** uint8 parameters covering [min(0, lo), max(0, hi)], zero exactly representable. */
export function rangeToActivation(lo: number, hi: number): ActivationQuant {
  const l = Math.min(0, lo), h = Math.max(0, hi);
  const scale = Math.fround((h - l) / 255) || 1;
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-l / scale)));
  return { scale, zeroPoint };
}

// Squared error of quantizing v with p (QuantizeLinear then DequantizeLinear).
function quantError(v: Float32Array, p: ActivationQuant): number {
  let e = 0;
  for (let i = 0; i < v.length; i++) {
    const q = Math.min(255, Math.max(0, Math.round(v[i] / p.scale) + p.zeroPoint));
    const d = v[i] - (q - p.zeroPoint) * p.scale;
    e += d * d;
  }
  return e;
}

// A value at a fraction of the sorted values (nearest rank).
function quantile(sorted: Float32Array, f: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(f * sorted.length) - 1))];
}

/** The parameters one calibrator picks for the recorded values. */
export function activationParams(values: Float32Array, method: Calibrator = 'minmax', percentile = 99.99): ActivationQuant {
  if (!(values instanceof Float32Array)) throw new TypeError('values must be a Float32Array');
  let lo = 0, hi = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) throw new RangeError(`calibration value ${i} is ${v}: activations must be finite`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (method === 'minmax') return rangeToActivation(lo, hi);
  if (method === 'percentile') {
    if (!(percentile > 50 && percentile <= 100)) throw new RangeError(`percentile must be in (50, 100], got ${percentile}`);
    const sorted = Float32Array.from(values).sort();
    return rangeToActivation(Math.min(0, quantile(sorted, 1 - percentile / 100)), quantile(sorted, percentile / 100));
  }
  if (method !== 'mse') throw new RangeError(`unknown calibrator ${String(method)}: use minmax, percentile or mse`);
  // Shrink the range by up to 80 % in 2 % steps; a strided sample keeps it fast on big inputs.
  const step = Math.max(1, Math.floor(values.length / 200_000));
  const sample = step === 1 ? values : Float32Array.from({ length: Math.floor(values.length / step) }, (_, i) => values[i * step]);
  let best = rangeToActivation(lo, hi), bestErr = quantError(sample, best);
  for (let s = 1; s <= 40; s++) {
    const f = 1 - 0.02 * s;
    const p = rangeToActivation(lo * f, hi * f);
    const e = quantError(sample, p);
    if (e < bestErr) { bestErr = e; best = p; }
  }
  return best;
}

/**
 * A copy of the model whose int8 Linear layers quantize their inputs with fixed parameters
 * found on `images` ([count · in] float32). Layers in other precisions are unchanged.
 */
export async function calibrateActivations(model: Sequential, images: Float32Array, opts: CalibrationOptions = {}): Promise<Sequential> {
  const { method = 'minmax', percentile = 99.99, batchSize = 500 } = opts;
  const inF = model.inFeatures;
  if (!(images instanceof Float32Array) || images.length === 0 || images.length % inF !== 0) {
    throw new RangeError(`images must be a non-empty Float32Array of count · ${inF} values`);
  }
  const targets = model.linears.filter((l) => l.precision === 'int8');
  if (targets.length === 0) throw new RangeError('the model has no int8 Linear layer to calibrate: quantize it with int8 first');
  const seen = new Map<string, Float32Array[]>(targets.map((l) => [l.name, []]));
  const count = images.length / inF;
  for (let i = 0; i < count; i += batchSize) {
    const n = Math.min(batchSize, count - i);
    let x = new Tensor('float32', images.slice(i * inF, (i + n) * inF), [n, inF]);
    for (const layer of model.layers) {
      seen.get(layer.name)?.push(x.data as Float32Array);
      x = await layer.forward(x);  // the model as it is: earlier layers' quantization included
    }
  }
  return model.with(targets.map((l) => {
    const parts = seen.get(l.name)!;
    const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    return new Linear(l.name, l.weight, l.bias, l.precision, activationParams(all, method, percentile));
  }));
}
