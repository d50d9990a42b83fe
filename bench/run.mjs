// npm run bench: what quantization buys on this machine.
//   node bench/run.mjs [--full] [--json FILE] [--threads N] [--isa NAME] [--filter TEXT] [--time MS]
// Prints the machine (with its limits measured by tiny probes in this same run), then for each
// operation and shape: the median throughput, its fraction of the measured peak, the spread, the
// speedup over the fp32 baseline on the same shape, and the bytes per weight. Weights are
// prepacked (a warm-up call packs them, as real use does) and outputs reused; "cold" rows rotate
// through enough copies of the weights to defeat the caches.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import * as lowbit from '../dist/index.js';
// The probes are internal exports of the addon: the same handle lowbit itself loaded.
import { native } from '../dist/native.js';

const { values: opt } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    json: { type: 'string' },
    threads: { type: 'string' },
    isa: { type: 'string' },
    filter: { type: 'string', default: '' },
    time: { type: 'string', default: '300' },
  },
});
const info = lowbit.cpu();
const isa = opt.isa ?? info.isa;
lowbit.setIsa(isa);
const allThreads = opt.threads ? Number(opt.threads) : info.physicalCores;
const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url))).version;


// ---- the machine's limits, measured now ----------------------------------------------------
function median(xs) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }
function probeCompute(kind) {
  let iters = 1e5;
  while (true) {  // size the run to ~20 ms
    const t0 = performance.now(); native._probe(kind, iters); const ms = performance.now() - t0;
    if (ms > 20) break;
    iters *= 2;
  }
  const rates = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now(); const macs = native._probe(kind, iters); rates.push(2 * macs / ((performance.now() - t0) / 1e3));
  }
  return median(rates) / 1e9;  // GOPS or GFLOPS
}
function probeRead(bytes) {
  const b = new Uint8Array(bytes).fill(1);
  native._probeRead(b);
  const rates = [];
  for (let r = 0; r < 7; r++) { const t0 = performance.now(); native._probeRead(b); rates.push(bytes / ((performance.now() - t0) / 1e3)); }
  return median(rates) / 1e9;
}
lowbit.setThreads(1);
// The int8 peak of every SIMD tier here: rows are quoted against the tier whose instruction
// their kernel uses (see int8PeakFor).
const int8Peaks = {};
for (const t of info.available.filter((a) => a !== 'scalar')) {
  lowbit.setIsa(t);
  int8Peaks[t] = probeCompute('int8');
}
lowbit.setIsa(isa);
const peak = {
  int8Gops: int8Peaks[isa] ?? probeCompute('int8'),
  int8GopsByIsa: int8Peaks,
  fp32Gflops: probeCompute('f32'),
  readL2GBs: probeRead(1 << 20),
  readL3GBs: probeRead(16 << 20),
  readDramGBs: probeRead(512 << 20),
};

// ---- inputs ----------------------------------------------------------------------------------
function rand(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = (s / 4294967296 - 0.5) * 0.1; }
  return out;
}
const tensor = (rows, cols, seed) => new lowbit.Tensor('float32', rand(rows * cols, seed), [rows, cols]);
const weightCache = new Map();
function weightFor(kind, N, K) {
  const key = `${kind}:${N}x${K}`;
  if (!weightCache.has(key)) {
    const w = tensor(N, K, N * 31 + K);
    const q = {
      fp32: () => w,
      int8: () => lowbit.quantize(w, { bits: 8 }),
      'int4 g32': () => lowbit.quantize(w, { bits: 4, groupSize: 32 }),
      'int4 g128': () => lowbit.quantize(w, { bits: 4, groupSize: 128 }),
      q4_0: () => lowbit.quantize(w, { bits: 4, format: 'q4_0' }),
      q4_1: () => lowbit.quantize(w, { bits: 4, format: 'q4_1' }),
      q8_0: () => lowbit.quantize(w, { bits: 8, format: 'q8_0' }),
    }[kind]();
    weightCache.set(key, q);
  }
  return weightCache.get(key);
}
function bytesPerWeight(w) {
  if (w instanceof lowbit.Tensor) return 4;
  return (w.data.byteLength + (w.scales?.byteLength ?? 0) + (w.zeroPoints?.byteLength ?? 0)) / (w.dims[0] * w.dims[1]);
}
function copyOf(w) {  // a distinct weight object (its own pack) with the same values
  if (w instanceof lowbit.Tensor) return new lowbit.Tensor('float32', w.data.slice(), w.dims);
  return new lowbit.QuantizedTensor({ dims: w.dims, bits: w.bits, format: w.format, groupSize: w.groupSize,
    symmetric: w.symmetric, data: w.data.slice(), scales: w.scales?.slice(), zeroPoints: w.zeroPoints?.slice() });
}

