// The quality module's refusals and failures, each with a stable code and both languages.
import { AppError, submissionStateZh } from '../../errors.ts';

/** Submission states a package can be checked in (it imported; a check may be repeated). */
export const CHECKABLE_STATES: readonly string[] = ['imported', 'checked', 'rejected'];

/** What a run was doing, in both languages: a rule (ruleId), or a step shared by the rules in ruleIds. */
export interface CheckStep {
  ruleId: string | null;
  ruleIds?: string[];
  zh: string;
  en: string;
}

export function ruleStep(ruleId: string): CheckStep {
  return { ruleId, zh: `质检规则 ${ruleId} `, en: `Quality rule ${ruleId}` };
}

export const qualityErrors = {
  notImported: (state: string) =>
    new AppError(409, 'QC_NOT_IMPORTED', `提交处于“${submissionStateZh(state)}”状态，只有导入完成的成果可以质检`, `The submission is ${state}: only an imported package can be checked`, { state }),
  /**
   * A step of a run failed (the engine, not the data): a rule, or a step several rules share (the
   * geometry screening, a layer's row rules). The database's own words (English) go to the English
   * message and details.reason only.
   */
  engineFailed: (step: CheckStep, reason: string) =>
    new AppError(500, 'QC_ENGINE_FAILED', `${step.zh}执行失败（数据库报错，原文见详情）：成果未被判定，排除问题后可重新质检`, `${step.en} failed: ${reason}`, {
      ruleId: step.ruleId,
      ...(step.ruleIds ? { ruleIds: step.ruleIds } : {}),
      reason,
    }),
  unknownRule: (ruleId: string) => new AppError(404, 'QC_RULE_UNKNOWN', `没有质检规则 ${ruleId}`, `No quality rule ${ruleId}`, { ruleId }),
  settingInvalid: (ruleId: string, zh: string, en: string, details: Record<string, unknown> = {}) =>
    new AppError(400, 'QC_SETTING_INVALID', `质检规则 ${ruleId} 的设置无效：${zh}`, `Invalid setting of rule ${ruleId}: ${en}`, { ruleId, ...details }),
  exportTooLarge: (total: number, limit: number) =>
    new AppError(400, 'QC_EXPORT_TOO_LARGE', `问题过多（${total} 条），请按规则或严重程度筛选后下载`, `Too many findings (${total}) for one file: filter by rule or severity`, { total, limit }),
};
