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
