// The lowbit command: every subcommand's help, exit codes scripts rely on, quantize/inspect/eval
// on real files, GGUF output, and quantizing a file much larger than the memory it may use.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { openTensorFile } from '../src/cli/quantize-file.js';
import {
  GGUFValue, Tensor, loadModel, openGGUF, readGGUF, readSafetensors, writeGGUF, writeSafetensors, QuantizedTensor,
  writeSafetensorsParts,
} from '../src/index.js';
import { BUNDLED_MODEL_DIR } from '../src/data/fashion-mnist.js';

const canSpawn = !process.env.LOWBIT_TEST_NO_SPAWN;
// Under CPU emulation (the arm64 suite) the whole demo takes minutes; its parts are tested apart.
const atNativeSpeed = !process.env.LOWBIT_TEST_EMULATED;
const dir = mkdtempSync(join(tmpdir(), 'lowbit-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MODEL = join(BUNDLED_MODEL_DIR, 'model.safetensors');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('lowbit CLI', () => {
  it('has help for every command and usage errors exit 2', async () => {
    const top = await run('--help');
    expect(top.code).toBe(0);
    for (const c of ['demo', 'train', 'quantize', 'inspect', 'eval', 'bench']) {
      expect(top.out).toContain(c);
      const h = await run(c, '--help');
      expect(h.code, c).toBe(0);
      expect(h.out).toMatch(new RegExp(`usage: lowbit ${c}`));
    }
    expect((await run()).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    const bad = await run('quantize', MODEL, join(dir, 'x.safetensors'), '--bits', '3');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--bits 3/);
    expect((await run('quantize', MODEL)).code).toBe(2);
    expect((await run('inspect', MODEL, '--nope')).code).toBe(2);
    expect((await run('quantize', MODEL, join(dir, 'x.gguf'), '--bits', '4', '--group', '128')).err).toMatch(/GGUF stores 4-bit/);
    expect((await run('quantize', MODEL, join(dir, 'x.safetensors'), '--precision', 'int5')).code).toBe(2);
    expect((await run('eval', MODEL, '--min-accuracy', '2')).code).toBe(2);
  });

  it('missing and corrupt files exit 3 with the file named', async () => {
    const missing = await run('inspect', join(dir, 'nope.safetensors'));
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/nope\.safetensors/);
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, Buffer.from('\x0f\x00\x00\x00\x00\x00\x00\x00{"a": nonsense}'));
    for (const args of [['inspect', junk], ['eval', junk], ['quantize', junk, join(dir, 'o.safetensors')]]) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.err).toMatch(/junk\.safetensors: header is not valid JSON/);
    }
    const plan = join(dir, 'plan.json');
    writeFileSync(plan, '{"fc9": "int8"}');
    expect((await run('quantize', MODEL, join(dir, 'o.safetensors'), '--plan', plan)).err).toMatch(/fc9/);
  });

  it('quantize → inspect → eval on the bundled model', async () => {
    const out = join(dir, 'int4.safetensors');
    const q = await run('quantize', MODEL, out, '--bits', '4', '--group', '32', '--method', 'mse');
    expect(q.code, q.err).toBe(0);
    expect(q.out).toMatch(/quantized 3 tensors: int4-g32-mse/);
    const m = await loadModel(out);
    expect(m.plan).toEqual({ fc1: 'int4-g32-mse', fc2: 'int4-g32-mse', fc3: 'int4-g32-mse' });
    const i = await run('inspect', out);
    expect(i.code).toBe(0);
    expect(i.out).toMatch(/fc1\.weight\s+│\s+int4 g32\s+│\s+\[512, 784\]/);
    expect(i.out).toMatch(/fc1 \(int4-g32-mse\)/);
    const j = JSON.parse((await run('inspect', out, '--json')).out);
    const bpw = (n: string) => j.tensors.find((t: { name: string }) => t.name === n).bytesPerWeight;
    expect(bpw('fc2.weight')).toBeCloseTo(0.625, 9);  // 4 bits + a float32 scale per 32
    expect(bpw('fc1.weight')).toBeCloseTo((512 * 25 * 16 + 512 * 25 * 4) / (512 * 784), 9);  // 784 = 24.5 blocks, padded
    const e = await run('eval', out, '--bundled', '--json');
    expect(e.code, e.err).toBe(0);
    const rows = JSON.parse(e.out).rows;
    expect(rows.map((r: { label: string }) => r.label)).toEqual(['reference', out]);
    expect(rows[1].accuracyDrop).toBeLessThan(0.02);
    expect((await run('eval', out, '--bundled', '--min-accuracy', '0.99')).code).toBe(4);
    expect((await run('eval', out, '--bundled', '--min-accuracy', '0.5')).code).toBe(0);
  });

  it('writes GGUF (q4_0 where K allows, the rest kept) that lowbit and ggml layouts agree on', async () => {
    const out = join(dir, 'q4.gguf');
    const r = await run('quantize', MODEL, out, '--bits', '4');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/kept fc1\.weight: .*multiple of 32/);
    const g = await readGGUF(out);
    expect((g.tensors.get('fc2.weight') as QuantizedTensor).format).toBe('q4_0');
    expect((g.tensors.get('fc1.weight') as Tensor).type).toBe('float32');
    const m = await loadModel(out);
    expect(m.plan).toEqual({ fc1: 'float32', fc2: 'q4_0', fc3: 'q4_0' });
    // Back to safetensors from GGUF: the ggml blocks carry over bit for bit.
    const back = join(dir, 'back.safetensors');
    expect((await run('quantize', out, back, '--precision', 'float32', '--quiet')).code).toBe(0);
    const s = await readSafetensors(back);
    expect(Buffer.from((s.tensors.get('fc2.weight') as QuantizedTensor).data)).toEqual(Buffer.from((g.tensors.get('fc2.weight') as QuantizedTensor).data));
  });

  it('GGUF to GGUF keeps each metadata value\'s type (a whole f32 stays f32)', async () => {
    const src = join(dir, 'typed.gguf'), out = join(dir, 'typed-q4.gguf');
    const w = new Float32Array(64 * 64).map((_, i) => Math.sin(i) * 0.1);
    await writeGGUF(src, {
      metadata: { 'llama.rope.freq_base': new GGUFValue('f32', 10000), 'llama.block_count': new GGUFValue('u32', 2),
        'tokenizer.ggml.token_type': [new GGUFValue('i32', 1), new GGUFValue('i32', 3)], eps: new GGUFValue('f32', 1e-5) },
      tensors: new Map([['blk.0.w', new Tensor('float32', w, [64, 64])]]),
    });
    const r = await run('quantize', src, out, '--bits', '4', '--quiet');
    expect(r.code, r.err).toBe(0);
    const g = await openGGUF(out);
    expect(g.typedMetadata).toMatchObject({
      'llama.rope.freq_base': new GGUFValue('f32', 10000), 'llama.block_count': new GGUFValue('u32', 2),
      'tokenizer.ggml.token_type': [new GGUFValue('i32', 1), new GGUFValue('i32', 3)],
      eps: new GGUFValue('f32', Math.fround(1e-5)),
    });
    expect(g.entries[0].type).toBe('Q4_0');
    await g.close();
  });

  it('a plan file sets precisions per layer; --keep keeps tensors', async () => {
    const plan = join(dir, 'mixed.json');
    writeFileSync(plan, JSON.stringify({ fc1: 'int8', '*': 'int4-g128' }));
    const out = join(dir, 'mixed.safetensors');
    expect((await run('quantize', MODEL, out, '--plan', plan, '--keep', '^fc3\\.')).code).toBe(0);
    expect((await loadModel(out)).plan).toEqual({ fc1: 'int8', fc2: 'int4-g128', fc3: 'float32' });
  });

  it.runIf(canSpawn)('streams: a 384 MiB file quantized with far less memory than the file', async () => {
    const big = join(dir, 'big.safetensors');
    const N = 1024, K = 4096, count = 24;  // 16 MiB per tensor
    const row = new Float32Array(N * K);
    for (let i = 0; i < row.length; i++) row[i] = Math.sin(i * 0.37) * 0.02;
    await writeSafetensorsParts(big, {}, Array.from({ length: count }, (_, t) => ({
      name: `layer${t}.weight`, dtype: 'F32', shape: [N, K], byteLength: row.byteLength,
      bytes: () => new Uint8Array(row.buffer),
    })));
    const out = join(dir, 'big-int4.safetensors');
    const script = `import('${join(process.cwd(), 'dist/cli/main.js')}').then(async (m) => { const code = await m.main(${JSON.stringify(['quantize', big, out, '--bits', '4', '--quiet'])}); console.log(JSON.stringify({ code, maxRssKiB: process.resourceUsage().maxRSS })); });`;
    const p = spawnSync(process.execPath, ['--max-old-space-size=64', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(p.status, p.stderr).toBe(0);
    const res = JSON.parse(p.stdout.trim().split('\n').at(-1)!);
    expect(res.code).toBe(0);
    // The file is 384 MiB; a tensor in and out is ~26 MiB, Node and the addon ~60-100 MiB.
    console.log(`quantizing a 384 MiB file: peak RSS ${(res.maxRssKiB / 1024).toFixed(0)} MiB`);
    expect(res.maxRssKiB / 1024).toBeLessThan(200);
    const f = await openTensorFile(out);
    expect(f.tensors.filter((t) => !t.quantizedPart || t.name.endsWith('.weight'))).toHaveLength(count);
    const first = await f.read('layer0.weight');
    await f.close();
    expect(first.data.byteLength).toBe(N * K / 2);
  });

  it.runIf(atNativeSpeed)('demo: the table, the sensitivity ranking, the auto plan and the picture', async () => {
    const out = join(dir, 'report');
    const r = await run('demo', '--bundled', '--out', out, '--batch', '64');
    expect(r.code, r.err).toBe(0);
    for (const label of ['float32', 'float16', 'int8', 'int8 static minmax', 'int8 static percentile', 'int8 static mse', 'int4-g128', 'int4-g128-mse', 'int4-g32', 'int4-g32-mse', 'q4_0', 'mixed', 'auto']) {
      expect(r.out).toMatch(new RegExp(`│ ${label}`));
    }
    expect(r.out).toMatch(/Sensitivity/);
    expect(r.out).toMatch(/autoQuantize tried \d+ plans/);
    const res = JSON.parse(readFileSync(join(out, 'lowbit-demo.json'), 'utf8'));
    expect(res.test.count).toBe(2000);
    expect(res.rows).toHaveLength(13);
    expect(res.rows[0]).toMatchObject({ label: 'float32', accuracyDrop: 0, compression: 1 });
    const auto = res.rows.at(-1);
    expect(auto.accuracyDrop).toBeLessThanOrEqual(0.002 + 1e-12);
    expect(auto.bytes).toBeLessThan(res.rows[0].bytes / 6);
    const svg = readFileSync(join(out, 'lowbit-demo.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    for (const label of ['float32', 'int8', 'auto']) expect(svg).toContain(`>${label}<`);
    expect(existsSync(join(out, 'lowbit-demo.html'))).toBe(true);
  });

  it.runIf(canSpawn)('the installed bin runs', () => {
    const p = spawnSync(process.execPath, [join(process.cwd(), 'dist/cli/main.js'), 'inspect', MODEL], { encoding: 'utf8' });
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/3 layers|fc1\.weight/);
    const bad = spawnSync(process.execPath, [join(process.cwd(), 'dist/cli/main.js'), 'inspect', join(dir, 'none')], { encoding: 'utf8' });
    expect(bad.status).toBe(3);
  });
});
