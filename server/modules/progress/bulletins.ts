// 进度通报 (art. 16): the board as of a day, frozen into a record when issued, addressed to the
// districts behind and the city (migrations/0019 writes their inbox notices). Issued on demand by
// the city, as itself, or by the platform's schedule, as the owner.
import type { Queryable } from '../../db/context.ts';
import { xlsxOf, type CellValue } from '../../export/spreadsheet.ts';
import { progressErrors } from './errors.ts';
import { progressBoard, type BoardRow } from './repository.ts';
import { stepName } from './steps.ts';

export interface BehindDistrict {
  districtCode: string;
  districtName: string;
  /** the most days late over the district's surveys */
  daysLate: number;
  surveys: { surveyId: string; surveyTitle: string; nextStep: string | null; nextDue: string | null; daysLate: number }[];
}

export interface BulletinContent {
  asOf: string;
  rows: BoardRow[];
  behind: BehindDistrict[];
  /** the slowest districts, named for 重点督导 */
  supervised: string[];
}

export interface Bulletin {
  id: string;
  number: number;
  surveyId: string | null;
  asOf: string;
  issuedHow: 'on_demand' | 'scheduled';
  issuedAt: string;
  title: string;
  behindDistricts: string[];
  supervisedDistricts: string[];
}

/** What a bulletin says as of a day: only (survey, district) pairs the plan set deadlines for. */
export async function bulletinContent(db: Queryable, asOf: string, surveyId?: string): Promise<BulletinContent> {
  const rows = (await progressBoard(db, asOf, surveyId)).filter((row) => row.deadlines.length > 0);
  const behind = new Map<string, BehindDistrict>();
  for (const row of rows.filter((r) => r.daysLate > 0)) {
    const district = behind.get(row.districtCode) ?? { districtCode: row.districtCode, districtName: row.districtName, daysLate: 0, surveys: [] };
    district.daysLate = Math.max(district.daysLate, row.daysLate);
    district.surveys.push({ surveyId: row.surveyId, surveyTitle: row.surveyTitle, nextStep: row.nextStep, nextDue: row.nextDue, daysLate: row.daysLate });
    behind.set(row.districtCode, district);
  }
  const ordered = [...behind.values()].sort((a, b) => b.daysLate - a.daysLate || a.districtCode.localeCompare(b.districtCode));
  const slowest = ordered[0]?.daysLate ?? 0;
  return { asOf, rows, behind: ordered, supervised: ordered.filter((d) => d.daysLate === slowest).map((d) => d.districtCode) };
}

function titleOf(asOf: string, surveyTitle: string | null): string {
  return `土地调查进度通报（截至 ${asOf}${surveyTitle ? `，${surveyTitle}` : ''}）`;
}

const BULLETIN_COLUMNS = ['id', 'number', 'survey_id as surveyId', 'as_of as asOf', 'issued_how as issuedHow', 'issued_at as issuedAt', 'title', 'behind_districts as behindDistricts', 'supervised_districts as supervisedDistricts'] as const;

function toBulletin(row: Omit<Bulletin, 'issuedAt'> & { issuedAt: Date }): Bulletin {
  return { ...row, issuedAt: row.issuedAt.toISOString() };
}

/**
 * Issues a bulletin: on demand (issuedBy, in the city's request transaction) or scheduled (as the
 * owner; once a day, so null when today's is out already, or when no survey has deadlines).
 */
export async function issueBulletin(
  db: Queryable,
  how: { kind: 'on_demand'; userId: string } | { kind: 'scheduled' },
  asOf: string,
  surveyId?: string,
): Promise<Bulletin | null> {
  let surveyTitle: string | null = null;
  if (surveyId) {
    const survey = await db.selectFrom('surveys').select('title').where('id', '=', surveyId).executeTakeFirst();
    if (!survey) throw progressErrors.surveyNotFound(surveyId);
    surveyTitle = survey.title;
  }
  const content = await bulletinContent(db, asOf, surveyId);
  if (how.kind === 'scheduled' && content.rows.length === 0) return null;
  const insert = db.insertInto('progress_bulletins').values({
    survey_id: surveyId ?? null,
    as_of: asOf,
    issued_how: how.kind,
    issued_by: how.kind === 'on_demand' ? how.userId : null,
    title: titleOf(asOf, surveyTitle),
    content: JSON.stringify(content),
    behind_districts: content.behind.map((d) => d.districtCode),
    supervised_districts: content.supervised,
  });
  const row =
    how.kind === 'scheduled'
      ? await insert.onConflict((conflict) => conflict.column('as_of').where('issued_how', '=', 'scheduled').where('survey_id', 'is', null).doNothing()).returning(BULLETIN_COLUMNS).executeTakeFirst()
      : await insert.returning(BULLETIN_COLUMNS).executeTakeFirstOrThrow();
  return row ? toBulletin(row) : null;
}

export async function listBulletins(db: Queryable): Promise<Bulletin[]> {
  const rows = await db.selectFrom('progress_bulletins').select(BULLETIN_COLUMNS).orderBy('number', 'desc').execute();
  return rows.map(toBulletin);
}

export async function getBulletin(db: Queryable, id: string): Promise<Bulletin & { content: BulletinContent }> {
  const row = await db.selectFrom('progress_bulletins').select([...BULLETIN_COLUMNS, 'content']).where('id', '=', id).executeTakeFirst();
  if (!row) throw progressErrors.bulletinNotFound(id);
  const { content, ...rest } = row;
  return { ...toBulletin(rest), content: content as BulletinContent };
}

/** The bulletin as a workbook: its summary, the districts behind, and the whole board. */
export function bulletinWorkbook(bulletin: Bulletin & { content: BulletinContent }): Promise<Buffer> {
  const { content } = bulletin;
  const names = new Map(content.rows.map((row) => [row.districtCode, row.districtName]));
  const summary: CellValue[][] = [
    ['项目', '内容'],
    ['通报', bulletin.title],
    ['期号', bulletin.number],
    ['统计截至', content.asOf],
    ['发布方式', bulletin.issuedHow === 'scheduled' ? '定期发布' : '即时发布'],
    ['发布时间', bulletin.issuedAt],
    ['进度滞后的区', content.behind.map((d) => d.districtName).join('、') || '无'],
    ['重点督导', content.supervised.map((code) => names.get(code) ?? code).join('、') || '无'],
  ];
  const behind: CellValue[][] = [
    ['区', '区代码', '调查任务', '未完成环节', '截止日期', '逾期天数', '重点督导'],
    ...content.behind.flatMap((d) =>
      d.surveys.map((s): CellValue[] => [d.districtName, d.districtCode, s.surveyTitle, stepName(s.nextStep), s.nextDue, s.daysLate, content.supervised.includes(d.districtCode) ? '是' : '否']),
    ),
  ];
  const board: CellValue[][] = [
    ['调查任务', '区', '区代码', '已到环节', '轮次', '下一环节', '截止日期', '逾期天数', '自报进度(%)'],
    ...content.rows.map((row): CellValue[] => [row.surveyTitle, row.districtName, row.districtCode, stepName(row.reached), row.rounds, row.nextStep ? stepName(row.nextStep) : '已完成', row.nextDue, row.daysLate, row.percent]),
  ];
  return xlsxOf([
    { name: '通报', rows: summary },
    { name: '滞后区', rows: behind },
    { name: '各区进度', rows: board },
  ]);
}
