// quantize / dequantize, and ONNX QuantizeLinear / DequantizeLinear.
import { native } from './native.js';
import { Tensor, allocArray, describe, expectTensor } from './tensor.js';

export type QuantFormat = 'int8' | 'int4' | 'q4_0' | 'q4_1' | 'q8_0';

export interface QuantizeOptions {
  bits: 8 | 4;
  /**
   * Default true: no zero point (int8: values in int8; int4: weight = (q − 8)·scale).
   * false: a zero point per row (int8, as uint8) or per block (int4, 4-bit).
   */
  symmetric?: boolean;
  /**
   * Values per scale along the last axis: 16, 32 (default), 64, 128 or 256 for 4-bit (the
   * last block is zero-padded when it does not divide K); -1 = per row, the only 8-bit choice.
   */
  groupSize?: number;
  /** 4-bit: scales stored as float32 (default) or float16 (as Uint16Array bits). */
  scaleType?: 'float32' | 'float16';
  /**
   * 4-bit: 'rtn' rounds to nearest with the block's full range (default); 'mse' searches the
   * clipping range per block for the least squared error (slower to quantize, never worse).
   */
  method?: 'rtn' | 'mse';
  format?: 'q4_0' | 'q4_1' | 'q8_0';
}

/**
 * A quantized weight [N, K]: packed values plus scales (and zero points when asymmetric).
 * Treat it as immutable: linear() packs it for the kernels on first use and caches that.
 */
export class QuantizedTensor {
  readonly dims: readonly number[];
  readonly bits: 8 | 4;
  readonly format: QuantFormat;
  readonly groupSize: number;
  readonly symmetric: boolean;
  readonly data: Uint8Array | Int8Array;
  readonly scales?: Float32Array | Uint16Array;
  readonly zeroPoints?: Uint8Array;

  constructor(init: {
    dims: readonly number[]; bits: 8 | 4; format: QuantFormat; groupSize: number; symmetric: boolean;
    data: Uint8Array | Int8Array; scales?: Float32Array | Uint16Array; zeroPoints?: Uint8Array;
  }) {
    if (init.dims.length !== 2) throw new RangeError(`dims must be [N, K], got [${init.dims.join(', ')}]`);
    const [N, K] = init.dims;
    if (!Number.isSafeInteger(N) || !Number.isSafeInteger(K) || N < 0 || K < 0) {
      throw new RangeError(`dims must be non-negative integers, got [${init.dims.join(', ')}]`);
    }
    const ggml = GGML[init.format as GgmlFormat];
    if (ggml) {
      if (K % 32 !== 0) throw new RangeError(`${init.format} needs K to be a multiple of 32, got ${K}`);
      if (!(init.data instanceof Uint8Array)) throw new TypeError(`data must be a Uint8Array of ${init.format} blocks`);
      const bytes = (N * K / 32) * ggml.blockBytes;
      if (init.data.length !== bytes) throw new RangeError(`data has ${init.data.length} bytes, [${N}, ${K}] in ${init.format} needs ${bytes}`);
      this.dims = Object.freeze([N, K]);
      this.bits = ggml.bits;
      this.format = init.format;
      this.groupSize = 32;
      this.symmetric = ggml.symmetric;
      this.data = init.data;
      return;
    }
    if (init.format === 'int4') {
      const g = init.groupSize;
      if (![16, 32, 64, 128, 256].includes(g)) throw new RangeError(`groupSize must be 16, 32, 64, 128 or 256 for int4, got ${g}`);
      if (init.bits !== 4) throw new RangeError(`bits must be 4 for format int4, got ${String(init.bits)}`);
      const blocks = Math.ceil(K / g);
      if (!(init.data instanceof Uint8Array) || init.data.length !== N * blocks * g / 2) {
        throw new RangeError(`data must be a Uint8Array of N·ceil(K/g)·g/2 = ${N * blocks * g / 2} bytes`);
      }
      if (!(init.scales instanceof Float32Array || init.scales instanceof Uint16Array) || init.scales.length !== N * blocks) {
        throw new RangeError(`scales must be a Float32Array or Uint16Array (float16) of N·ceil(K/g) = ${N * blocks} values`);
      }
      if (!init.symmetric && (!(init.zeroPoints instanceof Uint8Array) || init.zeroPoints.length !== N * Math.ceil(blocks / 2))) {
        throw new RangeError(`zeroPoints must be a Uint8Array of N·ceil(ceil(K/g)/2) = ${N * Math.ceil(blocks / 2)} bytes`);
      }
      this.dims = Object.freeze([N, K]);
      this.bits = 4;
      this.format = 'int4';
      this.groupSize = g;
      this.symmetric = init.symmetric;
      this.data = init.data;
      this.scales = init.scales;
      if (!init.symmetric) this.zeroPoints = init.zeroPoints;
      return;
    }
    if (init.format !== 'int8') {
      throw new RangeError(`format ${String(init.format)} is not supported by this version of lowbit`);
    }
    if (init.bits !== 8) throw new RangeError(`bits must be 8 for format int8, got ${String(init.bits)}`);
    if (init.groupSize !== -1) throw new RangeError('int8 weights are per-channel: groupSize must be -1');
    const want = init.symmetric ? Int8Array : Uint8Array;
    if (!(init.data instanceof want)) {
      throw new TypeError(`data must be an ${want.name} for ${init.symmetric ? '' : 'a'}symmetric int8, got ${describe(init.data)}`);
    }
    if (init.data.length !== N * K) throw new RangeError(`data has ${init.data.length} values, dims need ${N * K}`);
    if (!(init.scales instanceof Float32Array) || init.scales.length !== N) {
      throw new RangeError(`scales must be a Float32Array of length N = ${N}`);
    }
    if (!init.symmetric && (!(init.zeroPoints instanceof Uint8Array) || init.zeroPoints.length !== N)) {
      throw new RangeError(`zeroPoints must be a Uint8Array of length N = ${N} for asymmetric int8`);
    }
    this.dims = Object.freeze([N, K]);
    this.bits = 8;
    this.format = 'int8';
    this.groupSize = -1;
    this.symmetric = init.symmetric;
    this.data = init.data;
    this.scales = init.scales;
    if (!init.symmetric) this.zeroPoints = init.zeroPoints;
  }
}

