// npm run bench:versions [-- --parcels 1000000 --district 310115 --seed 1 --rounds 3]
// The versioned data at scale: a generated 1,000,000-parcel baseline applied, then four yearly
// change packages of 5 % each (the change generator) imported, checked, accepted and applied, each
// year frozen. Prints, beside the bare SQL that computes the same thing:
//   - applying each 50,000-parcel change package (target <= 30 s) — bare: the same closing UPDATE
//     and INSERT of the new versions, without the re-checks and lineage (rolled back);
//   - statistics as of a day that is no snapshot, through the API (target <= 2 s) — bare: the
//     GROUP BY over the versions valid that day;
//   - the change flow table between two years, through the API (target <= 10 s) — bare: the
//     overlay of what ended against what began, grouped by class pair.
// Query rounds alternate which side goes first; the best round of each counts. Needs DATABASE_URL.
// BENCH_QUERIES_ONLY=1 measures the queries again on the database a previous run left (no set-up),
// between the years it had frozen.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { buildApp } from '../server/app.ts';
import { loadConfig, REPO_ROOT } from '../server/config.ts';
import { prepareDatabase } from '../server/platform.ts';
import type { SessionUser } from '../server/modules/auth/repository.ts';
import { runChecks } from '../server/modules/quality/engine.ts';
import { applySubmission } from '../server/modules/versions/apply.ts';
import { acceptSubmission } from '../server/modules/submissions/decide.ts';
import { freezeYear } from '../server/modules/versions/snapshots.ts';
import { closeSurveys } from '../server/seed/demo-history.ts';
import { DEMO_PASSWORD } from '../server/seed/demo.ts';
import { generateChangeSeries } from '../server/seed/generator/changes.ts';
import { adminStatement, benchOptions, benchPackage, freshBenchDatabase, lastJsonLine, runTimed, serverUrlOrExit } from './bench-common.ts';

