import { AppError } from '../../errors.ts';

export const userErrors = {
  badUsername: (username: string) =>
    new AppError(
      400,
      'USER_BAD_USERNAME',
      `用户名"${username}"不合规：应为 2-64 位小写字母、数字、点、下划线或连字符`,
      `Username "${username}" is not allowed: use 2-64 lower-case letters, digits, '.', '_' or '-'`,
      { username },
    ),
  weakPassword: (min: number) =>
    new AppError(400, 'USER_WEAK_PASSWORD', `密码至少需要 ${min} 个字符`, `The password needs at least ${min} characters`),
  districtRequired: (role: string) =>
    new AppError(400, 'USER_DISTRICT_REQUIRED', `角色 ${role} 必须指定所属区`, `Role ${role} needs a district`, { role }),
  unknownDistrict: (code: string) =>
    new AppError(400, 'USER_UNKNOWN_DISTRICT', `区代码不存在：${code}`, `No such district: ${code}`, { code }),
  notFound: (id: string) => new AppError(404, 'USER_NOT_FOUND', `用户不存在：${id}`, `No such user: ${id}`, { id }),
  cannotDisableSelf: () =>
    new AppError(409, 'USER_CANNOT_DISABLE_SELF', '不能停用自己的账户', 'You cannot disable your own account'),
  duplicate: (username: string) =>
    new AppError(409, 'USER_EXISTS', `用户名已存在：${username}`, `Username already taken: ${username}`, { username }),
};
