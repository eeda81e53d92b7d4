// Validity is judged on the geometry as the package delivered it (issue 13, item 2). A Gauss-Kruger
// package (EPSG:4549: CGCS2000 3° CM 120E, no zone number in the easting) of 崇明区 parcels, GBK
// shapefile, through the real import path: parcels invalid as drawn (bow-ties, spikes, rings that
// touch themselves) and parcels valid as drawn that the transform to EPSG:4490 makes invalid (a
// vertex on or a hair from another edge, which the transform moves across it: a straight
// east-west edge of Gauss-Kruger bows about 1.1e-9° north of its chord in longitude/latitude per
// 100 m²). PostGIS itself says which parcel is which; GEOM_INVALID must report exactly the first
// set and GEOM_INVALID_AFTER_TRANSFORM exactly the second, each with its reason and place.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import proj4 from 'proj4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { asSystem } from '../../server/db/context.ts';
import { proj4Definition } from '../../server/modules/ingest/crs.ts';
import { ImportQueue } from '../../server/modules/ingest/jobs.ts';
import { receivePackage } from '../../server/modules/ingest/upload.ts';
import { runChecks } from '../../server/modules/quality/engine.ts';
import { listFindings, type FindingRow } from '../../server/modules/quality/repository.ts';
import type { ShapefileRecord } from '../../server/seed/generator/shapefile-writer.ts';
import { seedDemo } from '../../server/seed/demo.ts';
import { ENGINES, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { dltbRecord, tempDir, writeLayer, zipFolder } from '../support/packages.ts';

const EPSG = 4549;
const PRJ =
  'PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",' +
  'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],' +
  'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],' +
  'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],' +
  'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]';
const RULES = ['GEOM_INVALID', 'GEOM_INVALID_AFTER_TRANSFORM'];

type Point = [number, number];
/** polygons, each its rings, each its points (metres from the parcel's corner; closed) */
type Shape = Point[][][];
type Verdict = 'invalid as drawn' | 'invalid after the transform' | 'valid';

/**
 * Parcels of side L (m), their south-west corner at the origin, and what they were built to be.
 * `gap` is how far a vertex stays inside an edge: 0.04 mm per (L / 100 m)², a third of the bow.
 */
const KINDS: { name: string; intended: Verdict; shape: (L: number) => Shape }[] = [
  { name: 'square', intended: 'valid', shape: (L) => [[square(L)]] },
  { name: 'bow-tie', intended: 'invalid as drawn', shape: (L) => [[[[0, 0], [L, L], [L, 0], [0, L], [0, 0]]]] },
  { name: 'spike', intended: 'invalid as drawn', shape: (L) => [[[[0, 0], [L, 0], [L, L], [L / 2, L], [L / 2, 1.3 * L], [L / 2, L], [0, L], [0, 0]]]] },
  // the ring runs down to the middle of its own bottom edge and back: it touches itself there; the
  // transform moves that vertex north, into the parcel, and the ring comes apart (valid after)
  { name: 'ring touching its bottom edge', intended: 'invalid as drawn', shape: (L) => [[[[0, 0], [L, 0], [L, L], [0.6 * L, L], [L / 2, 0], [0.4 * L, L], [0, L], [0, 0]]]] },
  { name: 'ring touching its top edge', intended: 'invalid as drawn', shape: (L) => [[[[0, 0], [0.4 * L, 0], [L / 2, L], [0.6 * L, 0], [L, 0], [L, L], [0, L], [0, 0]]]] },
  { name: 'hole touching the top edge', intended: 'invalid after the transform', shape: (L) => [[square(L), [[L / 2, L], [0.6 * L, 0.8 * L], [0.4 * L, 0.8 * L], [L / 2, L]]]] },
  { name: 'hole touching the bottom edge', intended: 'valid', shape: (L) => [[square(L), [[L / 2, 0], [0.4 * L, 0.2 * L], [0.6 * L, 0.2 * L], [L / 2, 0]]]] },
  { name: 'part touching the bottom edge from below', intended: 'invalid after the transform', shape: (L) => [[square(L)], [[[L / 2, 0], [0.4 * L, -0.2 * L], [0.6 * L, -0.2 * L], [L / 2, 0]]]] },
  { name: 'vertex a hair inside the top edge', intended: 'invalid after the transform', shape: (L) => [[[[0, 0], [0.4 * L, 0], [L / 2, L - gap(L)], [0.6 * L, 0], [L, 0], [L, L], [0, L], [0, 0]]]] },
  { name: 'vertex a hair inside the bottom edge', intended: 'valid', shape: (L) => [[[[0, 0], [L, 0], [L, L], [0.6 * L, L], [L / 2, gap(L)], [0.4 * L, L], [0, L], [0, 0]]]] },
];
const SIDES = [100, 200, 60];
const COPIES = 4;

function square(L: number): Point[] {
  return [[0, 0], [L, 0], [L, L], [0, L], [0, 0]];
}

function gap(L: number): number {
  return 0.00004 * (L / 100) ** 2;
}

interface Parcel {
  bsm: string;
  kind: string;
  intended: Verdict;
  shape: Shape;
  /** delivered box [minX, minY, maxX, maxY] */
  box: number[];
}

/** Parcels on a 500 m grid east of 崇明岛's middle (121.55°E, 31.62°N): kinds along x, sizes and copies along y. */
function buildParcels(): Parcel[] {
  const [E0, N0] = proj4(proj4Definition(4490), proj4Definition(EPSG), [121.55, 31.62]).map((v) => Math.round(v)) as Point;
  const parcels: Parcel[] = [];
  SIDES.forEach((L, s) => {
    for (let copy = 0; copy < COPIES; copy++) {
      KINDS.forEach((kind, k) => {
        const [x0, y0] = [E0 + k * 500, N0 + (s * COPIES + copy) * 500];
        const shape = kind.shape(L).map((polygon) => polygon.map((ring) => ring.map(([x, y]) => [x0 + x, y0 + y] as Point)));
        const xs = shape.flat(2).map((p) => p[0]);
        const ys = shape.flat(2).map((p) => p[1]);
        const index = parcels.length + 1;
        parcels.push({ bsm: String((dltbRecord(index).attributes as Record<string, unknown>).BSM), kind: `${kind.name} (${L} m)`, intended: kind.intended, shape, box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] });
      });
    }
  });
  return parcels;
}

