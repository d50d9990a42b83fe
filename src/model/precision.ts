// Per-layer precisions as short names: what a plan file, the CLI and the demo's table say.
//   float32 | float16 | int8 | q8_0 | q4_0 | q4_1 | int4[-g16|-g32|-g64|-g128|-g256][-asym][-mse]
// ("int4" alone is g32, symmetric, round-to-nearest).
import type { QuantizeOptions } from '../quantize.js';

export type Precision = string;

export type ParsedPrecision =
  | { kind: 'float32' }
  | { kind: 'float16' }
  | { kind: 'quantized'; options: QuantizeOptions };

const GROUPS = [16, 32, 64, 128, 256];

/** Parses a precision name; a RangeError lists the grammar when it is not one. */
export function parsePrecision(name: Precision): ParsedPrecision {
  if (typeof name !== 'string') throw new TypeError(`a precision must be a string such as "int4-g32", got ${typeof name}`);
  switch (name) {
    case 'float32': return { kind: 'float32' };
    case 'float16': return { kind: 'float16' };
    case 'int8': return { kind: 'quantized', options: { bits: 8 } };
    case 'q8_0': case 'q4_0': case 'q4_1':
      return { kind: 'quantized', options: { bits: name === 'q8_0' ? 8 : 4, format: name } };
  }
  const m = /^int4(?:-g(\d+))?(-asym)?(-mse)?$/.exec(name);
  if (m) {
    const groupSize = m[1] === undefined ? 32 : Number(m[1]);
    if (GROUPS.includes(groupSize)) {
      return { kind: 'quantized', options: { bits: 4, groupSize, symmetric: !m[2], method: m[3] ? 'mse' : 'rtn' } };
    }
  }
  throw new RangeError(`unknown precision "${name}": use float32, float16, int8, q8_0, q4_0, q4_1 or ` +
    `int4[-g16|-g32|-g64|-g128|-g256][-asym][-mse]`);
}

/** The canonical name (int4 → int4-g32). */
export function canonicalPrecision(name: Precision): Precision {
  const p = parsePrecision(name);
  if (p.kind !== 'quantized' || p.options.bits !== 4 || p.options.format) return name;
  const o = p.options;
  return `int4-g${o.groupSize}${o.symmetric ? '' : '-asym'}${o.method === 'mse' ? '-mse' : ''}`;
}

/** Storage bytes of an [N, K] weight in this precision (values, scales, zero points). */
export function weightBytes(name: Precision, N: number, K: number): number {
  const p = parsePrecision(name);
  if (p.kind !== 'quantized') return N * K * (p.kind === 'float32' ? 4 : 2);
  const o = p.options;
  if (o.format) return (N * K / 32) * { q4_0: 18, q4_1: 20, q8_0: 34 }[o.format];
  if (o.bits === 8) return N * K + N * 4;
  const g = o.groupSize ?? 32, blocks = Math.ceil(K / g);
  return N * blocks * g / 2 + N * blocks * 4 + (o.symmetric === false ? N * Math.ceil(blocks / 2) : 0);
}
