// Shared test helpers: a seeded PRNG (seed printed), the ISAs to force, and plain-TS
// references of lowbit's documented semantics.
import { cpu, seededRandom, setIsa, Tensor } from '../src/index.js';

export const seed = Number(process.env.LOWBIT_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`[lowbit] LOWBIT_TEST_SEED=${seed}`);

/** lowbit's own seeded generator (mulberry32), seeded with the printed seed by default. */
export function rng(s = seed): () => number {
  return seededRandom(s);
}

/** Every ISA this binary can run here; forces each in turn and checks it took. */
export const isas = cpu().available;
export function forceIsa(isa: string): void {
  setIsa(isa);
  if (cpu().isa !== isa) throw new Error(`setIsa(${isa}) did not take: cpu().isa = ${cpu().isa}`);
}

export function randomInts(n: number, lo: number, hi: number, r: () => number): number[] {
  return Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));
}

/** ONNX MatMulInteger in plain JS (exact for the sizes tested: |sum| < 2^53). */
export function matmulIntegerRef(a: Tensor, b: Tensor, za: number, zb: number): Int32Array {
  const [M, K] = a.dims;
  const N = b.dims[1];
  const c = new Int32Array(M * N);
  const ad = a.data, bd = b.data;
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (ad[m * K + k] - za) * (bd[k * N + n] - zb);
      c[m * N + n] = s | 0;
    }
  }
  return c;
}

const f = Math.fround;
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The documented int8 linear in plain JS, float32 step by step (each double operation on
 * float32 operands, rounded once, equals the float32 operation): bit-exact expectations.
 */
export function linearInt8Ref(x: Float32Array, M: number, K: number, wq: Int8Array, wScales: Float32Array,
  N: number, bias?: Float32Array): Float32Array {
  const y = new Float32Array(M * N);
  const q = new Int32Array(K);
  for (let m = 0; m < M; m++) {
    let lo = 0, hi = 0, finite = true;
    for (let k = 0; k < K; k++) {
      const v = x[m * K + k];
      if (!Number.isFinite(v)) finite = false;
      else { if (v < lo) lo = v; if (v > hi) hi = v; }
    }
    if (!finite) { y.fill(NaN, m * N, (m + 1) * N); continue; }
    let s = f(f(hi / 255) - f(lo / 255));
    if (s === 0) s = 1;
    const zp = Math.min(255, Math.max(0, roundHalfEven(f(-lo / s))));
    const inv = f(1 / s);
    for (let k = 0; k < K; k++) {
      q[k] = Math.min(255, Math.max(0, roundHalfEven(f(x[m * K + k] * inv)) + zp));
    }
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += (q[k] - zp) * wq[n * K + k];
      let v = f(f(f(acc) * s) * wScales[n]);
      if (bias) v = f(v + bias[n]);
      y[m * N + n] = v;
    }
  }
  return y;
}

/** y = x · wᵀ + b in double, for the fp32 path's tolerance checks. */
export function linearF64(x: Float32Array, M: number, K: number, w: Float32Array, N: number,
  bias?: Float32Array): { y: Float64Array; bound: Float64Array } {
  const y = new Float64Array(M * N), bound = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = bias ? bias[n] : 0, abs = bias ? Math.abs(bias[n]) : 0;
      for (let k = 0; k < K; k++) {
        const p = x[m * K + k] * w[n * K + k];
        s += p;
        abs += Math.abs(p);
      }
      y[m * N + n] = s;
      bound[m * N + n] = 2e-6 * abs + 1e-6;  // fp32 accumulation error, with margin
    }
  }
  return { y, bound };
}

function fp16ToFp32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * linear with blockwise int4 weights (MatMulNBits layout) in plain JS, float32 step by step:
 * activations quantized per (row, block) to int8 with scale max|x|/127, exact integer dots,
 * blocks accumulated in order as float(dot − zp·Σxq)·(sx·sw). Bit-exact expectations.
 */
export function linearInt4Ref(x: Float32Array, M: number, K: number, N: number, g: number, data: Uint8Array,
  scales: Float32Array | Uint16Array, zps: Uint8Array | undefined, bias?: Float32Array): Float32Array {
  const blocks = Math.ceil(K / g);
  const y = new Float32Array(M * N);
  const xq = new Int32Array(blocks * g);
  const sx = new Float32Array(blocks);
  const sum = new Int32Array(blocks);
  for (let m = 0; m < M; m++) {
    let finite = true;
    for (let k = 0; k < K; k++) if (!Number.isFinite(x[m * K + k])) finite = false;
    xq.fill(0);
    for (let b = 0; b < blocks; b++) {
      let amax = 0;
      for (let j = 0; j < g && b * g + j < K; j++) amax = Math.max(amax, Math.abs(x[m * K + b * g + j]));
      const s = finite ? f(amax / 127) : NaN;
      const inv = finite && s !== 0 ? f(1 / s) : 0;
      let total = 0;
      for (let j = 0; j < g && b * g + j < K; j++) {
        const q = finite ? roundHalfEven(f(x[m * K + b * g + j] * inv)) : 0;
        xq[b * g + j] = q;
        total += q;
      }
      sx[b] = s;
      sum[b] = total;
    }
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let b = 0; b < blocks; b++) {
        let dot = 0;
        for (let j = 0; j < g; j++) {
          const byte = data[(n * blocks + b) * (g / 2) + (j >> 1)];
          dot += xq[b * g + j] * ((j & 1) ? byte >> 4 : byte & 15);
        }
        const zp = zps ? (zps[n * Math.ceil(blocks / 2) + (b >> 1)] >> (4 * (b & 1))) & 15 : 8;
        const sw = scales instanceof Uint16Array ? fp16ToFp32(scales[n * blocks + b]) : scales[n * blocks + b];
        acc = f(acc + f(f(dot - zp * sum[b]) * f(sx[b] * sw)));
      }
      y[m * N + n] = bias ? f(acc + bias[n]) : acc;
    }
  }
  return y;
}
