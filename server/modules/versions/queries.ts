// Reading the versions as of a day: a parcel's history and lineage, the features in a box, and
// what changed between two days. All of it runs in the caller's transaction, so row-level
// security scopes a district operator to its district.
import { rawQuery, type Queryable } from '../../db/context.ts';
import { versionErrors } from './errors.ts';
import { VERSIONED_LAYERS, type VersionedLayer, type VersionedLayerInfo } from './layers.ts';

/** A day from `YYYY-MM-DD`, or a year's snapshot day from `YYYY` (12月31日). */
export function parseDay(value: string): string {
  const year = /^(\d{4})$/.exec(value);
  if (year) return `${year[1]}-12-31`;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) throw versionErrors.badDate(value);
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (date.toISOString().slice(0, 10) !== value) throw versionErrors.badDate(value);
  return value;
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** A version's attributes as the API shows them: the layer's schema fields plus identity and period. */
function versionColumns(info: VersionedLayerInfo, alias = 't'): string {
  const attributes = info.attributes.map((column) => `'${column}', ${alias}.${column}`).join(', ');
  return `${alias}.version_id, ${alias}.district_code, ${alias}.bsm, to_char(${alias}.valid_from, 'YYYY-MM-DD') AS valid_from,
          to_char(${alias}.valid_to, 'YYYY-MM-DD') AS valid_to, ${alias}.submission_id, ${alias}.area_m2::text AS area_m2,
          jsonb_build_object(${attributes}) AS attributes,
          ARRAY[ST_XMin(${alias}.geom), ST_YMin(${alias}.geom), ST_XMax(${alias}.geom), ST_YMax(${alias}.geom)] AS bbox`;
}

export interface VersionView {
  versionId: number;
  districtCode: string;
  bsm: string;
  validFrom: string;
  validTo: string | null;
  submissionId: string;
  areaM2: string;
  attributes: Record<string, unknown>;
  /** [minLon, minLat, maxLon, maxLat] of the version's geometry (EPSG:4490) */
  bbox: [number, number, number, number];
}

function toVersion(row: Record<string, unknown>): VersionView {
  return {
    versionId: Number(row.version_id),
    districtCode: String(row.district_code),
    bsm: String(row.bsm),
    validFrom: String(row.valid_from),
    validTo: (row.valid_to as string | null) ?? null,
    submissionId: String(row.submission_id),
    areaM2: String(row.area_m2),
    attributes: row.attributes as Record<string, unknown>,
    bbox: (row.bbox as number[]).map(Number) as [number, number, number, number],
  };
}

export interface LineageEdge {
  predecessorVersionId: number;
  successorVersionId: number;
  kind: string;
  changeDate: string;
  submissionId: string;
}

export interface ParcelHistory {
  layer: VersionedLayer;
  bsm: string;
  /** the parcel's own versions, oldest first */
  versions: VersionView[];
  /** every version the lineage reaches from them, back to the baseline and forward to today */
  graph: { nodes: VersionView[]; edges: LineageEdge[] };
}

/** Lineage is followed this many steps each way at most (a parcel changes a few times a decade). */
const LINEAGE_DEPTH = 60;