// ---- measurement -----------------------------------------------------------------------------
async function measure(fn, ops) {
  fn();
  const bench = new Bench({ time: Number(opt.time), warmupTime: 50 });
  bench.add('x', fn);
  await bench.run();
  const lat = bench.tasks[0].result.latency;  // ms
  return { medianMs: lat.p50, rate: ops / (lat.p50 / 1e3) / 1e9, min: ops / (lat.max / 1e3) / 1e9, max: ops / (lat.min / 1e3) / 1e9 };
}

async function measureAsync(fn, ops) {
  await fn();
  const bench = new Bench({ time: Number(opt.time), warmupTime: 50 });
  bench.add('x', fn);
  await bench.run();
  const lat = bench.tasks[0].result.latency;
  return { medianMs: lat.p50, rate: ops / (lat.p50 / 1e3) / 1e9 };
}

const rows = [];
const fp32Rate = new Map();
const shapes = opt.full
  ? [[4096, 4096], [11008, 4096], [14336, 4096], [4096, 14336]].flatMap(([N, K]) => [1, 8, 32, 512].map((M) => [M, N, K]))
  : [[1, 4096, 4096], [32, 4096, 4096], [512, 4096, 4096], [1, 11008, 4096]];
// --full adds ggml's other blocks (q4_1, q8_0).
const kinds = ['fp32', 'int8', 'int4 g32', 'int4 g128', 'q4_0', ...(opt.full ? ['q4_1', 'q8_0'] : [])];
const want = (label) => !opt.filter || label.includes(opt.filter);
// The int8 peak of the engine a row's kernel runs on: on the amx tier, int8 GEMMs (and int4 /
// q4_0 linears) of 16+ rows use AMX tiles, everything else AVX-512 VNNI.
function int8PeakFor(kind, M) {
  if (isa !== 'amx') return peak.int8Gops;
  const onTiles = M >= 16 && ['mmi', 'int8', 'int4 g32', 'int4 g128', 'q4_0'].includes(kind);
  return onTiles ? peak.int8Gops : int8Peaks.avx512vnni;
}

lowbit.setThreads(1);
for (const [M, N, K] of shapes) {
  for (const kind of kinds) {
    const label = `${kind} linear ${M}x${N}x${K}`;
    if (!want(label) && !(kind === 'fp32' && want(`linear ${M}x${N}x${K}`))) continue;
    const w = weightFor(kind, N, K);
    const x = tensor(M, K, 7);
    const out = lowbit.zeros('float32', [M, N]);  // reused outputs: allocated on cache lines, as lowbit's own are
    const ops = 2 * M * N * K;
    const hot = await measure(() => lowbit.linearSync(x, w, undefined, { out }), ops);
    if (kind === 'fp32') fp32Rate.set(`${M}x${N}x${K}`, hot.rate);
    // On the amx tier only int8 GEMMs of 16+ rows use AMX; everything else runs AVX-512 VNNI.
    const peakFor = kind === 'fp32' ? peak.fp32Gflops : int8PeakFor(kind, M);
    const base = fp32Rate.get(`${M}x${N}x${K}`);
    rows.push({ op: `${kind} linear`, shape: `${M}x${N}x${K}`, weights: 'hot', threads: 1, unit: kind === 'fp32' ? 'GFLOPS' : 'GOPS',
      median: hot.rate, min: hot.min, max: hot.max, ofPeak: hot.rate / peakFor,
      vsFp32: base ? hot.rate / base : null, bytesPerWeight: bytesPerWeight(w) });
    if (M === 1) {  // memory-bound: also with the weights evicted between calls
      const copies = Math.max(2, Math.ceil((256 << 20) / (N * K * bytesPerWeight(w))));
      const ws = Array.from({ length: copies }, () => copyOf(w));
      ws.forEach((c) => lowbit.linearSync(x, c, undefined, { out }));  // pack each once
      let i = 0;
      const cold = await measure(() => lowbit.linearSync(x, ws[i++ % copies], undefined, { out }), ops);
      rows.push({ op: `${kind} linear`, shape: `${M}x${N}x${K}`, weights: `cold (${copies} copies)`, threads: 1,
        unit: kind === 'fp32' ? 'GFLOPS' : 'GOPS', median: cold.rate, min: cold.min, max: cold.max,
        ofPeak: cold.rate / peakFor, vsFp32: null, bytesPerWeight: bytesPerWeight(w) });
    }
    console.error(`done: ${label}`);
  }
}

