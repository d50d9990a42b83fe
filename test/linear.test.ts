// linear on every ISA: the int8 path bit-exact against a plain-JS model of its documented
// arithmetic; the fp32 path within the fp32 accumulation bound.
import { describe, expect, it } from 'vitest';
import { Tensor, linear, linearSync, quantize } from '../src/index.js';
import { forceIsa, isas, linearF64, linearInt8Ref, rng } from './helpers.js';

function gaussian(n: number, r: () => number, sigma = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = sigma * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  }
  return out;
}

const shapes: [number, number, number][] = [
  [1, 1, 1], [1, 7, 33], [3, 17, 31], [7, 64, 65], [13, 45, 77], [16, 33, 128], [33, 100, 257], [64, 31, 1000],
];

describe.each(isas)('linear on %s', (isa) => {
  it('int8 weights: bit-exact with the documented quantize-multiply-rescale', () => {
    forceIsa(isa);
    const r = rng();
    for (const [M, N, K] of shapes) {
      const x = gaussian(M * K, r, 2);
      if (K > 3) x[2] = 25;  // an outlier
      const w = new Tensor('float32', gaussian(N * K, r, 0.05), [N, K]);
      const bias = new Tensor('float32', gaussian(N, r), [N]);
      const wq = quantize(w, { bits: 8 });
      const want = linearInt8Ref(x, M, K, wq.data as Int8Array, wq.scales as Float32Array, N, bias.data as Float32Array);
      const got = linearSync(new Tensor('float32', x, [M, K]), wq, bias);
      expect(got.dims).toEqual([M, N]);
      for (let i = 0; i < want.length; i++) {
        if (!Object.is(got.data[i], want[i])) {
          throw new Error(`${isa} M=${M} N=${N} K=${K}: y[${i}] = ${got.data[i]}, want ${want[i]}`);
        }
      }
    }
  });

  it('int8 weights: rows with NaN or Inf give NaN rows, others are unaffected', () => {
    forceIsa(isa);
    const r = rng();
    const M = 4, N = 9, K = 20;
    const x = gaussian(M * K, r);
    x[1 * K + 3] = NaN;
    x[2 * K + 0] = Infinity;
    const wq = quantize(new Tensor('float32', gaussian(N * K, r), [N, K]), { bits: 8 });
    const y = linearSync(new Tensor('float32', x, [M, K]), wq).data;
    for (let n = 0; n < N; n++) {
      expect(Number.isNaN(y[1 * N + n])).toBe(true);
      expect(Number.isNaN(y[2 * N + n])).toBe(true);
      expect(Number.isFinite(y[0 * N + n]) && Number.isFinite(y[3 * N + n])).toBe(true);
    }
  });

  it('fp32 weights: within the fp32 accumulation bound of a float64 reference', () => {
    forceIsa(isa);
    const r = rng();
    for (const [M, N, K] of [...shapes, [100, 70, 600] as [number, number, number]]) {
      const x = gaussian(M * K, r);
      const w = gaussian(N * K, r);
      const b = gaussian(N, r);
      const got = linearSync(new Tensor('float32', x, [M, K]), new Tensor('float32', w, [N, K]),
        new Tensor('float32', b, [N])).data;
      const { y, bound } = linearF64(x, M, K, w, N, b);
      for (let i = 0; i < y.length; i++) {
        if (!(Math.abs(got[i] - y[i]) <= bound[i])) {
          throw new Error(`${isa} M=${M} N=${N} K=${K}: y[${i}] = ${got[i]}, want ${y[i]} ± ${bound[i]}`);
        }
      }
    }
  });

  it('int8 output stays close to fp32 on realistic data (SQNR > 30 dB)', async () => {
    forceIsa(isa);
    const r = rng();
    const M = 8, N = 64, K = 256;
    const x = new Tensor('float32', gaussian(M * K, r), [M, K]);
    const w = new Tensor('float32', gaussian(N * K, r, 0.05), [N, K]);
    const ref = linearSync(x, w);
    const q = await linear(x, quantize(w, { bits: 8 }));
    let se = 0, s = 0;
    for (let i = 0; i < ref.data.length; i++) { se += (ref.data[i] - q.data[i]) ** 2; s += ref.data[i] ** 2; }
    expect(10 * Math.log10(s / se)).toBeGreaterThan(30);
  });

  it('empty dimensions: K = 0 gives the bias, M = 0 and N = 0 give empty outputs', () => {
    forceIsa(isa);
    const bias = new Tensor('float32', Float32Array.from([1, -2, 3]), [3]);
    const w0 = new Tensor('float32', new Float32Array(0), [3, 0]);
    const x0 = new Tensor('float32', new Float32Array(0), [2, 0]);
    for (const w of [w0, quantize(w0, { bits: 8 })]) {
      expect(Array.from(linearSync(x0, w, bias).data)).toEqual([1, -2, 3, 1, -2, 3]);
    }
    const w = new Tensor('float32', new Float32Array(12), [3, 4]);
    expect(linearSync(new Tensor('float32', new Float32Array(0), [0, 4]), w).dims).toEqual([0, 3]);
    expect(linearSync(new Tensor('float32', new Float32Array(8), [2, 4]),
      new Tensor('float32', new Float32Array(0), [0, 4])).dims).toEqual([2, 0]);
  });

  it('batched x [B, T, K] keeps its leading dims; async equals sync', async () => {
    forceIsa(isa);
    const r = rng();
    const x = new Tensor('float32', gaussian(2 * 3 * 16, r), [2, 3, 16]);
    const w = new Tensor('float32', gaussian(5 * 16, r), [5, 16]);
    const wq = quantize(w, { bits: 8 });
    for (const weight of [w, wq]) {
      const s = linearSync(x, weight);
      const a = await linear(x, weight);
      expect(s.dims).toEqual([2, 3, 5]);
      expect(Array.from(a.data)).toEqual(Array.from(s.data));
    }
  });
});

