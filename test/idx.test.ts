// IDX files (the MNIST family): exact round trips, gzip, and hostile bytes that must fail with
// a coded error naming the problem.
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowbitError, encodeIdx, parseIdx, readLabelledImages } from '../src/index.js';

function badIdx(bytes: Uint8Array, pattern: RegExp) {
  let err: unknown;
  try { parseIdx(bytes, 'x.idx'); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(LowbitError);
  expect((err as LowbitError).code).toBe('ERR_LOWBIT_BAD_FILE');
  expect((err as Error).message).toMatch(pattern);
}

describe('IDX', () => {
  it('round-trips plain and gzipped arrays exactly', () => {
    const data = Uint8Array.from({ length: 3 * 5 * 7 }, (_, i) => (i * 37) & 255);
    for (const gz of [true, false]) {
      const bytes = encodeIdx({ dims: [3, 5, 7], data }, gz);
      expect(bytes[0] === 0x1f).toBe(gz);
      const back = parseIdx(bytes);
      expect(back.dims).toEqual([3, 5, 7]);
      expect(Buffer.from(back.data)).toEqual(Buffer.from(data));
    }
    // The header is big-endian: [0, 0, 8, rank, dims…].
    expect([...encodeIdx({ dims: [258], data: new Uint8Array(258) }, false).subarray(0, 8)]).toEqual([0, 0, 8, 1, 0, 0, 1, 2]);
  });

  it('rejects hostile bytes with a coded error', () => {
    const good = encodeIdx({ dims: [2, 3], data: new Uint8Array(6) }, false);
    badIdx(new Uint8Array(3), /too short/);
    badIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 1, 0]), /first two bytes/);
    badIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), /type 0xd/);
    badIdx(Uint8Array.from([0, 0, 8, 0]), /0 dimensions/);
    badIdx(Uint8Array.from([0, 0, 8, 3, 0, 0]), /runs past the end/);
    badIdx(good.subarray(0, good.length - 1), /need 6 values but 5/);
    badIdx(Buffer.concat([good, Buffer.from([1])]), /need 6 values but 7/);
    badIdx(Uint8Array.from([0, 0, 8, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /need/);
    const gz = gzipSync(good);
    badIdx(gz.subarray(0, gz.length - 6), /gzip/);
    const flipped = Buffer.from(gz);
    flipped[12] ^= 0xff;
    expect(() => parseIdx(flipped)).toThrow(LowbitError);
  });

  it('reads labelled images and checks they belong together', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lowbit-idx-'));
    const img = join(dir, 'i.gz'), lab = join(dir, 'l.gz'), lab3 = join(dir, 'l3.gz'), bad = join(dir, 'bad.gz');
    writeFileSync(img, encodeIdx({ dims: [2, 2, 2], data: Uint8Array.of(0, 255, 51, 102, 1, 2, 3, 4) }));
    writeFileSync(lab, encodeIdx({ dims: [2], data: Uint8Array.of(9, 0) }));
    writeFileSync(lab3, encodeIdx({ dims: [3], data: Uint8Array.of(1, 2, 3) }));
    writeFileSync(bad, encodeIdx({ dims: [2], data: Uint8Array.of(1, 10) }));
    const d = await readLabelledImages(img, lab);
    expect([d.count, d.features]).toEqual([2, 4]);
    expect(Array.from(d.images.subarray(0, 4))).toEqual([0, 1, 51 / 255, 102 / 255].map(Math.fround));
    await expect(readLabelledImages(img, lab3)).rejects.toThrow(/3 labels for 2 images/);
    await expect(readLabelledImages(img, bad)).rejects.toThrow(/label 1 is 10/);
    await expect(readLabelledImages(lab, lab)).rejects.toThrow(/images must be \[count, rows, cols\]/);
  });
});
