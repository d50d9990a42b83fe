// The workflow layer: precisions, the Sequential model and its files, float16, training,
// quantizeModel plans, sensitivity and autoQuantize — against plain definitions.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Linear, QuantizedTensor, ReLU, Sequential, Tensor, accuracy, autoQuantize, canonicalPrecision, compareLogits,
  linearSync, loadModel, parsePrecision, planBytes, predict, quantizeModel, resolvePlan, saveModel, sensitivity,
  toFloat16, toFloat32, trainMlp, weightBytes, loadFashionMnist, loadFashionMnistTest, type LabelledImages,
} from '../src/index.js';
import { BUNDLED_MODEL_DIR, readLabelledImages } from '../src/data/fashion-mnist.js';
import { rng } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lowbit-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const r = rng();
const floats = (n: number, s = 1) => Float32Array.from({ length: n }, () => (r() - 0.5) * s);

function mlp(widths: number[]): Sequential {
  const layers = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    layers.push(new Linear(`fc${i + 1}`, new Tensor('float32', floats(widths[i] * widths[i + 1], 0.2), [widths[i + 1], widths[i]]),
      new Tensor('float32', floats(widths[i + 1], 0.1), [widths[i + 1]])));
    if (i + 2 < widths.length) layers.push(new ReLU(`relu${i + 1}`));
  }
  return new Sequential(layers);
}

const ALL = ['float32', 'float16', 'int8', 'q8_0', 'q4_0', 'q4_1', 'int4-g16', 'int4-g32', 'int4-g64-asym', 'int4-g128-mse', 'int4-g256-asym-mse'];

describe('precisions', () => {
  it('parse, canonicalise and refuse unknown names', () => {
    expect(canonicalPrecision('int4')).toBe('int4-g32');
    expect(parsePrecision('int4-g64-asym-mse')).toEqual({ kind: 'quantized', options: { bits: 4, groupSize: 64, symmetric: false, method: 'mse' } });
    for (const bad of ['int4-g48', 'int3', 'INT8', 'int4-mse-asym', '', 'fp32']) expect(() => parsePrecision(bad)).toThrow(/unknown precision/);
    expect(() => parsePrecision(8 as unknown as string)).toThrow(TypeError);
  });

  it('weightBytes equals the bytes quantizeModel stores, for every precision', () => {
    const m = mlp([96, 40, 10]);  // K = 96 and 40: a padded last block for g64/g128/g256, no ggml for fc2
    for (const p of ALL) {
      for (const l of m.linears) {
        if (p.startsWith('q') && l.inFeatures % 32) continue;
        const q = quantizeModel(m, { [l.name]: p }).layer(l.name) as Linear;
        expect(q.bytes - q.bias!.data.byteLength, `${p} ${l.name}`).toBe(weightBytes(p, l.outFeatures, l.inFeatures));
        expect(q.precision).toBe(canonicalPrecision(p));
      }
    }
    expect(planBytes(m, { fc1: 'int8' })).toBe(quantizeModel(m, { fc1: 'int8' }).bytes);
  });
});

