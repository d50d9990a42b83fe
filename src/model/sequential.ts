// A small, general model: a sequence of named layers (Linear, ReLU) whose Linear layers each
// run on lowbit's kernel for their own precision. Saved as safetensors (or GGUF) with the
// layer list in the metadata under "lowbit.model".
import { extname } from 'node:path';
import { linear, linearSync, type ActivationQuant } from '../ops.js';
import { QuantizedTensor, toFloat32 } from '../quantize.js';
import { Tensor, expectTensor } from '../tensor.js';
import { readSafetensors, writeSafetensors, type TensorMap } from '../io/safetensors.js';
import { readGGUF, writeGGUF } from '../io/gguf.js';
import { bad } from '../io/reader.js';
import { canonicalPrecision, type Precision } from './precision.js';

export type LinearWeight = Tensor | QuantizedTensor;

/** y = x · weightᵀ + bias; weight [out, in] in float32, float16 or any quantized format. */
export class Linear {
  readonly kind = 'linear';
  readonly precision: Precision;
  private decoded?: Tensor;  // float16 weights, decoded once for the fp32 GEMM

  /**
   * activation: fixed uint8 parameters for the input (int8 weights only, from calibration);
   * without it the input is quantized per row from its own range.
   */
  constructor(readonly name: string, readonly weight: LinearWeight, readonly bias?: Tensor, precision?: Precision,
    readonly activation?: ActivationQuant) {
    if (!(weight instanceof QuantizedTensor)) expectTensor(weight, `${name}.weight`, ['float32', 'float16'], 2);
    if (bias !== undefined) {
      expectTensor(bias, `${name}.bias`, ['float32'], 1);
      if (bias.dims[0] !== weight.dims[0]) throw new RangeError(`${name}.bias has ${bias.dims[0]} values, the weight has ${weight.dims[0]} rows`);
    }
    this.precision = precision ?? precisionOf(weight);
    if (activation !== undefined && !(weight instanceof QuantizedTensor && weight.format === 'int8')) {
      throw new TypeError(`${name}: static activation parameters need int8 weights, not ${this.precision}`);
    }
  }

  get inFeatures(): number { return this.weight.dims[1]; }
  get outFeatures(): number { return this.weight.dims[0]; }

  /** Bytes of the stored parameters (weight values, scales, zero points, bias). */
  get bytes(): number {
    const w = this.weight;
    const wb = w instanceof QuantizedTensor
      ? w.data.byteLength + (w.scales?.byteLength ?? 0) + (w.zeroPoints?.byteLength ?? 0)
      : w.data.byteLength;
    return wb + (this.bias?.data.byteLength ?? 0);
  }

  private runnable(): Tensor | QuantizedTensor {
    if (this.weight instanceof Tensor && this.weight.type === 'float16') return (this.decoded ??= toFloat32(this.weight));
    return this.weight;
  }

  forwardSync(x: Tensor): Tensor { return linearSync(x, this.runnable(), this.bias, { activation: this.activation }); }
  forward(x: Tensor): Promise<Tensor> { return linear(x, this.runnable(), this.bias, { activation: this.activation }); }
}

/** max(x, 0), elementwise. */
export class ReLU {
  readonly kind = 'relu';
  constructor(readonly name: string) {}
  forwardSync(x: Tensor): Tensor {
    expectTensor(x, `${this.name} input`, ['float32']);
    const src = x.data as Float32Array, y = new Float32Array(src.length);
    for (let i = 0; i < y.length; i++) y[i] = src[i] > 0 ? src[i] : 0;
    return new Tensor('float32', y, x.dims);
  }
  forward(x: Tensor): Promise<Tensor> { return Promise.resolve(this.forwardSync(x)); }
}

export type Layer = Linear | ReLU;

/** Model-level facts carried through quantization and files (input scaling, class names…). */
export type ModelInfo = Record<string, unknown>;

const MODEL_KEY = 'lowbit.model';
const MODEL_FORMAT = 'lowbit-sequential/1';

