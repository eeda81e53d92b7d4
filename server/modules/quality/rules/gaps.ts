// Gaps (缝隙) inside the district boundary: land no parcel covers.
//
// Unioning a million parcels to find holes would dominate the whole check. Instead the district
// is screened on a grid of tiles: a tile's area inside the boundary, less the area of the parcels
// clipped to it, is the area nobody covers there (plus what overlaps or parts outside the district
// add back, and those tiles are looked at regardless). Tiles whose deficit could hide a gap are
// split in four and screened again, down to ~250 m; only those leaf tiles are unioned exactly, and
// a gap that reaches a leaf's edge pulls in the neighbouring leaf, so a gap is never cut short.
// An invalid parcel counts as covering its convex hull: the hole its fault leaves is
// GEOM_INVALID's finding, not a gap (a bow-tie's repair keeps two small lobes of a whole parcel).
// A package whose parcels add up to less than minShare of the area to cover is not a whole
// district with gaps but a part of one: one finding says how much it covers, and the gaps (all of
// the district but the package) are not searched.
import type { SetRule, SetRuleContext } from '../rule.ts';
import { CHECKED_LAYERS, literal, numberParam } from '../rule.ts';
import { usableSources } from './parcels.ts';
import { GRID } from './sql.ts';

/** Edge of the coarsest tiles (degrees, about 2 km) and the number of halvings down to the leaves. */
const ROOT_TILE_DEG = 0.02;
const LEVELS = 3;

interface Tile {
  level: number;
  i: number;
  j: number;
}

const key = (tile: Tile) => `${tile.level}/${tile.i}/${tile.j}`;

export const gaps: SetRule = {
  kind: 'set',
  id: 'TOPO_GAP',
  // a change package holds only what changed: the whole district is checked after applying it
  packages: ['baseline'],
  category: 'topology',
  severity: 'error',
  title: { zh: '图斑间缝隙', en: 'Gap between parcels' },
  description: {
    zh: '区界线内（或成果包行政区范围内）的土地应全部被地类图斑覆盖；报告每处缝隙的面积、形状与相邻图斑。',
    en: 'All land inside the district boundary must be covered by land-use parcels; each gap is reported with its area, shape and neighbouring parcels.',
  },
  params: { minAreaM2: 0.1, minWidthM: 0.01, extent: 'district', minShare: 0.5 },
  paramSpecs: {
    minShare: {
      type: 'number',
      minimum: 0,
      description: {
        zh: '图斑面积之和不足须覆盖范围的这一比例时，只报告一条“成果包未覆盖全区”，不逐处检查缝隙',
        en: 'below this share of the area to cover, the parcels are reported once as not covering it, instead of searching gaps',
      },
    },
    extent: {
      type: 'string',
      values: ['district', 'xzq'],
      description: { zh: '须覆盖的范围：district 全区；xzq 成果包自带的行政区范围（局部成果）', en: "area to be covered: district, or xzq, the package's own 行政区 polygon (partial packages)" },
    },
    minAreaM2: { type: 'number', minimum: 0, description: { zh: '报告的最小缝隙面积（平方米）', en: 'smallest gap reported (m²)' } },
    minWidthM: { type: 'number', minimum: 0, description: { zh: '报告的最小缝隙平均宽度（米）', en: 'smallest mean width of a gap reported (m)' } },
  },
  layers: ['DLTB'],
  async run(context) {
    if (!context.layers.some((layer) => layer.code === 'DLTB')) return;
    const grid = await coverageExtent(context);
    if (!grid) return;
    if (await partialPackage(context)) return;
    const minArea = numberParam(context.params, 'minAreaM2');
    let tiles = await rootTiles(context, grid);
    const suspect = await suspectTiles(context, grid);
    const leaves: Tile[] = [];
    for (let level = 0; level <= LEVELS && tiles.length > 0; level++) {
      const deficits = await tileDeficits(context, grid, tiles);
      const flagged = tiles.filter((tile, k) => deficits[k]! > minArea / 2 || suspect(tile));
      if (level === LEVELS) leaves.push(...flagged);
      else tiles = flagged.flatMap((tile) => children(tile));
    }
    if (leaves.length === 0) return;
    const pieces = await exactGaps(context, grid, leaves);
    await context.insertFindings(
      `WITH merged AS (SELECT (ST_Dump(ST_Union(p.g, ${GRID}))).geom AS g FROM ${pieces} p),
            measured AS (SELECT g, ST_Area(g::geography, true) AS area, ST_Perimeter(g::geography, true) AS perimeter FROM merged),
            kept AS (SELECT * FROM measured WHERE area >= ${literal(minArea)} AND 2 * area / nullif(perimeter, 0) >= ${literal(numberParam(context.params, 'minWidthM'))}),
            near AS (SELECT k.*, (SELECT array_agg(n.bsm ORDER BY n.record_no) FROM (
                                    SELECT s.bsm, s.record_no FROM staged_land_use_parcels s
                                     WHERE s.submission_id = $1 AND s.geom && ST_Expand(k.g, 1e-7) AND ST_DWithin(s.geom, k.g, 1e-7)
                                     ORDER BY s.record_no LIMIT 20) n) AS neighbours
                       FROM kept k)
       SELECT 'DLTB', NULL::int, neighbours[1], neighbours[2],
              format('缝隙 %s 平方米，未被任何地类图斑覆盖%s', round(area::numeric, 2),
                     CASE WHEN neighbours IS NOT NULL THEN '（相邻图斑 ' || array_to_string(neighbours[1:5], '、') || '）' ELSE '' END),
              format('a gap of %s m² covered by no parcel%s', round(area::numeric, 2),
                     CASE WHEN neighbours IS NOT NULL THEN ' (next to ' || array_to_string(neighbours[1:5], ', ') || ')' ELSE '' END),
              jsonb_build_object('areaM2', round(area::numeric, 2), 'meanWidthM', round((2 * area / nullif(perimeter, 0))::numeric, 3), 'neighbours', to_jsonb(neighbours)),
              g
         FROM near`,
      [context.submissionId],
    );
  },
};