describe('float16', () => {
  const decode = (h: number) => {
    const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
    if (e === 31) return m ? NaN : s * Infinity;
    return s * (e ? 2 ** (e - 15) * (1 + m / 1024) : 2 ** -14 * (m / 1024));
  };

  it('decodes all 65,536 halves exactly and re-encodes them to the same bits', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const f = toFloat32(new Tensor('float16', all, [65536])).data as Float32Array;
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(decode(h))) expect(Number.isNaN(f[h])).toBe(true);
      else expect(f[h]).toBe(decode(h));
    }
    const back = toFloat16(new Tensor('float32', f, [65536])).data as Uint16Array;
    for (let h = 0; h < 65536; h++) if (!Number.isNaN(decode(h))) expect(back[h]).toBe(h);
  });

  it('rounds floats to the nearest half, ties to even, overflow to infinity', () => {
    const finite = Array.from({ length: 31744 }, (_, h) => decode(h));  // +0 … 65504, ascending
    const ref = (x: number) => {
      const a = Math.abs(x);
      let lo = 0, hi = finite.length - 1;
      if (a >= 65520) return (x < 0 ? 0x8000 : 0) | 0x7c00;
      while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (finite[mid] <= a) lo = mid; else hi = mid; }
      const pick = a - finite[lo] < finite[hi] - a ? lo : a - finite[lo] > finite[hi] - a ? hi : (lo % 2 === 0 ? lo : hi);
      return (x < 0 || Object.is(x, -0) ? 0x8000 : 0) | pick;
    };
    const xs = Float32Array.from([0, -0, 1, 65504, 65519.99, 65520, -70000, 1e-8, 2 ** -25, 2 ** -24 * 1.5, 3 * 2 ** -25,
      1 + 2 ** -11, 1 + 3 * 2 ** -11, ...floats(20000, 10), ...floats(20000, 1e-4), ...floats(2000, 1e5)]);
    const got = toFloat16(new Tensor('float32', xs, [xs.length])).data as Uint16Array;
    for (let i = 0; i < xs.length; i++) expect(got[i], `x = ${xs[i]}`).toBe(ref(xs[i]));
    expect(() => toFloat16(new Tensor('int8', new Int8Array(2), [2]))).toThrow(TypeError);
    const bf = toFloat32(new Tensor('bfloat16', Uint16Array.of(0x3f80, 0xc040), [2])).data;
    expect(Array.from(bf)).toEqual([1, -3]);
  });
});

describe('Sequential', () => {
  it('runs its layers on lowbit kernels, sync and async alike', async () => {
    const m = mlp([33, 17, 5]);
    const x = new Tensor('float32', floats(7 * 33), [7, 33]);
    const [fc1, , fc2] = m.layers as [Linear, ReLU, Linear];
    const h = linearSync(x, fc1.weight as Tensor, fc1.bias);
    const hr = new Tensor('float32', (h.data as Float32Array).map((v) => Math.max(v, 0)), h.dims);
    const want = linearSync(hr, fc2.weight as Tensor, fc2.bias);
    expect(Array.from(m.forwardSync(x).data)).toEqual(Array.from(want.data));
    expect(Array.from((await m.forward(x)).data)).toEqual(Array.from(want.data));
    expect(() => m.forwardSync(new Tensor('float32', floats(32), [1, 32]))).toThrow(/\[batch, 33\]/);
  });

  it('refuses inconsistent layer lists', () => {
    const a = new Linear('a', new Tensor('float32', floats(12), [3, 4]));
    const b = new Linear('b', new Tensor('float32', floats(10), [2, 5]));
    expect(() => new Sequential([a, b])).toThrow(/takes 5 features but the layer before gives 3/);
    expect(() => new Sequential([a, new ReLU('a')])).toThrow(/two layers are named a/);
    expect(() => new Sequential([new ReLU('a b')])).toThrow(/layer name/);
    expect(() => new Linear('c', new Tensor('float32', floats(12), [3, 4]), new Tensor('float32', floats(4), [4]))).toThrow(/bias has 4/);
  });

  it('saves and loads every precision exactly (safetensors, and GGUF for ggml layers)', async () => {
    const m = mlp([64, 32, 10]);
    const x = new Tensor('float32', floats(5 * 64), [5, 64]);
    for (const p of ALL.filter((q) => !q.startsWith('q') || q === 'q8_0' || q === 'q4_0')) {
      const q = quantizeModel(m, { fc1: p, fc2: 'int8' });
      const file = join(dir, `m-${p}.safetensors`);
      await saveModel(file, q);
      const back = await loadModel(file);
      expect(back.plan).toEqual(q.plan);
      expect(Array.from(back.forwardSync(x).data)).toEqual(Array.from(q.forwardSync(x).data));
    }
    const g = quantizeModel(m, { fc1: 'q4_0', fc2: 'float16' });
    await saveModel(join(dir, 'm.gguf'), g);
    const back = await loadModel(join(dir, 'm.gguf'));
    expect(back.plan).toEqual({ fc1: 'q4_0', fc2: 'float16' });
    expect(Array.from(back.forwardSync(x).data)).toEqual(Array.from(g.forwardSync(x).data));
    await expect(saveModel(join(dir, 'bad.gguf'), quantizeModel(m, 'int8'))).rejects.toThrow(/no GGUF type/);
  });

  it('a file without lowbit\'s model metadata is a coded error', async () => {
    const { writeSafetensors } = await import('../src/index.js');
    const f = join(dir, 'plain.safetensors');
    await writeSafetensors(f, { tensors: new Map([['w', new Tensor('float32', floats(4), [2, 2])]]) });
    await expect(loadModel(f)).rejects.toMatchObject({ code: 'ERR_LOWBIT_BAD_FILE', message: /not a lowbit model/ });
    const m = mlp([8, 4]);
    const { metadata, tensors } = m.toTensors();
    tensors.delete('fc1.weight');
    await writeSafetensors(f, { metadata, tensors });
    await expect(loadModel(f)).rejects.toMatchObject({ code: 'ERR_LOWBIT_BAD_FILE', message: /fc1.weight is missing/ });
  });
});

