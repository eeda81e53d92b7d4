// The land-use change flow table (土地利用变化流量表): how much land moved from each class on one
// day to each class on a later day, for a district or the city.
//
// Only versions that ended or began in between can differ. Land under a version valid on both
// days did not move: its area goes to the diagonal exactly. The rest is overlaid: every version
// that ended in between against every version that began in between and meets it (PostGIS), the
// area each pair shares going from the one's class to the other's. Identical and nested shapes
// (reclassifications, splits, merges) take the parcel's own area, other pairs the area of their
// intersection. The printed table (公顷 and 亩, two decimals) is then fitted to the two days'
// printed statistics and rounded so its rows add up exactly to the first day's class totals and
// its columns to the second's (rounding.ts). When the two days' district totals differ (area is
// never conserved to the cent, and a declared boundary change moves it on purpose) a row or column
// 面积差 carries the difference, so the table still balances.
import { rawQuery, type Queryable } from '../../db/context.ts';
import { GRID } from '../quality/rules/sql.ts';
import { fitAndRoundMatrix, toUnits, type AreaUnit } from './rounding.ts';
import { centsOf, centsText, classCatalogue, exactAreas, groupOf, orderClasses, printedUnits, unitsText, type ClassCatalogue, type ExactAreas } from './statistics.ts';

export const BALANCE_CODE = '面积差';

export interface FlowRow {
  code: string;
  name: string;
  /** per column, in the order of `columns` */
  ha: string[];
  mu: string[];
  /** measured m² (two decimals), before fitting: unchanged land exactly, changed land as overlaid */
  m2: string[];
  total: { ha: string; mu: string; m2: string };
}

export interface FlowTable {
  from: string;
  to: string;
  level: 1 | 2;
  districtCode: string | null;
  columns: { code: string; name: string }[];
  rows: FlowRow[];
  columnTotals: { ha: string[]; mu: string[]; m2: string[] };
  grandTotal: { from: { ha: string; mu: string; m2: string }; to: { ha: string; mu: string; m2: string } };
  /** land whose version changed in between (m², both days' side) */
  changedM2: { from: string; to: string };
}

interface Moved {
  district: string;
  fromClass: string;
  toClass: string;
  m2: number;
}

/**
 * The overlay, and the areas that ended and began per class, in one statement. The embedded
 * engine ends a statement whose GEOS call failed without raising: the sentinel row, last, tells a
 * complete answer from a cut one.
 */
async function overlay(db: Queryable, from: string, to: string, districtCode: string | null) {
  const rows = await rawQuery(
    db,
    `WITH a AS MATERIALIZED (
            SELECT t.version_id, t.district_code, coalesce(t.dlbm, '') AS class, t.geom, t.area_m2 FROM land_use_parcels t
             WHERE t.valid_to IS NOT NULL AND t.valid_to > $1::date AND t.valid_to <= $2::date AND t.valid_from <= $1::date
               AND ($3::text IS NULL OR t.district_code = $3)),
          measured AS (
            SELECT a.district_code, a.class AS from_class, coalesce(b.dlbm, '') AS to_class, a.area_m2::float8 AS a_area, b.area_m2::float8 AS b_area,
                   CASE WHEN a.geom ~= b.geom AND ST_Equals(a.geom, b.geom) THEN a.area_m2::float8
                        WHEN ST_CoveredBy(b.geom, a.geom) THEN b.area_m2::float8
                        WHEN ST_CoveredBy(a.geom, b.geom) THEN a.area_m2::float8
                        ELSE ST_Area(ST_Intersection(a.geom, b.geom, ${GRID})::geography, true) END AS area
              -- LATERAL (fenced with OFFSET 0, or it is flattened) keeps the spatial index probe per
              -- ended version: joined plainly, the planner merges on the district code (one value
              -- per district) and compares every pair's box.
              FROM a CROSS JOIN LATERAL (
                SELECT b.dlbm, b.geom, b.area_m2 FROM land_use_parcels b
                 WHERE b.geom && a.geom AND b.district_code = a.district_code
                   AND b.valid_from > $1::date AND b.valid_from <= $2::date AND (b.valid_to IS NULL OR b.valid_to > $2::date) OFFSET 0) b),
          -- A piece cut from a parcel in Gauss-Kruger metres is not exactly inside it in degrees
          -- (a straight projected edge is not straight in longitude/latitude): a pair sharing all
          -- but a hair of one side's area takes that side's own area.
          pairs AS (
            SELECT district_code, from_class, to_class,
                   CASE WHEN abs(area - b_area) <= 0.01 + 1e-6 * b_area THEN b_area
                        WHEN abs(area - a_area) <= 0.01 + 1e-6 * a_area THEN a_area ELSE area END AS area
              FROM measured)
     SELECT 'pair' AS kind, district_code, from_class, to_class, sum(area)::float8 AS m2, NULL::text AS exact FROM pairs WHERE area > 0 GROUP BY 2, 3, 4
     UNION ALL SELECT 'ended', district_code, class, NULL, NULL, sum(area_m2)::text FROM a GROUP BY 2, 3
     UNION ALL SELECT 'began', t.district_code, NULL, coalesce(t.dlbm, ''), NULL, sum(t.area_m2)::text FROM land_use_parcels t
                WHERE t.valid_from > $1::date AND t.valid_from <= $2::date AND (t.valid_to IS NULL OR t.valid_to > $2::date)
                  AND ($3::text IS NULL OR t.district_code = $3) GROUP BY 2, 4
     UNION ALL SELECT 'end', NULL, NULL, NULL, NULL, NULL`,
    [from, to, districtCode],
  );
  if (rows.at(-1)?.kind !== 'end') throw new Error('the overlay ended early (a geometry operation failed)');
  const moved: Moved[] = [];
  const ended = new Map<string, bigint>();
  const began = new Map<string, bigint>();
  for (const row of rows) {
    if (row.kind === 'pair') moved.push({ district: String(row.district_code), fromClass: String(row.from_class), toClass: String(row.to_class), m2: Number(row.m2) });
    else if (row.kind === 'ended') ended.set(`${String(row.district_code)}|${String(row.from_class)}`, centsOf(String(row.exact)));
    else if (row.kind === 'began') began.set(`${String(row.district_code)}|${String(row.to_class)}`, centsOf(String(row.exact)));
  }
  return { moved, ended, began };
}

