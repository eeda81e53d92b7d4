// Submission rows as the upload and the import see them.
import { sql } from 'kysely';
import type { Queryable } from '../../db/context.ts';
import { asSystem } from '../../db/context.ts';
import type { Database } from '../../db/engine.ts';
import { errorBody, type AppError } from '../../errors.ts';
import type { ImportRequest } from './importer.ts';

export interface NewSubmission {
  districtCode: string;
  surveyId: string;
  fileName: string;
  sha256: string;
  sizeBytes: number;
  archivePath: string;
  uploadedBy: string | null;
  surveyorId: string | null;
  encodingOverride: string | null;
  declaredEpsg: number | null;
}

/** An earlier submission of the same file for the same survey and district that did not fail. */
export async function findSameSubmission(db: Queryable, surveyId: string, districtCode: string, sha256: string) {
  return db
    .selectFrom('submissions')
    .select(['id', 'state', 'created_at as createdAt'])
    .where('survey_id', '=', surveyId)
    .where('district_code', '=', districtCode)
    .where('sha256', '=', sha256)
    .where('state', '<>', 'failed')
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

export async function insertSubmission(db: Queryable, submission: NewSubmission): Promise<string> {
  const row = await db
    .insertInto('submissions')
    .values({
      district_code: submission.districtCode,
      survey_id: submission.surveyId,
      state: 'received',
      file_name: submission.fileName,
      sha256: submission.sha256,
      size_bytes: submission.sizeBytes,
      archive_path: submission.archivePath,
      uploaded_by: submission.uploadedBy,
      surveyor_id: submission.surveyorId,
      encoding_override: submission.encodingOverride,
      declared_epsg: submission.declaredEpsg,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function markImportStarted(db: Database, request: ImportRequest): Promise<void> {
  await asSystem(db, (tx) =>
    tx
      .updateTable('submissions')
      .set({ state: 'importing', import_started_at: sql`now()`, updated_at: sql`now()` })
      .where('district_code', '=', request.districtCode)
      .where('id', '=', request.submissionId)
      .execute(),
  );
}

export async function markImportFailed(db: Database, request: ImportRequest, error: AppError): Promise<void> {
  await asSystem(db, (tx) =>
    tx
      .updateTable('submissions')
      .set({
        state: 'failed',
        report: JSON.stringify({ error: errorBody(error).error }),
        import_finished_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('district_code', '=', request.districtCode)
      .where('id', '=', request.submissionId)
      .execute(),
  );
}

/** The account named as a submission's surveyor, as far as the upload must judge it. */
export async function findSurveyor(db: Queryable, userId: string) {
  return db
    .selectFrom('users')
    .select(['id', 'role', 'district_code as districtCode', 'disabled'])
    .where('id', '=', userId)
    .executeTakeFirst();
}

/** Whether any submission still refers to an archived file (before removing a refused upload). */
export async function archiveInUse(db: Queryable, sha256: string): Promise<boolean> {
  const row = await db.selectFrom('submissions').select('id').where('sha256', '=', sha256).executeTakeFirst();
  return row !== undefined;
}
