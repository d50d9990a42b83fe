// Two `npm run bench -- --json FILE` results side by side (e.g. an x86 server and an M-series
// laptop): node bench/compare.mjs A.json B.json
import { readFileSync } from 'node:fs';

const [fa, fb] = process.argv.slice(2);
if (!fa || !fb) {
  console.error('usage: node bench/compare.mjs A.json B.json');
  process.exit(2);
}
const load = (f) => {
  const j = JSON.parse(readFileSync(f, 'utf8'));
  if (j.schema !== 'lowbit-bench/1') throw new Error(`${f}: not a lowbit-bench/1 result (schema ${j.schema})`);
  return j;
};
const a = load(fa), b = load(fb);
const key = (r) => `${r.op} | ${r.shape} | ${r.weights} | ${r.threads}`;
const rb = new Map(b.rows.map((r) => [key(r), r]));
console.log(`A: ${fa} — ${a.header.cpu}, ${a.header.isa}, lowbit ${a.header.lowbit}, Node ${a.header.node}`);
console.log(`B: ${fb} — ${b.header.cpu}, ${b.header.isa}, lowbit ${b.header.lowbit}, Node ${b.header.node}`);
console.table(a.rows.filter((r) => rb.has(key(r))).map((r) => {
  const o = rb.get(key(r));
  return { op: r.op, 'M x N x K': r.shape, weights: r.weights, threads: r.threads, A: `${r.median.toFixed(1)} ${r.unit}`,
    B: `${o.median.toFixed(1)} ${o.unit}`, 'B / A': (o.median / r.median).toFixed(2) };
}));
