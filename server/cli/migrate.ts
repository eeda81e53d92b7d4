// npm run migrate: apply pending migrations to the configured engine and print the state.
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/engine.ts';
import { migrate, migrationState } from '../db/migrator.ts';
import { fail } from './common.ts';

const config = loadConfig();
const db = await openDatabase(config).catch((error: Error) => fail(`无法打开数据库 / cannot open the database: ${error.message}`, 1));
try {
  const applied = await migrate(db);
  const state = await migrationState(db);
  console.log(`engine: ${db.engine}${db.engine === 'embedded' ? ` (${config.dataDir})` : ''}`);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply');
  console.log(`migrations: ${state.applied} applied, latest ${state.latest ?? '-'}`);
  if (state.modified.length) {
    console.error(`warning: applied migrations changed since: ${state.modified.join(', ')}`);
    process.exitCode = 1;
  }
} finally {
  await db.close();
}
