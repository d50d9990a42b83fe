// safetensors: read and write float32/float16/bfloat16/int8/uint8/int32 tensors, and lowbit's
// quantized tensors as their packed parts (values, scales, zero points) described in
// __metadata__, so a file round-trips exactly. The parser treats the file as hostile.
import { open } from 'node:fs/promises';
import { endianness } from 'node:os';
import { QuantizedTensor } from '../quantize.js';
import { Tensor, type DType, type TypedArray } from '../tensor.js';
import { Cursor, bad, readRange } from './reader.js';

export type TensorMap = Map<string, Tensor | QuantizedTensor>;

const DTYPES: Record<string, { type: DType; bytes: number; make: (b: ArrayBuffer, o: number, n: number) => TypedArray }> = {
  F32: { type: 'float32', bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  F16: { type: 'float16', bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  BF16: { type: 'bfloat16', bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  I8: { type: 'int8', bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  U8: { type: 'uint8', bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  I32: { type: 'int32', bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
};
const CODE: Partial<Record<DType, string>> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16', int8: 'I8', uint8: 'U8', int32: 'I32' };
const QUANT_PREFIX = 'lowbit.quantized.';
const MAX_HEADER = 100 * 1024 * 1024;

interface QuantMeta {
  format: QuantizedTensor['format']; bits: 4 | 8; groupSize: number; symmetric: boolean; dims: number[];
}

function assertLittleEndian() {
  if (endianness() !== 'LE') throw new Error('lowbit reads and writes tensor files on little-endian machines only');
}

/** Reads a .safetensors file; tensors are read one by one (the file is never loaded whole). */
export async function readSafetensors(path: string): Promise<{ metadata: Record<string, string>; tensors: TensorMap }> {
  assertLittleEndian();
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const cur = new Cursor(fh, size, path);
    const headerLen = await cur.u64('header length');
    if (headerLen > MAX_HEADER) throw bad(path, `header length ${headerLen} is implausibly large`, 0);
    const text = (await cur.need(headerLen, 'header')).toString('utf8');
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(text);
    } catch (e) {
      throw bad(path, `header is not valid JSON (${(e as Error).message})`, 8);
    }
    if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad(path, 'header is not a JSON object', 8);
    const dataStart = 8 + headerLen;
    const dataSize = size - dataStart;
    const metadata: Record<string, string> = {};
    const rawMeta = header.__metadata__;
    if (rawMeta !== undefined) {
      if (rawMeta === null || typeof rawMeta !== 'object' || Array.isArray(rawMeta)) throw bad(path, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(rawMeta)) {
        if (typeof v !== 'string') throw bad(path, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
    }
    const raw = new Map<string, Tensor>();
    const spans: [number, number, string][] = [];
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (t === null || typeof t !== 'object') throw bad(path, `tensor ${name}: entry is not an object`);
      const spec = typeof t.dtype === 'string' ? DTYPES[t.dtype] : undefined;
      if (!spec) throw bad(path, `tensor ${name}: dtype ${String(t.dtype)} is not supported`);
      if (!Array.isArray(t.shape) || t.shape.length > 8 || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw bad(path, `tensor ${name}: shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`);
      }
      const count = (t.shape as number[]).reduce((a, b) => a * b, 1);
      const off = t.data_offsets;
      if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0) || off[0] > off[1]) {
        throw bad(path, `tensor ${name}: data_offsets ${JSON.stringify(off)} are not [begin, end]`);
      }
      const [begin, end] = off as [number, number];
      if (!Number.isSafeInteger(count * spec.bytes) || end - begin !== count * spec.bytes) {
        throw bad(path, `tensor ${name}: ${end - begin} bytes of data for shape [${t.shape}] of ${t.dtype}`);
      }
      if (end > dataSize) throw bad(path, `tensor ${name}: data [${begin}, ${end}) lies past the end of the file`);
      spans.push([begin, end, name]);
      const bytes = await readRange(fh, dataStart + begin, end - begin, path, `tensor ${name}`);
      raw.set(name, new Tensor(spec.type, spec.make(bytes.buffer as ArrayBuffer, bytes.byteOffset, count), t.shape as number[]));
    }
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) {
      if (spans[i][0] < spans[i - 1][1]) throw bad(path, `tensors ${spans[i - 1][2]} and ${spans[i][2]} overlap`);
    }
    return { metadata, tensors: assembleQuantized(raw, metadata, path) };
  } finally {
    await fh.close();
  }
}

function assembleQuantized(raw: Map<string, Tensor>, metadata: Record<string, string>, path: string): TensorMap {
  const out: TensorMap = new Map();
  const used = new Set<string>();
  for (const [key, value] of Object.entries(metadata)) {
    if (!key.startsWith(QUANT_PREFIX)) continue;
    const name = key.slice(QUANT_PREFIX.length);
    let meta: QuantMeta;
    try {
      meta = JSON.parse(value);
    } catch {
      throw bad(path, `metadata ${key} is not JSON`);
    }
    const data = raw.get(name), scales = raw.get(`${name}.scales`), zps = raw.get(`${name}.zero_points`);
    if (!data) throw bad(path, `metadata ${key} names a tensor that is not in the file`);
    try {
      out.set(name, new QuantizedTensor({
        dims: meta.dims, bits: meta.bits, format: meta.format, groupSize: meta.groupSize, symmetric: meta.symmetric,
        data: data.data as Uint8Array | Int8Array,
        scales: scales?.data as Float32Array | Uint16Array | undefined,
        zeroPoints: zps?.data as Uint8Array | undefined,
      }));
    } catch (e) {
      throw bad(path, `quantized tensor ${name} is inconsistent: ${(e as Error).message}`);
    }
    used.add(name).add(`${name}.scales`).add(`${name}.zero_points`);
  }
  for (const [name, t] of raw) if (!used.has(name)) out.set(name, t);
  return out;
}

/** Writes a .safetensors file; quantized tensors become their parts plus a metadata entry. */
export async function writeSafetensors(path: string, model: { metadata?: Record<string, string>; tensors: TensorMap }): Promise<void> {
  assertLittleEndian();
  const metadata: Record<string, string> = { ...(model.metadata ?? {}) };
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new TypeError(`metadata.${k} must be a string (safetensors metadata is text)`);
  }
  const parts: [string, string, number[], Uint8Array][] = [];
  const add = (name: string, t: TypedArray, code: string, shape: number[]) =>
    parts.push([name, code, shape, new Uint8Array(t.buffer, t.byteOffset, t.byteLength)]);
  for (const [name, t] of model.tensors) {
    if (name === '__metadata__') throw new RangeError('a tensor cannot be named __metadata__');
    if (t instanceof QuantizedTensor) {
      const meta: QuantMeta = { format: t.format, bits: t.bits, groupSize: t.groupSize, symmetric: t.symmetric, dims: [...t.dims] };
      metadata[QUANT_PREFIX + name] = JSON.stringify(meta);
      add(name, t.data, t.data instanceof Int8Array ? 'I8' : 'U8', [t.data.length]);
      if (t.scales) add(`${name}.scales`, t.scales, t.scales instanceof Uint16Array ? 'F16' : 'F32', [t.scales.length]);
      if (t.zeroPoints) add(`${name}.zero_points`, t.zeroPoints, 'U8', [t.zeroPoints.length]);
    } else if (t instanceof Tensor) {
      const code = CODE[t.type];
      if (!code) throw new TypeError(`tensor ${name}: type ${t.type} cannot be stored in safetensors`);
      add(name, t.data, code, [...t.dims]);
    } else {
      throw new TypeError(`tensor ${name} must be a Tensor or QuantizedTensor`);
    }
  }
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, code, shape, bytes] of parts) {
    if (name in header) throw new RangeError(`two tensors are named ${name}`);
    header[name] = { dtype: code, shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);  // data starts 8-aligned
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const fh = await open(path, 'w');
  try {
    await fh.write(head);
    await fh.write(Buffer.from(json, 'utf8'));
    for (const [, , , bytes] of parts) await fh.write(bytes);
  } finally {
    await fh.close();
  }
}
