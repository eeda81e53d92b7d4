// Applies migrations/NNNN_name.sql in order, each in its own transaction, on either engine.
// Applied files are recorded with their checksum, so an edited migration is reported, not re-run.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../config.ts';
import type { Database } from './engine.ts';

export const MIGRATIONS_DIR = path.join(REPO_ROOT, 'migrations');

export interface MigrationFile {
  name: string;
  sha256: string;
  sql: string;
}

export interface MigrationState {
  applied: number;
  pending: string[];
  /** Applied migrations whose file has since changed or disappeared. */
  modified: string[];
  latest: string | null;
}

export function readMigrationFiles(dir = MIGRATIONS_DIR): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name))
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name), 'utf8');
      return { name, sql, sha256: createHash('sha256').update(sql).digest('hex') };
    });
}

const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  name       varchar(200) PRIMARY KEY,
  sha256     char(64) NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;
// Two processes starting at once against one server must not both migrate.
const LOCK_KEY = 732_150_001;

async function appliedMigrations(db: Database): Promise<Map<string, string>> {
  const rows = await db.scriptTransaction(async (exec) => {
    const exists = await exec(`SELECT to_regclass('public.schema_migrations') IS NOT NULL AS present`, []);
    if (!exists[0]?.present) return [];
    return exec('SELECT name, sha256 FROM schema_migrations ORDER BY name', []);
  });
  return new Map(rows.map((row) => [String(row.name), String(row.sha256)]));
}

export async function migrationState(db: Database, files = readMigrationFiles()): Promise<MigrationState> {
  const applied = await appliedMigrations(db);
  const byName = new Map(files.map((file) => [file.name, file]));
  const names = [...applied.keys()].sort();
  return {
    applied: applied.size,
    pending: files.filter((file) => !applied.has(file.name)).map((file) => file.name),
    modified: names.filter((name) => byName.get(name)?.sha256 !== applied.get(name)),
    latest: names.at(-1) ?? null,
  };
}

export async function migrate(db: Database, files = readMigrationFiles()): Promise<string[]> {
  const done: string[] = [];
  for (const file of files) {
    const ran = await db.scriptTransaction(async (exec) => {
      if (db.engine === 'server') await exec('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      await exec(LEDGER_DDL);
      const existing = await exec('SELECT sha256 FROM schema_migrations WHERE name = $1', [file.name]);
      if (existing.length > 0) return false;
      await exec(file.sql);
      await exec('INSERT INTO schema_migrations (name, sha256) VALUES ($1, $2)', [file.name, file.sha256]);
      return true;
    });
    if (ran) done.push(file.name);
  }
  return done;
}
