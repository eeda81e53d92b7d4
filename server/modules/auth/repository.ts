// Sessions and login bookkeeping. These run as the system: a request must be able to log in
// before it has a session, and the password hash is never readable by the request role.
import { sql } from 'kysely';
import type { Database } from '../../db/engine.ts';
import { asSystem } from '../../db/context.ts';
import type { UserRole } from '../../db/schema.ts';

export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  role: UserRole;
  districtCode: string | null;
  districtName: string | null;
  organisationName: string | null;
}

export interface LoginCandidate {
  id: string;
  passwordHash: string;
  failedLoginCount: number;
  lockedUntil: Date | null;
  disabled: boolean;
}

// Single reads run on the owner's connection without a transaction of their own: the session
// lookup happens on every request, and BEGIN/COMMIT around one SELECT would triple its round trips.
export function findLoginCandidate(db: Database, username: string): Promise<LoginCandidate | undefined> {
  return db.kysely
    .selectFrom('users')
    .select([
      'id',
      'password_hash as passwordHash',
      'failed_login_count as failedLoginCount',
      'locked_until as lockedUntil',
      'disabled',
    ])
    .where('username', '=', username.toLowerCase())
    .executeTakeFirst();
}

export type PasswordCheckStart = { allowed: true } | { allowed: false; lockedUntil: Date };

/**
 * Claims one of the account's password checks before the password is verified, in one UPDATE …
 * RETURNING, so that checks sent at the same time cannot all read the same count: the row lock
 * orders them. failed_login_count counts the checks since the last success, those still running
 * included. While the account is locked nothing is claimed. When the threshold's worth of checks
 * are already claimed, the next attempt locks the account at once (the count starts again): at
 * most `threshold` passwords are verified before a lock, however many are sent together, and a
 * right password still being verified then finds the lock (openSession).
 */
export async function beginPasswordCheck(db: Database, userId: string, threshold: number, lockMinutes: number): Promise<PasswordCheckStart> {
  const row = await db.kysely
    .updateTable('users')
    .set({
      failed_login_count: sql`CASE WHEN locked_until > now() THEN failed_login_count
                                   WHEN failed_login_count >= ${threshold} THEN 0
                                   ELSE failed_login_count + 1 END`,
      locked_until: sql`CASE WHEN locked_until > now() THEN locked_until
                             WHEN failed_login_count >= ${threshold} THEN now() + make_interval(mins => ${lockMinutes})
                             ELSE locked_until END`,
    })
    .where('id', '=', userId)
    .returning(['locked_until as lockedUntil', sql<boolean>`coalesce(locked_until > now(), false)`.as('locked')])
    .executeTakeFirstOrThrow();
  return row.locked && row.lockedUntil ? { allowed: false, lockedUntil: row.lockedUntil } : { allowed: true };
}

/**
 * Ends a claimed check whose password was wrong (it is already counted): once the threshold's
 * worth have failed, the account locks and the count starts again. Returns the lock in force.
 */
export async function recordFailedLogin(db: Database, userId: string, threshold: number, lockMinutes: number): Promise<Date | null> {
  const row = await db.kysely
    .updateTable('users')
    .set({
      locked_until: sql`CASE WHEN failed_login_count >= ${threshold} AND NOT coalesce(locked_until > now(), false)
                             THEN now() + make_interval(mins => ${lockMinutes}) ELSE locked_until END`,
      failed_login_count: sql`CASE WHEN failed_login_count >= ${threshold} THEN 0 ELSE failed_login_count END`,
    })
    .where('id', '=', userId)
    .returning(['locked_until as lockedUntil', sql<boolean>`coalesce(locked_until > now(), false)`.as('locked')])
    .executeTakeFirstOrThrow();
  return row.locked ? row.lockedUntil : null;
}

export interface NewSession {
  tokenHash: string;
  userId: string;
  csrfToken: string;
  ttlMinutes: number;
  clientIp: string | null;
  userAgent: string | null;
}

/**
 * Opens a session after the right password, unless the account was locked meanwhile (a check
 * that ran beside this one failed): then no session, and the lock is returned. The reset and the
 * lock test are one UPDATE, so a lock committed before it is seen and one committed after it was
 * set after this login.
 */
export function openSession(db: Database, session: NewSession): Promise<{ lockedUntil: Date } | null> {
  return asSystem(db, async (tx) => {
    const unlocked = await tx
      .updateTable('users')
      .set({ failed_login_count: 0, locked_until: null })
      .where('id', '=', session.userId)
      .where(sql<boolean>`NOT coalesce(locked_until > now(), false)`)
      .returning('id')
      .executeTakeFirst();
    if (!unlocked) {
      const { locked_until: lockedUntil } = await tx
        .selectFrom('users')
        .select('locked_until')
        .where('id', '=', session.userId)
        .executeTakeFirstOrThrow();
      return { lockedUntil: lockedUntil ?? new Date() };
    }
    await tx
      .insertInto('sessions')
      .values({
        token_hash: session.tokenHash,
        user_id: session.userId,
        csrf_token: session.csrfToken,
        expires_at: sql<Date>`now() + make_interval(mins => ${session.ttlMinutes})`,
        client_ip: session.clientIp,
        user_agent: session.userAgent?.slice(0, 300) ?? null,
      })
      .execute();
    // Expired sessions of anyone are swept here rather than by a timer.
    await tx.deleteFrom('sessions').where('expires_at', '<', sql<Date>`now() - interval '1 day'`).execute();
    return null;
  });
}

export type SessionLookup =
  | { status: 'valid'; user: SessionUser; csrfToken: string; expiresAt: Date }
  | { status: 'expired' }
  | { status: 'unknown' };

export async function lookupSession(db: Database, tokenHash: string): Promise<SessionLookup> {
  const row = await db.kysely
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .leftJoin('admin_units as d', 'd.code', 'u.district_code')
    .leftJoin('organisations as o', 'o.id', 'u.organisation_id')
    .select([
      'u.id',
      'u.username',
      'u.display_name as displayName',
      'u.role',
      'u.district_code as districtCode',
      'd.name as districtName',
      'o.name as organisationName',
      'u.disabled',
      's.csrf_token as csrfToken',
      's.expires_at as expiresAt',
      sql<boolean>`s.expires_at <= now()`.as('expired'),
    ])
    .where('s.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row || row.disabled) return { status: 'unknown' };
  if (row.expired) return { status: 'expired' };
  const { csrfToken, expiresAt, expired: _expired, disabled: _disabled, ...user } = row;
  return { status: 'valid', user, csrfToken, expiresAt };
}

export function closeSession(db: Database, tokenHash: string): Promise<void> {
  return asSystem(db, async (tx) => {
    await tx.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
  });
}
