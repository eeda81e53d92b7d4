// dBASE (.dbf) attribute tables of shapefiles, read record by record. Text is decoded per field
// with the encoding the caller resolved (.cpg, language driver byte, detection or override);
// numbers are kept as the decimal text written in the file, so a recorded area is exactly what
// the surveyor delivered.
import type { Readable } from 'node:stream';
import { IngestError, packageError, type IngestLocation } from '../errors.ts';
import { latin1, type FieldDecoder } from '../encoding.ts';
import { ByteReader } from './byte-reader.ts';
import { DECIMAL_TEXT, type SourceField } from './types.ts';

export interface DbfField extends SourceField {
  /** dBASE type letter: C N F L D I O T @ M … */
  dbfType: string;
  offset: number;
  width: number;
}

export interface DbfHeader {
  recordCount: number;
  headerLength: number;
  recordLength: number;
  languageDriverId: number;
  fields: DbfField[];
  /** raw bytes of the field names, decoded once the encoding is known */
  rawNames: Buffer[];
}

export async function readDbfHeader(reader: ByteReader, at: IngestLocation): Promise<DbfHeader> {
  const fixed = await reader.read(32);
  if (!fixed || fixed.truncated) throw packageError('DBF_TRUNCATED', '.dbf 文件头不完整', 'The .dbf header is incomplete', at);
  const head = fixed.bytes;
  const recordCount = head.readUInt32LE(4);
  const headerLength = head.readUInt16LE(8);
  const recordLength = head.readUInt16LE(10);
  const languageDriverId = head[29] ?? 0;
  if (headerLength < 33 || recordLength < 1 || headerLength > 65535) {
    throw packageError('DBF_UNREADABLE', '.dbf 文件头无效', 'The .dbf header is not valid', at);
  }
  const rest = await reader.read(headerLength - 32);
  if (!rest || rest.truncated) throw packageError('DBF_TRUNCATED', '.dbf 字段定义不完整', 'The .dbf field descriptors are incomplete', at);
  const fields: DbfField[] = [];
  const rawNames: Buffer[] = [];
  let offset = 1; // the deletion flag
  for (let at32 = 0; at32 + 32 <= rest.bytes.length && rest.bytes[at32] !== 0x0d; at32 += 32) {
    const descriptor = rest.bytes.subarray(at32, at32 + 32);
    const nameEnd = descriptor.indexOf(0);
    const rawName = Buffer.from(descriptor.subarray(0, nameEnd >= 0 && nameEnd < 11 ? nameEnd : 11));
    const dbfType = String.fromCharCode(descriptor[11]!).toUpperCase();
    const width = descriptor[16]!;
    const decimals = descriptor[17]!;
    rawNames.push(rawName);
    fields.push({ name: rawName.toString('latin1'), type: sourceType(dbfType, decimals), dbfType, offset, width, length: width, decimals, });
    offset += width;
  }
  if (offset !== recordLength) {
    throw packageError('DBF_UNREADABLE', `.dbf 记录长度（${recordLength}）与字段宽度之和（${offset}）不符`, `The .dbf record length (${recordLength}) does not match its fields (${offset})`, at);
  }
  return { recordCount, headerLength, recordLength, languageDriverId, fields, rawNames };
}

function sourceType(dbfType: string, decimals: number): SourceField['type'] {
  switch (dbfType) {
    case 'N':
      return decimals > 0 ? 'number' : 'integer';
    case 'F':
    case 'O':
      return 'number';
    case 'I':
    case '+':
      return 'integer';
    case 'L':
      return 'boolean';
    case 'D':
      return 'date';
    default:
      return 'string';
  }
}

export interface DbfRecord {
  deleted: boolean;
  values: (string | number | boolean | null)[];
}

/**
 * Reads records after the header (`reader` positioned at headerLength). `next` answers without
 * a promise while the record is already buffered: a million awaits would cost more than parsing.
 */
export class DbfCursor {
  private index = 0;

