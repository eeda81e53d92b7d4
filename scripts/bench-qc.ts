// npm run bench:qc [-- --parcels 1000000 --district 310115 --seed 1 --rounds 3]
// Runs the full quality rule set (`npm run check` in a child process) on a generated package
// imported into a fresh database, and in the same run the bare PostGIS baseline on the same DLTB
// table: the overlap self-join with ST_Relate(a.geom, b.geom, '2********') over the spatial index,
// an ST_IsValid scan and an ellipsoidal area scan. Prints both times, their ratio, the rule set's
// peak memory and where its time goes. Rounds alternate which side goes first; the best round of
// each counts (the machines are noisy). Needs DATABASE_URL.
import path from 'node:path';
import pg from 'pg';
import { REPO_ROOT } from '../server/config.ts';
import { adminStatement, benchOptions, benchPackage, freshBenchDatabase, lastJsonLine, runTimed, serverUrlOrExit } from './bench-common.ts';

const options = benchOptions(3);
const serverUrl = serverUrlOrExit('bench:qc', 'runs the rule set and the baseline on the same PostGIS server');
const { zipPath, manifest } = await benchPackage(options);
const DATABASE = 'lsp_bench_qc';

console.log(`bench:qc ${manifest.parcels.toLocaleString('en')} DLTB + ${manifest.basicFarmland.toLocaleString('en')} YJJBNTTB parcels, ${options.rounds} round(s)`);
const benchUrl = await freshBenchDatabase(serverUrl, DATABASE);
const env = { ...process.env, DATABASE_URL: benchUrl.toString(), ARCHIVE_DIR: path.join(REPO_ROOT, '.tmp', 'bench-archive'), SEED_DEMO: 'false', LOG_LEVEL: 'silent' };
const imported = await runTimed(process.execPath, ['--import', 'tsx', 'server/cli/import.ts', zipPath, '--survey', 'national:2019', '--district', options.district, '--json', '--no-check'], env);
if (imported.code !== 0) throw new Error(`import failed:\n${imported.stdout}\n${imported.stderr.slice(-3000)}`);
const { submissionId } = lastJsonLine<{ submissionId: string }>(imported.stdout);
console.log(`  imported in ${imported.seconds.toFixed(1)} s (submission ${submissionId})`);
// The first reads of freshly bulk-loaded rows also write their hint bits; whichever side ran first
// would pay for that. VACUUM does it once, as autovacuum would soon after the load.
await adminStatement(benchUrl.toString(), 'VACUUM ANALYZE');

interface CheckResult {
  seconds: number;
  peakRssMb: number;
  findings: number;
  rules: { ruleId: string; findings: number; ms: number }[];
}

async function platformRound(): Promise<CheckResult & { wall: number }> {
  const check = await runTimed(process.execPath, ['--import', 'tsx', 'server/cli/check.ts', submissionId, '--json'], env);
  if (check.code !== 0) throw new Error(`check failed:\n${check.stdout}\n${check.stderr.slice(-3000)}`);
  return { ...lastJsonLine<CheckResult>(check.stdout), wall: check.seconds };
}

const BASELINE = {
  overlap: `SELECT count(*) FROM staged_land_use_parcels a JOIN staged_land_use_parcels b ON a.geom && b.geom AND a.record_no < b.record_no
             WHERE a.submission_id = $1 AND b.submission_id = $1 AND ST_Relate(a.geom, b.geom, '2********')`,
  isValid: `SELECT count(*) FROM staged_land_use_parcels WHERE submission_id = $1 AND NOT ST_IsValid(geom)`,
  area: `SELECT sum(ST_Area(geom::geography, true)) FROM staged_land_use_parcels WHERE submission_id = $1`,
};

async function baselineRound(): Promise<Record<keyof typeof BASELINE, number> & { total: number }> {
  const client = new pg.Client({ connectionString: benchUrl.toString() });
  await client.connect();
  try {
    const times = {} as Record<keyof typeof BASELINE, number>;
    for (const [name, statement] of Object.entries(BASELINE) as [keyof typeof BASELINE, string][]) {
      const started = process.hrtime.bigint();
      await client.query(statement, [submissionId]);
      times[name] = Number(process.hrtime.bigint() - started) / 1e9;
    }
    return { ...times, total: times.overlap + times.isValid + times.area };
  } finally {
    await client.end();
  }
}

const platform: (CheckResult & { wall: number })[] = [];
const baseline: Awaited<ReturnType<typeof baselineRound>>[] = [];
for (let round = 1; round <= options.rounds; round++) {
  const order = round % 2 === 1 ? ['platform', 'baseline'] : ['baseline', 'platform'];
  for (const side of order) {
    if (side === 'platform') {
      const result = await platformRound();
      platform.push(result);
      console.log(`  round ${round}: rule set ${result.seconds.toFixed(1)} s (${result.wall.toFixed(1)} s wall with start-up), ${result.findings} findings, peak RSS ${result.peakRssMb} MB`);
    } else {
      const result = await baselineRound();
      baseline.push(result);
      console.log(`  round ${round}: baseline ${result.total.toFixed(1)} s (overlap join ${result.overlap.toFixed(1)} s, ST_IsValid ${result.isValid.toFixed(1)} s, area ${result.area.toFixed(1)} s)`);
    }
  }
}

// Each round's own ratio too: on a shared machine the speed drifts between rounds, and a best
// round of one side may meet a slow round of the other.
platform.forEach((result, k) => console.log(`  round ${k + 1} ratio: ${(result.seconds / baseline[k]!.total).toFixed(2)}`));
const bestPlatform = platform.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const bestBaseline = baseline.reduce((a, b) => (b.total < a.total ? b : a));
const ratio = bestPlatform.seconds / bestBaseline.total;
console.log('where the rule set spends its time (best round):');
for (const rule of [...bestPlatform.rules].sort((a, b) => b.ms - a.ms).slice(0, 8)) {
  console.log(`  ${rule.ruleId.padEnd(32)} ${(rule.ms / 1000).toFixed(1).padStart(6)} s`);
}
console.log(`rule set : ${bestPlatform.seconds.toFixed(1)} s (best of ${options.rounds}; ${bestPlatform.rules.length} rules on DLTB and YJJBNTTB), peak RSS ${Math.max(...platform.map((p) => p.peakRssMb))} MB`);
console.log(`baseline : ${bestBaseline.total.toFixed(1)} s (best of ${options.rounds}; overlap join + ST_IsValid + area on DLTB)`);
console.log(`ratio rule set/baseline: ${ratio.toFixed(2)} (target <= 1.5: ${ratio <= 1.5 ? 'met' : 'NOT met'})`);
await adminStatement(serverUrl, `DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
