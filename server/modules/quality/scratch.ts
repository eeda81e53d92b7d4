// A run's scratch tables in import_work (dropped when the run ends; a crash leaves them to the
// start-up sweep, which drops every unattached table there).
//   faults: every record whose geometry is invalid, missing or was repaired on import, with the
//           reason and place GEOS gives, and its repair (polygons of ST_MakeValid) for the overlay
//           rules. Screening validity once here is the one ST_IsValid scan of the run.
//   areas:  working geometry of a rule (gap pieces).
import type { Database, ScriptExec } from '../../db/engine.ts';
import { CHECKED_LAYERS, type CheckedLayer, type ScratchTables } from './rule.ts';
import { text } from './rules/sql.ts';

export async function createScratch(db: Database, runId: string, submissionId: string, layers: readonly CheckedLayer[]): Promise<ScratchTables> {
  const suffix = runId.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(suffix)) throw new Error(`not a run id: ${runId}`);
  const faults = `import_work.qc_faults_${suffix}`;
  const areas = `import_work.qc_areas_${suffix}`;
  const twins = `import_work.qc_twins_${suffix}`;
  const faultCounts = new Map<CheckedLayer, number>();
  await db.scriptTransaction(async (exec) => {
    await exec(`CREATE TABLE ${faults} (layer text NOT NULL, record_no integer NOT NULL, bsm text, reason text, location geometry,
                  issues jsonb, original geometry, repaired geometry, PRIMARY KEY (layer, record_no))`);
    await exec(`CREATE TABLE ${areas} (kind text NOT NULL, g geometry)`);
    for (const code of layers) {
      const layer = CHECKED_LAYERS[code];
      const [row] = await exec(
        `WITH screened AS (
           SELECT s.record_no, s.bsm, s.geom, s.geometry_issues,
                  CASE WHEN s.geom IS NULL OR ST_IsEmpty(s.geom) THEN false ELSE ST_IsValid(s.geom) END AS valid
             FROM ${layer.table} s WHERE s.submission_id = $1),
         faulty AS (
           SELECT x.*, d.reason, d.location FROM screened x
           LEFT JOIN LATERAL (SELECT (ST_IsValidDetail(x.geom)).* WHERE x.geom IS NOT NULL AND NOT ST_IsEmpty(x.geom) AND NOT x.valid) d ON true
            WHERE NOT x.valid OR x.geometry_issues IS NOT NULL),
         stored AS (
           INSERT INTO ${faults} (layer, record_no, bsm, reason, location, issues, original, repaired)
           SELECT ${text(code)}, record_no, bsm,
                  CASE WHEN geom IS NULL OR ST_IsEmpty(geom) THEN 'no_geometry' ELSE reason END,
                  location, geometry_issues, geom,
                  CASE WHEN geom IS NULL OR ST_IsEmpty(geom) THEN NULL WHEN valid THEN geom ELSE ST_CollectionExtract(ST_MakeValid(geom), 3) END
             FROM faulty RETURNING 1)
         SELECT count(*)::int AS n FROM stored`,
        [submissionId],
      );
      if (!row) throw new Error(`geometry screening of ${code} returned no result`);
      faultCounts.set(code, Number(row.n));
    }
    if (layers.includes('DLTB') && layers.includes('YJJBNTTB')) await findTwins(exec, twins, faults, submissionId);
  });
  return { faults, areas, faultCounts, twins: layers.includes('DLTB') && layers.includes('YJJBNTTB') ? twins : null };
}

/**
 * Permanent basic farmland is drawn from land-use parcels: most farmland parcels have the very
 * geometry of exactly one DLTB parcel, their twin. (The overlap and farmland rules use that; the
 * index finds a twin by its box, ~=, before the exact comparison.) Only valid geometry on both
 * sides, and only twins no other farmland parcel shares.
 */
async function findTwins(exec: ScriptExec, twins: string, faults: string, submissionId: string): Promise<void> {
  await exec(
    `CREATE TABLE ${twins} AS
       SELECT f.record_no, min(e.record_no) AS twin, min(e.dlbm) AS twin_dlbm, count(*) AS n
         FROM staged_basic_farmland_parcels f
         JOIN staged_land_use_parcels e ON e.submission_id = $1 AND e.geom ~= f.geom AND e.geom = f.geom
        WHERE f.submission_id = $1
          AND NOT EXISTS (SELECT 1 FROM ${faults} x WHERE x.layer = 'YJJBNTTB' AND x.record_no = f.record_no)
          AND NOT EXISTS (SELECT 1 FROM ${faults} x WHERE x.layer = 'DLTB' AND x.record_no = e.record_no)
        GROUP BY f.record_no`,
    [submissionId],
  );
  await exec(`DELETE FROM ${twins} t WHERE t.n > 1 OR t.twin IN (SELECT twin FROM ${twins} GROUP BY twin HAVING count(*) > 1)`);
  await exec(`ALTER TABLE ${twins} ADD PRIMARY KEY (record_no); CREATE INDEX ON ${twins} (twin); ANALYZE ${twins}`);
}

export async function dropScratch(db: Database, scratch: ScratchTables): Promise<void> {
  await db.scriptTransaction(async (exec) => {
    if (scratch.twins) await exec(`DROP TABLE IF EXISTS ${scratch.twins}`);
    await exec(`DROP TABLE IF EXISTS ${scratch.faults}`);
    await exec(`DROP TABLE IF EXISTS ${scratch.areas}`);
  });
}
