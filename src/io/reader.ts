// Reading hostile files without trusting or slurping them: a cursor over a file handle that
// reads ahead in chunks, checks every length against what is left, and fails with a coded
// error that says what is wrong and where.
import type { FileHandle } from 'node:fs/promises';
import { LowbitError } from '../errors.js';

export const ERR_BAD_FILE = 'ERR_LOWBIT_BAD_FILE';

export function bad(file: string, what: string, at?: number): LowbitError {
  return new LowbitError(ERR_BAD_FILE, `${file}: ${what}${at === undefined ? '' : ` (at byte ${at})`}`);
}

/** Sequential little-endian reads from a file handle, buffered, bounded by the file size. */
export class Cursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;  // file offset of buf[0]
  pos = 0;

  constructor(private readonly fh: FileHandle, readonly size: number, readonly name: string,
    private readonly maxBuffered = 512 * 1024 * 1024) {}

  /** Makes bytes [pos, pos + n) available, or throws if the file ends first. */
  async need(n: number, what: string): Promise<Buffer> {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.size) {
      throw bad(this.name, `${what} runs past the end of the file (needs ${n} bytes, ${this.size - this.pos} left)`, this.pos);
    }
    const end = this.pos + n;
    if (end > this.bufStart + this.buf.length || this.pos < this.bufStart) {
      const start = this.pos;
      const want = Math.min(this.size - start, Math.max(n, 1 << 20));
      if (want > this.maxBuffered) throw bad(this.name, `${what} is implausibly large (${n} bytes)`, this.pos);
      const next = Buffer.alloc(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await this.fh.read(next, got, want - got, start + got);
        if (bytesRead === 0) throw bad(this.name, `${what}: the file ended early`, start + got);
        got += bytesRead;
      }
      this.buf = next;
      this.bufStart = start;
    }
    const slice = this.buf.subarray(this.pos - this.bufStart, end - this.bufStart);
    this.pos = end;
    return slice;
  }

  async u8(what: string) { return (await this.need(1, what)).readUInt8(0); }
  async u32(what: string) { return (await this.need(4, what)).readUInt32LE(0); }
  async u64(what: string): Promise<number> {
    const v = (await this.need(8, what)).readBigUInt64LE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(this.name, `${what} is too large (${v})`, this.pos - 8);
    return Number(v);
  }
}

/** Reads exactly `length` bytes at `offset` into a new buffer (one tensor's data). */
export async function readRange(fh: FileHandle, offset: number, length: number, name: string, what: string): Promise<Buffer> {
  const out = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(out, got, length - got, offset + got);
    if (bytesRead === 0) throw bad(name, `${what}: the file ended early`, offset + got);
    got += bytesRead;
  }
  return out;
}
