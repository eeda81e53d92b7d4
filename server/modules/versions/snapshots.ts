// Freezing a year: the state on Y-12-31 becomes snapshot Y, with a checksum over its content and
// its statistics stored. From then on the database refuses every version that would begin or end
// on or before that day (migrations/0009), so the checksum can be recomputed at any time and must
// come out the same.
import type { Database, ScriptExec } from '../../db/engine.ts';
import { versionErrors } from './errors.ts';
import { freezeBlockers, freezeRefusal, refusalFromDetail } from './freeze-guard.ts';
import { VERSIONED_LAYERS } from './layers.ts';

export interface SnapshotStatistics {
  /** exact m² (numeric text) and parcel count by district and 二级 class */
  landUse: { districtCode: string; dlbm: string; areaM2: string; parcels: number }[];
  /** permanent basic farmland by district */
  basicFarmland: { districtCode: string; areaM2: string; parcels: number }[];
}

export interface Snapshot {
  year: number;
  snapshotDate: string;
  frozenAt: string;
  frozenBy: string | null;
  checksum: string;
  parcelCounts: Record<string, number>;
  statistics: SnapshotStatistics;
}

/** SQL: the version aliased `alias` was valid on the date given by `day` (a parameter or column). */
export function validOn(alias: string, day: string): string {
  return `${alias}.valid_from <= ${day} AND (${alias}.valid_to IS NULL OR ${alias}.valid_to > ${day})`;
}

/**
 * SHA-256 over every version valid on `day`, layer by layer in (district, BSM) order: each
 * version's id, BSM, start, attributes and geometry (WKB). Its closing date is left out: closing
 * it later, after the day, does not change what it was that day.
 */
export async function contentChecksum(exec: ScriptExec, day: string): Promise<{ checksum: string; counts: Record<string, number> }> {
  const parts: string[] = [];
  const counts: Record<string, number> = {};
  for (const info of Object.values(VERSIONED_LAYERS)) {
    const [row] = await exec(
      `SELECT count(*)::int AS n,
              encode(sha256(convert_to(coalesce(string_agg(h, '' ORDER BY district_code, bsm, version_id), ''), 'UTF8')), 'hex') AS digest
         FROM (SELECT t.district_code, t.bsm, t.version_id,
                      md5((to_jsonb(t) - 'geom' - 'valid_to' - 'closed_by_submission_id' - 'created_at')::text || encode(ST_AsBinary(t.geom), 'hex')) AS h
                 FROM ${info.versions} t WHERE ${validOn('t', '$1::date')}) v`,
      [day],
    );
    counts[info.layer] = Number(row!.n);
    parts.push(`${info.layer}:${String(row!.n)}:${String(row!.digest)}`);
  }
  const [total] = await exec(`SELECT encode(sha256(convert_to($1::text, 'UTF8')), 'hex') AS checksum`, [parts.join('\n')]);
  return { checksum: String(total!.checksum), counts };
}

/** Exact statistics of the state on `day` (m² as numeric text: no rounding until a table is printed). */
export async function exactStatistics(exec: ScriptExec, day: string): Promise<SnapshotStatistics> {
  const landUse = await exec(
    `SELECT t.district_code, t.dlbm, sum(t.area_m2)::text AS area, count(*)::int AS n
       FROM land_use_parcels t WHERE ${validOn('t', '$1::date')} GROUP BY 1, 2 ORDER BY 1, 2`,
    [day],
  );
  const farmland = await exec(
    `SELECT t.district_code, sum(t.area_m2)::text AS area, count(*)::int AS n
       FROM basic_farmland_parcels t WHERE ${validOn('t', '$1::date')} GROUP BY 1 ORDER BY 1`,
    [day],
  );
  return {
    landUse: landUse.map((row) => ({ districtCode: String(row.district_code), dlbm: String(row.dlbm ?? ''), areaM2: String(row.area), parcels: Number(row.n) })),
    basicFarmland: farmland.map((row) => ({ districtCode: String(row.district_code), areaM2: String(row.area), parcels: Number(row.n) })),
  };
}

export async function freezeYear(db: Database, year: number, actor: { id: string; role: string } | null, today = new Date()): Promise<Snapshot> {
  try {
    return await freeze(db, year, actor, today);
  } catch (error) {
    // The snapshot trigger's refusal (another path, or a change between the check and the insert).
    const refusal = (error as { code?: string }).code === 'LS151' ? refusalFromDetail((error as { detail?: unknown }).detail) : null;
    throw refusal ?? error;
  }
}

