// Submission rows as the upload and the import see them.
import { sql } from 'kysely';
import type { Queryable } from '../../db/context.ts';
import { asSystem } from '../../db/context.ts';
import type { Database } from '../../db/engine.ts';
import { translateDatabaseError } from '../../db/errors.ts';
import { AppError, errorBody } from '../../errors.ts';
import type { ImportRequest } from './importer.ts';
import { moveSubmission, sessionActor } from '../submissions/lifecycle.ts';

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

/*
 * One submission per file, survey and district (unique index submissions_one_per_file, migration
 * 0013). Sending a file again is refused while its earlier submission stands, with two exceptions:
 *   - the import failed ('failed'), or a newer package replaced it ('superseded');
 *   - it imported but its latest check failed (the engine, not the data: no verdict was reached).
 *     Sending the file again then starts afresh: the earlier submission gives way (superseded) in
 *     the transaction that records the new one, which is imported and checked like any upload.
 *     (Checking the earlier one again, POST /api/submissions/{id}/quality-runs, works as well.)
 */

/** SQL: the latest check of the submission aliased `s` failed. */
const latestCheckFailed = sql<boolean>`coalesce((SELECT r.state::text = 'failed' FROM qc_runs r WHERE r.district_code = s.district_code AND r.submission_id = s.id
                                                   ORDER BY r.started_at DESC LIMIT 1), false)`;

/** The earlier submission of the same file for the same survey and district that a resend would duplicate. */
export async function findSameSubmission(db: Queryable, surveyId: string, districtCode: string, sha256: string) {
  return db
    .selectFrom('submissions as s')
    .select(['s.id', 's.state', 's.created_at as createdAt'])
    .where('s.survey_id', '=', surveyId)
    .where('s.district_code', '=', districtCode)
    .where('s.sha256', '=', sha256)
    .where('s.state', 'not in', ['failed', 'superseded'])
    .where((eb) => eb.not(eb.and([eb('s.state', '=', 'imported'), eb(latestCheckFailed, '=', true)])))
    .orderBy('s.created_at', 'desc')
    .executeTakeFirst();
}

/** The same file's earlier submission whose check failed gives way to the one being recorded. */
async function retireFailedCheck(db: Queryable, submission: NewSubmission): Promise<void> {
  const earlier = await db
    .selectFrom('submissions as s')
    .select('s.id')
    .where('s.survey_id', '=', submission.surveyId)
    .where('s.district_code', '=', submission.districtCode)
    .where('s.sha256', '=', submission.sha256)
    .where('s.state', '=', 'imported')
    .where(latestCheckFailed, '=', true)
    .execute();
  if (earlier.length === 0) return;
  // A request resends as its user; the platform (the demo's seed) as itself.
  const actor = await sessionActor(db);
  for (const row of earlier) await (actor ? moveSubmission(db, row.id, 'resend', actor) : moveSubmission(db, row.id, 'supersede', 'platform'));
}

/**
 * A package sent after one of its survey and district was turned down (returned for 整改 or
 * blocked by its checks) is the next round, and names the submission it corrects.
 */
async function correctionOf(db: Queryable, submission: NewSubmission): Promise<{ round: number; corrects: string | null }> {
  const previous = await db
    .selectFrom('submissions')
    .select(['id', 'round', 'state'])
    .where('survey_id', '=', submission.surveyId)
    .where('district_code', '=', submission.districtCode)
    .where('state', 'not in', ['failed'])
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (!previous || previous.state !== 'rejected') return { round: 1, corrects: null };
  return { round: previous.round + 1, corrects: previous.id };
}

/**
 * The upload that lost the race to record the same file (the unique index refused it) gets the
 * answer the lookup would have given it: 409 PACKAGE_ALREADY_SUBMITTED naming the submission that won.
 */
export async function explainDuplicate(db: Database, submission: Pick<NewSubmission, 'surveyId' | 'districtCode' | 'sha256'>, error: unknown): Promise<unknown> {
  const translated = translateDatabaseError(error);
  if (translated?.code !== 'PACKAGE_ALREADY_SUBMITTED') return error;
  const winner = await asSystem(db, (tx) => findSameSubmission(tx, submission.surveyId, submission.districtCode, submission.sha256)).catch(() => undefined);
  if (!winner) return translated;
  return new AppError(409, translated.code, `${translated.zh}（提交编号 ${winner.id}）`, `${translated.en} (submission ${winner.id}, ${winner.state})`, {
    submissionId: winner.id,
    state: winner.state,
    sha256: submission.sha256,
  });
}

export async function insertSubmission(db: Queryable, submission: NewSubmission): Promise<string> {
  await retireFailedCheck(db, submission);
  const correction = await correctionOf(db, submission);
  const row = await db
    .insertInto('submissions')
    .values({
      round: correction.round,
      corrects_submission_id: correction.corrects,
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
  await asSystem(db, (tx) => moveSubmission(tx, request.submissionId, 'import_start', 'platform', {}, { import_started_at: sql`now()` }));
}

export async function markImportFailed(db: Database, request: ImportRequest, error: AppError): Promise<void> {
  await asSystem(db, (tx) =>
    moveSubmission(tx, request.submissionId, 'import_fail', 'platform', {}, {
      report: JSON.stringify({ error: errorBody(error).error }),
      import_finished_at: sql`now()`,
    }),
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
