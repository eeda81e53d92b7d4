import { Type, type Static } from 'typebox';

export const UserRoleSchema = Type.Union(
  [
    Type.Literal('city_admin'),
    Type.Literal('city_auditor'),
    Type.Literal('district_operator'),
    Type.Literal('leading_group_office'),
    Type.Literal('district_office'),
    Type.Literal('surveyor'),
    Type.Literal('agency'),
  ],
  { description: '市级管理员 / 市级审核员 / 区级操作员 / 市领导小组办公室 / 区领导小组办公室 / 调查员 / 获准机构' },
);

export const SessionUserSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  displayName: Type.String(),
  role: UserRoleSchema,
  districtCode: Type.Union([Type.String(), Type.Null()]),
  districtName: Type.Union([Type.String(), Type.Null()]),
  organisationName: Type.Union([Type.String(), Type.Null()]),
});

export const SessionResponse = Type.Object({
  user: Type.Union([SessionUserSchema, Type.Null()]),
  csrfToken: Type.String({ description: 'send it back in the x-csrf-token header of every POST, PUT, PATCH and DELETE' }),
});
export type SessionResponse = Static<typeof SessionResponse>;

export const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
});