export class Sequential {
  readonly layers: readonly Layer[];

  constructor(layers: Layer[], readonly info: ModelInfo = {}) {
    const names = new Set<string>();
    for (const l of layers) {
      if (!(l instanceof Linear) && !(l instanceof ReLU)) throw new TypeError('layers must be Linear or ReLU');
      if (!/^[A-Za-z0-9_.-]+$/.test(l.name)) throw new RangeError(`layer name "${l.name}" must be letters, digits, _ . -`);
      if (names.has(l.name)) throw new RangeError(`two layers are named ${l.name}`);
      names.add(l.name);
    }
    let width: number | undefined;
    for (const l of layers) {
      if (!(l instanceof Linear)) continue;
      if (width !== undefined && l.inFeatures !== width) {
        throw new RangeError(`layer ${l.name} takes ${l.inFeatures} features but the layer before gives ${width}`);
      }
      width = l.outFeatures;
    }
    this.layers = Object.freeze([...layers]);
  }

  get linears(): Linear[] { return this.layers.filter((l): l is Linear => l instanceof Linear); }
  get inFeatures(): number { return this.linears[0]?.inFeatures ?? 0; }
  get outFeatures(): number { return this.linears.at(-1)?.outFeatures ?? 0; }
  /** Bytes of all parameters. */
  get bytes(): number { return this.linears.reduce((a, l) => a + l.bytes, 0); }
  /** Layer name → precision of every Linear. */
  get plan(): Record<string, Precision> { return Object.fromEntries(this.linears.map((l) => [l.name, l.precision])); }

  layer(name: string): Layer {
    const l = this.layers.find((x) => x.name === name);
    if (!l) throw new RangeError(`no layer is named ${name} (layers: ${this.layers.map((x) => x.name).join(', ')})`);
    return l;
  }

  /** A copy with some layers replaced (by name). */
  with(replacements: Layer[]): Sequential {
    const byName = new Map(replacements.map((l) => [l.name, l]));
    for (const n of byName.keys()) this.layer(n);
    return new Sequential(this.layers.map((l) => byName.get(l.name) ?? l), this.info);
  }

  /** Logits for a batch x [B, in] on the calling thread. */
  forwardSync(x: Tensor): Tensor {
    this.checkInput(x);
    for (const l of this.layers) x = l.forwardSync(x);
    return x;
  }

  /** Logits for a batch x [B, in], the Linear layers off the main thread. */
  async forward(x: Tensor): Promise<Tensor> {
    this.checkInput(x);
    for (const l of this.layers) x = await l.forward(x);
    return x;
  }

  private checkInput(x: Tensor) {
    expectTensor(x, 'x', ['float32'], 2);
    if (x.dims[1] !== this.inFeatures) throw new RangeError(`x must be [batch, ${this.inFeatures}], got [${x.dims.join(', ')}]`);
  }

  /** Tensors and metadata as stored in a file. */
  toTensors(): { metadata: Record<string, string>; tensors: TensorMap } {
    const tensors: TensorMap = new Map();
    for (const l of this.linears) {
      tensors.set(`${l.name}.weight`, l.weight);
      if (l.bias) tensors.set(`${l.name}.bias`, l.bias);
    }
    const desc = { format: MODEL_FORMAT, layers: this.layers.map((l) => (l instanceof Linear
      ? { name: l.name, kind: l.kind, precision: l.precision, ...(l.activation ? { activation: l.activation } : {}) }
      : { name: l.name, kind: l.kind })), info: this.info };
    return { metadata: { [MODEL_KEY]: JSON.stringify(desc) }, tensors };
  }

