// safetensors and GGUF: exact round trips of every supported tensor kind and metadata type,
// the on-disk layout GGUF readers expect, and hostile files (truncated, corrupted, absurd
// counts) that must fail with a coded error, never a crash, a hang or a huge allocation.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GGUFValue, LowbitError, QuantizedTensor, Tensor, dequantize, openGGUF, quantize, readGGUF, readSafetensors, writeGGUF,
  writeSafetensors,
} from '../src/index.js';
import { rng } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const r = rng();
const floats = (n: number) => Float32Array.from({ length: n }, () => r() - 0.5);

function same(a: Tensor | QuantizedTensor | undefined, b: Tensor | QuantizedTensor) {
  expect(a).toBeDefined();
  expect(a!.constructor).toBe(b.constructor);
  expect([...a!.dims]).toEqual([...b.dims]);
  expect(Buffer.from(a!.data.buffer, a!.data.byteOffset, a!.data.byteLength))
    .toEqual(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
  if (b instanceof QuantizedTensor) {
    const qa = a as QuantizedTensor;
    expect([qa.format, qa.bits, qa.groupSize, qa.symmetric]).toEqual([b.format, b.bits, b.groupSize, b.symmetric]);
    expect(qa.scales ? Array.from(qa.scales) : undefined).toEqual(b.scales ? Array.from(b.scales) : undefined);
    expect(qa.zeroPoints ? Array.from(qa.zeroPoints) : undefined).toEqual(b.zeroPoints ? Array.from(b.zeroPoints) : undefined);
    expect(Array.from(dequantize(qa).data)).toEqual(Array.from(dequantize(b).data));
  } else {
    expect((a as Tensor).type).toBe(b.type);
  }
}

async function expectBadFile(p: Promise<unknown>) {
  let err: unknown;
  try { await p; } catch (e) { err = e; }
  if (err === undefined) return false;  // a corruption can leave a valid file
  expect(err).toBeInstanceOf(LowbitError);
  expect((err as LowbitError).code).toBe('ERR_LOWBIT_BAD_FILE');
  return true;
}

const w = new Tensor('float32', floats(8 * 64), [8, 64]);
const everyKind = new Map<string, Tensor | QuantizedTensor>([
  ['f32', new Tensor('float32', floats(12), [3, 4])],
  ['f16', new Tensor('float16', Uint16Array.from({ length: 6 }, (_, i) => 0x3c00 + i), [6])],
  ['bf16', new Tensor('bfloat16', Uint16Array.from({ length: 4 }, (_, i) => 0x3f80 + i), [2, 2])],
  ['i8', new Tensor('int8', Int8Array.from([-128, 0, 127]), [3])],
  ['u8', new Tensor('uint8', Uint8Array.from([0, 255]), [2])],
  ['i32', new Tensor('int32', Int32Array.from([-5, 1 << 30]), [2])],
  ['w.int8', quantize(w, { bits: 8 })],
  ['w.uint8', quantize(w, { bits: 8, symmetric: false })],
  ['w.int4', quantize(w, { bits: 4, groupSize: 32 })],
  ['w.int4asym16', quantize(w, { bits: 4, groupSize: 16, symmetric: false, scaleType: 'float16' })],
  ['w.q4_0', quantize(w, { bits: 4, format: 'q4_0' })],
  ['w.q4_1', quantize(w, { bits: 4, format: 'q4_1' })],
  ['w.q8_0', quantize(w, { bits: 8, format: 'q8_0' })],
]);

describe('safetensors', () => {
  const file = join(dir, 'model.safetensors');
  it('round-trips every kind of tensor and the metadata exactly', async () => {
    await writeSafetensors(file, { metadata: { author: 'lowbit test', note: 'ünïcode' }, tensors: everyKind });
    const { metadata, tensors } = await readSafetensors(file);
    expect(metadata.author).toBe('lowbit test');
    expect(metadata.note).toBe('ünïcode');
    expect(new Set(tensors.keys())).toEqual(new Set(everyKind.keys()));
    for (const [name, t] of everyKind) same(tensors.get(name), t);
  });

  it('has the standard layout: u64 header length, JSON header, 8-aligned data', () => {
    const bytes = readFileSync(file);
    const len = Number(bytes.readBigUInt64LE(0));
    expect(len % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + len).toString());
    expect(header.f32).toEqual({ dtype: 'F32', shape: [3, 4], data_offsets: expect.any(Array) });
    const [b, e] = header.f32.data_offsets;
    const f = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 8 + len + b, bytes.byteOffset + 8 + len + e));
    expect(Array.from(f)).toEqual(Array.from(everyKind.get('f32')!.data));
  });

  it('fails cleanly on every truncation and on corrupted bytes', async () => {
    const bytes = readFileSync(file);
    const cut = join(dir, 'cut.safetensors');
    for (let n = 0; n < bytes.length; n += Math.max(1, Math.floor(bytes.length / 97))) {
      writeFileSync(cut, bytes.subarray(0, n));
      expect(await expectBadFile(readSafetensors(cut))).toBe(true);
    }
    for (let i = 0; i < 200; i++) {
      const bad = Buffer.from(bytes);
      const at = Math.floor(r() * Math.min(bad.length, 8 + Number(bad.readBigUInt64LE(0))));
      bad[at] = Math.floor(r() * 256);
      writeFileSync(cut, bad);
      await expectBadFile(readSafetensors(cut));
    }
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(1n << 60n);
    writeFileSync(cut, huge);
    expect(await expectBadFile(readSafetensors(cut))).toBe(true);
    writeFileSync(cut, Buffer.concat([Buffer.from([16, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'.padEnd(16))]));
    expect(await expectBadFile(readSafetensors(cut))).toBe(true);
  });
});

describe('GGUF', () => {
  const file = join(dir, 'model.gguf');
  const ggufKinds = new Map([...everyKind].filter(([k]) => ['f32', 'f16', 'bf16', 'w.q4_0', 'w.q4_1', 'w.q8_0'].includes(k)));
  ggufKinds.set('big', new Tensor('float32', floats(2 * 3 * 5 * 7), [2, 3, 5, 7]));
  const metadata = {
    'general.name': 'tiny', 'general.architecture': 'llama', flag: true, small: 7, negative: -3, big: 2 ** 40,
    pi: 1.5, huge: 1n << 62n, typed: new GGUFValue('u8', 200), typed64: new GGUFValue('f64', Math.PI),
    list: [1, 2, 3], words: ['a', 'bb', ''], nested: [[1, 2], [3]],
  };

  it('round-trips tensors and metadata of every type', async () => {
    await writeGGUF(file, { metadata, tensors: ggufKinds });
    const back = await readGGUF(file);
    for (const [name, t] of ggufKinds) same(back.tensors.get(name), t);
    expect(back.metadata).toMatchObject({
      'general.name': 'tiny', 'general.architecture': 'llama', flag: true, small: 7, negative: -3, big: 2 ** 40, pi: 1.5,
      huge: 1n << 62n, typed: 200, typed64: Math.PI, list: [1, 2, 3], words: ['a', 'bb', ''], nested: [[1, 2], [3]],
      'general.alignment': 32, 'general.quantization_version': 2,
    });
  });

  // Readers such as llama.cpp check a value's GGUF type: a float that happens to be whole (a
  // rope base of 10000.0) must come back as f32, not as the u32 a plain number would become.
  it('keeps every number\'s stored type through typedMetadata', async () => {
    const typed = {
      f32whole: new GGUFValue('f32', 10000), f64: new GGUFValue('f64', 0.1), i16: new GGUFValue('i16', -7),
      u64: new GGUFValue('u64', 5), i8list: [new GGUFValue('i8', -1), new GGUFValue('i8', 2)], name: 'x', yes: false,
    };
    const a = join(dir, 'typed-a.gguf'), b = join(dir, 'typed-b.gguf');
    await writeGGUF(a, { metadata: typed, tensors: new Map([['t', ggufKinds.get('f32')!]]) });
    const first = await openGGUF(a);
    expect(first.metadata).toMatchObject({ f32whole: 10000, f64: 0.1, i16: -7, u64: 5, i8list: [-1, 2], name: 'x', yes: false });
    expect(first.typedMetadata).toMatchObject(typed);
    await first.close();
    // Written back from typedMetadata: the same bytes of metadata, so the same types.
    const copy = await readGGUF(a);
    await writeGGUF(b, { metadata: (await openGGUF(a)).typedMetadata, tensors: copy.tensors });
    expect(readFileSync(b)).toEqual(readFileSync(a));
    // From plain numbers the writer has to guess: that is what typedMetadata avoids.
    await writeGGUF(b, { metadata: copy.metadata, tensors: copy.tensors });
    const guessed = await openGGUF(b);
    expect((guessed.typedMetadata.f32whole as GGUFValue).type).toBe('u32');
    await guessed.close();
  });

  it('takes hostile keys such as __proto__ as plain keys', async () => {
    const f = join(dir, 'proto.gguf');
    await writeGGUF(f, { metadata: JSON.parse('{"__proto__": 5, "constructor": "c"}'), tensors: new Map() });
    const g = await openGGUF(f);
    expect(Object.getPrototypeOf(g.metadata)).toBe(Object.prototype);
    expect(Object.hasOwn(g.metadata, '__proto__')).toBe(true);
    expect(g.metadata.constructor).toBe('c');
    await g.close();
  });

  it('stores ne[0] as the contiguous axis and aligned, ordered offsets', () => {
    const b = readFileSync(file);
    expect(b.subarray(0, 4).toString()).toBe('GGUF');
    expect(b.readUInt32LE(4)).toBe(3);
    // Find the tensor info of 'w.q4_0' ([8, 64] -> ne = [64, 8], type 2).
    const at = b.indexOf(Buffer.from('w.q4_0')) + 'w.q4_0'.length;
    expect(b.readUInt32LE(at)).toBe(2);
    expect(Number(b.readBigUInt64LE(at + 4))).toBe(64);
    expect(Number(b.readBigUInt64LE(at + 12))).toBe(8);
    expect(b.readUInt32LE(at + 20)).toBe(2);
    expect(Number(b.readBigUInt64LE(at + 24)) % 32).toBe(0);
  });

  it('fails cleanly on every truncation, corrupted bytes and absurd counts', async () => {
    const bytes = readFileSync(file);
    const cut = join(dir, 'cut.gguf');
    // Every cut fails except inside the last tensor's trailing padding (< alignment bytes).
    for (let n = 0; n < bytes.length - 32; n += Math.max(1, Math.floor(bytes.length / 97))) {
      writeFileSync(cut, bytes.subarray(0, n));
      expect(await expectBadFile(readGGUF(cut))).toBe(true);
    }
    for (let i = 0; i < 300; i++) {
      const bad = Buffer.from(bytes);
      bad[Math.floor(r() * Math.min(bad.length, 1200))] = Math.floor(r() * 256);
      writeFileSync(cut, bad);
      await expectBadFile(readGGUF(cut));
    }
    const head = Buffer.alloc(24);
    head.write('GGUF');
    head.writeUInt32LE(3, 4);
    head.writeBigUInt64LE(1n << 50n, 8);
    writeFileSync(cut, head);
    expect(await expectBadFile(readGGUF(cut))).toBe(true);
    head.writeUInt32LE(2, 4);
    writeFileSync(cut, head);
    expect(await expectBadFile(readGGUF(cut))).toBe(true);
  });

  it('refuses what GGUF cannot hold, with clear errors', async () => {
    await expect(writeGGUF(join(dir, 'x.gguf'), { tensors: new Map([['a', quantize(w, { bits: 8 })]]) })).rejects.toThrow(/has no GGUF type/);
    await expect(writeGGUF(join(dir, 'x.gguf'), { tensors: new Map([['a', new Tensor('int8', new Int8Array(2), [2])]]) })).rejects.toThrow(/cannot be stored in GGUF/);
    await expect(writeGGUF(join(dir, 'x.gguf'), { metadata: { mixed: [1, 'a'] }, tensors: new Map() })).rejects.toThrow(/one type/);
  });
});