describe('quantizeModel', () => {
  const m = mlp([96, 40, 10]);
  it('resolves plans and names the layer when one cannot be applied', () => {
    expect(resolvePlan(m, 'int4')).toEqual({ fc1: 'int4-g32', fc2: 'int4-g32' });
    expect(resolvePlan(m, { fc2: 'int8', '*': 'float16' })).toEqual({ fc1: 'float16', fc2: 'int8' });
    expect(resolvePlan(m, { fc2: 'int8' })).toEqual({ fc2: 'int8' });
    expect(() => resolvePlan(m, { relu1: 'int8' })).toThrow(/not a Linear layer/);
    expect(() => resolvePlan(m, { fc9: 'int8' })).toThrow(/fc9/);
    expect(() => quantizeModel(m, { fc2: 'q4_0' })).toThrow(/layer fc2 \[10, 40\] in q4_0: .*multiple of 32/);
    expect(() => quantizeModel(quantizeModel(m, 'int8'), 'int4')).toThrow(/already int8/);
    const q = quantizeModel(m, { fc1: 'int8' });
    expect(q.layer('fc2')).toBe(m.layer('fc2'));  // untouched layers are shared, not copied
    expect(m.plan).toEqual({ fc1: 'float32', fc2: 'float32' });  // the source is not changed
  });

  it('matches quantize() + linear layer by layer', () => {
    const x = new Tensor('float32', floats(3 * 96), [3, 96]);
    const q = quantizeModel(m, 'int4-g32-mse');
    const w1 = (q.layer('fc1') as Linear).weight as QuantizedTensor;
    expect(w1.format).toBe('int4');
    expect((q.layer('fc1') as Linear).precision).toBe('int4-g32-mse');
    const h = linearSync(x, w1, (m.layer('fc1') as Linear).bias);
    expect(Array.from(q.layers[1].forwardSync(q.layers[0].forwardSync(x)).data)).toEqual(Array.from(new ReLU('r').forwardSync(h).data));
  });
});

