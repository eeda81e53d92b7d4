// The import of one submission's package: open it, recognise its layers, stream every record
// through the checks into scratch tables batch by batch (reading the next batch while PostGIS
// transforms the last), then index and attach all layers in one transaction. Until that commit
// nothing of the package is visible; on any failure the scratch tables are dropped.
import { sql } from 'kysely';
import type { PackageDocument } from './documents.ts';
import type { Database } from '../../db/engine.ts';
import type { IngestConfig } from '../../config.ts';
import { chinaBounds, type CrsResolution } from './crs.ts';
import type { TextEncodingName } from './encoding.ts';
import { packageError } from './errors.ts';
import { LAYER_SPECS, recogniseLayer, type LayerKind, type LayerSpec } from './layer-specs.ts';
import { openPackage } from './package.ts';
import { CopyBuffer } from './copy-buffer.ts';
import { mapFields, writeCopyLine, type FieldMapping } from './record-rows.ts';
import { geometryTypeZh, type LayerCandidate, type SourceLayer, type SourceRecord } from './readers/types.ts';
import { inspectRecords, refuseOtherDistrict, type DistrictTally } from './inspection.ts';
import { attachWorkTable, createWorkTable, dropWorkTables, indexWorkTable, loadBatch } from './staging-repository.ts';
import { moveSubmission } from '../submissions/lifecycle.ts';

export type ImportStage = 'queued' | 'opening' | 'reading' | 'indexing' | 'checking' | 'done' | 'failed';

export interface ImportProgress {
  stage: ImportStage;
  /** the layer being read, or (stage 'checking') the quality rule being run */
  layer: string | null;
  recordsRead: number;
  recordsTotal: number | null;
  /** 0-100 */
  percent: number;
}

export interface ImportRequest {
  submissionId: string;
  districtCode: string;
  /** the archived upload on disk */
  filePath: string;
  fileName: string;
  encodingOverride: TextEncodingName | null;
  declaredEpsg: number | null;
}

export interface LayerReport {
  kind: LayerKind;
  code: string;
  name: string;
  file: string;
  format: SourceLayer['format'];
  records: number;
  crs: CrsResolution;
  encoding: SourceLayer['encoding'];
  unknownFields: string[];
  missingFields: string[];
  missingMandatoryFields: string[];
  recordsWithGeometryIssues: number;
  recordsWithoutGeometry: number;
  /** validity judged on the geometry as delivered, in its own CRS (staging's delivered_geom); absent in reports of older imports */
  validityAsDelivered?: boolean;
  warnings: string[];
}

export interface ImportReport {
  format: 'zip' | 'geopackage' | 'geojson';
  layers: LayerReport[];
  unknownLayers: { name: string; file: string; format: SourceLayer['format']; fields: string[] }[];
  /** the package's documents and maps; absent in reports of older imports */
  documents?: PackageDocument[];
  ignoredFiles: string[];
  records: number;
  durationMs: number;
}

export type ProgressListener = (progress: ImportProgress) => void;

interface PlannedLayer {
  spec: LayerSpec;
  layer: SourceLayer;
  mapping: FieldMapping;
}

export async function runImport(db: Database, config: IngestConfig, request: ImportRequest, onProgress: ProgressListener = () => undefined): Promise<ImportReport> {
  const started = Date.now();
  const progress: ImportProgress = { stage: 'opening', layer: null, recordsRead: 0, recordsTotal: null, percent: 0 };
  onProgress({ ...progress });
  const opened = await openRequestPackage(config, request);
  const created: LayerSpec[] = [];
  try {
    const { planned, unknownLayers } = await planLayers(opened.layers);
    progress.recordsTotal = planned.every((item) => item.layer.featureCount !== null)
      ? planned.reduce((sum, item) => sum + (item.layer.featureCount ?? 0), 0)
      : null;
    const reports: LayerReport[] = [];
    // A loaded layer is indexed while the next one is read (on a server, on its own connection).
    const indexing: Promise<void>[] = [];
    try {
      for (const item of planned) {
        progress.stage = 'reading';
        progress.layer = item.spec.code;
        onProgress({ ...progress });
        created.push(item.spec);
        await createWorkTable(db, item.spec, request.submissionId);
        reports.push(await loadLayer(db, config, request, item, progress, onProgress));
        const indexed = indexWorkTable(db, item.spec, request.submissionId);
        indexed.catch(() => undefined);
        indexing.push(indexed);
      }
    } finally {
      await Promise.allSettled(indexing);
    }
    for (const indexed of indexing) await indexed;
    progress.stage = 'indexing';
    progress.layer = null;
    onProgress({ ...progress });
    trace('read and loaded', started);
    const attaching = Date.now();
    const report: ImportReport = {
      format: opened.kind,
      layers: reports,
      unknownLayers,
      documents: opened.documents,
      ignoredFiles: opened.ignoredFiles,
      records: reports.reduce((sum, layer) => sum + layer.records, 0),
      durationMs: 0,
    };
    await db.systemTransaction(async (tx) => {
      for (const item of planned) await attachWorkTable(tx.exec, item.spec, request.submissionId);
      report.durationMs = Date.now() - started;
      await moveSubmission(tx, request.submissionId, 'import_done', 'platform', {}, {
        format: opened.kind === 'zip' ? planned[0]!.layer.format : opened.kind,
        report: JSON.stringify(report),
        import_finished_at: sql`now()`,
      });
    });
    trace('indexed and attached', attaching);
    progress.stage = 'done';
    progress.percent = 100;
    onProgress({ ...progress });
    return report;
  } catch (error) {
    await dropWorkTables(db, created, request.submissionId).catch(() => undefined);
    throw error;
  } finally {
    await opened.close();
  }
}

