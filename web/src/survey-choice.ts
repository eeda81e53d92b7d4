// Which survey the upload page offers first: the one that fits the district. A district without a
// baseline yet needs its national survey (全国土地调查) first; once its baseline is applied, what
// it sends are change packages, for the open change survey. (A package of the wrong kind for its
// survey gets one finding saying so, PKG_KIND_MATCHES_SURVEY.)
import type { Submission, Survey } from './api-data';

const open = (survey: Survey) => survey.state === 'collecting';

/** Open surveys first, then the newest. */
export function surveyOrder(a: Survey, b: Survey): number {
  return Number(open(b)) - Number(open(a)) || b.year - a.year;
}

const first = (surveys: Survey[]) => [...surveys].sort(surveyOrder)[0];

export function preferredSurvey(surveys: Survey[], submissions: Submission[], districtCode: string | null): Survey | undefined {
  const kindOf = new Map(surveys.map((survey) => [survey.id, survey.kind]));
  const hasBaseline = submissions.some(
    (submission) => submission.state === 'applied' && kindOf.get(submission.surveyId) === 'national' && (districtCode === null || submission.districtCode === districtCode),
  );
  const national = surveys.filter((survey) => survey.kind === 'national');
  const changes = surveys.filter((survey) => survey.kind !== 'national');
  if (!hasBaseline) return first(national) ?? first(surveys);
  return first(changes.filter(open)) ?? first(changes) ?? first(surveys);
}

/** What the selected survey takes, in a line under the choice. */
export function surveyHint(survey: Survey | undefined): string {
  if (!survey) return '';
  if (survey.kind === 'national') return '全国土地调查只接收覆盖全区的基础成果（图层不带变更字段），每个区只入库一次。';
  return '变更调查只接收变更成果：每个新图斑须填写 BGQBSM（变更前标识码）与 BGRQ（变更日期）。整套基础成果请勿上传到这里。';
}
