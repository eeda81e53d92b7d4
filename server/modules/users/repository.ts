import { sql } from 'kysely';
import type { Queryable } from '../../db/context.ts';
import type { UserRole } from '../../db/schema.ts';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../auth/passwords.ts';
import { DISTRICT_ROLES } from '../auth/roles.ts';
import { userErrors } from './errors.ts';

export interface NewUser {
  username: string;
  displayName: string;
  role: UserRole;
  password: string;
  districtCode?: string | null;
  organisationId?: string | null;
}

export interface UserSummary {
  id: string;
  username: string;
  displayName: string;
  role: UserRole;
  districtCode: string | null;
  organisationId: string | null;
  disabled: boolean;
}

const USER_SUMMARY_COLUMNS = [
  'id',
  'username',
  'display_name as displayName',
  'role',
  'district_code as districtCode',
  'organisation_id as organisationId',
  'disabled',
] as const;

const ROLES_WITH_DISTRICT = DISTRICT_ROLES;

/** Checks and creates an account; used by the API (as the city administrator) and the CLI (as the system). */
export async function createUser(db: Queryable, input: NewUser): Promise<UserSummary> {
  const username = input.username.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(username)) throw userErrors.badUsername(input.username);
  checkNewPassword(input.password);
  const districtCode = input.districtCode ?? null;
  if (ROLES_WITH_DISTRICT.includes(input.role) && !districtCode) throw userErrors.districtRequired(input.role);
  if (districtCode) {
    const district = await db
      .selectFrom('admin_units')
      .select('code')
      .where('code', '=', districtCode)
      .where('level', '=', 'district')
      .executeTakeFirst();
    if (!district) throw userErrors.unknownDistrict(districtCode);
  }
  const taken = await db
    .selectFrom('users')
    .select(sql<number>`1`.as('one'))
    .where('username', '=', username)
    .executeTakeFirst();
  if (taken) throw userErrors.duplicate(username);
  return db
    .insertInto('users')
    .values({
      username,
      display_name: input.displayName,
      role: input.role,
      district_code: districtCode,
      organisation_id: input.organisationId ?? null,
      password_hash: await hashPassword(input.password),
    })
    .returning(USER_SUMMARY_COLUMNS)
    .executeTakeFirstOrThrow();
}

export function listUsers(db: Queryable): Promise<UserSummary[]> {
  return db
    .selectFrom('users')
    .select(USER_SUMMARY_COLUMNS)
    .orderBy('username')
    .execute();
}

/** The new password's rules, checked before anything is hashed or stored. */
export function checkNewPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw userErrors.weakPassword(MIN_PASSWORD_LENGTH);
}

/**
 * Sets an account's password and clears its lock-out. The database then ends every session of
 * the account (migrations/0014). As a request, only the city administrator may (policy users_update).
 */
export async function setPassword(db: Queryable, userId: string, password: string): Promise<UserSummary> {
  checkNewPassword(password);
  const user = await db
    .updateTable('users')
    .set({ password_hash: await hashPassword(password), password_changed_at: sql`now()`, failed_login_count: 0, locked_until: null })
    .where('id', '=', userId)
    .returning(USER_SUMMARY_COLUMNS)
    .executeTakeFirst();
  if (!user) throw userErrors.notFound(userId);
  return user;
}

/** Disables or re-enables an account; disabling ends its sessions for good (migrations/0014). */
export async function setDisabled(db: Queryable, userId: string, disabled: boolean): Promise<UserSummary> {
  const user = await db
    .updateTable('users')
    .set({ disabled })
    .where('id', '=', userId)
    .returning(USER_SUMMARY_COLUMNS)
    .executeTakeFirst();
  if (!user) throw userErrors.notFound(userId);
  return user;
}