/**
 * The structure pass, before a submission is recorded: opens the package, recognises its layers,
 * opens those it imports (CRS, encoding, schema) and reads their first records, so that what a
 * client should hear about at once (not a zip, unsafe paths, zip bombs, missing .dbf, unreadable
 * .prj, no known layer, the wrong geometry type, coordinates far outside China, codes of another
 * district) is refused before anything is stored. See inspection.ts for what the records tell.
 */
export async function inspectPackage(
  config: IngestConfig,
  request: Pick<ImportRequest, 'filePath' | 'fileName' | 'encodingOverride' | 'declaredEpsg' | 'districtCode'>,
): Promise<{ layers: string[]; unknownLayers: string[] }> {
  const opened = await openRequestPackage(config, request);
  try {
    const { planned, unknownLayers } = await planLayers(opened.layers);
    const tally: DistrictTally = new Map();
    for (const item of planned) await inspectRecords(item.spec, item.layer, tally, config.inspectRecords);
    refuseOtherDistrict(tally, request.districtCode);
    return { layers: planned.map((item) => item.spec.code), unknownLayers: unknownLayers.map((layer) => layer.file) };
  } finally {
    await opened.close();
  }
}

function openRequestPackage(config: IngestConfig, request: Pick<ImportRequest, 'filePath' | 'fileName' | 'encodingOverride' | 'declaredEpsg'>) {
  return openPackage(request.filePath, request.fileName, {
    encodingOverride: request.encodingOverride,
    declaredEpsg: request.declaredEpsg,
    limits: { maxUncompressedBytes: config.maxUncompressedBytes, maxCompressionRatio: config.maxCompressionRatio, maxEntries: config.maxZipEntries },
    maxSmallMemberBytes: config.maxSmallMemberBytes,
    maxRecordBytes: config.maxRecordBytes,
    workDir: config.workDir,
  });
}

/** Recognises the candidates and opens the ones imported; skipped layers are never opened. */
async function planLayers(candidates: LayerCandidate[]): Promise<{ planned: PlannedLayer[]; unknownLayers: ImportReport['unknownLayers'] }> {
  const planned: PlannedLayer[] = [];
  const unknownLayers: ImportReport['unknownLayers'] = [];
  for (const candidate of candidates) {
    const spec = recogniseLayer(candidate.name, candidate.fieldNames);
    if (!spec) {
      unknownLayers.push({ name: candidate.name, file: candidate.file, format: candidate.format, fields: candidate.fieldNames });
      continue;
    }
    const twin = planned.find((item) => item.spec.kind === spec.kind);
    if (twin) {
      throw packageError('PACKAGE_DUPLICATE_LAYER', `包内有两个${spec.label}图层：${twin.layer.file} 与 ${candidate.file}`, `The package holds two ${spec.code} layers: ${twin.layer.file} and ${candidate.file}`, { file: candidate.file, layer: candidate.name });
    }
    const layer = await candidate.open();
    const declared = layer.declaredGeometryType;
    if (declared && declared !== 'MultiPolygon' && declared !== 'Polygon') {
      throw packageError('GEOMETRY_TYPE_MISMATCH', `${spec.label}图层应为面要素，文件中是${geometryTypeZh(declared)}要素`, `${spec.code} must hold polygons; the file holds ${declared}`, { file: layer.file, layer: layer.name }, { found: declared });
    }
    planned.push({ spec, layer, mapping: mapFields(spec, layer) });
  }
  if (planned.length === 0) {
    throw packageError(
      'PACKAGE_NO_KNOWN_LAYER',
      `包内没有可识别的三调图层（${LAYER_SPECS.map((spec) => `${spec.code} ${spec.label}`).join('、')}）`,
      `The package holds no recognised layer (${LAYER_SPECS.map((spec) => spec.code).join(', ')})`,
      {},
      { layers: unknownLayers.map((layer) => layer.file) },
    );
  }
  // The land-use layer first: it is what the district comes to see.
  planned.sort((a, b) => LAYER_SPECS.indexOf(a.spec) - LAYER_SPECS.indexOf(b.spec));
  return { planned, unknownLayers };
}

