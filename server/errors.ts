// Every error a client sees has a stable code and a message in Chinese and English.
import { Type, type Static } from 'typebox';

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    readonly zh: string,
    readonly en: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(en);
    this.name = 'AppError';
  }
}

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable machine-readable code' }),
      message: Type.Object({ zh: Type.String(), en: Type.String() }),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBody>;

export function errorBody(error: AppError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: { zh: error.zh, en: error.en },
      ...(error.details ? { details: error.details } : {}),
    },
  };
}

/** The response schemas every route shares for its error statuses. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  423: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
} as const;

/** A text in both languages. Error factories take these, so no call site can pass one language. */
export interface Bilingual {
  zh: string;
  en: string;
}

const SHANGHAI = 'Asia/Shanghai';

/**
 * A moment as people in Shanghai write it: 2026年12月4日 21:12 and 2026-12-04 21:12 (UTC+8).
 * Messages carry it; details keep the ISO form for machines.
 */
export function shanghaiTime(moment: Date): Bilingual {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: SHANGHAI, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(moment)
      .map((part) => [part.type, part.value]),
  ) as Record<'year' | 'month' | 'day' | 'hour' | 'minute', string>;
  return {
    zh: `${parts.year}年${Number(parts.month)}月${Number(parts.day)}日 ${parts.hour}:${parts.minute}`,
    en: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} (UTC+8)`,
  };
}

/** The kinds of things a request can name that may not exist (for notFound). */
export const THINGS = {
  survey: { zh: '调查任务', en: 'survey' },
  submission: { zh: '提交', en: 'submission' },
  qualityRun: { zh: '质检记录', en: 'quality run' },
  adminUnit: { zh: '行政区', en: 'administrative unit' },
  codeList: { zh: '代码表', en: 'code list' },
  route: { zh: '接口', en: 'route' },
  page: { zh: '页面', en: 'page' },
} satisfies Record<string, Bilingual>;

/** Submission states as Chinese messages name them (the code stays in details.state). */
const SUBMISSION_STATE_ZH: Record<string, string> = {
  received: '已接收',
  importing: '导入中',
  imported: '已导入',
  checking: '质检中',
  checked: '质检通过',
  rejected: '未通过',
  preliminary_accepted: '初验合格',
  accepted: '已验收',
  filed: '已备案',
  applied: '已入库',
  failed: '导入失败',
  superseded: '已被替代',
};

export function submissionStateZh(state: string): string {
  return SUBMISSION_STATE_ZH[state] ?? '未知';
}

export const commonErrors = {
  notAuthenticated: () => new AppError(401, 'AUTH_REQUIRED', '请先登录', 'Log in first'),
  /** action: what was refused, e.g. { zh: '为其他区提交成果', en: 'submit for another district' } */
  forbidden: (action: Bilingual, details?: Record<string, unknown>) =>
    new AppError(403, 'FORBIDDEN', `当前角色无权${action.zh}`, `Your role may not ${action.en}`, details),
  /** what: the kind of thing, e.g. { zh: '调查任务', en: 'survey' } */
  notFound: (what: Bilingual, id: string) =>
    new AppError(404, 'NOT_FOUND', `未找到${what.zh}：${id}`, `No ${what.en} ${id}`, { id }),
  validation: (message: Bilingual, details?: Record<string, unknown>) =>
    new AppError(400, 'VALIDATION_FAILED', `请求不符合要求：${message.zh}`, `Invalid request: ${message.en}`, details),
  internal: () => new AppError(500, 'INTERNAL_ERROR', '服务器内部错误', 'Internal server error'),
};
