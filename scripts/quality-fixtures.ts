// npm run fixtures:quality
// Writes the quality rules' fixture folders, fixtures/quality/<RULE_ID>/, one per rule: in/ from the cases below
// (small packages in 崇明区, Gauss-Kruger zone 40 metres, GeoJSON with a "crs" member, TBMJ from
// the survey formula), and out/findings.json by running the engine on them (embedded engine). The
// change-package cases (变更调查) each have a district of their own, whose baseline (in/baseline/)
// the runner applies before it imports the change package: all cases share one database.
// Never edit either by hand: change a case here and run this again, then read the diff.
import fs from 'node:fs';
import path from 'node:path';
import { migrate } from '../server/db/migrator.ts';
import { openEmbeddedDatabase } from '../server/db/engine.ts';
import { districtOutlines } from '../server/geo/district-outlines.ts';
import { projectedRingArea, roundArea } from '../server/geo/ellipsoidal-area.ts';
import { seedDemo } from '../server/seed/demo.ts';
import { loadReferenceData } from '../server/seed/reference.ts';
import { projectionForZone } from '../server/seed/generator/district.ts';
import { QUALITY_FIXTURES, runFixtureCase, type ExpectedFinding, type FixtureCase } from '../test/support/quality-fixtures.ts';

const projection = projectionForZone(40);
/**
 * Each district a case may use: a point well inside it (km from its outline) as the origin of the
 * case's parcels, and the village the parcels belong to. 崇明岛 (121.55°E, 31.62°N) by default.
 */
const DISTRICTS: Record<string, { name: string; origin: [number, number]; village: string }> = {
  '310151': { name: '崇明区', origin: [121.55, 31.62], village: '崇明区城桥镇长兴村' },
  '310112': { name: '闵行区', origin: [121.42, 31.06], village: '闵行区七宝镇九星村' },
  '310113': { name: '宝山区', origin: [121.41, 31.39], village: '宝山区顾村镇沈杨村' },
  '310114': { name: '嘉定区', origin: [121.23, 31.35], village: '嘉定区马陆镇大裕村' },
  '310116': { name: '金山区', origin: [121.29, 30.82], village: '金山区朱泾镇待泾村' },
  '310117': { name: '松江区', origin: [121.23, 31.03], village: '松江区永丰街道仓吉村' },
};
let district = '310151';
let [E0, N0] = [0, 0];
let VILLAGE: Record<string, Value> = {};
/** Draws the next parcels in the district: origin, BSM prefix and village. */
function useDistrict(code: string): void {
  const { origin, village } = DISTRICTS[code]!;
  district = code;
  [E0, N0] = projection.forward(...origin).map((v) => Math.round(v)) as [number, number];
  const unit = `${code}1010010000000`;
  VILLAGE = { QSDWDM: unit, QSDWMC: village, ZLDWDM: unit, ZLDWMC: village };
}
useDistrict('310151');

type Ring = [number, number][];
type Value = string | number | null;

interface Parcel {
  bsm: string;
  rings: Ring[][];
  attributes: Record<string, Value>;
}

/** A rectangle (metres from the origin), counter-clockwise, closed. */
function rect(x: number, y: number, w: number, h: number): Ring {
  return [
    [E0 + x, N0 + y],
    [E0 + x + w, N0 + y],
    [E0 + x + w, N0 + y + h],
    [E0 + x, N0 + y + h],
    [E0 + x, N0 + y],
  ];
}

function ringArea(ring: Ring): number {
  return projectedRingArea(ring.slice(0, -1).flat(), projection.inverse);
}

function area(rings: Ring[][]): number {
  let total = 0;
  for (const polygon of rings) polygon.forEach((ring, k) => (total += (k === 0 ? 1 : -1) * Math.abs(ringArea(ring))));
  return roundArea(total);
}

const CLASS_DEFAULTS: Record<string, Record<string, Value>> = {
  '0101': { DLMC: '水田', QSXZ: '30', GDPDJB: '1', ZZSXDM: 'LS', ZZSXMC: '粮食作物', GDDB: 5 },
  '0301': { DLMC: '乔木林地', QSXZ: '30' },
  '0702': { DLMC: '农村宅基地', QSXZ: '30', CZCSXM: '203' },
  '1101': { DLMC: '河流水面', QSXZ: '20', XZDWKD: 30 },
  '1107': { DLMC: '沟渠', QSXZ: '30', XZDWKD: 3 },
};

