import type { Queryable } from '../../db/context.ts';
import type { SubmissionState } from '../../db/schema.ts';

export interface SubmissionSummary {
  id: string;
  districtCode: string;
  surveyId: string;
  state: SubmissionState;
  fileName: string;
  sha256: string;
  sizeBytes: number;
  createdAt: string;
}

/** Row-level security decides which districts' submissions come back. */
export async function listSubmissions(db: Queryable, filter: { surveyId?: string; districtCode?: string }): Promise<SubmissionSummary[]> {
  let query = db
    .selectFrom('submissions')
    .select([
      'id',
      'district_code as districtCode',
      'survey_id as surveyId',
      'state',
      'file_name as fileName',
      'sha256',
      'size_bytes as sizeBytes',
      'created_at as createdAt',
    ])
    .orderBy('created_at', 'desc');
  if (filter.surveyId) query = query.where('survey_id', '=', filter.surveyId);
  if (filter.districtCode) query = query.where('district_code', '=', filter.districtCode);
  const rows = await query.execute();
  return rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() }));
}
