// linear and matmulInteger over the native GEMMs, with weights packed once and cached.
import { native } from './native.js';
import { QuantizedTensor } from './quantize.js';
import { Tensor, allocArray, describe, expectTensor, shapeSize } from './tensor.js';

/** kind: which native linear runs the pack. */
interface Packed {
  isa: string; kind: 'float32' | 'int8' | 'int4'; packed: Uint8Array; scales: Float32Array | null; N: number; K: number;
}

// Packs live beside the weight object; a pack made for another ISA (after setIsa) is replaced.
const packs = new WeakMap<object, Packed>();

function currentIsa(): string {
  return native._isa();
}

function packWeight(w: Tensor | QuantizedTensor, name: string, isa: string): Packed {
  if (w instanceof QuantizedTensor) {
    const [N, K] = w.dims;
    if (w.format === 'int4') {
      const packed = native._packQb4(w.data as Uint8Array, w.scales!, w.zeroPoints ?? null, N, K, w.groupSize,
        w.symmetric, w.scales instanceof Uint16Array);
      return { isa, kind: 'int4', packed, scales: null, N, K };
    }
    if (w.format === 'q4_0' || w.format === 'q4_1' || w.format === 'q8_0') {
      return { isa, kind: 'int4', packed: native._packGgml(w.format, w.data as Uint8Array, N, K), scales: null, N, K };
    }
    if (w.format !== 'int8') throw new RangeError(`${name}: format ${w.format} is not supported by linear yet`);
    if (!w.symmetric) {
      throw new RangeError(`${name}: linear needs symmetric int8 weights (quantize with symmetric: true)`);
    }
    // B = wᵀ: b(k, n) = w[n * K + k]
    const packed = native._packB('int8', w.data as Int8Array, K, N, 1, K);
    return { isa, kind: 'int8', packed, scales: w.scales as Float32Array, N, K };
  }
  expectTensor(w, name, ['float32'], 2);
  const [N, K] = w.dims;
  const packed = native._packB('float32', w.data as Float32Array, K, N, 1, K);
  return { isa, kind: 'float32', packed, scales: null, N, K };
}

function runLinear(x: Tensor, a: ReturnType<typeof linearArgs>, async: boolean, act?: ActivationQuant) {
  if (a.p.kind === 'int4') return native._linearQb4(x.data as Float32Array, a.M, a.K, a.p.packed, a.b, a.y, async);
  if (act) return native._linear(x.data as Float32Array, a.M, a.K, a.p.packed, a.p.scales, a.b, a.y, async, act.scale, act.zeroPoint);
  return native._linear(x.data as Float32Array, a.M, a.K, a.p.packed, a.p.scales, a.b, a.y, async);
}

/**
 * Fixed (static) uint8 quantization of linear's input, found by calibration: x is quantized
 * with ONNX QuantizeLinear (x / scale, round half to even, + zeroPoint, saturate to 0..255)
 * instead of per row from its own range.
 */
export interface ActivationQuant {
  scale: number;
  zeroPoint: number;
}

/** Options of linear / linearSync. */
export interface LinearOptions {
  /** int8 weights only: quantize x with these fixed parameters (default: per row, dynamic). */
  activation?: ActivationQuant;
}

function checkActivation(act: ActivationQuant | undefined, w: Tensor | QuantizedTensor): ActivationQuant | undefined {
  if (act === undefined) return undefined;
  if (act === null || typeof act !== 'object') throw new TypeError('opts.activation must be { scale, zeroPoint }');
  if (!(w instanceof QuantizedTensor) || w.format !== 'int8') {
    throw new TypeError('opts.activation (static activation quantization) needs int8 weights');
  }
  const { scale, zeroPoint } = act;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || !(Math.fround(scale) > 0) || !Number.isFinite(Math.fround(scale))) {
    throw new RangeError(`opts.activation.scale must be a finite positive float32, got ${String(scale)}`);
  }
  if (!Number.isInteger(zeroPoint) || zeroPoint < 0 || zeroPoint > 255) {
    throw new RangeError(`opts.activation.zeroPoint must be an integer in [0, 255], got ${String(zeroPoint)}`);
  }
  return { scale, zeroPoint };
}

