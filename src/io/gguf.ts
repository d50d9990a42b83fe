// GGUF v3: read (metadata of every type, tensor infos, F32/F16/BF16/Q4_0/Q4_1/Q8_0 data) and
// write files that ggml's reader accepts (aligned, ordered offsets, general.alignment). ne[0]
// is the contiguous axis: a [N, K] weight is stored as ne = [K, N]. The parser treats the file
// as hostile: every count, length and offset is checked before use.
import { open } from 'node:fs/promises';
import { endianness } from 'node:os';
import { QuantizedTensor } from '../quantize.js';
import { Tensor } from '../tensor.js';
import { Cursor, bad, readRange } from './reader.js';
import type { TensorMap } from './safetensors.js';

const MAGIC = 0x46554747;  // "GGUF" little-endian
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4;
const MAX_ARRAY_DEPTH = 4;

enum Kv { U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12 }
const KV_SIZE: Partial<Record<Kv, number>> = {
  [Kv.U8]: 1, [Kv.I8]: 1, [Kv.U16]: 2, [Kv.I16]: 2, [Kv.U32]: 4, [Kv.I32]: 4, [Kv.F32]: 4, [Kv.BOOL]: 1,
  [Kv.U64]: 8, [Kv.I64]: 8, [Kv.F64]: 8,
};

// ggml types lowbit reads and writes: bytes per block of `block` values.
const TYPES: Record<number, { name: string; block: number; bytes: number }> = {
  0: { name: 'F32', block: 1, bytes: 4 },
  1: { name: 'F16', block: 1, bytes: 2 },
  2: { name: 'Q4_0', block: 32, bytes: 18 },
  3: { name: 'Q4_1', block: 32, bytes: 20 },
  8: { name: 'Q8_0', block: 32, bytes: 34 },
  30: { name: 'BF16', block: 1, bytes: 2 },
};

/** A metadata value with its GGUF type, for values whose JavaScript type is ambiguous. */
export class GGUFValue {
  constructor(readonly type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'u64' | 'i64' | 'f64', readonly value: number | bigint) {}
}

async function readString(c: Cursor, what: string): Promise<string> {
  const len = await c.u64(`${what} length`);
  return (await c.need(len, what)).toString('utf8');
}

// Reads one value with every number wrapped in a GGUFValue of its stored type (see untyped).
async function readValue(c: Cursor, type: number, what: string, depth: number): Promise<unknown> {
  const b = async (n: number) => c.need(n, what);
  const typed = (t: GGUFValue['type'], v: number | bigint) => new GGUFValue(t, v);
  switch (type) {
    case Kv.U8: return typed('u8', (await b(1)).readUInt8(0));
    case Kv.I8: return typed('i8', (await b(1)).readInt8(0));
    case Kv.U16: return typed('u16', (await b(2)).readUInt16LE(0));
    case Kv.I16: return typed('i16', (await b(2)).readInt16LE(0));
    case Kv.U32: return typed('u32', (await b(4)).readUInt32LE(0));
    case Kv.I32: return typed('i32', (await b(4)).readInt32LE(0));
    case Kv.F32: return typed('f32', (await b(4)).readFloatLE(0));
    case Kv.BOOL: {
      const v = (await b(1)).readUInt8(0);
      if (v > 1) throw bad(c.name, `${what}: bool value ${v}`, c.pos - 1);
      return v === 1;
    }
    case Kv.STRING: return readString(c, what);
    case Kv.U64: { const v = (await b(8)).readBigUInt64LE(0); return typed('u64', v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v); }
    case Kv.I64: {
      const v = (await b(8)).readBigInt64LE(0);
      return typed('i64', v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v);
    }
    case Kv.F64: return typed('f64', (await b(8)).readDoubleLE(0));
    case Kv.ARRAY: {
      if (depth >= MAX_ARRAY_DEPTH) throw bad(c.name, `${what}: arrays nested too deeply`, c.pos);
      const elem = await c.u32(`${what} element type`);
      const count = await c.u64(`${what} count`);
      const min = elem === Kv.STRING ? 8 : elem === Kv.ARRAY ? 12 : KV_SIZE[elem as Kv];
      if (min === undefined) throw bad(c.name, `${what}: unknown element type ${elem}`, c.pos - 12);
      if (count * min > c.size - c.pos) throw bad(c.name, `${what}: ${count} elements cannot fit in the rest of the file`, c.pos);
      const out: unknown[] = new Array(count);
      for (let i = 0; i < count; i++) out[i] = await readValue(c, elem, `${what}[${i}]`, depth + 1);
      return out;
    }
    default:
      throw bad(c.name, `${what}: unknown value type ${type}`, c.pos - 4);
  }
}

