// The names of a package's steps as the board, bulletins and inbox print them.
export const STEP_NAMES: Record<string, string> = {
  received: '已汇交',
  importing: '导入中',
  imported: '已导入',
  checking: '质检中',
  checked: '质检通过',
  rejected: '退回整改',
  preliminary_accepted: '初步验收合格',
  accepted: '验收通过',
  filed: '已备案',
  applied: '已入库',
  failed: '导入失败',
};

export function stepName(state: string | null): string {
  if (state === null) return '未汇交';
  return STEP_NAMES[state] ?? state;
}

/** Today in Shanghai (UTC+8), the day deadlines are counted in. */
export function shanghaiToday(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}
