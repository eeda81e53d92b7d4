// Deadlines, progress reports and the progress board (art. 15, 16), read and written in the
// caller's transaction: row-level security (migrations/0019) leaves a district its own rows.
import { sql } from 'kysely';
import type { Queryable } from '../../db/context.ts';
import { progressErrors, translateDeadlineError } from './errors.ts';

export interface Deadline {
  id: string;
  surveyId: string;
  surveyTitle: string;
  districtCode: string;
  districtName: string;
  step: string;
  dueDate: string;
  note: string | null;
  setAt: string;
}

export async function listDeadlines(db: Queryable, filter: { surveyId?: string; districtCode?: string }): Promise<Deadline[]> {
  let query = db
    .selectFrom('progress_deadlines as d')
    .innerJoin('surveys as v', 'v.id', 'd.survey_id')
    .innerJoin('admin_units as a', 'a.code', 'd.district_code')
    .select(['d.id', 'd.survey_id as surveyId', 'v.title as surveyTitle', 'd.district_code as districtCode', 'a.name as districtName', 'd.step', 'd.due_date as dueDate', 'd.note', 'd.set_at as setAt'])
    .orderBy('v.title')
    .orderBy('d.district_code')
    .orderBy('d.due_date');
  if (filter.surveyId) query = query.where('d.survey_id', '=', filter.surveyId);
  if (filter.districtCode) query = query.where('d.district_code', '=', filter.districtCode);
  const rows = await query.execute();
  return rows.map((row) => ({ ...row, setAt: row.setAt.toISOString() }));
}

export interface DeadlineInput {
  surveyId: string;
  districtCode: string;
  step: string;
  dueDate: string;
  note?: string | null;
}

/** Sets (or moves) the deadline of one survey, district and step; returns its id. */
export async function setDeadline(db: Queryable, userId: string, input: DeadlineInput): Promise<string> {
  const survey = await db.selectFrom('surveys').select('id').where('id', '=', input.surveyId).executeTakeFirst();
  if (!survey) throw progressErrors.surveyNotFound(input.surveyId);
  try {
    const row = await db
      .insertInto('progress_deadlines')
      .values({ survey_id: input.surveyId, district_code: input.districtCode, step: input.step, due_date: input.dueDate, note: input.note ?? null, set_by: userId })
      .onConflict((conflict) => conflict.columns(['survey_id', 'district_code', 'step']).doUpdateSet({ due_date: input.dueDate, note: input.note ?? null, set_by: userId }))
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  } catch (error) {
    return translateDeadlineError(error);
  }
}

export async function deleteDeadline(db: Queryable, id: string): Promise<void> {
  const removed = await db.deleteFrom('progress_deadlines').where('id', '=', id).returning('id').executeTakeFirst();
  if (!removed) throw progressErrors.deadlineNotFound(id);
}

export interface ProgressReport {
  id: string;
  surveyId: string;
  districtCode: string;
  districtName: string;
  percent: number;
  note: string | null;
  reportedBy: string;
  reportedAt: string;
}

export async function listReports(db: Queryable, filter: { surveyId?: string; districtCode?: string }): Promise<ProgressReport[]> {
  let query = db
    .selectFrom('progress_reports as r')
    .innerJoin('admin_units as a', 'a.code', 'r.district_code')
    .leftJoin('users as u', 'u.id', 'r.reported_by')
    .select(['r.id', 'r.survey_id as surveyId', 'r.district_code as districtCode', 'a.name as districtName', 'r.percent', 'r.note', 'r.reported_at as reportedAt'])
    .select(sql<string>`coalesce(u.display_name, r.reported_by::text)`.as('reportedBy'))
    .orderBy('r.reported_at', 'desc');
  if (filter.surveyId) query = query.where('r.survey_id', '=', filter.surveyId);
  if (filter.districtCode) query = query.where('r.district_code', '=', filter.districtCode);
  const rows = await query.execute();
  return rows.map((row) => ({ ...row, reportedAt: row.reportedAt.toISOString() }));
}

export async function addReport(db: Queryable, user: { id: string; districtCode: string }, input: { surveyId: string; percent: number; note?: string | null }): Promise<string> {
  const survey = await db.selectFrom('surveys').select('id').where('id', '=', input.surveyId).executeTakeFirst();
  if (!survey) throw progressErrors.surveyNotFound(input.surveyId);
  const row = await db
    .insertInto('progress_reports')
    .values({ survey_id: input.surveyId, district_code: user.districtCode, percent: input.percent, note: input.note ?? null, reported_by: user.id })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface BoardRow {
  surveyId: string;
  surveyTitle: string;
  surveyKind: string;
  districtCode: string;
  districtName: string;
  /** the state of the latest round's package (null: nothing sent yet) */
  reached: string | null;
  submissionId: string | null;
  rounds: number;
  /** the next deadline not met, and how many days it is passed as of the board's day */
  nextStep: string | null;
  nextDue: string | null;
  daysLate: number;
  deadlines: { id: string; step: string; dueDate: string; met: boolean }[];
  percent: number | null;
  reportedAt: string | null;
}

interface BoardRecord {
  survey_id: string;
  survey_title: string;
  survey_kind: string;
  district_code: string;
  district_name: string;
  reached: string | null;
  submission_id: string | null;
  rounds: number;
  next_step: string | null;
  next_due: string | null;
  days_late: number;
  deadlines: BoardRow['deadlines'] | null;
  percent: number | null;
  reported_at: Date | null;
}

/** The board as of a day (YYYY-MM-DD), computed by progress_board() (migrations/0019). */
export async function progressBoard(db: Queryable, asOf: string, surveyId?: string): Promise<BoardRow[]> {
  const result = await sql<BoardRecord>`SELECT * FROM progress_board(${asOf}::date, ${surveyId ?? null}::uuid)`.execute(db);
  return result.rows.map((row) => ({
    surveyId: row.survey_id,
    surveyTitle: row.survey_title,
    surveyKind: row.survey_kind,
    districtCode: row.district_code,
    districtName: row.district_name,
    reached: row.reached,
    submissionId: row.submission_id,
    rounds: row.rounds,
    nextStep: row.next_step,
    nextDue: row.next_due,
    daysLate: row.days_late,
    deadlines: row.deadlines ?? [],
    percent: row.percent,
    reportedAt: row.reported_at ? new Date(row.reported_at).toISOString() : null,
  }));
}