const options = benchOptions(3);
const YEARS = [2020, 2021, 2022, 2023];
const FRACTION = 0.05;
const serverUrl = serverUrlOrExit('bench:versions', 'measures the platform and bare SQL on the same PostGIS server');
const { zipPath, manifest } = await benchPackage(options);
const name = `${options.district}-${options.parcels}-s${options.seed}`;
const changeDir = path.join(REPO_ROOT, '.tmp', 'packages', `${name}-changes-${FRACTION}`);
const changeZip = (year: number) => path.join(changeDir, `${name}-change-${year}.zip`);
if (!YEARS.every((year) => fs.existsSync(changeZip(year)))) {
  console.log(`generating the change packages ${YEARS.join(', ')} (${FRACTION * 100} % a year) …`);
  const started = Date.now();
  await generateChangeSeries({ districtCode: options.district, parcels: options.parcels, seed: options.seed, years: YEARS, fraction: FRACTION, outDir: changeDir, name });
  console.log(`generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;
console.log(`bench:versions ${manifest.parcels.toLocaleString('en')} parcels in ${options.district}, change packages ${YEARS.join(', ')} of ${FRACTION * 100} % each, ${options.rounds} round(s)`);
const QUERIES_ONLY = process.env.BENCH_QUERIES_ONLY === '1';
const benchUrl = QUERIES_ONLY ? Object.assign(new URL(serverUrl), { pathname: '/lsp_bench_versions' }) : await freshBenchDatabase(serverUrl, 'lsp_bench_versions');
const env = { ...process.env, DATABASE_URL: benchUrl.toString(), ARCHIVE_DIR: path.join(REPO_ROOT, '.tmp', 'bench-archive'), SEED_DEMO: 'false', LOG_LEVEL: 'silent' };
const config = loadConfig(env);
const { db, capabilities } = await prepareDatabase(config);
const app = await buildApp({ config, db, capabilities });
await app.ready();
const adminRow = await db.kysely.selectFrom('users').select(['id', 'username', 'display_name']).where('username', '=', 'admin').executeTakeFirstOrThrow();
const admin: SessionUser = { id: adminRow.id, username: adminRow.username, displayName: adminRow.display_name, role: 'city_admin', districtCode: null, districtName: null, organisationName: null };
const client = new pg.Client({ connectionString: benchUrl.toString() });
await client.connect();

async function importPackage(zip: string, survey: string, check: boolean): Promise<string> {
  const imported = await runTimed(process.execPath, ['--import', 'tsx', 'server/cli/import.ts', zip, '--survey', survey, '--district', options.district, '--json', '--no-check'], env);
  if (imported.code !== 0) throw new Error(`import failed:\n${imported.stdout}\n${imported.stderr.slice(-3000)}`);
  const { submissionId } = lastJsonLine<{ submissionId: string }>(imported.stdout);
  const started = process.hrtime.bigint();
  // The baseline's quality checks are bench:qc's subject; here it only needs the finished run the
  // acceptance gate asks for. Change packages get the whole rule set, as on the platform.
  const run = await runChecks(db, submissionId, { startedBy: null, ...(check ? {} : { only: [] }) });
  console.log(`  ${path.basename(zip)}: imported in ${imported.seconds.toFixed(1)} s, checked in ${seconds(started).toFixed(1)} s (${run.findings} findings, ${run.blocking} blocking)`);
  if (run.blocking > 0) {
    const { rows } = await client.query(`SELECT rule_id, bsm, message_en FROM qc_findings WHERE run_id = $1 AND severity = 'error' LIMIT 10`, [run.runId]);
    throw new Error(`the package has blocking findings:\n${rows.map((row) => `${row.rule_id} ${row.bsm} ${row.message_en}`).join('\n')}`);
  }
  await acceptSubmission(db, submissionId, admin, null);
  return submissionId;
}

/** The same writes as applying a change package, bare: close what it replaces, insert the new versions; rolled back. */
async function bareApply(submissionId: string): Promise<number> {
  const attributes = (await client.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'land_use_parcels' AND column_name NOT IN
      ('version_id', 'district_code', 'bsm', 'valid_from', 'valid_to', 'submission_id', 'closed_by_submission_id', 'created_at', 'geom', 'area_m2') ORDER BY ordinal_position`)).rows.map((row) => String(row.column_name));
  await client.query('BEGIN');
  try {
    const started = process.hrtime.bigint();
    await client.query(
      `UPDATE land_use_parcels v SET valid_to = c.d, closed_by_submission_id = $1
         FROM (SELECT DISTINCT unnest(change_predecessors(s.extra_attributes)) AS named, change_date(s.extra_attributes) AS d
                 FROM staged_land_use_parcels s WHERE s.submission_id = $1) c
        WHERE v.district_code = $2 AND v.bsm = c.named AND v.valid_to IS NULL`,
      [submissionId, options.district],
    );
    await client.query(
      `INSERT INTO land_use_parcels (district_code, bsm, valid_from, submission_id, ${attributes.join(', ')}, geom, area_m2)
       SELECT s.district_code, s.bsm, change_date(s.extra_attributes), s.submission_id, ${attributes.map((column) => `s.${column}`).join(', ')}, s.geom, s.area_m2
         FROM staged_land_use_parcels s WHERE s.submission_id = $1`,
      [submissionId],
    );
    return seconds(started);
  } finally {
    await client.query('ROLLBACK');
  }
}

const applies: { year: number; platform: number; bare: number; created: number; closed: number }[] = [];
let started = process.hrtime.bigint();
if (!QUERIES_ONLY) {
  const baselineId = await importPackage(zipPath, 'national:2019', false);
  started = process.hrtime.bigint();
  const baseline = await applySubmission(db, baselineId, { id: admin.id, role: admin.role });
  console.log(`  baseline applied: ${baseline.layers.map((layer) => `${layer.created.toLocaleString('en')} ${layer.layer}`).join(', ')} versions in ${seconds(started).toFixed(1)} s`);
  await closeSurveys(db, 'national', 2019, admin);
  await freezeYear(db, 2019, { id: admin.id, role: admin.role });
}
for (const year of QUERIES_ONLY ? [] : YEARS) {
  const id = await importPackage(changeZip(year), `land_use_change:${year}`, true);
  await adminStatement(benchUrl.toString(), 'VACUUM ANALYZE land_use_parcels');
  const bare = await bareApply(id);
  started = process.hrtime.bigint();
  const applied = await applySubmission(db, id, { id: admin.id, role: admin.role });
  const platform = seconds(started);
  const layer = applied.layers[0]!;
  applies.push({ year, platform, bare, created: layer.created, closed: layer.closed });
  console.log(`  apply ${year}: ${layer.created.toLocaleString('en')} new, ${layer.closed.toLocaleString('en')} closed, ${layer.lineage.toLocaleString('en')} lineage: platform ${platform.toFixed(1)} s, bare ${bare.toFixed(1)} s`);
  await closeSurveys(db, 'land_use_change', year, admin);
  started = process.hrtime.bigint();
  await freezeYear(db, year, { id: admin.id, role: admin.role });
  console.log(`  freeze ${year}: ${seconds(started).toFixed(1)} s (checksum over every version valid on ${year}-12-31)`);
}
await adminStatement(benchUrl.toString(), 'VACUUM ANALYZE');