describe('static activations', () => {
  it('linear with fixed activation parameters is QuantizeLinear, MatMulInteger and the float epilogue, on every ISA', async () => {
    const { quantize, quantizeLinear, matmulIntegerSync, linear, isas, forceIsa } = { ...(await import('../src/index.js')), ...(await import('./helpers.js')) };
    for (const [M, N, K] of [[1, 7, 33], [7, 33, 64], [33, 17, 100], [64, 40, 128]]) {
      const w = new Tensor('float32', floats(N * K, 0.2), [N, K]);
      const w8 = quantize(w, { bits: 8 });
      const x = new Tensor('float32', Float32Array.from(floats(M * K, 3), (v, i) => (i % 11 === 0 ? v * 40 : v)), [M, K]);  // some saturate
      const bias = new Tensor('float32', floats(N), [N]);
      const act = { scale: 0.0137, zeroPoint: 117 };
      const qx = quantizeLinear(x, act.scale, act.zeroPoint, { type: 'uint8' });
      const bT = new Int8Array(K * N);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) bT[k * N + n] = (w8.data as Int8Array)[n * K + k];
      const acc = matmulIntegerSync(qx, new Tensor('int8', bT, [K, N]), act.zeroPoint, 0).data as Int32Array;
      const want = new Float32Array(M * N);
      const s = Math.fround(act.scale);
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          const f = Math.fround(Math.fround(Math.fround(acc[m * N + n]) * s) * w8.scales![n]);
          want[m * N + n] = Math.fround(f + (bias.data as Float32Array)[n]);
        }
      }
      for (const isa of isas) {
        forceIsa(isa);
        expect(Array.from(linearSync(x, w8, bias, { activation: act }).data), `${isa} ${M}x${N}x${K}`).toEqual(Array.from(want));
        expect(Array.from((await linear(x, w8, bias, { activation: act })).data)).toEqual(Array.from(want));
      }
    }
  });

  it('refuses bad parameters and non-int8 weights', () => {
    const w = new Tensor('float32', floats(8 * 16), [8, 16]);
    const x = new Tensor('float32', floats(2 * 16), [2, 16]);
    const w8 = quantizeModel(mlp([16, 8]), 'int8').linears[0].weight as QuantizedTensor;
    expect(() => linearSync(x, w, undefined, { activation: { scale: 0.1, zeroPoint: 0 } })).toThrow(/needs int8 weights/);
    for (const bad of [{ scale: 0, zeroPoint: 0 }, { scale: -1, zeroPoint: 0 }, { scale: NaN, zeroPoint: 0 }, { scale: 1e39, zeroPoint: 0 },
      { scale: 0.1, zeroPoint: 256 }, { scale: 0.1, zeroPoint: 1.5 }, { scale: 0.1, zeroPoint: -1 }]) {
      expect(() => linearSync(x, w8, undefined, { activation: bad }), JSON.stringify(bad)).toThrow(RangeError);
    }
    expect(() => new Linear('l', w, undefined, undefined, { scale: 1, zeroPoint: 0 })).toThrow(/need int8 weights/);
  });

  it('calibrators: MinMax covers everything, Percentile clips the rare tail, MSE never does worse than MinMax', async () => {
    const { activationParams, rangeToActivation } = await import('../src/index.js');
    expect(rangeToActivation(0, 2.55)).toEqual({ scale: Math.fround(0.01), zeroPoint: 0 });
    expect(rangeToActivation(-1, 1).zeroPoint).toBe(Math.round(1 / Math.fround(2 / 255)));  // 127: the float32 scale is a hair above 2/255
    expect(rangeToActivation(0, 0)).toEqual({ scale: 1, zeroPoint: 0 });
    const v = Float32Array.from({ length: 20000 }, (_, i) => (i === 7 ? 100 : Math.abs(Math.sin(i)) * 2));
    const mm = activationParams(v, 'minmax'), pc = activationParams(v, 'percentile', 99.9), ms = activationParams(v, 'mse');
    expect(mm.scale).toBeCloseTo(100 / 255, 6);
    expect(pc.scale).toBeLessThan(2.01 / 255);
    const err = (p: { scale: number; zeroPoint: number }) => v.reduce((a, x) => {
      const q = Math.min(255, Math.max(0, Math.round(x / p.scale) + p.zeroPoint));
      return a + (x - (q - p.zeroPoint) * p.scale) ** 2;
    }, 0);
    expect(err(ms)).toBeLessThanOrEqual(err(mm));
    expect(() => activationParams(Float32Array.of(1, NaN), 'minmax')).toThrow(/finite/);
    expect(() => activationParams(v, 'percentile', 30)).toThrow(RangeError);
  });
});