let sequence = 0;
/** A clean DLTB parcel of class `dlbm` with the given geometry; overrides spoil it. TBMJ, KCMJ and TBDLMJ follow the geometry unless overridden. */
function dltb(dlbm: string, rings: Ring[][], overrides: Record<string, Value> = {}): Parcel {
  sequence++;
  const bsm = `${district}11${String(sequence).padStart(10, '0')}`;
  const tbmj = area(rings);
  const kcxs = Number(overrides.KCXS ?? 0);
  const kcmj = Math.round(tbmj * kcxs * 100) / 100;
  return {
    bsm,
    rings,
    attributes: {
      BSM: bsm, YSDM: '2001010100', TBBH: String(sequence), DLBM: dlbm, ...VILLAGE, ...CLASS_DEFAULTS[dlbm],
      TBMJ: tbmj, KCXS: kcxs, KCMJ: kcmj, TBDLMJ: Math.round((tbmj - kcmj) * 100) / 100, SJNF: 2019, MSSM: '00',
      ...overrides,
    },
  };
}

function farmland(on: Parcel | null, rings: Ring[][]): Parcel {
  sequence++;
  const bsm = `31015121${String(sequence).padStart(10, '0')}`;
  const mj = area(rings);
  return {
    bsm,
    rings,
    attributes: {
      BSM: bsm, YSDM: '2001010200', XZQDM: '310151', XZQMC: '崇明区', YJJBNTTBBH: String(sequence), TBBH: String(on?.attributes.TBBH ?? sequence),
      DLBM: '0101', DLMC: '水田', ...VILLAGE, QSXZ: '30', YJJBNTTBMJ: mj, KCXS: 0, KCMJ: 0, YJJBNTMJ: mj, GDPDJB: '1', ZZSXDM: 'LS', ZZSXMC: '粮食作物', SJNF: 2019,
    },
  };
}

const square = (i: number, j: number, size = 50): Ring[][] => [[rect(i * size, j * size, size, size)]];

/**
 * A change record (变更调查): a new version of class `dlbm` replacing `predecessors` (BGQBSM, a
 * parcel or a BSM) on `date` (BGRQ, no field when null), with change type BGLX; `keep` gives it the
 * BSM of the parcel it replaces (a reclassification keeps the parcel's BSM).
 */
function changed(dlbm: string, rings: Ring[][], predecessors: (Parcel | string)[], date: string | null, type: string, keep?: Parcel): Parcel {
  const bgqbsm = predecessors.map((p) => (typeof p === 'string' ? p : p.bsm)).join(',');
  const record = dltb(dlbm, rings, { SJNF: 2020, BGQBSM: bgqbsm, ...(date === null ? {} : { BGRQ: date }), BGLX: type });
  if (keep) record.bsm = record.attributes.BSM = keep.bsm;
  return record;
}

/** A row of 100 m squares of 水田 from (i, j): a baseline's parcels. */
const paddies = (count: number, j = 0, from = 0): Parcel[] => Array.from({ length: count }, (_, k) => dltb('0101', square(from + k, j, 100)));

/** A 50 m square with two corners swapped: the ring crosses itself (a bow-tie). TBMJ is the square's. */
function bowTieSquare(x: number, y: number): Ring[][] {
  const [a, b, c, d] = rect(x, y, 50, 50);
  return [[[a!, c!, b!, d!, a!]]];
}

function layer(name: string, parcels: Parcel[]): string {
  const features = parcels.map((parcel) => ({
    type: 'Feature',
    properties: parcel.attributes,
    geometry: parcel.rings.length === 1 ? { type: 'Polygon', coordinates: parcel.rings[0] } : { type: 'MultiPolygon', coordinates: parcel.rings },
  }));
  return `${JSON.stringify({ type: 'FeatureCollection', name, crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4528' } }, features }, null, 1)}\n`;
}

interface CaseDefinition {
  name: string;
  description: string;
  rules: string[];
  params?: FixtureCase['params'];
  /** 崇明区 unless given; a change-package case needs a district no other case uses */
  district?: string;
  /** a change package of this survey, over `baseline` (the district's national-survey parcels, applied first) */
  survey?: FixtureCase['survey'];
  build: () => { DLTB: Parcel[]; YJJBNTTB?: Parcel[]; XZQ?: { rings: Ring[][] }; baseline?: Parcel[]; expect: ExpectedFinding[] };
}

const find = (rule: string, parcel: Parcel | null, other?: Parcel): ExpectedFinding => ({ rule, bsm: parcel?.bsm ?? null, ...(other ? { otherBsm: other.bsm } : {}) });

