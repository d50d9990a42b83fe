// npm run bench: lowbit's kernels on this machine, medians over tinybench samples.
//   node bench/run.mjs [--filter TEXT] [--threads N] [--isa NAME] [--time MS]
// Weights are prepacked (a warm-up call packs them), outputs reused with opts.out, so the
// figures are the kernels' and the binding's, not the allocator's.
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import * as lowbit from '../dist/index.js';

const { values: opt } = parseArgs({
  options: {
    filter: { type: 'string', default: '' },
    threads: { type: 'string' },
    isa: { type: 'string' },
    time: { type: 'string', default: '400' },
  },
});
const info = lowbit.cpu();
const allThreads = opt.threads ? Number(opt.threads) : info.physicalCores;
const bestIsa = opt.isa ?? info.isa;

function rand(n, lo, hi, seed = 1) {
  let s = seed >>> 0;
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (s % (hi - lo + 1));
  }
  return out;
}
const u8 = (M, K) => new lowbit.Tensor('uint8', Uint8Array.from(rand(M * K, 0, 255, 7)), [M, K]);
const s8 = (K, N) => new lowbit.Tensor('int8', Int8Array.from(rand(K * N, -128, 127, 9)), [K, N]);
const f32 = (R, C, seed = 3) => new lowbit.Tensor('float32', Float32Array.from(rand(R * C, -1000, 1000, seed), (v) => v / 1000), [R, C]);

const cases = [];
function add(op, [M, N, K], { threads = 1, isa = bestIsa, setup }) {
  cases.push({ op, M, N, K, threads, isa, setup });
}
for (const shape of [[512, 512, 512], [128, 4096, 4096], [1, 4096, 4096]]) {
  add('int8 matmulInteger', shape, {
    setup: ([M, N, K]) => {
      const a = u8(M, K), b = s8(K, N), out = new lowbit.Tensor('int32', new Int32Array(M * N), [M, N]);
      return () => lowbit.matmulIntegerSync(a, b, 0, 0, { out });
    },
  });
  add('int8 linear (dynamic x)', shape, {
    setup: ([M, N, K]) => {
      const x = f32(M, K), w = lowbit.quantize(f32(N, K, 5), { bits: 8 });
      const out = new lowbit.Tensor('float32', new Float32Array(M * N), [M, N]);
      return () => lowbit.linearSync(x, w, undefined, { out });
    },
  });
  for (const [label, opts] of [['int4 g32 linear', { bits: 4, groupSize: 32 }], ['int4 g128 linear', { bits: 4, groupSize: 128 }],
    ['q4_0 linear', { bits: 4, format: 'q4_0' }]]) {
    add(label, shape, {
      setup: ([M, N, K]) => {
        const x = f32(M, K), w = lowbit.quantize(f32(N, K, 5), opts);
        const out = new lowbit.Tensor('float32', new Float32Array(M * N), [M, N]);
        return () => lowbit.linearSync(x, w, undefined, { out });
      },
    });
  }
  add('fp32 linear', shape, {
    setup: ([M, N, K]) => {
      const x = f32(M, K), w = f32(N, K, 5), out = new lowbit.Tensor('float32', new Float32Array(M * N), [M, N]);
      return () => lowbit.linearSync(x, w, undefined, { out });
    },
  });
}
// The other SIMD paths this CPU has, forced, on the same work.
for (const isa of ['avx512vnni', 'avx2', 'i8mm', 'neondot', 'neon']) {
  if (isa === bestIsa || !info.available.includes(isa)) continue;
  add('int8 matmulInteger', [512, 512, 512], { isa, setup: cases[0].setup });
  add('int8 matmulInteger', [128, 4096, 4096], { isa, setup: cases[0].setup });
}
if (allThreads > 1) {
  for (const threads of [1, allThreads]) add('int8 matmulInteger', [1024, 1024, 1024], { threads, setup: cases[0].setup });
}

