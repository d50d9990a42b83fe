// ggml's q4_0 / q4_1 / q8_0 blocks through the public API, bit-exact with the bytes and
// dequantized values ggml itself produced (test/fixtures/ggml-vectors).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { QuantizedTensor, Tensor, compare, dequantize, linearSync, quantize } from '../src/index.js';

const dir = new URL('./fixtures/ggml-vectors/', import.meta.url);
const bytes = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const f32 = (name: string) => { const b = bytes(name); return new Float32Array(b.buffer, b.byteOffset, b.length / 4); };
const weights = new Tensor('float32', Float32Array.from(f32('weights.f32')), [64, 256]);

describe.each([
  ['q4_0', 4, 18, true], ['q4_1', 4, 20, false], ['q8_0', 8, 34, true],
] as const)('%s', (format, bits, blockBytes, symmetric) => {
  it('quantizes to exactly ggml\'s bytes', () => {
    const q = quantize(weights, { bits, format });
    expect(q.format).toBe(format);
    expect(q.bits).toBe(bits);
    expect(q.groupSize).toBe(32);
    expect(q.symmetric).toBe(symmetric);
    expect(q.scales).toBeUndefined();
    expect(q.data.length).toBe(64 * 256 / 32 * blockBytes);
    const want = bytes(`${format}.bin`);
    const i = q.data.findIndex((v, j) => v !== want[j]);
    expect(i, `first differing byte ${i} (block ${Math.floor(i / blockBytes)})`).toBe(-1);
  });

  it('dequantizes ggml\'s bytes to exactly ggml\'s values', () => {
    const q = new QuantizedTensor({ dims: [64, 256], bits, format, groupSize: 32, symmetric, data: bytes(`${format}.bin`) });
    const y = dequantize(q).data as Float32Array;
    const want = f32(`${format}.dequant.f32`);
    const i = y.findIndex((v, j) => !Object.is(v, want[j]));
    expect(i, `first differing value ${i}: ${y[i]} vs ${want[i]}`).toBe(-1);
    expect(compare(weights, dequantize(q)).sqnrDb).toBeGreaterThan(bits === 8 ? 35 : 15);
  });

  it('checks its input and its blocks, and runs in linear', () => {
    expect(() => quantize(new Tensor('float32', new Float32Array(2 * 48), [2, 48]), { bits, format })).toThrow(/multiple of 32/);
    const bad = new Float32Array(64);
    bad[40] = Infinity;
    expect(() => quantize(new Tensor('float32', bad, [2, 32]), { bits, format })).toThrow(/x\[1, 8\] is Infinity/);
    expect(() => new QuantizedTensor({ dims: [2, 32], bits, format, groupSize: 32, symmetric, data: new Uint8Array(blockBytes) }))
      .toThrow(RangeError);
    const q = quantize(weights, { bits, format });
    const x = new Tensor('float32', Float32Array.from({ length: 3 * 256 }, (_, i) => Math.sin(i)), [3, 256]);
    const viaFloat = linearSync(x, dequantize(q));
    expect(compare(viaFloat, linearSync(x, q)).sqnrDb).toBeGreaterThan(35);  // int8 activations' cost only
  });
});

it('q4_0 reproduces the worked example of DESIGN.md §5', () => {
  const ramp = new Tensor('float32', Float32Array.from({ length: 32 }, (_, i) => i - 12), [1, 32]);
  const q = quantize(ramp, { bits: 4, format: 'q4_0' });
  expect(Buffer.from(q.data).toString('hex')).toBe('c0c06d6d5c5c5b4b4b3a3a392928181807 07'.replace(' ', ''));
});
