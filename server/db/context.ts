// How queries run: as an actor (a request) or as the system (migrations, seed, CLI, login).
//
// Actor transactions run on the request connections (Database.requests: on a server, a login role
// that cannot leave row-level security, migrations/0014), switch to the lsp_app role and carry the
// session's token hash in app.session, both SET LOCAL, so they end with the transaction and never
// leak to the next user of a pooled connection. Row-level security (migrations/0006) derives the
// user, role and district from that session in the database itself.
import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { Database, SystemTx } from './engine.ts';
import type { DB } from './schema.ts';

export const APP_DB_ROLE = 'lsp_app';

export interface ActorContext {
  /** SHA-256 (hex) of the session token, or null for an anonymous request */
  sessionTokenHash: string | null;
}

export const ANONYMOUS: ActorContext = { sessionTokenHash: null };

/** A transaction's queries: a request's (asActor) or the system's (asSystem), typed alike. */
export type Tx = Kysely<DB>;

export function asActor<T>(db: Database, actor: ActorContext, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.requests.transaction().execute(async (tx) => {
    await sql`SELECT set_config('role', ${APP_DB_ROLE}, true), set_config('app.session', ${actor.sessionTokenHash ?? ''}, true)`.execute(tx);
    return work(tx);
  });
}

/**
 * The owner's view, bypassing row-level security. Only for work no request controls. The same
 * transaction as every system path (Database.systemTransaction), with its exec and copyIn.
 */
export function asSystem<T>(db: Database, work: (tx: SystemTx) => Promise<T>): Promise<T> {
  return db.systemTransaction(work);
}

export type Queryable = Kysely<DB> | Tx;

/**
 * A statement built as text (table names chosen from a fixed set, values always as $n
 * parameters) run in the caller's transaction, under its role and row-level security.
 */
export async function rawQuery(db: Queryable, text: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
  const result = await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, [...params]));
  return result.rows;
}