// The plain JavaScript form of a value read with its types: numbers (bigint past 2^53).
function untyped(v: unknown): unknown {
  if (v instanceof GGUFValue) return v.value;
  return Array.isArray(v) ? v.map(untyped) : v;
}

/** One tensor as a GGUF file describes it. */
export interface GGUFEntry {
  name: string;
  /** ggml dims, ne[0] contiguous. */
  ne: number[];
  /** ggml type name: F32, F16, BF16, Q4_0, Q4_1, Q8_0. */
  type: string;
  offset: number;
  bytes: number;
}

/** An open GGUF file: metadata and tensor infos, checked; tensors read one at a time. */
export interface GGUFFile {
  path: string;
  /** Metadata as plain values: numbers (bigint past 2^53), strings, booleans, arrays. */
  metadata: Record<string, unknown>;
  /**
   * The same metadata with every number a GGUFValue of its stored type (u8 … f64): give it to
   * writeGGUF / writeGGUFParts to write each value back as it was (a float 10000.0 stays f32,
   * an i16 stays i16), which readers that insist on a value's type need.
   */
  typedMetadata: Record<string, unknown>;
  entries: GGUFEntry[];
  read(name: string): Promise<Tensor | QuantizedTensor>;
  close(): Promise<void>;
}

/** Reads a GGUF v3 file; tensor data is read tensor by tensor (the file is never loaded whole). */
export async function readGGUF(path: string): Promise<{ metadata: Record<string, unknown>; tensors: TensorMap }> {
  const file = await openGGUF(path);
  try {
    const tensors: TensorMap = new Map();
    for (const e of file.entries) tensors.set(e.name, await file.read(e.name));
    return { metadata: file.metadata, tensors };
  } finally {
    await file.close();
  }
}

