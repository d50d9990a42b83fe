#!/usr/bin/env node
// The lowbit command: demo, train, quantize, inspect, eval, bench. Exit codes scripts can rely
// on: 0 done, 1 unexpected failure, 2 bad command line, 3 bad or missing input file,
// 4 eval's accuracy below --min-accuracy.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import { LowbitError } from '../errors.js';
import { cpu } from '../cpu.js';
import { BUNDLED_MODEL_DIR, loadFashionMnist, loadFashionMnistCalibration, loadFashionMnistTest, type LabelledImages } from '../data/fashion-mnist.js';
import { writeIdx } from '../data/idx.js';
import { loadModel, saveModel, type Sequential } from '../model/sequential.js';
import { trainMlp } from '../model/train.js';
import { autoQuantize, quantizeModel, sensitivity, type QuantPlan, type SensitivityRow } from '../model/ptq.js';
import { canonicalPrecision, type Precision } from '../model/precision.js';
import { calibrateActivations } from '../model/calibrate.js';
import { accuracy, predict } from '../model/evaluate.js';
import { evaluateModels, type EvalRow } from './evaluation.js';
import { tradeoffSvg } from './chart.js';
import { openTensorFile, quantizeFile } from './quantize-file.js';

const EXIT = { ok: 0, failure: 1, usage: 2, badFile: 3, belowTarget: 4 } as const;
const ERR_USAGE = 'ERR_LOWBIT_USAGE';

class Usage extends LowbitError {
  constructor(message: string) { super(ERR_USAGE, message); }
}

const BUNDLED_MODEL = join(BUNDLED_MODEL_DIR, 'model.safetensors');

