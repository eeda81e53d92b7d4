// Database refusals that are the client's doing, turned into stable API errors. The database
// speaks English: its own words go into the English message and details.reason, never into the
// Chinese one.
import { AppError } from '../errors.ts';
import { lifecycleRefusal } from '../modules/submissions/errors.ts';
import { surveyErrors } from '../modules/surveys/errors.ts';
import { refusalFromDetail } from '../modules/versions/freeze-guard.ts';

interface PgLikeError {
  code?: string;
  message?: string;
  constraint?: string;
  detail?: string;
}

/** Values PostgreSQL cannot take (SQLSTATE class 22) that reached it from a request: a 400. */
const BAD_VALUES: Record<string, { zh: string; en: string }> = {
  '22003': { zh: '数值超出范围', en: 'A number is out of range' },
  '22008': { zh: '日期或时间超出范围', en: 'A date or time is out of range' },
  '22007': { zh: '日期或时间格式无效', en: 'A date or time is malformed' },
  '22P02': { zh: '数值或文本格式无效', en: 'A value is malformed' },
  '22P05': { zh: '文本含有数据库无法保存的字符（如空字符 NUL）', en: 'A text holds a character the database cannot store (such as NUL)' },
  '22021': { zh: '文本含有无效字符（如空字符 NUL）', en: 'A text holds an invalid character (such as NUL)' },
  '22001': { zh: '文本过长', en: 'A text is too long' },
};

export function translateDatabaseError(error: unknown): AppError | null {
  const { code, message = '', constraint, detail } = (error ?? {}) as PgLikeError;
  const reason = { reason: message };
  switch (code) {
    case 'LS001':
    case 'LS002':
      return new AppError(409, 'RECORD_IMMUTABLE', '记录不可修改：数据库拒绝了这一修改', `The record cannot be changed: ${message}`, reason);
    case 'LS003':
      return new AppError(409, 'QC_BLOCKING_FINDINGS', '成果未通过质检，不能进入下一步', `The package has not passed its quality checks: ${message}`, reason);
    case 'LS004':
      return new AppError(409, 'SNAPSHOT_FROZEN', '年度快照已冻结，不能再修改', `The snapshot is frozen and cannot change: ${message}`, reason);
    case 'LS151':
      // A freeze refused by the snapshot trigger (migrations/0015): its DETAIL lists the obstacles.
      return refusalFromDetail(detail) ?? new AppError(409, 'SNAPSHOT_NOT_FREEZABLE', '年度快照不能冻结：该年度的调查或各区成果尚未齐备', 'The snapshot cannot be frozen: the year’s surveys or districts are not complete');
    case 'LS152':
      return surveyErrors.declarationConflict(detail);
    case 'LS160':
    case 'LS161':
    case 'LS162':
    case 'LS163':
    case 'LS164':
      return lifecycleRefusal(code, message, detail);
    case '42501': // insufficient_privilege, including row-level security WITH CHECK failures
      return new AppError(403, 'FORBIDDEN', '无权访问或修改这些数据', 'Not allowed to read or change these rows');
    case '23505':
      if (constraint === 'submissions_one_per_file') {
        // Two uploads of one file at once: the index let one through (see ingest/submission-repository.ts).
        return new AppError(409, 'PACKAGE_ALREADY_SUBMITTED', '同一文件已为同一调查任务和区提交过（另一次上传同时送达）', 'This file was already submitted for this survey and district (by another upload at the same moment)');
      }
      if (constraint?.endsWith('_one_current')) {
        return new AppError(409, 'VERSION_OVERLAP', `该图斑已有现状版本，须先关闭：${constraint}`, `The parcel already has a current version; close it first: ${constraint}`, { constraint });
      }
      return new AppError(409, 'CONFLICT', constraint ? `数据重复：${constraint}` : '数据重复', `Duplicate: ${constraint ?? message}`, { constraint, ...reason });
    case '23503':
      return new AppError(409, 'REFERENCE_MISSING', constraint ? `引用的数据不存在：${constraint}` : '引用的数据不存在', `Referenced row missing: ${constraint ?? message}`, { constraint, ...reason });
    case '23514':
    case '23P01':
      return new AppError(400, 'CONSTRAINT_VIOLATED', constraint ? `数据不符合约束：${constraint}` : '数据不符合约束', `Constraint violated: ${constraint ?? message}`, { constraint, ...reason });
    default: {
      const bad = code ? BAD_VALUES[code] : undefined;
      return bad ? new AppError(400, 'VALUE_INVALID', `请求中的值无效：${bad.zh}`, `Invalid value in the request: ${bad.en} (${message})`, { sqlstate: code, ...reason }) : null;
    }
  }
}
