// Database refusals that are the client's doing, turned into stable API errors.
import { AppError } from '../errors.ts';
import { surveyErrors } from '../modules/surveys/errors.ts';
import { refusalFromDetail } from '../modules/versions/freeze-guard.ts';

interface PgLikeError {
  code?: string;
  message?: string;
  constraint?: string;
  detail?: string;
}

export function translateDatabaseError(error: unknown): AppError | null {
  const { code, message = '', constraint, detail } = (error ?? {}) as PgLikeError;
  switch (code) {
    case 'LS001':
    case 'LS002':
      return new AppError(409, 'RECORD_IMMUTABLE', `记录不可修改：${message}`, `The record cannot be changed: ${message}`);
    case 'LS003':
      return new AppError(409, 'QC_BLOCKING_FINDINGS', `成果未通过质检，不能进入下一步：${message}`, `The package has not passed its quality checks: ${message}`);
    case 'LS004':
      return new AppError(409, 'SNAPSHOT_FROZEN', `年度快照已冻结，不能再修改：${message}`, `The snapshot is frozen and cannot change: ${message}`);
    case 'LS151':
      // A freeze refused by the snapshot trigger (migrations/0015): its DETAIL lists the obstacles.
      return refusalFromDetail(detail) ?? new AppError(409, 'SNAPSHOT_NOT_FREEZABLE', '年度快照不能冻结：该年度的调查或各区成果尚未齐备', 'The snapshot cannot be frozen: the year’s surveys or districts are not complete');
    case 'LS152':
      return surveyErrors.declarationConflict(detail);
    case '42501': // insufficient_privilege, including row-level security WITH CHECK failures
      return new AppError(403, 'FORBIDDEN', '无权访问或修改这些数据', 'Not allowed to read or change these rows');
    case '23505':
      if (constraint?.endsWith('_one_current')) {
        return new AppError(409, 'VERSION_OVERLAP', `该图斑已有现状版本，须先关闭：${constraint}`, `The parcel already has a current version; close it first: ${constraint}`);
      }
      return new AppError(409, 'CONFLICT', `数据重复：${constraint ?? message}`, `Duplicate: ${constraint ?? message}`);
    case '23503':
      return new AppError(409, 'REFERENCE_MISSING', `引用的数据不存在：${constraint ?? message}`, `Referenced row missing: ${constraint ?? message}`);
    case '23514':
    case '23P01':
      return new AppError(400, 'CONSTRAINT_VIOLATED', `数据不符合约束：${constraint ?? message}`, `Constraint violated: ${constraint ?? message}`);
    default:
      return null;
  }
}
