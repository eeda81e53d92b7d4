// An ESRI shapefile set (.shp .shx .dbf .prj .cpg) as a SourceLayer. The .shp and .dbf are read
// in lockstep as streams straight out of the zip; the .shx is only used to count records up
// front, so a set without one is read all the same (with a warning).
import type { Readable } from 'node:stream';
import { crsFromEpsg, identifyPrj, inferCrs, type CrsResolution } from '../crs.ts';
import { createFieldDecoder, detectEncoding, encodingFromCpg, encodingFromLdid, type TextEncodingName } from '../encoding.ts';
import { IngestError, packageError, type IngestLocation } from '../errors.ts';
import { ByteReader } from './byte-reader.ts';
import { DbfCursor, openDbf, type DbfHeader } from './dbf.ts';
import { polygonRecordToWkb } from './shp-geometry.ts';
import { geometryTypeZh, type GeometryTypeName, type LayerCandidate, type SourceLayer, type SourceRecord } from './types.ts';

export interface ShapefileSetInput {
  /** layer name: the base name of the .shp */
  name: string;
  /** path of the .shp inside the package */
  file: string;
  /** path of the .dbf, or null when the set has none (refused only if the layer is imported) */
  dbfFile: string | null;
  openShp: () => Promise<Readable>;
  openDbf: () => Promise<Readable>;
  shpSize: number;
  /** uncompressed size of the .shx, or null when the set has none */
  shxSize: number | null;
  /** the .prj and .cpg text (null when absent), read only when the layer is imported */
  readPrj: () => Promise<string | null>;
  readCpg: () => Promise<string | null>;
  encodingOverride: TextEncodingName | null;
  declaredEpsg: number | null;
  /** largest record content held in memory; a larger one is refused before it is read */
  maxRecordBytes: number;
}

const SHAPE_TYPES: Record<number, GeometryTypeName | null> = {
  0: null, 1: 'Point', 11: 'Point', 21: 'Point', 3: 'MultiLineString', 13: 'MultiLineString', 23: 'MultiLineString',
  5: 'MultiPolygon', 15: 'MultiPolygon', 25: 'MultiPolygon', 8: 'MultiPoint', 18: 'MultiPoint', 28: 'MultiPoint', 31: 'GeometryCollection',
};
const POLYGON_TYPES = new Set([5, 15, 25]);
/** how many leading records are sampled to tell GBK from UTF-8 when nothing declares it */
const ENCODING_SAMPLE_RECORDS = 2000;

/**
 * The set as a candidate layer: only the .dbf header is read, for the field names (ASCII in
 * every 三调 layer; anything else is decoded leniently here, strictly once the layer is opened).
 */
export async function shapefileCandidate(input: ShapefileSetInput): Promise<LayerCandidate> {
  let fieldNames: string[] = [];
  if (input.dbfFile !== null) {
    const probe = await openDbf(await input.openDbf(), { file: input.dbfFile, layer: input.name });
    await probe.reader.close();
    fieldNames = probe.header.rawNames.map((raw) => lenientText(raw).toUpperCase());
  }
  return { format: 'shapefile', name: input.name, file: input.file, fieldNames, open: () => openShapefileLayer(input) };
}

function lenientText(bytes: Buffer): string {
  for (const label of ['utf-8', 'gb18030']) {
    try {
      return new TextDecoder(label, { fatal: true }).decode(bytes);
    } catch {
      // next candidate
    }
  }
  return bytes.toString('latin1');
}

export async function openShapefileLayer(input: ShapefileSetInput): Promise<SourceLayer> {
  const at: IngestLocation = { file: input.file, layer: input.name };
  if (input.dbfFile === null) {
    throw packageError('SHAPEFILE_DBF_MISSING', 'shapefile 缺少 .dbf 属性表文件', 'The shapefile has no .dbf attribute table', at);
  }
  const dbfAt: IngestLocation = { file: input.dbfFile, layer: input.name };
  const warnings: string[] = [];
  const header = await readShpHeader(await input.openShp(), input.shpSize, at);

  const probe = await openDbf(await input.openDbf(), dbfAt);
  const cpgText = await input.readCpg();
  const encoding = await resolveEncoding(input, cpgText, probe.reader, probe.header, warnings, dbfAt);
  await probe.reader.close();
  const decode = createFieldDecoder(encoding.name);
  const names = probe.header.rawNames.map((raw) => decode(raw, 0, raw.length).toUpperCase());
  const fields = probe.header.fields.map((field, index) => ({ ...field, name: names[index] ?? field.name }));

  if (input.shxSize === null) warnings.push('缺少 .shx 索引文件，已按 .shp 顺序读取 / no .shx index: records read in .shp order');
  else {
    const shxCount = (input.shxSize - 100) / 8;
    if (shxCount !== probe.header.recordCount) throw countMismatch(input, shxCount, probe.header.recordCount);
  }

  const crs = resolveCrs(input, await input.readPrj(), header.bbox, at, warnings);
  return {
    format: 'shapefile',
    name: input.name,
    file: input.file,
    attributesFile: input.dbfFile,
    fields,
    featureCount: probe.header.recordCount,
    crs,
    encoding,
    warnings,
    declaredGeometryType: SHAPE_TYPES[header.shapeType] ?? null,
    records: () => readRecords(readBatches(input, decode, at, dbfAt)),
    batches: () => readBatches(input, decode, at, dbfAt),
  };
}

