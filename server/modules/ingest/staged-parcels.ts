// The parcels of a submission as it was sent: its staging rows (migrations/0007), before and
// after it is applied. The city draws them over the current parcels to judge a package before
// it becomes versions. Row-level security on the staging tables decides whose rows come back (a
// district's roles see their own district's only), as for every other read.
import type { Queryable } from '../../db/context.ts';
import { rawQuery } from '../../db/context.ts';

export type StagedLayer = 'land_use' | 'basic_farmland';

/** Staging table and the attributes shown per layer (the table name is chosen here, never from a request). */
const STAGED: Record<StagedLayer, { table: string; columns: string[] }> = {
  land_use: { table: 'staged_land_use_parcels', columns: ['bsm', 'dlbm', 'dlmc', 'tbmj'] },
  basic_farmland: { table: 'staged_basic_farmland_parcels', columns: ['bsm', 'dlbm', 'dlmc', 'yjjbnttbmj'] },
};

export interface StagedParcelQuery {
  submissionId: string;
  layer: StagedLayer;
  bbox: [number, number, number, number] | null;
  limit: number;
  /** the last record number of the previous page */
  after: number;
}

export interface StagedParcelPage {
  type: 'FeatureCollection';
  layer: StagedLayer;
  numberReturned: number;
  /** the `after` of the next page; null on the last */
  nextAfter: number | null;
  /** the box of all the submission's parcels of the layer (first page only; null when none) */
  extent: [number, number, number, number] | null;
  features: { type: 'Feature'; id: number; geometry: unknown; properties: Record<string, unknown> }[];
}

export async function stagedParcels(db: Queryable, query: StagedParcelQuery): Promise<StagedParcelPage> {
  const staged = STAGED[query.layer];
  const params: unknown[] = [query.submissionId, query.after, query.limit + 1];
  let inBox = '';
  if (query.bbox) {
    params.push(...query.bbox);
    inBox = 'AND t.geom && ST_MakeEnvelope($4, $5, $6, $7, 4490)';
  }
  // One submission is one partition (LIST by submission_id): the scan stays within it.
  const rows = await rawQuery(
    db,
    `SELECT t.record_no, t.district_code, ${staged.columns.map((column) => `t.${column}`).join(', ')}, t.area_m2::text AS area_m2,
            ST_AsGeoJSON(t.geom, 7)::json AS geometry
       FROM ${staged.table} t
      WHERE t.submission_id = $1::uuid AND t.geom IS NOT NULL AND t.record_no > $2 ${inBox}
      ORDER BY t.record_no
      LIMIT $3`,
    params,
  );
  const page = rows.slice(0, query.limit);
  let extent: StagedParcelPage['extent'] = null;
  if (query.after === 0) {
    const [box] = await rawQuery(
      db,
      `SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1
         FROM (SELECT ST_Extent(t.geom)::geometry AS e FROM ${staged.table} t WHERE t.submission_id = $1::uuid) x WHERE e IS NOT NULL`,
      [query.submissionId],
    );
    if (box) extent = [Number(box.x0), Number(box.y0), Number(box.x1), Number(box.y1)];
  }
  return {
    type: 'FeatureCollection',
    layer: query.layer,
    numberReturned: page.length,
    nextAfter: rows.length > query.limit ? Number(page.at(-1)!.record_no) : null,
    extent,
    features: page.map(({ geometry, record_no, district_code, area_m2, ...attributes }) => ({
      type: 'Feature',
      id: Number(record_no),
      geometry: typeof geometry === 'string' ? JSON.parse(geometry) : geometry,
      properties: { ...attributes, recordNo: Number(record_no), districtCode: district_code, areaM2: area_m2 },
    })),
  };
}