interface GridOrigin {
  x0: number;
  y0: number;
}

/**
 * Puts the area that must be covered in qc_gap_extent: the district, or (extent 'xzq', for a
 * package that covers part of it) the package's own 行政区 polygon within the district. Returns its
 * bounding box corner, which tiles are numbered from (null when there is nothing to cover).
 */
async function coverageExtent(context: SetRuleContext): Promise<GridOrigin | null> {
  await context.exec(`DROP TABLE IF EXISTS qc_gap_extent`);
  await context.exec(
    context.params.extent === 'xzq'
      ? `CREATE TEMP TABLE qc_gap_extent ON COMMIT DROP AS
           SELECT ST_Multi(ST_CollectionExtract(ST_Intersection(d.boundary, x.g, ${GRID}), 3)) AS g
             FROM admin_units d, (SELECT ST_Union(geom, ${GRID}) AS g FROM staged_district_boundaries WHERE submission_id = $2 AND geom IS NOT NULL AND ST_IsValid(geom)) x
            WHERE d.code = $1 AND x.g IS NOT NULL`
      : `CREATE TEMP TABLE qc_gap_extent ON COMMIT DROP AS SELECT boundary AS g FROM admin_units WHERE code = $1 AND boundary IS NOT NULL`,
    context.params.extent === 'xzq' ? [context.districtCode, context.submissionId] : [context.districtCode],
  );
  const [row] = await context.exec(`SELECT ST_XMin(g) AS x0, ST_YMin(g) AS y0 FROM qc_gap_extent WHERE NOT ST_IsEmpty(g)`);
  return row ? { x0: Number(row.x0), y0: Number(row.y0) } : null;
}

/**
 * Whether the parcels cover less than minShare of qc_gap_extent; if so, one finding says how much
 * they cover (shown on the package's extent). Measured by the parcels' ellipsoidal areas, not an
 * overlay: parts outside the area or overlapping count, which only errs towards searching gaps.
 */