// The API, as a city administrator.
const login = await app.inject({ method: 'GET', url: '/api/auth/session' });
const preCsrf = login.json<{ csrfToken: string }>().csrfToken;
const cookies = Object.fromEntries(login.cookies.map((cookie) => [cookie.name, cookie.value]));
const session = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'x-csrf-token': preCsrf }, cookies, payload: { username: 'admin', password: DEMO_PASSWORD } });
for (const cookie of session.cookies) cookies[cookie.name] = cookie.value;

async function apiSeconds(url: string): Promise<number> {
  const started = process.hrtime.bigint();
  const response = await app.inject({ method: 'GET', url, cookies });
  if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body.slice(0, 500)}`);
  return seconds(started);
}

async function sqlSeconds(statement: string, params: unknown[]): Promise<number> {
  const started = process.hrtime.bigint();
  await client.query(statement, params);
  return seconds(started);
}

const lastYear = Number((await client.query('SELECT max(year) AS year FROM snapshots')).rows[0]!.year);
const AS_OF = `${lastYear - 1}-06-30`;
const BARE_STATISTICS = `SELECT district_code, dlbm, sum(area_m2), count(*) FROM land_use_parcels
  WHERE valid_from <= $1::date AND (valid_to IS NULL OR valid_to > $1::date) GROUP BY 1, 2`;
const BARE_FLOW = `SELECT a.dlbm, b.dlbm, sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography, true))
  FROM land_use_parcels a CROSS JOIN LATERAL (SELECT b.dlbm, b.geom FROM land_use_parcels b WHERE b.geom && a.geom AND b.district_code = a.district_code
   AND b.valid_from > $1::date AND b.valid_from <= $2::date AND (b.valid_to IS NULL OR b.valid_to > $2::date) OFFSET 0) b
 WHERE a.valid_to > $1::date AND a.valid_to <= $2::date AND a.valid_from <= $1::date GROUP BY 1, 2`;

interface Pair {
  label: string;
  target: number;
  platform: () => Promise<number>;
  bare: () => Promise<number>;
}
const pairs: Pair[] = [
  { label: `statistics as of ${AS_OF}`, target: 2, platform: () => apiSeconds(`/api/statistics?asOf=${AS_OF}`), bare: () => sqlSeconds(BARE_STATISTICS, [AS_OF]) },
  { label: `change flow table ${lastYear - 1} → ${lastYear}`, target: 10, platform: () => apiSeconds(`/api/change-flows?from=${lastYear - 1}&to=${lastYear}`), bare: () => sqlSeconds(BARE_FLOW, [`${lastYear - 1}-12-31`, `${lastYear}-12-31`]) },
  { label: `change flow table 2019 → ${lastYear}`, target: 10, platform: () => apiSeconds(`/api/change-flows?from=2019&to=${lastYear}`), bare: () => sqlSeconds(BARE_FLOW, ['2019-12-31', `${lastYear}-12-31`]) },
];
const results: { label: string; target: number; platform: number; bare: number }[] = [];
for (const pair of pairs) {
  const platform: number[] = [];
  const bare: number[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    if (round % 2) {
      platform.push(await pair.platform());
      bare.push(await pair.bare());
    } else {
      bare.push(await pair.bare());
      platform.push(await pair.platform());
    }
  }
  console.log(`  ${pair.label}: platform ${platform.map((s) => s.toFixed(2)).join(' / ')} s, bare ${bare.map((s) => s.toFixed(2)).join(' / ')} s`);
  results.push({ label: pair.label, target: pair.target, platform: Math.min(...platform), bare: Math.min(...bare) });
}

console.log('');
for (const result of results) {
  console.log(`${result.label.padEnd(32)} platform ${result.platform.toFixed(2).padStart(6)} s  bare SQL ${result.bare.toFixed(2).padStart(6)} s  ratio ${(result.platform / result.bare).toFixed(2)}  (target <= ${result.target} s: ${result.platform <= result.target ? 'met' : 'NOT met'})`);
}
for (const apply of applies) {
  console.log(`${`apply ${apply.year} (${apply.created.toLocaleString('en')} new)`.padEnd(32)} platform ${apply.platform.toFixed(2).padStart(6)} s  bare SQL ${apply.bare.toFixed(2).padStart(6)} s  ratio ${(apply.platform / apply.bare).toFixed(2)}  (target <= 30 s: ${apply.platform <= 30 ? 'met' : 'NOT met'})`);
}
await client.end();
await app.close();
await db.close();