interface ShpHeader {
  shapeType: number;
  bbox: [number, number, number, number];
}

async function readShpHeader(stream: Readable, size: number, at: IngestLocation): Promise<ShpHeader> {
  const reader = new ByteReader(stream);
  try {
    const read = await reader.read(100);
    if (!read || read.truncated) throw packageError('SHAPEFILE_TRUNCATED', '.shp 文件头不完整', 'The .shp header is incomplete', at);
    const head = read.bytes;
    if (head.readInt32BE(0) !== 9994) throw packageError('SHAPEFILE_UNREADABLE', '不是 ESRI shapefile（.shp 文件标识错误）', 'Not an ESRI shapefile (wrong .shp file code)', at);
    const declaredBytes = head.readInt32BE(24) * 2;
    if (declaredBytes > size) {
      throw packageError('SHAPEFILE_TRUNCATED', `.shp 文件被截断：文件头声明 ${declaredBytes} 字节，实际 ${size} 字节`, `The .shp is truncated: its header declares ${declaredBytes} bytes but it has ${size}`, at, { declaredBytes, actualBytes: size });
    }
    const shapeType = head.readInt32LE(32);
    return { shapeType, bbox: [head.readDoubleLE(36), head.readDoubleLE(44), head.readDoubleLE(52), head.readDoubleLE(60)] };
  } finally {
    await reader.close();
  }
}

async function resolveEncoding(
  input: ShapefileSetInput,
  cpgText: string | null,
  reader: ByteReader,
  header: DbfHeader,
  warnings: string[],
  dbfAt: IngestLocation,
): Promise<{ name: TextEncodingName; source: NonNullable<SourceLayer['encoding']>['source'] }> {
  if (input.encodingOverride) return { name: input.encodingOverride, source: 'override' };
  if (cpgText !== null) {
    const fromCpg = encodingFromCpg(cpgText);
    if (fromCpg) return { name: fromCpg, source: 'cpg' };
    warnings.push(`.cpg 中的编码"${cpgText.trim()}"无法识别，改为自动判断 / unknown .cpg encoding "${cpgText.trim()}": detected instead`);
  }
  const fromLdid = encodingFromLdid(header.languageDriverId);
  if (fromLdid) return { name: fromLdid, source: 'ldid' };
  // Nothing declares it: look at the bytes of the text fields in the first records.
  const textFields = header.fields.filter((field) => field.dbfType === 'C');
  const separator = Buffer.from(' ');
  const sample: Buffer[] = header.rawNames.flatMap((raw) => [raw, separator]);
  let sampled = 0;
  for (let index = 0; index < Math.min(header.recordCount, ENCODING_SAMPLE_RECORDS); index++) {
    const record = await reader.read(header.recordLength);
    if (!record || record.truncated) break;
    for (const field of textFields) {
      const bytes = record.bytes.subarray(field.offset, field.offset + field.width);
      if (bytes.some((byte) => byte >= 0x80)) {
        sample.push(Buffer.from(bytes), separator);
        sampled += bytes.length;
      }
    }
    if (sampled > 256 * 1024) break;
  }
  const detected = detectEncoding(Buffer.concat(sample), dbfAt);
  if (sampled > 0) warnings.push(`未声明字符编码（无 .cpg），按内容判断为 ${detected.encoding} / no declared encoding: detected ${detected.encoding}`);
  return { name: detected.encoding, source: 'detected' };
}

function resolveCrs(input: ShapefileSetInput, prjText: string | null, bbox: [number, number, number, number], at: IngestLocation, warnings: string[]): CrsResolution {
  if (input.declaredEpsg !== null) {
    const declared = crsFromEpsg(input.declaredEpsg, 'override');
    if (!declared) throw new IngestError(400, 'CRS_UNSUPPORTED', `不支持的坐标系 EPSG:${input.declaredEpsg}`, `Unsupported coordinate system EPSG:${input.declaredEpsg}`, at);
    return declared;
  }
  if (prjText !== null && prjText.trim() !== '') return identifyPrj(prjText, { ...at, file: input.file.replace(/\.shp$/i, '.prj') });
  const inferred = inferCrs(bbox, at);
  warnings.push(`缺少 .prj，按坐标推断为 EPSG:${inferred.epsg}（${inferred.name}），请核实 / no .prj: EPSG:${inferred.epsg} (${inferred.name}) inferred from the coordinates; please confirm`);
  return inferred;
}