  /** Builds a model from a file's tensors and its "lowbit.model" metadata. */
  static fromTensors(metadata: Record<string, unknown>, tensors: TensorMap, file = 'model'): Sequential {
    const raw = metadata[MODEL_KEY];
    if (typeof raw !== 'string') throw bad(file, `no "${MODEL_KEY}" metadata: not a lowbit model file (use lowbit inspect to see its tensors)`);
    let desc: { format?: unknown; layers?: unknown; info?: unknown };
    try {
      desc = JSON.parse(raw);
    } catch {
      throw bad(file, `"${MODEL_KEY}" metadata is not JSON`);
    }
    if (desc.format !== MODEL_FORMAT) throw bad(file, `model format ${String(desc.format)} is not ${MODEL_FORMAT}`);
    if (!Array.isArray(desc.layers)) throw bad(file, 'model metadata has no layer list');
    const layers: Layer[] = [];
    try {
      for (const d of desc.layers as { name?: unknown; kind?: unknown; precision?: unknown; activation?: ActivationQuant }[]) {
        if (typeof d?.name !== 'string') throw new Error('a layer has no name');
        if (d.kind === 'relu') {
          layers.push(new ReLU(d.name));
        } else if (d.kind === 'linear') {
          const w = tensors.get(`${d.name}.weight`), b = tensors.get(`${d.name}.bias`);
          if (!w) throw new Error(`tensor ${d.name}.weight is missing`);
          if (b !== undefined && !(b instanceof Tensor)) throw new Error(`${d.name}.bias must be a plain tensor`);
          if (w instanceof Tensor && w.type === 'bfloat16') layers.push(new Linear(d.name, toFloat32(w), b, 'float32'));
          else layers.push(new Linear(d.name, w, b, storedPrecision(w, d.precision), storedActivation(d.activation, d.name)));
        } else {
          throw new Error(`layer ${d.name} has unknown kind ${String(d.kind)}`);
        }
      }
      const info = desc.info && typeof desc.info === 'object' && !Array.isArray(desc.info) ? desc.info as ModelInfo : {};
      return new Sequential(layers, info);
    } catch (e) {
      throw bad(file, `model is inconsistent: ${(e as Error).message}`);
    }
  }
}

/** The precision name a weight is stored in. */
export function precisionOf(w: LinearWeight): Precision {
  if (w instanceof Tensor) return w.type;
  if (w.format !== 'int4') return w.format;
  return canonicalPrecision(`int4-g${w.groupSize}${w.symmetric ? '' : '-asym'}`);
}

// The recorded precision when it describes this weight (it keeps the method, e.g. -mse, that
// the bytes alone do not show); else what the bytes say.
function storedPrecision(w: LinearWeight, recorded: unknown): Precision {
  const fromBytes = precisionOf(w);
  if (typeof recorded !== 'string') return fromBytes;
  try {
    return canonicalPrecision(recorded).replace(/-mse$/, '') === fromBytes ? canonicalPrecision(recorded) : fromBytes;
  } catch {
    return fromBytes;
  }
}

function storedActivation(a: unknown, layer: string): ActivationQuant | undefined {
  if (a === undefined) return undefined;
  const v = a as ActivationQuant;
  if (!v || typeof v.scale !== 'number' || !(v.scale > 0) || !Number.isFinite(v.scale) || !Number.isInteger(v.zeroPoint) ||
      v.zeroPoint < 0 || v.zeroPoint > 255) {
    throw new Error(`layer ${layer} has invalid activation parameters ${JSON.stringify(a)}`);
  }
  return { scale: v.scale, zeroPoint: v.zeroPoint };
}

function isGGUF(path: string) { return extname(path).toLowerCase() === '.gguf'; }

/** Loads a model saved by saveModel (safetensors, or GGUF for float and q4_0/q4_1/q8_0 layers). */
export async function loadModel(path: string): Promise<Sequential> {
  const { metadata, tensors } = isGGUF(path) ? await readGGUF(path) : await readSafetensors(path);
  return Sequential.fromTensors(metadata, tensors, path);
}

/** Saves a model: safetensors unless the path ends in .gguf. */
export async function saveModel(path: string, model: Sequential): Promise<void> {
  const { metadata, tensors } = model.toTensors();
  if (isGGUF(path)) await writeGGUF(path, { metadata, tensors });
  else await writeSafetensors(path, { metadata, tensors });
}