const PARCELS = buildParcels();

function wkt(shape: Shape): string {
  return `MULTIPOLYGON(${shape.map((polygon) => `(${polygon.map((ring) => `(${ring.map(([x, y]) => `${x} ${y}`).join(',')})`).join(',')})`).join(',')})`;
}

async function packageZip(): Promise<Buffer> {
  const dir = tempDir();
  const records: ShapefileRecord[] = PARCELS.map((parcel, i) => ({
    geometry: parcel.shape.map((polygon) => polygon.map((ring) => ring.flat())),
    attributes: dltbRecord(i + 1).attributes,
  }));
  await writeLayer(dir, 'DLTB', records, { prj: PRJ });
  return zipFolder(dir);
}

const bsms = (findings: FindingRow[], rule: string) => findings.filter((f) => f.ruleId === rule).map((f) => f.bsm).sort();

describe.each(ENGINES)('validity as delivered and after the transform on the %s engine', (engine) => {
  let test: TestDatabase;
  let submissionId: string;
  /** PostGIS's own verdict on each parcel, by BSM */
  const verdicts = new Map<string, Verdict>();
  /** the parcels PostGIS finds invalid once transformed to EPSG:4490 */
  const invalidTransformed: string[] = [];

  beforeAll(async () => {
    test = await openTestDatabase(engine);
    await seedDemo(test.db);
    const rows = await test.db.scriptTransaction((exec) =>
      exec(
        `SELECT p.bsm, ST_IsValid(d) AS delivered, ST_IsValid(ST_Transform(d, 4490)) AS transformed
           FROM jsonb_to_recordset($1::jsonb) AS p(bsm text, wkt text), LATERAL (SELECT ST_GeomFromText(p.wkt, ${EPSG}) AS d) g`,
        [JSON.stringify(PARCELS.map((parcel) => ({ bsm: parcel.bsm, wkt: wkt(parcel.shape) })))],
      ),
    );
    for (const row of rows) {
      verdicts.set(String(row.bsm), !row.delivered ? 'invalid as drawn' : !row.transformed ? 'invalid after the transform' : 'valid');
      if (!row.transformed) invalidTransformed.push(String(row.bsm));
    }

    const config = loadConfig({ LOG_LEVEL: 'silent', ARCHIVE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'lsp-validity-archive-')) });
    const queue = new ImportQueue(test.db, config.ingest, { info: () => undefined, warn: () => undefined, error: () => undefined });
    const national = await test.db.kysely.selectFrom('surveys').select('id').where('kind', '=', 'national').orderBy('year').executeTakeFirstOrThrow();
    const accepted = await receivePackage(
      test.db,
      config.ingest,
      queue,
      Readable.from([await packageZip()]),
      { surveyId: national.id, districtCode: '310151', fileName: '崇明区-高斯克吕格.zip', encoding: null, epsg: null, uploadedBy: null, surveyorId: null },
      (work) => asSystem(test.db, work),
    );
    const outcome = await accepted.outcome;
    if (outcome.error) throw new Error(`${outcome.error.code} ${outcome.error.en}`);
    expect(outcome.report?.layers[0]?.crs.epsg).toBe(EPSG);
    submissionId = accepted.submissionId;
  }, 120_000);
  afterAll(() => test?.drop());

  async function check(): Promise<FindingRow[]> {
    const run = await runChecks(test.db, submissionId, { startedBy: null, only: RULES });
    return listFindings(test.db.kysely, run.runId, {}, { limit: 10_000, offset: 0 });
  }

  it('the package holds what it was built to hold, as PostGIS judges it', () => {
    expect(PARCELS.map((parcel) => `${parcel.kind}: ${verdicts.get(parcel.bsm)}`)).toEqual(PARCELS.map((parcel) => `${parcel.kind}: ${parcel.intended}`));
  });

  it('GEOM_INVALID reports the parcels invalid as drawn; GEOM_INVALID_AFTER_TRANSFORM those only the transform made invalid', async () => {
    const findings = await check();
    const expected = (verdict: Verdict) => PARCELS.filter((parcel) => verdicts.get(parcel.bsm) === verdict).map((parcel) => parcel.bsm).sort();
    expect(bsms(findings, 'GEOM_INVALID')).toEqual(expected('invalid as drawn'));
    expect(bsms(findings, 'GEOM_INVALID_AFTER_TRANSFORM')).toEqual(expected('invalid after the transform'));
    expect(expected('invalid after the transform').length).toBe(3 * SIDES.length * COPIES);

    for (const finding of findings) {
      const parcel = PARCELS.find((p) => p.bsm === finding.bsm)!;
      // the reason, whole in each language
      expect(finding.message.zh).toMatch(finding.ruleId === 'GEOM_INVALID' ? /^几何图形无效：(自相交|环自相交|尖刺)/ : /^转换为 CGCS2000 经纬度（EPSG:4490）后几何图形无效：自相交/);
      expect(finding.message.zh.replace(/CGCS2000|EPSG:\d+/g, '')).not.toMatch(/[A-Za-z]/);
      expect(finding.message.en).toMatch(/self-intersection|spike/);
      // the place: in the parcel, in the surveyor's own coordinates and on the map (EPSG:4490)
      expect(finding.details?.deliveredSrid).toBe(EPSG);
      const [x, y] = finding.details!.deliveredLocation as number[];
      expect(x! >= parcel.box[0]! - 1e-6 && x! <= parcel.box[2]! + 1e-6 && y! >= parcel.box[1]! - 1e-6 && y! <= parcel.box[3]! + 1e-6, `${parcel.kind} at ${x}, ${y}`).toBe(true);
      expect(finding.message.zh).toContain(`${x!.toFixed(3)}, ${y!.toFixed(3)}`);
      const [lon, lat] = proj4(proj4Definition(EPSG), proj4Definition(4490), [x!, y!]);
      const point = finding.geometry as { type: string; coordinates: number[] };
      expect(point.type).toBe('Point');
      // (findings come back to 7 decimals; details.location keeps 9)
      expect(Math.hypot(point.coordinates[0]! - lon!, point.coordinates[1]! - lat!)).toBeLessThan(1e-7);
      const [dLon, dLat] = finding.details!.location as number[];
      expect(Math.hypot(dLon! - lon!, dLat! - lat!)).toBeLessThan(1e-9);
    }
    // The transform's findings point at the vertex the transform moved across an edge.
    for (const finding of findings.filter((f) => f.ruleId === 'GEOM_INVALID_AFTER_TRANSFORM')) {
      const vertices = PARCELS.find((p) => p.bsm === finding.bsm)!.shape.flat(2);
      const [x, y] = finding.details!.deliveredLocation as number[];
      expect(vertices.some(([vx, vy]) => Math.hypot(vx - x!, vy - y!) < 1e-4), `${x}, ${y}`).toBe(true);
    }
  });

  it('checks staging imported before validity was judged as delivered as it did then', async () => {
    // Such a report has no validityAsDelivered and such staging no delivered geometry: the stored
    // geometry is judged, and nothing can be said about the transform.
    await test.db.scriptTransaction(async (exec) => {
      await exec(
        `UPDATE submissions SET report = jsonb_set(report, '{layers}', (SELECT jsonb_agg(l - 'validityAsDelivered') FROM jsonb_array_elements(report->'layers') l)) WHERE id = $1`,
        [submissionId],
      );
      await exec(`UPDATE staged_land_use_parcels SET delivered_geom = NULL WHERE submission_id = $1`, [submissionId]);
    });
    const findings = await check();
    expect(bsms(findings, 'GEOM_INVALID')).toEqual([...invalidTransformed].sort());
    expect(bsms(findings, 'GEOM_INVALID_AFTER_TRANSFORM')).toEqual([]);
  });
});
