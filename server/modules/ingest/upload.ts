// Receiving a package, shared by the HTTP upload and `npm run import`: archive it, recognise a
// file already submitted, inspect its structure (so a malformed package is refused at once and
// stores nothing), record the submission, and queue the import.
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { asSystem, type Tx } from '../../db/context.ts';
import type { Database } from '../../db/engine.ts';
import type { IngestConfig } from '../../config.ts';
import { AppError, shanghaiTime, submissionStateZh } from '../../errors.ts';
import { archiveStream, type ArchivedFile } from './archive.ts';
import { normaliseEncodingLabel, type TextEncodingName } from './encoding.ts';
import { crsFromEpsg } from './crs.ts';
import { IngestError } from './errors.ts';
import { inspectPackage } from './importer.ts';
import { districtName } from './inspection.ts';
import type { ImportQueue, ImportOutcome } from './jobs.ts';
import { archiveInUse, explainDuplicate, findSameSubmission, findSurveyor, insertSubmission } from './submission-repository.ts';

export interface UploadRequest {
  surveyId: string;
  districtCode: string;
  fileName: string;
  encoding: string | null;
  epsg: number | null;
  uploadedBy: string | null;
  surveyorId: string | null;
}

export interface AcceptedUpload {
  submissionId: string;
  sha256: string;
  sizeBytes: number;
  /** settles when the import has run */
  outcome: Promise<ImportOutcome>;
}

export function parseImportOptions(encoding: string | null, epsg: number | null): { encodingOverride: TextEncodingName | null; declaredEpsg: number | null } {
  const encodingOverride = encoding ? normaliseEncodingLabel(encoding) : null;
  if (epsg !== null && !crsFromEpsg(epsg, 'override')) {
    throw new IngestError(400, 'CRS_UNSUPPORTED', `不支持的坐标系 EPSG:${epsg}（支持 4490、4326 与 CGCS2000 高斯-克吕格 4491-4554）`, `Unsupported coordinate system EPSG:${epsg} (supported: 4490, 4326 and CGCS2000 Gauss-Kruger 4491-4554)`);
  }
  return { encodingOverride, declaredEpsg: epsg };
}

/**
 * `record` inserts the submission in the caller's transaction (an actor's, so row-level security
 * decides whether this district may submit); it runs only after the package passed inspection.
 */
export async function receivePackage(
  db: Database,
  config: IngestConfig,
  queue: ImportQueue,
  source: Readable,
  request: UploadRequest,
  inTransaction: (work: (tx: Tx) => Promise<string>) => Promise<string>,
): Promise<AcceptedUpload> {
  const options = parseImportOptions(request.encoding, request.epsg);
  if (request.surveyorId !== null) await checkSurveyor(db, request.surveyorId, request.districtCode);
  const archived = await archiveStream(source, { archiveDir: config.archiveDir, maxBytes: config.maxUploadBytes, fileName: request.fileName });
  try {
    const same = await asSystem(db, (tx) => findSameSubmission(tx, request.surveyId, request.districtCode, archived.sha256));
    if (same) {
      const at = shanghaiTime(same.createdAt);
      throw new AppError(409, 'PACKAGE_ALREADY_SUBMITTED', `同一文件已于 ${at.zh} 提交过（提交编号 ${same.id}，状态：${submissionStateZh(same.state)}）`, `This file was already submitted on ${at.en} (submission ${same.id}, ${same.state})`, {
        submissionId: same.id,
        submittedAt: same.createdAt.toISOString(),
        state: same.state,
        sha256: archived.sha256,
      });
    }
    await inspectPackage(config, { filePath: archived.path, fileName: request.fileName, districtCode: request.districtCode, ...options });
  } catch (error) {
    await discardUnreferenced(db, archived);
    throw error;
  }
  const submissionId = await inTransaction((tx) =>
    insertSubmission(tx, {
      districtCode: request.districtCode,
      surveyId: request.surveyId,
      fileName: request.fileName,
      sha256: archived.sha256,
      sizeBytes: archived.sizeBytes,
      archivePath: archived.relativePath,
      uploadedBy: request.uploadedBy,
      surveyorId: request.surveyorId,
      encodingOverride: options.encodingOverride,
      declaredEpsg: options.declaredEpsg,
    }),
  ).catch(async (error: unknown) => {
    await discardUnreferenced(db, archived);
    throw await explainDuplicate(db, { ...request, sha256: archived.sha256 }, error);
  });
  const outcome = queue.enqueue({
    submissionId,
    districtCode: request.districtCode,
    filePath: archived.path,
    fileName: request.fileName,
    ...options,
  });
  return { submissionId, sha256: archived.sha256, sizeBytes: archived.sizeBytes, outcome };
}

/**
 * The surveyor answerable for a package (art. 19) must be an active surveyor account of the
 * district it is submitted for. Read as the system: row-level security may hide a surveyor's
 * row from the operator who names them.
 */
async function checkSurveyor(db: Database, surveyorId: string, districtCode: string): Promise<void> {
  const surveyor = await asSystem(db, (tx) => findSurveyor(tx, surveyorId));
  const refuse = (code: string, zh: string, en: string) => {
    throw new AppError(422, code, zh, en, { surveyorId, districtCode });
  };
  if (!surveyor) refuse('SURVEYOR_NOT_FOUND', `指定的调查员账号不存在（${surveyorId}）`, `The named surveyor account does not exist (${surveyorId})`);
  else if (surveyor.role !== 'surveyor') {
    refuse('SURVEYOR_NOT_SURVEYOR', '指定的账号不是调查员（角色须为"调查员"）', `The named account is not a surveyor (its role must be surveyor, not ${surveyor.role})`);
  } else if (surveyor.disabled) refuse('SURVEYOR_DISABLED', '指定的调查员账号已停用', 'The named surveyor account is disabled');
  else if (surveyor.districtCode !== districtCode) {
    const name = districtName(districtCode);
    refuse('SURVEYOR_OTHER_DISTRICT', `指定的调查员不属于提交的区 ${districtCode}${name ? `（${name}）` : ''}`, `The named surveyor does not belong to district ${districtCode}, for which the package is submitted`);
  }
}

/** A refused upload is not kept, unless the same content belongs to an earlier submission. */
async function discardUnreferenced(db: Database, archived: ArchivedFile): Promise<void> {
  const inUse = await asSystem(db, (tx) => archiveInUse(tx, archived.sha256)).catch(() => true);
  if (!inUse) fs.rmSync(archived.path, { force: true });
}