// What a Node developer without lowbit would write: a plain-JS fp32 linear, on small shapes.
for (const [M, N, K] of [[1, 512, 512], [32, 512, 512]]) {
  const label = `plain JS fp32 linear ${M}x${N}x${K}`;
  if (!want(label)) continue;
  const x = rand(M * K, 7), w = rand(N * K, 8), y = new Float32Array(M * N);
  const js = () => {
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += x[m * K + k] * w[n * K + k];
        y[m * N + n] = acc;
      }
  };
  const r = await measure(js, 2 * M * N * K);
  const xt = new lowbit.Tensor('float32', x, [M, K]), wt = new lowbit.Tensor('float32', w, [N, K]);
  const out = lowbit.zeros('float32', [M, N]);
  const lb = await measure(() => lowbit.linearSync(xt, wt, undefined, { out }), 2 * M * N * K);
  rows.push({ op: 'plain JS fp32 linear', shape: `${M}x${N}x${K}`, weights: 'hot', threads: 1, unit: 'GFLOPS', median: r.rate,
    min: r.min, max: r.max, ofPeak: r.rate / peak.fp32Gflops, vsFp32: r.rate / lb.rate, bytesPerWeight: 4 });
  rows.push({ op: 'fp32 linear', shape: `${M}x${N}x${K}`, weights: 'hot', threads: 1, unit: 'GFLOPS', median: lb.rate,
    min: lb.min, max: lb.max, ofPeak: lb.rate / peak.fp32Gflops, vsFp32: 1, bytesPerWeight: 4 });
}

