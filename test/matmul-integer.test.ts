// matmulInteger on every ISA, exact against a plain-JS reference: the shape catalogue, zero
// points, int8 and uint8 A, deep K with extreme values.
import { describe, expect, it } from 'vitest';
import { Tensor, matmulInteger, matmulIntegerSync } from '../src/index.js';
import { forceIsa, isas, matmulIntegerRef, randomInts, rng } from './helpers.js';

const catalogue = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16, 17, 31, 33, 63, 64, 65, 127, 255, 257, 1000];

function make(M: number, N: number, K: number, signed: boolean, r: () => number) {
  const a = signed
    ? new Tensor('int8', Int8Array.from(randomInts(M * K, -128, 127, r)), [M, K])
    : new Tensor('uint8', Uint8Array.from(randomInts(M * K, 0, 255, r)), [M, K]);
  const b = new Tensor('int8', Int8Array.from(randomInts(K * N, -128, 127, r)), [K, N]);
  return { a, b };
}

describe.each(isas)('matmulInteger on %s', (isa) => {
  it('matches the reference across the shape catalogue', () => {
    forceIsa(isa);
    const r = rng();
    // Each catalogue value in each position, the others random from the catalogue's small end.
    const small = () => catalogue[Math.floor(r() * 16)];
    const shapes: [number, number, number][] = [];
    for (const v of catalogue) shapes.push([v, small(), small()], [small(), v, small()], [small(), small(), v]);
    for (let i = 1; i <= 10; i++) for (let j = 1; j <= 10; j++) shapes.push([i, j, 1 + ((i * 7 + j) % 10)]);
    shapes.push([65, 127, 257], [1000, 33, 31], [17, 1000, 63]);
    for (const [M, N, K] of shapes) {
      const signed = r() < 0.5;
      const { a, b } = make(M, N, K, signed, r);
      const za = signed ? randomInts(1, -128, 127, r)[0] : randomInts(1, 0, 255, r)[0];
      const zb = randomInts(1, -128, 127, r)[0];
      const got = matmulIntegerSync(a, b, za, zb);
      expect(got.type).toBe('int32');
      expect(got.dims).toEqual([M, N]);
      const want = matmulIntegerRef(a, b, za, zb);
      if (!got.data.every((v, i) => v === want[i])) {
        const i = got.data.findIndex((v, j) => v !== want[j]);
        throw new Error(`${isa} M=${M} N=${N} K=${K} signed=${signed} za=${za} zb=${zb}: ` +
          `c[${Math.floor(i / N)},${i % N}] = ${got.data[i]}, want ${want[i]}`);
      }
    }
  });

  it('is exact for deep K with extreme values (no saturation anywhere)', () => {
    forceIsa(isa);
    const K = 8192;
    for (const [av, bv, signed, za, zb] of [
      [255, -128, false, 0, 0], [255, 127, false, 0, 0], [0, -128, false, 255, 127],
      [-128, -128, true, 0, 0], [127, -128, true, -128, 127], [-128, 127, true, 127, -128],
    ] as const) {
      const M = 3, N = 37;
      const a = signed ? new Tensor('int8', new Int8Array(M * K).fill(av), [M, K])
        : new Tensor('uint8', new Uint8Array(M * K).fill(av), [M, K]);
      const b = new Tensor('int8', new Int8Array(K * N).fill(bv), [K, N]);
      const want = K * (av - za) * (bv - zb);
      const got = matmulIntegerSync(a, b, za, zb).data;
      expect(Array.from(new Set(got)), `${isa} a=${av} b=${bv} za=${za} zb=${zb}`).toEqual([want | 0]);
    }
  });

  it('async gives the same result and ignores later changes to a', async () => {
    forceIsa(isa);
    const r = rng();
    const { a, b } = make(70, 90, 300, false, r);
    const want = matmulIntegerRef(a, b, 3, -2);
    const p = matmulInteger(a, b, 3, -2);
    (a.data as Uint8Array).fill(7);  // mutate while in flight
    const got = await p;
    expect(Array.from(got.data)).toEqual(Array.from(want));
  });

  it('empty dimensions: K = 0 gives zeros, M = 0 or N = 0 empty outputs', () => {
    forceIsa(isa);
    const z = matmulIntegerSync(new Tensor('uint8', new Uint8Array(0), [3, 0]), new Tensor('int8', new Int8Array(0), [0, 5]), 7, 3);
    expect(z.dims).toEqual([3, 5]);
    expect(Array.from(z.data)).toEqual(new Array(15).fill(0));
    expect(matmulIntegerSync(new Tensor('uint8', new Uint8Array(0), [0, 4]), new Tensor('int8', new Int8Array(8), [4, 2])).dims).toEqual([0, 2]);
    expect(matmulIntegerSync(new Tensor('uint8', new Uint8Array(8), [2, 4]), new Tensor('int8', new Int8Array(0), [4, 0])).dims).toEqual([2, 0]);
  });

  it('writes into opts.out when given', () => {
    forceIsa(isa);
    const { a, b } = make(5, 6, 7, true, rng());
    const out = new Tensor('int32', new Int32Array(30), [5, 6]);
    const res = matmulIntegerSync(a, b, 0, 0, { out });
    expect(res).toBe(out);
    expect(Array.from(out.data)).toEqual(Array.from(matmulIntegerRef(a, b, 0, 0)));
  });
});

describe('matmulInteger argument checks', () => {
  const a = new Tensor('uint8', new Uint8Array(6), [2, 3]);
  const b = new Tensor('int8', new Int8Array(12), [3, 4]);
  it.each([
    [() => matmulIntegerSync(new Tensor('float32', new Float32Array(6), [2, 3]), b), TypeError, /a must be uint8 or int8/],
    [() => matmulIntegerSync(a, new Tensor('uint8', new Uint8Array(12), [3, 4])), TypeError, /b must be int8/],
    [() => matmulIntegerSync(a, new Tensor('int8', new Int8Array(8), [2, 4])), RangeError, /b must have K = 3 rows/],
    [() => matmulIntegerSync(new Tensor('uint8', new Uint8Array(6), [6]), b), RangeError, /a must have 2 dimensions/],
    [() => matmulIntegerSync(a, b, 256), RangeError, /aZeroPoint/],
    [() => matmulIntegerSync(a, b, -1), RangeError, /aZeroPoint/],
    [() => matmulIntegerSync(a, b, 0, 128), RangeError, /bZeroPoint/],
    [() => matmulIntegerSync(a, b, 0.5), RangeError, /aZeroPoint/],
    [() => matmulIntegerSync(a, b, 0, 0, { out: new Tensor('int32', new Int32Array(9), [3, 3]) }), RangeError, /opts.out must be \[2, 4\]/],
    [() => matmulIntegerSync({} as Tensor, b), TypeError, /a must be a Tensor/],
  ])('case %#', (fn, Err, msg) => {
    expect(fn).toThrow(Err);
    expect(fn).toThrow(msg);
  });
  it('rejects in the async form too', async () => {
    await expect(matmulInteger(a, b, 300)).rejects.toThrow(RangeError);
  });
});