interface Command {
  summary: string;
  usage: string;
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  positionals: [number, number];
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

const log = (s = '') => process.stdout.write(`${s}\n`);
const note = (s: string) => process.stderr.write(`${s}\n`);

function bar(label: string) {
  return new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} {unit} | {eta_formatted} left`,
    hideCursor: true, clearOnComplete: true, stream: process.stderr,
  }, cliProgress.Presets.shades_classic);
}

function num(v: string | boolean | undefined, name: string, def: number, check: (n: number) => boolean = () => true): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || !check(n)) throw new Usage(`--${name} ${String(v)} is not a valid value`);
  return n;
}

const fmtBytes = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const pts = (x: number) => `${x >= 0 ? '' : '+'}${(-x * 100).toFixed(2).replace(/^-0\.00$/, '0.00')}`;

function rowsTable(rows: EvalRow[]): string {
  const t = new Table({
    head: ['setting', 'bytes', 'ratio', 'accuracy', 'Δ acc (pts)', 'logit SQNR dB', 'KL', 'top-1 agree', `ms / ${rows[0]?.batch ?? ''}`, 'µs / 1', 'speedup'],
    style: { head: [], border: [], compact: true }, colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const r of rows) {
    t.push([r.label, fmtBytes(r.bytes), `${r.compression.toFixed(2)}×`, pct(r.accuracy), pts(r.accuracyDrop),
      Number.isFinite(r.sqnrDb) ? r.sqnrDb.toFixed(1) : '∞', r.kl.toExponential(1), pct(r.agreement),
      r.latencyMs.toFixed(3), r.latency1Us.toFixed(1), `${r.speedup.toFixed(2)}×`]);
  }
  return t.toString();
}

function sensitivityTable(rows: SensitivityRow[]): string {
  const t = new Table({ head: ['precision', 'layer', 'KL', 'logit SQNR dB', 'Δ acc (pts)', 'bytes saved'], style: { head: [], border: [], compact: true } });
  for (const r of rows) t.push([r.precision, r.layer, r.kl.toExponential(2), r.sqnrDb.toFixed(1), r.accuracyDrop === undefined ? '' : pts(r.accuracyDrop), fmtBytes(r.bytesSaved)]);
  return t.toString();
}

async function evalData(values: Record<string, unknown>): Promise<LabelledImages> {
  if (typeof values.data === 'string') return loadFashionMnist('test', values.data);
  return loadFashionMnistTest({ bundledOnly: values.bundled === true });
}

function describePlan(plan: Record<string, Precision>): string {
  const ps = [...new Set(Object.values(plan))];
  return ps.length === 1 ? ps[0] : Object.entries(plan).map(([k, v]) => `${k}:${v}`).join(' ');
}

const commands: Record<string, Command> = {
  demo: {
    summary: 'quantize the bundled model at every precision, evaluate, print the table, draw the trade-off curves',
    usage: 'lowbit demo [--model FILE] [--out DIR] [--max-drop 0.002] [--batch 256] [--data DIR] [--bundled] [--json]',
    help: `Loads the bundled Fashion-MNIST MLP (or --model), quantizes it to float16, int8 (dynamic, and
static activations by three calibrators), int4 g128 and g32 (round-to-nearest and MSE-clipped), q4_0, a mixed plan from the measured sensitivity and the plan
autoQuantize picks within --max-drop (a fraction: 0.002 = 0.2 percentage points), evaluates each on
the test images (Debian's full 10k when dataset-fashion-mnist is installed, else the bundled 2,000;
--data DIR or --bundled to choose), and writes lowbit-demo.svg, lowbit-demo.html and lowbit-demo.json
to --out (default ./lowbit-report).`,
    options: {
      model: { type: 'string' }, out: { type: 'string' }, 'max-drop': { type: 'string' }, batch: { type: 'string' },
      data: { type: 'string' }, bundled: { type: 'boolean' }, json: { type: 'boolean' },
    },
    positionals: [0, 0],
    async run(v) {
      const maxDrop = num(v['max-drop'], 'max-drop', 0.002, (n) => n >= 0 && n < 1);
      const batch = num(v.batch, 'batch', 256, (n) => Number.isInteger(n) && n >= 1);
      const outDir = resolve(typeof v.out === 'string' ? v.out : 'lowbit-report');
      const model = await loadModel(typeof v.model === 'string' ? v.model : BUNDLED_MODEL);
      const test = await evalData(v);
      const calib = await loadFashionMnistCalibration();
      const c = { ...cpu(), model: cpus()[0]?.model?.trim() ?? '' };
      log(`lowbit demo — ${c.model || c.arch}, ISA ${c.isa}, ${c.threads} thread(s), Node ${process.versions.node}`);
      log(`model: ${model.layers.map((l) => l.name).join(' → ')} (${model.linears.map((l) => `${l.inFeatures}×${l.outFeatures}`).join(', ')}), ${fmtBytes(model.bytes)} in float32`);
      log(`test images: ${test.count} (${test.source}); calibration: ${calib.count} training images (bundled)`);
      log();
      const sens = await sensitivity(model, calib, ['int8', 'int4-g128', 'int4-g32']);
      log('Sensitivity: one layer quantized at a time, measured on the calibration images (most sensitive first)');
      log(sensitivityTable(sens));
      log();
      // Mixed by sensitivity: the layer most sensitive to int4 g32 keeps int8, the rest int4 g32 (MSE).
      const worst = sens.filter((r) => r.precision === 'int4-g32')[0]?.layer;
      const mixed: QuantPlan = { '*': 'int4-g32-mse', ...(worst ? { [worst]: 'int8' } : {}) };
      const evaluateAcc = async (m: Sequential) => accuracy(await predict(m, test.images), test.labels);
      if (process.stderr.isTTY) note('autoQuantize: measuring plans…');
      const auto = await autoQuantize(model, evaluateAcc, { maxAccuracyDrop: maxDrop, calibration: calib });
      const q40: QuantPlan = Object.fromEntries(model.linears.map((l) => [l.name, l.inFeatures % 32 === 0 ? 'q4_0' : 'int4-g32']));
      const settings: { label: string; plan: QuantPlan }[] = [
        { label: 'float32', plan: 'float32' }, { label: 'float16', plan: 'float16' }, { label: 'int8', plan: 'int8' },
        { label: 'int4-g128', plan: 'int4-g128' }, { label: 'int4-g128-mse', plan: 'int4-g128-mse' },
        { label: 'int4-g32', plan: 'int4-g32' }, { label: 'int4-g32-mse', plan: 'int4-g32-mse' },
        { label: model.linears.every((l) => l.inFeatures % 32 === 0) ? 'q4_0' : 'q4_0 (¹)', plan: q40 },
        { label: 'mixed ²', plan: mixed },
        { label: 'auto ³', plan: auto.plan },
      ];
      const rowsBar = bar('evaluating');
      if (process.stderr.isTTY) rowsBar.start(settings.length + 3, 0, { unit: 'settings' });
      // The float32 row is the model itself: its latency is the baseline the speedups divide.
      const models = settings.map((s) => ({ label: s.label, model: s.plan === 'float32' ? model : quantizeModel(model, s.plan) }));
      // int8 with static activations, one row per calibrator, after dynamic int8.
      const int8 = models.findIndex((m) => m.label === 'int8');
      const statics = [];
      for (const method of ['minmax', 'percentile', 'mse'] as const) {
        statics.push({ label: `int8 static ${method}`, model: await calibrateActivations(models[int8].model, calib.images, { method }) });
      }
      models.splice(int8 + 1, 0, ...statics);
      const rows = await evaluateModels(model, models, test,
        { batch, onRow: () => rowsBar.increment() });
      rowsBar.stop();
      log(`Trade-off on ${test.count} test images (Δ acc and logit error against float32; latency: median of forwardSync on ${Math.min(batch, test.count)} images and on 1, ${c.threads} thread(s))`);
      log(rowsTable(rows));
      if (!model.linears.every((l) => l.inFeatures % 32 === 0)) {
        log(`(¹) q4_0 where ggml's 32-value blocks divide the layer's inputs; ${model.linears.filter((l) => l.inFeatures % 32).map((l) => `${l.name} (${l.inFeatures} inputs)`).join(', ')} in int4-g32, the same arithmetic with float32 scales and a padded last block.`);
      }
      log(`int8 static: activations quantized with one fixed (scale, zero point) per layer, calibrated on the ${calib.count} calibration images (MinMax, Percentile 99.99, MSE); plain int8 finds each row's range as it runs.`);
      log(`(²) by sensitivity: ${describePlan(mixed as Record<string, string>)} (the layer int4-g32 hurts most keeps int8)`);
      log(`(³) autoQuantize within ${(maxDrop * 100).toFixed(2)} pts: ${describePlan(auto.plan)}`);
      log();
      log(`autoQuantize tried ${auto.tried.length} plans (budget: ≤ ${(maxDrop * 100).toFixed(2)} pts below float32's ${pct(auto.baselineAccuracy)}):`);
      const t = new Table({ head: ['step', 'plan', 'bytes', 'accuracy', 'Δ acc (pts)', 'passes'], style: { head: [], border: [], compact: true } });
      for (const r of auto.tried) t.push([r.step, describePlan(r.plan), fmtBytes(r.bytes), pct(r.accuracy), pts(r.accuracyDrop), r.passed ? 'yes' : 'no']);
      log(t.toString());
      log(`chosen: ${describePlan(auto.plan)}, ${fmtBytes(auto.bytes)} (${(model.bytes / auto.bytes).toFixed(2)}× smaller), accuracy ${pct(auto.accuracy)}`);
      await mkdir(outDir, { recursive: true });
      const result = { machine: { cpu: c.model, isa: c.isa, threads: c.threads, node: process.versions.node }, test: { count: test.count, source: test.source }, rows, sensitivity: sens, auto: { plan: auto.plan, tried: auto.tried } };
      await writeFile(join(outDir, 'lowbit-demo.json'), JSON.stringify(result, null, 2));
      if (v.json) log(JSON.stringify(result));
      try {
        const svg = await tradeoffSvg(rows.map((r) => ({ label: r.label.replace(/ [(¹²³].*$/, ''), bytes: r.bytes, accuracy: r.accuracy, latencyMs: r.latencyMs })),
          `lowbit on Fashion-MNIST MLP — ${c.model || c.arch}, ${c.isa}`);
        await writeFile(join(outDir, 'lowbit-demo.svg'), svg);
        await writeFile(join(outDir, 'lowbit-demo.html'), htmlReport(svg, rows, sens));
        log(`\nwrote ${join(outDir, 'lowbit-demo.svg')} (accuracy and latency against bytes), ${join(outDir, 'lowbit-demo.html')} and lowbit-demo.json`);
      } catch (e) {
        if ((e as LowbitError).code !== 'ERR_LOWBIT_NO_CHART') throw e;
        log(`\nwrote ${join(outDir, 'lowbit-demo.json')}; no picture: ${(e as Error).message}`);
      }
      return EXIT.ok;
    },
  },

  train: {
    summary: 'train the Fashion-MNIST MLP on lowbit\'s FP32 kernels (deterministic for a seed)',
    usage: 'lowbit train [--data DIR] [--out DIR] [--epochs 20] [--seed 1] [--hidden 512,256] [--batch 128] [--lr 0.001]',
    help: `Trains an MLP 784-…-10 (ReLU, softmax cross-entropy, AdamW with a cosine schedule) on the
Fashion-MNIST training split from --data (default: Debian's dataset-fashion-mnist package), reports
test accuracy after every epoch, and writes model.safetensors plus the bundled subsets (the first 2,000
test images, 500 training images for calibration) to --out (default: the bundled model's folder).`,
    options: {
      data: { type: 'string' }, out: { type: 'string' }, epochs: { type: 'string' }, seed: { type: 'string' },
      hidden: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' },
    },
    positionals: [0, 0],
    async run(v) {
      const dir = typeof v.data === 'string' ? v.data : undefined;
      const epochs = num(v.epochs, 'epochs', 20, (n) => Number.isInteger(n) && n >= 1);
      const seed = num(v.seed, 'seed', 1, Number.isInteger);
      const batchSize = num(v.batch, 'batch', 128, (n) => Number.isInteger(n) && n >= 1);
      const learningRate = num(v.lr, 'lr', 1e-3, (n) => n > 0);
      const hidden = typeof v.hidden === 'string' ? v.hidden.split(',').map((h) => num(h, 'hidden', 0, (n) => Number.isInteger(n) && n >= 1)) : [512, 256];
      const outDir = resolve(typeof v.out === 'string' ? v.out : BUNDLED_MODEL_DIR);
      const [train, test] = await Promise.all([loadFashionMnist('train', dir), loadFashionMnist('test', dir)]);
      log(`training 784-${hidden.join('-')}-10 on ${train.count} images, ${epochs} epochs, seed ${seed}, ISA ${cpu().isa}`);
      const progress = bar('training');
      progress.start(epochs * Math.ceil(train.count / batchSize), 0, { unit: 'steps' });
      const model = await trainMlp(train, {
        hidden, epochs, seed, batchSize, learningRate, validation: test,
        onStep: (s) => progress.update(s),
        onEpoch: (e) => { progress.stop(); log(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, test accuracy ${pct(e.accuracy!)}, ${e.seconds.toFixed(1)} s`); if (e.epoch < epochs) progress.start(epochs * Math.ceil(train.count / batchSize), (e.epoch) * Math.ceil(train.count / batchSize), { unit: 'steps' }); },
        info: {
          dataset: 'Fashion-MNIST (Zalando Research, MIT licence)', input: 'pixels / 255, row-major 28×28',
          classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
          training: { epochs, seed, batchSize, learningRate, hidden, optimizer: 'AdamW, cosine schedule to 5 %' },
        },
      });
      await mkdir(outDir, { recursive: true });
      await saveModel(join(outDir, 'model.safetensors'), model);
      // The bundled subsets: the first 2,000 test images and the first 500 training images.
      const bytes = (d: LabelledImages, n: number) => Uint8Array.from(d.images.subarray(0, n * d.features), (x) => Math.round(x * 255));
      await writeIdx(join(outDir, 'test-2k-images-idx3-ubyte.gz'), { dims: [2000, 28, 28], data: bytes(test, 2000) });
      await writeIdx(join(outDir, 'test-2k-labels-idx1-ubyte.gz'), { dims: [2000], data: test.labels.slice(0, 2000) });
      await writeIdx(join(outDir, 'calib-500-images-idx3-ubyte.gz'), { dims: [500, 28, 28], data: bytes(train, 500) });
      await writeIdx(join(outDir, 'calib-500-labels-idx1-ubyte.gz'), { dims: [500], data: train.labels.slice(0, 500) });
      log(`wrote ${join(outDir, 'model.safetensors')} and the test / calibration subsets`);
      return EXIT.ok;
    },
  },

  quantize: {
    summary: 'quantize a safetensors or GGUF file tensor by tensor',
    usage: 'lowbit quantize IN OUT [--bits 4|8] [--group 32] [--method rtn|mse] [--asym] [--precision NAME] [--plan FILE] [--keep REGEX] [--quiet]',
    help: `Quantizes every 2-D float tensor of IN (safetensors or GGUF) and writes OUT (GGUF when it ends in
.gguf, else safetensors); other tensors are copied. --bits 8: int8 per channel; --bits 4 --group G:
int4 blocks of G (16-256), --method mse to search the clipping range, --asym for zero points. In a GGUF
output, 8 bits is q8_0 and 4 bits g32 is q4_0 (q4_1 with --asym). --precision NAME instead (float16,
int8, int4-g128-mse, q4_0, …); --plan FILE: JSON {"tensor or layer": precision, "*": precision}.
Weights whose shape the precision cannot take (ggml blocks need K % 32 == 0) are copied and listed.
Memory holds one tensor at a time, never the whole file.`,
    options: {
      bits: { type: 'string' }, group: { type: 'string' }, method: { type: 'string' }, asym: { type: 'boolean' },
      precision: { type: 'string' }, plan: { type: 'string' }, keep: { type: 'string' }, quiet: { type: 'boolean' },
    },
    positionals: [2, 2],
    async run(v, [input, output]) {
      let plan: QuantPlan;
      const gguf = output.toLowerCase().endsWith('.gguf');
      if (typeof v.plan === 'string') {
        if (v.bits !== undefined || v.precision !== undefined) throw new Usage('--plan cannot be combined with --bits or --precision');
        let text: string;
        try { text = await readFile(v.plan, 'utf8'); } catch (e) { throw new LowbitError('ERR_LOWBIT_BAD_FILE', `--plan ${v.plan}: ${(e as Error).message}`); }
        try { plan = JSON.parse(text); } catch { throw new Usage(`--plan ${v.plan} is not JSON`); }
        if (plan === null || typeof plan !== 'object' || Array.isArray(plan) || !Object.values(plan).every((p) => typeof p === 'string')) {
          throw new Usage(`--plan ${v.plan} must be a JSON object of precision names, e.g. {"fc1": "int8", "*": "int4-g32"}`);
        }
        for (const p of Object.values(plan)) wrapUsage(() => canonicalPrecision(p));
      } else if (typeof v.precision === 'string') {
        if (v.bits !== undefined) throw new Usage('--precision cannot be combined with --bits');
        plan = wrapUsage(() => canonicalPrecision(v.precision as string));
      } else {
        const bits = num(v.bits, 'bits', 4, (n) => n === 4 || n === 8);
        const group = num(v.group, 'group', 32, (n) => [16, 32, 64, 128, 256].includes(n));
        const method = v.method ?? 'rtn';
        if (method !== 'rtn' && method !== 'mse') throw new Usage(`--method must be rtn or mse, got ${String(method)}`);
        if (bits === 8 && (v.group !== undefined || v.method !== undefined)) throw new Usage('--group and --method apply to --bits 4');
        if (gguf) {
          if (bits === 8) plan = 'q8_0';
          else if (group !== 32 || method !== 'rtn') throw new Usage('GGUF stores 4-bit weights as q4_0/q4_1 (groups of 32, round to nearest): drop --group/--method or write .safetensors');
          else plan = v.asym ? 'q4_1' : 'q4_0';
        } else {
          plan = bits === 8 ? 'int8' : `int4-g${group}${v.asym ? '-asym' : ''}${method === 'mse' ? '-mse' : ''}`;
        }
      }
      let keep: RegExp | undefined;
      if (typeof v.keep === 'string') {
        try { keep = new RegExp(v.keep); } catch (e) { throw new Usage(`--keep: ${(e as Error).message}`); }
      }
      const progress = bar('quantizing');
      let started = false;
      const t0 = performance.now();
      const report = await quantizeFile(input, output, {
        plan, keep,
        onProgress: v.quiet ? undefined : (done, total) => {
          if (!started) { progress.start(Math.ceil(total / 1048576), 0, { unit: 'MiB' }); started = true; }
          progress.update(Math.floor(done / 1048576));
        },
      });
      progress.stop();
      const s = (performance.now() - t0) / 1000;
      if (!v.quiet) {
        log(`${input} (${report.input.kind}, ${fmtBytes(report.input.bytes)} of tensors) → ${output} (${report.output.kind}, ${fmtBytes(report.output.bytes)}) in ${s.toFixed(1)} s`);
        log(`quantized ${report.quantized.length} tensors${report.quantized.length ? `: ${[...new Set(report.quantized.map((q) => q.precision))].join(', ')}` : ''}`);
        for (const k of report.kept) log(`kept ${k.name}: ${k.reason}`);
      }
      return EXIT.ok;
    },
  },

  inspect: {
    summary: 'list a safetensors or GGUF file\'s tensors, types, sizes and bytes per weight',
    usage: 'lowbit inspect FILE [--json]',
    help: 'Reads only the header and tensor table of FILE (safetensors or GGUF): every tensor with its stored type, shape, bytes and bytes per weight; a lowbit model\'s layers and precisions.',
    options: { json: { type: 'boolean' } },
    positionals: [1, 1],
    async run(v, [file]) {
      const f = await openTensorFile(file);
      try {
        const quant = new Map<string, { format: string; groupSize: number; symmetric: boolean; dims: number[] }>();
        for (const [k, val] of Object.entries(f.metadata)) {
          if (k.startsWith('lowbit.quantized.') && typeof val === 'string') {
            try { quant.set(k.slice('lowbit.quantized.'.length), JSON.parse(val)); } catch { /* reported as plain parts */ }
          }
        }
        const rows = f.tensors.filter((t) => !t.quantizedPart || quant.has(t.name)).map((t) => {
          const q = quant.get(t.name);
          if (q) {
            const bytes = f.tensors.filter((x) => x.name === t.name || x.name === `${t.name}.scales` || x.name === `${t.name}.zero_points`).reduce((a, x) => a + x.bytes, 0);
            const count = q.dims.reduce((a, b) => a * b, 1);
            const type = q.format === 'int4' ? `int4 g${q.groupSize}${q.symmetric ? '' : ' asym'}` : q.format === 'int8' ? `int8 per-channel${q.symmetric ? '' : ' asym'}` : q.format;
            return { name: t.name, type, dims: q.dims, bytes, bytesPerWeight: bytes / count };
          }
          const count = t.dims.reduce((a, b) => a * b, 1);
          return { name: t.name, type: t.type, dims: t.dims, bytes: t.bytes, bytesPerWeight: count ? t.bytes / count : 0 };
        });
        const total = rows.reduce((a, r) => a + r.bytes, 0), weights = rows.reduce((a, r) => a + r.dims.reduce((x, y) => x * y, 1), 0);
        if (v.json) {
          log(JSON.stringify({ file, kind: f.kind, tensors: rows, bytes: total, weights }, null, 2));
          return EXIT.ok;
        }
        log(`${file}: ${f.kind}, ${rows.length} tensors, ${weights.toLocaleString('en')} weights, ${fmtBytes(total)} (${(total / Math.max(weights, 1)).toFixed(4)} bytes/weight)`);
        const t = new Table({ head: ['tensor', 'type', 'shape', 'bytes', 'bytes/weight'], style: { head: [], border: [], compact: true }, colAligns: ['left', 'left', 'left', 'right', 'right'] });
        for (const r of rows) t.push([r.name, r.type, `[${r.dims.join(', ')}]`, fmtBytes(r.bytes), r.bytesPerWeight.toFixed(4)]);
        log(t.toString());
        const modelMeta = f.metadata['lowbit.model'];
        if (typeof modelMeta === 'string') {
          try {
            const d = JSON.parse(modelMeta) as { layers: { name: string; kind: string; precision?: string }[] };
            log(`lowbit model: ${d.layers.map((l) => (l.kind === 'linear' ? `${l.name} (${l.precision ?? 'linear'})` : l.name)).join(' → ')}`);
          } catch { /* not ours to judge here: eval reports it */ }
        }
        const other = Object.keys(f.metadata).filter((k) => !k.startsWith('lowbit.'));
        if (other.length) log(`metadata: ${other.slice(0, 20).join(', ')}${other.length > 20 ? `, … (${other.length})` : ''}`);
        return EXIT.ok;
      } finally {
        await f.close();
      }
    },
  },

  eval: {
    summary: 'evaluate a lowbit model (and compare it with a reference model)',
    usage: 'lowbit eval MODEL [--reference FILE] [--data DIR] [--bundled] [--batch 256] [--min-accuracy X] [--json]',
    help: `Runs MODEL (a lowbit model file, safetensors or GGUF) on the Fashion-MNIST test images (Debian's
10k when installed, else the bundled 2,000; --data DIR or --bundled to choose) and prints its size,
accuracy and latency; with --reference (default: the bundled float32 model when MODEL has its shape) also
the accuracy drop, logit SQNR, KL and top-1 agreement. Exits 4 when --min-accuracy (a fraction) is not met.`,
    options: {
      reference: { type: 'string' }, data: { type: 'string' }, bundled: { type: 'boolean' }, batch: { type: 'string' },
      'min-accuracy': { type: 'string' }, json: { type: 'boolean' },
    },
    positionals: [1, 1],
    async run(v, [file]) {
      const batch = num(v.batch, 'batch', 256, (n) => Number.isInteger(n) && n >= 1);
      const minAcc = v['min-accuracy'] === undefined ? undefined : num(v['min-accuracy'], 'min-accuracy', 0, (n) => n >= 0 && n <= 1);
      const model = await loadModel(file);
      let reference = typeof v.reference === 'string' ? await loadModel(v.reference) : undefined;
      if (!reference) {
        const bundled = await loadModel(BUNDLED_MODEL);
        const same = bundled.linears.length === model.linears.length && bundled.linears.every((l, i) => l.inFeatures === model.linears[i].inFeatures && l.outFeatures === model.linears[i].outFeatures);
        reference = same ? bundled : model;
      }
      const data = await evalData(v);
      const rows = await evaluateModels(reference, [
        ...(reference !== model ? [{ label: 'reference', model: reference }] : []), { label: file, model },
      ], data, { batch });
      if (v.json) log(JSON.stringify({ data: { count: data.count, source: data.source }, rows }, null, 2));
      else {
        log(`${data.count} test images (${data.source}); ISA ${cpu().isa}`);
        log(rowsTable(rows));
      }
      const acc = rows.at(-1)!.accuracy;
      if (minAcc !== undefined && acc < minAcc) {
        note(`accuracy ${pct(acc)} is below --min-accuracy ${pct(minAcc)}`);
        return EXIT.belowTarget;
      }
      return EXIT.ok;
    },
  },

  bench: {
    summary: 'run the kernel benchmark (npm run bench); options pass through',
    usage: 'lowbit bench [--full] [--json FILE] [--threads N] [--isa NAME] [--filter TEXT] [--time MS]',
    help: 'Runs lowbit\'s benchmark (bench/run.mjs) with the given options; see its --help.',
    options: {},
    positionals: [0, Infinity as number],
    async run(_v, args) {
      const script = fileURLToPath(new URL('../../bench/run.mjs', import.meta.url));
      return new Promise((done) => {
        const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit' });
        child.on('exit', (code, signal) => done(code ?? (signal ? EXIT.failure : EXIT.ok)));
        child.on('error', (e) => { note(`lowbit bench: ${e.message}`); done(EXIT.failure); });
      });
    },
  },
};

function wrapUsage<T>(f: () => T): T {
  try { return f(); } catch (e) { throw new Usage((e as Error).message); }
}

function htmlReport(svg: string, rows: EvalRow[], sens: SensitivityRow[]): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[ch]!));
  const table = (head: string[], body: string[][]) => `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
  return `<!doctype html><meta charset="utf-8"><title>lowbit demo</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}</style>
<h1>lowbit: what quantization costs and buys on this machine</h1>${svg}
<h2>Settings</h2>${table(['setting', 'bytes', 'ratio', 'accuracy', 'Δ acc (pts)', 'logit SQNR dB', 'KL', `ms / batch ${rows[0]?.batch}`, 'speedup'],
  rows.map((r) => [r.label, String(r.bytes), r.compression.toFixed(2), pct(r.accuracy), pts(r.accuracyDrop), r.sqnrDb.toFixed(1), r.kl.toExponential(2), r.latencyMs.toFixed(3), r.speedup.toFixed(2)]))}
<h2>Layer sensitivity (calibration images)</h2>${table(['precision', 'layer', 'KL', 'logit SQNR dB', 'Δ acc (pts)'],
  sens.map((r) => [r.precision, r.layer, r.kl.toExponential(2), r.sqnrDb.toFixed(1), r.accuracyDrop === undefined ? '' : pts(r.accuracyDrop)]))}
`;
}

function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return `lowbit — quantized neural-network arithmetic for Node.js

usage: lowbit <command> [options]     (lowbit <command> --help for a command's options)

${Object.entries(commands).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`).join('\n')}

exit codes: 0 done, 1 unexpected failure, 2 bad command line, 3 bad or missing input file, 4 eval below --min-accuracy`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    log(helpText());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    log(pkg.version);
    return EXIT.ok;
  }
  const cmd = commands[name];
  if (!cmd) {
    note(`lowbit: unknown command "${name}"\n\n${helpText()}`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    log(`usage: ${cmd.usage}\n\n${cmd.help}`);
    return EXIT.ok;
  }
  try {
    let values: Record<string, string | boolean | undefined>, positionals: string[];
    if (name === 'bench') {
      values = {};
      positionals = rest;
    } else {
      try {
        ({ values, positionals } = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true }) as never);
      } catch (e) {
        throw new Usage((e as Error).message);
      }
      const [min, max] = cmd.positionals;
      if (positionals.length < min || positionals.length > max) {
        throw new Usage(`expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${positionals.length}`);
      }
    }
    return await cmd.run(values, positionals);
  } catch (e) {
    const err = e as LowbitError & NodeJS.ErrnoException;
    if (err.code === ERR_USAGE) {
      note(`lowbit ${name}: ${err.message}\nusage: ${cmd.usage}`);
      return EXIT.usage;
    }
    if (err.code === 'ERR_LOWBIT_BAD_FILE' || err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES') {
      note(`lowbit ${name}: ${err.message}`);
      return EXIT.badFile;
    }
    note(`lowbit ${name}: ${err.stack ?? err.message}`);
    return EXIT.failure;
  }
}

// Run when started as a program (directly or through npm's bin link), not when imported.
function startedAsProgram(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (startedAsProgram()) {
  // `lowbit inspect big.gguf | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