// Dequantization and quantization, in GB/s of float32 written or read.
for (const [label, q] of [['int4 g32 dequantize', { bits: 4, groupSize: 32 }], ['q4_0 dequantize', { bits: 4, format: 'q4_0' }],
  ['int8 dequantize', { bits: 8 }]]) {
  if (!want(label)) continue;
  const w = lowbit.quantize(tensor(4096, 4096, 3), q);
  const out = lowbit.dequantize(w);  // aligned, reused
  const r = await measure(() => lowbit.dequantize(w, { out }), 4096 * 4096 * 4);
  rows.push({ op: label, shape: '4096x4096', weights: '', threads: 1, unit: 'GB/s', median: r.rate, min: r.min, max: r.max,
    ofPeak: r.rate / peak.readDramGBs, vsFp32: null, bytesPerWeight: bytesPerWeight(w) });
}
for (const [label, q] of [['quantize f32->int8', { bits: 8 }], ['quantize f32->int4 g32', { bits: 4, groupSize: 32 }],
  ['quantize f32->q4_0', { bits: 4, format: 'q4_0' }]]) {
  if (!want(label)) continue;
  const w = tensor(1024, 4096, 5);
  const r = await measure(() => lowbit.quantize(w, q), 1024 * 4096 * 4);
  rows.push({ op: label, shape: '1024x4096', weights: '', threads: 1, unit: 'GB/s', median: r.rate, min: r.min, max: r.max,
    ofPeak: r.rate / peak.readDramGBs, vsFp32: null, bytesPerWeight: null });
}
// The exact integer GEMM on a cube, and thread scaling on a compute-bound and a memory-bound shape.
const scaling = [];
for (const [label, M, N, K, kind] of [['int8 matmulInteger', 512, 512, 512, 'mmi'], ['int4 g32 linear', 512, 4096, 4096, 'int4 g32'],
  ['int4 g32 linear', 1, 4096, 4096, 'int4 g32']]) {
  if (!want(label)) continue;
  for (let t = 1; t <= allThreads; t++) {
    lowbit.setThreads(t);
    let fn;
    if (kind === 'mmi') {
      // a and out as lowbit allocates them (quantizeLinear's output, zeros): rows on cache lines.
      const a = lowbit.zeros('uint8', [M, K]);
      a.data.set(Uint8Array.from(rand(M * K, 1), (v) => (v + 0.05) * 2550 & 255));
      const b = new lowbit.Tensor('int8', Int8Array.from(rand(K * N, 2), (v) => Math.round(v * 2550)), [K, N]);
      const out = lowbit.zeros('int32', [M, N]);
      fn = () => lowbit.matmulIntegerSync(a, b, 0, 0, { out });
      if (t === 1) {  // and as plain typed arrays, which start 16 bytes past a cache line
        const ua = new lowbit.Tensor('uint8', Uint8Array.from(a.data), [M, K]);
        const uout = new lowbit.Tensor('int32', new Int32Array(M * N), [M, N]);
        const r = await measure(() => lowbit.matmulIntegerSync(ua, b, 0, 0, { out: uout }), 2 * M * N * K);
        rows.push({ op: label, shape: `${M}x${N}x${K}`, weights: 'hot, plain typed arrays', threads: 1, unit: 'GOPS', median: r.rate,
          min: r.min, max: r.max, ofPeak: r.rate / peak.int8Gops, vsFp32: null, bytesPerWeight: 1 });
      }
    } else {
      const w = weightFor(kind, N, K), x = tensor(M, K, 7), out = lowbit.zeros('float32', [M, N]);
      fn = () => lowbit.linearSync(x, w, undefined, { out });
    }
    const r = await measure(fn, 2 * M * N * K);
    scaling.push({ op: label, shape: `${M}x${N}x${K}`, threads: t, median: r.rate });
    if (t === 1 || t === allThreads) {
      rows.push({ op: label, shape: `${M}x${N}x${K}`, weights: 'hot (scaling)', threads: t, unit: 'GOPS', median: r.rate, min: r.min, max: r.max,
        ofPeak: r.rate / (int8PeakFor(kind, M) * t), vsFp32: null, bytesPerWeight: kind === 'mmi' ? 1 : bytesPerWeight(weightFor(kind, N, K)) });
    }
  }
}
lowbit.setThreads(allThreads);

// --full: the exact integer GEMM on more of oneDNN's benchmark shapes (one thread), to set
// beside ../shared/tools/onednn/run.
if (opt.full) {
  lowbit.setThreads(1);
  for (const [M, N, K] of [[128, 4096, 4096], [1024, 1024, 1024], [2048, 2048, 2048]]) {
    const label = 'int8 matmulInteger';
    if (!want(`${label} ${M}x${N}x${K}`)) continue;
    const a = lowbit.zeros('uint8', [M, K]);
    a.data.set(Uint8Array.from(rand(M * K, 1), (v) => (v + 0.05) * 2550 & 255));
    const b = new lowbit.Tensor('int8', Int8Array.from(rand(K * N, 2), (v) => Math.round(v * 2550)), [K, N]);
    const out = lowbit.zeros('int32', [M, N]);
    const r = await measure(() => lowbit.matmulIntegerSync(a, b, 0, 0, { out }), 2 * M * N * K);
    rows.push({ op: label, shape: `${M}x${N}x${K}`, weights: 'hot', threads: 1, unit: 'GOPS', median: r.rate, min: r.min,
      max: r.max, ofPeak: r.rate / peak.int8Gops, vsFp32: null, bytesPerWeight: 1 });
    console.error(`done: ${label} ${M}x${N}x${K}`);
  }
  lowbit.setThreads(allThreads);
}

