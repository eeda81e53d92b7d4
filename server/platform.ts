// Opening the platform's database ready for use: connect, migrate, load reference data.
import type { Config } from './config.ts';
import { detectCapabilities, type Capabilities } from './db/capabilities.ts';
import { openDatabase, type Database } from './db/engine.ts';
import { migrate } from './db/migrator.ts';
import { sweepInterruptedImports } from './modules/ingest/staging-repository.ts';
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
    await loadReferenceData(db);
    // No import runs before the app starts: scratch tables left now belong to interrupted ones.
    await sweepInterruptedImports(db);
    const capabilities = await detectCapabilities(db);
    return { db, capabilities, migrationsApplied };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}
