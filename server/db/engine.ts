// The two engines behind one interface: a PostgreSQL/PostGIS server (DATABASE_URL) or an embedded
// PGlite with its PostGIS extension in a local folder. The rest of the platform sees only Database.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { postgis } from '@electric-sql/pglite-postgis';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { requestUrlFor } from '../config.ts';
import { Mutex } from './mutex.ts';
import { PGliteDialect, PGliteTransactionDialect } from './pglite-dialect.ts';
import type { DB } from './schema.ts';

export type EngineKind = 'server' | 'embedded';

/** Runs SQL on the transaction's connection; without params a script may hold many statements. */
export type ScriptExec = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** Streams rows in PostgreSQL COPY text format into `COPY … FROM STDIN` on the transaction's connection. */
export type CopyIn = (copySql: string, data: Buffer) => Promise<void>;

/**
 * The owner's transaction for the system paths no request controls (import, quality runs, apply,
 * freeze, migrations, seed): typed Kysely queries, and on the same connection, inside the same
 * transaction, the two things Kysely does not do: multi-statement scripts and raw statements
 * built from fixed table names (exec), and COPY (copyIn).
 */
export type SystemTx = Kysely<DB> & { readonly exec: ScriptExec; readonly copyIn: CopyIn };

export interface Database {
  readonly engine: EngineKind;
  /** The owner's connections: migrations and the system work no request controls (asSystem). */
  readonly kysely: Kysely<DB>;
  /**
   * The connections request transactions run on (asActor). On a server they log in as a role
   * that is neither superuser nor owner nor a member of either (lsp_request, migrations/0014),
   * so no SQL on them can leave row-level security. The embedded engine has one connection:
   * this is the owner's, and only SET LOCAL ROLE separates a request from it (docs/security.md).
   */
  readonly requests: Kysely<DB>;
  /**
   * Refuses (with the reason) request connections that could leave row-level security: a
   * superuser, a role that bypasses it, the owner or a member of it. Run after migrating.
   */
  checkRequestRole(): Promise<void>;
  /** One transaction on one connection, as the connecting (owning) role: the only way system work opens one. */
  systemTransaction<T>(work: (tx: SystemTx) => Promise<T>): Promise<T>;
  /** systemTransaction for code that only runs SQL text: the same transaction, its exec and copyIn. */
  scriptTransaction<T>(work: (exec: ScriptExec, copyIn: CopyIn) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// Both engines return the same JavaScript values: dates as 'YYYY-MM-DD' strings (no time-zone
// shift), bigint counts and ids as numbers (all well below 2^53), numeric as exact strings.
const DATE_OID = 1082;
const INT8_OID = 20;
const NUMERIC_OID = 1700;

function serverPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types: {
      getTypeParser(oid: number, format?: 'text' | 'binary') {
        if (oid === DATE_OID) return (value: string) => value;
        if (oid === INT8_OID) return (value: string) => Number(value);
        return pg.types.getTypeParser(oid, format);
      },
    } as pg.CustomTypesConfig,
  });
  // An idle connection the server ends (a restart, pg_terminate_backend, DROP DATABASE … FORCE)
  // is reported as an 'error' event; unheard, it would crash the process. The pool has already
  // discarded that connection and opens a new one for the next query, so there is nothing to do.
  pool.on('error', () => undefined);
  return pool;
}

interface RequestRoleFacts {
  role: string;
  database: string;
  superuser: boolean;
  bypassesRls: boolean;
  ownerMember: boolean;
  databaseOwnerMember: boolean;
  appMember: boolean;
}

/**
 * @param url the owner's connection (DATABASE_URL)
 * @param requestUrl request connections (REQUEST_DATABASE_URL); by default the same server and
 *   database as the user lsp_request. They are opened when first used, after migrations made the role.
 */
export async function openServerDatabase(url: string, poolMax = 10, requestUrl = requestUrlFor(url)): Promise<Database> {
  const pool = serverPool(url, poolMax);
  const requestPool = serverPool(requestUrl, poolMax);
  // Surface a bad URL or a stopped server at start, with the server's own message.
  const probe = await pool.connect();
  const ownerDatabase = await probe.query<{ name: string }>('SELECT current_database() AS name').then(
    (result) => result.rows[0]?.name,
    (error: unknown) => {
      probe.release();
      throw error;
    },
  );
  probe.release();
  const requests = new Kysely<DB>({ dialect: new PostgresDialect({ pool: requestPool }) });
  const database: Database = {
    engine: 'server',
    kysely: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }),
    requests,
    async checkRequestRole() {
      const { rows } = await sql<RequestRoleFacts>`
        SELECT current_user AS role, current_database() AS database, r.rolsuper AS superuser, r.rolbypassrls AS "bypassesRls",
               pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'public.audit_log'::regclass), 'USAGE') AS "ownerMember",
               pg_has_role(current_user, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE') AS "databaseOwnerMember",
               pg_has_role(current_user, 'lsp_app', 'USAGE') AS "appMember"
          FROM pg_roles r WHERE r.rolname = current_user`.execute(requests);
      const facts = rows[0];
      if (!facts) throw new Error('request connection: cannot read its own role');
      const problems = [
        facts.superuser && 'is a superuser',
        facts.bypassesRls && 'bypasses row-level security',
        facts.ownerMember && `has the rights of the tables' owner`,
        facts.databaseOwnerMember && 'has the rights of the database owner',
        !facts.appMember && 'is not granted lsp_app',
        facts.database !== ownerDatabase && `is connected to database ${facts.database}, not ${ownerDatabase}`,
      ].filter(Boolean);
      if (problems.length) {
        throw new Error(
          `请求连接的数据库角色 ${facts.role} 不安全 / the request connection's role ${facts.role} ${problems.join(', ')}: ` +
            'set REQUEST_DATABASE_URL to a login role granted lsp_app only (docs/security.md)',
        );
      }
    },
    async systemTransaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // No parameters means the simple query protocol, which accepts many statements at once.
        const exec: ScriptExec = async (sql, params) =>
          (params ? await client.query(sql, params) : await client.query(sql)).rows ?? [];
        const copyIn: CopyIn = (copySql, data) => pipeline(Readable.from([data]), client.query(copyFrom(copySql)));
        const result = await work(systemTx(onePgConnection(client), exec, copyIn));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    scriptTransaction(work) {
      return database.systemTransaction((tx) => work(tx.exec, tx.copyIn));
    },
    async close() {
      await Promise.all([pool.end(), requestPool.end()]);
    },
  };
  return database;
}

