// Entry point of the survey-package generator: a deterministic, realistic 三调 package for one
// Shanghai district — DLTB (地类图斑), YJJBNTTB (永久基本农田图斑) and XZQ (行政区) shapefiles in
// CGCS2000 3-degree Gauss-Kruger, zipped, with a manifest describing what is inside (including every
// seeded defect) so tests of the importer and the quality checks know what to expect.
//
// Same options ⇒ byte-identical zip and manifest: all randomness is seeded, zip entries carry a fixed
// DOS timestamp and no extended (time-zone dependent) timestamps.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import type { DefectEntry, DefectKind } from './defects.ts';
import { Generation } from './parcels.ts';
import { XZQ_FIELDS, layerFields } from './schema.ts';
import { type PolygonShape, ShapefileWriter, gaussKrugerPrj } from './shapefile-writer.ts';

export type { DefectEntry, DefectKind } from './defects.ts';
export { DEFECT_KINDS } from './defects.ts';
export { type GeneratedParcel, type GenerationOptions, Generation, generateParcels } from './parcels.ts';
export { type DbfField, type ShapefileOptions, type ShapefileRecord, type ShapefileResult, ShapefileWriter, gaussKrugerPrj, writeShapefile } from './shapefile-writer.ts';

export type LayerName = 'DLTB' | 'YJJBNTTB' | 'XZQ';

export interface GenerateOptions {
  districtCode: string;
  /** approximate target, 1,000 … 1,000,000 (the result may differ by a few %) */
  parcels: number;
  seed: number;
  /** writes <name>.zip and <name>.manifest.json there */
  outDir: string;
  /** default `${districtCode}-${parcels}-s${seed}` */
  name?: string;
  /** SJNF, default 2019 */
  surveyYear?: number;
  /** default: by the district's centroid (west of 121°30'E → 40, else 41) */
  zone?: 40 | 41;
  /** how many of each defect to seed; default none */
  defects?: Partial<Record<DefectKind, number>>;
  /** DBF text encoding, default 'gbk' with a .cpg saying GBK */
  encoding?: 'gbk' | 'utf-8';
  withPrj?: boolean;
  withCpg?: boolean;
  withShx?: boolean;
  /** default all three */
  layers?: LayerName[];
  onProgress?: (written: number, total: number) => void;
}

export interface PackageManifest {
  name: string;
  districtCode: string;
  districtName: string;
  seed: number;
  surveyYear: number;
  epsg: number;
  encoding: string;
  /** DLTB features */
  parcels: number;
  /** YJJBNTTB features */
  basicFarmland: number;
  /** Σ TBMJ as recorded in DLTB (m²) — XZQ.DCMJ */
  totalAreaM2: number;
  /** Σ TBMJ of the clean tessellation (m²) — XZQ.KZMJ; equals totalAreaM2 when no defect is seeded */
  controlAreaM2: number;
  /** Σ recorded TBMJ per DLBM (m²) */
  classAreas: Record<string, number>;
  /** grid cell size the tessellation used (m) */
  cellSizeM: number;
  /** features per layer actually written to the zip */
  layers: Partial<Record<LayerName, number>>;
  defects: DefectEntry[];
  /** zip entry names */
  files: string[];
  /** of the zip */
  sha256: string;
  warnings: string[];
}

const ALL_LAYERS: readonly LayerName[] = ['DLTB', 'YJJBNTTB', 'XZQ'];
const EXTENSIONS = ['.shp', '.shx', '.dbf', '.prj', '.cpg'];

