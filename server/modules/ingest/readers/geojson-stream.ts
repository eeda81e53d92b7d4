// Streams a GeoJSON document one feature at a time: GeoJSON files in a package can be hundreds of
// megabytes, so only one feature (or one small top-level member) is ever held as an object.
//
// stream-json's bare tokenizer is called directly rather than through its Node stream wrapper:
// per-token stream plumbing made a 170 MB file take 10 s instead of 1.5 s. Bytes are checked as
// UTF-8 here (RFC 7946 §11) before the tokenizer sees text, so a bad byte is refused with the
// feature it belongs to instead of turning into replacement characters.
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { jsonParser, type Token } from 'stream-json/parser.js';
import { jsonVerifier } from 'stream-json/utils/verifier.js';
import { none } from 'stream-chain/defs.js';
import { packageError, type IngestLocation } from '../errors.ts';

export type GeoJsonSource = () => NodeJS.ReadableStream | Readable;

/** Largest single feature or top-level member held in memory, unless the caller says otherwise. */
export const DEFAULT_MAX_VALUE_BYTES = 64 * 1024 * 1024;

// The tokenizer is flushed by passing stream-chain's `none`, which its typings leave out.
type Tokenizer = (input: string | typeof none) => { values: Token[] } | typeof none;

export type DocumentItem =
  | { kind: 'member'; key: string; value: unknown }
  | { kind: 'feature'; index: number; value: unknown }
  | { kind: 'featuresArray' };

type Container = Record<string, unknown> | unknown[];

/** Builds one JSON value from tokens; keys like "__proto__" stay plain data, as with JSON.parse. */
class ValueBuilder {
  private readonly stack: Container[] = [];
  private readonly keys: (string | null)[] = [];
  value: unknown = undefined;
  done = false;

  push(token: Token): void {
    switch (token.name) {
      case 'startObject': this.open({}); return;
      case 'startArray': this.open([]); return;
      case 'endObject':
      case 'endArray': {
        const closed = this.stack.pop();
        this.keys.pop();
        this.add(closed);
        return;
      }
      case 'keyValue': this.keys[this.keys.length - 1] = token.value; return;
      case 'stringValue': this.add(token.value); return;
      case 'numberValue': {
        // 1e400 becomes Infinity and is refused later; integers past 2^53 (18-digit BSM codes)
        // stay text so no digit is rounded away.
        const n = Number(token.value);
        this.add(Number.isSafeInteger(n) || !/^-?\d+$/.test(token.value) ? n : token.value);
        return;
      }
      case 'nullValue': this.add(null); return;
      case 'trueValue': this.add(true); return;
      case 'falseValue': this.add(false); return;
      default: return;
    }
  }

  private open(container: Container): void {
    this.stack.push(container);
    this.keys.push(null);
  }

  private add(value: unknown): void {
    const parent = this.stack[this.stack.length - 1];
    if (!parent) {
      this.value = value;
      this.done = true;
    } else if (Array.isArray(parent)) {
      parent.push(value);
    } else {
      const key = this.keys[this.keys.length - 1]!;
      if (key === '__proto__') Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
      else parent[key] = value;
    }
  }
}

/** Follows the document's outline: the top-level object, its members, and the features array. */
class DocumentMachine {
  private depth = 0;
  private key: string | null = null;
  private inFeatures = false;
  private builder: ValueBuilder | null = null;
  private featureIndex = 0;
  private items: DocumentItem[] = [];
  tokens = 0;
  /** bytes of input read while the value now being built stayed open (approximate: whole chunks) */
  private openBytes = 0;
  private silentBytes = 0;
  private sawTokens = false;

  constructor(private readonly at: IngestLocation, private readonly maxValueBytes = DEFAULT_MAX_VALUE_BYTES) {}

  /** Called after each chunk: a feature or member that outgrows the cap is refused before it is held. */
  measure(bytes: number): void {
    // Input that yields no token at all is one string or number the tokenizer is still gathering.
    this.silentBytes = this.sawTokens ? 0 : this.silentBytes + bytes;
    this.sawTokens = false;
    if (this.builder) this.openBytes += bytes;
    if (this.openBytes <= this.maxValueBytes && this.silentBytes <= this.maxValueBytes) return;
    const what: [string, string] = this.inFeatures ? ['要素', 'feature'] : [`顶层成员 ${this.key ?? ''}`, `top-level member "${this.key ?? ''}"`];
    throw packageError('RECORD_TOO_LARGE', `${what[0]}过大：超过单条记录上限 ${this.maxValueBytes} 字节`,
      `The ${what[1]} is too large: over the limit of ${this.maxValueBytes} bytes for one record`, this.location(), { limitBytes: this.maxValueBytes });
  }

