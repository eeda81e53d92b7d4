// A streaming ESRI shapefile writer for polygon layers: .shp/.shx/.dbf plus optional .prj/.cpg.
// Records go straight to disk through small buffers; the headers that need totals (file length,
// bounding box, record count) are patched in place on close, so a million-record layer never sits in
// memory. It is deliberately usable on its own: tests write small in-memory layers with it and then
// damage the files to exercise the importer.
//
// Formats: ESRI Shapefile Technical Description (July 1998) — big-endian file code/length and record
// headers, little-endian everything else, polygon = shape type 5 with outer rings clockwise and holes
// counter-clockwise; dBASE III table with C/N/F fields, ' ' / '*' deletion flag, 0x1A terminator and
// the language-driver id (LDID) byte 29 = 0x4D for GBK (code page 936).
import fs from 'node:fs';
import iconv from 'iconv-lite';
import { ringBBox, ringSignedArea } from './polygon.ts';

export type DbfFieldType = 'C' | 'N' | 'F';

export interface DbfField {
  name: string;
  type: DbfFieldType;
  length: number;
  decimals?: number;
}

/** A polygon: outer ring first, then holes; each ring a flat [x0, y0, x1, y1, …], closed or open. */
export type PolygonRings = readonly ArrayLike<number>[];
/** A shape: one or more polygons (a MultiPolygon). */
export type PolygonShape = readonly PolygonRings[];
export type AttributeValue = string | number | null | undefined;

export interface ShapefileRecord {
  /** null writes a Null shape */
  geometry: PolygonShape | null;
  /** by field name, or in field order */
  attributes: Readonly<Record<string, AttributeValue>> | readonly AttributeValue[];
  /** write the dBASE deletion flag '*' */
  deleted?: boolean;
}

export interface ShapefileOptions {
  /** DBF text encoding; default 'gbk' */
  encoding?: 'gbk' | 'utf-8';
  /** .prj content (ESRI WKT); null/undefined writes none */
  prj?: string | null;
  /** write a .cpg naming the encoding; default true */
  cpg?: boolean;
  /** write the .shx index; default true */
  shx?: boolean;
  /** re-orient rings as the spec wants (outer clockwise, holes counter-clockwise); default true */
  orient?: boolean;
  /** DBF "last update" date; fixed for reproducible files; default 2019-12-31 */
  date?: readonly [number, number, number];
}

export interface ShapefileResult {
  count: number;
  /** [minX, minY, maxX, maxY], or null when no record has a geometry */
  bbox: [number, number, number, number] | null;
  /** paths written, .shp first */
  files: string[];
}

const SHAPE_NULL = 0;
const SHAPE_POLYGON = 5;
const LDID: Record<string, number> = { gbk: 0x4d, 'utf-8': 0x00 };
const CPG: Record<string, string> = { gbk: 'GBK', 'utf-8': 'UTF-8' };

/** Appends bytes to a file through a fixed buffer; patches earlier bytes with writeAt. */
class BufferedFile {
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  position = 0;

  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'w');
  }

  /** Space for n bytes at the end of the buffer (flushing first if needed). */
  reserve(n: number): [Buffer, number] {
    if (n > this.buffer.length) {
      this.flush();
      const big = Buffer.alloc(n);
      return [big, -1];
    }
    if (this.used + n > this.buffer.length) this.flush();
    const at = this.used;
    this.used += n;
    this.position += n;
    return [this.buffer, at];
  }

  /** Writes a buffer obtained from reserve() when it was too big for the internal one. */
  writeBig(big: Buffer): void {
    fs.writeSync(this.fd, big);
    this.position += big.length;
  }

  write(bytes: Buffer): void {
    const [buf, at] = this.reserve(bytes.length);
    if (at < 0) this.writeBig(bytes);
    else bytes.copy(buf, at);
  }

  flush(): void {
    if (this.used > 0) fs.writeSync(this.fd, this.buffer, 0, this.used);
    this.used = 0;
  }

  writeAt(bytes: Buffer, position: number): void {
    this.flush();
    fs.writeSync(this.fd, bytes, 0, bytes.length, position);
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }

  /** Closes without flushing (after an error). */
  abandon(): void {
    fs.closeSync(this.fd);
  }
}