describe('linear argument checks', () => {
  const x = new Tensor('float32', new Float32Array(6), [2, 3]);
  const w = new Tensor('float32', new Float32Array(12), [4, 3]);
  it.each([
    [() => linearSync(x, new Tensor('float32', new Float32Array(8), [4, 2])), RangeError, /they must agree on K/],
    [() => linearSync(new Tensor('int8', new Int8Array(6), [2, 3]), w), TypeError, /x must be float32/],
    [() => linearSync(x, new Tensor('int8', new Int8Array(12), [4, 3])), TypeError, /w must be float32/],
    [() => linearSync(x, w, new Tensor('float32', new Float32Array(3), [3])), RangeError, /bias has 3 values/],
    [() => linearSync(x, w, new Tensor('float32', new Float32Array(4), [2, 2])), RangeError, /bias must have 1 dimensions/],
    [() => linearSync(x, 'w' as unknown as Tensor), TypeError, /w must be a Tensor or QuantizedTensor/],
    [() => linearSync(x, quantize(w, { bits: 8, symmetric: false })), RangeError, /symmetric int8/],
    [() => linearSync(x, w, undefined, { out: x }), RangeError, /opts.out must be \[2, 4\]/],
  ])('case %#', (fn, Err, msg) => {
    expect(fn).toThrow(Err);
    expect(fn).toThrow(msg);
  });

  it('refuses an output that aliases the input', () => {
    const buf = new Float32Array(16);
    const xa = new Tensor('float32', buf.subarray(0, 6), [2, 3]);
    const out = new Tensor('float32', buf.subarray(4, 12), [2, 4]);
    expect(() => linearSync(xa, w, undefined, { out })).toThrow(/shares memory/);
  });

  it('a detached input is a TypeError, not a crash', () => {
    const data = new Float32Array(6);
    const xd = new Tensor('float32', data, [2, 3]);
    structuredClone(data.buffer, { transfer: [data.buffer] });
    expect(() => linearSync(xd, w)).toThrow(TypeError);
    expect(() => linearSync(xd, w)).toThrow(/detached/);
  });
});