type GgmlFormat = 'q4_0' | 'q4_1' | 'q8_0';
/** ggml's blocks of 32 weights: fp16 scale (and min) inside each block. */
const GGML: Record<GgmlFormat, { bits: 4 | 8; blockBytes: number; symmetric: boolean }> = {
  q4_0: { bits: 4, blockBytes: 18, symmetric: true },
  q4_1: { bits: 4, blockBytes: 20, symmetric: false },
  q8_0: { bits: 8, blockBytes: 34, symmetric: true },
};

/**
 * Quantizes a float32 weight [N, K] (one row per output channel).
 * 8-bit: per-channel scales; symmetric → int8 with scale = max|w| / 127; asymmetric → uint8
 * over [min(0, min w), max(0, max w)] with a zero point per row. Values are rounded with
 * ONNX QuantizeLinear's rule (x / scale, half to even, saturate). Non-finite weights throw.
 */
export function quantize(x: Tensor, opts: QuantizeOptions): QuantizedTensor {
  expectTensor(x, 'x', ['float32'], 2);
  if (opts === null || typeof opts !== 'object') throw new TypeError('opts must be an object with bits');
  const { bits, symmetric = true, groupSize, format, scaleType = 'float32', method = 'rtn' } = opts;
  if (scaleType !== 'float32' && scaleType !== 'float16') throw new RangeError(`opts.scaleType must be float32 or float16, got ${String(scaleType)}`);
  if (method !== 'rtn' && method !== 'mse') throw new RangeError(`opts.method must be rtn or mse, got ${String(method)}`);
  if (bits !== 8 && bits !== 4) throw new RangeError(`opts.bits must be 8 or 4, got ${String(bits)}`);
  if (typeof symmetric !== 'boolean') throw new TypeError('opts.symmetric must be a boolean');
  if (format !== undefined) {
    const ggml = GGML[format as GgmlFormat];
    if (!ggml) throw new RangeError(`opts.format must be q4_0, q4_1 or q8_0, got ${String(format)}`);
    if (ggml.bits !== bits) throw new RangeError(`opts.format ${format} has ${ggml.bits}-bit weights, but opts.bits is ${bits}`);
    if (groupSize !== undefined && groupSize !== 32) throw new RangeError(`opts.groupSize must be 32 for ${format}, got ${groupSize}`);
    const [N, K] = x.dims;
    if (K % 32 !== 0) throw new RangeError(`x's last dimension must be a multiple of 32 for ${format}, got ${K}`);
    const data = new Uint8Array((N * K / 32) * ggml.blockBytes);
    if (!native._quantizeGgml(format, x.data as Float32Array, data)) {
      checkFinite(x);  // names the element
      throw new RangeError('weights must be finite to be quantized');
    }
    return new QuantizedTensor({ dims: [N, K], bits, format, groupSize: 32, symmetric: ggml.symmetric, data });
  }
  if (bits === 4) {
    const g = groupSize ?? 32;
    if (![16, 32, 64, 128, 256].includes(g)) throw new RangeError(`opts.groupSize must be 16, 32, 64, 128 or 256 for 4-bit, got ${String(groupSize)}`);
    const [N, K] = x.dims;
    const blocks = Math.ceil(K / g);
    const data = new Uint8Array(N * blocks * g / 2);
    const scales = scaleType === 'float16' ? new Uint16Array(N * blocks) : new Float32Array(N * blocks);
    const zeroPoints = symmetric ? undefined : new Uint8Array(N * Math.ceil(blocks / 2));
    // Native code checks for non-finite weights as it goes; only then find which, for the message.
    if (!native._quantizeQb4(x.data as Float32Array, N, K, g, symmetric, scaleType === 'float16', method === 'mse',
      data, scales, zeroPoints ?? null)) {
      checkFinite(x);
      throw new RangeError('weights must be finite to be quantized');
    }
    return new QuantizedTensor({ dims: [N, K], bits: 4, format: 'int4', groupSize: g, symmetric, data, scales, zeroPoints });
  }
  if (groupSize !== undefined && groupSize !== -1) {
    throw new RangeError(`opts.groupSize must be -1 (per-channel) for 8-bit, got ${String(groupSize)}`);
  }
  const [N, K] = x.dims;
  const scales = new Float32Array(N);
  const zeroPoints = symmetric ? undefined : new Uint8Array(N);
  const data = symmetric ? new Int8Array(N * K) : new Uint8Array(N * K);
  // Scales and values in native code (see quantize_weights_int8); it only reports that some
  // weight is not finite, so find which for the message.
  if (!native._quantizeWeightsInt8(x.data as Float32Array, N, K, symmetric, data, scales, zeroPoints ?? null)) checkFinite(x);
  return new QuantizedTensor({ dims: [N, K], bits: 8, format: 'int8', groupSize: -1, symmetric, data, scales, zeroPoints });
}

