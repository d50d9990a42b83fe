// Training a ReLU MLP with softmax cross-entropy and Adam, every matrix product on lowbit's
// FP32 GEMM (forward, and both backward products). Deterministic for a given seed on a given
// machine and ISA: the data order and initial weights come from a seeded generator, and
// lowbit's GEMM sums in a fixed order whatever the thread count.
import { linear } from '../ops.js';
import { Tensor } from '../tensor.js';
import type { LabelledImages } from '../data/fashion-mnist.js';
import { Linear, ReLU, Sequential, type Layer, type ModelInfo } from './sequential.js';
import { accuracy, predict } from './evaluate.js';

export interface TrainMlpOptions {
  /** Hidden layer widths (default [512, 256]). */
  hidden?: number[];
  classes?: number;
  epochs?: number;
  batchSize?: number;
  /** Adam's peak step size, decayed along a cosine to 5 % of it by the last step. */
  learningRate?: number;
  /** Decoupled weight decay (AdamW), applied to weights, not biases. */
  weightDecay?: number;
  seed?: number;
  /** Images to report accuracy on after every epoch. */
  validation?: LabelledImages;
  /** Called after every epoch; return false to stop. */
  onEpoch?: (e: { epoch: number; loss: number; seconds: number; accuracy?: number }) => void | boolean;
  /** Called after every batch (progress). */
  onStep?: (step: number, steps: number) => void;
  info?: ModelInfo;
}

/** A small, fast, seeded generator (mulberry32): same seed, same numbers everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  const u = 1 - rand(), v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** [rows, cols] → [cols, rows]. */
function transpose(src: Float32Array, rows: number, cols: number, dst = new Float32Array(rows * cols)): Float32Array {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[o + c];
  }
  return dst;
}

interface Param { value: Float32Array; grad: Float32Array; m: Float32Array; v: Float32Array; decay: boolean }

function param(value: Float32Array, decay: boolean): Param {
  const n = value.length;
  return { value, grad: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n), decay };
}

/**
 * Trains an MLP in → hidden… → classes on labelled images and returns it as a Sequential
 * (fc1, relu1, fc2, relu2, …, fcN) in float32.
 */
export async function trainMlp(data: LabelledImages, opts: TrainMlpOptions = {}): Promise<Sequential> {
  const { hidden = [512, 256], classes = 10, epochs = 20, batchSize = 128, learningRate = 1e-3,
    weightDecay = 0, seed = 1 } = opts;
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!(learningRate > 0)) throw new RangeError(`learningRate must be positive, got ${learningRate}`);
  if (data.count < 1) throw new RangeError('no training images');
  const rand = seededRandom(seed);
  const widths = [data.features, ...hidden, classes];
  const W: Param[] = [], b: Param[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l], n = widths[l + 1] * fanIn, std = Math.sqrt(2 / fanIn);  // He init for ReLU
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = gaussian(rand) * std;
    W.push(param(w, true));
    b.push(param(new Float32Array(widths[l + 1]), false));
  }
  const L = W.length;
  const order = Uint32Array.from({ length: data.count }, (_, i) => i);
  const stepsPerEpoch = Math.ceil(data.count / batchSize), totalSteps = epochs * stepsPerEpoch;
  const beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  let step = 0;
  const xBatch = new Float32Array(batchSize * data.features);
  const toModel = () => new Sequential(W.flatMap((w, l): Layer[] => {
    const layer = new Linear(`fc${l + 1}`, new Tensor('float32', w.value.slice(), [widths[l + 1], widths[l]]),
      new Tensor('float32', b[l].value.slice(), [widths[l + 1]]));
    return l + 1 < L ? [layer, new ReLU(`relu${l + 1}`)] : [layer];
  }), opts.info);

  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    for (let i = order.length - 1; i > 0; i--) {  // Fisher-Yates with the seeded generator
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      const B = Math.min(batchSize, data.count - s * batchSize);
      for (let r = 0; r < B; r++) {
        const src = order[s * batchSize + r] * data.features;
        xBatch.set(data.images.subarray(src, src + data.features), r * data.features);
      }
      // Forward, keeping every layer's input.
      const acts: Float32Array[] = [xBatch.slice(0, B * data.features)];
      let z: Float32Array = acts[0];
      for (let l = 0; l < L; l++) {
        const wT = new Tensor('float32', W[l].value, [widths[l + 1], widths[l]]);  // new object: repacked per step
        z = (await linear(new Tensor('float32', z, [B, widths[l]]), wT, new Tensor('float32', b[l].value, [widths[l + 1]]))).data as Float32Array;
        if (l + 1 < L) {
          for (let i = 0; i < z.length; i++) if (z[i] < 0) z[i] = 0;
          acts.push(z);
        }
      }
      // Softmax cross-entropy; dz = (p − onehot) / B.
      const dz = new Float32Array(B * classes);
      for (let r = 0; r < B; r++) {
        let max = -Infinity;
        for (let c = 0; c < classes; c++) max = Math.max(max, z[r * classes + c]);
        let sum = 0;
        for (let c = 0; c < classes; c++) sum += Math.exp(z[r * classes + c] - max);
        const label = data.labels[order[s * batchSize + r]];
        lossSum += Math.log(sum) - (z[r * classes + label] - max);
        for (let c = 0; c < classes; c++) dz[r * classes + c] = (Math.exp(z[r * classes + c] - max) / sum - (c === label ? 1 : 0)) / B;
      }
      // Backward: dW = dzᵀ·a, db = Σ dz, da = dz·W (masked by the ReLU).
      let grad: Float32Array = dz;
      for (let l = L - 1; l >= 0; l--) {
        const nOut = widths[l + 1], nIn = widths[l];
        const dzT = new Tensor('float32', transpose(grad, B, nOut), [nOut, B]);
        const aT = new Tensor('float32', transpose(acts[l], B, nIn), [nIn, B]);
        W[l].grad.set((await linear(dzT, aT)).data as Float32Array);
        const gb = b[l].grad.fill(0);
        for (let r = 0; r < B; r++) for (let c = 0; c < nOut; c++) gb[c] += grad[r * nOut + c];
        if (l > 0) {
          const wT = new Tensor('float32', transpose(W[l].value, nOut, nIn), [nIn, nOut]);
          const da = (await linear(new Tensor('float32', grad, [B, nOut]), wT)).data as Float32Array;
          const a = acts[l];
          for (let i = 0; i < da.length; i++) if (a[i] <= 0) da[i] = 0;
          grad = da;
        }
      }
      // AdamW with a cosine schedule.
      step++;
      const lr = learningRate * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * (step - 1) / totalSteps)));
      const c1 = 1 - beta1 ** step, c2 = 1 - beta2 ** step;
      for (const p of [...W, ...b]) {
        const { value, grad: g, m, v } = p;
        const decay = p.decay ? lr * weightDecay : 0;
        for (let i = 0; i < value.length; i++) {
          m[i] = beta1 * m[i] + (1 - beta1) * g[i];
          v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
          value[i] -= lr * ((m[i] / c1) / (Math.sqrt(v[i] / c2) + eps)) + decay * value[i];
        }
      }
      opts.onStep?.(step, totalSteps);
    }
    const report: { epoch: number; loss: number; seconds: number; accuracy?: number } = {
      epoch, loss: lossSum / data.count, seconds: (performance.now() - started) / 1000,
    };
    if (opts.validation) {
      report.accuracy = accuracy(await predict(toModel(), opts.validation.images), opts.validation.labels);
    }
    if (opts.onEpoch?.(report) === false) break;
  }
  return toModel();
}
