// npm run bench:ingest [-- --parcels 1000000 --district 310115 --seed 1 --rounds 2]
// Imports a generated survey package through the platform's real import path (`npm run import`
// in a child process: archive, inspect, read, check, transform to EPSG:4490, ellipsoidal areas,
// index, attach) and, in the same run, imports the same zip with ogr2ogr into the same PostGIS
// server. Prints both wall times, their ratio and the platform's peak memory. Each round uses a
// fresh database; the best round of each counts (the machines are noisy). Needs DATABASE_URL and
// ogr2ogr (Debian gdal-bin).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig, REPO_ROOT } from '../server/config.ts';
import { prepareDatabase } from '../server/platform.ts';
import { seedDemo } from '../server/seed/demo.ts';
import { generatePackage } from '../server/seed/generator/package.ts';

const { values } = parseArgs({
  options: {
    parcels: { type: 'string', default: '1000000' },
    district: { type: 'string', default: '310115' },
    seed: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '2' },
  },
});
const parcels = Number(values.parcels);
const rounds = Number(values.rounds);
const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) {
  console.error('bench:ingest compares with ogr2ogr on the same PostGIS server: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)');
  process.exit(2);
}
if (spawnSync('ogr2ogr', ['--version']).status !== 0) {
  console.error('bench:ingest needs ogr2ogr (apt-get install gdal-bin)');
  process.exit(2);
}

const packageDir = path.join(REPO_ROOT, '.tmp', 'packages');
const name = `${values.district}-${parcels}-s${values.seed}`;
let zipPath = path.join(packageDir, `${name}.zip`);
if (!fs.existsSync(zipPath)) {
  console.log(`generating ${name} …`);
  const started = Date.now();
  const generated = await generatePackage({ districtCode: values.district!, parcels, seed: Number(values.seed), outDir: packageDir, name });
  zipPath = generated.zipPath;
  console.log(`generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
const manifest = JSON.parse(fs.readFileSync(zipPath.replace(/\.zip$/, '.manifest.json'), 'utf8')) as { parcels: number; basicFarmland: number };

const benchUrl = new URL(serverUrl);
benchUrl.pathname = '/lsp_bench_ingest';

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A fresh database, migrated and seeded outside the timing (as a running platform would be). */
async function freshDatabase(): Promise<void> {
  await admin('DROP DATABASE IF EXISTS lsp_bench_ingest WITH (FORCE)');
  await admin('CREATE DATABASE lsp_bench_ingest');
  const { db } = await prepareDatabase(loadConfig({ ...process.env, DATABASE_URL: benchUrl.toString(), LOG_LEVEL: 'silent' }));
  await seedDemo(db);
  await db.close();
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ seconds: number; stdout: string; stderr: string; code: number | null }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, stdout, stderr, code }));
  });
}

const archiveDir = path.join(REPO_ROOT, '.tmp', 'bench-archive');
const platformTimes: number[] = [];
const importTimes: number[] = [];
const peaks: number[] = [];
const ogrTimes: number[] = [];
let platformRecords = 0;
const zipMb = fs.statSync(zipPath).size / 1024 / 1024;
console.log(`bench:ingest ${manifest.parcels.toLocaleString('en')} DLTB parcels + ${manifest.basicFarmland.toLocaleString('en')} YJJBNTTB + XZQ, ${zipMb.toFixed(0)} MB zip, ${rounds} round(s)`);

for (let round = 1; round <= rounds; round++) {
  await freshDatabase();
  fs.rmSync(archiveDir, { recursive: true, force: true });
  const platform = await run(process.execPath, ['--import', 'tsx', 'server/cli/import.ts', zipPath, '--survey', 'national:2019', '--district', values.district!, '--json', '--no-check'], {
    ...process.env,
    DATABASE_URL: benchUrl.toString(),
    ARCHIVE_DIR: archiveDir,
    SEED_DEMO: 'false',
    LOG_LEVEL: 'silent',
  });
  if (platform.code !== 0) throw new Error(`platform import failed:\n${platform.stdout}\n${platform.stderr.slice(-3000)}`);
  const result = JSON.parse(platform.stdout.trim().split('\n').at(-1)!) as { seconds: number; peakRssMb: number; report: { records: number } };
  platformRecords = result.report.records;
  platformTimes.push(platform.seconds);
  importTimes.push(result.seconds);
  peaks.push(result.peakRssMb);
  console.log(`  round ${round}: platform ${platform.seconds.toFixed(1)} s wall (${result.seconds.toFixed(1)} s inside, peak RSS ${result.peakRssMb} MB)`);

  const ogr = await run('ogr2ogr', ['-f', 'PostgreSQL', `PG:${pgConnectionString(benchUrl)}`, `/vsizip/${zipPath}`, '-lco', 'GEOMETRY_NAME=geom', '-nlt', 'PROMOTE_TO_MULTI', '-overwrite', '-lco', 'SCHEMA=public', '-lco', 'LAUNDER=YES'], process.env);
  if (ogr.code !== 0) throw new Error(`ogr2ogr failed: ${ogr.stderr.slice(-2000)}`);
  ogrTimes.push(ogr.seconds);
  console.log(`  round ${round}: ogr2ogr  ${ogr.seconds.toFixed(1)} s wall`);
}

const best = (list: number[]) => Math.min(...list);
const ratio = best(platformTimes) / best(ogrTimes);
const peak = Math.max(...peaks);
console.log(`platform import : ${best(platformTimes).toFixed(1)} s wall (best of ${rounds}), ${platformRecords.toLocaleString('en')} records, peak RSS ${peak} MB`);
console.log(`ogr2ogr         : ${best(ogrTimes).toFixed(1)} s wall (best of ${rounds})`);
console.log(`ratio platform/ogr2ogr: ${ratio.toFixed(2)} (target <= 1.2: ${ratio <= 1.2 ? 'met' : 'NOT met'})`);
console.log(`peak memory: ${peak} MB (target <= 512 MB: ${peak <= 512 ? 'met' : 'NOT met'})`);
await admin('DROP DATABASE IF EXISTS lsp_bench_ingest WITH (FORCE)');

function pgConnectionString(url: URL): string {
  const parts = [`host=${url.hostname}`, `port=${url.port || 5432}`, `dbname=${url.pathname.slice(1)}`];
  if (url.username) parts.push(`user=${decodeURIComponent(url.username)}`);
  if (url.password) parts.push(`password=${decodeURIComponent(url.password)}`);
  return parts.join(' ');
}