async function loadLayer(
  db: Database,
  config: IngestConfig,
  request: ImportRequest,
  item: PlannedLayer,
  progress: ImportProgress,
  onProgress: ProgressListener,
): Promise<LayerReport> {
  const { spec, layer, mapping } = item;
  const at = { file: layer.file, layer: layer.name };
  const context = { spec, layer, mapping, bounds: chinaBounds(layer.crs), at, attributesAt: { ...at, file: layer.attributesFile ?? layer.file } };
  const target = { spec, submissionId: request.submissionId, districtCode: request.districtCode, sourceSrid: layer.crs.epsg };
  const batch = new CopyBuffer();
  let records = 0;
  let withIssues = 0;
  let withoutGeometry = 0;
  // Batches load in PostGIS while the next ones are read and checked here: on a server, several
  // at once on their own connections (transforming and measuring areas is PostGIS's share of the
  // work, and the larger one); the embedded engine has one connection and takes them in turn.
  const parallel = db.engine === 'server' ? config.parallelBatches : 1;
  const inFlight: Promise<void>[] = [];
  const settleAll = () => Promise.allSettled(inFlight.splice(0));
  let waited = 0;
  const layerStarted = Date.now();
  const flush = async () => {
    const text = batch.take();
    const waiting = Date.now();
    if (inFlight.length >= parallel) await inFlight.shift();
    waited += Date.now() - waiting;
    const loading = loadBatch(db, target, text);
    // Observed at once so a failing batch is never an unhandled rejection; awaited in turn.
    loading.catch(() => undefined);
    inFlight.push(loading);
  };
  const advance = (count: number) => {
    progress.recordsRead += count;
    progress.percent = progress.recordsTotal ? Math.min(99, Math.floor((progress.recordsRead / progress.recordsTotal) * 100)) : 0;
    onProgress({ ...progress });
  };
  try {
    for await (const group of layer.batches ? layer.batches() : single(layer.records())) {
      for (const record of group) {
        writeCopyLine(batch, record, context);
        records++;
        if (record.issues?.length) withIssues++;
        if (!record.wkb) withoutGeometry++;
      }
      if (batch.rows >= config.batchRecords) {
        const count = batch.rows;
        await flush();
        advance(count);
      }
    }
    const tail = batch.rows;
    if (tail > 0) await flush();
    const draining = Date.now();
    while (inFlight.length) await inFlight.shift();
    waited += Date.now() - draining;
    advance(tail);
    trace(`layer ${spec.code}`, layerStarted, `(${records} records; ${(waited / 1000).toFixed(2)} s waiting for PostGIS)`);
  } catch (error) {
    // Let batches still in PostGIS finish (or fail) before the caller drops their table.
    await settleAll();
    throw error;
  }
  if (records === 0) throw packageError('LAYER_EMPTY', `${spec.label}图层没有任何记录`, `The ${spec.code} layer has no records`, at);
  return {
    kind: spec.kind,
    code: spec.code,
    name: layer.name,
    file: layer.file,
    format: layer.format,
    records,
    crs: layer.crs,
    encoding: layer.encoding,
    unknownFields: mapping.unknownFields,
    missingFields: mapping.missingFields,
    missingMandatoryFields: mapping.missingMandatory,
    recordsWithGeometryIssues: withIssues,
    recordsWithoutGeometry: withoutGeometry,
    validityAsDelivered: true,
    warnings: layer.warnings,
  };
}

/** IMPORT_TRACE=1 prints where an import's time goes (for benchmarking), on stderr. */
const TRACE = process.env.IMPORT_TRACE === '1';
function trace(what: string, since: number, extra = ''): void {
  if (TRACE) process.stderr.write(`[import] ${what}: ${((Date.now() - since) / 1000).toFixed(2)} s ${extra}\n`);
}

async function* single(records: AsyncGenerator<SourceRecord>): AsyncGenerator<SourceRecord[]> {
  for await (const record of records) yield [record];
}