/** Opens a GGUF v3 file and checks its header and tensor infos; no tensor data is read yet. */
export async function openGGUF(path: string): Promise<GGUFFile> {
  if (endianness() !== 'LE') throw new Error('lowbit reads GGUF files on little-endian machines only');
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const c = new Cursor(fh, size, path);
    if ((await c.u32('magic')) !== MAGIC) throw bad(path, 'not a GGUF file (bad magic)', 0);
    const version = await c.u32('version');
    if (version !== 3) throw bad(path, `GGUF version ${version} is not supported (only 3)`, 4);
    const nTensors = await c.u64('tensor count');
    const nKv = await c.u64('metadata count');
    if (nKv * 12 > size || nTensors * 24 > size) throw bad(path, `${nKv} metadata entries and ${nTensors} tensors cannot fit in ${size} bytes`, 8);
    const metadata: Record<string, unknown> = {}, typedMetadata: Record<string, unknown> = {};
    for (let i = 0; i < nKv; i++) {
      const key = await readString(c, `metadata key ${i}`);
      if (Object.hasOwn(metadata, key)) throw bad(path, `metadata key ${key} appears twice`, c.pos);
      const type = await c.u32(`type of ${key}`);
      const value = await readValue(c, type, key, 0);
      // Own properties even for keys such as __proto__ (plain assignment would set the prototype).
      Object.defineProperty(typedMetadata, key, { value, enumerable: true, writable: true, configurable: true });
      Object.defineProperty(metadata, key, { value: untyped(value), enumerable: true, writable: true, configurable: true });
    }
    const alignment = metadata['general.alignment'] ?? DEFAULT_ALIGNMENT;
    if (typeof alignment !== 'number' || !Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) {
      throw bad(path, `general.alignment ${String(alignment)} must be a positive multiple of 8`);
    }
    const infos: { name: string; ne: number[]; type: number; offset: number; bytes: number }[] = [];
    const names = new Set<string>();
    for (let i = 0; i < nTensors; i++) {
      const name = await readString(c, `tensor ${i} name`);
      if (names.has(name)) throw bad(path, `tensor ${name} appears twice`, c.pos);
      names.add(name);
      const nDims = await c.u32(`tensor ${name} dims`);
      if (nDims < 1 || nDims > MAX_DIMS) throw bad(path, `tensor ${name}: ${nDims} dimensions (1 to ${MAX_DIMS} allowed)`, c.pos - 4);
      const ne: number[] = [];
      for (let d = 0; d < nDims; d++) ne.push(await c.u64(`tensor ${name} ne[${d}]`));
      const type = await c.u32(`tensor ${name} type`);
      const offset = await c.u64(`tensor ${name} offset`);
      const spec = TYPES[type];
      if (!spec) throw bad(path, `tensor ${name}: ggml type ${type} is not supported (F32, F16, BF16, Q4_0, Q4_1, Q8_0)`);
      if (ne[0] % spec.block !== 0) throw bad(path, `tensor ${name}: ne[0] = ${ne[0]} is not a multiple of the ${spec.name} block (${spec.block})`);
      const count = ne.reduce((a, b) => a * b, 1);
      const bytes = (count / spec.block) * spec.bytes;
      if (!Number.isSafeInteger(bytes)) throw bad(path, `tensor ${name}: shape [${ne}] is too large`);
      if (offset % alignment !== 0) throw bad(path, `tensor ${name}: offset ${offset} is not aligned to ${alignment}`);
      infos.push({ name, ne, type, offset, bytes });
    }
    const dataStart = Math.ceil(c.pos / alignment) * alignment;
    const sorted = [...infos].sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < sorted.length; i++) {
      const t = sorted[i];
      if (dataStart + t.offset + t.bytes > size) throw bad(path, `tensor ${t.name}: data lies past the end of the file`);
      if (i > 0 && t.offset < sorted[i - 1].offset + sorted[i - 1].bytes) throw bad(path, `tensors ${sorted[i - 1].name} and ${t.name} overlap`);
    }
    const byName = new Map(infos.map((t) => [t.name, t]));
    return {
      path, metadata, typedMetadata, entries: infos.map((t) => ({ name: t.name, ne: t.ne, type: TYPES[t.type].name, offset: t.offset, bytes: t.bytes })),
      async read(name: string) {
        const t = byName.get(name);
        if (!t) throw new RangeError(`${path} has no tensor named ${name}`);
        const buf = await readRange(fh, dataStart + t.offset, t.bytes, path, `tensor ${t.name}`);
        const dims = [...t.ne].reverse();
        const spec = TYPES[t.type];
        if (spec.name === 'F32') return new Tensor('float32', new Float32Array(buf.buffer, buf.byteOffset, t.bytes / 4), dims);
        if (spec.name === 'F16') return new Tensor('float16', new Uint16Array(buf.buffer, buf.byteOffset, t.bytes / 2), dims);
        if (spec.name === 'BF16') return new Tensor('bfloat16', new Uint16Array(buf.buffer, buf.byteOffset, t.bytes / 2), dims);
        const K = t.ne[0], N = t.ne.slice(1).reduce((a, b) => a * b, 1);
        const format = spec.name.toLowerCase() as 'q4_0' | 'q4_1' | 'q8_0';
        return new QuantizedTensor({
          dims: [N, K], bits: format === 'q8_0' ? 8 : 4, format, groupSize: 32, symmetric: format !== 'q4_1',
          data: new Uint8Array(buf.buffer, buf.byteOffset, t.bytes),
        });
      },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

function encodeString(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(body.length));
  return Buffer.concat([len, body]);
}

// The GGUF type a plain number (or every number of an array) is written as: u32 or i32 when
// whole and in range, i64 when whole and wider, else f32.
function numberType(xs: number[]): GGUFValue['type'] {
  if (!xs.every(Number.isInteger)) return 'f32';
  if (xs.every((x) => x >= 0 && x <= 0xffffffff)) return 'u32';
  if (xs.every((x) => x >= -0x80000000 && x <= 0x7fffffff)) return 'i32';
  return 'i64';
}

