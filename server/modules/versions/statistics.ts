// Area statistics as of a day (土地利用现状统计): land-use area by 一级 and 二级 class per district
// and for the city, and permanent basic farmland per district, in 公顷 and 亩 to two decimals.
//
// Areas are summed exactly (numeric m²) and rounded once, when printed: each district's total is
// rounded half up and its classes apportioned by largest remainder so they add up to it exactly
// (rounding.ts); a 一级 class is the sum of its printed 二级 classes, the city the sum of its
// printed districts. Every total in the table is therefore the sum of the figures above it.
import { rawQuery, type Queryable } from '../../db/context.ts';
import { roundTable, toUnits, type AreaUnit } from './rounding.ts';
import { validOn } from './snapshots.ts';

export interface AreaFigure {
  /** exact m², two decimals */
  m2: string;
  /** 公顷, two decimals */
  ha: string;
  /** 亩, two decimals */
  mu: string;
  parcels: number;
}

export interface ClassFigure extends AreaFigure {
  code: string;
  name: string;
  /** the 二级 classes of a 一级 class */
  classes?: ClassFigure[];
}

export interface AreaBlock {
  total: AreaFigure;
  /** 一级 classes, each with its 二级 classes */
  classes: ClassFigure[];
}

export interface DistrictBlock extends AreaBlock {
  districtCode: string;
  name: string;
}

export interface Statistics {
  asOf: string;
  /** the frozen snapshot the day is, if it is one */
  snapshot: { year: number; checksum: string } | null;
  districts: DistrictBlock[];
  city: AreaBlock;
  basicFarmland: { districts: (AreaFigure & { districtCode: string; name: string })[]; total: AreaFigure };
}

/** Exact m² per (district, 二级 class) of the state on a day, with parcel counts. */
export interface ExactAreas {
  /** district → class → { cents, parcels } */
  landUse: Map<string, Map<string, { cents: bigint; parcels: number }>>;
  farmland: Map<string, { cents: bigint; parcels: number }>;
}

export function centsOf(text: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) throw new Error(`not an amount of m²: ${text}`);
  const cents = BigInt(match[2]!) * 100n + BigInt((match[3] ?? '').padEnd(2, '0') || '0');
  return match[1] ? -cents : cents;
}

