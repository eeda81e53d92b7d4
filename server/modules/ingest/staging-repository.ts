// SQL of the import: scratch tables in import_work, batches loaded with COPY, judged valid or not
// as delivered and transformed to EPSG:4490 with their ellipsoidal area computed by PostGIS, and
// the final attach that makes a submission's layers visible in one transaction.
import { sql } from 'kysely';
import type { CopyIn, Database, ScriptExec } from '../../db/engine.ts';
import { moveSubmission } from '../submissions/lifecycle.ts';
import { STORAGE_SRID } from './crs.ts';
import type { FieldSpec, LayerSpec } from './layer-specs.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function checkedUuid(id: string): string {
  if (!UUID.test(id)) throw new Error(`not a uuid: ${id}`);
  return id;
}

/** Partition of a submission's layer: import_work.<staged table>_<uuid without dashes>. */
export function workTable(spec: LayerSpec, submissionId: string): string {
  return `import_work.${spec.stagedTable}_${checkedUuid(submissionId).replace(/-/g, '')}`;
}

function batchColumnType(field: FieldSpec): string {
  return field.type === 'text' ? 'text' : field.type === 'integer' ? 'integer' : 'numeric';
}

export async function createWorkTable(db: Database, spec: LayerSpec, submissionId: string): Promise<void> {
  const table = workTable(spec, submissionId);
  await db.scriptTransaction(async (exec) => {
    await exec(`DROP TABLE IF EXISTS ${table}`);
    await exec(`CREATE TABLE ${table} (LIKE public.${spec.stagedTable} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    // The partition bound as a constraint lets ATTACH PARTITION skip its validating scan.
    await exec(`ALTER TABLE ${table} ADD CONSTRAINT ${spec.stagedTable}_submission CHECK (submission_id = '${checkedUuid(submissionId)}'::uuid)`);
  });
}

export interface BatchTarget {
  spec: LayerSpec;
  submissionId: string;
  districtCode: string;
  sourceSrid: number;
}

/** The columns a COPY batch carries, in order. */
export function batchColumns(spec: LayerSpec): string[] {
  return ['record_no', ...spec.fields.map((field) => field.column), 'extra_attributes', 'geom', 'geometry_issues'];
}

/**
 * Loads one batch (COPY text rows in batchColumns order, geometry as hex WKB in the source CRS)
 * in its own transaction: a batch either lands whole in the scratch table or not at all.
 *
 * Validity is judged here, on the geometry as delivered (the quality checks' GEOM_INVALID): the
 * transform to EPSG:4490 moves a vertex lying on or a hair from another edge to one side of it,
 * so validity after the transform is not what the surveyor drew. The delivered geometry is kept
 * (delivered_geom, with its SRID) only where it is invalid, a few parcels in a thousand.
 */
export async function loadBatch(db: Database, target: BatchTarget, copyText: Buffer): Promise<void> {
  const { spec } = target;
  const table = workTable(spec, target.submissionId);
  const fieldColumns = spec.fields.map((field) => field.column);
  const delivered = `ST_Multi(ST_SetSRID(geom, ${Number(target.sourceSrid)}))`;
  const stored = target.sourceSrid === STORAGE_SRID ? 'd' : `ST_Transform(d, ${STORAGE_SRID})`;
  await db.scriptTransaction(async (exec: ScriptExec, copyIn: CopyIn) => {
    await exec(
      `CREATE TEMP TABLE import_batch (record_no integer, ${spec.fields.map((field) => `${field.column} ${batchColumnType(field)}`).join(', ')},
        extra_attributes jsonb, geom geometry, geometry_issues jsonb) ON COMMIT DROP`,
    );
    await copyIn(`COPY import_batch (${batchColumns(spec).join(', ')}) FROM STDIN`, copyText);
    // The embedded engine ends a statement whose GEOS call (ST_IsValid) failed without raising:
    // the count of rows stored against the batch's tells a batch cut short from a whole one.
    // OFFSET 0 keeps the planner from flattening the subqueries, which would repeat d and g in
    // every expression that uses them (EXPLAIN VERBOSE: ST_Transform twice per row).
    const [counted] = await exec(
      `WITH stored AS (
         INSERT INTO ${table} (submission_id, district_code, record_no, ${fieldColumns.join(', ')}, extra_attributes, geom, area_m2, geometry_issues, delivered_geom)
         SELECT $1::uuid, $2, record_no, ${fieldColumns.join(', ')}, extra_attributes, g,
                round(ST_Area(g::geography, true)::numeric, 2), geometry_issues,
                CASE WHEN d IS NOT NULL AND NOT ST_IsValid(d) THEN d END
           FROM (SELECT b.*, ${stored} AS g FROM (SELECT b.*, ${delivered} AS d FROM import_batch b OFFSET 0) b OFFSET 0) transformed
         RETURNING 1)
       SELECT (SELECT count(*) FROM stored)::int AS stored, (SELECT count(*) FROM import_batch)::int AS copied`,
      [target.submissionId, target.districtCode],
    );
    if (!counted || Number(counted.stored) !== Number(counted.copied)) {
      throw new Error(`a batch of ${spec.code} ended early (${String(counted?.stored ?? 0)} of ${String(counted?.copied ?? '?')} records stored): a geometry operation failed`);
    }
  });
}

/**
 * Indexes a loaded scratch table in bulk (far cheaper than row by row) and gathers its
 * statistics. It runs outside the final transaction, while the next layer is read: the table is
 * still invisible, and a crash before the attach leaves it to the start-up sweep.
 */
export async function indexWorkTable(db: Database, spec: LayerSpec, submissionId: string): Promise<void> {
  const table = workTable(spec, submissionId);
  const suffix = submissionId.replace(/-/g, '').slice(0, 12);
  await db.scriptTransaction(async (exec) => {
    await exec(`CREATE INDEX ${spec.stagedTable.replace('staged_', 's_')}_${suffix}_geom ON ${table} USING gist (geom)`);
    await exec(`ANALYZE ${table}`);
  });
}

/** Makes a scratch table its submission's partition: no scan, thanks to its CHECK constraint. */
export async function attachWorkTable(exec: ScriptExec, spec: LayerSpec, submissionId: string): Promise<void> {
  await exec(`ALTER TABLE public.${spec.stagedTable} ATTACH PARTITION ${workTable(spec, submissionId)} FOR VALUES IN ('${checkedUuid(submissionId)}')`);
}

export async function dropWorkTables(db: Database, specs: readonly LayerSpec[], submissionId: string): Promise<void> {
  await db.scriptTransaction(async (exec) => {
    for (const spec of specs) await exec(`DROP TABLE IF EXISTS ${workTable(spec, submissionId)}`);
  });
}

/**
 * At start no import is running: scratch tables that were never attached belong to imports a
 * crash or kill interrupted. They are dropped, and their submissions marked failed.
 */
export async function sweepInterruptedImports(db: Database): Promise<number> {
  return db.systemTransaction(async (tx) => {
    const orphans = await tx.exec(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'import_work' AND c.relkind = 'r' AND NOT c.relispartition`,
    );
    for (const orphan of orphans) await tx.exec(`DROP TABLE import_work.${String(orphan.relname)}`);
    const interrupted = await tx.selectFrom('submissions').select('id').where('state', 'in', ['received', 'importing']).execute();
    const report = {
      error: {
        code: 'IMPORT_INTERRUPTED',
        message: { zh: '导入被中断（服务停止），未写入任何数据，请重新上传', en: 'The import was interrupted (the service stopped); nothing was stored. Upload again.' },
      },
    };
    for (const { id } of interrupted) {
      await moveSubmission(tx, id, 'import_fail', 'platform', {}, {
        import_finished_at: sql`now()`,
        report: sql`coalesce(report, '{}'::jsonb) || ${JSON.stringify(report)}::jsonb`,
      });
    }
    return interrupted.length;
  });
}
