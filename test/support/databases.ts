// A fresh, migrated database per test file, on each engine this run can reach: always the
// embedded engine, and the PostgreSQL/PostGIS server when DATABASE_URL is set.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { openEmbeddedDatabase, openServerDatabase, type Database, type EngineKind } from '../../server/db/engine.ts';
import { withDatabaseName } from './templates.ts';

export const ENGINES: EngineKind[] = process.env.DATABASE_URL ? ['embedded', 'server'] : ['embedded'];

export interface TestDatabase {
  db: Database;
  drop(): Promise<void>;
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export async function openTestDatabase(engine: EngineKind): Promise<TestDatabase> {
  if (engine === 'embedded') {
    const dump = fs.readFileSync(inject('embeddedTemplate'));
    const db = await openEmbeddedDatabase({ dataDir: 'memory://', loadDataDir: new Blob([dump]) });
    return { db, drop: () => db.close() };
  }
  const template = inject('serverTemplate');
  const url = process.env.DATABASE_URL;
  if (!template || !url) throw new Error('the server engine needs DATABASE_URL');
  const name = `lsp_test_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const db = await openServerDatabase(withDatabaseName(url, name), 4);
  return {
    db,
    async drop() {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export interface OnDiskDatabase {
  /** environment for a platform process (npm start, npm run import) on this database */
  env: Record<string, string>;
  open(): Promise<Database>;
  drop(): Promise<void>;
}

/** A migrated database another process can open: a server database, or an embedded data folder. */
export async function createOnDiskDatabase(engine: EngineKind, dataDir: string): Promise<OnDiskDatabase> {
  if (engine === 'embedded') {
    const dump = fs.readFileSync(inject('embeddedTemplate'));
    const db = await openEmbeddedDatabase({ dataDir, loadDataDir: new Blob([dump]) });
    await db.close();
    return {
      env: { DATA_DIR: dataDir },
      open: () => openEmbeddedDatabase({ dataDir }),
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const template = inject('serverTemplate');
  const url = process.env.DATABASE_URL;
  if (!template || !url) throw new Error('the server engine needs DATABASE_URL');
  const name = `lsp_test_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const databaseUrl = withDatabaseName(url, name);
  return {
    env: { DATABASE_URL: databaseUrl },
    open: () => openServerDatabase(databaseUrl, 2),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