async function partialPackage(context: SetRuleContext): Promise<boolean> {
  const [row] = await context.exec(
    `SELECT (SELECT ST_Area(g::geography, true) FROM qc_gap_extent) AS target,
            (SELECT coalesce(sum(s.area_m2), 0) FROM staged_land_use_parcels s WHERE s.submission_id = $1 AND s.geom IS NOT NULL) AS covered`,
    [context.submissionId],
  );
  const target = Number(row?.target ?? 0);
  const covered = Number(row?.covered ?? 0);
  if (!(target > 0) || covered >= numberParam(context.params, 'minShare') * target) return false;
  const xzq = context.params.extent === 'xzq';
  await context.insertFindings(
    `SELECT 'DLTB', NULL::int, NULL::text, NULL::text,
            format('成果包的地类图斑面积之和 %s 公顷，仅为%s（%s 公顷）的 %s%%：不是全区成果，未逐处检查缝隙。基础调查成果须覆盖全区；只调查区内一部分的成果（专项调查）须由市级管理员将该调查任务的缝隙检查范围设为成果包自带的行政区范围',
                   round($2::numeric / 10000, 2), $4::text, round($3::numeric / 10000, 2), round(100 * $2::numeric / $3::numeric, 2)),
            format('the parcels add up to %s ha, %s%% of %s (%s ha): not a whole district, so gaps were not searched one by one. A baseline covers the whole district; a package of part of it (a special survey) needs its survey''s gap extent set to the package''s own administrative area (XZQ) by the city administrator',
                   round($2::numeric / 10000, 2), round(100 * $2::numeric / $3::numeric, 2), $5::text, round($3::numeric / 10000, 2)),
            jsonb_build_object('coveredM2', round($2::numeric, 2), 'targetM2', round($3::numeric, 2), 'share', round($2::numeric / $3::numeric, 6), 'extent', $6::text),
            (SELECT ST_Multi(ST_SetSRID(ST_Extent(s.geom)::geometry, 4490)) FROM staged_land_use_parcels s WHERE s.submission_id = $1 AND s.geom IS NOT NULL)`,
    [context.submissionId, covered, target, xzq ? '成果包行政区范围' : '区界线内土地', xzq ? "the package's administrative area (XZQ)" : 'the land inside the district boundary', xzq ? 'xzq' : 'district'],
  );
  return true;
}

function size(level: number): number {
  return ROOT_TILE_DEG / 2 ** level;
}

/** Tile edges from integer indices, so that neighbouring tiles share bit-identical edges. */
function envelope(grid: GridOrigin, tile: Tile): [number, number, number, number] {
  const step = size(tile.level);
  return [grid.x0 + tile.i * step, grid.y0 + tile.j * step, grid.x0 + (tile.i + 1) * step, grid.y0 + (tile.j + 1) * step];
}

function children(tile: Tile): Tile[] {
  const level = tile.level + 1;
  return [0, 1, 2, 3].map((k) => ({ level, i: 2 * tile.i + (k & 1), j: 2 * tile.j + (k >> 1) }));
}

function tileArrays(grid: GridOrigin, tiles: readonly Tile[]): [number[], number[], number[], number[]] {
  const columns: [number[], number[], number[], number[]] = [[], [], [], []];
  for (const tile of tiles) envelope(grid, tile).forEach((value, k) => columns[k]!.push(value));
  return columns;
}

const TILES_CTE = `tiles AS (SELECT (t.n)::int AS n, ST_MakeEnvelope(t.x1, t.y1, t.x2, t.y2, 4490) AS env
                   FROM unnest($2::float8[], $3::float8[], $4::float8[], $5::float8[]) WITH ORDINALITY AS t(x1, y1, x2, y2, n))`;

async function rootTiles(context: SetRuleContext, grid: GridOrigin): Promise<Tile[]> {
  const rows = await context.exec(
    `SELECT i, j FROM qc_gap_extent d,
            generate_series(0, floor((ST_XMax(d.g) - $1) / $3)::int) AS i,
            generate_series(0, floor((ST_YMax(d.g) - $2) / $3)::int) AS j
      WHERE ST_Intersects(d.g, ST_MakeEnvelope($1 + i * $3, $2 + j * $3, $1 + (i + 1) * $3, $2 + (j + 1) * $3, 4490))`,
    [grid.x0, grid.y0, ROOT_TILE_DEG],
  );
  return rows.map((row) => ({ level: 0, i: Number(row.i), j: Number(row.j) }));
}

/**
 * Overlaps and parts outside the district add area to a tile and could cancel a gap's deficit;
 * invalid parcels are measured by their repair. Tiles touching any of them are always examined.
 */
async function suspectTiles(context: SetRuleContext, grid: GridOrigin): Promise<(tile: Tile) => boolean> {
  const boxes = (await context.exec(
    `SELECT ST_XMin(g) AS x1, ST_YMin(g) AS y1, ST_XMax(g) AS x2, ST_YMax(g) AS y2 FROM (
       SELECT geom AS g FROM qc_findings WHERE run_id = $1 AND rule_id IN ('TOPO_OVERLAP', 'TOPO_OUTSIDE_DISTRICT') AND geom IS NOT NULL
       UNION ALL SELECT original FROM ${context.scratch.faults} WHERE layer = 'DLTB' AND original IS NOT NULL) b`,
    [context.runId],
  )).map((row) => [Number(row.x1), Number(row.y1), Number(row.x2), Number(row.y2)] as const);
  return (tile) => {
    if (boxes.length === 0) return false;
    const [x1, y1, x2, y2] = envelope(grid, tile);
    return boxes.some(([bx1, by1, bx2, by2]) => bx1 <= x2 && bx2 >= x1 && by1 <= y2 && by2 >= y1);
  };
}