/** Kysely over one checked-out connection whose transaction the caller has begun and will end. */
function onePgConnection(client: pg.PoolClient): Kysely<DB> {
  const connection = { query: client.query.bind(client), release: () => undefined };
  const pool = { connect: async () => connection, end: async () => undefined };
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }) });
}

function systemTx(kysely: Kysely<DB>, exec: ScriptExec, copyIn: CopyIn): SystemTx {
  return Object.assign(kysely, { exec, copyIn });
}

export interface EmbeddedDatabase extends Database {
  /** The whole data folder as a gzip tarball, to open copies from (test templates). */
  dump(): Promise<Blob>;
}

export interface EmbeddedOptions {
  /** A folder path, or 'memory://' */
  dataDir: string;
  /** Start from a dump() instead of an empty folder. */
  loadDataDir?: Blob;
}

/**
 * PGlite is one process's database: a second process opening the same folder (npm run import
 * while npm start runs) would corrupt it. A lock file with the owner's pid refuses that; a lock
 * left by a process that no longer runs (killed) is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = path.join(dataDir, 'lsp.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(lockPath, 'utf8'));
      if (owner && owner !== process.pid && processRuns(owner)) {
        throw new Error(`嵌入式数据库 ${dataDir} 正由进程 ${owner} 使用 / the embedded database in ${dataDir} is in use by process ${owner}: stop it first, or use a PostgreSQL server (DATABASE_URL)`);
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`cannot lock ${lockPath}`);
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function openEmbeddedDatabase(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  let unlock = () => undefined as void;
  if (!options.dataDir.startsWith('memory://')) {
    fs.mkdirSync(options.dataDir, { recursive: true });
    unlock = lockDataDir(options.dataDir);
  }
  const pglite = await PGlite.create({
    dataDir: options.dataDir,
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    extensions: { postgis, btree_gist },
    parsers: {
      [DATE_OID]: (value: string) => value,
      [INT8_OID]: (value: string) => Number(value),
      [NUMERIC_OID]: (value: string) => value,
    },
  }).catch((error: unknown) => {
    unlock();
    throw error;
  });
  const mutex = new Mutex();
  const kysely = new Kysely<DB>({ dialect: new PGliteDialect(pglite, mutex) });
  const database: EmbeddedDatabase = {
    engine: 'embedded',
    kysely,
    requests: kysely,
    async checkRequestRole() {
      // One connection, the owner's: nothing to check, and nothing this could promise.
    },
    scriptTransaction(work) {
      return database.systemTransaction((tx) => work(tx.exec, tx.copyIn));
    },
    systemTransaction(work) {
      return mutex.run(() =>
        pglite.transaction(async (tx) => {
          const exec: ScriptExec = async (sql, params) => {
            if (params) return (await tx.query<Record<string, unknown>>(sql, params)).rows;
            const results = await tx.exec(sql);
            return (results.at(-1)?.rows ?? []) as Record<string, unknown>[];
          };
          // PGlite has no client stream: COPY reads the same rows from an attached blob instead.
          const copyIn: CopyIn = async (copySql, data) => {
            await tx.query(copySql.replace(/FROM\s+STDIN/i, "FROM '/dev/blob'"), [], { blob: new Blob([data as unknown as ArrayBuffer]) });
          };
          return work(systemTx(new Kysely<DB>({ dialect: new PGliteTransactionDialect(tx) }), exec, copyIn));
        }),
      );
    },
    dump() {
      return mutex.run(async () => (await pglite.dumpDataDir('gzip')) as Blob);
    },
    async close() {
      await mutex.run(() => pglite.close());
      unlock();
    },
  };
  return database;
}

export function openDatabase(config: {
  databaseUrl: string | null;
  requestDatabaseUrl: string | null;
  dataDir: string;
  databasePoolMax: number;
}): Promise<Database> {
  return config.databaseUrl
    ? openServerDatabase(config.databaseUrl, config.databasePoolMax, config.requestDatabaseUrl ?? undefined)
    : openEmbeddedDatabase({ dataDir: config.dataDir });
}


