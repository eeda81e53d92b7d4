// What keeps a year from being frozen (migrations/0015, freeze_blockers): an accepted package not
// applied, no survey of the year, a survey of the year not closed, a district with neither an
// applied change package nor a declaration of no change. The database refuses such a freeze
// itself (a trigger on snapshots); this turns its obstacles into the answer a person can act on.
import type { ScriptExec } from '../../db/engine.ts';
import { AppError } from '../../errors.ts';

export type FreezeBlockerReason = 'skipped' | 'pending' | 'no_survey' | 'open' | 'district';

export interface FreezeBlocker {
  reason: FreezeBlockerReason;
  /** the first unfrozen year (skipped), submission id (pending), survey id (open), district code (district) */
  subject: string | null;
  /** district code (pending), survey title (open), district name (district) */
  name: string | null;
  /** the survey's state (open) */
  state: string | null;
}

/** Survey states as the pages name them. */
export const SURVEY_STATE_NAMES: Record<string, string> = {
  planned: '计划中',
  collecting: '汇交中',
  checking: '审核中',
  preliminary_accepted: '已初验',
  accepted: '已验收',
  filed: '已备案',
  approved: '已批准',
  published: '已公布',
  closed: '已结束',
};

export async function freezeBlockers(exec: ScriptExec, year: number): Promise<FreezeBlocker[]> {
  const rows = await exec(`SELECT reason, subject, name, state FROM freeze_blockers($1)`, [year]);
  return rows.map((row) => ({
    reason: String(row.reason) as FreezeBlockerReason,
    subject: (row.subject as string | null) ?? null,
    name: (row.name as string | null) ?? null,
    state: (row.state as string | null) ?? null,
  }));
}

/** The blockers the snapshot trigger put in its error's DETAIL (SQLSTATE LS151), if any. */
export function blockersFromDetail(detail: unknown): FreezeBlocker[] | null {
  return parseDetail(detail)?.blockers ?? null;
}

/** The trigger's refusal (SQLSTATE LS151) as the API answers it; null when its DETAIL is not readable. */
export function refusalFromDetail(detail: unknown): AppError | null {
  const parsed = parseDetail(detail);
  return parsed ? freezeRefusal(parsed.year, parsed.blockers) : null;
}

function parseDetail(detail: unknown): { year: number; blockers: FreezeBlocker[] } | null {
  if (typeof detail !== 'string') return null;
  try {
    const parsed = JSON.parse(detail) as { year?: unknown; blockers?: unknown };
    return Array.isArray(parsed.blockers) && typeof parsed.year === 'number' ? { year: parsed.year, blockers: parsed.blockers as FreezeBlocker[] } : null;
  } catch {
    return null;
  }
}

const of = (blockers: FreezeBlocker[], reason: FreezeBlockerReason) => blockers.filter((blocker) => blocker.reason === reason);

/**
 * One refusal for the first kind of obstacle, in the order a person would clear them; the details
 * carry every obstacle.
 */
export function freezeRefusal(year: number, blockers: FreezeBlocker[]): AppError {
  const details = { year, blockers };
  const skipped = of(blockers, 'skipped')[0];
  if (skipped) {
    return new AppError(
      409,
      'SNAPSHOT_YEAR_SKIPPED',
      `不能冻结 ${year} 年度快照：${skipped.subject} 年度尚未冻结，年度须依次冻结`,
      `Cannot freeze snapshot ${year}: ${skipped.subject} is not frozen yet, and years freeze one after another`,
      { ...details, firstUnfrozen: Number(skipped.subject) },
    );
  }
  const pending = of(blockers, 'pending');
  if (pending.length) {
    return new AppError(
      409,
      'SNAPSHOT_NOT_FREEZABLE',
      `不能冻结 ${year} 年度快照：尚有 ${pending.length} 个已验收未入库的成果，请先入库或退回`,
      `Cannot freeze snapshot ${year}: ${pending.length} accepted package(s) are not applied yet; apply or turn them down first`,
      { ...details, pending: pending.map((blocker) => ({ submissionId: blocker.subject, districtCode: blocker.name })) },
    );
  }
  if (of(blockers, 'no_survey').length) {
    return new AppError(
      409,
      'SNAPSHOT_NO_SURVEY',
      `不能冻结 ${year} 年度快照：该年度没有土地利用变更调查（也不是全国土地调查的年度），没有调查成果的年度不能冻结`,
      `Cannot freeze snapshot ${year}: the year has no land-use change survey (nor a national survey), and a year no survey describes cannot be frozen`,
      details,
    );
  }
  const open = of(blockers, 'open');
  if (open.length) {
    return new AppError(
      409,
      'SNAPSHOT_SURVEY_OPEN',
      `不能冻结 ${year} 年度快照：该年度的调查任务尚未结束：${namedFew(open.map((b) => `“${b.name ?? b.subject}”（${SURVEY_STATE_NAMES[b.state ?? ''] ?? '未结束'}）`), '、', (n) => `等 ${n} 项`)}。请先结束调查任务`,
      `Cannot freeze snapshot ${year}: the year's survey is not closed yet: ${namedFew(open.map((b) => `survey ${b.subject} (${b.state})`), ', ', (n) => `and ${n - NAMED_AT_MOST} more`)}; close it first`,
      { ...details, surveys: open.map((blocker) => ({ surveyId: blocker.subject, state: blocker.state })) },
    );
  }
  const districts = of(blockers, 'district');
  return new AppError(
    409,
    'SNAPSHOT_DISTRICTS_INCOMPLETE',
    `不能冻结 ${year} 年度快照：以下 ${districts.length} 个区既没有已入库的本年度变更成果，也未声明本年度无变化：${districts.map((b) => `${b.name}（${b.subject}）`).join('、')}`,
    `Cannot freeze snapshot ${year}: ${districts.length} district(s) have neither an applied change package of the year nor a declaration of no change: ${districts.map((b) => b.subject).join(', ')}`,
    { ...details, districts: districts.map((blocker) => ({ districtCode: blocker.subject, name: blocker.name })) },
  );
}

/** How many blockers a message names; the details carry them all. */
const NAMED_AT_MOST = 5;

/** The first few of a list, joined, with a tail saying how many there are in all. */
function namedFew(items: string[], separator: string, tail: (count: number) => string): string {
  if (items.length <= NAMED_AT_MOST) return items.join(separator);
  return `${items.slice(0, NAMED_AT_MOST).join(separator)}${separator === '、' ? '' : ' '}${tail(items.length)}`;
}
