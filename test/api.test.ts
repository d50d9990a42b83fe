// The public surface: exports, module formats, cpu/setIsa/setThreads, Tensor validation.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as lowbit from '../src/index.js';
import { Tensor, cpu, setIsa, setThreads, zeros } from '../src/index.js';
import { native } from '../src/native.js';

const root = new URL('..', import.meta.url).pathname;
// Under qemu without binfmt_misc an emulated Node cannot start child processes.
const canSpawn = !process.env.LOWBIT_TEST_NO_SPAWN;

describe('package', () => {
  it('exports the contract', () => {
    for (const name of ['Tensor', 'quantize', 'dequantize', 'matmulInteger', 'matmulIntegerSync', 'linear',
      'linearSync', 'compare', 'cpu', 'setIsa', 'setThreads', 'QuantizedTensor', 'quantizeLinear',
      'dequantizeLinear', 'LowbitError', 'repack', 'zeros']) {
      expect(typeof (lowbit as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it.skipIf(!canSpawn)('loads from ESM and CommonJS by package name', () => {
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e',
      "import { cpu } from 'lowbit'; console.log(cpu().isa)"], { cwd: root, encoding: 'utf8' });
    const cjs = execFileSync(process.execPath, ['-e',
      "console.log(require('lowbit').cpu().isa)"], { cwd: root, encoding: 'utf8' });
    expect(esm.trim()).toBe(cpu().isa);
    expect(cjs.trim()).toBe(cpu().isa);
    expect(() => createRequire(import.meta.url)('lowbit')).not.toThrow();
  });
});

describe('cpu and dispatch', () => {
  it('reports the ISA, what is available, and features', () => {
    const c = cpu();
    expect(['x64', 'arm64']).toContain(c.arch);
    expect(c.available).toContain('scalar');
    expect(c.available).toContain(c.isa);
    for (const a of c.available) expect(c.built).toContain(a);
    expect(c.threads).toBeGreaterThanOrEqual(1);
    // Set when the suite runs on an emulated CPU model: the choice must be exactly this one.
    if (process.env.LOWBIT_EXPECT_ISA) expect(c.isa).toBe(process.env.LOWBIT_EXPECT_ISA);
    // Best first: what the features allow is what runs.
    if (c.arch === 'x64' && c.features.includes('os-amx')) expect(c.isa).toBe('amx');
    else if (c.arch === 'x64' && c.features.includes('avx512vnni') && c.features.includes('os-zmm')) {
      expect(c.isa).toBe('avx512vnni');
    } else if (c.arch === 'x64' && c.features.includes('avxvnni') && c.features.includes('os-ymm')) {
      expect(c.isa).toBe('avxvnni');
    }
    if (c.arch === 'x64' && c.features.includes('avxvnni') && c.features.includes('os-ymm')) expect(c.available).toContain('avxvnni');
  });

  it('setIsa switches to every available ISA and rejects the rest clearly', () => {
    const before = cpu().isa;
    for (const isa of cpu().available) {
      setIsa(isa);
      expect(cpu().isa).toBe(isa);
    }
    expect(() => setIsa('sse9')).toThrow(RangeError);
    expect(() => setIsa('sse9')).toThrow(/not an ISA lowbit knows/);
    const foreign = cpu().arch === 'x64' ? 'neondot' : 'avx2';
    expect(() => setIsa(foreign)).toThrow(/not built/);
    expect(() => setIsa(42 as unknown as string)).toThrow(TypeError);
    setIsa(before);
  });

  it.skipIf(!canSpawn)('LOWBIT_ISA forces the ISA at load, and a bad value is a clear error, not a crash', () => {
    const run = (env: string) => execFileSync(process.execPath, ['--input-type=module', '-e',
      "import { cpu } from 'lowbit'; console.log(cpu().isa)"],
    { cwd: root, encoding: 'utf8', env: { ...process.env, LOWBIT_ISA: env }, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(run('scalar').trim()).toBe('scalar');
    let err = '';
    try { run('bogus'); } catch (e) { err = String((e as { stderr: string }).stderr); }
    expect(err).toMatch(/LOWBIT_ISA=bogus/);
    if (cpu().arch === 'x64') {
      try { run('i8mm'); err = ''; } catch (e) { err = String((e as { stderr: string }).stderr); }
      expect(err).toMatch(/LOWBIT_ISA=i8mm.*not supported|not built/);
    }
  });

  it('setThreads validates and takes effect', () => {
    const before = cpu().threads;
    setThreads(1);
    expect(cpu().threads).toBe(1);
    setThreads(3);
    expect(cpu().threads).toBe(3);
    expect(() => setThreads(0)).toThrow(RangeError);
    expect(() => setThreads(1.5)).toThrow(RangeError);
    expect(() => setThreads('2' as unknown as number)).toThrow(TypeError);
    setThreads(before);
  });
});

describe('Tensor', () => {
  it('is onnxruntime-shaped', () => {
    const t = new Tensor('float32', new Float32Array(6), [2, 3]);
    expect(t.type).toBe('float32');
    expect(t.dims).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(new Tensor('int8', new Int8Array(4)).dims).toEqual([4]);
    expect(new Tensor('int4', new Uint8Array(2), [3]).size).toBe(3);  // two per byte, ceil
  });

  // Kernels read and write rows in 64-byte pieces: buffers lowbit allocates start on cache
  // lines (a plain large typed array starts 16 bytes past one), small ones need not.
  it('zeros and lowbit-made outputs start on cache lines', () => {
    for (const [type, ctor] of [['float32', Float32Array], ['int32', Int32Array], ['int8', Int8Array],
      ['uint8', Uint8Array], ['float16', Uint16Array], ['int4', Uint8Array]] as const) {
      const t = zeros(type, [333, 65]);
      expect(t.data).toBeInstanceOf(ctor);
      expect(t.dims).toEqual([333, 65]);
      expect(native._cacheLineOffset(t.data)).toBe(0);
      expect(t.data.every((v) => v === 0)).toBe(true);
      expect(zeros(type, [3]).data).toBeInstanceOf(ctor);
    }
    expect(zeros('int4', [5]).data.length).toBe(3);
    expect(() => zeros('float32', [2, -1])).toThrow(RangeError);
    expect(() => zeros('float64' as never, [2])).toThrow(/type must be one of/);
    expect(() => zeros('toString' as never, [2])).toThrow(/type must be one of/);
    expect(() => native._alignedArray('float64' as never, 4)).toThrow(TypeError);
    const a = zeros('uint8', [64, 128]);
    const w = lowbit.quantize(new Tensor('float32', new Float32Array(96 * 128).fill(0.5), [96, 128]), { bits: 8 });
    const x = new Tensor('float32', new Float32Array(64 * 128).fill(1), [64, 128]);
    expect(native._cacheLineOffset(lowbit.linearSync(x, w).data)).toBe(0);
    const b = new Tensor('int8', new Int8Array(128 * 96).fill(1), [128, 96]);
    expect(native._cacheLineOffset(lowbit.matmulIntegerSync(a, b).data)).toBe(0);
    expect(native._cacheLineOffset(lowbit.quantizeLinear(x, 0.1).data)).toBe(0);
    expect(native._cacheLineOffset(lowbit.dequantize(w).data)).toBe(0);
  });

  it.each([
    ['float32', new Int8Array(6), [2, 3], TypeError, /Float32Array/],
    ['float64', new Float32Array(6), [2, 3], TypeError, /type must be/],
    ['constructor', new Float32Array(6), [2, 3], TypeError, /type must be/],
    ['float32', new Float32Array(5), [2, 3], RangeError, /data has 5 elements/],
    ['float32', new Float32Array(6), [2, -3], RangeError, /dims\[1\]/],
    ['float32', new Float32Array(6), [2, 3.5], RangeError, /dims\[1\]/],
    ['int4', new Uint8Array(3), [3], RangeError, /need 2/],
  ] as const)('rejects %s with %o', (type, data, dims, Err, msg) => {
    expect(() => new Tensor(type as never, data as never, dims as never)).toThrow(Err);
    expect(() => new Tensor(type as never, data as never, dims as never)).toThrow(msg);
  });
});
