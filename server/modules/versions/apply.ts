// Applying an accepted submission to the parcel versions, in one transaction: a baseline package
// (national survey) becomes the district's first versions, valid from the survey's time point; a
// change package closes the versions it replaces on its change dates, adds the new versions from
// those dates and records the lineage between them. Nothing is updated but the closing of open
// versions (migrations/0005); the database refuses anything dated on or before a frozen snapshot
// (migrations/0009).
import type { Database, ScriptExec, SystemTx } from '../../db/engine.ts';
import type { AuditActor } from '../audit/repository.ts';
import { commitMove, planSubmissionMove } from '../submissions/lifecycle.ts';
import { VERSIONED_LAYERS, type VersionedLayerInfo } from './layers.ts';
import { versionErrors } from './errors.ts';

/** Rows written to a layer from which its statistics are refreshed in the same transaction. */
const ANALYZE_AFTER_ROWS = 10_000;

/** Who applies: a signed-in user of a role that may (the lifecycle step 'apply' says which). */
export interface ApplyActor {
  id: string;
  role: AuditActor['role'];
  districtCode?: string | null;
}

export interface AppliedLayer {
  layer: string;
  created: number;
  closed: number;
  lineage: number;
}

export interface ApplyOutcome {
  submissionId: string;
  districtCode: string;
  kind: 'baseline' | 'change';
  layers: AppliedLayer[];
  ms: number;
}

interface SubmissionRow {
  id: string;
  district_code: string;
  state: string;
  survey_kind: string;
  time_point: string;
}

export function applySubmission(db: Database, submissionId: string, actor: ApplyActor): Promise<ApplyOutcome> {
  return db.systemTransaction((tx) => applyInTransaction(tx, submissionId, actor));
}

/** applySubmission in the caller's owner transaction (a cadastral change applied with its 验收). */
export async function applyInTransaction(tx: SystemTx, submissionId: string, actor: ApplyActor): Promise<ApplyOutcome> {
  const started = Date.now();
  const exec = tx.exec;
  // The step first: it locks the submission and refuses a package not ready to apply (or an
  // actor who may not) before any work; it is committed with the versions at the end.
  const move = await planSubmissionMove(tx, submissionId, 'apply', { id: actor.id, role: actor.role, districtCode: actor.districtCode ?? null });
  // Settings for the transaction only: no JIT for the long PostGIS expressions, and a budget
  // that lets a large package's statements sort in memory.
  await exec(`SELECT set_config('jit', 'off', true), set_config('work_mem', '256MB', true)`);
  const [row] = await exec(
    `SELECT s.id, s.district_code, s.state::text AS state, v.kind::text AS survey_kind, to_char(v.time_point, 'YYYY-MM-DD') AS time_point
       FROM submissions s JOIN surveys v ON v.id = s.survey_id WHERE s.id = $1`,
    [submissionId],
  );
  if (!row) throw versionErrors.submissionNotFound(submissionId);
  const submission = row as unknown as SubmissionRow;
  // One apply per district at a time: two change packages must not both replace one parcel.
  await exec(`SELECT pg_advisory_xact_lock(hashtext('apply:' || $1::text))`, [submission.district_code]);
  // Applies of different districts run side by side, but never while a year freezes (the
  // freeze locks the table exclusively): its checksum must see every version dated before it.
  await exec(`LOCK TABLE snapshots IN SHARE MODE`);
  const baseline = submission.survey_kind === 'national';
  const layers: AppliedLayer[] = [];
  for (const info of Object.values(VERSIONED_LAYERS)) {
    const [present] = await exec(`SELECT count(*)::int AS n FROM ${info.staged} WHERE submission_id = $1`, [submissionId]);
    if (!Number(present?.n)) continue;
    const applied = baseline ? await applyBaseline(exec, submission, info) : await applyChanges(exec, submission, info);
    layers.push(applied);
    // A bulk write leaves the planner's statistics behind (a fresh baseline looks like an empty
    // table), and the next package's checks would plan by them: refresh them with the write.
    if (applied.created + applied.closed >= ANALYZE_AFTER_ROWS) await exec(`ANALYZE ${info.versions}`);
  }
  const outcome: ApplyOutcome = { submissionId, districtCode: submission.district_code, kind: baseline ? 'baseline' : 'change', layers, ms: Date.now() - started };
  await commitMove(tx, move, { detail: { kind: outcome.kind, layers, ms: outcome.ms } });
  return outcome;
}