  /** Where an error found now belongs: the feature being read, if any. */
  location(): IngestLocation {
    return this.inFeatures && this.builder ? { ...this.at, record: this.featureIndex } : this.at;
  }

  consume(tokens: readonly Token[]): void {
    this.tokens += tokens.length;
    if (tokens.length > 0) this.sawTokens = true;
    for (const token of tokens) {
      if (this.builder) {
        this.builder.push(token);
        if (this.builder.done) this.emit();
        continue;
      }
      if (this.depth === 0) {
        if (token.name !== 'startObject') {
          throw packageError('GEOJSON_INVALID', 'GeoJSON 文件的顶层必须是 FeatureCollection（或单个 Feature）对象',
            'The top level of a GeoJSON file must be a FeatureCollection (or a single Feature) object', this.at);
        }
        this.depth = 1;
      } else if (this.depth === 1) {
        if (token.name === 'keyValue') this.key = token.value;
        else if (token.name === 'endObject') this.depth = 0;
        else if (this.key === 'features' && token.name === 'startArray') {
          this.depth = 2;
          this.inFeatures = true;
          this.items.push({ kind: 'featuresArray' });
        } else this.start(token);
      } else if (token.name === 'endArray') {
        this.depth = 1;
        this.inFeatures = false;
      } else {
        this.featureIndex++;
        this.start(token);
      }
    }
  }

  private start(token: Token): void {
    this.builder = new ValueBuilder();
    this.builder.push(token);
    if (this.builder.done) this.emit();
  }

  private emit(): void {
    const value = this.builder!.value;
    this.builder = null;
    this.openBytes = 0;
    if (this.inFeatures) this.items.push({ kind: 'feature', index: this.featureIndex, value });
    else this.items.push({ kind: 'member', key: this.key!, value });
  }

  take(): DocumentItem[] {
    const items = this.items;
    this.items = [];
    return items;
  }
}

function unreadable(at: IngestLocation, en: string, zh: string, extra: Record<string, unknown> = {}): Error {
  return packageError('GEOJSON_UNREADABLE', `文件不是有效的 JSON 文档：${zh}`, `The file is not a valid JSON document: ${en}`, at, extra);
}

/**
 * Re-reads the file to say where it broke: stream-json's verifier knows line and column, and a
 * fresh tokenizer fed up to that point tells which feature was being read (the failing tokenizer
 * loses the tokens of the chunk it failed in).
 */
async function syntaxError(open: GeoJsonSource, cause: unknown, at: IngestLocation): Promise<Error> {
  const reason = cause instanceof Error ? cause.message.replace(/^Parser (cannot parse input: )?/, '') : String(cause);
  const verify = jsonVerifier() as unknown as (input: string | typeof none) => unknown;
  const parse = jsonParser({ streamValues: false }) as unknown as Tokenizer;
  const machine = new DocumentMachine(at);
  const decoder = new TextDecoder('utf-8');
  let start = 0;
  const step = (text: string | typeof none): void => {
    try {
      verify(text);
    } catch (error) {
      const { line, pos, offset } = error as { line?: number; pos?: number; offset?: number };
      if (typeof text === 'string' && typeof offset === 'number') {
        try {
          const out = parse(text.slice(0, Math.max(0, offset - start)));
          if (out !== none) machine.consume(out.values);
        } catch {
          // the location is a courtesy; the refusal stands without it
        }
      }
      throw Object.assign(new Error(), { line, pos, offset });
    }
    if (typeof text === 'string') {
      const out = parse(text);
      if (out !== none) machine.consume(out.values);
      start += text.length;
    }
  };
  try {
    for await (const chunk of open()) step(decoder.decode(toBytes(chunk), { stream: true }));
    step(decoder.decode());
    step(none);
  } catch (error) {
    const { line, pos, offset } = error as { line?: number; pos?: number; offset?: number };
    if (typeof line === 'number' && typeof pos === 'number') {
      return unreadable(machine.location(), `${reason} at line ${line}, column ${pos}`, `第 ${line} 行第 ${pos} 列有语法错误`, { line, column: pos, offset, reason });
    }
  }
  return unreadable(at, reason, '语法错误（原因见 details.reason）', { reason });
}

