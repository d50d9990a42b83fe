// Quantizing a tensor file (safetensors or GGUF) into another, one tensor at a time: the
// output's header is computed from the input's header and the plan, then each tensor is read,
// quantized, written and dropped. Memory holds one tensor, never the file.
import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { QuantizedTensor, quantize, quantizedLayout, toFloat16, toFloat32, type QuantizeOptions } from '../quantize.js';
import { Tensor } from '../tensor.js';
import { openGGUF, ggufPart, writeGGUFParts, type GGUFFile, type GGUFPart } from '../io/gguf.js';
import {
  openSafetensors, quantizedParts, tensorPart, writeSafetensorsParts, QUANTIZED_KEY_PREFIX,
  type SafetensorsFile, type SafetensorsPart,
} from '../io/safetensors.js';
import { canonicalPrecision, parsePrecision, type Precision } from '../model/precision.js';
import { LowbitError } from '../errors.js';

export type FileKind = 'safetensors' | 'gguf';

/** A file's kind by its first bytes (GGUF magic) or else its extension. */
export async function tensorFileKind(path: string): Promise<FileKind> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    if (bytesRead === 4 && b.toString('latin1') === 'GGUF') return 'gguf';
  } finally {
    await fh.close();
  }
  return 'safetensors';
}

export function outputKind(path: string): FileKind {
  return extname(path).toLowerCase() === '.gguf' ? 'gguf' : 'safetensors';
}

/** A tensor as the input stores it. */
export interface InputTensor {
  name: string;
  /** float32/float16/bfloat16, or a quantized format, or another stored type (int8, …). */
  type: string;
  dims: number[];
  bytes: number;
  /** Part of a lowbit quantized tensor stored in safetensors (values, scales, zero points). */
  quantizedPart?: boolean;
}

export interface OpenedTensorFile {
  kind: FileKind;
  metadata: Record<string, unknown>;
  /** GGUF: the metadata with each number's stored type (GGUFValue), to write it back as it was. */
  typedMetadata?: Record<string, unknown>;
  tensors: InputTensor[];
  read(name: string): Promise<Tensor | QuantizedTensor>;
  close(): Promise<void>;
}

const GGML_FORMAT: Record<string, string> = { Q4_0: 'q4_0', Q4_1: 'q4_1', Q8_0: 'q8_0', F32: 'float32', F16: 'float16', BF16: 'bfloat16' };
const ST_TYPE: Record<string, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', I8: 'int8', U8: 'uint8', I32: 'int32' };

/** Opens either kind of tensor file for reading tensor by tensor. */
export async function openTensorFile(path: string): Promise<OpenedTensorFile> {
  if ((await tensorFileKind(path)) === 'gguf') {
    const f: GGUFFile = await openGGUF(path);
    return {
      kind: 'gguf', metadata: f.metadata, typedMetadata: f.typedMetadata,
      tensors: f.entries.map((e) => ({ name: e.name, type: GGML_FORMAT[e.type], dims: [...e.ne].reverse(), bytes: e.bytes })),
      read: (n) => f.read(n), close: () => f.close(),
    };
  }
  const f: SafetensorsFile = await openSafetensors(path);
  const parts = new Set<string>();
  for (const key of Object.keys(f.metadata)) {
    if (!key.startsWith(QUANTIZED_KEY_PREFIX)) continue;
    const n = key.slice(QUANTIZED_KEY_PREFIX.length);
    parts.add(n).add(`${n}.scales`).add(`${n}.zero_points`);
  }
  return {
    kind: 'safetensors', metadata: f.metadata,
    tensors: f.entries.map((e) => ({
      name: e.name, type: ST_TYPE[e.dtype], dims: e.shape, bytes: e.end - e.begin,
      ...(parts.has(e.name) ? { quantizedPart: true } : {}),
    })),
    read: (n) => f.read(n), close: () => f.close(),
  };
}

export interface QuantizeFileOptions {
  /**
   * One precision for every 2-D float tensor, or per tensor / layer name ("fc1" means
   * "fc1.weight"), with "*" for the rest. Tensors not covered are copied.
   */
  plan: Precision | Record<string, Precision>;
  /** Tensors to copy unchanged even when the plan covers them. */
  keep?: RegExp;
  onProgress?: (done: number, total: number, tensor: string) => void;
}

export interface QuantizeFileReport {
  input: { kind: FileKind; bytes: number; tensors: number };
  output: { kind: FileKind; bytes: number };
  quantized: { name: string; precision: Precision; dims: number[] }[];
  kept: { name: string; reason: string }[];
}

