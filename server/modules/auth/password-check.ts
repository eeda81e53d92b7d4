// One password check against the lock-out, shared by login and the change of one's own password:
// a check is claimed in the database before the password is verified (repository.ts), so checks
// sent together cannot outrun the count, and none is made while the account is locked.
import type { Database } from '../../db/engine.ts';
import { verifyPassword } from './passwords.ts';
import { beginPasswordCheck, recordFailedLogin } from './repository.ts';

export interface LockoutLimits {
  lockoutThreshold: number;
  lockoutMinutes: number;
}

export type PasswordCheck =
  | { outcome: 'right' }
  /** verified and wrong; lockedUntil when the account is locked now */
  | { outcome: 'wrong'; lockedUntil: Date | null }
  /** not verified: the account is locked */
  | { outcome: 'locked'; lockedUntil: Date };

export async function checkAccountPassword(
  db: Database,
  limits: LockoutLimits,
  account: { id: string; passwordHash: string },
  password: string,
): Promise<PasswordCheck> {
  const start = await beginPasswordCheck(db, account.id, limits.lockoutThreshold, limits.lockoutMinutes);
  if (!start.allowed) return { outcome: 'locked', lockedUntil: start.lockedUntil };
  if (await verifyPassword(account.passwordHash, password)) return { outcome: 'right' };
  const lockedUntil = await recordFailedLogin(db, account.id, limits.lockoutThreshold, limits.lockoutMinutes);
  return { outcome: 'wrong', lockedUntil };
}
