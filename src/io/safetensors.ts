// safetensors: read and write float32/float16/bfloat16/int8/uint8/int32 tensors, and lowbit's
// quantized tensors as their packed parts (values, scales, zero points) described in
// __metadata__, so a file round-trips exactly. The parser treats the file as hostile.
import { open } from 'node:fs/promises';
import { endianness } from 'node:os';
import { QuantizedTensor, layoutOf, type QuantizedLayout } from '../quantize.js';
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

/** One tensor as the file stores it (a quantized tensor's parts are separate entries). */
export interface SafetensorsEntry {
  name: string;
  /** safetensors dtype code: F32, F16, BF16, I8, U8, I32. */
  dtype: string;
  shape: number[];
  /** Byte range within the data section. */
  begin: number;
  end: number;
}

/** An open .safetensors file: its header, checked, and tensors read one at a time on demand. */
export interface SafetensorsFile {
  path: string;
  metadata: Record<string, string>;
  entries: SafetensorsEntry[];
  /** Reads one stored tensor (not assembled into a QuantizedTensor). */
  read(name: string): Promise<Tensor>;
  close(): Promise<void>;
}

/** Opens a .safetensors file and checks its header; no tensor data is read yet. */
export async function openSafetensors(path: string): Promise<SafetensorsFile> {
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
    const entries: SafetensorsEntry[] = [];
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
      entries.push({ name, dtype: t.dtype as string, shape: t.shape as number[], begin, end });
    }
    const spans = [...entries].sort((a, b) => a.begin - b.begin);
    for (let i = 1; i < spans.length; i++) {
      if (spans[i].begin < spans[i - 1].end) throw bad(path, `tensors ${spans[i - 1].name} and ${spans[i].name} overlap`);
    }
    const byName = new Map(entries.map((e) => [e.name, e]));
    return {
      path, metadata, entries,
      async read(name: string) {
        const e = byName.get(name);
        if (!e) throw new RangeError(`${path} has no tensor named ${name}`);
        const spec = DTYPES[e.dtype];
        const bytes = await readRange(fh, dataStart + e.begin, e.end - e.begin, path, `tensor ${name}`);
        return new Tensor(spec.type, spec.make(bytes.buffer as ArrayBuffer, bytes.byteOffset, (e.end - e.begin) / spec.bytes), e.shape);
      },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** Reads a .safetensors file; tensors are read one by one (the file is never loaded whole). */
export async function readSafetensors(path: string): Promise<{ metadata: Record<string, string>; tensors: TensorMap }> {
  const file = await openSafetensors(path);
  try {
    const raw = new Map<string, Tensor>();
    for (const e of file.entries) raw.set(e.name, await file.read(e.name));
    return { metadata: file.metadata, tensors: assembleQuantized(raw, file.metadata, path) };
  } finally {
    await file.close();
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

/** One tensor to write: its header entry, and its bytes produced only when its turn comes. */
export interface SafetensorsPart {
  name: string;
  dtype: string;
  shape: number[];
  byteLength: number;
  bytes: () => Uint8Array | Promise<Uint8Array>;
}

/** The metadata key and the parts (values, scales, zero points) of a quantized tensor. */
export function quantizedParts(name: string, dims: readonly number[], layout: QuantizedLayout,
  get: () => QuantizedTensor | Promise<QuantizedTensor>): { key: string; value: string; parts: SafetensorsPart[] } {
  const meta: QuantMeta = { format: layout.format, bits: layout.bits, groupSize: layout.groupSize, symmetric: layout.symmetric, dims: [...dims] };
  const view = (t: TypedArray) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
  const parts: SafetensorsPart[] = [{
    name, dtype: layout.data.type === 'int8' ? 'I8' : 'U8', shape: [layout.data.length], byteLength: layout.data.length,
    bytes: async () => view((await get()).data),
  }];
  if (layout.scales) {
    const half = layout.scales.type === 'float16';
    parts.push({
      name: `${name}.scales`, dtype: half ? 'F16' : 'F32', shape: [layout.scales.length], byteLength: layout.scales.length * (half ? 2 : 4),
      bytes: async () => view((await get()).scales!),
    });
  }
  if (layout.zeroPoints) {
    parts.push({
      name: `${name}.zero_points`, dtype: 'U8', shape: [layout.zeroPoints.length], byteLength: layout.zeroPoints.length,
      bytes: async () => view((await get()).zeroPoints!),
    });
  }
  return { key: QUANT_PREFIX + name, value: JSON.stringify(meta), parts };
}

/**
 * Writes a .safetensors file part by part: the header first (every size is known), then each
 * part's bytes as it is produced, so only one tensor need be in memory at a time.
 */
export async function writeSafetensorsParts(path: string, metadata: Record<string, string>, parts: SafetensorsPart[]): Promise<void> {
  assertLittleEndian();
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new TypeError(`metadata.${k} must be a string (safetensors metadata is text)`);
  }
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const p of parts) {
    if (p.name === '__metadata__') throw new RangeError('a tensor cannot be named __metadata__');
    if (p.name in header) throw new RangeError(`two tensors are named ${p.name}`);
    header[p.name] = { dtype: p.dtype, shape: p.shape, data_offsets: [offset, offset + p.byteLength] };
    offset += p.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);  // data starts 8-aligned
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const fh = await open(path, 'w');
  try {
    await fh.write(head);
    await fh.write(Buffer.from(json, 'utf8'));
    for (const p of parts) {
      const bytes = await p.bytes();
      if (bytes.byteLength !== p.byteLength) throw new Error(`tensor ${p.name}: produced ${bytes.byteLength} bytes, the header says ${p.byteLength}`);
      await fh.write(bytes);
    }
  } finally {
    await fh.close();
  }
}

/** Writes a .safetensors file; quantized tensors become their parts plus a metadata entry. */
export async function writeSafetensors(path: string, model: { metadata?: Record<string, string>; tensors: TensorMap }): Promise<void> {
  const metadata: Record<string, string> = { ...(model.metadata ?? {}) };
  const parts: SafetensorsPart[] = [];
  for (const [name, t] of model.tensors) {
    if (t instanceof QuantizedTensor) {
      const q = quantizedParts(name, t.dims, layoutOf(t), () => t);
      metadata[q.key] = q.value;
      parts.push(...q.parts);
    } else if (t instanceof Tensor) {
      parts.push(tensorPart(name, t));
    } else {
      throw new TypeError(`tensor ${name} must be a Tensor or QuantizedTensor`);
    }
  }
  await writeSafetensorsParts(path, metadata, parts);
}

/** A plain tensor as a part. */
export function tensorPart(name: string, t: Tensor): SafetensorsPart {
  const code = CODE[t.type];
  if (!code) throw new TypeError(`tensor ${name}: type ${t.type} cannot be stored in safetensors`);
  return { name, dtype: code, shape: [...t.dims], byteLength: t.data.byteLength, bytes: () => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
}

/** Bytes per element of a safetensors dtype code, or undefined when lowbit does not read it. */
export function dtypeInfo(code: string): { type: DType; bytes: number } | undefined {
  const d = DTYPES[code];
  return d && { type: d.type, bytes: d.bytes };
}

/** The metadata key under which a quantized tensor's description is stored. */
export const QUANTIZED_KEY_PREFIX = QUANT_PREFIX;