function precisionFor(plan: QuantizeFileOptions['plan'], name: string): { p?: Precision; explicit: boolean } {
  if (typeof plan === 'string') return { p: plan, explicit: false };
  const layer = name.endsWith('.weight') ? name.slice(0, -'.weight'.length) : undefined;
  if (plan[name] !== undefined) return { p: plan[name], explicit: true };
  if (layer !== undefined && plan[layer] !== undefined) return { p: plan[layer], explicit: true };
  return { p: plan['*'], explicit: false };
}

function quantizeOptions(precision: Precision): QuantizeOptions | undefined {
  const p = parsePrecision(precision);
  return p.kind === 'quantized' ? p.options : undefined;
}

function ggufTypeOf(precision: Precision): string | undefined {
  const p = parsePrecision(precision);
  if (p.kind === 'float32') return 'F32';
  if (p.kind === 'float16') return 'F16';
  return p.options.format?.toUpperCase();
}

// Why a weight cannot take a precision (ggml blocks need K to be a multiple of 32), if it cannot.
function layoutProblem(dims: number[], precision: Precision): string | undefined {
  const opt = quantizeOptions(precision);
  try {
    if (opt) quantizedLayout(dims, opt);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function usage(message: string): LowbitError {
  return new LowbitError('ERR_LOWBIT_USAGE', message);
}

/**
 * Quantizes the 2-D float tensors of `input` by the plan and writes `output` (GGUF when it
 * ends in .gguf, else safetensors); everything else is copied. A lowbit model's metadata
 * records each layer's new precision.
 */
export async function quantizeFile(input: string, output: string, opts: QuantizeFileOptions): Promise<QuantizeFileReport> {
  const src = await openTensorFile(input);
  try {
    const outKind = outputKind(output);
    const plan = typeof opts.plan === 'string' ? canonicalPrecision(opts.plan)
      : Object.fromEntries(Object.entries(opts.plan).map(([k, v]) => [k, canonicalPrecision(v)]));
    if (typeof plan !== 'string') {
      const names = new Set(src.tensors.flatMap((t) => [t.name, t.name.replace(/\.weight$/, '')]));
      for (const k of Object.keys(plan)) if (k !== '*' && !names.has(k)) throw usage(`the plan names ${k}, which is not a tensor of ${input}`);
    }
    const report: QuantizeFileReport = {
      input: { kind: src.kind, bytes: src.tensors.reduce((a, t) => a + t.bytes, 0), tensors: src.tensors.length },
      output: { kind: outKind, bytes: 0 }, quantized: [], kept: [],
    };
    let done = 0;
    const total = report.input.bytes;
    const tick = (t: InputTensor) => { done += t.bytes; opts.onProgress?.(done, total, t.name); };
    const precisions: Record<string, Precision> = {};
    // Each input tensor becomes one or more output parts, produced lazily in file order.
    type Job = { t: InputTensor; precision?: Precision };
    const jobs: Job[] = [];
    for (const t of src.tensors) {
      const isFloat = t.type === 'float32' || t.type === 'float16' || t.type === 'bfloat16';
      const { p, explicit } = t.quantizedPart ? { p: undefined, explicit: false } : precisionFor(plan, t.name);
      if (p === undefined || p === t.type) { jobs.push({ t }); continue; }
      const why = !isFloat ? `stored as ${t.type}; lowbit quantizes float tensors only`
        : t.dims.length !== 2 ? `${t.dims.length}-D (weights to quantize are [out, in])`
        : opts.keep?.test(t.name) ? 'matches --keep'
        : layoutProblem(t.dims, p);
      if (why) {
        if (explicit) throw usage(`cannot make ${t.name} [${t.dims.join(', ')}] ${p}: ${why}`);
        if (isFloat || t.dims.length === 2) report.kept.push({ name: t.name, reason: why });
        jobs.push({ t });
        continue;
      }
      if (outKind === 'gguf' && !ggufTypeOf(p)) {
        throw usage(`GGUF has no type for ${p} (it stores F32, F16, Q8_0, Q4_0, Q4_1): write a .safetensors file, or use q8_0/q4_0/q4_1`);
      }
      jobs.push({ t, precision: p });
      precisions[t.name] = p;
      report.quantized.push({ name: t.name, precision: p, dims: t.dims });
    }
    const make = async (job: Job): Promise<Tensor | QuantizedTensor> => {
      const value = await src.read(job.t.name);
      if (!job.precision) return value;
      const p = parsePrecision(job.precision);
      const f32 = toFloat32(value as Tensor);
      if (p.kind !== 'quantized') return p.kind === 'float32' ? f32 : toFloat16(f32);
      try {
        return quantize(f32, p.options);
      } catch (e) {
        throw new LowbitError('ERR_LOWBIT_BAD_FILE', `${input}: tensor ${job.t.name}: ${(e as Error).message}`);
      }
    };
    const metadata = updateModelMetadata(src.metadata, precisions);
    if (outKind === 'safetensors') {
      const meta: Record<string, string> = {};
      for (const [k, v] of Object.entries(metadata)) {
        if (typeof v === 'string') meta[k] = v;
        else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') meta[k] = String(v);
        else meta[k] = JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x));
      }
      const parts: SafetensorsPart[] = [];
      for (const job of jobs) {
        const opt = job.precision ? quantizeOptions(job.precision) : undefined;
        if (opt) {
          // The parts (values, scales, zero points) share one quantization, dropped after the last.
          let held: Promise<QuantizedTensor> | undefined;
          const q = quantizedParts(job.t.name, job.t.dims, quantizedLayout(job.t.dims, opt), () => (held ??= make(job) as Promise<QuantizedTensor>));
          meta[q.key] = q.value;
          const last = q.parts.at(-1)!, lastBytes = last.bytes;
          last.bytes = async () => { const b = await lastBytes(); held = undefined; tick(job.t); return b; };
          parts.push(...q.parts);
        } else if (src.kind === 'gguf' && (job.t.type === 'q4_0' || job.t.type === 'q4_1' || job.t.type === 'q8_0')) {
          const dims = [job.t.dims.slice(0, -1).reduce((a, b) => a * b, 1), job.t.dims.at(-1)!];
          const layout = quantizedLayout(dims, { bits: job.t.type === 'q8_0' ? 8 : 4, format: job.t.type });
          const q = quantizedParts(job.t.name, dims, layout, async () => { const v = (await make(job)) as QuantizedTensor; tick(job.t); return v; });
          meta[q.key] = q.value;
          parts.push(...q.parts);
        } else {
          const dtype = ({ float32: 'F32', float16: 'F16', bfloat16: 'BF16', int8: 'I8', uint8: 'U8', int32: 'I32' } as Record<string, string>)[
            job.precision ? (job.precision === 'float16' ? 'float16' : 'float32') : job.t.type];
          const elem = ({ F32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, I32: 4 } as Record<string, number>)[dtype];
          const count = job.t.dims.reduce((a, b) => a * b, 1);
          parts.push({
            name: job.t.name, dtype, shape: job.t.dims, byteLength: count * elem,
            bytes: async () => { const b = tensorPart(job.t.name, (await make(job)) as Tensor).bytes(); tick(job.t); return b; },
          });
        }
      }
      await writeSafetensorsParts(output, meta, parts);
    } else {
      const parts: GGUFPart[] = [];
      for (const job of jobs) {
        if (job.t.quantizedPart) throw usage(`${job.t.name} is part of a lowbit ${'int4/int8'} tensor, which GGUF cannot store`);
        const type = job.precision ? ggufTypeOf(job.precision)! : ({ float32: 'F32', float16: 'F16', bfloat16: 'BF16', q4_0: 'Q4_0', q4_1: 'Q4_1', q8_0: 'Q8_0' } as Record<string, string>)[job.t.type];
        if (!type) throw usage(`${job.t.name} is stored as ${job.t.type}, which GGUF cannot store`);
        if (job.t.dims.length < 1 || job.t.dims.length > 4) throw usage(`${job.t.name}: GGUF stores 1 to 4 dimensions`);
        const count = job.t.dims.reduce((a, b) => a * b, 1);
        const byteLength = type.startsWith('Q') ? (count / 32) * { Q4_0: 18, Q4_1: 20, Q8_0: 34 }[type]! : count * (type === 'F32' ? 4 : 2);
        parts.push({
          name: job.t.name, ne: [...job.t.dims].reverse(), type, byteLength,
          bytes: async () => { const b = await ggufPart(job.t.name, await make(job)).bytes(); tick(job.t); return b; },
        });
      }
      // Numbers keep their GGUF types when the input was GGUF (lowbit.model is a string).
      await writeGGUFParts(output, updateModelMetadata(src.typedMetadata ?? src.metadata, precisions), parts);
    }
    report.output.bytes = (await stat(output)).size;
    return report;
  } finally {
    await src.close();
  }
}

// A lowbit model file lists its layers' precisions: keep that list true.
function updateModelMetadata(metadata: Record<string, unknown>, precisions: Record<string, Precision>): Record<string, unknown> {
  const raw = metadata['lowbit.model'];
  if (typeof raw !== 'string') return { ...metadata };
  try {
    const desc = JSON.parse(raw) as { layers?: { name: string; kind: string; precision?: string }[] };
    for (const l of desc.layers ?? []) {
      const p = precisions[`${l.name}.weight`];
      if (l.kind === 'linear' && p) l.precision = p;
    }
    return { ...metadata, 'lowbit.model': JSON.stringify(desc) };
  } catch {
    return { ...metadata };
  }
}
