// Submissions as the pages list and show them. Row-level security decides which districts' rows
// come back: this is the one visibility rule for a submission (migrations/0006: the city roles
// and offices read all; a district's roles their own district), whatever page or route asks.
import type { Queryable } from '../../db/context.ts';
import type { SubmissionState } from '../../db/schema.ts';

export interface SubmissionSummary {
  id: string;
  districtCode: string;
  districtName: string | null;
  surveyId: string;
  surveyTitle: string;
  surveyKind: string;
  surveyScope: string;
  state: SubmissionState;
  round: number;
  correctsSubmissionId: string | null;
  fileName: string;
  sha256: string;
  sizeBytes: number;
  uploadedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SubmissionFilter {
  surveyId?: string;
  districtCode?: string;
  states?: SubmissionState[];
  /** newest: latest uploaded first (default); waiting: longest unmoved first (the review queue's age) */
  order?: 'newest' | 'waiting';
  limit?: number;
}

export async function listSubmissions(db: Queryable, filter: SubmissionFilter): Promise<SubmissionSummary[]> {
  let query = db
    .selectFrom('submissions as s')
    .innerJoin('surveys as v', 'v.id', 's.survey_id')
    .leftJoin('admin_units as a', 'a.code', 's.district_code')
    .select([
      's.id',
      's.district_code as districtCode',
      'a.name as districtName',
      's.survey_id as surveyId',
      'v.title as surveyTitle',
      'v.kind as surveyKind',
      'v.scope as surveyScope',
      's.state',
      's.round',
      's.corrects_submission_id as correctsSubmissionId',
      's.file_name as fileName',
      's.sha256',
      's.size_bytes as sizeBytes',
      's.uploaded_by as uploadedBy',
      's.created_at as createdAt',
      's.updated_at as updatedAt',
    ])
    .orderBy(filter.order === 'waiting' ? 's.updated_at' : 's.created_at', filter.order === 'waiting' ? 'asc' : 'desc')
    .limit(filter.limit ?? 500);
  if (filter.surveyId) query = query.where('s.survey_id', '=', filter.surveyId);
  if (filter.districtCode) query = query.where('s.district_code', '=', filter.districtCode);
  if (filter.states?.length) query = query.where('s.state', 'in', filter.states);
  const rows = await query.execute();
  return rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() }));
}

export interface DecisionRecord {
  id: string;
  submissionId: string | null;
  districtCode: string | null;
  round: number | null;
  action: string;
  label: string;
  from: string;
  to: string;
  decidedBy: string;
  deciderName: string | null;
  deciderRole: string;
  organisationName: string | null;
  decidedAt: string;
  opinion: string | null;
  rectification: unknown;
  document: unknown;
  attachments: { id: string; fileName: string; mediaType: string; sizeBytes: number; sha256: string }[];
}

/** Decisions on a survey (its own, or on its submissions: `submissionIds`), oldest first. */
export async function listDecisions(db: Queryable, filter: { surveyId?: string; submissionIds?: string[]; surveyOnly?: boolean }): Promise<DecisionRecord[]> {
  let query = db
    .selectFrom('decisions as d')
    .innerJoin('surveys as v', 'v.id', 'd.survey_id')
    .leftJoin('lifecycle_steps as l', (join) =>
      join.onRef('l.object', '=', 'd.object').onRef('l.kind', '=', 'v.kind').onRef('l.scope', '=', 'v.scope').onRef('l.from_state', '=', 'd.from_state').onRef('l.action', '=', 'd.action'),
    )
    .leftJoin('users as u', 'u.id', 'd.decided_by')
    .leftJoin('organisations as o', 'o.id', 'd.decider_organisation')
    .select([
      'd.id', 'd.submission_id as submissionId', 'd.district_code as districtCode', 'd.round', 'd.action', 'l.label_zh as label', 'd.from_state as from', 'd.to_state as to',
      'd.decided_by as decidedBy', 'u.display_name as deciderName', 'd.decider_role as deciderRole', 'o.name as organisationName', 'd.decided_at as decidedAt',
      'd.opinion', 'd.rectification', 'd.document', 'd.attachment_ids as attachmentIds',
    ])
    .orderBy('d.decided_at')
    .orderBy('d.id');
  if (filter.surveyId) query = query.where('d.survey_id', '=', filter.surveyId);
  if (filter.surveyOnly) query = query.where('d.object', '=', 'survey');
  if (filter.submissionIds) {
    if (filter.submissionIds.length === 0) return [];
    query = query.where('d.submission_id', 'in', filter.submissionIds);
  }
  const rows = await query.execute();
  const ids = [...new Set(rows.flatMap((row) => row.attachmentIds))];
  const files = ids.length
    ? await db.selectFrom('attachments').select(['id', 'file_name as fileName', 'media_type as mediaType', 'size_bytes as sizeBytes', 'sha256']).where('id', 'in', ids).execute()
    : [];
  return rows.map(({ attachmentIds, ...row }) => ({
    ...row,
    label: row.label ?? row.action,
    decidedAt: row.decidedAt.toISOString(),
    attachments: files.filter((file) => attachmentIds.includes(file.id)),
  }));
}

/** Every round of the submission's chain: the packages it corrects and those correcting it. */
export async function roundsOf(db: Queryable, submissionId: string): Promise<SubmissionSummary[]> {
  const own = await db.selectFrom('submissions').select(['survey_id', 'district_code']).where('id', '=', submissionId).executeTakeFirst();
  if (!own) return [];
  const rows = await listSubmissions(db, { surveyId: own.survey_id, districtCode: own.district_code });
  return rows.sort((a, b) => a.round - b.round || a.createdAt.localeCompare(b.createdAt));
}

/** The latest quality run of a submission, in brief. */
export async function latestRun(db: Queryable, submissionId: string) {
  const row = await db
    .selectFrom('qc_runs')
    .select(['id', 'state', 'findings', 'blocking', 'finished_at as finishedAt'])
    .where('submission_id', '=', submissionId)
    .orderBy('started_at', 'desc')
    .executeTakeFirst();
  return row ? { ...row, finishedAt: row.finishedAt ? new Date(row.finishedAt).toISOString() : null } : null;
}