// Dequantization: GB/s of float32 written (reported in the G(FL)OPS column as GB/s).
const dequantCases = [
  ['int4 g32 dequantize (GB/s out)', { bits: 4, groupSize: 32 }],
  ['q4_0 dequantize (GB/s out)', { bits: 4, format: 'q4_0' }],
  ['int8 dequantize (GB/s out)', { bits: 8 }],
];

const rows = [];
for (const c of cases) {
  const label = `${c.op} ${c.M}x${c.N}x${c.K}`;
  if (opt.filter && !label.includes(opt.filter)) continue;
  lowbit.setIsa(c.isa);
  lowbit.setThreads(c.threads);
  const fn = c.setup([c.M, c.N, c.K]);
  fn();  // packs the weights
  const bench = new Bench({ time: Number(opt.time), warmupTime: 100 });
  bench.add(label, fn);
  await bench.run();
  const lat = bench.tasks[0].result.latency;  // ms
  const ops = 2 * c.M * c.N * c.K / 1e9;
  rows.push({
    op: c.op, 'M x N x K': `${c.M}x${c.N}x${c.K}`, isa: c.isa, threads: c.threads,
    'median ms': lat.p50.toFixed(3),
    'G(FL)OPS median': (ops / (lat.p50 / 1e3)).toFixed(1),
    'min-max': `${(ops / (lat.max / 1e3)).toFixed(0)}-${(ops / (lat.min / 1e3)).toFixed(0)}`,
  });
  console.error(`done: ${label} [${c.isa}, ${c.threads}T]`);
}

for (const [label, opts] of dequantCases) {
  if (opt.filter && !label.includes(opt.filter)) continue;
  lowbit.setIsa(bestIsa);
  lowbit.setThreads(1);
  const q = lowbit.quantize(f32(4096, 4096, 5), opts);
  const bench = new Bench({ time: Number(opt.time), warmupTime: 100 });
  const out = lowbit.dequantize(q);  // an aligned output, reused: the kernel, not the allocator
  bench.add(label, () => lowbit.dequantize(q, { out }));
  await bench.run();
  const lat = bench.tasks[0].result.latency;
  const gb = 4096 * 4096 * 4 / 1e9;
  rows.push({ op: label, 'M x N x K': '4096x4096', isa: bestIsa, threads: 1, 'median ms': lat.p50.toFixed(3),
    'G(FL)OPS median': (gb / (lat.p50 / 1e3)).toFixed(1), 'min-max': `${(gb / (lat.max / 1e3)).toFixed(1)}-${(gb / (lat.min / 1e3)).toFixed(1)}` });
  console.error(`done: ${label}`);
}

// Per-call overhead of a tiny linear: what the binding costs.
lowbit.setIsa(bestIsa);
lowbit.setThreads(allThreads);
if (!opt.filter || 'overhead'.includes(opt.filter)) {
  const x = f32(1, 64), w = lowbit.quantize(f32(64, 64), { bits: 8 });
  const out = new lowbit.Tensor('float32', new Float32Array(64), [1, 64]);
  lowbit.linearSync(x, w);
  const bench = new Bench({ time: Number(opt.time) });
  bench.add('sync', () => lowbit.linearSync(x, w, undefined, { out }));
  bench.add('async', async () => { await lowbit.linear(x, w); });
  await bench.run();
  for (const t of bench.tasks) {
    rows.push({ op: `call overhead, ${t.name}`, 'M x N x K': '1x64x64', isa: bestIsa, threads: allThreads,
      'median ms': t.result.latency.p50.toFixed(4), 'G(FL)OPS median': '', 'min-max': `${(t.result.latency.p50 * 1000).toFixed(2)} us/call` });
  }
}

console.log(`lowbit ${JSON.parse((await import('node:fs')).readFileSync(new URL('../package.json', import.meta.url))).version}` +
  ` on ${info.arch}, ISA ${bestIsa} (available: ${info.available.join(', ')}), ${info.physicalCores} cores, Node ${process.version}`);
console.table(rows);