const columnList = (info: VersionedLayerInfo) => [...info.attributes, ...(info.keepsExtra ? ['extra_attributes'] : [])];

/** A national-survey package: the district's first versions of the layer, valid from the time point. */
async function applyBaseline(exec: ScriptExec, submission: SubmissionRow, info: VersionedLayerInfo): Promise<AppliedLayer> {
  const [existing] = await exec(`SELECT count(*)::int AS n FROM ${info.versions} WHERE district_code = $1`, [submission.district_code]);
  if (Number(existing?.n)) throw versionErrors.baselineExists(info.label, submission.district_code, Number(existing!.n));
  const columns = columnList(info).join(', ');
  const [inserted] = await exec(
    `WITH created AS (
       INSERT INTO ${info.versions} (district_code, bsm, valid_from, submission_id, ${columns}, geom, area_m2)
       SELECT s.district_code, s.bsm, $3::date, s.submission_id, ${columnList(info).map((column) => `s.${column}`).join(', ')}, s.geom, s.area_m2
         FROM ${info.staged} s WHERE s.submission_id = $1 AND s.district_code = $2
       RETURNING 1)
     SELECT count(*)::int AS n FROM created`,
    [submission.id, submission.district_code, submission.time_point],
  );
  return { layer: info.layer, created: Number(inserted?.n), closed: 0, lineage: 0 };
}

/**
 * A change package's records: new versions (each naming its predecessors) and retirements (灭失).
 * Everything is checked again here, under the district's lock: the quality run may be days old
 * and another package may have replaced a predecessor since.
 */
async function applyChanges(exec: ScriptExec, submission: SubmissionRow, info: VersionedLayerInfo): Promise<AppliedLayer> {
  const district = submission.district_code;
  await exec(`DROP TABLE IF EXISTS chg_records, chg_links`);
  // Each record with the version id it will get (new versions only) and its date.
  await exec(
    `CREATE TEMP TABLE chg_records ON COMMIT DROP AS
       SELECT s.record_no, s.bsm::text AS bsm, change_date(s.extra_attributes) AS d, change_retires(s.extra_attributes) AS retires,
              CASE WHEN change_retires(s.extra_attributes) THEN NULL ELSE nextval('parcel_version_id_seq') END AS version_id,
              CASE WHEN change_retires(s.extra_attributes) THEN ARRAY[s.bsm::text] ELSE change_predecessors(s.extra_attributes) END AS named
         FROM ${info.staged} s WHERE s.submission_id = $1 AND s.district_code = $2`,
    [submission.id, district],
  );
  await exec(
    `CREATE TEMP TABLE chg_links ON COMMIT DROP AS
       SELECT r.record_no, r.version_id AS successor, r.d, r.retires, n.named, v.version_id AS predecessor, v.valid_from
         FROM chg_records r CROSS JOIN LATERAL unnest(r.named) AS n(named)
         LEFT JOIN ${info.versions} v ON v.district_code = $1 AND v.bsm = n.named AND v.valid_to IS NULL`,
    [district],
  );
  await exec(`CREATE INDEX ON chg_links (predecessor); CREATE INDEX ON chg_links (successor); ANALYZE chg_records; ANALYZE chg_links`);
  const problems = await exec(
    `SELECT 'date' AS problem, record_no, bsm AS subject FROM chg_records WHERE d IS NULL
     UNION ALL SELECT 'predecessor', record_no, named FROM chg_links WHERE predecessor IS NULL OR d <= valid_from
     UNION ALL SELECT 'conflict', min(record_no), named FROM chg_links GROUP BY named HAVING count(DISTINCT d) > 1 OR (bool_or(retires) AND count(*) > 1)
     UNION ALL SELECT 'bsm_taken', r.record_no, r.bsm FROM chg_records r
                JOIN ${info.versions} v ON v.district_code = $1 AND v.bsm = r.bsm AND v.valid_to IS NULL
               WHERE NOT r.retires AND NOT r.bsm = ANY(r.named) AND NOT EXISTS (SELECT 1 FROM chg_links l WHERE l.named = r.bsm)
     LIMIT 20`,
    [district],
  );
  if (problems.length) throw versionErrors.changeStale(info.label, problems);

  // Close every replaced version on its change date, then add the new versions from theirs (a
  // new version may keep its predecessor's BSM: the two periods meet, they do not overlap).
  const [closed] = await exec(
    `WITH replaced AS (SELECT predecessor, min(d) AS d FROM chg_links GROUP BY predecessor),
          done AS (UPDATE ${info.versions} v SET valid_to = r.d, closed_by_submission_id = $2
                     FROM replaced r WHERE v.district_code = $1 AND v.version_id = r.predecessor RETURNING 1)
     SELECT count(*)::int AS n, (SELECT count(*)::int FROM replaced) AS expected FROM done`,
    [district, submission.id],
  );
  const columns = columnList(info);
  const [created] = await exec(
    `WITH created AS (
       INSERT INTO ${info.versions} (version_id, district_code, bsm, valid_from, submission_id, ${columns.join(', ')}, geom, area_m2)
       SELECT r.version_id, s.district_code, s.bsm, r.d, s.submission_id, ${columns.map((column) => `s.${column}`).join(', ')}, s.geom, s.area_m2
         FROM ${info.staged} s JOIN chg_records r ON r.record_no = s.record_no
        WHERE s.submission_id = $1 AND s.district_code = $2 AND NOT r.retires
       RETURNING 1)
     SELECT count(*)::int AS n, (SELECT count(*)::int FROM chg_records WHERE NOT retires) AS expected FROM created`,
    [submission.id, district],
  );
  const lineage = await writeLineage(exec, submission, info);
  // The embedded engine ends a statement whose GEOS call failed without raising: every step must
  // have touched exactly the rows it was meant to, or the whole apply is undone.
  for (const [step, result] of [['close', closed], ['create', created], ['lineage', lineage]] as const) {
    if (!result || Number(result.n) !== Number(result.expected)) throw versionErrors.applyIncomplete(step, Number(result?.n), Number(result?.expected));
  }
  return { layer: info.layer, created: Number(created!.n), closed: Number(closed!.n), lineage: Number(lineage!.n) };
}

