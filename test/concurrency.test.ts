// The addon in worker threads, concurrent async calls, and async calls that keep the event
// loop free and their inputs intact.
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { Tensor, linear, linearSync, matmulInteger, matmulIntegerSync, quantize } from '../src/index.js';
import { rng } from './helpers.js';

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.entry).then((l) => {
  const { M, N, K, seed } = workerData;
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const a = new l.Tensor('uint8', Uint8Array.from({ length: M * K }, () => Math.floor(next() * 256)), [M, K]);
  const b = new l.Tensor('int8', Int8Array.from({ length: K * N }, () => Math.floor(next() * 256) - 128), [K, N]);
  let sum = 0;
  for (let i = 0; i < 20; i++) sum += l.matmulIntegerSync(a, b, 3, 1).data.reduce((x, y) => (x + y) | 0, 0);
  parentPort.postMessage({ isa: l.cpu().isa, sum });
}).catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

describe('threads', () => {
  it('loads and computes in two workers at once, with results equal to the main thread', async () => {
    const entry = new URL('../dist/index.js', import.meta.url).href;
    const job = { M: 40, N: 70, K: 300, seed: 12345 };
    const run = () => new Promise<{ isa: string; sum: number; error?: string }>((resolve, reject) => {
      const w = new Worker(workerSource, { eval: true, workerData: { ...job, entry } });
      w.once('message', (m) => { resolve(m); void w.terminate(); });
      w.once('error', reject);
    });
    const [r1, r2] = await Promise.all([run(), run()]);
    expect(r1.error).toBeUndefined();
    expect(r2.error).toBeUndefined();
    expect(r1.sum).toBe(r2.sum);
    // Same computation here.
    let s = job.seed;
    const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    const a = new Tensor('uint8', Uint8Array.from({ length: job.M * job.K }, () => Math.floor(next() * 256)), [job.M, job.K]);
    const b = new Tensor('int8', Int8Array.from({ length: job.K * job.N }, () => Math.floor(next() * 256) - 128), [job.K, job.N]);
    const once = matmulIntegerSync(a, b, 3, 1).data.reduce((x, y) => (x + y) | 0, 0);
    let sum = 0;
    for (let i = 0; i < 20; i++) sum += once;
    expect(r1.sum).toBe(sum);
  });

  it('many concurrent async calls all give the sync result', async () => {
    const r = rng();
    const M = 33, N = 65, K = 200;
    const x = new Tensor('float32', Float32Array.from({ length: M * K }, () => r() - 0.5), [M, K]);
    const w = new Tensor('float32', Float32Array.from({ length: N * K }, () => r() - 0.5), [N, K]);
    const wq = quantize(w, { bits: 8 });
    const want = linearSync(x, wq).data;
    const wantF = linearSync(x, w).data;
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => linear(x, i % 2 ? wq : w)));
    results.forEach((y, i) => expect(Array.from(y.data)).toEqual(Array.from(i % 2 ? want : wantF)));
  });

  it('async work runs off the main thread and survives its inputs being dropped or detached', async () => {
    const r = rng();
    const M = 256, N = 1024, K = 1024;
    const aData = Uint8Array.from({ length: M * K }, () => Math.floor(r() * 256));
    const a = new Tensor('uint8', aData, [M, K]);
    const b = new Tensor('int8', Int8Array.from({ length: K * N }, () => Math.floor(r() * 256) - 128), [K, N]);
    const want = matmulIntegerSync(a, b).data;
    let settled = false;
    const p = matmulInteger(a, b).then((t) => { settled = true; return t; });
    // The call returned before the work finished, and the main thread keeps running.
    expect(settled).toBe(false);
    structuredClone(aData.buffer, { transfer: [aData.buffer] });  // detach the caller's input
    let ticks = 0;
    while (!settled) {
      await new Promise((res) => setImmediate(res));
      ticks++;
    }
    expect(ticks).toBeGreaterThan(0);
    expect(Array.from((await p).data.subarray(0, 1000))).toEqual(Array.from(want.subarray(0, 1000)));
    expect((await p).data.every((v, i) => v === want[i])).toBe(true);
  });
});
