// npm start: open (or create) the database, migrate, seed, and serve API and web app.
import { performance } from 'node:perf_hooks';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { prepareDatabase } from './platform.ts';
import { DEMO_PASSWORD, seedDemo } from './seed/demo.ts';
import { seedDemoHistory } from './seed/demo-history.ts';
import { seedDemoPackages } from './seed/demo-packages.ts';
import ROLE_NAMES from '../fixtures/reference/roles.json' with { type: 'json' };


function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

const started = performance.now();
const config = readConfig();
const { db, capabilities, migrationsApplied } = await prepareDatabase(config).catch((error: Error) => {
  const where = config.databaseUrl ? 'DATABASE_URL' : `the embedded database in ${config.dataDir}`;
  console.error(`无法打开数据库 / cannot open ${where}: ${error.message}`);
  process.exit(1);
});
const demoAccounts = config.seedDemo ? await seedDemo(db) : [];
const app = await buildApp({ config, db, capabilities });

const shutdown = async (signal: string) => {
  app.log.info({ signal }, 'shutting down');
  await app.close();
  await db.close();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

await app.listen({ host: config.host, port: config.port });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : config.port;
const seconds = ((performance.now() - started) / 1000).toFixed(1);

const lines = [
  '',
  `上海市土地调查成果管理平台 — ready in ${seconds} s`,
  `  map and web app  http://localhost:${port}/`,
  `  API docs         http://localhost:${port}/docs`,
  `  database         ${db.engine === 'server' ? 'PostgreSQL/PostGIS server (DATABASE_URL)' : `embedded PGlite + PostGIS in ${config.dataDir}`}`,
  migrationsApplied.length ? `  migrations       applied ${migrationsApplied.join(', ')}` : '  migrations       up to date',
];
if (demoAccounts.length) {
  lines.push(`  demo accounts    (password for all: ${DEMO_PASSWORD}; set SEED_DEMO=false on a real deployment)`);
  for (const account of demoAccounts) {
    lines.push(`    ${account.username.padEnd(10)} ${(ROLE_NAMES as Record<string, string>)[account.role] ?? account.role}${account.districtCode ? ` ${account.districtCode}` : ''}`);
  }
}
console.log(lines.join('\n') + '\n');

if (config.seedDemo) {
  // Demo survey packages are generated and imported after the server is up, so it answers at once.
  // Its progress goes through the app's logger, as JSON lines among the request lines.
  const demoLog = app.log.child({ component: 'demo' });
  seedDemoPackages(app)
    .then((results) => {
      const queued = results.filter((result) => !result.skipped);
      if (queued.length) demoLog.info({ districts: queued.map((result) => result.districtCode) }, `demo packages submitted for ${queued.map((result) => result.districtCode).join(', ')}; importing in the background`);
      // Then the history: baseline applied, 2020-2023 change packages applied, each year frozen.
      return seedDemoHistory(app, demoLog);
    })
    .catch((error: Error) => demoLog.error({ err: error }, 'demo packages could not be loaded'));
}