describe('metrics', () => {
  it('compareLogits: identical logits, and a hand-computed KL', () => {
    const a = new Tensor('float32', Float32Array.of(1, 2, 3, 0, 0, 0), [2, 3]);
    expect(compareLogits(a, a)).toMatchObject({ kl: 0, agreement: 1, cosine: 1, sqnrDb: Infinity });
    const b = new Tensor('float32', Float32Array.of(3, 2, 1, 0, 0, 0), [2, 3]);
    const p = [1, 2, 3].map((z) => Math.exp(z)), s = p.reduce((x, y) => x + y);
    const kl = p.reduce((acc, pi, i) => acc + (pi / s) * Math.log((pi / s) / (p[2 - i] / s)), 0) / 2;
    const c = compareLogits(a, b);
    expect(c.kl).toBeCloseTo(kl, 12);
    expect(c.agreement).toBe(0.5);  // row 2 ties at class 0 in both
    expect(accuracy(a, [2, 0])).toBe(1);
    expect(() => accuracy(a, [1])).toThrow(/1 labels for 2 rows/);
  });
});

describe('training', () => {
  // A separable toy problem: the class is the index of the largest of the first 4 inputs.
  function toy(n: number, seed: number): LabelledImages {
    const g = rng(seed);
    const images = Float32Array.from({ length: n * 12 }, () => g());
    const labels = Uint8Array.from({ length: n }, (_, i) => {
      let best = 0;
      for (let c = 1; c < 4; c++) if (images[i * 12 + c] > images[i * 12 + best]) best = c;
      return best;
    });
    return { images, labels, count: n, features: 12, source: 'toy' };
  }

  it('is deterministic for a seed and learns', async () => {
    const train = toy(2000, 1), test = toy(500, 2);
    const opts = { hidden: [32], classes: 4, epochs: 8, batchSize: 50, learningRate: 0.01, seed: 7 };
    const [a, b] = [await trainMlp(train, opts), await trainMlp(train, opts)];
    const c = await trainMlp(train, { ...opts, seed: 8 });
    const wa = (a.layer('fc1') as Linear).weight.data, wb = (b.layer('fc1') as Linear).weight.data;
    expect(Buffer.from(wa.buffer, wa.byteOffset, wa.byteLength)).toEqual(Buffer.from(wb.buffer, wb.byteOffset, wb.byteLength));
    expect(Array.from((c.layer('fc1') as Linear).weight.data)).not.toEqual(Array.from(wa));
    expect(accuracy(await predict(a, test.images), test.labels)).toBeGreaterThan(0.9);
    await expect(trainMlp(train, { epochs: 0 })).rejects.toThrow(/epochs/);
  });
});

