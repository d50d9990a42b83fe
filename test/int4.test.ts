// Blockwise int4 through the public API: layout, float16 scales, zero points, padding, MSE
// against RTN, dequantize, and bad input.
import { describe, expect, it } from 'vitest';
import { QuantizedTensor, Tensor, compare, dequantize, linear, linearSync, quantize } from '../src/index.js';
import { forceIsa, isas, linearInt4Ref, rng } from './helpers.js';

function realistic(N: number, K: number, r: () => number): Tensor {
  // Gaussian weights with heavy-tailed outlier columns, as trained LLM layers have.
  const d = new Float32Array(N * K);
  for (let i = 0; i < d.length; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    d[i] = 0.02 * g * ((i % K) % 61 === 0 ? 12 : 1);
  }
  return new Tensor('float32', d, [N, K]);
}

describe('int4 blockwise', () => {
  it('packs element 2j into the low nibble, scale m/-8, zero point 8 (MatMulNBits layout)', () => {
    const w = new Tensor('float32', Float32Array.from({ length: 16 }, (_, i) => i - 8), [1, 16]);
    const q = quantize(w, { bits: 4, groupSize: 16 });
    expect(q.format).toBe('int4');
    expect(q.bits).toBe(4);
    expect(Array.from(q.data)).toEqual([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]);
    expect(Array.from(q.scales as Float32Array)).toEqual([1]);
    expect(Array.from(dequantize(q).data)).toEqual(Array.from(w.data));
  });

  it.each([16, 32, 64, 128, 256])('group %i: sizes, padding of a K that it does not divide, error', (g) => {
    const r = rng();
    for (const K of [g, 3 * g + 5]) {
      const w = realistic(6, K, r);
      for (const symmetric of [true, false]) {
        for (const scaleType of ['float32', 'float16'] as const) {
          const q = quantize(w, { bits: 4, groupSize: g, symmetric, scaleType });
          const blocks = Math.ceil(K / g);
          expect(q.data.length).toBe(6 * blocks * g / 2);
          expect(q.scales).toBeInstanceOf(scaleType === 'float16' ? Uint16Array : Float32Array);
          expect(q.scales!.length).toBe(6 * blocks);
          if (symmetric) expect(q.zeroPoints).toBeUndefined();
          else expect(q.zeroPoints!.length).toBe(6 * Math.ceil(blocks / 2));
          const c = compare(w, dequantize(q));
          expect(c.sqnrDb).toBeGreaterThan(g <= 32 ? 12 : 8);  // sanity: heavy outliers cost 4-bit a lot
          // A QuantizedTensor can be rebuilt from its parts (e.g. bytes from onnxruntime).
          const again = new QuantizedTensor({ dims: q.dims, bits: 4, format: 'int4', groupSize: g, symmetric,
            data: q.data, scales: q.scales, zeroPoints: q.zeroPoints });
          expect(Array.from(dequantize(again).data)).toEqual(Array.from(dequantize(q).data));
        }
      }
    }
  });

  it('mse lowers the error against rtn on realistic weights', () => {
    const w = realistic(64, 512, rng());
    for (const symmetric of [true, false]) {
      const rtn = compare(w, dequantize(quantize(w, { bits: 4, symmetric })));
      const mse = compare(w, dequantize(quantize(w, { bits: 4, symmetric, method: 'mse' })));
      expect(mse.mse).toBeLessThan(rtn.mse);
    }
  });

  it('all-zero rows stay zero; non-finite weights are refused', () => {
    const w = new Tensor('float32', new Float32Array(2 * 32), [2, 32]);
    for (const symmetric of [true, false]) {
      expect(Array.from(dequantize(quantize(w, { bits: 4, symmetric })).data).every((v) => v === 0)).toBe(true);
    }
    const bad = new Float32Array(64);
    bad[33] = NaN;
    expect(() => quantize(new Tensor('float32', bad, [2, 32]), { bits: 4 })).toThrow(/x\[1, 1\] is NaN/);
  });

  it('rejects inconsistent parts', () => {
    expect(() => new QuantizedTensor({ dims: [2, 32], bits: 4, format: 'int4', groupSize: 32, symmetric: true,
      data: new Uint8Array(31), scales: new Float32Array(2) })).toThrow(/data must be a Uint8Array of/);
    expect(() => new QuantizedTensor({ dims: [2, 32], bits: 4, format: 'int4', groupSize: 32, symmetric: false,
      data: new Uint8Array(32), scales: new Float32Array(2) })).toThrow(/zeroPoints/);
    expect(() => new QuantizedTensor({ dims: [2, 32], bits: 4, format: 'int4', groupSize: 24, symmetric: true,
      data: new Uint8Array(32), scales: new Float32Array(2) })).toThrow(/groupSize/);
  });
});

describe.each(isas)('int4 linear on %s', (isa) => {
  const shapes: [number, number, number, number][] = [
    [1, 1, 16, 16], [1, 17, 64, 32], [3, 16, 96, 32], [7, 33, 100, 32], [9, 40, 300, 128], [2, 20, 512, 256], [17, 31, 64, 16],
  ];
  it('is bit-exact with the documented arithmetic (int4 sym/asym, float32/float16 scales)', () => {
    forceIsa(isa);
    const r = rng();
    for (const [M, N, K, g] of shapes) {
      for (const symmetric of [true, false]) {
        for (const scaleType of ['float32', 'float16'] as const) {
          const w = realistic(N, K, r);
          const x = Float32Array.from({ length: M * K }, () => (r() - 0.5) * 4);
          if (M > 2) x[K + 1] = NaN;
          const bias = new Tensor('float32', Float32Array.from({ length: N }, () => r() - 0.5), [N]);
          const q = quantize(w, { bits: 4, groupSize: g, symmetric, scaleType });
          const want = linearInt4Ref(x, M, K, N, g, q.data as Uint8Array, q.scales!, q.zeroPoints, bias.data as Float32Array);
          const got = linearSync(new Tensor('float32', x, [M, K]), q, bias).data;
          for (let i = 0; i < want.length; i++) {
            if (!Object.is(got[i], want[i])) {
              throw new Error(`${isa} M=${M} N=${N} K=${K} g=${g} sym=${symmetric} ${scaleType}: y[${i}] = ${got[i]}, want ${want[i]}`);
            }
          }
        }
      }
    }
  });

  it('q4_0 weights give the same result as their int4 form; async equals sync', async () => {
    forceIsa(isa);
    const r = rng();
    const M = 4, N = 24, K = 96;
    const w = realistic(N, K, r);
    const x = new Tensor('float32', Float32Array.from({ length: M * K }, () => r() - 0.5), [M, K]);
    const q40 = quantize(w, { bits: 4, format: 'q4_0' });
    // q4_0 -> MatMulNBits: element i of a block is byte i % 16, low nibble for i < 16.
    const data = new Uint8Array(N * K / 2);
    const scales = new Uint16Array(N * K / 32);
    for (let blk = 0; blk < N * K / 32; blk++) {
      const o = blk * 18;
      scales[blk] = q40.data[o] | (q40.data[o + 1] << 8);
      for (let i = 0; i < 32; i++) {
        const byte = q40.data[o + 2 + (i % 16)];
        data[blk * 16 + (i >> 1)] |= (i < 16 ? byte & 15 : byte >> 4) << (4 * (i & 1));
      }
    }
    const want = linearInt4Ref(x.data as Float32Array, M, K, N, 32, data, scales, undefined);
    expect(Array.from(linearSync(x, q40).data)).toEqual(Array.from(want));
    expect(Array.from((await linear(x, q40)).data)).toEqual(Array.from(want));
  });
});
