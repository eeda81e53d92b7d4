// What has been published (公布, art. 24), as everyone may read it: row-level security shows the
// public the standing publications of 公开 surveys, and signed-in users every publication
// (migrations/0018). Publications are written by the lifecycle only (submissions/survey-effects.ts).
import type { Queryable } from '../../db/context.ts';

export interface Publication {
  id: string;
  surveyId: string;
  surveyTitle: string;
  surveyKind: string;
  year: number;
  districtCode: string | null;
  districtName: string | null;
  day: string;
  layers: string[];
  fields: string[];
  publishedAt: string;
  withdrawnAt: string | null;
}

export async function listPublications(db: Queryable, filter: { surveyId?: string; standing?: boolean } = {}): Promise<Publication[]> {
  let query = db
    .selectFrom('publications as p')
    .innerJoin('surveys as v', 'v.id', 'p.survey_id')
    .leftJoin('admin_units as a', 'a.code', 'p.district_code')
    .select([
      'p.id', 'p.survey_id as surveyId', 'v.title as surveyTitle', 'v.kind as surveyKind', 'v.year', 'p.district_code as districtCode', 'a.name as districtName',
      'p.day', 'p.layers', 'p.fields', 'p.published_at as publishedAt', 'p.withdrawn_at as withdrawnAt',
    ])
    .orderBy('p.day', 'desc')
    .orderBy('p.published_at');
  if (filter.surveyId) query = query.where('p.survey_id', '=', filter.surveyId);
  if (filter.standing) query = query.where('p.withdrawn_at', 'is', null);
  const rows = await query.execute();
  return rows.map((row) => ({ ...row, publishedAt: row.publishedAt.toISOString(), withdrawnAt: row.withdrawnAt ? row.withdrawnAt.toISOString() : null }));
}

/** Whether `day` is a published day the caller can read (the public's statistics and tables). */
export async function isPublishedDay(db: Queryable, day: string): Promise<boolean> {
  const row = await db.selectFrom('publications').select('id').where('day', '=', day).where('withdrawn_at', 'is', null).executeTakeFirst();
  return row !== undefined;
}