// Call overhead of a tiny linear, and how long an async call keeps the event loop busy.
const overhead = {};
if (want('overhead')) {
  const x = tensor(1, 64, 1), w = lowbit.quantize(tensor(64, 64, 2), { bits: 8 });
  const out = new lowbit.Tensor('float32', new Float32Array(64), [1, 64]);
  const sync = await measure(() => lowbit.linearSync(x, w, undefined, { out }), 1);
  const bench = new Bench({ time: Number(opt.time) });
  bench.add('async', async () => { await lowbit.linear(x, w); });
  await bench.run();
  overhead.syncUs = sync.medianMs * 1e3;
  overhead.asyncUs = bench.tasks[0].result.latency.p50 * 1e3;
  // Event loop: the longest gap between immediates while one large async linear runs.
  const bx = tensor(256, 4096, 3), bw = weightFor('int8', 4096, 4096);
  await lowbit.linear(bx, bw);
  let last = performance.now(), maxGap = 0, done = false;
  const t0 = performance.now();
  const p = lowbit.linear(bx, bw).then(() => { done = true; });
  const callMs = performance.now() - t0;
  while (!done) {
    await new Promise((r) => setImmediate(r));
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }
  await p;
  overhead.asyncCallReturnsInMs = callMs;
  overhead.maxEventLoopGapMs = maxGap;
  overhead.opMs = performance.now() - t0;
}

// ---- onnxruntime-node on the same work, when it is installed ----------------------------------
// Not a dependency (its install script fetches GPU binaries): install it for the comparison with
//   ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node
const peers = [];
let ortNote = '';
let ort = null;
try {
  ort = (await import('onnxruntime-node')).default;
} catch {
  ortNote = 'onnxruntime-node is not installed: ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node to compare';
}
if (ort && want('onnxruntime')) {
  const onnx = await import('./onnx.mjs');
  const ortShapes = opt.full ? [1, 8, 32, 512] : [1, 32, 512];
  const N = 4096, K = 4096;
  const wf = weightFor('fp32', N, K), w8 = weightFor('int8', N, K);
  const bT = new Float32Array(K * N), b8T = new Int8Array(K * N);  // [K, N] for ONNX MatMul
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) { bT[k * N + n] = wf.data[n * K + k]; b8T[k * N + n] = w8.data[n * K + k]; }
  const models = [
    ['fp32 linear', 'MatMul fp32', onnx.matMulModel(K, N, bT), 'float32'],
    ['int8 linear', 'DynamicQuantizeMatMul', onnx.dynamicQuantizeMatMulModel(K, N, b8T, w8.scales), 'float32'],
    ['int4 g32 linear', 'MatMulNBits g32 acc4', (() => { const q = weightFor('int4 g32', N, K); return onnx.matMulNBitsModel(K, N, 32, q.data, q.scales, 4); })(), 'float32'],
    ['int4 g128 linear', 'MatMulNBits g128 acc4', (() => { const q = weightFor('int4 g128', N, K); return onnx.matMulNBitsModel(K, N, 128, q.data, q.scales, 4); })(), 'float32'],
  ];
  for (const [ours, label, bytes] of models) {
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    for (const M of ortShapes) {
      const feeds = { A: new ort.Tensor('float32', rand(M * K, 7), [M, K]) };
      const r = await measureAsync(() => session.run(feeds), 2 * M * N * K);
      const mine = rows.find((x) => x.op === `${ours}` && x.shape === `${M}x${N}x${K}` && x.weights === 'hot' && x.threads === 1);
      peers.push({ peer: `onnxruntime ${label}`, shape: `${M}x${N}x${K}`, median: r.rate, lowbit: mine?.median ?? null });
    }
    await session.release();
    console.error(`done: onnxruntime ${label}`);
  }
  // Per-call cost of run() on a tiny model, and the event loop while a large run() is in flight.
  const tiny = await ort.InferenceSession.create(onnx.matMulModel(64, 64, rand(64 * 64, 2)), { intraOpNumThreads: 1 });
  const tf = { A: new ort.Tensor('float32', rand(64, 1), [1, 64]) };
  const t = await measureAsync(() => tiny.run(tf), 1);
  overhead.ortRunUs = t.medianMs * 1e3;
  const big = await ort.InferenceSession.create(onnx.dynamicQuantizeMatMulModel(K, N, b8T, w8.scales), { intraOpNumThreads: 1 });
  const bf = { A: new ort.Tensor('float32', rand(256 * K, 3), [256, K]) };
  await big.run(bf);
  let last = performance.now(), maxGap = 0, done = false;
  const t0 = performance.now();
  const p = big.run(bf).then(() => { done = true; });
  const callMs = performance.now() - t0;
  while (!done) { await new Promise((r) => setImmediate(r)); const now = performance.now(); maxGap = Math.max(maxGap, now - last); last = now; }
  await p;
  overhead.ortRunReturnsInMs = callMs;
  overhead.ortMaxEventLoopGapMs = maxGap;
}

