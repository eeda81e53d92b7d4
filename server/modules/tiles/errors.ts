// The tile endpoint's refusals, each with a stable code and both languages.
import { AppError } from '../../errors.ts';

export const tileErrors = {
  invalid: (zh: string, en: string, details: Record<string, unknown>) =>
    new AppError(400, 'TILE_INVALID', `瓦片请求无效：${zh}`, `Invalid tile request: ${en}`, details),
  runRequired: () =>
    new AppError(400, 'TILE_RUN_REQUIRED', '质检问题图层（findings）须给出质检记录 runId', 'The findings layer needs the quality run: runId'),
  datesRequired: () =>
    new AppError(400, 'TILE_DATES_REQUIRED', '变化图层（changes）须给出两个日期 from 和 to', 'The changes layer needs two days: from and to'),
  dateOrder: (from: string, to: string) =>
    new AppError(400, 'DATE_ORDER', `起始日期 ${from} 不应晚于结束日期 ${to}`, `The first day ${from} must not come after the second ${to}`, { from, to }),
};
