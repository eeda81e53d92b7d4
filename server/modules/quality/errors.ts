// The quality module's refusals and failures, each with a stable code and both languages.
import { AppError, submissionStateZh } from '../../errors.ts';

/** Submission states a package can be checked in (it imported; a check may be repeated). */
export const CHECKABLE_STATES: readonly string[] = ['imported', 'checked', 'rejected'];

export const qualityErrors = {
  notImported: (state: string) =>
    new AppError(409, 'QC_NOT_IMPORTED', `提交处于“${submissionStateZh(state)}”状态，只有导入完成的成果可以质检`, `The submission is ${state}: only an imported package can be checked`, { state }),
  engineFailed: (ruleId: string, reason: string) =>
    new AppError(500, 'QC_ENGINE_FAILED', `质检规则 ${ruleId} 执行失败（数据库的原因见英文信息）`, `Quality rule ${ruleId} failed: ${reason}`, { ruleId, reason }),
  unknownRule: (ruleId: string) => new AppError(404, 'QC_RULE_UNKNOWN', `没有质检规则 ${ruleId}`, `No quality rule ${ruleId}`, { ruleId }),
  settingInvalid: (ruleId: string, zh: string, en: string, details: Record<string, unknown> = {}) =>
    new AppError(400, 'QC_SETTING_INVALID', `质检规则 ${ruleId} 的设置无效：${zh}`, `Invalid setting of rule ${ruleId}: ${en}`, { ruleId, ...details }),
  exportTooLarge: (total: number, limit: number) =>
    new AppError(400, 'QC_EXPORT_TOO_LARGE', `问题过多（${total} 条），请按规则或严重程度筛选后下载`, `Too many findings (${total}) for one file: filter by rule or severity`, { total, limit }),
};