/** The arrays a QuantizedTensor of these dims and options holds, without quantizing anything. */
export interface QuantizedLayout {
  format: QuantFormat; bits: 4 | 8; groupSize: number; symmetric: boolean;
  data: { type: 'int8' | 'uint8'; length: number };
  scales?: { type: 'float32' | 'float16'; length: number };
  zeroPoints?: { length: number };
}

export function quantizedLayout(dims: readonly number[], opts: QuantizeOptions): QuantizedLayout {
  if (dims.length !== 2) throw new RangeError(`a quantized weight is [N, K], got [${dims.join(', ')}]`);
  const [N, K] = dims;
  const { bits, symmetric = true, groupSize, format, scaleType = 'float32' } = opts;
  if (format !== undefined) {
    const ggml = GGML[format as GgmlFormat];
    if (!ggml) throw new RangeError(`opts.format must be q4_0, q4_1 or q8_0, got ${String(format)}`);
    if (K % 32 !== 0) throw new RangeError(`x's last dimension must be a multiple of 32 for ${format}, got ${K}`);
    return { format, bits: ggml.bits, groupSize: 32, symmetric: ggml.symmetric, data: { type: 'uint8', length: (N * K / 32) * ggml.blockBytes } };
  }
  if (bits === 4) {
    const g = groupSize ?? 32;
    if (![16, 32, 64, 128, 256].includes(g)) throw new RangeError(`opts.groupSize must be 16, 32, 64, 128 or 256 for 4-bit, got ${String(groupSize)}`);
    const blocks = Math.ceil(K / g);
    return {
      format: 'int4', bits: 4, groupSize: g, symmetric, data: { type: 'uint8', length: N * blocks * g / 2 },
      scales: { type: scaleType, length: N * blocks }, ...(symmetric ? {} : { zeroPoints: { length: N * Math.ceil(blocks / 2) } }),
    };
  }
  if (bits !== 8) throw new RangeError(`opts.bits must be 8 or 4, got ${String(bits)}`);
  return {
    format: 'int8', bits: 8, groupSize: -1, symmetric, data: { type: symmetric ? 'int8' : 'uint8', length: N * K },
    scales: { type: 'float32', length: N }, ...(symmetric ? {} : { zeroPoints: { length: N } }),
  };
}

