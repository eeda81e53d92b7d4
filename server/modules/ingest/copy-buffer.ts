// A growing byte buffer of PostgreSQL COPY text. Values are written into it as they are read,
// so each record's strings die young; building a batch as one long string instead keeps every
// piece alive until the batch is sent and spends most of an import in garbage collection.
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const HEX_CODES = new Uint16Array(256);
for (let byte = 0; byte < 256; byte++) HEX_CODES[byte] = HEX[byte]!.charCodeAt(0) | (HEX[byte]!.charCodeAt(1) << 8);

export class CopyBuffer {
  private buffer: Buffer;
  private pos = 0;
  rows = 0;

  constructor(initialBytes = 1 << 22) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.pos + extra));
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }

  /** A text value, escaped for COPY. */
  text(value: string): void {
    const text = NEEDS_ESCAPE.test(value) ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : value;
    this.ensure(text.length * 3);
    this.pos += this.buffer.utf8Write(text, this.pos);
  }

  /** ASCII known to need no escaping (numbers, hex). */
  ascii(value: string): void {
    this.ensure(value.length);
    this.pos += this.buffer.latin1Write(value, this.pos);
  }

  null(): void {
    this.ensure(2);
    this.buffer[this.pos++] = 0x5c; // \
    this.buffer[this.pos++] = 0x4e; // N
  }

  tab(): void {
    this.ensure(1);
    this.buffer[this.pos++] = 0x09;
  }

  endRow(): void {
    this.ensure(1);
    this.buffer[this.pos++] = 0x0a;
    this.rows++;
  }

  /** Bytes as hex digits (WKB for the geometry column), without an intermediate string. */
  hex(bytes: Uint8Array): void {
    this.ensure(bytes.length * 2);
    const out = this.buffer;
    let pos = this.pos;
    for (let i = 0; i < bytes.length; i++) {
      const code = HEX_CODES[bytes[i]!]!;
      out[pos++] = code & 0xff;
      out[pos++] = code >> 8;
    }
    this.pos = pos;
  }

  /** The batch so far (a copy: the buffer is reused), and a fresh start. */
  take(): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, this.pos));
    this.pos = 0;
    this.rows = 0;
    return out;
  }
}

declare global {
  interface Buffer {
    utf8Write(text: string, offset: number): number;
    latin1Write(text: string, offset: number): number;
  }
}
