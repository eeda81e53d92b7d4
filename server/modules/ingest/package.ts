// What an upload holds: a zip of shapefile sets, GeoJSON files and GeoPackages (or one bare
// GeoPackage or GeoJSON file). Each layer is opened with its format's reader; the documents and
// maps that come with the layers are listed as such, and the few files that are neither (a
// shapefile part without its .shp) are listed as unused, never silently dropped.
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { documentCategory, type PackageDocument } from './documents.ts';
import type { TextEncodingName } from './encoding.ts';
import { packageError } from './errors.ts';
import { scanGeoJsonLayer } from './readers/geojson.ts';
import { listGeoPackageLayers } from './readers/geopackage.ts';
import { shapefileCandidate } from './readers/shapefile.ts';
import type { LayerCandidate } from './readers/types.ts';
import { formatBytes, openZip, type OpenedZip, type ZipEntryInfo, type ZipLimits } from './zip.ts';

export interface PackageOptions {
  encodingOverride: TextEncodingName | null;
  declaredEpsg: number | null;
  limits: ZipLimits;
  /** largest member read whole into memory (.prj, .cpg) */
  maxSmallMemberBytes: number;
  /** largest single record held in memory */
  maxRecordBytes: number;
  workDir: string;
}

export interface OpenedPackage {
  kind: 'zip' | 'geopackage' | 'geojson';
  /** every layer found; the importer opens (reads CRS and encoding of) only those it imports */
  layers: LayerCandidate[];
  /** the package's documents and maps (文字成果, 图件成果 …), kept in the archived package */
  documents: PackageDocument[];
  /** files in the package that are neither a layer's nor a document (a shapefile part without .shp) */
  ignoredFiles: string[];
  close(): Promise<void>;
}

const SHAPEFILE_PARTS = new Set(['.shp', '.shx', '.dbf', '.prj', '.cpg']);
const SHAPEFILE_SIDECARS = new Set(['.sbn', '.sbx', '.xml', '.qix', '.fix', '.atx', '.aih', '.ain', '.qpj', '.idx']);

async function sniff(filePath: string): Promise<'zip' | 'geopackage' | 'geojson' | null> {
  const handle = await fs.promises.open(filePath, 'r');
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await handle.read(head, 0, 16, 0);
    const bytes = head.subarray(0, bytesRead);
    if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5)) return 'zip';
    if (bytes.toString('latin1').startsWith('SQLite format 3\0')) return 'geopackage';
    const textStart = bytes.toString('utf8').replace(/^\uFEFF/, '').trimStart();
    if (textStart.startsWith('{')) return 'geojson';
    return null;
  } finally {
    await handle.close();
  }
}

export async function openPackage(filePath: string, uploadName: string, options: PackageOptions): Promise<OpenedPackage> {
  const kind = await sniff(filePath);
  const baseName = path.basename(uploadName).replace(/\.[^.]+$/, '');
  if (kind === 'geopackage') {
    const layers = await listGeoPackageLayers({ path: filePath, file: uploadName, maxRecordBytes: options.maxRecordBytes });
    return { kind, layers, documents: [], ignoredFiles: [], close: async () => undefined };
  }
  if (kind === 'geojson') {
    const layer = await scanGeoJsonLayer({ file: uploadName, name: baseName, open: () => fs.createReadStream(filePath), maxValueBytes: options.maxRecordBytes });
    return { kind, layers: [layer], documents: [], ignoredFiles: [], close: async () => undefined };
  }
  if (kind !== 'zip') {
    throw packageError('PACKAGE_NOT_ZIP', '上传的文件不是 zip 压缩包（也不是 GeoPackage 或 GeoJSON）', 'The upload is not a zip archive (nor a GeoPackage or GeoJSON file)', { file: uploadName });
  }
  const zip = await openZip(filePath, uploadName, options.limits);
  const extracted: string[] = [];
  try {
    const result = await openZipLayers(zip, uploadName, options, extracted);
    return {
      ...result,
      kind: 'zip',
      async close() {
        zip.close();
        for (const file of extracted) fs.rmSync(file, { force: true });
      },
    };
  } catch (error) {
    zip.close();
    for (const file of extracted) fs.rmSync(file, { force: true });
    throw error;
  }
}

/**
 * A small member (.prj, .cpg) as text. These are the only members read whole, so they are capped:
 * the size is judged from the central directory before a byte is inflated (the zip reader fails
 * any entry that inflates past its declared size, so the declaration cannot lie).
 */
