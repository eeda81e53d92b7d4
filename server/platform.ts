// Opening the platform's database ready for use: connect, migrate, load reference data.
import type { Config } from './config.ts';
import { detectCapabilities, type Capabilities } from './db/capabilities.ts';
import { openDatabase, type Database } from './db/engine.ts';
import { migrate } from './db/migrator.ts';
import { sweepInterruptedImports } from './modules/ingest/staging-repository.ts';
import { sweepInterruptedChecks } from './modules/quality/scratch.ts';
import { loadReferenceData } from './seed/reference.ts';

export interface PreparedDatabase {
  db: Database;
  capabilities: Capabilities;
  migrationsApplied: string[];
}

export async function prepareDatabase(config: Config): Promise<PreparedDatabase> {
  const db = await openDatabase(config);
  try {
    const migrationsApplied = await migrate(db);
    // The role request connections log in as exists now (migrations/0014): refuse to serve
    // requests on one that could leave row-level security.
    await db.checkRequestRole();
    await loadReferenceData(db);
    // No import or check runs before the app starts: scratch tables and running checks left now
    // belong to interrupted ones.
    await sweepInterruptedImports(db);
    await sweepInterruptedChecks(db);
    const capabilities = await detectCapabilities(db);
    return { db, capabilities, migrationsApplied };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}
