// What each weight format costs in accuracy and memory, on the same weights:
// Gaussian (σ 0.02) with heavy-tailed outlier columns, like trained LLM layers.
//   node bench/formats.mjs [--n 1024] [--k 4096]
import { parseArgs } from 'node:util';
import * as lowbit from '../dist/index.js';

const { values: opt } = parseArgs({ options: { n: { type: 'string', default: '1024' }, k: { type: 'string', default: '4096' } } });
const N = Number(opt.n), K = Number(opt.k);
let s = 42;
const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
const w = new Float32Array(N * K);
for (let i = 0; i < w.length; i++) {
  const g = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const outlierColumn = (i % K) % 128 === 7;
  w[i] = 0.02 * g * (outlierColumn ? 15 : 1);
}
const W = new lowbit.Tensor('float32', w, [N, K]);
const formats = [
  ['int8 per-channel', { bits: 8 }],
  ['q8_0', { bits: 8, format: 'q8_0' }],
  ['int4 g32 rtn', { bits: 4, groupSize: 32 }],
  ['int4 g32 mse', { bits: 4, groupSize: 32, method: 'mse' }],
  ['int4 g32 asym', { bits: 4, groupSize: 32, symmetric: false }],
  ['int4 g32 f16 scales', { bits: 4, groupSize: 32, scaleType: 'float16' }],
  ['int4 g128 rtn', { bits: 4, groupSize: 128 }],
  ['int4 g128 mse', { bits: 4, groupSize: 128, method: 'mse' }],
  ['q4_0', { bits: 4, format: 'q4_0' }],
  ['q4_1', { bits: 4, format: 'q4_1' }],
];
const rows = [];
for (const [name, o] of formats) {
  const t0 = performance.now();
  const q = lowbit.quantize(W, o);
  const ms = performance.now() - t0;
  const bytes = q.data.byteLength + (q.scales?.byteLength ?? 0) + (q.zeroPoints?.byteLength ?? 0);
  const c = lowbit.compare(W, lowbit.dequantize(q));
  rows.push({ format: name, 'bytes/weight': (bytes / (N * K)).toFixed(4), rmse: c.rmse.toExponential(3),
    'SQNR dB': c.sqnrDb.toFixed(2), 'quantize ms': ms.toFixed(0) });
}
console.log(`weights [${N}, ${K}]: Gaussian σ 0.02, every 128th column ×15 (float32 = 4 bytes/weight)`);
console.table(rows);