/** Per tile: boundary area inside it less the parcels' area inside it, in m² (approximate: screening only). */
async function tileDeficits(context: SetRuleContext, grid: GridOrigin, tiles: readonly Tile[]): Promise<number[]> {
  const sources = usableSources(context, CHECKED_LAYERS.DLTB, [], 'hull');
  const covers = sources
    .map((source) => `SELECT t.n, CASE WHEN s.geom @ t.env THEN ST_Area(s.geom) ELSE ST_Area(ST_ClipByBox2D(s.geom, t.env)) END AS a
                        FROM tiles t JOIN ${source} s ON s.geom && t.env`)
    .join(' UNION ALL ');
  const rows = await context.exec(
    `WITH ${TILES_CTE},
          boundary AS (SELECT g FROM qc_gap_extent),
          target AS (SELECT t.n, ST_Area(ST_ClipByBox2D(b.g, t.env)) AS a, ST_Y(ST_Centroid(t.env)) AS lat FROM tiles t, boundary b),
          cover AS (SELECT n, sum(a) AS a FROM (${covers}) c GROUP BY n)
     SELECT target.n, (target.a - coalesce(cover.a, 0)) * (111320 * cos(radians(target.lat))) * 110574 AS deficit
       FROM target LEFT JOIN cover ON cover.n = target.n ORDER BY target.n`,
    [context.submissionId, ...tileArrays(grid, tiles)],
  );
  if (rows.length !== tiles.length) throw new Error(`gap screening returned ${rows.length} of ${tiles.length} tiles`);
  return rows.map((row) => Number(row.deficit));
}

/**
 * Exact gaps in leaf tiles: the boundary's part in the tile less the union of the parcels'
 * parts. Pieces touching a tile edge pull in the neighbour across it. Returns a scratch table of pieces.
 */
async function exactGaps(context: SetRuleContext, grid: GridOrigin, leaves: Tile[]): Promise<string> {
  const table = context.scratch.areas;
  const done = new Set<string>();
  let pending = leaves;
  const sources = usableSources(context, CHECKED_LAYERS.DLTB, [], 'hull');
  const parts = sources.map((source) => `SELECT ST_Intersection(s.geom, t.env, ${GRID}) AS g FROM ${source} s WHERE s.geom && t.env`).join(' UNION ALL ');
  while (pending.length > 0) {
    for (const tile of pending) done.add(key(tile));
    const rows = await context.exec(
      `WITH ${TILES_CTE},
            boundary AS (SELECT g FROM qc_gap_extent),
            pieces AS (
              SELECT t.n, t.env, (ST_Dump(ST_CollectionExtract(ST_Difference(
                       ST_Intersection(b.g, t.env, ${GRID}),
                       coalesce((SELECT ST_Union(p.g, ${GRID}) FROM (${parts}) p), 'SRID=4490;POLYGON EMPTY'::geometry), ${GRID}), 3))).geom AS g
                FROM tiles t, boundary b),
            stored AS (INSERT INTO ${table} (kind, g) SELECT 'gap', g FROM pieces WHERE NOT ST_IsEmpty(g) RETURNING g)
       SELECT t.n, bool_or(ST_XMin(p.g) <= ST_XMin(t.env)) AS w, bool_or(ST_XMax(p.g) >= ST_XMax(t.env)) AS e,
              bool_or(ST_YMin(p.g) <= ST_YMin(t.env)) AS s, bool_or(ST_YMax(p.g) >= ST_YMax(t.env)) AS n_,
              (SELECT count(*) FROM stored) AS stored
         FROM tiles t LEFT JOIN pieces p ON p.n = t.n AND NOT ST_IsEmpty(p.g) GROUP BY t.n`,
      [context.submissionId, ...tileArrays(grid, pending)],
    );
    if (rows.length !== pending.length) throw new Error(`exact gap search returned ${rows.length} of ${pending.length} tiles`);
    const next: Tile[] = [];
    for (const row of rows) {
      const tile = pending[Number(row.n) - 1]!;
      const around: [boolean, number, number][] = [[row.w === true, -1, 0], [row.e === true, 1, 0], [row.s === true, 0, -1], [row.n_ === true, 0, 1]];
      for (const [touches, di, dj] of around) {
        const neighbour = { level: tile.level, i: tile.i + di, j: tile.j + dj };
        if (touches && !done.has(key(neighbour)) && !next.some((t) => key(t) === key(neighbour))) next.push(neighbour);
      }
    }
    pending = next;
  }
  return `(SELECT g FROM ${table} WHERE kind = 'gap')`;
}
