// Evaluating models side by side: size, accuracy, how far the logits moved from the float
// model's, and latency per batch on this machine (medians of repeated runs).
import { Tensor } from '../tensor.js';
import type { Sequential } from '../model/sequential.js';
import { accuracy, compareLogits, predict } from '../model/evaluate.js';
import type { LabelledImages } from '../data/fashion-mnist.js';

export interface EvalRow {
  label: string;
  plan: Record<string, string>;
  bytes: number;
  compression: number;
  accuracy: number;
  accuracyDrop: number;
  sqnrDb: number;
  kl: number;
  agreement: number;
  /** Median ms per forward of `batch` images. */
  latencyMs: number;
  /** Median µs per forward of one image. */
  latency1Us: number;
  speedup: number;
  batch: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median time of fn in ms: a few warm-up calls, then runs until `budgetMs` or `maxRuns`. */
export function timeMedian(fn: () => void, budgetMs = 300, maxRuns = 200): number {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  const until = performance.now() + budgetMs;
  while (times.length < 5 || (performance.now() < until && times.length < maxRuns)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Measures each model against the reference (the first is usually the float model itself). */
export async function evaluateModels(reference: Sequential, models: { label: string; model: Sequential }[],
  data: LabelledImages, opts: { batch?: number; onRow?: (r: EvalRow) => void } = {}): Promise<EvalRow[]> {
  const batch = Math.min(opts.batch ?? 256, data.count);
  const refLogits = await predict(reference, data.images);
  const refAccuracy = accuracy(refLogits, data.labels);
  const xb = new Tensor('float32', data.images.subarray(0, batch * data.features), [batch, data.features]);
  const x1 = new Tensor('float32', data.images.subarray(0, data.features), [1, data.features]);
  const rows: EvalRow[] = [];
  let baseLatency: number | undefined;
  for (const { label, model } of models) {
    const logits = await predict(model, data.images);
    const cmp = compareLogits(refLogits, logits);
    const latencyMs = timeMedian(() => model.forwardSync(xb));
    const latency1Us = timeMedian(() => model.forwardSync(x1), 150, 2000) * 1000;
    baseLatency ??= model === reference ? latencyMs : timeMedian(() => reference.forwardSync(xb));
    const acc = accuracy(logits, data.labels);
    const row: EvalRow = {
      label, plan: model.plan, bytes: model.bytes, compression: reference.bytes / model.bytes, accuracy: acc,
      accuracyDrop: refAccuracy - acc, sqnrDb: cmp.sqnrDb, kl: cmp.kl, agreement: cmp.agreement,
      latencyMs, latency1Us, speedup: baseLatency / latencyMs, batch,
    };
    rows.push(row);
    opts.onRow?.(row);
  }
  return rows;
}
