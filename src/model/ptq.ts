// Post-training quantization of a Sequential: a plan names each Linear layer's precision;
// sensitivity quantizes one layer at a time and measures what it costs; autoQuantize searches
// plans from the most to the least aggressive, guided by that sensitivity, and keeps the
// smallest model whose measured accuracy drop stays within the budget.
import { quantize, toFloat16, toFloat32 } from '../quantize.js';
import { Tensor } from '../tensor.js';
import { Linear, Sequential } from './sequential.js';
import { canonicalPrecision, parsePrecision, weightBytes, type Precision } from './precision.js';
import { accuracy, compareLogits, predict, type LogitComparison } from './evaluate.js';

/**
 * A precision for every Linear layer ("int4-g32"), or per layer: { fc1: "int8", "*": "int4-g128" }
 * ("*" for the layers not named; layers not covered keep what they have).
 */
export type QuantPlan = Precision | Record<string, Precision>;

/** Layer name → precision, for every Linear layer the plan covers; checks names and precisions. */
export function resolvePlan(model: Sequential, plan: QuantPlan): Record<string, Precision> {
  const out: Record<string, Precision> = {};
  if (typeof plan === 'string') {
    for (const l of model.linears) out[l.name] = canonicalPrecision(plan);
    return out;
  }
  if (plan === null || typeof plan !== 'object' || Array.isArray(plan)) {
    throw new TypeError('a plan is a precision name or an object { layerName: precision, "*": precision }');
  }
  const names = new Set(model.linears.map((l) => l.name));
  for (const [name, p] of Object.entries(plan)) {
    if (name !== '*' && !names.has(name)) {
      throw new RangeError(`the plan names layer ${name}, which is not a Linear layer of this model (${[...names].join(', ')})`);
    }
    canonicalPrecision(p);
  }
  for (const l of model.linears) {
    const p = plan[l.name] ?? plan['*'];
    if (p !== undefined) out[l.name] = canonicalPrecision(p);
  }
  return out;
}

/** The weight of one layer in a precision, from its float weight. */
export function quantizeLayer(layer: Linear, precision: Precision): Linear {
  const p = parsePrecision(precision);
  const w = layer.weight;
  if (!(w instanceof Tensor)) {
    throw new RangeError(`layer ${layer.name} is already ${layer.precision}: quantize from the float model`);
  }
  const f32 = toFloat32(w);
  if (p.kind !== 'quantized') {
    return p.kind === 'float32' ? new Linear(layer.name, f32, layer.bias, 'float32') : new Linear(layer.name, toFloat16(f32), layer.bias, 'float16');
  }
  try {
    return new Linear(layer.name, quantize(f32, p.options), layer.bias, canonicalPrecision(precision));
  } catch (e) {
    const err = e as Error;
    throw new (err.constructor as ErrorConstructor)(`layer ${layer.name} [${layer.weight.dims.join(', ')}] in ${precision}: ${err.message}`);
  }
}

/** Whether a layer can be stored in a precision (ggml blocks need K to be a multiple of 32). */
export function layerAccepts(layer: Linear, precision: Precision): boolean {
  const p = parsePrecision(precision);
  return !(p.kind === 'quantized' && p.options.format && layer.inFeatures % 32 !== 0);
}

/** A copy of the model with the plan's layers quantized from their float weights. */
export function quantizeModel(model: Sequential, plan: QuantPlan): Sequential {
  const resolved = resolvePlan(model, plan);
  return model.with(model.linears.filter((l) => l.name in resolved && resolved[l.name] !== l.precision)
    .map((l) => quantizeLayer(l, resolved[l.name])));
}

/** Bytes of the model's parameters under a plan, without quantizing. */
export function planBytes(model: Sequential, plan: QuantPlan): number {
  const resolved = resolvePlan(model, plan);
  return model.linears.reduce((a, l) => a + (resolved[l.name] ? weightBytes(resolved[l.name], l.outFeatures, l.inFeatures)
    : l.bytes - (l.bias?.data.byteLength ?? 0)) + (l.bias?.data.byteLength ?? 0), 0);
}