const CASES: CaseDefinition[] = [
  {
    name: 'attributes-mandatory',
    description: 'Empty mandatory fields: DLMC in one parcel, QSDWDM and TBBH in another; a complete parcel passes.',
    rules: ['ATTR_MANDATORY'],
    build() {
      const ok = dltb('0101', square(0, 0));
      const noName = dltb('0101', square(1, 0), { DLMC: '' });
      const noUnit = dltb('0702', square(2, 0), { QSDWDM: '', TBBH: ' ' });
      return { DLTB: [ok, noName, noUnit], expect: [find('ATTR_MANDATORY', noName), find('ATTR_MANDATORY', noUnit)] };
    },
  },
  {
    name: 'attributes-fields-missing',
    description: 'A DLTB layer whose file has no DLMC and no ZLDWMC field at all: one finding for the layer, not one per record.',
    rules: ['ATTR_FIELDS_MISSING'],
    build() {
      const parcels = [dltb('0101', square(0, 0)), dltb('0702', square(1, 0))];
      for (const parcel of parcels) {
        delete parcel.attributes.DLMC;
        delete parcel.attributes.ZLDWMC;
      }
      return { DLTB: parcels, expect: [{ rule: 'ATTR_FIELDS_MISSING', bsm: null }] };
    },
  },
  {
    name: 'attributes-codes',
    description: 'One parcel per code list with a code not in it, and a DLMC that is not the name of its DLBM; a clean parcel passes.',
    rules: ['ATTR_CODE_DLBM', 'ATTR_CODE_QSXZ', 'ATTR_CODE_GDLX', 'ATTR_CODE_GDPDJB', 'ATTR_CODE_ZZSXDM', 'ATTR_CODE_TBXHDM', 'ATTR_CODE_CZCSXM', 'ATTR_DLMC_MATCHES_DLBM'],
    build() {
      const ok = dltb('0101', square(0, 0));
      const dlbm = dltb('0101', square(1, 0), { DLBM: '0199' });
      const qsxz = dltb('0101', square(2, 0), { QSXZ: '99' });
      const gdlx = dltb('0101', square(3, 0), { GDPDJB: '2', GDLX: 'QQ' });
      const gdpdjb = dltb('0101', square(4, 0), { GDPDJB: '7' });
      const zzsxdm = dltb('0101', square(5, 0), { ZZSXDM: 'ZZ' });
      const tbxhdm = dltb('0101', square(6, 0), { TBXHDM: 'XXXX' });
      const czcsxm = dltb('0702', square(7, 0), { CZCSXM: '209' });
      const dlmc = dltb('0101', square(8, 0), { DLMC: '旱地' });
      return {
        DLTB: [ok, dlbm, qsxz, gdlx, gdpdjb, zzsxdm, tbxhdm, czcsxm, dlmc],
        expect: [
          find('ATTR_CODE_DLBM', dlbm), find('ATTR_CODE_QSXZ', qsxz), find('ATTR_CODE_GDLX', gdlx), find('ATTR_CODE_GDPDJB', gdpdjb),
          find('ATTR_CODE_ZZSXDM', zzsxdm), find('ATTR_CODE_TBXHDM', tbxhdm), find('ATTR_CODE_CZCSXM', czcsxm), find('ATTR_DLMC_MATCHES_DLBM', dlmc),
        ],
      };
    },
  },
  {
    name: 'attributes-units-bsm',
    description: 'A QSDWDM of 18 characters, a ZLDWDM in 浦东新区 (310115), and a parcel repeating the BSM of the first.',
    rules: ['ATTR_UNIT_CODE', 'ATTR_BSM_UNIQUE'],
    build() {
      const ok = dltb('0101', square(0, 0));
      const short = dltb('0101', square(1, 0), { QSDWDM: '310151101001000000' });
      const elsewhere = dltb('0101', square(2, 0), { ZLDWDM: '3101151010010000000' });
      const twin = dltb('0101', square(3, 0));
      twin.attributes.BSM = ok.bsm;
      twin.bsm = ok.bsm;
      return { DLTB: [ok, short, elsewhere, twin], expect: [find('ATTR_UNIT_CODE', short), find('ATTR_UNIT_CODE', elsewhere), { rule: 'ATTR_BSM_UNIQUE', bsm: ok.bsm, otherBsm: ok.bsm }] };
    },
  },
  {
    name: 'logic',
    description: 'One parcel breaking each logic rule, beside clean cultivated, residential and ditch parcels.',
    rules: ['LOGIC_CULTIVATED_GRADE', 'LOGIC_CULTIVATED_PLANTING', 'LOGIC_GDLX_GRADE', 'LOGIC_KCXS_KCDLBM', 'LOGIC_NON_CULTIVATED_DEDUCTION', 'LOGIC_XZDWKD_LINEAR', 'LOGIC_CONSTRUCTION_CZCSXM', 'LOGIC_KCMJ', 'LOGIC_TBDLMJ'],
    build() {
      const clean = [dltb('0101', square(0, 0), { KCXS: 0.05, KCDLBM: '1203' }), dltb('0702', square(1, 0)), dltb('1107', square(2, 0))];
      const noGrade = dltb('0101', square(3, 0), { GDPDJB: '' });
      const noPlanting = dltb('0101', square(4, 0), { ZZSXDM: '', ZZSXMC: '' });
      const terraceOnFlat = dltb('0101', square(5, 0), { GDPDJB: '1', GDLX: 'PD' });
      const deductionNoClass = dltb('0101', square(6, 0), { KCXS: 0.05 });
      const forestDeduction = dltb('0301', square(7, 0), { KCXS: 0.02, KCDLBM: '1203' });
      const widthOffLinear = dltb('0702', square(8, 0), { XZDWKD: 5 });
      const noCzcsxm = dltb('0702', square(9, 0), { CZCSXM: '' });
      const wrongKcmj = dltb('0101', square(10, 0), { KCXS: 0.1, KCDLBM: '1203' });
      wrongKcmj.attributes.KCMJ = Number(wrongKcmj.attributes.KCMJ) + 5;
      wrongKcmj.attributes.TBDLMJ = Number(wrongKcmj.attributes.TBMJ) - Number(wrongKcmj.attributes.KCMJ);
      const wrongNet = dltb('0101', square(11, 0));
      wrongNet.attributes.TBDLMJ = Number(wrongNet.attributes.TBDLMJ) - 1;
      // An unknown class (ATTR_CODE_DLBM's finding) is not judged by the class rules as well.
      const unknownClass = dltb('0101', square(12, 0), { DLBM: '0199', GDPDJB: '', ZZSXDM: '', ZZSXMC: '', KCXS: 0.05, KCDLBM: '1203', XZDWKD: 4 });
      return {
        DLTB: [...clean, noGrade, noPlanting, terraceOnFlat, deductionNoClass, forestDeduction, widthOffLinear, noCzcsxm, wrongKcmj, wrongNet, unknownClass],
        expect: [
          find('LOGIC_CULTIVATED_GRADE', noGrade), find('LOGIC_CULTIVATED_PLANTING', noPlanting), find('LOGIC_GDLX_GRADE', terraceOnFlat),
          find('LOGIC_KCXS_KCDLBM', deductionNoClass), find('LOGIC_NON_CULTIVATED_DEDUCTION', forestDeduction), find('LOGIC_XZDWKD_LINEAR', widthOffLinear),
          find('LOGIC_CONSTRUCTION_CZCSXM', noCzcsxm), find('LOGIC_KCMJ', wrongKcmj), find('LOGIC_TBDLMJ', wrongNet),
        ],
      };
    },
  },
  {
    name: 'geometry',
    description:
      'A bow-tie (self-intersection), a spike, and a parcel of two separate parts; a clean square passes. ' +
      'Validity as delivered against after the transform to EPSG:4490 (100 m squares, whose east-west edges bow about 1.1e-9° north of their ' +
      'chords once transformed): invalid as drawn are a ring touching itself on its bottom edge (valid once transformed: the touching vertex moves ' +
      'into the parcel) and one touching itself on its top edge (still invalid); valid as drawn but invalid once transformed are a hole touching the ' +
      'top edge, a second part touching the bottom edge from below, and a vertex 0.05 mm inside the top edge, which the transform moves across it; ' +
      'a hole touching the bottom edge and a vertex 0.05 mm inside the bottom edge stay valid.',
    rules: ['GEOM_INVALID', 'GEOM_INVALID_AFTER_TRANSFORM', 'GEOM_MULTIPART'],
    build() {
      const ok = dltb('0101', square(0, 0));
      const bowTie = dltb('0101', bowTieSquare(60, 0), { TBMJ: 2500 });
      const [p, q, r, s] = rect(120, 0, 50, 50);
      const tip: [number, number] = [E0 + 145, N0 + 80];
      const mid: [number, number] = [E0 + 145, N0 + 50];
      const spike = dltb('0101', [[[p!, q!, r!, mid, tip, mid, s!, p!]]], { TBMJ: 2500 });
      const twoParts = dltb('0101', [[rect(180, 0, 20, 20)], [rect(220, 0, 20, 20)]]);
      /** A ring (metres from the origin, counter-clockwise) of a 100 m square at (x, 0). */
      const at = (x: number, points: [number, number][]): Ring => points.map(([px, py]) => [E0 + x + px, N0 + py]);
      const shell: [number, number][] = [[0, 0], [100, 0], [100, 100], [0, 100], [0, 0]];
      // the ring runs down to the middle of its own bottom (top) edge and back: it touches itself there
      const touchesBottom = dltb('0101', [[at(300, [[0, 0], [100, 0], [100, 100], [60, 100], [50, 0], [40, 100], [0, 100], [0, 0]])]]);
      const touchesTop = dltb('0101', [[at(420, [[0, 0], [40, 0], [50, 100], [60, 0], [100, 0], [100, 100], [0, 100], [0, 0]])]]);
      const holeOnTop = dltb('0101', [[at(540, shell), at(540, [[50, 100], [60, 80], [40, 80], [50, 100]])]]);
      const holeOnBottom = dltb('0101', [[at(660, shell), at(660, [[50, 0], [40, 20], [60, 20], [50, 0]])]]);
      const partBelow = dltb('0101', [[at(780, shell)], [at(780, [[50, 0], [40, -20], [60, -20], [50, 0]])]]);
      const nearTop = dltb('0101', [[at(900, [[0, 0], [40, 0], [50, 99.99995], [60, 0], [100, 0], [100, 100], [0, 100], [0, 0]])]]);
      const nearBottom = dltb('0101', [[at(1020, [[0, 0], [100, 0], [100, 100], [60, 100], [50, 0.00005], [40, 100], [0, 100], [0, 0]])]]);
      return {
        DLTB: [ok, bowTie, spike, twoParts, touchesBottom, touchesTop, holeOnTop, holeOnBottom, partBelow, nearTop, nearBottom],
        expect: [
          find('GEOM_INVALID', bowTie), find('GEOM_INVALID', spike), find('GEOM_INVALID', touchesBottom), find('GEOM_INVALID', touchesTop),
          find('GEOM_INVALID_AFTER_TRANSFORM', holeOnTop), find('GEOM_INVALID_AFTER_TRANSFORM', partBelow), find('GEOM_INVALID_AFTER_TRANSFORM', nearTop),
          find('GEOM_MULTIPART', twoParts), find('GEOM_MULTIPART', partBelow),
        ],
      };
    },
  },
  {
    name: 'overlap',
    description:
      'DLTB: a parcel reaching 10 m into its neighbour (500 m² overlap), a parcel drawn twice, and squares that only touch. ' +
      'YJJBNTTB: farmland drawn on the touching squares (no overlap), twice on the same square (overlap), and a farmland parcel reaching into another (overlap).',
    rules: ['TOPO_OVERLAP'],
    build() {
      const left = dltb('0101', square(0, 0));
      const intruder = dltb('0101', [[rect(40, 0, 60, 50)]]);
      const touching = dltb('0101', square(2, 0));
      const copy = dltb('0101', square(4, 0));
      const again = dltb('0101', square(4, 0));
      const east = dltb('0101', square(6, 0));
      const west = dltb('0101', square(7, 0));
      const onEast = farmland(east, square(6, 0));
      const onWest = farmland(west, square(7, 0));
      const onEastAgain = farmland(east, square(6, 0));
      const onTouching = farmland(touching, square(2, 0));
      const reaching = farmland(null, [[rect(140, 0, 20, 50)]]);
      return {
        DLTB: [left, intruder, touching, copy, again, east, west],
        YJJBNTTB: [onEast, onWest, onEastAgain, onTouching, reaching],
        expect: [find('TOPO_OVERLAP', left, intruder), find('TOPO_OVERLAP', copy, again), find('TOPO_OVERLAP', onEast, onEastAgain), find('TOPO_OVERLAP', onTouching, reaching)],
      };
    },
  },
  {
    name: 'gap',
    description:
      'A 3×3 block of 50 m squares whose centre parcel stops 5 m short of its neighbours all round (a 900 m² ring-shaped gap), and a corner parcel drawn as a bow-tie: ' +
      'an invalid parcel counts as covering its convex hull, so its fault makes no gap. The package covers its own 行政区 (extent xzq).',
    rules: ['TOPO_GAP'],
    params: { TOPO_GAP: { extent: 'xzq' } },
    build() {
      const parcels: Parcel[] = [];
      for (let j = 0; j < 3; j++) {
        for (let i = 0; i < 3; i++) {
          if (i === 1 && j === 1) parcels.push(dltb('0101', [[rect(55, 55, 40, 40)]]));
          else if (i === 2 && j === 2) {
            parcels.push(dltb('0101', bowTieSquare(100, 100), { TBMJ: 2500 }));
          } else parcels.push(dltb('0101', square(i, j)));
        }
      }
      return { DLTB: parcels, XZQ: { rings: [[rect(0, 0, 150, 150)]] }, expect: [{ rule: 'TOPO_GAP', bsm: parcels[0]!.bsm }] };
    },
  },
  {
    name: 'outside-district',
    description: 'A parcel in the sea east of 崇明区 and a parcel astride the district outline; one well inside passes.',
    rules: ['TOPO_OUTSIDE_DISTRICT'],
    build() {
      const inside = dltb('0101', square(0, 0));
      const [sx, sy] = projection.forward(122.3, 31.5);
      const sea = dltb('1101', [[[[sx, sy], [sx + 60, sy], [sx + 60, sy + 60], [sx, sy + 60], [sx, sy]]]]);
      // A 100 m square centred on a vertex of the outline's southernmost stretch: about half of it lies outside.
      const outline = districtOutlines().outlines.find((d) => d.code === '310151')!.coordinates[0]![0]!;
      const vertex = outline.reduce((low, point) => (point[1]! < low[1]! ? point : low));
      const [vx, vy] = projection.forward(vertex[0]!, vertex[1]!);
      const astride = dltb('1101', [[[[vx - 50, vy - 50], [vx + 50, vy - 50], [vx + 50, vy + 50], [vx - 50, vy + 50], [vx - 50, vy - 50]]]]);
      return { DLTB: [inside, sea, astride], expect: [find('TOPO_OUTSIDE_DISTRICT', sea), find('TOPO_OUTSIDE_DISTRICT', astride)] };
    },
  },
  {
    name: 'sliver',
    description: 'Parcels under the minimum mapping area of their class group (100 m² of 水田 < 400, 100 m² of 宅基地 < 200, 500 m² of river < 600) and one just above (256 m² of 宅基地).',
    rules: ['TOPO_SLIVER'],
    build() {
      const paddy = dltb('0101', [[rect(0, 0, 10, 10)]]);
      const house = dltb('0702', [[rect(20, 0, 10, 10)]]);
      const bigHouse = dltb('0702', [[rect(40, 0, 16, 16)]]);
      const river = dltb('1101', [[rect(60, 0, 20, 25)]]);
      return { DLTB: [paddy, house, bigHouse, river], expect: [find('TOPO_SLIVER', paddy), find('TOPO_SLIVER', house), find('TOPO_SLIVER', river)] };
    },
  },
  {
    name: 'farmland-on-cultivated',
    description: 'Permanent basic farmland on a 水田 parcel (passes), on a 宅基地 parcel, and half on 水田, half on 乔木林地.',
    rules: ['TOPO_FARMLAND_ON_CULTIVATED'],
    build() {
      const paddy = dltb('0101', square(0, 0));
      const house = dltb('0702', square(1, 0));
      const paddy2 = dltb('0101', square(2, 0));
      const forest = dltb('0301', square(3, 0));
      const onPaddy = farmland(paddy, square(0, 0));
      const onHouse = farmland(house, square(1, 0));
      const half = farmland(paddy2, [[rect(125, 0, 50, 50)]]);
      return { DLTB: [paddy, house, paddy2, forest], YJJBNTTB: [onPaddy, onHouse, half], expect: [find('TOPO_FARMLAND_ON_CULTIVATED', onHouse), find('TOPO_FARMLAND_ON_CULTIVATED', half)] };
    },
  },
  {
    name: 'area',
    description: 'TBMJ 1 m² over and 0.02 m² under the ellipsoidal area, one exact; the few parcels are far from 崇明区 control area.',
    rules: ['AREA_TBMJ', 'AREA_DISTRICT_TOTAL'],
    build() {
      const exact = dltb('0101', square(0, 0));
      const over = dltb('0101', square(1, 0));
      over.attributes.TBMJ = Math.round((Number(over.attributes.TBMJ) + 1) * 100) / 100;
      over.attributes.TBDLMJ = over.attributes.TBMJ;
      const under = dltb('0101', square(2, 0));
      under.attributes.TBMJ = Math.round((Number(under.attributes.TBMJ) - 0.02) * 100) / 100;
      under.attributes.TBDLMJ = under.attributes.TBMJ;
      return { DLTB: [exact, over, under], expect: [find('AREA_TBMJ', over), find('AREA_TBMJ', under), find('AREA_DISTRICT_TOTAL', null)] };
    },
  },
  {
    name: 'package-kind',
    description:
      'Three clean 水田 squares with no change fields (BGQBSM, BGRQ): a baseline, uploaded under the 2020 land-use change survey. One finding for the package, not one per record.',
    rules: ['PKG_KIND_MATCHES_SURVEY'],
    survey: { kind: 'land_use_change', year: 2020 },
    build() {
      return { DLTB: paddies(3), expect: [{ rule: 'PKG_KIND_MATCHES_SURVEY', bsm: null }] };
    },
  },
  {
    name: 'baseline-exists',
    description: 'A district whose baseline of three 水田 squares is applied receives a second baseline of the same squares under the national survey: it could never be applied.',
    rules: ['PKG_BASELINE_EXISTS'],
    district: '310117',
    build() {
      const baseline = paddies(3);
      return { baseline, DLTB: paddies(3), expect: [{ rule: 'PKG_BASELINE_EXISTS', bsm: null }] };
    },
  },
  // Change packages (变更调查, 2020), each over a baseline of 100 m squares of 水田 in its own district.
  {
    name: 'change-date',
    description:
      'Five 水田 squares reclassified as 乔木林地 in the 2020 change survey: one record without BGRQ, one dated 2020-02-30 (no such day), one dated 2021-03-01 (after the survey year); ' +
      'those dated 2020-06-30 and 20200815 (YYYYMMDD) pass.',
    rules: ['CHG_DATE'],
    district: '310112',
    survey: { kind: 'land_use_change', year: 2020 },
    build() {
      const baseline = paddies(5);
      const [a, b, c, d, e] = baseline as [Parcel, Parcel, Parcel, Parcel, Parcel];
      const noDate = changed('0301', square(0, 0, 100), [a], null, '地类变更', a);
      const notADay = changed('0301', square(1, 0, 100), [b], '2020-02-30', '地类变更', b);
      const nextYear = changed('0301', square(2, 0, 100), [c], '2021-03-01', '地类变更', c);
      const ok = changed('0301', square(3, 0, 100), [d], '2020-06-30', '地类变更', d);
      const compact = changed('0301', square(4, 0, 100), [e], '20200815', '地类变更', e);
      return { baseline, DLTB: [noDate, notADay, nextYear, ok, compact], expect: [find('CHG_DATE', noDate), find('CHG_DATE', notADay), find('CHG_DATE', nextYear)] };
    },
  },
  {
    name: 'change-predecessor',
    description:
      'Over six 水田 squares A–F: a record naming a predecessor BSM no parcel has; the new version of C carrying the BSM of B (a current parcel it does not replace); ' +
      'D split in two halves dated 2020-05-01 and 2020-07-01 (replaced on two dates); E reclassified on 2019-12-31, the day its version began; F reclassified on 2020-06-30 passes.',
    rules: ['CHG_PREDECESSOR'],
    district: '310113',
    survey: { kind: 'land_use_change', year: 2020 },
    build() {
      const baseline = paddies(6);
      const [a, b, c, d, e, f] = baseline as [Parcel, Parcel, Parcel, Parcel, Parcel, Parcel];
      const ghost = `${a.bsm.slice(0, -4)}9999`;
      const unknown = changed('0301', square(0, 0, 100), [ghost], '2020-05-01', '地类变更');
      const takesB = changed('0301', square(2, 0, 100), [c], '2020-05-01', '地类变更', b);
      const firstHalf = changed('0301', [[rect(300, 0, 50, 100)]], [d], '2020-05-01', '分割');
      const secondHalf = changed('0702', [[rect(350, 0, 50, 100)]], [d], '2020-07-01', '分割');
      const sameDay = changed('0301', square(4, 0, 100), [e], '2019-12-31', '地类变更', e);
      const ok = changed('0301', square(5, 0, 100), [f], '2020-06-30', '地类变更', f);
      return {
        baseline,
        DLTB: [unknown, takesB, firstHalf, secondHalf, sameDay, ok],
        expect: [
          { rule: 'CHG_PREDECESSOR', bsm: unknown.bsm, otherBsm: ghost }, { rule: 'CHG_PREDECESSOR', bsm: b.bsm, otherBsm: null },
          find('CHG_PREDECESSOR', firstHalf, d), find('CHG_PREDECESSOR', secondHalf, d), find('CHG_PREDECESSOR', sameDay, e),
        ],
      };
    },
  },
  {
    name: 'change-coverage',
    description:
      'Over two rows of 水田 squares, A B C below D E F: A replaced by a parcel 50 m taller (reaching over the unchanged D); B split into two 40 m strips 20 m apart (a 2000 m² gap in B); ' +
      'C split into two halves (passes); F replaced by a parcel 30 m taller (reaching over land no parcel covered).',
    rules: ['CHG_COVERAGE'],
    district: '310114',
    survey: { kind: 'land_use_change', year: 2020 },
    build() {
      const baseline = [...paddies(3), ...paddies(3, 1)];
      const [a, b, c, d, , f] = baseline as [Parcel, Parcel, Parcel, Parcel, Parcel, Parcel];
      const taller = changed('0702', [[rect(0, 0, 100, 150)]], [a], '2020-05-01', '地类变更');
      const gapWest = changed('0101', [[rect(100, 0, 40, 100)]], [b], '2020-05-01', '分割');
      const gapEast = changed('0702', [[rect(160, 0, 40, 100)]], [b], '2020-05-01', '分割');
      const west = changed('0101', [[rect(200, 0, 50, 100)]], [c], '2020-06-30', '分割');
      const east = changed('0702', [[rect(250, 0, 50, 100)]], [c], '2020-06-30', '分割');
      const beyond = changed('0301', [[rect(200, 100, 100, 130)]], [f], '2020-06-30', '地类变更', f);
      return {
        baseline,
        DLTB: [taller, gapWest, gapEast, west, east, beyond],
        expect: [find('CHG_COVERAGE', taller, d), { rule: 'CHG_COVERAGE', bsm: b.bsm, otherBsm: null }, { rule: 'CHG_COVERAGE', bsm: beyond.bsm, otherBsm: null }],
      };
    },
  },
  {
    name: 'change-area',
    description:
      'Over three 水田 squares A B C (30 000 m²): A reclassified as it is, B and C merged into one parcel reaching 100 m east beyond C, with no boundary change declared: ' +
      'the new parcels add up to about 10 000 m² more than those they replace (one finding for the package).',
    rules: ['CHG_AREA_CONSERVED'],
    district: '310116',
    survey: { kind: 'land_use_change', year: 2020 },
    build() {
      const baseline = paddies(3);
      const [a, b, c] = baseline as [Parcel, Parcel, Parcel];
      const same = changed('0301', square(0, 0, 100), [a], '2020-06-30', '地类变更', a);
      const merged = changed('0702', [[rect(100, 0, 300, 100)]], [b, c], '2020-06-30', '合并');
      return { baseline, DLTB: [same, merged], expect: [{ rule: 'CHG_AREA_CONSERVED', bsm: null }] };
    },
  },
];