export async function generatePackage(options: GenerateOptions): Promise<{ zipPath: string; manifestPath: string; manifest: PackageManifest }> {
  const name = options.name ?? `${options.districtCode}-${options.parcels}-s${options.seed}`;
  if (!/^[\w.-]+$/.test(name)) throw new Error(`package name ${JSON.stringify(name)}: use letters, digits, '.', '_' or '-'`);
  const layers = ALL_LAYERS.filter((layer) => (options.layers ?? ALL_LAYERS).includes(layer));
  const encoding = options.encoding ?? 'gbk';
  fs.mkdirSync(options.outDir, { recursive: true });
  const generation = new Generation(options);
  const surveyYear = generation.surveyYear;
  const work = fs.mkdtempSync(path.join(options.outDir, `.${name}-`));
  try {
    const writerOptions = {
      encoding,
      prj: options.withPrj === false ? null : gaussKrugerPrj(generation.zone),
      cpg: options.withCpg !== false,
      shx: options.withShx !== false,
      date: [surveyYear, 12, 31] as const,
    };
    const fields = layerFields();
    const dltb = layers.includes('DLTB') ? new ShapefileWriter(path.join(work, 'DLTB'), fields.DLTB, writerOptions) : null;
    const yjjbnttb = layers.includes('YJJBNTTB') ? new ShapefileWriter(path.join(work, 'YJJBNTTB'), fields.YJJBNTTB, writerOptions) : null;
    const total = generation.expectedParcels;
    const step = Math.max(1000, Math.round(total / 100));
    let written = 0;
    options.onProgress?.(0, total);
    try {
      for (const parcel of generation.parcels()) {
        dltb?.write({ geometry: [[parcel.ring]], attributes: parcel.dltb });
        if (parcel.yjjbnttb) yjjbnttb?.write({ geometry: [[parcel.ring]], attributes: parcel.yjjbnttb });
        written++;
        if (written % step === 0) options.onProgress?.(written, total);
      }
    } catch (error) {
      dltb?.abort();
      yjjbnttb?.abort();
      throw error;
    }
    options.onProgress?.(written, total);
    const counts: Partial<Record<LayerName, number>> = {};
    if (dltb) counts.DLTB = dltb.close().count;
    if (yjjbnttb) counts.YJJBNTTB = yjjbnttb.close().count;
    if (layers.includes('XZQ')) {
      const xzq = generation.xzq();
      const shape: number[][][] = [];
      xzq.rings.forEach((ring, k) => {
        if (generation.outline.outer[k] || shape.length === 0) shape.push([ring]);
        else shape[shape.length - 1]!.push(ring);
      });
      const writer = new ShapefileWriter(path.join(work, 'XZQ'), XZQ_FIELDS, writerOptions);
      writer.write({ geometry: shape as PolygonShape, attributes: xzq.attributes });
      counts.XZQ = writer.close().count;
    }

    const files = layers.flatMap((layer) => EXTENSIONS.map((ext) => layer + ext)).filter((file) => fs.existsSync(path.join(work, file)));
    const zipPath = path.join(options.outDir, `${name}.zip`);
    await writeZip(work, files, `${zipPath}.part`, surveyYear);
    fs.renameSync(`${zipPath}.part`, zipPath);
    const sha256 = await fileSha256(zipPath);

    const { stats } = generation;
    const classAreas: Record<string, number> = {};
    for (const code of [...stats.classCents.keys()].sort()) classAreas[code] = stats.classCents.get(code)! / 100;
    const manifest: PackageManifest = {
      name,
      districtCode: options.districtCode,
      districtName: generation.district.name,
      seed: options.seed,
      surveyYear,
      epsg: generation.epsg,
      encoding: encoding === 'gbk' ? 'GBK' : 'UTF-8',
      parcels: stats.parcels,
      basicFarmland: stats.basicFarmland,
      totalAreaM2: stats.totalCents / 100,
      controlAreaM2: stats.cleanCents / 100,
      classAreas,
      cellSizeM: Math.round(generation.tessellation.grid.params.s * 100) / 100,
      layers: counts,
      defects: generation.plan.entries,
      files,
      sha256,
      warnings: generation.tessellation.warnings,
    };
    const manifestPath = path.join(options.outDir, `${name}.manifest.json`);
    fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    return { zipPath, manifestPath, manifest };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Zips `files` of `dir` into `target`, byte-identical for the same input in any time zone. */
export async function writeZip(dir: string, files: string[], target: string, year: number): Promise<void> {
  const zip = new yazl.ZipFile();
  // Local-time components on purpose: yazl writes DOS date/time from local fields, so this gives the
  // same bytes in every time zone; forceDosTimestamp drops the UTC "extended timestamp" extra field.
  const mtime = new Date(year, 11, 31, 0, 0, 0);
  for (const file of files) zip.addFile(path.join(dir, file), file, { mtime, mode: 0o100644, compress: true, forceDosTimestamp: true });
  zip.end();
  await pipeline(zip.outputStream, fs.createWriteStream(target));
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
