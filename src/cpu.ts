// What runs: the chosen ISA, what else could, and the thread count.
import { native } from './native.js';

export interface CpuInfo {
  /** 'x64' | 'arm64' (Node's process.arch words). */
  arch: string;
  /** The ISA whose kernels run now: scalar, avx2, avxvnni, avx512vnni, amx, neon, neondot, i8mm. */
  isa: string;
  /** ISAs built into this binary and supported by this CPU, usable with setIsa. */
  available: string[];
  /** ISAs built into this binary. */
  built: string[];
  /** Raw CPU features detected (with the OS support check). */
  features: string[];
  /** Threads the GEMMs use. */
  threads: number;
  physicalCores: number;
}

export function cpu(): CpuInfo {
  return native._cpu();
}

/**
 * Chooses the kernels (default: LOWBIT_ISA, else the best available). Process-wide.
 * Throws if the ISA is unknown, not built, or not supported by this CPU.
 */
export function setIsa(name: string): void {
  if (typeof name !== 'string') throw new TypeError(`name must be a string, got ${typeof name}`);
  const info = native._cpu();
  if (!info.available.includes(name)) {
    const why = info.built.includes(name) ? 'this CPU does not support it'
      : ['scalar', 'avx2', 'avxvnni', 'avx512vnni', 'amx', 'neon', 'neondot', 'i8mm'].includes(name)
        ? `it is not built for ${info.arch}` : 'it is not an ISA lowbit knows';
    throw new RangeError(`setIsa('${name}'): ${why}; available: ${info.available.join(', ')}`);
  }
  native._setIsa(name);
}

/** Threads for the GEMMs (default: LOWBIT_THREADS, else the number of physical cores). */
export function setThreads(n: number): void {
  if (typeof n !== 'number') throw new TypeError(`n must be a number, got ${typeof n}`);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new RangeError(`n must be an integer from 1 to 1024, got ${n}`);
  native._setThreads(n);
}