function countMismatch(input: ShapefileSetInput, shpCount: number, dbfCount: number): IngestError {
  return packageError(
    'SHAPEFILE_COUNT_MISMATCH',
    `.shp 与 .dbf 的记录数不一致：几何 ${shpCount} 条，属性 ${dbfCount} 条`,
    `The .shp and .dbf hold different numbers of records: ${shpCount} shapes, ${dbfCount} attribute rows`,
    { file: input.file, layer: input.name },
    { shpRecords: shpCount, dbfRecords: dbfCount },
  );
}

/** Records per yielded batch: one promise per batch, not per record. */
const BATCH = 512;

async function* readBatches(
  input: ShapefileSetInput,
  decode: ReturnType<typeof createFieldDecoder>,
  at: IngestLocation,
  dbfAt: IngestLocation,
): AsyncGenerator<SourceRecord[]> {
  const shp = new ByteReader(await input.openShp());
  const { reader: dbfReader, header } = await openDbf(await input.openDbf(), dbfAt);
  const attributes = new DbfCursor(dbfReader, header, decode, dbfAt);
  let index = 0;
  let batch: SourceRecord[] = [];
  try {
    await shp.skip(100);
    for (;;) {
      let recordHeader = shp.readBuffered(8);
      if (!recordHeader) {
        const read = await shp.read(8);
        if (!read) break;
        recordHeader = read.truncated ? null : read.bytes;
      }
      index++;
      const contentLength = recordHeader ? recordHeader.readInt32BE(4) * 2 : -1;
      if (contentLength > input.maxRecordBytes) {
        throw packageError('RECORD_TOO_LARGE', `记录过大：声明 ${contentLength} 字节，单条记录上限 ${input.maxRecordBytes} 字节`,
          `The record is too large: it declares ${contentLength} bytes; one record may hold at most ${input.maxRecordBytes}`,
          { ...at, record: index }, { sizeBytes: contentLength, limitBytes: input.maxRecordBytes });
      }
      let content = contentLength >= 4 ? shp.readBuffered(contentLength) : null;
      if (!content && contentLength >= 4) {
        const read = await shp.read(contentLength);
        content = read && !read.truncated ? read.bytes : null;
      }
      if (!content) {
        throw packageError('SHAPEFILE_TRUNCATED', `.shp 文件在第 ${index} 条记录处截断`, `The .shp is truncated at record ${index}`, { ...at, record: index });
      }
      if (index > header.recordCount) throw countMismatch(input, index, header.recordCount);
      let row = attributes.next();
      if (row instanceof Promise) row = await row;
      if (!row) throw countMismatch(input, index, header.recordCount);
      if (row.deleted) continue;
      const shape = shapeOf(content);
      batch.push({ index, geometryType: shape.geometryType, wkb: shape.wkb, bbox: shape.bbox, issues: shape.issues, values: row.values });
      if (batch.length >= BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (index < header.recordCount) throw countMismatch(input, index, header.recordCount);
    if (batch.length) yield batch;
  } catch (error) {
    if (error instanceof IngestError) throw error.at({ ...at, record: index });
    throw packageError('PACKAGE_ENTRY_UNREADABLE', '读取 shapefile 时出错（文件可能已损坏）', 'Reading the shapefile failed (the file may be damaged)', { ...at, record: index }, { reason: (error as Error).message });
  } finally {
    await shp.close();
    await dbfReader.close();
  }
}

async function* readRecords(batches: AsyncGenerator<SourceRecord[]>): AsyncGenerator<SourceRecord> {
  for await (const batch of batches) yield* batch;
}

function shapeOf(content: Buffer): Pick<SourceRecord, 'geometryType' | 'wkb' | 'bbox' | 'issues'> {
  const shapeType = content.readInt32LE(0);
  if (shapeType === 0) return { geometryType: null, wkb: null, bbox: null, issues: [] };
  if (!POLYGON_TYPES.has(shapeType)) {
    // The importer refuses non-polygon layers from the header; a polygon file may not mix types.
    throw packageError('GEOMETRY_TYPE_MISMATCH', `记录的几何类型（${geometryTypeZh(SHAPE_TYPES[shapeType] ?? String(shapeType))}）不是面`, `The record's geometry (${SHAPE_TYPES[shapeType] ?? shapeType}) is not a polygon`);
  }
  const geometry = polygonRecordToWkb(content);
  return { geometryType: geometry.wkb ? 'MultiPolygon' : null, wkb: geometry.wkb, bbox: geometry.bbox, issues: geometry.issues };
}