function validateFields(fields: readonly DbfField[]): void {
  const seen = new Set<string>();
  for (const field of fields) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,9}$/.test(field.name)) throw new Error(`DBF field name ${JSON.stringify(field.name)} must be 1-10 ASCII letters, digits or _`);
    if (seen.has(field.name.toUpperCase())) throw new Error(`duplicate DBF field ${field.name}`);
    seen.add(field.name.toUpperCase());
    if (!Number.isInteger(field.length) || field.length < 1 || field.length > 255) throw new Error(`DBF field ${field.name}: width ${field.length} is not 1-255`);
    const decimals = field.decimals ?? 0;
    if (field.type === 'C' && decimals !== 0) throw new Error(`DBF field ${field.name}: character fields have no decimals`);
    if (field.type !== 'C' && (decimals < 0 || decimals > 15 || (decimals > 0 && decimals > field.length - 2))) {
      throw new Error(`DBF field ${field.name}: ${decimals} decimals do not fit width ${field.length}`);
    }
  }
}

function shapeBox(shape: PolygonShape): [number, number, number, number] {
  const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const polygon of shape) {
    for (const ring of polygon) {
      const [minX, minY, maxX, maxY] = ringBBox(ring);
      box[0] = Math.min(box[0], minX);
      box[1] = Math.min(box[1], minY);
      box[2] = Math.max(box[2], maxX);
      box[3] = Math.max(box[3], maxY);
    }
  }
  return box;
}

function isClosed(ring: ArrayLike<number>): boolean {
  const n = ring.length;
  return n >= 4 && ring[0] === ring[n - 2] && ring[1] === ring[n - 1];
}

export class ShapefileWriter {
  private readonly shp: BufferedFile;
  private readonly shx: BufferedFile | null;
  private readonly dbf: BufferedFile;
  private readonly encoding: 'gbk' | 'utf-8';
  private readonly orient: boolean;
  private readonly recordLength: number;
  private readonly headerLength: number;
  private readonly encoded = new Map<string, Buffer>();
  private readonly files: string[];
  private count = 0;
  private bbox: [number, number, number, number] | null = null;
  private closed = false;

  constructor(
    readonly basePath: string,
    readonly fields: readonly DbfField[],
    private readonly options: ShapefileOptions = {},
  ) {
    validateFields(fields);
    this.encoding = options.encoding ?? 'gbk';
    this.orient = options.orient ?? true;
    this.shp = new BufferedFile(`${basePath}.shp`);
    this.shx = options.shx === false ? null : new BufferedFile(`${basePath}.shx`);
    this.dbf = new BufferedFile(`${basePath}.dbf`);
    this.files = [`${basePath}.shp`, ...(this.shx ? [`${basePath}.shx`] : []), `${basePath}.dbf`];
    this.shp.write(Buffer.alloc(100));
    this.shx?.write(Buffer.alloc(100));
    this.headerLength = 32 + 32 * fields.length + 1;
    this.recordLength = 1 + fields.reduce((sum, f) => sum + f.length, 0);
    if (this.recordLength > 65535) throw new Error(`DBF record length ${this.recordLength} exceeds 65535`);
    this.dbf.write(this.dbfHeader(0));
  }

  private dbfHeader(count: number): Buffer {
    const header = Buffer.alloc(this.headerLength);
    const [year, month, day] = this.options.date ?? [2019, 12, 31];
    header[0] = 0x03; // dBASE III without memo
    header[1] = year - 1900;
    header[2] = month;
    header[3] = day;
    header.writeUInt32LE(count, 4);
    header.writeUInt16LE(this.headerLength, 8);
    header.writeUInt16LE(this.recordLength, 10);
    header[29] = LDID[this.encoding]!;
    this.fields.forEach((field, k) => {
      const at = 32 + 32 * k;
      header.write(field.name.toUpperCase(), at, 10, 'latin1');
      header.write(field.type, at + 11, 1, 'latin1');
      header[at + 16] = field.length;
      header[at + 17] = field.decimals ?? 0;
    });
    header[this.headerLength - 1] = 0x0d;
    return header;
  }