/** Images (and labels, for accuracy) to measure on. */
export interface EvalData {
  images: Float32Array;
  labels?: Uint8Array;
}

export interface SensitivityRow extends LogitComparison {
  layer: string;
  precision: Precision;
  /** Bytes the layer's weight saves against float32. */
  bytesSaved: number;
  /** Accuracy with only this layer quantized (when labels were given). */
  accuracy?: number;
  /** Accuracy lost against the float model (when labels were given). */
  accuracyDrop?: number;
}

/**
 * Quantizes one Linear layer at a time to each precision and measures, on `data`, how far the
 * logits move (SQNR, cosine, KL, top-1 agreement) and the accuracy lost. Sorted most sensitive
 * first (largest KL) within each precision.
 */
export async function sensitivity(model: Sequential, data: EvalData,
  precisions: Precision[] = ['int8', 'int4-g128', 'int4-g32']): Promise<SensitivityRow[]> {
  const reference = await predict(model, data.images);
  const base = data.labels ? accuracy(reference, data.labels) : undefined;
  const rows: SensitivityRow[] = [];
  for (const precision of precisions.map(canonicalPrecision)) {
    const group: SensitivityRow[] = [];
    for (const layer of model.linears) {
      if (!layerAccepts(layer, precision)) continue;
      const logits = await predict(model.with([quantizeLayer(layer, precision)]), data.images);
      const row: SensitivityRow = {
        layer: layer.name, precision, ...compareLogits(reference, logits),
        bytesSaved: layer.outFeatures * layer.inFeatures * 4 - weightBytes(precision, layer.outFeatures, layer.inFeatures),
      };
      if (data.labels) {
        row.accuracy = accuracy(logits, data.labels);
        row.accuracyDrop = base! - row.accuracy;
      }
      group.push(row);
    }
    rows.push(...group.sort((a, b) => b.kl - a.kl));
  }
  return rows;
}

export interface PlanResult {
  plan: Record<string, Precision>;
  bytes: number;
  accuracy: number;
  accuracyDrop: number;
  passed: boolean;
  /** Why this plan was tried. */
  step: string;
}

export interface AutoQuantizeOptions {
  /** Largest accuracy loss allowed, as a fraction (0.01 = one percentage point). */
  maxAccuracyDrop: number;
  /** Data for the sensitivity analysis; keep it apart from what `evaluate` measures on. */
  calibration: EvalData;
  /**
   * Precisions each layer may take (default int4-g256-mse, int4-g128-mse, int4-g64-mse,
   * int4-g32-mse, int8, float16); each layer orders them by its own bytes (padding can make a
   * larger group cost more). float32 is always the last resort.
   */
  candidates?: Precision[];
  /** Called after each plan is measured. */
  onPlan?: (r: PlanResult) => void;
}

export interface AutoQuantizeResult {
  model: Sequential;
  plan: Record<string, Precision>;
  bytes: number;
  baselineAccuracy: number;
  accuracy: number;
  accuracyDrop: number;
  /** Every plan measured, in order. */
  tried: PlanResult[];
  sensitivity: SensitivityRow[];
}

/**
 * Finds the smallest plan whose accuracy (by `evaluate`, on held-out data) is within
 * maxAccuracyDrop of the float model's. Starts with every layer at its most aggressive
 * candidate; while the budget is exceeded, raises the layer whose next step removes the most
 * sensitivity (KL on the calibration data) per byte added; once a plan passes, tries to lower
 * each layer again, largest saving first. Every plan is measured, none is assumed.
 */
