import { sql } from 'kysely';
import type { Queryable } from '../../db/context.ts';
import type { AdminLevel } from '../../db/schema.ts';

export interface AdminUnitSummary {
  code: string;
  name: string;
  level: AdminLevel;
  parentCode: string | null;
  controlAreaM2: number | null;
}

const SUMMARY_COLUMNS = [
  'code',
  'name',
  'level',
  'parent_code as parentCode',
  sql<number | null>`control_area_m2::float8`.as('controlAreaM2'),
] as const;

export function listAdminUnits(db: Queryable, level?: AdminLevel): Promise<AdminUnitSummary[]> {
  let query = db
    .selectFrom('admin_units')
    .select(SUMMARY_COLUMNS)
    .where('valid_to', 'is', null)
    .orderBy('code');
  if (level) query = query.where('level', '=', level);
  return query.execute();
}

export interface AdminUnitFeature {
  type: 'Feature';
  id: string;
  properties: AdminUnitSummary;
  geometry: unknown;
}

export async function getAdminUnitFeature(db: Queryable, code: string): Promise<AdminUnitFeature | undefined> {
  const row = await db
    .selectFrom('admin_units')
    .select([...SUMMARY_COLUMNS, sql<string | null>`ST_AsGeoJSON(boundary, 7)`.as('geometry')])
    .where('code', '=', code)
    .executeTakeFirst();
  if (!row) return undefined;
  const { geometry, ...properties } = row;
  return { type: 'Feature', id: row.code, properties, geometry: geometry ? JSON.parse(geometry) : null };
}
