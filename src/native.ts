// Loads the native addon once, with an actionable error when it is missing.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LowbitError } from './errors.js';

/** The addon's internal surface (see native/binding/addon.cc). */
export interface NativeAddon {
  _cpu(): {
    arch: string; isa: string; available: string[]; built: string[]; features: string[];
    threads: number; physicalCores: number;
  };
  _isa(): string;
  _initError(): string | null;
  _setIsa(name: string): void;
  _setThreads(n: number): void;
  _packB(kind: 'int8' | 'float32', b: Int8Array | Float32Array, K: number, N: number,
    strideK: number, strideN: number): Uint8Array;
  _packedInfo(packed: Uint8Array): { K: number; N: number; isa: string; kind: string };
  _matmulInteger(a: Uint8Array | Int8Array, aSigned: boolean, M: number, K: number, aZeroPoint: number,
    packed: Uint8Array, bZeroPoint: number, c: Int32Array, async: boolean): Int32Array | Promise<Int32Array>;
  _linear(x: Float32Array, M: number, K: number, packed: Uint8Array, wScales: Float32Array | null,
    bias: Float32Array | null, y: Float32Array, async: boolean, xScale?: number, xZeroPoint?: number): Float32Array | Promise<Float32Array>;
  _quantizeLinear(x: Float32Array, y: Int8Array | Uint8Array, outer: number, channels: number,
    inner: number, scales: Float32Array, zeroPoints: Int32Array | null): void;
  _quantizeGgml(format: 'q4_0' | 'q4_1' | 'q8_0', x: Float32Array, blocks: Uint8Array): boolean;
  _dequantizeGgml(format: 'q4_0' | 'q4_1' | 'q8_0', blocks: Uint8Array, y: Float32Array): void;
  _quantizeQb4(w: Float32Array, N: number, K: number, group: number, symmetric: boolean, fp16: boolean,
    mse: boolean, data: Uint8Array, scales: Float32Array | Uint16Array, zps: Uint8Array | null): boolean;
  _dequantizeQb4(data: Uint8Array, scales: Float32Array | Uint16Array, zps: Uint8Array | null, N: number, K: number,
    group: number, symmetric: boolean, fp16: boolean, y: Float32Array): void;
  _packQb4(data: Uint8Array, scales: Float32Array | Uint16Array, zps: Uint8Array | null, N: number, K: number,
    group: number, symmetric: boolean, fp16: boolean): Uint8Array;
  _packGgml(format: 'q4_0' | 'q4_1' | 'q8_0', blocks: Uint8Array, N: number, K: number): Uint8Array;
  _linearQb4(x: Float32Array, M: number, K: number, packed: Uint8Array, bias: Float32Array | null, y: Float32Array,
    async: boolean): Float32Array | Promise<Float32Array>;
  _alignedArray(type: 'float32', n: number): Float32Array;
  _alignedArray(type: 'int32', n: number): Int32Array;
  _alignedArray(type: 'int8', n: number): Int8Array;
  _alignedArray(type: 'uint8', n: number): Uint8Array;
  _alignedArray(type: 'uint16', n: number): Uint16Array;
  _cacheLineOffset(view: ArrayBufferView): number;
  _convertHalf<T extends Float32Array | Uint16Array>(src: Float32Array | Uint16Array, dst: T): T;
  _probe(kind: 'int8' | 'f32', iterations: number): number;
  _probeRead(bytes: Uint8Array): number;
  _quantizeWeightsInt8(w: Float32Array, N: number, K: number, symmetric: boolean, q: Int8Array | Uint8Array,
    scales: Float32Array, zps: Uint8Array | null): boolean;
  _dequantizeLinear(x: Int8Array | Uint8Array, y: Float32Array, outer: number, channels: number,
    inner: number, scales: Float32Array, zeroPoints: Int32Array | null): void;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// cmake-js (the default build) and node-gyp write to different folders; LOWBIT_ADDON picks one.
const candidates = [
  process.env.LOWBIT_ADDON,
  join(root, 'build-cmake', 'Release', 'lowbit.node'),
  join(root, 'build', 'Release', 'lowbit.node'),
].filter((p): p is string => !!p);

function load(): NativeAddon {
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new LowbitError('ERR_LOWBIT_NO_ADDON',
      `lowbit: the native addon is not built (looked in ${candidates.join(', ')}). ` +
      'Run `npm rebuild lowbit` (needs CMake >= 3.19 and a C++17 compiler).');
  }
  const addon = createRequire(import.meta.url)(path) as NativeAddon;
  const err = addon._initError();
  if (err) {
    throw new LowbitError('ERR_LOWBIT_ISA',
      `LOWBIT_ISA=${process.env.LOWBIT_ISA}: ${err} (available here: ${addon._cpu().available.join(', ')})`);
  }
  return addon;
}

export const native: NativeAddon = load();
