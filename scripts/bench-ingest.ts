// npm run bench:ingest [-- --parcels 1000000 --district 310115 --seed 1 --rounds 2]
// Imports a generated survey package through the platform's real import path (`npm run import`
// in a child process: archive, inspect, read, check, transform to EPSG:4490, ellipsoidal areas,
// index, attach) and, in the same run, imports the same zip with ogr2ogr into the same PostGIS
// server. Prints both wall times, their ratio and the platform's peak memory. Each round uses a
// fresh database; the best round of each counts (the machines are noisy). Needs DATABASE_URL and
// ogr2ogr (Debian gdal-bin).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../server/config.ts';
import { adminStatement, benchOptions, benchPackage, freshBenchDatabase, lastJsonLine, runTimed, serverUrlOrExit } from './bench-common.ts';

const options = benchOptions(2);
const { rounds } = options;
const serverUrl = serverUrlOrExit('bench:ingest', 'compares with ogr2ogr on the same PostGIS server');
if (spawnSync('ogr2ogr', ['--version']).status !== 0) {
  console.error('bench:ingest needs ogr2ogr (apt-get install gdal-bin)');
  process.exit(2);
}
const { zipPath, manifest } = await benchPackage(options);
const admin = (statement: string) => adminStatement(serverUrl, statement);

const archiveDir = path.join(REPO_ROOT, '.tmp', 'bench-archive');
const platformTimes: number[] = [];
const importTimes: number[] = [];
const peaks: number[] = [];
const ogrTimes: number[] = [];
let platformRecords = 0;
const zipMb = fs.statSync(zipPath).size / 1024 / 1024;
console.log(`bench:ingest ${manifest.parcels.toLocaleString('en')} DLTB parcels + ${manifest.basicFarmland.toLocaleString('en')} YJJBNTTB + XZQ, ${zipMb.toFixed(0)} MB zip, ${rounds} round(s)`);

let benchUrl = new URL(serverUrl);
for (let round = 1; round <= rounds; round++) {
  benchUrl = await freshBenchDatabase(serverUrl, 'lsp_bench_ingest');
  fs.rmSync(archiveDir, { recursive: true, force: true });
  const platform = await runTimed(process.execPath, ['--import', 'tsx', 'server/cli/import.ts', zipPath, '--survey', 'national:2019', '--district', options.district, '--json', '--no-check'], {
    ...process.env,
    DATABASE_URL: benchUrl.toString(),
    ARCHIVE_DIR: archiveDir,
    SEED_DEMO: 'false',
    LOG_LEVEL: 'silent',
  });
  if (platform.code !== 0) throw new Error(`platform import failed:\n${platform.stdout}\n${platform.stderr.slice(-3000)}`);
  const result = lastJsonLine<{ seconds: number; peakRssMb: number; report: { records: number } }>(platform.stdout);
  platformRecords = result.report.records;
  platformTimes.push(platform.seconds);
  importTimes.push(result.seconds);
  peaks.push(result.peakRssMb);
  console.log(`  round ${round}: platform ${platform.seconds.toFixed(1)} s wall (${result.seconds.toFixed(1)} s inside, peak RSS ${result.peakRssMb} MB)`);

  const ogr = await runTimed('ogr2ogr', ['-f', 'PostgreSQL', `PG:${pgConnectionString(benchUrl)}`, `/vsizip/${zipPath}`, '-lco', 'GEOMETRY_NAME=geom', '-nlt', 'PROMOTE_TO_MULTI', '-overwrite', '-lco', 'SCHEMA=public', '-lco', 'LAUNDER=YES'], process.env);
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