/** Printed units per (district, class) at the table's level: the statistics' 二级 figures, summed per 一级 for level 1. */
function printedByClass(areas: ExactAreas, catalogue: ClassCatalogue, unit: AreaUnit, level: 1 | 2): Map<string, number> {
  const districts = [...areas.landUse.keys()].sort();
  const classes = orderClasses(catalogue, districts.flatMap((district) => [...areas.landUse.get(district)!.keys()]));
  const { cells } = printedUnits(areas.landUse, districts, classes, unit);
  const printed = new Map<string, number>();
  districts.forEach((_, d) =>
    classes.forEach((code, k) => {
      const key = level === 1 ? groupOf(catalogue, code) : code;
      printed.set(key, (printed.get(key) ?? 0) + cells[d]![k]!);
    }),
  );
  return printed;
}

export async function flowTable(db: Queryable, from: string, to: string, districtCode: string | null, level: 1 | 2): Promise<FlowTable> {
  const catalogue = await classCatalogue(db);
  const before = await exactAreas(db, from, districtCode);
  const after = await exactAreas(db, to, districtCode);
  const { moved, ended, began } = await overlay(db, from, to, districtCode);
  const classOf = (code: string) => (level === 1 ? groupOf(catalogue, code) : code);

  // Measured m² matrix: unchanged land on the diagonal (exact), moved land off it (overlaid).
  const measured = new Map<string, number>();
  const add = (fromClass: string, toClass: string, m2: number) => {
    const key = `${classOf(fromClass)}|${classOf(toClass)}`;
    measured.set(key, (measured.get(key) ?? 0) + m2);
  };
  const fromCents = new Map<string, bigint>();
  const toCents = new Map<string, bigint>();
  for (const [district, classes] of before.landUse) {
    for (const [code, figure] of classes) {
      const unchanged = figure.cents - (ended.get(`${district}|${code}`) ?? 0n);
      if (unchanged !== 0n) add(code, code, Number(unchanged) / 100);
      fromCents.set(classOf(code), (fromCents.get(classOf(code)) ?? 0n) + figure.cents);
    }
  }
  for (const classes of after.landUse.values()) for (const [code, figure] of classes) toCents.set(classOf(code), (toCents.get(classOf(code)) ?? 0n) + figure.cents);
  for (const item of moved) add(item.fromClass, item.toClass, item.m2);

  const codes = orderClasses(catalogue, [...fromCents.keys(), ...toCents.keys()]);
  const name = (code: string) => (level === 1 ? catalogue.groups.get(code)?.name : catalogue.classes.get(code)?.name) ?? '（未知地类）';
  const printed = (unit: AreaUnit) => {
    const rowsPrinted = printedByClass(before, catalogue, unit, level);
    const colsPrinted = printedByClass(after, catalogue, unit, level);
    const rowTotals = codes.map((code) => rowsPrinted.get(code) ?? 0);
    const colTotals = codes.map((code) => colsPrinted.get(code) ?? 0);
    const matrix = codes.map((a) => codes.map((b) => toUnits((measured.get(`${a}|${b}`) ?? 0).toFixed(2), unit)));
    // Balance the two days' totals with a 面积差 row (area gained) or column (area lost).
    const gap = colTotals.reduce((s, v) => s + v, 0) - rowTotals.reduce((s, v) => s + v, 0);
    const seedRow = codes.map((code) => Math.max(1e-6, toUnits(centsText([...began].filter(([key]) => classOf(key.split('|')[1]!) === code).reduce((s, [, v]) => s + v, 0n)), unit)));
    const seedCol = codes.map((code) => Math.max(1e-6, toUnits(centsText([...ended].filter(([key]) => classOf(key.split('|')[1]!) === code).reduce((s, [, v]) => s + v, 0n)), unit)));
    const fitted = fitAndRoundMatrix(
      [...matrix.map((row, k) => [...row, gap < 0 ? seedCol[k]! : 0]), [...(gap > 0 ? seedRow : codes.map(() => 0)), 0]],
      [...rowTotals, Math.max(0, gap)],
      [...colTotals, Math.max(0, -gap)],
    );
    return { fitted, rowTotals, colTotals, gap };
  };
  const ha = printed('ha');
  const mu = printed('mu');
  const balanced = ha.gap !== 0 || mu.gap !== 0;
  const columns = [...codes.map((code) => ({ code, name: name(code) })), ...(balanced ? [{ code: BALANCE_CODE, name: '面积差（两期总面积之差）' }] : [])];
  const width = columns.length;
  const m2Cell = (a: string, b: string) => (measured.get(`${a}|${b}`) ?? 0).toFixed(2);
  const rowCodes = [...codes, ...(balanced ? [BALANCE_CODE] : [])];
  const rows: FlowRow[] = rowCodes.map((code, r) => ({
    code,
    name: code === BALANCE_CODE ? '面积差（两期总面积之差）' : name(code),
    ha: ha.fitted[r]!.slice(0, width).map(unitsText),
    mu: mu.fitted[r]!.slice(0, width).map(unitsText),
    m2: columns.map((column) => (code === BALANCE_CODE || column.code === BALANCE_CODE ? '0.00' : m2Cell(code, column.code))),
    total: {
      ha: unitsText(ha.fitted[r]!.reduce((s, v) => s + v, 0)),
      mu: unitsText(mu.fitted[r]!.reduce((s, v) => s + v, 0)),
      m2: code === BALANCE_CODE ? '0.00' : centsText(fromCents.get(code) ?? 0n),
    },
  }));
  const columnSum = (matrix: number[][], c: number) => matrix.slice(0, rowCodes.length).reduce((s, row) => s + row[c]!, 0);
  const total = (cents: Map<string, bigint>) => [...cents.values()].reduce((s, v) => s + v, 0n);
  return {
    from,
    to,
    level,
    districtCode,
    columns,
    rows: balanced ? rows : rows.slice(0, codes.length),
    columnTotals: {
      ha: columns.map((_, c) => unitsText(columnSum(ha.fitted, c))),
      mu: columns.map((_, c) => unitsText(columnSum(mu.fitted, c))),
      m2: columns.map((column) => (column.code === BALANCE_CODE ? '0.00' : centsText(toCents.get(column.code) ?? 0n))),
    },
    grandTotal: {
      from: { ha: unitsText(ha.rowTotals.reduce((s, v) => s + v, 0)), mu: unitsText(mu.rowTotals.reduce((s, v) => s + v, 0)), m2: centsText(total(fromCents)) },
      to: { ha: unitsText(ha.colTotals.reduce((s, v) => s + v, 0)), mu: unitsText(mu.colTotals.reduce((s, v) => s + v, 0)), m2: centsText(total(toCents)) },
    },
    changedM2: { from: centsText([...ended.values()].reduce((s, v) => s + v, 0n)), to: centsText([...began.values()].reduce((s, v) => s + v, 0n)) },
  };
}

/** The flow table as rows for CSV and XLSX, in one unit. */
export function flowRows(table: FlowTable, unit: 'ha' | 'mu'): (string | number | null)[][] {
  const label = unit === 'ha' ? '公顷' : '亩';
  return [
    [`${table.from} \\ ${table.to}（${label}）`, '地类名称', ...table.columns.map((column) => `${column.code} ${column.name}`), `${table.from} 合计`],
    ...table.rows.map((row) => [row.code, row.name, ...row[unit], row.total[unit]]),
    [`${table.to} 合计`, null, ...table.columnTotals[unit], table.grandTotal.from[unit]],
  ];
}
