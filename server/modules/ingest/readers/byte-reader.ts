// Pulls exact byte counts out of a stream of chunks. A record inside the current chunk is
// returned as a view of it (no copy); only a record that straddles chunks is copied, into a
// buffer of its own size. (Concatenating the rest of each chunk with the next one instead would
// allocate the whole file again in 16 KiB pieces and keep the garbage collector busy.)
import type { Readable } from 'node:stream';

const EMPTY = Buffer.alloc(0);

export class ByteReader {
  private chunk: Buffer = EMPTY;
  private offset = 0;
  private ended = false;
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(stream: Readable | AsyncIterable<Buffer>) {
    this.chunks = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  /** Exactly `length` bytes if the current chunk holds them, else null (nothing consumed). */
  readBuffered(length: number): Buffer | null {
    if (this.chunk.length - this.offset < length) return null;
    const bytes = this.chunk.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }

  /**
   * Exactly `length` bytes, or null at a clean end of stream. A stream that ends part-way
   * through returns the bytes that were there with `truncated` set.
   */
  async read(length: number): Promise<{ bytes: Buffer; truncated: boolean } | null> {
    const direct = this.readBuffered(length);
    if (direct) return { bytes: direct, truncated: false };
    const out = Buffer.allocUnsafe(length);
    let filled = this.chunk.copy(out, 0, this.offset);
    this.chunk = EMPTY;
    this.offset = 0;
    while (filled < length) {
      if (this.ended) break;
      const next = await this.chunks.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const take = Math.min(length - filled, next.value.length);
      next.value.copy(out, filled, 0, take);
      filled += take;
      this.chunk = next.value;
      this.offset = take;
    }
    if (filled === 0) return null;
    return { bytes: filled === length ? out : out.subarray(0, filled), truncated: filled < length };
  }

  async skip(length: number): Promise<boolean> {
    const result = await this.read(length);
    return result !== null && !result.truncated;
  }

  async close(): Promise<void> {
    await this.chunks.return?.();
  }
}