// ---- report ----------------------------------------------------------------------------------
const header = {
  lowbit: version, node: process.version, cpu: cpus()[0]?.model ?? 'unknown', arch: info.arch, isa,
  available: info.available, threads: allThreads, physicalCores: info.physicalCores,
};
const fmt = (v, d = 1) => (v === null || v === undefined ? '' : v.toFixed(d));
console.log(`lowbit ${version} · Node ${process.version} · ${header.cpu} · ${info.arch} · ISA ${isa} ` +
  `(available: ${info.available.join(', ')}) · ${allThreads} threads`);
console.log(`measured limits per core: int8 ${Object.entries(int8Peaks).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')} GOPS, ` +
  `fp32 ${fmt(peak.fp32Gflops)} GFLOPS, ` +
  `read ${fmt(peak.readL2GBs)} GB/s (1 MiB) / ${fmt(peak.readL3GBs)} (16 MiB) / ${fmt(peak.readDramGBs)} (512 MiB)`);
console.table(rows.map((r) => ({
  op: r.op, 'M x N x K': r.shape, weights: r.weights, thr: r.threads, median: `${fmt(r.median)} ${r.unit}`,
  'of peak': r.ofPeak === null ? '' : `${(100 * r.ofPeak).toFixed(0)} %`, 'min-max': `${fmt(r.min, 0)}-${fmt(r.max, 0)}`,
  'vs fp32': r.vsFp32 ? `${r.vsFp32.toPrecision(2)}x` : '', 'B/weight': r.bytesPerWeight ? r.bytesPerWeight.toFixed(3) : '',
})));
if (scaling.length) console.table(scaling.map((s) => ({ op: s.op, 'M x N x K': s.shape, threads: s.threads, 'GOPS': fmt(s.median) })));
if (overhead.syncUs !== undefined) {
  console.log(`call overhead (1x64x64 int8 linear): sync ${fmt(overhead.syncUs, 2)} µs, async ${fmt(overhead.asyncUs, 2)} µs; ` +
    `a 256x4096x4096 async linear returned in ${fmt(overhead.asyncCallReturnsInMs, 2)} ms and the event loop's ` +
    `longest gap while it ran (${fmt(overhead.opMs, 1)} ms) was ${fmt(overhead.maxEventLoopGapMs, 2)} ms`);
}
if (peers.length) {
  console.table(peers.map((p) => ({ peer: p.peer, 'M x N x K': p.shape, 'peer GOPS': fmt(p.median), 'lowbit GOPS': fmt(p.lowbit),
    'lowbit / peer': p.lowbit ? `${(p.lowbit / p.median).toFixed(2)}x` : '' })));
  console.log(`onnxruntime run() on a 1x64x64 MatMul: ${fmt(overhead.ortRunUs, 2)} µs per call; a 256x4096x4096 ` +
    `DynamicQuantizeMatMul run() returned after ${fmt(overhead.ortRunReturnsInMs, 2)} ms, longest event-loop gap ${fmt(overhead.ortMaxEventLoopGapMs, 2)} ms`);
} else if (ortNote) {
  console.log(ortNote);
}
console.log('(of peak: GOPS/GFLOPS against the probes above; GB/s rows against the 512 MiB read probe)');
if (opt.json) {
  writeFileSync(opt.json, JSON.stringify({ schema: 'lowbit-bench/1', header, peak, rows, scaling, overhead, peers }, null, 2));
  console.log(`wrote ${opt.json}`);
}