async function readText(zip: OpenedZip, entry: ZipEntryInfo | undefined, maxBytes: number): Promise<string | null> {
  if (!entry) return null;
  if (entry.uncompressedSize > maxBytes) {
    throw packageError(
      'PACKAGE_MEMBER_TOO_LARGE',
      `文件过大：${formatBytes(entry.uncompressedSize)}，此类文件上限为 ${formatBytes(maxBytes)}`,
      `The file is too large: ${formatBytes(entry.uncompressedSize)}; files of this kind may hold at most ${formatBytes(maxBytes)}`,
      { file: entry.path },
      { sizeBytes: entry.uncompressedSize, limitBytes: maxBytes, inflatedBytes: 0 },
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of await zip.open(entry)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '');
}

async function openZipLayers(
  zip: OpenedZip,
  uploadName: string,
  options: PackageOptions,
  extracted: string[],
): Promise<Pick<OpenedPackage, 'layers' | 'documents' | 'ignoredFiles'>> {
  const files = zip.entries.filter((entry) => !entry.path.split('/').some((part) => part.startsWith('__MACOSX') || part === '.DS_Store'));
  if (files.length === 0) throw packageError('PACKAGE_EMPTY', 'zip 压缩包是空的', 'The zip archive is empty', { file: uploadName });

  const shapefileSets = new Map<string, Map<string, ZipEntryInfo>>();
  const layers: LayerCandidate[] = [];
  const documents: PackageDocument[] = [];
  const ignoredFiles: string[] = [];
  const pending: ZipEntryInfo[] = [];
  for (const entry of files) {
    const extension = path.posix.extname(entry.path).toLowerCase();
    if (SHAPEFILE_PARTS.has(extension)) {
      const key = entry.path.slice(0, -extension.length);
      const set = shapefileSets.get(key.toLowerCase()) ?? new Map<string, ZipEntryInfo>();
      set.set(extension, entry);
      shapefileSets.set(key.toLowerCase(), set);
    } else if (extension === '.geojson' || extension === '.json' || extension === '.gpkg') {
      pending.push(entry);
    } else if (!SHAPEFILE_SIDECARS.has(extension) && !entry.path.toLowerCase().endsWith('.shp.xml')) {
      documents.push({ path: entry.path, category: documentCategory(entry.path), sizeBytes: entry.uncompressedSize });
    }
  }

  for (const set of shapefileSets.values()) {
    const shp = set.get('.shp');
    const dbf = set.get('.dbf');
    if (!shp) {
      ignoredFiles.push(...[...set.values()].map((entry) => entry.path));
      continue;
    }
    const name = path.posix.basename(shp.path).replace(/\.shp$/i, '');
    const cap = options.maxSmallMemberBytes;
    layers.push(
      await shapefileCandidate({
        name,
        file: shp.path,
        dbfFile: dbf?.path ?? null,
        openShp: () => zip.open(shp),
        openDbf: () => (dbf ? zip.open(dbf) : Promise.reject(new Error('no .dbf'))),
        shpSize: shp.uncompressedSize,
        shxSize: set.get('.shx')?.uncompressedSize ?? null,
        readPrj: () => readText(zip, set.get('.prj'), cap),
        readCpg: () => readText(zip, set.get('.cpg'), cap),
        maxRecordBytes: options.maxRecordBytes,
        encodingOverride: options.encodingOverride,
        declaredEpsg: options.declaredEpsg,
      }),
    );
  }

  for (const entry of pending) {
    const name = path.posix.basename(entry.path).replace(/\.[^.]+$/, '');
    if (entry.path.toLowerCase().endsWith('.gpkg')) {
      // SQLite needs random access: the GeoPackage is copied out of the zip first.
      fs.mkdirSync(options.workDir, { recursive: true });
      const target = path.join(options.workDir, `${randomUUID()}.gpkg`);
      extracted.push(target);
      await pipeline(await zip.open(entry), fs.createWriteStream(target));
      layers.push(...(await listGeoPackageLayers({ path: target, file: entry.path, maxRecordBytes: options.maxRecordBytes })));
    } else {
      layers.push(await scanGeoJsonLayer({ file: entry.path, name, open: () => streamOf(zip, entry), maxValueBytes: options.maxRecordBytes }));
    }
  }
  if (layers.length === 0) {
    throw packageError('PACKAGE_EMPTY', '压缩包中没有可读取的图层（shapefile、GeoJSON 或 GeoPackage）', 'The zip holds no readable layer (shapefile, GeoJSON or GeoPackage)', { file: uploadName }, { files: files.map((entry) => entry.path).slice(0, 50) });
  }
  return { layers, documents, ignoredFiles };
}

/** The GeoJSON reader takes a synchronous opener; the zip opens entries asynchronously. */
function streamOf(zip: OpenedZip, entry: ZipEntryInfo): Readable {
  const through = new PassThrough();
  zip.open(entry).then(
    (stream) => {
      stream.on('error', (error) => through.destroy(error));
      stream.pipe(through);
    },
    (error: Error) => through.destroy(error),
  );
  return through;
}
