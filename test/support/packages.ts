// Small real-format survey packages for the ingest tests, written with the generator's shapefile
// writer and zipped with yazl; helpers damage them the ways district packages arrive damaged.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yazl from 'yazl';
import { zipToBuffer } from '../../server/export/spreadsheet.ts';
import { gaussKrugerPrj, writeShapefile, type DbfField, type ShapefileOptions, type ShapefileRecord } from '../../server/seed/generator/shapefile-writer.ts';

export const ZONE40_PRJ = gaussKrugerPrj(40);

/** The DLTB fields as a 三调 shapefile declares them (widths from layers.json). */
export const DLTB_FIELDS: DbfField[] = [
  { name: 'BSM', type: 'C', length: 18 }, { name: 'YSDM', type: 'C', length: 10 }, { name: 'TBBH', type: 'C', length: 8 },
  { name: 'DLBM', type: 'C', length: 5 }, { name: 'DLMC', type: 'C', length: 60 }, { name: 'QSXZ', type: 'C', length: 2 },
  { name: 'QSDWDM', type: 'C', length: 19 }, { name: 'QSDWMC', type: 'C', length: 255 }, { name: 'ZLDWDM', type: 'C', length: 19 },
  { name: 'ZLDWMC', type: 'C', length: 255 }, { name: 'TBMJ', type: 'N', length: 15, decimals: 2 }, { name: 'KCXS', type: 'N', length: 6, decimals: 4 },
  { name: 'TBDLMJ', type: 'N', length: 15, decimals: 2 }, { name: 'SJNF', type: 'N', length: 4, decimals: 0 }, { name: 'MSSM', type: 'C', length: 2 },
];

/** A 100 m square in zone 40: the AREA.md test vector puts its ellipsoidal area at 9 995.16 m². */
export const SQUARE_TBMJ = 9995.16;

export function square(originE: number, originN: number, size = 100): number[] {
  return [originE, originN, originE, originN + size, originE + size, originN + size, originE + size, originN, originE, originN];
}

export function dltbRecord(index: number, overrides: Record<string, string | number | null> = {}, geometry?: number[]): ShapefileRecord {
  return {
    geometry: [[geometry ?? square(40_640_000 + (index % 500) * 100, 3_450_000 + Math.floor(index / 500) * 100)]],
    attributes: {
      BSM: `31015121100000${String(index).padStart(4, '0')}`,
      YSDM: '2001010100',
      TBBH: String(index),
      DLBM: index % 2 ? '0101' : '0702',
      DLMC: index % 2 ? '水田' : '农村宅基地',
      QSXZ: '30',
      QSDWDM: '3101511010010000000',
      QSDWMC: '崇明区城桥镇长兴村',
      ZLDWDM: '3101511010010000000',
      ZLDWMC: '崇明区城桥镇长兴村',
      TBMJ: SQUARE_TBMJ,
      KCXS: 0,
      TBDLMJ: SQUARE_TBMJ,
      SJNF: 2019,
      MSSM: '00',
      ...overrides,
    },
  };
}

export function tempDir(prefix = 'lsp-pkg-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes a shapefile set into `dir` and returns its files by extension. */
export async function writeLayer(
  dir: string,
  name: string,
  records: ShapefileRecord[],
  options: ShapefileOptions & { fields?: DbfField[] } = {},
): Promise<Record<string, string>> {
  const { fields = DLTB_FIELDS, ...writerOptions } = options;
  const result = await writeShapefile(path.join(dir, name), fields, records, { prj: ZONE40_PRJ, ...writerOptions });
  return Object.fromEntries(result.files.map((file) => [path.extname(file).toLowerCase(), file]));
}

export interface ZipEntryInput {
  name: string;
  data: Buffer | string;
  /** store uncompressed */
  store?: boolean;
}

export function zipEntries(entries: ZipEntryInput[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    zip.addBuffer(Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data), entry.name, {
      compress: !entry.store,
      mtime: new Date('2020-01-01T00:00:00Z'),
    });
  }
  return zipToBuffer(zip);
}

/** Zips every file of a folder by its base name (or under `prefix/`). */
export function zipFolder(dir: string, prefix = ''): Promise<Buffer> {
  return zipEntries(fs.readdirSync(dir).map((name) => ({ name: `${prefix}${name}`, data: fs.readFileSync(path.join(dir, name)) })));
}

/** A clean DLTB package of `count` squares. */
export async function dltbPackage(count = 3, options: ShapefileOptions = {}): Promise<Buffer> {
  const dir = tempDir();
  await writeLayer(dir, 'DLTB', Array.from({ length: count }, (_, index) => dltbRecord(index + 1)), options);
  return zipFolder(dir);
}

/** multipart/form-data with one file field, as a browser sends it. */
export function multipartBody(fileName: string, content: Buffer): { payload: Buffer; contentType: string } {
  const boundary = `----lsp${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, content, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}