export function centsText(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** Integer 0.01-units as a two-decimal string. */
export function unitsText(units: number): string {
  return `${Math.trunc(units / 100)}.${String(Math.abs(units % 100)).padStart(2, '0')}`;
}

export async function exactAreas(db: Queryable, day: string, districtCode: string | null): Promise<ExactAreas> {
  const rows = await rawQuery(
    db,
    `SELECT t.district_code, coalesce(t.dlbm, '') AS dlbm, sum(t.area_m2)::text AS area, count(*)::int AS n
       FROM land_use_parcels t WHERE ${validOn('t', '$1::date')} AND ($2::text IS NULL OR t.district_code = $2) GROUP BY 1, 2`,
    [day, districtCode],
  );
  const landUse = new Map<string, Map<string, { cents: bigint; parcels: number }>>();
  for (const row of rows) {
    const district = String(row.district_code);
    if (!landUse.has(district)) landUse.set(district, new Map());
    landUse.get(district)!.set(String(row.dlbm), { cents: centsOf(String(row.area)), parcels: Number(row.n) });
  }
  const farm = await rawQuery(
    db,
    `SELECT t.district_code, sum(t.area_m2)::text AS area, count(*)::int AS n
       FROM basic_farmland_parcels t WHERE ${validOn('t', '$1::date')} AND ($2::text IS NULL OR t.district_code = $2) GROUP BY 1`,
    [day, districtCode],
  );
  return { landUse, farmland: new Map(farm.map((row) => [String(row.district_code), { cents: centsOf(String(row.area)), parcels: Number(row.n) }])) };
}

export interface ClassCatalogue {
  /** 二级 code → { name, group } */
  classes: Map<string, { name: string; group: string; order: number }>;
  /** 一级 code → name */
  groups: Map<string, { name: string; order: number }>;
  districts: Map<string, string>;
}

export async function classCatalogue(db: Queryable): Promise<ClassCatalogue> {
  const rows = await rawQuery(db, `SELECT list, code, name, parent_code, sort_order FROM code_lists WHERE list IN ('dlbm', 'dlbm_group') ORDER BY sort_order`);
  const classes = new Map<string, { name: string; group: string; order: number }>();
  const groups = new Map<string, { name: string; order: number }>();
  for (const row of rows) {
    if (row.list === 'dlbm_group') groups.set(String(row.code), { name: String(row.name), order: Number(row.sort_order) });
    else classes.set(String(row.code), { name: String(row.name), group: String(row.parent_code ?? String(row.code).slice(0, 2)), order: Number(row.sort_order) });
  }
  const units = await rawQuery(db, `SELECT code, name FROM admin_units WHERE level = 'district'`);
  return { classes, groups, districts: new Map(units.map((row) => [String(row.code), String(row.name)])) };
}

/** The 一级 class of a 二级 code, also for codes outside the catalogue (first two digits). */
export function groupOf(catalogue: ClassCatalogue, code: string): string {
  return catalogue.classes.get(code)?.group ?? code.slice(0, 2);
}

/** Class codes in catalogue order (unknown codes last, by code). */
export function orderClasses(catalogue: ClassCatalogue, codes: Iterable<string>): string[] {
  const order = (code: string) => catalogue.classes.get(code)?.order ?? catalogue.groups.get(code)?.order ?? Number.MAX_SAFE_INTEGER;
  return [...new Set(codes)].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
}

/**
 * Printed units (integer 0.01 ha or 亩) of every (district, 二级 class): each district's classes
 * add up exactly to its total rounded half up. Districts in `districts` order, classes in `classes` order.
 */
export function printedUnits(areas: ExactAreas['landUse'], districts: readonly string[], classes: readonly string[], unit: AreaUnit): { cells: number[][]; totals: number[] } {
  const table = roundTable(
    districts.map((district) => ({ key: district, cells: classes.map((code) => toUnits(centsText(areas.get(district)?.get(code)?.cents ?? 0n), unit)) })),
  );
  return { cells: table.rows.map((row) => row.cells), totals: table.rows.map((row) => row.total) };
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

export async function statisticsAsOf(db: Queryable, day: string, districtCode: string | null): Promise<Statistics> {
  const [areas, catalogue, snapshotRows] = [await exactAreas(db, day, districtCode), await classCatalogue(db), await rawQuery(db, `SELECT year, checksum FROM snapshots WHERE snapshot_date = $1::date`, [day])];
  const districts = [...areas.landUse.keys()].sort();
  const classes = orderClasses(catalogue, districts.flatMap((district) => [...areas.landUse.get(district)!.keys()]));
  const ha = printedUnits(areas.landUse, districts, classes, 'ha');
  const mu = printedUnits(areas.landUse, districts, classes, 'mu');

  // One block (a district, or the city) from its exact cents and printed units per 二级 class.
  const block = (cents: bigint[], parcels: number[], haCells: number[], muCells: number[]): AreaBlock => {
    const groups = orderClasses(catalogue, classes.map((code) => groupOf(catalogue, code)));
    const figure = (indexes: number[]): AreaFigure => ({
      m2: centsText(indexes.reduce((total, k) => total + cents[k]!, 0n)),
      ha: unitsText(sum(indexes.map((k) => haCells[k]!))),
      mu: unitsText(sum(indexes.map((k) => muCells[k]!))),
      parcels: sum(indexes.map((k) => parcels[k]!)),
    });
    const present = classes.map((_, k) => k).filter((k) => parcels[k]! > 0);
    return {
      total: figure(present),
      classes: groups
        .map((group) => {
          const members = present.filter((k) => groupOf(catalogue, classes[k]!) === group);
          return {
            code: group,
            name: catalogue.groups.get(group)?.name ?? '（未知一级类）',
            ...figure(members),
            classes: members.map((k) => ({ code: classes[k]!, name: catalogue.classes.get(classes[k]!)?.name ?? '（未知地类）', ...figure([k]) })),
          };
        })
        .filter((group) => group.parcels > 0),
    };
  };

  const districtBlocks: DistrictBlock[] = districts.map((district, d) => ({
    districtCode: district,
    name: catalogue.districts.get(district) ?? district,
    ...block(
      classes.map((code) => areas.landUse.get(district)!.get(code)?.cents ?? 0n),
      classes.map((code) => areas.landUse.get(district)!.get(code)?.parcels ?? 0),
      ha.cells[d]!,
      mu.cells[d]!,
    ),
  }));
  const city = block(
    classes.map((code) => districts.reduce((total, district) => total + (areas.landUse.get(district)!.get(code)?.cents ?? 0n), 0n)),
    classes.map((code) => districts.reduce((total, district) => total + (areas.landUse.get(district)!.get(code)?.parcels ?? 0), 0)),
    classes.map((_, k) => sum(ha.cells.map((row) => row[k]!))),
    classes.map((_, k) => sum(mu.cells.map((row) => row[k]!))),
  );

  // Farmland: one figure per district, each rounded half up; the city the sum of the printed ones.
  const farmDistricts = [...areas.farmland.keys()].sort();
  const farmHa = roundTable(farmDistricts.map((district) => ({ key: district, cells: [toUnits(centsText(areas.farmland.get(district)!.cents), 'ha')] }))).rows.map((row) => row.total);
  const farmMu = roundTable(farmDistricts.map((district) => ({ key: district, cells: [toUnits(centsText(areas.farmland.get(district)!.cents), 'mu')] }))).rows.map((row) => row.total);
  const farmRows = farmDistricts.map((district, k) => ({
    districtCode: district,
    name: catalogue.districts.get(district) ?? district,
    m2: centsText(areas.farmland.get(district)!.cents),
    ha: unitsText(farmHa[k]!),
    mu: unitsText(farmMu[k]!),
    parcels: areas.farmland.get(district)!.parcels,
  }));
  const snapshot = snapshotRows[0] ? { year: Number(snapshotRows[0].year), checksum: String(snapshotRows[0].checksum).trim() } : null;
  return {
    asOf: day,
    snapshot,
    districts: districtBlocks,
    city,
    basicFarmland: {
      districts: farmRows,
      total: {
        m2: centsText(farmDistricts.reduce((total, district) => total + areas.farmland.get(district)!.cents, 0n)),
        ha: unitsText(sum(farmHa)),
        mu: unitsText(sum(farmMu)),
        parcels: sum(farmRows.map((row) => row.parcels)),
      },
    },
  };
}

/** The statistics as table rows for CSV and XLSX: every 二级 class, 一级 subtotals, district totals, the city. */
export function statisticsRows(statistics: Statistics): (string | number | null)[][] {
  const header = ['行政区代码', '行政区名称', '一级类编码', '一级类名称', '二级类编码', '二级类名称', '面积（平方米）', '面积（公顷）', '面积（亩）', '图斑数'];
  const rows: (string | number | null)[][] = [header];
  const emit = (code: string, name: string, block: AreaBlock) => {
    for (const group of block.classes) {
      for (const item of group.classes ?? []) rows.push([code, name, group.code, group.name, item.code, item.name, item.m2, item.ha, item.mu, item.parcels]);
      rows.push([code, name, group.code, group.name, null, '小计', group.m2, group.ha, group.mu, group.parcels]);
    }
    rows.push([code, name, null, '合计', null, null, block.total.m2, block.total.ha, block.total.mu, block.total.parcels]);
  };
  for (const district of statistics.districts) emit(district.districtCode, district.name, district);
  emit('310000', '上海市', statistics.city);
  return rows;
}

export function farmlandRows(statistics: Statistics): (string | number | null)[][] {
  return [
    ['行政区代码', '行政区名称', '永久基本农田面积（平方米）', '面积（公顷）', '面积（亩）', '图斑数'],
    ...statistics.basicFarmland.districts.map((row) => [row.districtCode, row.name, row.m2, row.ha, row.mu, row.parcels]),
    ['310000', '上海市', statistics.basicFarmland.total.m2, statistics.basicFarmland.total.ha, statistics.basicFarmland.total.mu, statistics.basicFarmland.total.parcels],
  ];
}