function packedFor(w: Tensor | QuantizedTensor, name: string): Packed {
  if (!(w instanceof Tensor) && !(w instanceof QuantizedTensor)) {
    throw new TypeError(`${name} must be a Tensor or QuantizedTensor, got ${describe(w)}`);
  }
  if (w instanceof Tensor) expectTensor(w, name, ['float32'], 2);
  const isa = currentIsa();
  let p = packs.get(w);
  if (!p || p.isa !== isa) {
    p = packWeight(w, name, isa);
    packs.set(w, p);
  }
  return p;
}

/**
 * Packs a weight now (and again after its data was changed): linear and matmulInteger pack
 * on first use and cache the result on the weight object, treating weights as constants.
 */
export function repack(w: Tensor | QuantizedTensor): void {
  packs.delete(w);
  if (w instanceof Tensor && (w.type === 'int8')) packedB(w);
  else packedFor(w, 'w');
}

/** Options of the sync forms. */
export interface SyncOptions {
  /**
   * Write the result here instead of a new tensor: saves allocating (and page-faulting) a
   * fresh output per call in a loop. Must have the result's type and dims and must not share
   * memory with an input. Sync forms only: an async call cannot guard memory it does not own.
   */
  out?: Tensor;
}

function checkNoOverlap(out: Tensor, t: Tensor) {
  if (t.data.buffer === out.data.buffer &&
      t.data.byteOffset < out.data.byteOffset + out.data.byteLength &&
      out.data.byteOffset < t.data.byteOffset + t.data.byteLength) {
    throw new RangeError('opts.out shares memory with an input');
  }
}

function outputFor(out: Tensor | undefined, type: 'float32' | 'int32', dims: number[], inputs: Tensor[]) {
  if (out === undefined) return allocArray(type, shapeSize(dims));
  expectTensor(out, 'opts.out', [type]);
  if (out.dims.length !== dims.length || out.dims.some((d, i) => d !== dims[i])) {
    throw new RangeError(`opts.out must be [${dims.join(', ')}], got [${out.dims.join(', ')}]`);
  }
  for (const t of inputs) checkNoOverlap(out, t);
  return out.data as Float32Array | Int32Array;
}

// linear's opts.out: [...x.dims without K, N], checked without building arrays (this runs on
// every call of a small linear, where allocation is a visible part of the cost).
function linearOut(out: Tensor, x: Tensor, N: number, bias: Tensor | undefined, w: Tensor | QuantizedTensor): Float32Array {
  expectTensor(out, 'opts.out', ['float32']);
  const r = x.dims.length;
  let same = out.dims.length === r && out.dims[r - 1] === N;
  for (let i = 0; same && i < r - 1; i++) same = out.dims[i] === x.dims[i];
  if (!same) throw new RangeError(`opts.out must be [${[...x.dims.slice(0, -1), N].join(', ')}], got [${out.dims.join(', ')}]`);
  checkNoOverlap(out, x);
  if (bias) checkNoOverlap(out, bias);
  if (w instanceof Tensor) checkNoOverlap(out, w);
  return out.data as Float32Array;
}

function linearArgs(x: Tensor, w: Tensor | QuantizedTensor, bias: Tensor | undefined, out?: Tensor) {
  expectTensor(x, 'x', ['float32']);
  if (x.dims.length < 1) throw new RangeError('x must have at least one dimension [..., K]');
  const p = packedFor(w, 'w');
  const K = x.dims[x.dims.length - 1];
  if (K !== p.K) {
    throw new RangeError(`x's last dimension is ${K} but w is [${p.N}, ${p.K}]: they must agree on K`);
  }
  const M = K === 0 ? x.dims.slice(0, -1).reduce((a, b) => a * b, 1) : x.size / K;
  let b: Float32Array | null = null;
  if (bias !== undefined && bias !== null) {
    expectTensor(bias, 'bias', ['float32'], 1);
    if (bias.dims[0] !== p.N) throw new RangeError(`bias has ${bias.dims[0]} values, w has N = ${p.N}`);
    b = bias.data as Float32Array;
  }
  if (out !== undefined) return { M, K, p, b, y: linearOut(out, x, p.N, bias ?? undefined, w), dims: out.dims };
  const dims = [...x.dims.slice(0, -1), p.N];
  return { M, K, p, b, y: allocArray('float32', shapeSize(dims)), dims };
}