export async function parcelHistory(db: Queryable, layer: VersionedLayer, bsm: string): Promise<ParcelHistory> {
  const info = VERSIONED_LAYERS[layer];
  const own = await rawQuery(db, `SELECT ${versionColumns(info)} FROM ${info.versions} t WHERE t.bsm = $1 ORDER BY t.valid_from, t.district_code`, [bsm]);
  if (own.length === 0) throw versionErrors.parcelNotFound(bsm);
  const nodes = await rawQuery(
    db,
    `WITH RECURSIVE start AS (SELECT version_id FROM ${info.versions} WHERE bsm = $1),
          up(version_id, depth) AS (
            SELECT version_id, 0 FROM start
            UNION SELECT l.predecessor_version_id, up.depth + 1 FROM parcel_lineage l JOIN up ON l.successor_version_id = up.version_id
             WHERE l.layer = $2::parcel_layer AND up.depth < ${LINEAGE_DEPTH}),
          down(version_id, depth) AS (
            SELECT version_id, 0 FROM start
            UNION SELECT l.successor_version_id, down.depth + 1 FROM parcel_lineage l JOIN down ON l.predecessor_version_id = down.version_id
             WHERE l.layer = $2::parcel_layer AND down.depth < ${LINEAGE_DEPTH}),
          reached AS (SELECT version_id FROM up UNION SELECT version_id FROM down)
     SELECT ${versionColumns(info)} FROM ${info.versions} t WHERE t.version_id IN (SELECT version_id FROM reached)
      ORDER BY t.valid_from, t.bsm`,
    [bsm, layer],
  );
  const ids = nodes.map((row) => Number(row.version_id));
  const edges = await rawQuery(
    db,
    `SELECT predecessor_version_id, successor_version_id, change_kind::text AS kind, to_char(change_date, 'YYYY-MM-DD') AS change_date, submission_id
       FROM parcel_lineage WHERE layer = $1::parcel_layer AND successor_version_id = ANY($2::bigint[]) AND predecessor_version_id = ANY($2::bigint[])
      ORDER BY change_date, successor_version_id, predecessor_version_id`,
    [layer, ids],
  );
  return {
    layer,
    bsm,
    versions: own.map(toVersion),
    graph: {
      nodes: nodes.map(toVersion),
      edges: edges.map((row) => ({
        predecessorVersionId: Number(row.predecessor_version_id),
        successorVersionId: Number(row.successor_version_id),
        kind: String(row.kind),
        changeDate: String(row.change_date),
        submissionId: String(row.submission_id),
      })),
    },
  };
}

export interface FeaturePage {
  type: 'FeatureCollection';
  asOf: string;
  layer: VersionedLayer;
  numberReturned: number;
  /** pass as `after` for the next page; null on the last page */
  nextAfter: number | null;
  features: { type: 'Feature'; id: number; geometry: unknown; properties: Record<string, unknown> }[];
}

export interface FeatureQuery {
  layer: VersionedLayer;
  bbox: [number, number, number, number];
  asOf: string;
  limit: number;
  after: number | null;
  districtCode: string | null;
}

/** The versions valid on `asOf` whose geometry meets the box, in version order, one page at a time. */
export async function featuresInBox(db: Queryable, query: FeatureQuery): Promise<FeaturePage> {
  const info = VERSIONED_LAYERS[query.layer];
  const rows = await rawQuery(
    db,
    // The keys through the spatial index (feature_keys, migrations/0012: under row-level security
    // the index cannot be used directly), then the rows by primary key, row-level security again.
    `SELECT ${versionColumns(info)}, ST_AsGeoJSON(t.geom, 9)::json AS geometry
       FROM feature_keys($1::text, ST_MakeEnvelope($2, $3, $4, $5, 4490), $6::date, $7::varchar, $8::bigint, $9::int) k
       JOIN ${info.versions} t ON t.district_code = k.district_code AND t.version_id = k.version_id
      ORDER BY t.version_id`,
    [query.layer, ...query.bbox, query.asOf, query.districtCode, query.after ?? 0, query.limit + 1],
  );
  const page = rows.slice(0, query.limit);
  return {
    type: 'FeatureCollection',
    asOf: query.asOf,
    layer: query.layer,
    numberReturned: page.length,
    nextAfter: rows.length > query.limit ? Number(page.at(-1)!.version_id) : null,
    features: page.map((row) => {
      const version = toVersion(row);
      return {
        type: 'Feature',
        id: version.versionId,
        geometry: row.geometry,
        properties: { ...version.attributes, bsm: version.bsm, districtCode: version.districtCode, validFrom: version.validFrom, validTo: version.validTo, areaM2: version.areaM2, versionId: version.versionId },
      };
    }),
  };
}

export interface DiffEntry {
  bsm: string;
  districtCode: string;
  from: { versionId: number; class: string | null; areaM2: string } | null;
  to: { versionId: number; class: string | null; areaM2: string } | null;
  /** attributes whose value differs, with both values; `geometry` when the shape changed */
  changes: Record<string, { from: unknown; to: unknown }>;
}

export interface Diff {
  layer: VersionedLayer;
  from: string;
  to: string;
  counts: { added: number; retired: number; changed: number };
  added: DiffEntry[];
  retired: DiffEntry[];
  changed: DiffEntry[];
  /** true when a list was cut at the limit (the counts are always complete) */
  truncated: boolean;
}

/**
 * What differs between the states on two days. Only versions that ended or began in between can
 * differ, and the indexes on valid_to and valid_from find exactly those: a BSM whose version
 * ended and which has a new one is changed; one that only ended is retired; one that only began
 * is added.
 */