  private encode(text: string, field: DbfField): Buffer {
    let bytes = this.encoded.get(text);
    if (!bytes) {
      bytes = this.encoding === 'gbk' ? iconv.encode(text, 'gbk') : Buffer.from(text, 'utf8');
      if (this.encoding === 'gbk' && bytes.filter((b) => b === 0x3f).length > [...text].filter((c) => c === '?').length) {
        throw new Error(`field ${field.name}: ${JSON.stringify(text)} has characters GBK cannot encode`);
      }
      if (this.encoded.size > 50_000) this.encoded.clear(); // names repeat a lot; keep the cache bounded
      this.encoded.set(text, bytes);
    }
    if (bytes.length > field.length) {
      throw new Error(`field ${field.name}: ${JSON.stringify(text)} is ${bytes.length} bytes in ${this.encoding}, longer than its width ${field.length}`);
    }
    return bytes;
  }

  private writeAttributes(record: ShapefileRecord): void {
    const [buf, at0] = this.dbf.reserve(this.recordLength);
    const target = at0 < 0 ? Buffer.alloc(this.recordLength) : buf;
    const base = at0 < 0 ? 0 : at0;
    target.fill(0x20, base, base + this.recordLength);
    target[base] = record.deleted ? 0x2a : 0x20;
    let at = base + 1;
    const values = record.attributes;
    const byIndex = Array.isArray(values);
    this.fields.forEach((field, k) => {
      const value = byIndex ? (values as readonly AttributeValue[])[k] : (values as Record<string, AttributeValue>)[field.name];
      if (value !== null && value !== undefined && value !== '') {
        if (field.type === 'C') {
          this.encode(String(value), field).copy(target, at);
        } else {
          if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`field ${field.name}: ${JSON.stringify(value)} is not a finite number`);
          const text = value.toFixed(field.decimals ?? 0);
          if (text.length > field.length) throw new Error(`field ${field.name}: ${text} does not fit width ${field.length}`);
          target.write(text, at + field.length - text.length, 'latin1'); // right-aligned
        }
      }
      at += field.length;
    });
    if (at0 < 0) this.dbf.writeBig(target);
  }

  write(record: ShapefileRecord): void {
    if (this.closed) throw new Error('ShapefileWriter: write after close');
    this.count++;
    const offsetWords = this.shp.position / 2;
    let contentBytes: number;
    const shape = record.geometry && record.geometry.length > 0 ? record.geometry : null;
    if (!shape) {
      contentBytes = 4;
      const [buf, at] = this.shp.reserve(8 + contentBytes);
      buf.writeInt32BE(this.count, at);
      buf.writeInt32BE(contentBytes / 2, at + 4);
      buf.writeInt32LE(SHAPE_NULL, at + 8);
    } else {
      const rings: { ring: ArrayLike<number>; reverse: boolean; closed: boolean; points: number }[] = [];
      for (const polygon of shape) {
        polygon.forEach((ring, k) => {
          const signed = ringSignedArea(ring);
          // Outer rings clockwise (negative shoelace area), holes counter-clockwise.
          const reverse = this.orient && (k === 0 ? signed > 0 : signed < 0);
          const closed = isClosed(ring);
          rings.push({ ring, reverse, closed, points: (ring.length >> 1) + (closed ? 0 : 1) });
        });
      }
      const points = rings.reduce((sum, r) => sum + r.points, 0);
      contentBytes = 44 + 4 * rings.length + 16 * points;
      const box = shapeBox(shape);
      this.bbox = this.bbox
        ? [Math.min(this.bbox[0], box[0]), Math.min(this.bbox[1], box[1]), Math.max(this.bbox[2], box[2]), Math.max(this.bbox[3], box[3])]
        : box;
      const [buf0, at0] = this.shp.reserve(8 + contentBytes);
      const buf = at0 < 0 ? Buffer.alloc(8 + contentBytes) : buf0;
      let at = at0 < 0 ? 0 : at0;
      buf.writeInt32BE(this.count, at);
      buf.writeInt32BE(contentBytes / 2, at + 4);
      buf.writeInt32LE(SHAPE_POLYGON, at + 8);
      box.forEach((v, k) => buf.writeDoubleLE(v, at + 12 + 8 * k));
      buf.writeInt32LE(rings.length, at + 44);
      buf.writeInt32LE(points, at + 48);
      at += 52;
      let start = 0;
      for (const r of rings) {
        buf.writeInt32LE(start, at);
        at += 4;
        start += r.points;
      }
      for (const { ring, reverse, closed, points: count } of rings) {
        const n = ring.length >> 1;
        const open = closed ? n - 1 : n; // distinct points; the closing one is written last
        for (let k = 0; k < count; k++) {
          // Forward: 0 … open-1, then 0. Reversed: 0, open-1 … 1, then 0 — same first point.
          const idx = k === count - 1 ? 0 : reverse ? (open - k) % open : k;
          buf.writeDoubleLE(ring[2 * idx]!, at);
          buf.writeDoubleLE(ring[2 * idx + 1]!, at + 8);
          at += 16;
        }
      }
      if (at0 < 0) this.shp.writeBig(buf);
    }
    if (this.shx) {
      const [buf, at] = this.shx.reserve(8);
      buf.writeInt32BE(offsetWords, at);
      buf.writeInt32BE(contentBytes / 2, at + 4);
    }
    this.writeAttributes(record);
  }

  private mainHeader(fileBytes: number): Buffer {
    const header = Buffer.alloc(100);
    header.writeInt32BE(9994, 0);
    header.writeInt32BE(fileBytes / 2, 24);
    header.writeInt32LE(1000, 28);
    header.writeInt32LE(SHAPE_POLYGON, 32);
    (this.bbox ?? [0, 0, 0, 0]).forEach((v, k) => header.writeDoubleLE(v, 36 + 8 * k));
    return header;
  }

  /** Closes the files after a failure, leaving them incomplete. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    for (const file of [this.shp, this.shx, this.dbf]) file?.abandon();
  }

  close(): ShapefileResult {
    if (this.closed) throw new Error('ShapefileWriter: closed twice');
    this.closed = true;
    this.shp.writeAt(this.mainHeader(this.shp.position), 0);
    this.shp.close();
    if (this.shx) {
      this.shx.writeAt(this.mainHeader(this.shx.position), 0);
      this.shx.close();
    }
    this.dbf.write(Buffer.from([0x1a]));
    this.dbf.writeAt(this.dbfHeader(this.count), 0);
    this.dbf.close();
    if (this.options.prj) {
      fs.writeFileSync(`${this.basePath}.prj`, this.options.prj, 'latin1');
      this.files.push(`${this.basePath}.prj`);
    }
    if (this.options.cpg ?? true) {
      fs.writeFileSync(`${this.basePath}.cpg`, CPG[this.encoding]!, 'latin1');
      this.files.push(`${this.basePath}.cpg`);
    }
    return { count: this.count, bbox: this.bbox, files: this.files };
  }
}

/** Writes a whole layer from records in memory or from a (async) generator. basePath has no extension. */
export async function writeShapefile(
  basePath: string,
  fields: readonly DbfField[],
  records: Iterable<ShapefileRecord> | AsyncIterable<ShapefileRecord>,
  options: ShapefileOptions = {},
): Promise<ShapefileResult> {
  const writer = new ShapefileWriter(basePath, fields, options);
  try {
    for await (const record of records) writer.write(record);
  } catch (error) {
    writer.abort();
    throw error;
  }
  return writer.close();
}

/** ESRI WKT for CGCS2000 3-degree Gauss-Kruger zone 40/41 with zone-prefixed eastings, as ArcGIS writes it. */
export function gaussKrugerPrj(zone: 40 | 41): string {
  const cm = zone * 3;
  return (
    `PROJCS["CGCS2000_3_Degree_GK_Zone_${zone}",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",` +
    `DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],` +
    `UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",${zone}500000.0],` +
    `PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",${cm}.0],PARAMETER["Scale_Factor",1.0],` +
    `PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
  );
}