export async function autoQuantize(model: Sequential, evaluate: (m: Sequential) => number | Promise<number>,
  opts: AutoQuantizeOptions): Promise<AutoQuantizeResult> {
  const { maxAccuracyDrop, calibration } = opts;
  if (!(maxAccuracyDrop >= 0)) throw new RangeError(`maxAccuracyDrop must be a fraction ≥ 0, got ${maxAccuracyDrop}`);
  if (!calibration?.images) throw new TypeError('opts.calibration must give { images } for the sensitivity analysis');
  const ladder = [...new Set([...(opts.candidates ?? ['int4-g256-mse', 'int4-g128-mse', 'int4-g64-mse', 'int4-g32-mse', 'int8', 'float16']),
    'float32'].map(canonicalPrecision))];
  const layers = model.linears;
  // Each layer's own ladder: the candidates it accepts, ordered by its bytes.
  const steps = new Map(layers.map((l) => [l.name, ladder.filter((p) => layerAccepts(l, p))
    .sort((a, b) => weightBytes(a, l.outFeatures, l.inFeatures) - weightBytes(b, l.outFeatures, l.inFeatures))]));
  const sens = await sensitivity(model, calibration, ladder.filter((p) => p !== 'float32'));
  const kl = (layer: string, p: Precision) => (p === 'float32' ? 0 : sens.find((r) => r.layer === layer && r.precision === p)?.kl ?? 0);
  const baselineAccuracy = await evaluate(model);
  const tried: PlanResult[] = [];
  const cache = new Map<string, PlanResult>();
  const measure = async (level: Map<string, number>, step: string): Promise<PlanResult> => {
    const plan = Object.fromEntries(layers.map((l) => [l.name, steps.get(l.name)![level.get(l.name)!]]));
    const key = JSON.stringify(plan);
    const seen = cache.get(key);
    if (seen) return seen;
    const acc = await evaluate(quantizeModel(model, plan));
    const r: PlanResult = { plan, bytes: planBytes(model, plan), accuracy: acc, accuracyDrop: baselineAccuracy - acc,
      passed: baselineAccuracy - acc <= maxAccuracyDrop + 1e-12, step };
    cache.set(key, r);
    tried.push(r);
    opts.onPlan?.(r);
    return r;
  };
  const level = new Map(layers.map((l) => [l.name, 0]));
  let current = await measure(level, 'every layer at its most aggressive candidate');
  while (!current.passed) {
    let best: { name: string; score: number } | undefined;
    for (const l of layers) {
      const s = steps.get(l.name)!, i = level.get(l.name)!;
      if (i + 1 >= s.length) continue;
      const gain = kl(l.name, s[i]) - kl(l.name, s[i + 1]);
      const cost = weightBytes(s[i + 1], l.outFeatures, l.inFeatures) - weightBytes(s[i], l.outFeatures, l.inFeatures);
      const score = gain / Math.max(cost, 1);
      if (!best || score > best.score) best = { name: l.name, score };
    }
    if (!best) break;  // everything is float32 already
    const i = level.get(best.name)! + 1;
    level.set(best.name, i);
    current = await measure(level, `raise ${best.name} to ${steps.get(best.name)![i]} (most KL removed per byte)`);
  }
  if (current.passed) {
    // Lower layers again where the budget allows, the largest saving first.
    let lowered = true;
    while (lowered) {
      lowered = false;
      const moves = layers.filter((l) => level.get(l.name)! > 0).map((l) => {
        const s = steps.get(l.name)!, i = level.get(l.name)!;
        return { name: l.name, saving: weightBytes(s[i], l.outFeatures, l.inFeatures) - weightBytes(s[i - 1], l.outFeatures, l.inFeatures) };
      }).sort((a, b) => b.saving - a.saving);
      for (const m of moves) {
        const i = level.get(m.name)!;
        level.set(m.name, i - 1);
        const r = await measure(level, `lower ${m.name} to ${steps.get(m.name)![i - 1]}`);
        if (r.passed && r.bytes < current.bytes) {
          current = r;
          lowered = true;
          break;
        }
        level.set(m.name, i);
      }
    }
  }
  const passing = tried.filter((r) => r.passed).sort((a, b) => a.bytes - b.bytes || b.accuracy - a.accuracy);
  const chosen = passing[0] ?? tried.at(-1)!;
  return {
    model: quantizeModel(model, chosen.plan), plan: chosen.plan, bytes: chosen.bytes, baselineAccuracy,
    accuracy: chosen.accuracy, accuracyDrop: chosen.accuracyDrop, tried, sensitivity: sens,
  };
}
