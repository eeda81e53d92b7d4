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

export const commonErrors = {
  notAuthenticated: () => new AppError(401, 'AUTH_REQUIRED', '请先登录', 'Log in first'),
  forbidden: (what: string) =>
    new AppError(403, 'FORBIDDEN', `当前角色无权执行此操作：${what}`, `Your role may not do this: ${what}`),
  notFound: (what: string, id: string) =>
    new AppError(404, 'NOT_FOUND', `未找到${what}：${id}`, `${what} not found: ${id}`, { id }),
  validation: (message: string, details?: Record<string, unknown>) =>
    new AppError(400, 'VALIDATION_FAILED', `请求不符合要求：${message}`, `Invalid request: ${message}`, details),
  internal: () => new AppError(500, 'INTERNAL_ERROR', '服务器内部错误', 'Internal server error'),
};