/** The layout of an existing QuantizedTensor. */
export function layoutOf(q: QuantizedTensor): QuantizedLayout {
  return {
    format: q.format, bits: q.bits, groupSize: q.groupSize, symmetric: q.symmetric,
    data: { type: q.data instanceof Int8Array ? 'int8' : 'uint8', length: q.data.length },
    ...(q.scales ? { scales: { type: q.scales instanceof Uint16Array ? 'float16' as const : 'float32' as const, length: q.scales.length } } : {}),
    ...(q.zeroPoints ? { zeroPoints: { length: q.zeroPoints.length } } : {}),
  };
}

/**
 * Back to float32 [N, K]: (q - zeroPoint) * scale, or ggml's dequantization for its blocks.
 * Large results are views aligned to 64 bytes (byteOffset may be non-zero), which lets the
 * kernels write them with streaming stores.
 */
export function dequantize(q: QuantizedTensor, opts: { out?: Tensor } = {}): Tensor {
  if (!(q instanceof QuantizedTensor)) throw new TypeError(`q must be a QuantizedTensor, got ${describe(q)}`);
  const [N, K] = q.dims;
  let y: Float32Array;
  if (opts.out !== undefined) {
    expectTensor(opts.out, 'opts.out', ['float32']);
    if (opts.out.size !== N * K) throw new RangeError(`opts.out must hold ${N * K} values, got ${opts.out.size}`);
    y = opts.out.data as Float32Array;
  } else {
    y = allocArray('float32', N * K);
  }
  const result = () => opts.out ?? new Tensor('float32', y, [N, K]);
  if (q.format in GGML) {
    native._dequantizeGgml(q.format as GgmlFormat, q.data as Uint8Array, y);
    return result();
  }
  if (q.format === 'int4') {
    native._dequantizeQb4(q.data as Uint8Array, q.scales!, q.zeroPoints ?? null, N, K, q.groupSize, q.symmetric,
      q.scales instanceof Uint16Array, y);
    return result();
  }
  const zps = q.zeroPoints ? Int32Array.from(q.zeroPoints) : null;
  native._dequantizeLinear(q.data, y, 1, N, K, q.scales as Float32Array, zps);
  return result();
}

export interface QuantizeLinearOptions {
  /** Axis of per-channel scales; ignored for a single scale. Default 1 (ONNX), negative counts from the end. */
  axis?: number;
  /** Output type when no zero point tensor says it: default 'uint8' (ONNX). */
  type?: 'int8' | 'uint8';
}

/**
 * ONNX QuantizeLinear: y = saturate(round_half_even(x / scale) + zeroPoint), bit-exact with
 * onnxruntime, including ±Inf (saturate) and NaN (the lowest value, as onnxruntime gives). scale: a number, or a float32
 * Tensor with one scale per slice along `axis`.
 */
export function quantizeLinear(x: Tensor, scale: number | Tensor, zeroPoint?: number | Tensor,
  opts: QuantizeLinearOptions = {}): Tensor {
  expectTensor(x, 'x', ['float32']);
  const type = zeroPoint instanceof Tensor ? zeroPoint.type : (opts.type ?? 'uint8');
  if (type !== 'int8' && type !== 'uint8') throw new TypeError(`zeroPoint must be int8 or uint8, got ${type}`);
  const p = perAxis(x, scale, zeroPoint, opts.axis, type);
  const y = allocArray(type, x.size);
  native._quantizeLinear(x.data as Float32Array, y, p.outer, p.channels, p.inner, p.scales, p.zps);
  return new Tensor(type, y, x.dims);
}