/** Writes one folder per rule of the case, named by the rule: the case's package, that rule's expectations. Returns the folder names. */
function writeCase(definition: CaseDefinition): string[] {
  return definition.rules.map((rule) => {
    sequence = 0;
    writeFolder(rule, definition, rule);
    return rule;
  });
}

function writeFolder(name: string, definition: CaseDefinition, rule: string): void {
  useDistrict(definition.district ?? '310151');
  const built = definition.build();
  const dir = path.join(QUALITY_FIXTURES, name, 'in');
  fs.rmSync(path.join(QUALITY_FIXTURES, name), { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'DLTB.geojson'), layer('DLTB', built.DLTB));
  if (built.baseline) {
    fs.mkdirSync(path.join(dir, 'baseline'));
    fs.writeFileSync(path.join(dir, 'baseline', 'DLTB.geojson'), layer('DLTB', built.baseline));
  }
  if (built.YJJBNTTB) fs.writeFileSync(path.join(dir, 'YJJBNTTB.geojson'), layer('YJJBNTTB', built.YJJBNTTB));
  if (built.XZQ) {
    const xzq: Parcel = { bsm: '', rings: built.XZQ.rings, attributes: { XZQDM: '310151', XZQMC: '崇明区', KZMJ: area(built.XZQ.rings), DCMJ: area(built.XZQ.rings), MSSM: '00' } };
    fs.writeFileSync(path.join(dir, 'XZQ.geojson'), layer('XZQ', [xzq]));
  }
  const params = definition.params?.[rule];
  const fixture: FixtureCase = {
    description: `${definition.description} (case ${definition.name})`,
    district,
    ...(built.baseline ? { baseline: true } : {}),
    ...(definition.survey ? { survey: definition.survey } : {}),
    rules: [rule],
    ...(params ? { params: { [rule]: params } } : {}),
    expect: built.expect.filter((expected) => expected.rule === rule),
  };
  fs.writeFileSync(path.join(dir, 'case.json'), `${JSON.stringify(fixture, null, 2)}\n`);
}

const only = process.argv.slice(2);
const selected = CASES.filter((definition) => only.length === 0 || only.includes(definition.name) || definition.rules.some((rule) => only.includes(rule)));
// A full run starts from nothing, so a case or rule that was removed leaves no folder behind.
if (only.length === 0) fs.rmSync(QUALITY_FIXTURES, { recursive: true, force: true });
const folders = selected.flatMap((definition) => writeCase(definition));
console.log(`wrote in/ of ${folders.length} rule folder(s) from ${selected.length} case(s); running the engine (embedded) …`);
const db = await openEmbeddedDatabase({ dataDir: 'memory://' });
try {
  await migrate(db);
  await loadReferenceData(db);
  await seedDemo(db);
  for (const folder of folders) {
    const findings = await runFixtureCase(db, folder);
    const out = path.join(QUALITY_FIXTURES, folder, 'out');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'findings.json'), `${JSON.stringify(findings, null, 2)}\n`);
    console.log(`  ${folder.padEnd(32)} ${findings.length} finding(s)`);
  }
} finally {
  await db.close();
}