/**
 * One lineage row per (new version, replaced version), with the kind of change: a split (one
 * parcel into several), a merge (several into one), otherwise for a one-to-one replacement the
 * geometry decides (boundary change), then the class (reclassification), then for ownership
 * parcels the right holder or kind of right (ownership change), else an attribute change. A
 * many-to-many re-partition is recorded as a boundary change.
 */
async function writeLineage(exec: ScriptExec, submission: SubmissionRow, info: VersionedLayerInfo): Promise<Record<string, unknown> | undefined> {
  const ownership = info.layer === 'ownership' ? `OR n.qlrmc IS DISTINCT FROM o.qlrmc OR n.qllx IS DISTINCT FROM o.qllx OR n.qsxz IS DISTINCT FROM o.qsxz` : 'OR false';
  const [row] = await exec(
    `WITH links AS (SELECT l.*, count(*) OVER (PARTITION BY l.successor) AS preds, count(*) OVER (PARTITION BY l.predecessor) AS succs
                      FROM chg_links l WHERE NOT l.retires),
          typed AS (
            SELECT l.successor, l.predecessor, l.d,
                   CASE WHEN l.succs > 1 AND l.preds = 1 THEN 'split'
                        WHEN l.preds > 1 AND NOT EXISTS (SELECT 1 FROM links m WHERE m.successor = l.successor AND m.succs > 1) THEN 'merge'
                        WHEN l.preds > 1 OR l.succs > 1 THEN 'boundary_change'
                        WHEN NOT (n.geom ~= o.geom AND ST_Equals(n.geom, o.geom)) THEN 'boundary_change'
                        WHEN n.${info.classColumn} IS DISTINCT FROM o.${info.classColumn} THEN 'reclassification'
                        WHEN false ${ownership} THEN 'ownership_change'
                        ELSE 'attribute_change' END AS kind
              FROM links l
              JOIN ${info.versions} n ON n.district_code = $1 AND n.version_id = l.successor
              JOIN ${info.versions} o ON o.district_code = $1 AND o.version_id = l.predecessor),
          written AS (
            INSERT INTO parcel_lineage (district_code, layer, predecessor_version_id, predecessor_district_code, successor_version_id, change_kind, change_date, submission_id)
            SELECT $1, $3::parcel_layer, predecessor, $1, successor, kind::change_kind, d, $2 FROM typed RETURNING 1)
     SELECT count(*)::int AS n, (SELECT count(*)::int FROM chg_links WHERE NOT retires) AS expected FROM written`,
    [submission.district_code, submission.id, info.layer],
  );
  return row;
}