/** ONNX DequantizeLinear: y = (x - zeroPoint) * scale, float32. */
export function dequantizeLinear(x: Tensor, scale: number | Tensor, zeroPoint?: number | Tensor,
  opts: Pick<QuantizeLinearOptions, 'axis'> = {}): Tensor {
  expectTensor(x, 'x', ['int8', 'uint8']);
  if (zeroPoint instanceof Tensor && zeroPoint.type !== x.type) {
    throw new TypeError(`zeroPoint must have x's type ${x.type}, got ${zeroPoint.type}`);
  }
  const p = perAxis(x, scale, zeroPoint, opts.axis, x.type as 'int8' | 'uint8');
  const y = allocArray('float32', x.size);
  native._dequantizeLinear(x.data as Int8Array | Uint8Array, y, p.outer, p.channels, p.inner, p.scales, p.zps);
  return new Tensor('float32', y, x.dims);
}

function perAxis(x: Tensor, scale: number | Tensor, zeroPoint: number | Tensor | undefined,
  axisOpt: number | undefined, type: 'int8' | 'uint8') {
  const [lo, hi] = type === 'int8' ? [-128, 127] : [0, 255];
  let scales: Float32Array;
  if (typeof scale === 'number') {
    scales = Float32Array.of(scale);
  } else {
    expectTensor(scale, 'scale', ['float32']);
    scales = scale.data as Float32Array;
  }
  for (const s of scales) {
    if (!Number.isFinite(s) || s <= 0) throw new RangeError(`scale must be finite and positive, got ${s}`);
  }
  const channels = scales.length;
  let zps: Int32Array | null = null;
  if (typeof zeroPoint === 'number') {
    if (!Number.isInteger(zeroPoint) || zeroPoint < lo || zeroPoint > hi) {
      throw new RangeError(`zeroPoint must be an integer in [${lo}, ${hi}], got ${zeroPoint}`);
    }
    zps = new Int32Array(channels).fill(zeroPoint);
  } else if (zeroPoint !== undefined) {
    expectTensor(zeroPoint, 'zeroPoint', ['int8', 'uint8']);
    if (zeroPoint.size !== channels) {
      throw new RangeError(`zeroPoint has ${zeroPoint.size} values but scale has ${channels}`);
    }
    zps = Int32Array.from(zeroPoint.data as Int8Array | Uint8Array);
  }
  if (channels === 1) return { outer: 1, channels: 1, inner: x.size, scales, zps };
  const rank = x.dims.length;
  const axis = axisOpt === undefined ? 1 : axisOpt < 0 ? axisOpt + rank : axisOpt;
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
    throw new RangeError(`axis ${String(axisOpt)} is out of range for x of rank ${rank}`);
  }
  if (x.dims[axis] !== channels) {
    throw new RangeError(`scale has ${channels} values but x.dims[${axis}] is ${x.dims[axis]}`);
  }
  const outer = x.dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { outer, channels, inner, scales, zps };
}

function checkFinite(x: Tensor): void {
  const d = x.data as Float32Array;
  const K = x.dims[x.dims.length - 1];
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) {  // NaN for ±Inf and NaN; much faster than Number.isFinite on a Float32Array
      throw new RangeError(`x[${Math.floor(i / K)}, ${i % K}] is ${d[i]}: weights must be finite to be quantized`);
    }
  }
}


/** float32 → float16 (IEEE half bits in a Uint16Array), round half to even, overflow to ±Inf. */
export function toFloat16(x: Tensor): Tensor {
  expectTensor(x, 'x', ['float32']);
  return new Tensor('float16', native._convertHalf(x.data as Float32Array, new Uint16Array(x.size)), x.dims);
}

/** float16 or bfloat16 → float32 (exact). float32 input is returned as is. */
export function toFloat32(x: Tensor): Tensor {
  expectTensor(x, 'x', ['float32', 'float16', 'bfloat16']);
  if (x.type === 'float32') return x;
  const src = x.data as Uint16Array;
  if (x.type === 'float16') return new Tensor('float32', native._convertHalf(src, new Float32Array(x.size)), x.dims);
  const bits = new Uint32Array(x.size);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return new Tensor('float32', new Float32Array(bits.buffer), x.dims);
}
