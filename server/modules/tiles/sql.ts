// The SQL of a tile, one statement per layer, in two forms: encoded by the database (ST_AsMVTGeom
// and ST_AsMVT) or as rows of tile-space GeoJSON for the JS encoder (mvt_prepare, migrations/0010,
// on the engine without protobuf-c). Both forms select the same features, in the same order, with
// the same properties. Table and layer names come from fixed sets; values are always parameters.
import { BUFFER, EXTENT, FULL_PROPERTIES_ZOOM, minimumArea, simplifyTolerance, type TileRequest } from './layers.ts';

export type TileForm = 'mvt' | 'rows';

export interface TileStatement {
  text: string;
  params: unknown[];
}

/** The tile box in EPSG:3857 and, with the buffer, in EPSG:4490 (the data's) for the index. */
const TILE = `tile AS (SELECT ST_TileEnvelope($1::int, $2::int, $3::int) AS box,
                     ST_Transform(ST_TileEnvelope($1::int, $2::int, $3::int, margin => $4::float8), 4490) AS bounds)`;

/**
 * A feature's geometry in the tile: in EPSG:3857, simplified under half a tile unit ($5) on both
 * engines alike, then ST_AsMVTGeom, or mvt_prepare and GeoJSON for the JS encoder.
 */
function geometry(form: TileForm, column: string): string {
  const projected = `ST_Simplify(ST_Transform(${column}, 3857), $5::float8)`;
  return form === 'mvt'
    ? `ST_AsMVTGeom(${projected}, tile.box, ${EXTENT}, ${BUFFER}, true)`
    : `ST_AsGeoJSON(mvt_prepare(${projected}, tile.box, ${EXTENT}, ${BUFFER}), 0)::json`;
}

/** Parcel layers: every property from FULL_PROPERTIES_ZOOM on, fewer below (see docs/tiles.md). */
function parcelProperties(request: TileRequest): string {
  const full = request.z >= FULL_PROPERTIES_ZOOM;
  if (request.layer === 'basic_farmland') return full ? 't.bsm, t.dlbm' : 't.dlbm';
  return full ? 't.bsm, t.dlbm, t.dlmc, t.district_code, t.area_m2::float8 AS area_m2' : 't.dlbm, t.dlmc, t.district_code';
}

function inner(request: TileRequest, form: TileForm, maxFeatures: number | null): TileStatement {
  const base = [request.z, request.x, request.y, BUFFER / EXTENT, simplifyTolerance(request.z)];
  const minArea = minimumArea(request.z, request.y);
  switch (request.layer) {
    case 'land_use':
    case 'basic_farmland': {
      const table = request.layer === 'land_use' ? 'land_use_parcels' : 'basic_farmland_parcels';
      return {
        text: `WITH ${TILE}
          SELECT t.version_id AS fid, t.version_id AS id, ${parcelProperties(request)}, ${geometry(form, 't.geom')} AS geom
            FROM tile CROSS JOIN LATERAL tile_parcel_keys($6::text, tile.bounds, $7::date, $8::varchar, $9::numeric, $10::int) k
            JOIN ${table} t ON t.district_code = k.district_code AND t.version_id = k.version_id
           ORDER BY t.area_m2 DESC, t.version_id`,
        params: [...base, request.layer, request.asOf, request.districtCode, minArea, maxFeatures],
      };
    }
    case 'changes':
      // added: the BSM was not there on `from`; changed: it was (from_dlbm is what it was then);
      // retired: a version valid on `from` whose BSM is gone by `to`. Classified as the actor
      // sees the versions (row-level security), like /api/changes.
      return {
        text: `WITH ${TILE}
          SELECT t.version_id AS fid, t.version_id AS id, t.bsm, t.district_code,
                 CASE WHEN NOT k.began THEN 'retired' WHEN p.version_id IS NULL THEN 'added' ELSE 'changed' END AS change,
                 CASE WHEN k.began THEN p.dlbm ELSE t.dlbm END AS from_dlbm,
                 CASE WHEN k.began THEN t.dlbm END AS to_dlbm,
                 ${geometry(form, 't.geom')} AS geom
            FROM tile CROSS JOIN LATERAL tile_change_keys(tile.bounds, $6::date, $7::date, $8::varchar, $9::numeric, $10::int) k
            JOIN land_use_parcels t ON t.district_code = k.district_code AND t.version_id = k.version_id
            LEFT JOIN LATERAL (SELECT p.version_id, p.dlbm FROM land_use_parcels p
                                WHERE k.began AND p.district_code = t.district_code AND p.bsm = t.bsm
                                  AND p.valid_from <= $6::date AND (p.valid_to IS NULL OR p.valid_to > $6::date) LIMIT 1) p ON true
           WHERE k.began OR NOT EXISTS (SELECT 1 FROM land_use_parcels n WHERE n.district_code = t.district_code AND n.bsm = t.bsm
                                          AND n.valid_from <= $7::date AND (n.valid_to IS NULL OR n.valid_to > $7::date))
           ORDER BY t.area_m2 DESC, t.version_id`,
        params: [...base, request.from, request.to, request.districtCode, minArea, maxFeatures],
      };
    case 'findings':
      // Points or areas; a collection keeps its parts of the highest dimension.
      return {
        text: `WITH ${TILE}
          SELECT f.finding_no AS fid, f.finding_no, f.rule_id, f.severity::text AS severity, f.message_zh AS message, f.bsm,
                 ${geometry(form, 'ST_CollectionExtract(f.geom)')} AS geom
            FROM tile CROSS JOIN qc_findings f
           WHERE f.run_id = $6::uuid AND f.geom && tile.bounds
           ORDER BY f.severity, f.finding_no LIMIT $7::int`,
        params: [...base, request.runId, maxFeatures],
      };
    case 'districts':
      return {
        text: `WITH ${TILE}
          SELECT a.code::bigint AS fid, a.code, a.name, ${geometry(form, 'a.boundary')} AS geom
            FROM tile CROSS JOIN admin_units a
           WHERE a.level = 'district' AND a.boundary && tile.bounds
             AND a.valid_from <= $6::date AND (a.valid_to IS NULL OR a.valid_to > $6::date)
           ORDER BY a.code LIMIT $7::int`,
        params: [...base, request.asOf, maxFeatures],
      };
  }
}

/**
 * The statement of one tile: with form 'mvt' one row (tile bytea, features count); with 'rows'
 * one row per feature (fid, properties…, geom as tile-space GeoJSON or null when nothing is left).
 */
export function tileStatement(request: TileRequest, form: TileForm, maxFeatures: number | null): TileStatement {
  const statement = inner(request, form, maxFeatures);
  if (form === 'rows') return statement;
  return {
    text: `SELECT ST_AsMVT(f, '${request.layer}', ${EXTENT}, 'geom', 'fid') AS tile, count(f.geom)::int AS features FROM (${statement.text}) f`,
    params: statement.params,
  };
}
