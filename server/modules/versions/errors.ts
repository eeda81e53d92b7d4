// The versions module's refusals, each with a stable code and both languages.
import { AppError, submissionStateZh } from '../../errors.ts';

const problemText: Record<string, { zh: string; en: string }> = {
  date: { zh: '缺少或无效的变更日期', en: 'missing or invalid change date' },
  predecessor: { zh: '变更前图斑不是现状图斑', en: 'predecessor not current' },
  conflict: { zh: '同一图斑被以不同日期或方式替代', en: 'one parcel replaced on different dates or ways' },
  bsm_taken: { zh: '标识码已被现状图斑使用', en: 'BSM taken by a current parcel' },
};

export const versionErrors = {
  submissionNotFound: (id: string) => new AppError(404, 'NOT_FOUND', `未找到提交：${id}`, `No submission ${id}`, { id }),
  notCheckedClean: (state: string) =>
    new AppError(409, 'SUBMISSION_NOT_CHECKED', `提交处于“${submissionStateZh(state)}”状态：只有质检通过的成果可以验收`, `The submission is ${state}: only a package that passed its checks (checked) can be accepted`, { state }),
  notRejectable: (state: string) =>
    new AppError(409, 'SUBMISSION_NOT_REJECTABLE', `提交处于“${submissionStateZh(state)}”状态：只有质检通过或已验收、尚未入库的成果可以退回`, `The submission is ${state}: only a checked or accepted package not yet applied can be turned down`, { state }),
  notAccepted: (state: string) =>
    new AppError(409, 'SUBMISSION_NOT_ACCEPTED', `提交处于“${submissionStateZh(state)}”状态：只有已验收的成果可以入库`, `The submission is ${state}: only an accepted package can be applied`, { state }),
  baselineExists: (layer: string, district: string, versions: number) =>
    new AppError(409, 'BASELINE_EXISTS', `${district} 的${layer}已有基础数据（${versions} 个版本）：之后的成果应以变更调查提交`, `District ${district} already has a ${layer} baseline (${versions} versions): later results come as change surveys`, { district, versions }),
  changeStale: (layer: string, problems: Record<string, unknown>[]) =>
    new AppError(
      409,
      'CHANGE_STALE',
      `${layer}变更包与现状不符（自质检以来现状可能已变化），请重新质检：${problems.map((p) => `第 ${String(p.record_no)} 条 ${problemText[String(p.problem)]?.zh ?? p.problem} ${String(p.subject ?? '')}`).join('；')}`,
      `The ${layer} change package no longer fits the current parcels (they may have changed since it was checked); check it again: ${problems.map((p) => `record ${String(p.record_no)}: ${problemText[String(p.problem)]?.en ?? p.problem} ${String(p.subject ?? '')}`).join('; ')}`,
      { problems },
    ),
  applyIncomplete: (step: string, done: number, expected: number) =>
    new AppError(500, 'APPLY_INCOMPLETE', `入库中止：步骤 ${step} 处理了 ${done} 行，应为 ${expected} 行（几何运算失败？），未写入任何数据`, `Apply stopped: step ${step} touched ${done} rows instead of ${expected} (a geometry operation failed?); nothing was written`, { step, done, expected }),
  yearNotFreezable: (year: number, zh: string, en: string, details: Record<string, unknown> = {}) =>
    new AppError(409, 'SNAPSHOT_NOT_FREEZABLE', `不能冻结 ${year} 年度快照：${zh}`, `Cannot freeze snapshot ${year}: ${en}`, { year, ...details }),
  snapshotNotFound: (year: number) => new AppError(404, 'SNAPSHOT_NOT_FOUND', `${year} 年度快照尚未冻结`, `Snapshot ${year} has not been frozen`, { year }),
  parcelNotFound: (bsm: string) => new AppError(404, 'PARCEL_NOT_FOUND', `未找到图斑：${bsm}`, `No parcel with BSM ${bsm}`, { bsm }),
  badDate: (value: string) => new AppError(400, 'DATE_INVALID', `日期无效：${value}（应为 YYYY-MM-DD 或年份）`, `Not a date: ${value} (YYYY-MM-DD or a year)`, { value }),
  badBbox: (value: string) => new AppError(400, 'BBOX_INVALID', `范围无效：${value}（应为 最小经度,最小纬度,最大经度,最大纬度）`, `Not a box: ${value} (minLon,minLat,maxLon,maxLat)`, { value }),
  flowOrder: (from: string, to: string) => new AppError(400, 'DATE_ORDER', `起始日期 ${from} 应早于结束日期 ${to}`, `The first day ${from} must come before the second ${to}`, { from, to }),
};
