// The progress module's refusals, each with a stable code and both languages.
import { AppError } from '../../errors.ts';

interface DeadlineRefusal {
  reason?: string;
  step?: string;
  districtCode?: string;
  allowed?: string[] | null;
}

export const progressErrors = {
  surveyNotFound: (id: string) => new AppError(404, 'SURVEY_NOT_FOUND', `未找到调查任务：${id}`, `Survey not found: ${id}`, { id }),
  deadlineNotFound: (id: string) => new AppError(404, 'DEADLINE_NOT_FOUND', `未找到该截止日期：${id}`, `Deadline not found: ${id}`, { id }),
  bulletinNotFound: (id: string) => new AppError(404, 'BULLETIN_NOT_FOUND', `未找到该进度通报：${id}`, `Progress bulletin not found: ${id}`, { id }),
  notificationNotFound: (id: string) => new AppError(404, 'NOTIFICATION_NOT_FOUND', `未找到该消息：${id}`, `Notice not found: ${id}`, { id }),
  noDistrict: () => new AppError(403, 'FORBIDDEN', '只有区级账号可以报告本区进度', 'Only a district account reports its district’s progress'),
  /** A deadline refused by the database (SQLSTATE LS170, migrations/0019). */
  deadlineRefused: (detail: unknown): AppError => {
    let refusal: DeadlineRefusal = {};
    try {
      refusal = typeof detail === 'string' ? (JSON.parse(detail) as DeadlineRefusal) : {};
    } catch {
      // no detail: the general answer below
    }
    if (refusal.reason === 'step') {
      const allowed = ['received', ...(refusal.allowed ?? [])];
      return new AppError(409, 'DEADLINE_STEP_INVALID', `该调查任务的成果不会到达“${refusal.step ?? ''}”环节，可设截止日期的环节：${allowed.join('、')}`,
        `This survey's packages never reach "${refusal.step ?? ''}"; steps that take a deadline: ${allowed.join(', ')}`, { step: refusal.step, allowed });
    }
    return new AppError(409, 'DEADLINE_DISTRICT_INVALID', `${refusal.districtCode ?? ''} 不是该调查任务范围内的区`, `${refusal.districtCode ?? ''} is not a district of this survey`, { districtCode: refusal.districtCode });
  },
};

/** Turns the database's refusal of a deadline into its API error; anything else passes on. */
export function translateDeadlineError(error: unknown): never {
  const { code, detail } = (error ?? {}) as { code?: string; detail?: string };
  if (code === 'LS170') throw progressErrors.deadlineRefused(detail);
  throw error;
}