  constructor(
    private readonly reader: ByteReader,
    private readonly header: DbfHeader,
    private readonly decode: FieldDecoder,
    private readonly at: IngestLocation,
  ) {}

  /** null after the last record the header declares */
  next(): DbfRecord | null | Promise<DbfRecord | null> {
    if (this.index >= this.header.recordCount) return null;
    const bytes = this.reader.readBuffered(this.header.recordLength);
    if (bytes) return this.parse(bytes);
    return this.reader.read(this.header.recordLength).then((read) => {
      if (!read || read.truncated) return this.parse(null);
      return this.parse(read.bytes);
    });
  }

  private parse(bytes: Buffer | null): DbfRecord {
    const index = ++this.index;
    const { fields, recordCount } = this.header;
    if (!bytes || bytes[0] === 0x1a) {
      throw packageError(
        'DBF_TRUNCATED',
        `.dbf 文件在第 ${index} 条记录处截断（文件头声明 ${recordCount} 条）`,
        `The .dbf ends at record ${index} but its header declares ${recordCount}`,
        { ...this.at, record: index },
        { declared: recordCount },
      );
    }
    const values: DbfRecord['values'] = new Array(fields.length);
    let f = 0;
    try {
      for (; f < fields.length; f++) values[f] = fieldValue(bytes, fields[f]!, this.decode);
    } catch (error) {
      throw relocate(error, { ...this.at, record: index, field: fields[f]?.name ?? '' });
    }
    return { deleted: bytes[0] === 0x2a, values };
  }
}

/** Locations are attached only when something fails: building one per field would dominate. */
function relocate(error: unknown, at: IngestLocation): unknown {
  if (error instanceof IngestError) return error.at(at);
  return error;
}

function fieldValue(bytes: Buffer, field: DbfField, decode: FieldDecoder): string | number | boolean | null {
  const start = field.offset;
  const end = start + field.width;
  switch (field.dbfType) {
    case 'C': {
      const text = decode(bytes, start, end);
      return text === '' ? null : text;
    }
    case 'N':
    case 'F':
      return numberText(bytes, start, end);
    case 'L': {
      const flag = String.fromCharCode(bytes[start]!).toUpperCase();
      if ('TY'.includes(flag)) return true;
      if ('FN'.includes(flag)) return false;
      return null;
    }
    case 'D': {
      const text = bytes.toString('latin1', start, end).trim();
      if (!/^\d{8}$/.test(text) || text === '00000000') return null;
      return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
    }
    case 'I':
    case '+':
      return field.width === 4 ? bytes.readInt32LE(start) : null;
    case 'O':
      return field.width === 8 ? bytes.readDoubleLE(start) : null;
    default:
      // Memo, timestamp and other types carry nothing the 三调 layers use; they are reported
      // as unknown fields and kept empty.
      return null;
  }
}

/**
 * A numeric field's text exactly as written (right-aligned, space-padded), or null when blank or
 * when the writer marked an overflow with asterisks. Plain decimals are checked byte by byte;
 * anything else must still read as a number.
 */
function numberText(bytes: Buffer, start: number, end: number): string | null {
  while (start < end && (bytes[start] === 0x20 || bytes[start] === 0)) start++;
  while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0)) end--;
  if (start === end) return null;
  let plain = true;
  let stars = true;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte !== 0x2a) stars = false;
    if (!((byte >= 0x30 && byte <= 0x39) || byte === 0x2e || (i === start && byte === 0x2d))) plain = false;
  }
  if (stars) return null;
  const text = latin1(bytes, start, end);
  if (!plain && !DECIMAL_TEXT.test(text)) {
    throw packageError('FIELD_VALUE_INVALID', `数值字段的值不是数字："${text}"`, `A numeric field holds "${text}", which is not a number`);
  }
  return text;
}

export async function openDbf(stream: Readable, at: IngestLocation): Promise<{ reader: ByteReader; header: DbfHeader }> {
  const reader = new ByteReader(stream);
  const header = await readDbfHeader(reader, at);
  return { reader, header };
}
