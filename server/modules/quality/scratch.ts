// A run's scratch tables in import_work (dropped when the run ends; a crash leaves them to the
// start-up sweep, which drops every unattached table there).
//   faults: every record whose geometry is invalid as delivered or after the transform to
//           EPSG:4490, missing, or was repaired on import, with the reasons and places GEOS gives,
//           and its repair (polygons of ST_MakeValid) for the overlay rules. Screening validity
//           once here is the one ST_IsValid scan of the run (validity as delivered was judged on
//           import, which kept the delivered geometry of the parcels invalid in it).
//   areas:  working geometry of a rule (gap pieces).
import { movePlatformAll } from '../submissions/lifecycle.ts';
import type { Database, ScriptExec } from '../../db/engine.ts';
import { CHECKED_LAYERS, describesParcel, type CheckedLayer, type ImportedLayerFacts, type ScratchTables } from './rule.ts';
import { text } from './rules/sql.ts';

/**
 * PostGIS functions are costed high, so nearly every check statement crosses the JIT threshold, and
 * compiling its long expression lists takes longer than running it on a few thousand parcels. The
 * checks run without JIT (for the transaction only).
 */
export async function withoutJit(exec: ScriptExec): Promise<void> {
  await exec(`SELECT set_config('jit', 'off', true)`);
}

/**
 * The faults table's columns, per record:
 *   reason, location   GEOS's verdict on the geometry as delivered ('no_geometry' when there is
 *                      none; NULL when valid as delivered), the place in the delivered CRS
 *   drawn              the geometry that verdict is on, in the delivered CRS
 *   issues             the reader's repairs (ring not closed, too few points), file coordinates
 *   delivered_srid     the layer's delivered CRS (EPSG)
 *   original           the stored geometry (EPSG:4490)
 *   transform_reason, transform_location
 *                      GEOS's verdict on the stored geometry of a record valid as delivered: the
 *                      transform made it invalid (place in EPSG:4490)
 *   repaired           the stored geometry if valid, else its ST_MakeValid polygons
 * A layer imported before validity was judged as delivered (no delivered_geom) is judged on its
 * stored geometry, as it was then, and has no transform verdicts.
 */
function screenLayer(code: CheckedLayer, facts: ImportedLayerFacts | undefined, changePackage: boolean): string {
  const asDelivered = facts?.validityAsDelivered === true;
  const srid = Number(facts?.srid ?? 4490);
  const present = `x.geom IS NOT NULL AND NOT ST_IsEmpty(x.geom)`;
  const judged = asDelivered ? 'x.delivered' : `CASE WHEN ${present} AND NOT x.valid THEN x.geom::geometry END`;
  return `
      SELECT ${text(code)}::text AS layer, x.record_no, x.bsm::text,
             CASE WHEN NOT (${present}) THEN 'no_geometry' ELSE (d.detail).reason END AS reason,
             ST_SetSRID((d.detail).location, ST_SRID(x.judged)) AS location, x.judged AS drawn,
             x.geometry_issues AS issues, ${srid}::int AS delivered_srid, x.geom::geometry AS original,
             (t.detail).reason AS transform_reason, ST_SetSRID((t.detail).location, 4490) AS transform_location,
             CASE WHEN NOT (${present}) THEN NULL WHEN x.valid THEN x.geom::geometry
                  ELSE ST_CollectionExtract(ST_MakeValid(x.geom), 3) END AS repaired,
             false AS sentinel
        FROM (SELECT x.*, ${judged} AS judged
                FROM (SELECT s.record_no, s.bsm, s.geom, s.geometry_issues, s.delivered_geom AS delivered,
                             CASE WHEN s.geom IS NULL OR ST_IsEmpty(s.geom) THEN false ELSE ST_IsValid(s.geom) END AS valid
                        FROM ${CHECKED_LAYERS[code].table} s WHERE s.submission_id = $1 AND ${describesParcel('s', changePackage)}) x) x
        LEFT JOIN LATERAL (SELECT ST_IsValidDetail(x.judged) AS detail WHERE x.judged IS NOT NULL) d ON true
        LEFT JOIN LATERAL (SELECT ST_IsValidDetail(x.geom) AS detail WHERE ${present} AND NOT x.valid AND x.judged IS NULL) t ON true
       WHERE NOT x.valid OR x.geometry_issues IS NOT NULL OR x.judged IS NOT NULL`;
}

export async function createScratch(
  db: Database,
  runId: string,
  submissionId: string,
  layers: readonly CheckedLayer[],
  imported: ReadonlyMap<CheckedLayer, ImportedLayerFacts>,
  changePackage: boolean,
): Promise<ScratchTables> {
  const suffix = runId.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(suffix)) throw new Error(`not a run id: ${runId}`);
  const faults = `import_work.qc_faults_${suffix}`;
  const areas = `import_work.qc_areas_${suffix}`;
  const twins = `import_work.qc_twins_${suffix}`;
  const faultCounts = new Map<CheckedLayer, number>();
  await db.scriptTransaction(async (exec) => {
    await withoutJit(exec);
    await exec(`CREATE TABLE ${areas} (kind text NOT NULL, g geometry)`);
    // CREATE TABLE AS, which may scan in parallel (the ST_IsValid scan is the costly part), with a
    // sentinel row last: the embedded engine's silent GEOS failure must not pass as "all valid".
    await exec(
      `CREATE TABLE ${faults} AS
         ${layers.map((code) => screenLayer(code, imported.get(code), changePackage)).join(' UNION ALL ')}
         UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true`,
      [submissionId],
    );
    const [check] = await exec(`SELECT count(*) FILTER (WHERE sentinel)::int AS sentinels FROM ${faults}`);
    if (Number(check?.sentinels) !== 1) throw new Error('geometry screening ended early (a geometry operation failed)');
    await exec(`DELETE FROM ${faults} WHERE sentinel; ALTER TABLE ${faults} DROP COLUMN sentinel, ALTER COLUMN layer SET NOT NULL, ALTER COLUMN record_no SET NOT NULL, ADD PRIMARY KEY (layer, record_no)`);
    for (const row of await exec(`SELECT layer, count(*)::int AS n FROM ${faults} GROUP BY layer`)) faultCounts.set(row.layer as CheckedLayer, Number(row.n));
    for (const code of layers) if (!faultCounts.has(code)) faultCounts.set(code, 0);
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

/**
 * At start no check is running (one platform instance per database, as for imports): runs left
 * 'running' were interrupted. Their findings go, the run is marked failed, and the submission
 * returns to 'imported' to be checked again. (Their scratch tables go with the import sweep.)
 */
export async function sweepInterruptedChecks(db: Database): Promise<number> {
  return db.systemTransaction(async (tx) => {
    const exec = tx.exec;
    const runs = await exec(
      `UPDATE qc_runs SET state = 'failed', finished_at = clock_timestamp(),
              error = jsonb_build_object('code', 'QC_INTERRUPTED', 'message', jsonb_build_object(
                'zh', '质检被中断（服务停止），请重新质检', 'en', 'The check was interrupted (the service stopped); run it again.'))
        WHERE state = 'running' RETURNING district_code, id`,
    );
    for (const run of runs) await exec(`DELETE FROM qc_findings WHERE district_code = $1 AND run_id = $2`, [run.district_code, run.id]);
    await movePlatformAll(tx, 'checking', 'check_abort');
    return runs.length;
  });
}
