// A run's scratch tables in import_work (dropped when the run ends; a crash leaves them to the
// start-up sweep, which drops every unattached table there).
//   faults: every record whose geometry is invalid, missing or was repaired on import, with the
//           reason and place GEOS gives, and its repair (polygons of ST_MakeValid) for the overlay
//           rules. Screening validity once here is the one ST_IsValid scan of the run.
//   areas:  working geometry of a rule (gap pieces).
import type { Database } from '../../db/engine.ts';
import { CHECKED_LAYERS, type CheckedLayer, type ScratchTables } from './rule.ts';
import { text } from './rules/sql.ts';

export async function createScratch(db: Database, runId: string, submissionId: string, layers: readonly CheckedLayer[]): Promise<ScratchTables> {
  const suffix = runId.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(suffix)) throw new Error(`not a run id: ${runId}`);
  const faults = `import_work.qc_faults_${suffix}`;
  const areas = `import_work.qc_areas_${suffix}`;
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
  });
  return { faults, areas, faultCounts };
}

export async function dropScratch(db: Database, scratch: ScratchTables): Promise<void> {
  await db.scriptTransaction(async (exec) => {
    await exec(`DROP TABLE IF EXISTS ${scratch.faults}`);
    await exec(`DROP TABLE IF EXISTS ${scratch.areas}`);
  });
}