/**
 * y = x · wᵀ + bias. x float32 [..., K]; w float32 [N, K] (fp32 GEMM), a symmetric int8
 * QuantizedTensor (x quantized per row to uint8 on the fly, exact integer GEMM, float epilogue),
 * or an int4 / q4_0 / q4_1 / q8_0 QuantizedTensor (x quantized per block to int8, exact integer
 * dots, per-block float scaling). Runs on the calling thread: use `linear` for large work.
 */
export function linearSync(x: Tensor, w: Tensor | QuantizedTensor, bias?: Tensor, opts: SyncOptions & LinearOptions = {}): Tensor {
  const act = checkActivation(opts.activation, w);
  const a = linearArgs(x, w, bias, opts.out);
  runLinear(x, a, false, act);
  return opts.out ?? new Tensor('float32', a.y, a.dims);
}

/** linearSync off the main thread. x and bias are copied at the call: later changes are not seen. */
export async function linear(x: Tensor, w: Tensor | QuantizedTensor, bias?: Tensor, opts: LinearOptions = {}): Promise<Tensor> {
  const act = checkActivation(opts.activation, w);
  const a = linearArgs(x, w, bias);
  await runLinear(x, a, true, act);
  return new Tensor('float32', a.y, a.dims);
}

function packedB(b: Tensor): Packed {
  const isa = currentIsa();
  let p = packs.get(b);
  if (!p || p.isa !== isa) {
    const [K, N] = b.dims;
    p = { isa, kind: 'int8', packed: native._packB('int8', b.data as Int8Array, K, N, N, 1), scales: null, N, K };
    packs.set(b, p);
  }
  return p;
}

function matmulArgs(a: Tensor, b: Tensor, aZeroPoint: number, bZeroPoint: number, out?: Tensor) {
  expectTensor(a, 'a', ['uint8', 'int8'], 2);
  expectTensor(b, 'b', ['int8'], 2);
  const [M, K] = a.dims;
  if (b.dims[0] !== K) {
    throw new RangeError(`a is [${M}, ${K}] and b is [${b.dims.join(', ')}]: b must have K = ${K} rows`);
  }
  const signed = a.type === 'int8';
  const [lo, hi] = signed ? [-128, 127] : [0, 255];
  if (!Number.isInteger(aZeroPoint) || aZeroPoint < lo || aZeroPoint > hi) {
    throw new RangeError(`aZeroPoint must be an integer in [${lo}, ${hi}] for ${a.type} a, got ${aZeroPoint}`);
  }
  if (!Number.isInteger(bZeroPoint) || bZeroPoint < -128 || bZeroPoint > 127) {
    throw new RangeError(`bZeroPoint must be an integer in [-128, 127], got ${bZeroPoint}`);
  }
  const p = packedB(b);
  return { M, K, N: p.N, signed, p, c: outputFor(out, 'int32', [M, p.N], [a, b]) as Int32Array };
}

/**
 * ONNX MatMulInteger: c[m, n] = Σ_k (a[m, k] − aZeroPoint)(b[k, n] − bZeroPoint), exact int32
 * (wrapping like int32 accumulation would, for K beyond ~33,000 of extreme values).
 * a uint8|int8 [M, K], b int8 [K, N] (packed on first use and cached: see repack).
 */
export function matmulIntegerSync(a: Tensor, b: Tensor, aZeroPoint = 0, bZeroPoint = 0,
  opts: SyncOptions = {}): Tensor {
  const m = matmulArgs(a, b, aZeroPoint, bZeroPoint, opts.out);
  native._matmulInteger(a.data as Uint8Array | Int8Array, m.signed, m.M, m.K, aZeroPoint, m.p.packed,
    bZeroPoint, m.c, false);
  return opts.out ?? new Tensor('int32', m.c, [m.M, m.N]);
}

/** matmulIntegerSync off the main thread; a is copied at the call. */
export async function matmulInteger(a: Tensor, b: Tensor, aZeroPoint = 0, bZeroPoint = 0): Promise<Tensor> {
  const m = matmulArgs(a, b, aZeroPoint, bZeroPoint);
  await native._matmulInteger(a.data as Uint8Array | Int8Array, m.signed, m.M, m.K, aZeroPoint, m.p.packed,
    bZeroPoint, m.c, true);
  return new Tensor('int32', m.c, [m.M, m.N]);
}