function encodeValue(v: unknown, key: string): { type: number; bytes: Buffer } {
  const scalar = (type: Kv, n: number, write: (b: Buffer) => void) => { const b = Buffer.alloc(n); write(b); return { type, bytes: b }; };
  if (v instanceof GGUFValue) {
    const x = v.value;
    switch (v.type) {
      case 'u8': return scalar(Kv.U8, 1, (b) => b.writeUInt8(Number(x)));
      case 'i8': return scalar(Kv.I8, 1, (b) => b.writeInt8(Number(x)));
      case 'u16': return scalar(Kv.U16, 2, (b) => b.writeUInt16LE(Number(x)));
      case 'i16': return scalar(Kv.I16, 2, (b) => b.writeInt16LE(Number(x)));
      case 'u32': return scalar(Kv.U32, 4, (b) => b.writeUInt32LE(Number(x)));
      case 'i32': return scalar(Kv.I32, 4, (b) => b.writeInt32LE(Number(x)));
      case 'f32': return scalar(Kv.F32, 4, (b) => b.writeFloatLE(Number(x)));
      case 'u64': return scalar(Kv.U64, 8, (b) => b.writeBigUInt64LE(BigInt(x)));
      case 'i64': return scalar(Kv.I64, 8, (b) => b.writeBigInt64LE(BigInt(x)));
      case 'f64': return scalar(Kv.F64, 8, (b) => b.writeDoubleLE(Number(x)));
    }
  }
  if (typeof v === 'string') return { type: Kv.STRING, bytes: encodeString(v) };
  if (typeof v === 'boolean') return scalar(Kv.BOOL, 1, (b) => b.writeUInt8(v ? 1 : 0));
  if (typeof v === 'bigint') return scalar(v < 0n ? Kv.I64 : Kv.U64, 8, (b) => (v < 0n ? b.writeBigInt64LE(v) : b.writeBigUInt64LE(v)));
  if (typeof v === 'number') return encodeValue(new GGUFValue(numberType([v]), v), key);
  if (Array.isArray(v)) {
    // Plain numbers in one array share the type that holds them all ([-1, 2] is i32, not u32 and i32).
    const common = v.length && v.every((x) => typeof x === 'number') ? numberType(v as number[]) : undefined;
    const items = v.map((x, i) => encodeValue(common ? new GGUFValue(common, x as number) : x, `${key}[${i}]`));
    const elem = items.length ? items[0].type : Kv.U32;
    if (items.some((it) => it.type !== elem)) throw new TypeError(`metadata ${key}: array elements must all have one type`);
    const head = Buffer.alloc(12);
    head.writeUInt32LE(elem, 0);
    head.writeBigUInt64LE(BigInt(items.length), 4);
    // A nested array's bytes already start with its own element type and count.
    return { type: Kv.ARRAY, bytes: Buffer.concat([head, ...items.map((it) => it.bytes)]) };
  }
  throw new TypeError(`metadata ${key}: ${typeof v} values cannot be stored in GGUF`);
}

/** One tensor to write: ggml dims and type, and its bytes produced only when its turn comes. */
export interface GGUFPart {
  name: string;
  ne: number[];
  /** F32, F16, BF16, Q4_0, Q4_1 or Q8_0. */
  type: string;
  byteLength: number;
  bytes: () => Uint8Array | Promise<Uint8Array>;
}

const TYPE_CODE: Record<string, number> = Object.fromEntries(Object.entries(TYPES).map(([code, t]) => [t.name, Number(code)]));