async function freeze(db: Database, year: number, actor: { id: string; role: string } | null, today: Date): Promise<Snapshot> {
  const day = `${String(year).padStart(4, '0')}-12-31`;
  if (day >= today.toISOString().slice(0, 10)) {
    throw versionErrors.yearNotFreezable(year, `${day} 尚未过去`, `${day} has not passed yet`);
  }
  return db.scriptTransaction(async (exec) => {
    await exec(`SELECT set_config('jit', 'off', true)`);
    // No apply may run while the year freezes (applies take the same lock per district; this one
    // waits for them all by locking the snapshots table itself).
    await exec(`LOCK TABLE snapshots IN EXCLUSIVE MODE`);
    const [frozen] = await exec(`SELECT to_char(frozen_through(), 'YYYY-MM-DD') AS through`);
    if (frozen?.through && String(frozen.through) >= day) {
      throw versionErrors.yearNotFreezable(year, `已冻结至 ${String(frozen.through)}`, `already frozen through ${String(frozen.through)}`, { frozenThrough: frozen.through });
    }
    // Whatever is not settled yet would be shut out for good: an accepted package not applied, a
    // survey of the year still open, a district that has sent nothing (migrations/0015). The
    // snapshot trigger asks the same again; here the answer names what to do.
    const blockers = await freezeBlockers(exec, year);
    if (blockers.length) throw freezeRefusal(year, blockers);
    const { checksum, counts } = await contentChecksum(exec, day);
    const statistics = await exactStatistics(exec, day);
    const [row] = await exec(
      `INSERT INTO snapshots (year, snapshot_date, frozen_by, checksum, parcel_counts, statistics)
       VALUES ($1, $2::date, $3, $4, $5::jsonb, $6::jsonb)
       RETURNING year, to_char(snapshot_date, 'YYYY-MM-DD') AS snapshot_date, frozen_at, frozen_by, checksum, parcel_counts, statistics`,
      [year, day, actor?.id ?? null, checksum, JSON.stringify(counts), JSON.stringify(statistics)],
    );
    await exec(
      `INSERT INTO audit_log (actor_user_id, actor_role, action, object_type, object_id, detail) VALUES ($1, $2, 'snapshot.frozen', 'snapshot', $3, $4::jsonb)`,
      [actor?.id ?? null, actor?.role ?? 'system', String(year), JSON.stringify({ checksum, counts })],
    );
    return toSnapshot(row!);
  });
}

export function toSnapshot(row: Record<string, unknown>): Snapshot {
  return {
    year: Number(row.year),
    snapshotDate: String(row.snapshot_date),
    frozenAt: row.frozen_at instanceof Date ? row.frozen_at.toISOString() : new Date(String(row.frozen_at)).toISOString(),
    frozenBy: (row.frozen_by as string | null) ?? null,
    checksum: String(row.checksum).trim(),
    parcelCounts: row.parcel_counts as Record<string, number>,
    statistics: row.statistics as SnapshotStatistics,
  };
}

export const SNAPSHOT_COLUMNS = `year, to_char(snapshot_date, 'YYYY-MM-DD') AS snapshot_date, frozen_at, frozen_by, checksum, parcel_counts, statistics`;

export async function listSnapshots(db: Database): Promise<Snapshot[]> {
  const rows = await db.scriptTransaction((exec) => exec(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots ORDER BY year`));
  return rows.map(toSnapshot);
}

/** Recomputes a frozen year's checksum from the versions: it matches unless the data was tampered with outside the platform. */
export async function verifySnapshot(db: Database, year: number): Promise<{ year: number; checksum: string; recomputed: string; matches: boolean; parcelCounts: Record<string, number> }> {
  return db.scriptTransaction(async (exec) => {
    const [row] = await exec(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE year = $1`, [year]);
    if (!row) throw versionErrors.snapshotNotFound(year);
    const snapshot = toSnapshot(row);
    const { checksum, counts } = await contentChecksum(exec, snapshot.snapshotDate);
    return { year, checksum: snapshot.checksum, recomputed: checksum, matches: checksum === snapshot.checksum, parcelCounts: counts };
  });
}