describe('bundled model', async () => {
  const model = await loadModel(join(BUNDLED_MODEL_DIR, 'model.safetensors'));
  const test = await loadFashionMnistTest({ bundledOnly: true });
  const calib = await readLabelledImages(join(BUNDLED_MODEL_DIR, 'calib-500-images-idx3-ubyte.gz'), join(BUNDLED_MODEL_DIR, 'calib-500-labels-idx1-ubyte.gz'));
  const evaluate = async (m: Sequential) => accuracy(await predict(m, test.images), test.labels);

  it('is the 784-512-256-10 MLP and reaches 88 % on the bundled test images', async () => {
    expect(model.linears.map((l) => [l.inFeatures, l.outFeatures])).toEqual([[784, 512], [512, 256], [256, 10]]);
    expect(test.count).toBe(2000);
    expect(await evaluate(model)).toBeGreaterThanOrEqual(0.88);
  });

  it.runIf(existsSync('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz'))('reaches 90 % on Debian\'s full test split, whose first 2,000 images are the bundled ones', async () => {
    const full = await loadFashionMnist('test');
    expect([full.count, full.features]).toEqual([10000, 784]);
    expect(Buffer.from(full.labels.subarray(0, 2000))).toEqual(Buffer.from(test.labels));
    expect(Array.from(full.images.subarray(0, 2000 * 784))).toEqual(Array.from(test.images));
    expect(await evaluate(model)).toBeGreaterThanOrEqual(0.90);
    await expect(loadFashionMnist('test', dir)).rejects.toMatchObject({ code: 'ERR_LOWBIT_BAD_FILE', message: /dataset-fashion-mnist/ });
  });

  it('static activation calibration keeps int8 accuracy and survives a file round trip', async () => {
    const { calibrateActivations } = await import('../src/index.js');
    const q = quantizeModel(model, 'int8');
    const base = await evaluate(model);
    await expect(calibrateActivations(model, calib.images)).rejects.toThrow(/no int8 Linear/);
    for (const method of ['minmax', 'percentile', 'mse'] as const) {
      const s = await calibrateActivations(q, calib.images, { method });
      for (const l of s.linears) expect(l.activation!.zeroPoint).toBe(0);  // ReLU outputs and pixels are ≥ 0
      expect(await evaluate(s), method).toBeGreaterThan(base - 0.01);
      const f = join(dir, `static-${method}.safetensors`);
      await saveModel(f, s);
      const back = await loadModel(f);
      expect(back.linears.map((l) => l.activation)).toEqual(s.linears.map((l) => l.activation));
      const x = new Tensor('float32', test.images.subarray(0, 5 * 784), [5, 784]);
      expect(Array.from(back.forwardSync(x).data)).toEqual(Array.from(s.forwardSync(x).data));
    }
  });

  it('sensitivity ranks every layer for every precision', async () => {
    const rows = await sensitivity(model, calib, ['int8', 'int4-g32']);
    expect(rows.map((x) => x.precision)).toEqual(['int8', 'int8', 'int8', 'int4-g32', 'int4-g32', 'int4-g32']);
    for (const p of ['int8', 'int4-g32']) {
      const g = rows.filter((x) => x.precision === p);
      expect(new Set(g.map((x) => x.layer))).toEqual(new Set(['fc1', 'fc2', 'fc3']));
      for (let i = 1; i < g.length; i++) expect(g[i - 1].kl).toBeGreaterThanOrEqual(g[i].kl);
    }
    // int4 g32 moves the logits more than int8, layer by layer.
    for (const l of ['fc1', 'fc2', 'fc3']) {
      expect(rows.find((x) => x.layer === l && x.precision === 'int4-g32')!.kl)
        .toBeGreaterThan(rows.find((x) => x.layer === l && x.precision === 'int8')!.kl);
    }
  });

  // Many evaluations of 2,000 images: minutes under CPU emulation (the arm64 suite skips it).
  it.runIf(!process.env.LOWBIT_TEST_EMULATED)('autoQuantize returns the smallest measured plan within the budget', async () => {
    const res = await autoQuantize(model, evaluate, { maxAccuracyDrop: 0.005, calibration: calib });
    expect(res.accuracyDrop).toBeLessThanOrEqual(0.005 + 1e-12);
    expect(await evaluate(res.model)).toBe(res.accuracy);
    expect(res.model.bytes).toBe(res.bytes);
    const passing = res.tried.filter((t) => t.passed);
    expect(passing.length).toBeGreaterThan(0);
    expect(Math.min(...passing.map((t) => t.bytes))).toBe(res.bytes);
    for (const t of res.tried) expect(t.passed).toBe(t.accuracyDrop <= 0.005 + 1e-12);
    expect(res.bytes).toBeLessThan(model.bytes / 4);
    // A generous budget takes the most aggressive candidate everywhere; a zero budget cannot go below what passes.
    const loose = await autoQuantize(model, evaluate, { maxAccuracyDrop: 0.5, calibration: calib, candidates: ['int4-g128', 'int8'] });
    expect(loose.plan).toEqual({ fc1: 'int4-g128', fc2: 'int4-g128', fc3: 'int4-g128' });
    expect(loose.tried).toHaveLength(1);
    const strict = await autoQuantize(model, evaluate, { maxAccuracyDrop: 0, calibration: calib, candidates: ['int4-g128'] });
    expect(strict.accuracyDrop).toBeLessThanOrEqual(0);
    await expect(autoQuantize(model, evaluate, { maxAccuracyDrop: -1, calibration: calib })).rejects.toThrow(RangeError);
  });
});
