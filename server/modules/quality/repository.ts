// Reading runs and findings (as the requesting actor, through row-level security).
import { sql } from 'kysely';
import type { Queryable } from '../../db/context.ts';
import type { RunSummaryEntry } from './engine.ts';
import type { Severity } from './rule.ts';

const RUN_COLUMNS = ['id', 'district_code', 'submission_id', 'state', 'started_at', 'finished_at', 'started_by', 'summary', 'findings', 'blocking', 'error'] as const;

export interface RunRow {
  id: string;
  districtCode: string;
  submissionId: string;
  state: string;
  startedAt: string;
  finishedAt: string | null;
  startedBy: string | null;
  findings: number | null;
  blocking: number | null;
  summary: RunSummaryEntry[] | null;
  /** findings by severity (from the summary); zeros while running */
  bySeverity: Record<Severity, number>;
  error: unknown;
}

function toRun(row: Record<(typeof RUN_COLUMNS)[number], unknown>): RunRow {
  return {
    id: String(row.id),
    districtCode: String(row.district_code),
    submissionId: String(row.submission_id),
    state: String(row.state),
    startedAt: (row.started_at as Date).toISOString(),
    finishedAt: row.finished_at ? (row.finished_at as Date).toISOString() : null,
    startedBy: (row.started_by as string | null) ?? null,
    findings: (row.findings as number | null) ?? null,
    blocking: (row.blocking as number | null) ?? null,
    summary: (row.summary as RunSummaryEntry[] | null) ?? null,
    bySeverity: bySeverity((row.summary as RunSummaryEntry[] | null) ?? []),
    error: row.error ?? null,
  };
}

function bySeverity(summary: readonly RunSummaryEntry[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const entry of summary) counts[entry.severity] += entry.findings;
  return counts;
}

export async function listRuns(db: Queryable, submissionId: string): Promise<RunRow[]> {
  const rows = await db.selectFrom('qc_runs').select([...RUN_COLUMNS]).where('submission_id', '=', submissionId).orderBy('started_at', 'desc').execute();
  return rows.map((row) => toRun(row as never));
}

export async function findRun(db: Queryable, runId: string): Promise<RunRow | null> {
  const row = await db.selectFrom('qc_runs').select([...RUN_COLUMNS]).where('id', '=', runId).executeTakeFirst();
  return row ? toRun(row as never) : null;
}

export async function latestRun(db: Queryable, submissionId: string): Promise<RunRow | null> {
  const row = await db.selectFrom('qc_runs').select([...RUN_COLUMNS]).where('submission_id', '=', submissionId).orderBy('started_at', 'desc').limit(1).executeTakeFirst();
  return row ? toRun(row as never) : null;
}

export interface FindingFilter {
  ruleId?: string;
  severity?: Severity;
  layer?: string;
  bsm?: string;
}

export interface FindingRow {
  findingNo: number;
  ruleId: string;
  severity: Severity;
  layer: string;
  recordNo: number | null;
  bsm: string | null;
  otherBsm: string | null;
  message: { zh: string; en: string };
  details: Record<string, unknown> | null;
  /** GeoJSON geometry in EPSG:4490 (longitude, latitude) */
  geometry: unknown;
  /** [minLon, minLat, maxLon, maxLat] to zoom a map to */
  bbox: [number, number, number, number] | null;
}

function findingsQuery(db: Queryable, runId: string, filter: FindingFilter) {
  let query = db.selectFrom('qc_findings').where('run_id', '=', runId);
  if (filter.ruleId) query = query.where('rule_id', '=', filter.ruleId);
  if (filter.severity) query = query.where('severity', '=', filter.severity);
  if (filter.layer) query = query.where('layer', '=', filter.layer);
  if (filter.bsm) query = query.where((eb) => eb.or([eb('bsm', '=', filter.bsm!), eb('other_bsm', '=', filter.bsm!)]));
  return query;
}

export async function countFindings(db: Queryable, runId: string, filter: FindingFilter): Promise<number> {
  const row = await findingsQuery(db, runId, filter).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Findings in report order (severity, rule, layer, record), a page at a time. */
export async function listFindings(db: Queryable, runId: string, filter: FindingFilter, page: { limit: number; offset: number }): Promise<FindingRow[]> {
  const rows = await findingsQuery(db, runId, filter)
    .select([
      'finding_no', 'rule_id', 'severity', 'layer', 'record_no', 'bsm', 'other_bsm', 'message_zh', 'message_en', 'details',
      sql<string | null>`ST_AsGeoJSON(geom, 7)`.as('geometry'),
      sql<string | null>`CASE WHEN geom IS NULL THEN NULL ELSE json_build_array(ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom))::text END`.as('bbox'),
    ])
    .orderBy(sql`severity`)
    .orderBy('rule_id')
    .orderBy('layer')
    .orderBy(sql`record_no NULLS FIRST`)
    .orderBy('finding_no')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return rows.map((row) => ({
    findingNo: row.finding_no,
    ruleId: row.rule_id,
    severity: row.severity,
    layer: row.layer,
    recordNo: row.record_no,
    bsm: row.bsm,
    otherBsm: row.other_bsm,
    message: { zh: row.message_zh, en: row.message_en },
    details: (row.details as Record<string, unknown> | null) ?? null,
    geometry: row.geometry ? JSON.parse(row.geometry) : null,
    bbox: row.bbox ? (JSON.parse(row.bbox) as [number, number, number, number]) : null,
  }));
}
