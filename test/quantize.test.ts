// quantize / dequantize (int8 per-channel) and ONNX QuantizeLinear / DequantizeLinear,
// bit-exact against plain-JS references: ties to even, saturation, NaN, per-axis layouts.
import { describe, expect, it } from 'vitest';
import {
  QuantizedTensor, Tensor, compare, dequantize, dequantizeLinear, quantize, quantizeLinear,
} from '../src/index.js';
import { rng, roundHalfEven } from './helpers.js';

const f = Math.fround;

function qlRef(x: number, scale: number, zp: number, lo: number, hi: number): number {
  const q = f(x / scale);
  if (Number.isNaN(q)) return lo;  // as onnxruntime
  return Math.min(hi, Math.max(lo, roundHalfEven(q) + zp));
}

describe('quantizeLinear (ONNX QuantizeLinear)', () => {
  const specials = [0, -0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 127.5, 128.5, -128.5, -129.5, 1e30, -1e30,
    1e-30, Infinity, -Infinity, NaN, 3.4e38, -3.4e38, 254.5, 255.5];

  it('per tensor, uint8 and int8, matches the reference bit for bit', () => {
    const r = rng();
    const vals = Float32Array.from([...specials, ...Array.from({ length: 500 }, () => (r() - 0.5) * 600)]);
    const x = new Tensor('float32', vals, [vals.length]);
    for (const [scale, zp, type, lo, hi] of [
      [1, 0, 'uint8', 0, 255], [0.5, 128, 'uint8', 0, 255], [1, 0, 'int8', -128, 127], [3.7, -5, 'int8', -128, 127],
    ] as const) {
      const y = quantizeLinear(x, scale, zp, { type });
      expect(y.type).toBe(type);
      const want = Array.from(vals, (v) => qlRef(v, scale, zp, lo, hi));
      expect(Array.from(y.data)).toEqual(want);
    }
  });

  it('rounds ties to even', () => {
    const x = new Tensor('float32', Float32Array.from([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5]), [7]);
    expect(Array.from(quantizeLinear(x, 1, 0, { type: 'int8' }).data)).toEqual([0, 2, 2, 4, 0, -2, -2]);
  });

  it('per axis: scale and zero point per slice of the axis', () => {
    const r = rng();
    const dims = [2, 3, 5];
    const x = new Tensor('float32', Float32Array.from({ length: 30 }, () => (r() - 0.5) * 100), dims);
    const scales = new Tensor('float32', Float32Array.from([0.5, 1, 2]), [3]);
    const zps = new Tensor('int8', Int8Array.from([0, -3, 10]), [3]);
    const y = quantizeLinear(x, scales, zps, { axis: 1 });
    expect(y.type).toBe('int8');
    for (let o = 0; o < 2; o++) for (let c = 0; c < 3; c++) for (let i = 0; i < 5; i++) {
      const idx = (o * 3 + c) * 5 + i;
      expect(y.data[idx]).toBe(qlRef(x.data[idx] as number, scales.data[c] as number, zps.data[c] as number, -128, 127));
    }
    const back = dequantizeLinear(y, scales, zps, { axis: -2 });
    for (let o = 0; o < 2; o++) for (let c = 0; c < 3; c++) for (let i = 0; i < 5; i++) {
      const idx = (o * 3 + c) * 5 + i;
      expect(back.data[idx]).toBe(f((y.data[idx] - (zps.data[c] as number)) * (scales.data[c] as number)));
    }
  });

  it.each([
    [() => quantizeLinear(new Tensor('float32', new Float32Array(2), [2]), 0), RangeError, /scale must be finite and positive/],
    [() => quantizeLinear(new Tensor('float32', new Float32Array(2), [2]), NaN), RangeError, /scale/],
    [() => quantizeLinear(new Tensor('float32', new Float32Array(2), [2]), 1, 300), RangeError, /zeroPoint must be an integer in \[0, 255\]/],
    [() => quantizeLinear(new Tensor('float32', new Float32Array(6), [2, 3]), new Tensor('float32', new Float32Array([1, 1]), [2]), undefined, { axis: 1 }), RangeError, /x.dims\[1\] is 3/],
    [() => quantizeLinear(new Tensor('float32', new Float32Array(6), [2, 3]), new Tensor('float32', new Float32Array([1, 1]), [2]), undefined, { axis: 2 }), RangeError, /axis 2 is out of range/],
    [() => quantizeLinear(new Tensor('int8', new Int8Array(2), [2]), 1), TypeError, /x must be float32/],
    [() => dequantizeLinear(new Tensor('int8', new Int8Array(2), [2]), 1, new Tensor('uint8', new Uint8Array(1), [1])), TypeError, /zeroPoint must have x's type/],
  ])('rejects bad arguments %#', (fn, Err, msg) => {
    expect(fn).toThrow(Err);
    expect(fn).toThrow(msg);
  });
});

describe('quantize / dequantize (int8 per channel)', () => {
  function weights(N: number, K: number, r: () => number): Tensor {
    const d = Float32Array.from({ length: N * K }, () => (r() - 0.5) * 0.2);
    for (let n = 0; n < N; n++) d[n * K + (n % K)] = n % 2 ? 1.5 : -2;  // a large value per row
    return new Tensor('float32', d, [N, K]);
  }

  it('symmetric: int8 with scale max|w|/127; error within half a step per element', () => {
    const r = rng();
    const w = weights(17, 33, r);
    const q = quantize(w, { bits: 8 });
    expect(q).toBeInstanceOf(QuantizedTensor);
    expect(q.format).toBe('int8');
    expect(q.groupSize).toBe(-1);
    expect(q.symmetric).toBe(true);
    expect(q.data).toBeInstanceOf(Int8Array);
    expect(q.zeroPoints).toBeUndefined();
    const back = dequantize(q);
    for (let n = 0; n < 17; n++) {
      const s = (q.scales as Float32Array)[n];
      let amax = 0;
      for (let k = 0; k < 33; k++) amax = Math.max(amax, Math.abs(w.data[n * 33 + k] as number));
      expect(s).toBe(f(amax / 127));
      for (let k = 0; k < 33; k++) {
        const i = n * 33 + k;
        expect(q.data[i]).toBe(qlRef(w.data[i] as number, s, 0, -128, 127));
        expect(Math.abs((back.data[i] as number) - (w.data[i] as number))).toBeLessThanOrEqual(s / 2 + 1e-7);
      }
    }
    expect(compare(w, back).sqnrDb).toBeGreaterThan(35);
  });

  it('asymmetric: uint8 with a zero point per row, zero exactly representable', () => {
    const r = rng();
    const d = Float32Array.from({ length: 8 * 40 }, () => r() * 3);  // all positive (post-ReLU)
    d[5] = 0;
    const w = new Tensor('float32', d, [8, 40]);
    const q = quantize(w, { bits: 8, symmetric: false });
    expect(q.data).toBeInstanceOf(Uint8Array);
    expect(q.zeroPoints).toBeInstanceOf(Uint8Array);
    const back = dequantize(q);
    expect(back.data[5]).toBe(0);
    expect(compare(w, back).sqnrDb).toBeGreaterThan(40);
  });

  it('all-zero and all-equal rows', () => {
    const w = new Tensor('float32', Float32Array.from([0, 0, 0, 0, 2, 2, 2, 2, -3, -3, -3, -3]), [3, 4]);
    for (const symmetric of [true, false]) {
      const back = dequantize(quantize(w, { bits: 8, symmetric }));
      expect(Array.from(back.data.subarray(0, 4))).toEqual([0, 0, 0, 0]);
      for (let i = 4; i < 12; i++) expect(Math.abs((back.data[i] as number) - (w.data[i] as number))).toBeLessThan(0.02);
    }
  });

  it.each([
    [{ bits: 3 }, RangeError, /opts.bits must be 8 or 4/],
    [{ bits: 8, groupSize: 32 }, RangeError, /groupSize must be -1/],
    [{ bits: 8, symmetric: 'yes' }, TypeError, /symmetric must be a boolean/],
    [{ bits: 4, groupSize: 48 }, RangeError, /groupSize must be 16, 32, 64, 128 or 256/],
    [{ bits: 4, method: 'best' }, RangeError, /opts.method must be rtn or mse/],
    [{ bits: 4, scaleType: 'float64' }, RangeError, /opts.scaleType/],
    [{ bits: 8, format: 'q4_0' }, RangeError, /q4_0 has 4-bit weights, but opts.bits is 8/],
    [{ bits: 4, format: 'q5_0' }, RangeError, /format must be q4_0, q4_1 or q8_0/],
  ])('rejects options %o', (opts, Err, msg) => {
    const w = new Tensor('float32', new Float32Array(4), [2, 2]);
    expect(() => quantize(w, opts as never)).toThrow(Err);
    expect(() => quantize(w, opts as never)).toThrow(msg);
  });

  it('rejects non-finite weights, naming the element', () => {
    const w = new Tensor('float32', Float32Array.from([1, 2, NaN, 4]), [2, 2]);
    expect(() => quantize(w, { bits: 8 })).toThrow(/x\[1, 0\] is NaN/);
  });
});

describe('compare', () => {
  it('computes the metrics', () => {
    const a = new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [4]);
    const b = new Tensor('float32', Float32Array.from([1, 2, 3, 5]), [4]);
    const c = compare(a, b);
    expect(c.mse).toBeCloseTo(0.25);
    expect(c.rmse).toBeCloseTo(0.5);
    expect(c.maxAbs).toBe(1);
    expect(c.sqnrDb).toBeCloseTo(10 * Math.log10(30 / 1));
    expect(c.cosine).toBeCloseTo(34 / Math.sqrt(30 * 39));
    expect(compare(a, a).sqnrDb).toBe(Infinity);
    expect(() => compare(a, new Tensor('float32', new Float32Array(2), [2]))).toThrow(RangeError);
  });
});
