import { AppError, shanghaiTime } from '../../errors.ts';

export const authErrors = {
  invalidCredentials: () =>
    new AppError(401, 'AUTH_INVALID_CREDENTIALS', '用户名或密码错误', 'Wrong username or password'),
  accountLocked: (lockedUntil: Date) =>
    new AppError(
      423,
      'AUTH_ACCOUNT_LOCKED',
      `登录失败次数过多，账户已锁定至 ${shanghaiTime(lockedUntil).zh}`,
      `Too many failed logins: the account is locked until ${shanghaiTime(lockedUntil).en}`,
      { lockedUntil: lockedUntil.toISOString() },
    ),
  wrongCurrentPassword: () =>
    new AppError(403, 'AUTH_WRONG_CURRENT_PASSWORD', '当前密码错误', 'The current password is wrong'),
  accountDisabled: () => new AppError(403, 'AUTH_ACCOUNT_DISABLED', '账户已停用', 'The account is disabled'),
  sessionExpired: () => new AppError(401, 'AUTH_SESSION_EXPIRED', '登录已过期，请重新登录', 'The session has expired: log in again'),
  csrfMissing: () =>
    new AppError(403, 'CSRF_TOKEN_MISSING', '缺少 CSRF 令牌（请求头 x-csrf-token）', 'Missing CSRF token (header x-csrf-token)'),
  csrfInvalid: () => new AppError(403, 'CSRF_TOKEN_INVALID', 'CSRF 令牌无效', 'Invalid CSRF token'),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError(
      429,
      'RATE_LIMITED',
      `请求过于频繁，请 ${retryAfterSeconds} 秒后再试`,
      `Too many requests: try again in ${retryAfterSeconds} s`,
      { retryAfterSeconds },
    ),
};
