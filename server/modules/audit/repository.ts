import type { Queryable } from '../../db/context.ts';
import type { SessionUser } from '../auth/repository.ts';

/** Who an entry names: a signed-in user, or what stands for one (the platform's own work). */
export type AuditActor = Pick<SessionUser, 'id' | 'role' | 'districtCode'>;

export interface AuditEntry {
  action: string;
  objectType?: string;
  objectId?: string;
  detail?: Record<string, unknown>;
  districtCode?: string | null;
  clientIp?: string | null;
}

/**
 * Appends to the audit log in the caller's transaction, so the entry commits or rolls back with
 * the change it records. In an actor transaction the database checks that the entry names the
 * session's own user and role (migrations/0006).
 */
export async function recordAudit(db: Queryable, actor: AuditActor | null, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      actor_user_id: actor?.id ?? null,
      actor_role: actor?.role ?? 'public',
      district_code: entry.districtCode ?? actor?.districtCode ?? null,
      action: entry.action,
      object_type: entry.objectType ?? null,
      object_id: entry.objectId ?? null,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
      client_ip: entry.clientIp ?? null,
    })
    .execute();
}
