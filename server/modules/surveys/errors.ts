// The surveys module's refusals, each with a stable code and both languages.
import { AppError } from '../../errors.ts';

interface DeclarationRefusal {
  reason?: string;
  kind?: string;
  districtCode?: string;
  submissionId?: string;
}

export const surveyErrors = {
  notFound: (id: string) => new AppError(404, 'SURVEY_NOT_FOUND', `未找到调查任务：${id}`, `Survey not found: ${id}`, { id }),
  alreadyClosed: (id: string) => new AppError(409, 'SURVEY_CLOSED', `调查任务已结束：${id}`, `The survey is closed already: ${id}`, { id }),
  notAllowed: (id: string) => new AppError(403, 'FORBIDDEN', `当前角色无权结束该调查任务：${id}`, `Your role may not close this survey: ${id}`, { id }),
  declareForbidden: (districtCode: string) =>
    new AppError(403, 'FORBIDDEN', `区级操作员只能为本区声明本年度无变化，不能为 ${districtCode}`, `A district operator declares no change for its own district only, not for ${districtCode}`, { districtCode }),
  /** A declaration of no change refused by the database (SQLSTATE LS152, migrations/0015). */
  declarationConflict: (detail: unknown): AppError => {
    let refusal: DeclarationRefusal = {};
    try {
      refusal = typeof detail === 'string' ? (JSON.parse(detail) as DeclarationRefusal) : {};
    } catch {
      // no detail: the general answer below
    }
    switch (refusal.reason) {
      case 'declared':
        return new AppError(409, 'NO_CHANGE_DECLARED', `${refusal.districtCode ?? ''} 已声明本年度无变化，其变更成果不能入库`, `District ${refusal.districtCode ?? ''} declared no change for this survey: its package cannot be applied`, { ...refusal });
      case 'applied':
        return new AppError(409, 'NO_CHANGE_AFTER_APPLY', `${refusal.districtCode ?? ''} 已有入库的本年度变更成果，不能再声明本年度无变化`, `District ${refusal.districtCode ?? ''} has an applied change package for this survey: it cannot declare no change`, { ...refusal });
      case 'survey_kind':
        return new AppError(409, 'NO_CHANGE_NOT_APPLICABLE', '只有年度土地利用变更调查可以声明本年度无变化', 'Only a yearly land-use change survey takes a declaration of no change', { ...refusal });
      case 'district':
        return new AppError(409, 'NO_CHANGE_NOT_APPLICABLE', `${refusal.districtCode ?? ''} 不是该调查任务范围内的区`, `${refusal.districtCode ?? ''} is not a district of this survey`, { ...refusal });
      default:
        return new AppError(409, 'NO_CHANGE_REFUSED', '本年度无变化的声明与该区的成果冲突', 'The declaration of no change conflicts with the district’s packages');
    }
  },
};
