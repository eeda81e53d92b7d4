import { sql } from 'kysely';
import type { Queryable } from '../../db/context.ts';
import type { SecrecyLevel, SurveyKind, SurveyScope, SurveyState } from '../../db/schema.ts';

export interface Survey {
  id: string;
  kind: SurveyKind;
  scope: SurveyScope;
  districtCode: string | null;
  year: number;
  timePoint: string;
  title: string;
  secrecy: SecrecyLevel;
  state: SurveyState;
  submissionDeadline: string | null;
  /** 已冻结: its time point is on or before the last frozen snapshot day; nothing it describes can change */
  frozen: boolean;
}

export interface NewSurvey {
  kind: SurveyKind;
  scope: SurveyScope;
  districtCode?: string | null;
  year: number;
  timePoint?: string;
  title: string;
  secrecy?: SecrecyLevel;
  submissionDeadline?: string | null;
}

const SURVEY_COLUMNS = [
  'id',
  'kind',
  'scope',
  'district_code as districtCode',
  'year',
  'time_point as timePoint',
  'title',
  'secrecy',
  'state',
  'submission_deadline as submissionDeadline',
  sql<boolean>`coalesce(time_point <= frozen_through(), false)`.as('frozen'),
] as const;

export function listSurveys(db: Queryable): Promise<Survey[]> {
  return db.selectFrom('surveys').select(SURVEY_COLUMNS).orderBy('year', 'desc').orderBy('title').execute();
}

export function insertSurvey(db: Queryable, input: NewSurvey, createdBy: string | null): Promise<Survey> {
  return db
    .insertInto('surveys')
    .values({
      kind: input.kind,
      scope: input.scope,
      district_code: input.districtCode ?? null,
      year: input.year,
      // 统一时点: 12月31日 of the survey year unless the survey says otherwise
      time_point: input.timePoint ?? `${input.year}-12-31`,
      title: input.title,
      secrecy: input.secrecy ?? 'internal',
      submission_deadline: input.submissionDeadline ?? null,
      created_by: createdBy,
    })
    .returning(SURVEY_COLUMNS)
    .executeTakeFirstOrThrow();
}

export function findSurvey(db: Queryable, id: string): Promise<Survey | undefined> {
  return db.selectFrom('surveys').select(SURVEY_COLUMNS).where('id', '=', id).executeTakeFirst();
}

export interface NoChangeDeclaration {
  surveyId: string;
  districtCode: string;
  declaredBy: string | null;
  declaredAt: string;
  note: string | null;
}

const DECLARATION_COLUMNS = [
  'survey_id as surveyId',
  'district_code as districtCode',
  'declared_by as declaredBy',
  'declared_at as declaredAt',
  'note',
] as const;

/** 本年度无变化: the database refuses it once the district has an applied package (migrations/0015). */
export async function insertNoChangeDeclaration(db: Queryable, input: { surveyId: string; districtCode: string; note: string | null }, declaredBy: string): Promise<NoChangeDeclaration> {
  const row = await db
    .insertInto('no_change_declarations')
    .values({ survey_id: input.surveyId, district_code: input.districtCode, declared_by: declaredBy, note: input.note })
    .returning(DECLARATION_COLUMNS)
    .executeTakeFirstOrThrow();
  return toDeclaration(row);
}

function toDeclaration(row: { surveyId: string; districtCode: string; declaredBy: string | null; declaredAt: Date | string; note: string | null }): NoChangeDeclaration {
  return { ...row, declaredAt: new Date(row.declaredAt).toISOString() };
}

/** The declarations of a survey that the caller may see. */
export async function listNoChangeDeclarations(db: Queryable, surveyId: string): Promise<NoChangeDeclaration[]> {
  const rows = await db.selectFrom('no_change_declarations').select(DECLARATION_COLUMNS).where('survey_id', '=', surveyId).orderBy('district_code').execute();
  return rows.map(toDeclaration);
}