function toBytes(chunk: string | Buffer | Uint8Array): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Length of the prefix that ends on a whole UTF-8 sequence (the rest waits for the next chunk). */
function wholeSequences(bytes: Buffer): number {
  const end = bytes.length;
  for (let back = 1; back <= Math.min(3, end); back++) {
    const byte = bytes[end - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? end - back : end;
  }
  return end;
}

/** Offset of the first byte that does not start a valid UTF-8 sequence (only called when one exists). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) { i++; continue; }
    const [length, min, max] =
      b >= 0xc2 && b <= 0xdf ? [2, 0x80, 0xbf] :
      b === 0xe0 ? [3, 0xa0, 0xbf] : b === 0xed ? [3, 0x80, 0x9f] : b >= 0xe1 && b <= 0xef ? [3, 0x80, 0xbf] :
      b === 0xf0 ? [4, 0x90, 0xbf] : b === 0xf4 ? [4, 0x80, 0x8f] : b >= 0xf1 && b <= 0xf3 ? [4, 0x80, 0xbf] : [0, 0, 0];
    if (length === 0 || i + length > bytes.length) return i;
    const second = bytes[i + 1]!;
    if (second < min || second > max) return i;
    for (let k = 2; k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += length;
  }
  return bytes.length;
}

/**
 * Reads the document once, yielding its top-level members and features in file order, in batches
 * (one per input chunk). Throws GEOJSON_UNREADABLE, GEOJSON_INVALID or TEXT_UNDECODABLE with the
 * feature being read.
 */
export async function* readDocument(open: GeoJsonSource, at: IngestLocation, maxValueBytes = DEFAULT_MAX_VALUE_BYTES): AsyncGenerator<DocumentItem[]> {
  const parse = jsonParser({ streamValues: false }) as unknown as Tokenizer;
  const machine = new DocumentMachine(at, maxValueBytes);
  let failure: unknown = null;
  const feed = (text: string | typeof none): void => {
    let out;
    try {
      out = parse(text);
    } catch (error) {
      failure = error;
      return;
    }
    if (out !== none) machine.consume(out.values);
  };

  let carry: Buffer | null = null;
  let consumed = 0;
  let first = true;
  for await (const chunk of open()) {
    let bytes = toBytes(chunk);
    if (carry) bytes = Buffer.concat([carry, bytes]);
    const end = wholeSequences(bytes);
    if (!isUtf8(bytes.subarray(0, end))) {
      const bad = firstInvalidUtf8(bytes.subarray(0, end));
      feed(stripBom(bytes.toString('utf8', 0, bad), first));
      if (failure) throw await syntaxError(open, failure, at);
      // Bytes before the document even starts mean this is not JSON text at all (an image, a zip …).
      if (machine.tokens === 0) throw unreadable(at, 'not UTF-8 JSON text', '不是 UTF-8 编码的 JSON 文本', { byteOffset: consumed + bad });
      throw packageError('TEXT_UNDECODABLE', `文本不是有效的 UTF-8 编码（字节偏移 ${consumed + bad}）`,
        `The text is not valid UTF-8 (byte offset ${consumed + bad})`, machine.location(), { byteOffset: consumed + bad });
    }
    feed(stripBom(bytes.toString('utf8', 0, end), first));
    if (end > 0) first = false;
    if (failure) throw await syntaxError(open, failure, at);
    machine.measure(end);
    carry = end < bytes.length ? Buffer.from(bytes.subarray(end)) : null;
    consumed += end;
    yield machine.take();
  }
  if (carry) {
    throw packageError('TEXT_UNDECODABLE', `文件末尾的 UTF-8 字符不完整（字节偏移 ${consumed}）`,
      `The file ends inside a UTF-8 character (byte offset ${consumed})`, machine.location(), { byteOffset: consumed });
  }
  feed(none);
  if (failure) throw await syntaxError(open, failure, at);
  yield machine.take();
}

function stripBom(text: string, first: boolean): string {
  return first && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
