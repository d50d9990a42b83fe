// IDX files (the MNIST family's format, optionally gzipped): a big-endian header — two zero
// bytes, a type code, the number of dimensions, one u32 per dimension — then the values.
// Read whole (these files are small) and checked like any other hostile file.
import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { bad } from '../io/reader.js';

/** An IDX array: unsigned bytes (type 0x08), as in every MNIST-family file. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;
const MAX_DIMS = 8;
const MAX_BYTES = 1 << 30;

/** Parses IDX bytes (gzip is recognised by its magic and inflated, at most 1 GiB). */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  let buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf, { maxOutputLength: MAX_BYTES });
    } catch (e) {
      throw bad(name, `gzip data is corrupt or too large (${(e as Error).message})`);
    }
  }
  if (buf.length < 4) throw bad(name, 'too short for an IDX header', 0);
  if (buf[0] !== 0 || buf[1] !== 0) throw bad(name, 'not an IDX file (the first two bytes must be zero)', 0);
  if (buf[2] !== UBYTE) throw bad(name, `IDX value type 0x${buf[2].toString(16)} is not supported (only 0x08, unsigned bytes)`, 2);
  const rank = buf[3];
  if (rank < 1 || rank > MAX_DIMS) throw bad(name, `${rank} dimensions (1 to ${MAX_DIMS} allowed)`, 3);
  const start = 4 + 4 * rank;
  if (buf.length < start) throw bad(name, `the header of ${rank} dimensions runs past the end of the data`, 4);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    dims.push(buf.readUInt32BE(4 + 4 * i));
    count *= dims[i];
  }
  if (buf.length - start !== count) {
    throw bad(name, `dimensions [${dims.join(', ')}] need ${count} values but ${buf.length - start} follow the header`, start);
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + start, count) };
}

/** Reads an IDX file (.gz or plain). */
export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(await readFile(path), path);
}

/** Encodes an unsigned-byte IDX array; gzipped when `gzip` (the default). */
export function encodeIdx(arr: IdxArray, gzip = true): Buffer {
  const count = arr.dims.reduce((a, b) => a * b, 1);
  if (arr.dims.length < 1 || arr.dims.length > MAX_DIMS) throw new RangeError(`IDX stores 1 to ${MAX_DIMS} dimensions`);
  if (arr.data.length !== count) throw new RangeError(`data has ${arr.data.length} values, dims [${arr.dims.join(', ')}] need ${count}`);
  const head = Buffer.alloc(4 + 4 * arr.dims.length);
  head[2] = UBYTE;
  head[3] = arr.dims.length;
  arr.dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  const raw = Buffer.concat([head, arr.data]);
  return gzip ? gzipSync(raw, { level: 9 }) : raw;
}

export async function writeIdx(path: string, arr: IdxArray, gzip = true): Promise<void> {
  await writeFile(path, encodeIdx(arr, gzip));
}