export async function diffStates(db: Queryable, layer: VersionedLayer, from: string, to: string, districtCode: string | null, limit: number): Promise<Diff> {
  const info = VERSIONED_LAYERS[layer];
  const [earlier, later] = from <= to ? [from, to] : [to, from];
  const attributes = info.attributes.map((column) => `'${column}', t.${column}`).join(', ');
  const side = (condition: string) => `(SELECT t.version_id, t.district_code, t.bsm, t.${info.classColumn} AS class, t.area_m2, t.geom, jsonb_build_object(${attributes}) AS attributes
        FROM ${info.versions} t WHERE ${condition} AND ($3::text IS NULL OR t.district_code = $3))`;
  // From the earlier day's point of view; swapped back below when `from` is the later day.
  const ended = side(`t.valid_to IS NOT NULL AND t.valid_to > $1::date AND t.valid_to <= $2::date AND t.valid_from <= $1::date`);
  const began = side(`t.valid_from > $1::date AND t.valid_from <= $2::date AND (t.valid_to IS NULL OR t.valid_to > $2::date)`);
  const rows = await rawQuery(
    db,
    `WITH a AS MATERIALIZED ${ended}, b AS MATERIALIZED ${began},
          paired AS (SELECT coalesce(a.bsm, b.bsm) AS bsm, coalesce(a.district_code, b.district_code) AS district_code,
                            a.version_id AS a_id, a.class AS a_class, a.area_m2::text AS a_area, b.version_id AS b_id, b.class AS b_class, b.area_m2::text AS b_area,
                            CASE WHEN a.bsm IS NOT NULL AND b.bsm IS NOT NULL THEN
                              (SELECT coalesce(jsonb_object_agg(e.key, jsonb_build_object('from', e.value, 'to', b.attributes -> e.key)), '{}'::jsonb)
                                 FROM jsonb_each(a.attributes) e WHERE e.value IS DISTINCT FROM b.attributes -> e.key)
                              || CASE WHEN a.geom ~= b.geom AND ST_Equals(a.geom, b.geom) THEN '{}'::jsonb
                                      ELSE jsonb_build_object('geometry', jsonb_build_object('from', a.area_m2, 'to', b.area_m2)) END
                            END AS changes
                       FROM a FULL JOIN b ON a.bsm = b.bsm AND a.district_code = b.district_code),
          ranked AS (SELECT p.*, CASE WHEN a_id IS NULL THEN 'began' WHEN b_id IS NULL THEN 'ended' ELSE 'changed' END AS what,
                            row_number() OVER (PARTITION BY (a_id IS NULL), (b_id IS NULL) ORDER BY district_code, bsm) AS k,
                            count(*) OVER (PARTITION BY (a_id IS NULL), (b_id IS NULL)) AS total
                       FROM paired p)
     SELECT * FROM ranked WHERE k <= $4 ORDER BY what, k`,
    [earlier, later, districtCode, limit],
  );
  const swap = from > to;
  const lists: Record<'added' | 'retired' | 'changed', DiffEntry[]> = { added: [], retired: [], changed: [] };
  const counts = { added: 0, retired: 0, changed: 0 };
  for (const row of rows) {
    const a = row.a_id === null ? null : { versionId: Number(row.a_id), class: (row.a_class as string | null) ?? null, areaM2: String(row.a_area) };
    const b = row.b_id === null ? null : { versionId: Number(row.b_id), class: (row.b_class as string | null) ?? null, areaM2: String(row.b_area) };
    let what = row.what === 'began' ? 'added' : row.what === 'ended' ? 'retired' : 'changed';
    if (swap && what !== 'changed') what = what === 'added' ? 'retired' : 'added';
    const changes = (row.changes ?? {}) as Record<string, { from: unknown; to: unknown }>;
    const entry: DiffEntry = {
      bsm: String(row.bsm),
      districtCode: String(row.district_code),
      from: swap ? b : a,
      to: swap ? a : b,
      changes: swap ? Object.fromEntries(Object.entries(changes).map(([key, value]) => [key, { from: value.to, to: value.from }])) : changes,
    };
    const key = what as keyof typeof lists;
    lists[key].push(entry);
    counts[key] = Number(row.total);
  }
  return { layer, from, to, counts, ...lists, truncated: counts.added > lists.added.length || counts.retired > lists.retired.length || counts.changed > lists.changed.length };
}
