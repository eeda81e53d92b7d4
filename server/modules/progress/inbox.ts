// The inbox: each user's notices (migrations/0019 writes them; row-level security shows a user
// only their own and lets them mark only their own as read).
import { sql } from 'kysely';
import type { Queryable } from '../../db/context.ts';
import { progressErrors } from './errors.ts';

export interface Notice {
  id: string;
  kind: string;
  title: string;
  body: string | null;
  surveyId: string | null;
  submissionId: string | null;
  decisionId: string | null;
  bulletinId: string | null;
  createdAt: string;
  readAt: string | null;
}

export async function listInbox(db: Queryable, options: { unreadOnly?: boolean; limit?: number }): Promise<{ unread: number; notices: Notice[] }> {
  let query = db
    .selectFrom('notifications')
    .select(['id', 'kind', 'title', 'body', 'survey_id as surveyId', 'submission_id as submissionId', 'decision_id as decisionId', 'bulletin_id as bulletinId', 'created_at as createdAt', 'read_at as readAt'])
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(options.limit ?? 100);
  if (options.unreadOnly) query = query.where('read_at', 'is', null);
  const rows = await query.execute();
  const count = await db.selectFrom('notifications').select(sql<number>`count(*)::int`.as('n')).where('read_at', 'is', null).executeTakeFirstOrThrow();
  return {
    unread: count.n,
    notices: rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString(), readAt: row.readAt ? new Date(row.readAt).toISOString() : null })),
  };
}

export async function unreadCount(db: Queryable): Promise<number> {
  const row = await db.selectFrom('notifications').select(sql<number>`count(*)::int`.as('n')).where('read_at', 'is', null).executeTakeFirstOrThrow();
  return row.n;
}

/** Marks one notice read (again is harmless); another user's notice is not found. */
export async function markRead(db: Queryable, id: string): Promise<void> {
  const row = await db.updateTable('notifications').set({ read_at: sql`coalesce(read_at, now())` }).where('id', '=', id).returning('id').executeTakeFirst();
  if (!row) throw progressErrors.notificationNotFound(id);
}

export async function markAllRead(db: Queryable): Promise<number> {
  const rows = await db.updateTable('notifications').set({ read_at: sql`now()` }).where('read_at', 'is', null).returning('id').execute();
  return rows.length;
}