/** A tensor as a GGUF part: float tensors as F32/F16/BF16, q4_0/q4_1/q8_0 as their ggml types. */
export function ggufPart(name: string, t: Tensor | QuantizedTensor): GGUFPart {
  if (t instanceof QuantizedTensor) {
    const type = { q4_0: 'Q4_0', q4_1: 'Q4_1', q8_0: 'Q8_0' }[t.format as string];
    if (type === undefined) throw new TypeError(`tensor ${name}: format ${t.format} has no GGUF type (use q4_0, q4_1 or q8_0)`);
    return { name, ne: [t.dims[1], t.dims[0]], type, byteLength: t.data.byteLength, bytes: () => t.data as Uint8Array };
  }
  if (t instanceof Tensor) {
    const type = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' }[t.type as string];
    if (type === undefined) throw new TypeError(`tensor ${name}: type ${t.type} cannot be stored in GGUF (float32, float16, bfloat16)`);
    if (t.dims.length < 1 || t.dims.length > MAX_DIMS) throw new RangeError(`tensor ${name}: GGUF stores 1 to 4 dimensions`);
    return { name, ne: [...t.dims].reverse(), type, byteLength: t.data.byteLength, bytes: () => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
  }
  throw new TypeError(`tensor ${name} must be a Tensor or QuantizedTensor`);
}

/**
 * Writes a GGUF v3 file: F32/F16/BF16 tensors and q4_0/q4_1/q8_0 QuantizedTensors. Sets
 * general.alignment (32 unless given), general.architecture ("lowbit" unless given) and, when
 * any tensor is quantized, general.quantization_version (2).
 */
export async function writeGGUF(path: string, model: { metadata?: Record<string, unknown>; tensors: TensorMap }): Promise<void> {
  await writeGGUFParts(path, model.metadata ?? {}, [...model.tensors].map(([name, t]) => ggufPart(name, t)));
}

/**
 * Writes a GGUF v3 file part by part: header and tensor infos first (every size is known),
 * then each tensor's bytes as it is produced, so only one need be in memory at a time.
 */
export async function writeGGUFParts(path: string, metadata: Record<string, unknown>, parts: GGUFPart[]): Promise<void> {
  if (endianness() !== 'LE') throw new Error('lowbit writes GGUF files on little-endian machines only');
  const meta: Record<string, unknown> = { 'general.architecture': 'lowbit', ...metadata };
  const alignment = meta['general.alignment'] instanceof GGUFValue ? Number((meta['general.alignment'] as GGUFValue).value)
    : (meta['general.alignment'] as number | undefined) ?? DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) throw new RangeError('general.alignment must be a positive multiple of 8');
  meta['general.alignment'] = new GGUFValue('u32', alignment);
  const names = new Set<string>();
  for (const p of parts) {
    if (names.has(p.name)) throw new RangeError(`two tensors are named ${p.name}`);
    names.add(p.name);
    if (TYPE_CODE[p.type] === undefined) throw new TypeError(`tensor ${p.name}: ggml type ${p.type} is not supported`);
    if (p.type.startsWith('Q')) meta['general.quantization_version'] ??= new GGUFValue('u32', 2);
  }
  const chunks: Buffer[] = [];
  const head = Buffer.alloc(24);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(3, 4);
  head.writeBigUInt64LE(BigInt(parts.length), 8);
  head.writeBigUInt64LE(BigInt(Object.keys(meta).length), 16);
  chunks.push(head);
  for (const [key, value] of Object.entries(meta)) {
    const { type, bytes } = encodeValue(value, key);
    const t = Buffer.alloc(4);
    t.writeUInt32LE(type);
    chunks.push(encodeString(key), t, bytes);
  }
  let offset = 0;
  for (const e of parts) {
    const info = Buffer.alloc(4 + 8 * e.ne.length + 4 + 8);
    info.writeUInt32LE(e.ne.length, 0);
    e.ne.forEach((d, i) => info.writeBigUInt64LE(BigInt(d), 4 + 8 * i));
    info.writeUInt32LE(TYPE_CODE[e.type], 4 + 8 * e.ne.length);
    info.writeBigUInt64LE(BigInt(offset), 8 + 8 * e.ne.length);
    chunks.push(encodeString(e.name), info);
    offset = Math.ceil((offset + e.byteLength) / alignment) * alignment;  // every tensor padded
  }
  const headerLen = chunks.reduce((a, b) => a + b.length, 0);
  chunks.push(Buffer.alloc(Math.ceil(headerLen / alignment) * alignment - headerLen));
  const fh = await open(path, 'w');
  try {
    for (const ch of chunks) await fh.write(ch);
    for (const e of parts) {
      const data = await e.bytes();
      if (data.byteLength !== e.byteLength) throw new Error(`tensor ${e.name}: produced ${data.byteLength} bytes, the header says ${e.byteLength}`);
      await fh.write(data);
      const pad = Math.ceil(data.byteLength / alignment) * alignment - data.byteLength;
      if (pad) await fh.write(Buffer.alloc(pad));
    }
  } finally {
    await fh.close();
  }
}
