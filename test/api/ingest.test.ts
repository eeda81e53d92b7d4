// Uploading survey packages through the API: a real GBK 三调 package lands whole with its report;
// every kind of bad input is refused with a located, bilingual error and stores nothing.
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD, nationalSurveyId } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { dltbPackage, dltbRecord, DLTB_FIELDS, square, SQUARE_TBMJ, tempDir, writeLayer, zipEntries, zipFolder } from '../support/packages.ts';
import { expectError } from './helpers.ts';

interface SubmissionDetail {
  id: string;
  state: string;
  format: string | null;
  report: {
    error?: { code: string; message: { zh: string; en: string }; details?: Record<string, unknown> };
    layers?: {
      code: string;
      records: number;
      crs: { epsg: number; source: string };
      encoding: { name: string; source: string } | null;
      unknownFields: string[];
      missingFields: string[];
      warnings: string[];
    }[];
    unknownLayers?: { name: string }[];
    records?: number;
  } | null;
}

describe.each(ENGINES)('package upload on the %s engine', (engine) => {
  let test: TestApp;
  let chongming: TestClient;
  let admin: TestClient;
  let surveyId: string;
  const archiveDir = tempDir('lsp-archive-');

  beforeAll(async () => {
    test = await openTestApp(engine, { LOGIN_RATE_LIMIT_PER_MINUTE: '1000', ARCHIVE_DIR: archiveDir, IMPORT_WORK_DIR: tempDir('lsp-work-'), IMPORT_BATCH_RECORDS: '2' });
    chongming = new TestClient(test.app);
    admin = new TestClient(test.app);
    expect((await chongming.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    surveyId = await nationalSurveyId(test.db);
  });
  afterAll(() => test?.drop());

  const uploadUrl = (query = '') => `/api/submissions?surveyId=${surveyId}${query}`;

  async function finished(id: string): Promise<SubmissionDetail> {
    await test.app.imports.idle();
    const response = await chongming.get(`/api/submissions/${id}`);
    expect(response.statusCode).toBe(200);
    return response.json<SubmissionDetail>();
  }

  async function stagedRows(submissionId: string | null = null): Promise<number> {
    const rows = await test.db.scriptTransaction((exec) =>
      exec(
        `SELECT (SELECT count(*) FROM staged_land_use_parcels WHERE $1::uuid IS NULL OR submission_id = $1)
              + (SELECT count(*) FROM staged_basic_farmland_parcels WHERE $1::uuid IS NULL OR submission_id = $1)
              + (SELECT count(*) FROM staged_district_boundaries WHERE $1::uuid IS NULL OR submission_id = $1) AS n`,
        [submissionId],
      ),
    );
    return Number(rows[0]!.n);
  }

  async function scratchTables(): Promise<number> {
    const rows = await test.db.scriptTransaction((exec) =>
      exec(`SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'import_work' AND c.relkind = 'r' AND NOT c.relispartition`),
    );
    return Number(rows[0]!.n);
  }

  function archivedFiles(): string[] {
    return fs.readdirSync(archiveDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name);
  }

  /** A refusal at upload: located error, no submission row, no rows, nothing new in the archive. */
  async function expectRefusedAtUpload(fileName: string, content: Buffer, status: number, code: string, query = '') {
    const submissionsBefore = (await test.db.kysely.selectFrom('submissions').select('id').execute()).length;
    const archivedBefore = archivedFiles().length;
    const stagedBefore = await stagedRows();
    const body = expectError(await chongming.upload(uploadUrl(query), fileName, content), status, code);
    expect((await test.db.kysely.selectFrom('submissions').select('id').execute()).length).toBe(submissionsBefore);
    expect(archivedFiles().length).toBe(archivedBefore);
    expect(await stagedRows()).toBe(stagedBefore);
    expect(await scratchTables()).toBe(0);
    return body.error;
  }

  /** A refusal found while reading records: the submission fails with the located error and no rows. */
  async function expectFailedImport(fileName: string, content: Buffer, code: string, query = '') {
    const response = await chongming.upload(uploadUrl(query), fileName, content);
    expect(response.statusCode, response.body).toBe(202);
    const detail = await finished(response.json<{ id: string }>().id);
    expect(detail.state).toBe('failed');
    expect(detail.report?.error?.code).toBe(code);
    expect(detail.report?.error?.message.zh.length).toBeGreaterThan(0);
    expect(detail.report?.error?.message.en.length).toBeGreaterThan(0);
    expect(await stagedRows(detail.id)).toBe(0);
    expect(await scratchTables()).toBe(0);
    return detail.report!.error!;
  }

  it('imports a GBK 三调 package whole, with areas, CRS, encoding and what it did not know in the report', async () => {
    const dir = tempDir();
    const records = [1, 2, 3].map((index) => dltbRecord(index));
    await writeLayer(dir, 'DLTB', records, { fields: [...DLTB_FIELDS, { name: 'LOCALNOTE', type: 'C', length: 20 }] });
    await writeLayer(dir, 'XZQ', [{ geometry: [[square(40_640_000, 3_450_000, 400)]], attributes: { XZQDM: '310151', XZQMC: '崇明区', KZMJ: 159_922.56 } }], {
      fields: [{ name: 'XZQDM', type: 'C', length: 12 }, { name: 'XZQMC', type: 'C', length: 100 }, { name: 'KZMJ', type: 'N', length: 18, decimals: 2 }],
    });
    await writeLayer(dir, 'ROADS', [{ geometry: [[square(40_640_000, 3_450_000)]], attributes: { NAME: '陈海公路' } }], { fields: [{ name: 'NAME', type: 'C', length: 40 }] });
    fs.writeFileSync(path.join(dir, 'readme.txt'), '说明');
    const response = await chongming.upload(uploadUrl(), '崇明区2019年度成果.zip', await zipFolder(dir, '成果/'));
    expect(response.statusCode, response.body).toBe(202);
    const accepted = response.json<{ id: string; sha256: string; sizeBytes: number }>();
    expect(accepted.sha256).toMatch(/^[0-9a-f]{64}$/);

    const detail = await finished(accepted.id);
    // imported, then checked at once (the checks are the quality tests' business)
    expect(['imported', 'checked', 'rejected'], JSON.stringify(detail.report)).toContain(detail.state);
    expect(detail.format).toBe('shapefile');
    const dltb = detail.report!.layers!.find((layer) => layer.code === 'DLTB')!;
    expect(dltb).toMatchObject({ records: 3, crs: { epsg: 4528, source: 'prj' }, encoding: { name: 'gbk', source: 'cpg' }, unknownFields: ['LOCALNOTE'] });
    expect(dltb.missingFields).toContain('TBYBH');
    expect(detail.report!.layers!.map((layer) => layer.code).sort()).toEqual(['DLTB', 'XZQ']);
    expect(detail.report!.unknownLayers!.map((layer) => layer.name)).toEqual(['ROADS']);

    const rows = await test.db.scriptTransaction((exec) =>
      exec(
        `SELECT record_no, bsm, dlmc, qsdwmc, tbmj, area_m2, ST_SRID(geom) AS srid, ST_X(ST_Centroid(geom)) AS lon
         FROM staged_land_use_parcels WHERE submission_id = $1 ORDER BY record_no`,
        [accepted.id],
      ),
    );
    expect(rows.map((row) => [row.record_no, row.dlmc, row.qsdwmc])).toEqual([
      [1, '水田', '崇明区城桥镇长兴村'],
      [2, '农村宅基地', '崇明区城桥镇长兴村'],
      [3, '水田', '崇明区城桥镇长兴村'],
    ]);
    // The ellipsoidal area PostGIS computed equals the AREA.md test vector for this square.
    expect(rows[0]!.area_m2).toBe(SQUARE_TBMJ.toFixed(2));
    expect(rows[0]!.tbmj).toBe(SQUARE_TBMJ.toFixed(2));
    expect(rows[0]!.srid).toBe(4490);
    expect(Number(rows[0]!.lon)).toBeGreaterThan(121);
    const xzq = await test.db.scriptTransaction((exec) => exec(`SELECT xzqmc, kzmj FROM staged_district_boundaries WHERE submission_id = $1`, [accepted.id]));
    expect(xzq).toEqual([{ xzqmc: '崇明区', kzmj: '159922.56' }]);

    // Archived unchanged under its SHA-256.
    const archived = fs.readdirSync(path.join(archiveDir, accepted.sha256.slice(0, 2)));
    expect(archived).toContain(accepted.sha256);
  });

  it('recognises the same file uploaded again', async () => {
    const content = await dltbPackage(2);
    const first = await chongming.upload(uploadUrl(), 'a.zip', content);
    expect(first.statusCode).toBe(202);
    await test.app.imports.idle();
    const again = expectError(await chongming.upload(uploadUrl(), 'renamed.zip', content), 409, 'PACKAGE_ALREADY_SUBMITTED');
    expect(again.error.details).toMatchObject({ submissionId: first.json<{ id: string }>().id });
  });

  it('detects GBK without a .cpg, honours an explicit encoding, and infers the CRS without a .prj', async () => {
    const dir = tempDir();
    await writeLayer(dir, 'DLTB', [dltbRecord(11), dltbRecord(12)], { cpg: false, prj: null, shx: false });
    const response = await chongming.upload(uploadUrl(), 'no-cpg.zip', await zipFolder(dir));
    expect(response.statusCode, response.body).toBe(202);
    const detail = await finished(response.json<{ id: string }>().id);
    // imported, then checked at once (the checks are the quality tests' business)
    expect(['imported', 'checked', 'rejected'], JSON.stringify(detail.report)).toContain(detail.state);
    const layer = detail.report!.layers![0]!;
    // The writer marks GBK in the DBF's language driver byte, which is honoured before detection.
    expect(layer.encoding).toEqual({ name: 'gbk', source: 'ldid' });
    expect(layer.crs).toMatchObject({ epsg: 4528, source: 'inferred' });
    expect(layer.warnings.join(' ')).toMatch(/\.prj/);
    expect(layer.warnings.join(' ')).toMatch(/\.shx/);

    const utf8Dir = tempDir();
    await writeLayer(utf8Dir, 'DLTB', [dltbRecord(21)], { encoding: 'utf-8', cpg: false });
    const overridden = await chongming.upload(uploadUrl('&encoding=UTF8'), 'utf8.zip', await zipFolder(utf8Dir));
    expect(overridden.statusCode, overridden.body).toBe(202);
    const utf8 = await finished(overridden.json<{ id: string }>().id);
    expect(utf8.report!.layers![0]!.encoding).toEqual({ name: 'utf-8', source: 'override' });
    const names = await test.db.scriptTransaction((exec) => exec(`SELECT dlmc FROM staged_land_use_parcels WHERE submission_id = $1`, [utf8.id]));
    expect(names).toEqual([{ dlmc: '水田' }]);
  });

  it('imports a bare GeoJSON file in CGCS2000', async () => {
    const geojson = fs.readFileSync(path.join('fixtures', 'geojson', 'dltb-cgcs2000.geojson'));
    const response = await chongming.upload(uploadUrl(), 'DLTB.geojson', geojson);
    expect(response.statusCode, response.body).toBe(202);
    const detail = await finished(response.json<{ id: string }>().id);
    // imported, then checked at once (the checks are the quality tests' business)
    expect(['imported', 'checked', 'rejected'], JSON.stringify(detail.report)).toContain(detail.state);
    expect(detail.report!.layers![0]).toMatchObject({ code: 'DLTB', crs: { epsg: 4490 } });
  });

  it('lets a district operator submit only for its own district', async () => {
    expectError(await chongming.upload(uploadUrl('&districtCode=310115'), 'a.zip', await dltbPackage(1)), 403, 'FORBIDDEN');
  });

  describe('refuses bad input with a located error and stores nothing', () => {
    it('a file that is not a zip', async () => {
      await expectRefusedAtUpload('package.zip', Buffer.from('这不是压缩包 / not a zip'), 422, 'PACKAGE_NOT_ZIP');
    });

    it('an empty zip', async () => {
      await expectRefusedAtUpload('empty.zip', await zipEntries([]), 422, 'PACKAGE_EMPTY');
    });

    it('a zip entry with ../ in its path', async () => {
      const zip = await zipEntries([{ name: 'aa/evil.txt', data: 'x' }, { name: 'DLTB.txt', data: 'y' }]);
      // yazl refuses to write such a name; patch it in both headers, as a hostile tool would.
      const patched = Buffer.from(zip.toString('latin1').replaceAll('aa/evil.txt', '../evil.txt'), 'latin1');
      const error = await expectRefusedAtUpload('evil.zip', patched, 422, 'PACKAGE_UNSAFE_PATH');
      expect(error.details).toMatchObject({ file: '../evil.txt' });
    });

    it('a zip bomb (compression ratio)', async () => {
      const zip = await zipEntries([{ name: 'DLTB.dbf', data: Buffer.alloc(20 * 1024 * 1024) }]);
      expect(zip.length).toBeLessThan(100_000);
      const error = await expectRefusedAtUpload('bomb.zip', zip, 422, 'PACKAGE_ZIP_BOMB');
      expect(error.details).toMatchObject({ file: 'DLTB.dbf' });
    });

    it('a .shp without its .dbf', async () => {
      const dir = tempDir();
      const files = await writeLayer(dir, 'DLTB', [dltbRecord(1)]);
      fs.rmSync(files['.dbf']!);
      const error = await expectRefusedAtUpload('no-dbf.zip', await zipFolder(dir), 422, 'SHAPEFILE_DBF_MISSING');
      expect(error.details).toMatchObject({ file: 'DLTB.shp' });
    });

    it('a truncated .shp', async () => {
      const dir = tempDir();
      const files = await writeLayer(dir, 'DLTB', [1, 2, 3].map((index) => dltbRecord(index)));
      const shp = fs.readFileSync(files['.shp']!);
      fs.writeFileSync(files['.shp']!, shp.subarray(0, shp.length - 40));
      const error = await expectRefusedAtUpload('truncated.zip', await zipFolder(dir), 422, 'SHAPEFILE_TRUNCATED');
      expect(error.details).toMatchObject({ file: 'DLTB.shp' });
    });

    it('a truncated .shp without .shx (found by the structure pass, at its record)', async () => {
      const dir = tempDir();
      const files = await writeLayer(dir, 'DLTB', [1, 2, 3].map((index) => dltbRecord(index)), { shx: false });
      const shp = fs.readFileSync(files['.shp']!);
      // Keep the header's declared length honest about nothing: cut record 3 in half.
      fs.writeFileSync(files['.shp']!, shp.subarray(0, shp.length - 40));
      shp.writeInt32BE((shp.length - 40) / 2, 24);
      fs.writeFileSync(files['.shp']!, shp.subarray(0, shp.length - 40));
      const error = await expectRefusedAtUpload('truncated.zip', await zipFolder(dir), 422, 'SHAPEFILE_TRUNCATED');
      expect(error.details).toMatchObject({ file: 'DLTB.shp', record: 3 });
    });

    it('.shp and .dbf with different record counts', async () => {
      const dir = tempDir();
      const three = await writeLayer(dir, 'DLTB', [1, 2, 3].map((index) => dltbRecord(index)));
      const other = tempDir();
      const two = await writeLayer(other, 'DLTB', [1, 2].map((index) => dltbRecord(index)));
      fs.copyFileSync(two['.dbf']!, three['.dbf']!);
      const error = await expectRefusedAtUpload('counts.zip', await zipFolder(dir), 422, 'SHAPEFILE_COUNT_MISMATCH');
      expect(error.details).toMatchObject({ shpRecords: 3, dbfRecords: 2 });
      // Without the index the difference shows while the structure pass reads the records.
      fs.rmSync(three['.shx']!);
      const late = await expectRefusedAtUpload('counts-no-shx.zip', await zipFolder(dir), 422, 'SHAPEFILE_COUNT_MISMATCH');
      expect(late.details).toMatchObject({ file: 'DLTB.shp', shpRecords: 3, dbfRecords: 2 });
    });

    it('points where parcels are expected', async () => {
      const dir = tempDir();
      const files = await writeLayer(dir, 'DLTB', [dltbRecord(1)]);
      const shp = fs.readFileSync(files['.shp']!);
      shp.writeInt32LE(1, 32); // the header's shape type: Point
      fs.writeFileSync(files['.shp']!, shp);
      const error = await expectRefusedAtUpload('points.zip', await zipFolder(dir), 422, 'GEOMETRY_TYPE_MISMATCH');
      expect(error.details).toMatchObject({ file: 'DLTB.shp', found: 'Point' });
    });

    it('NaN and infinite coordinates', async () => {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const dir = tempDir();
        const files = await writeLayer(dir, 'DLTB', [dltbRecord(1), dltbRecord(2), dltbRecord(3)]);
        const shp = fs.readFileSync(files['.shp']!);
        // Record 2's first x: 100 (file header) + record 1 (8 + 4+32+4+4+4 + 5 points × 16) + 8 + 48.
        const record1 = 8 + 48 + 5 * 16;
        shp.writeDoubleLE(bad, 100 + record1 + 8 + 48);
        fs.writeFileSync(files['.shp']!, shp);
        const error = await expectRefusedAtUpload(`nan-${bad}.zip`, await zipFolder(dir), 422, 'COORDINATES_NOT_FINITE');
        expect(error.details).toMatchObject({ file: 'DLTB.shp', record: 2 });
      }
    });

    it('coordinates far outside China', async () => {
      const dir = tempDir();
      await writeLayer(dir, 'DLTB', [dltbRecord(1), dltbRecord(2, {}, square(40_640_000, 9_450_000))]);
      const error = await expectRefusedAtUpload('far.zip', await zipFolder(dir), 422, 'COORDINATES_OUTSIDE_CHINA');
      expect(error.details).toMatchObject({ file: 'DLTB.shp', record: 2 });
    });

    it('a text value longer than its field', async () => {
      const dir = tempDir();
      const wide = DLTB_FIELDS.map((field) => (field.name === 'DLMC' ? { ...field, length: 254 } : field));
      await writeLayer(dir, 'DLTB', [dltbRecord(1), dltbRecord(2, { DLMC: '水田'.repeat(40) })], { fields: wide });
      const error = await expectFailedImport('long.zip', await zipFolder(dir), 'TEXT_TOO_LONG');
      expect(error.details).toMatchObject({ file: 'DLTB.dbf', record: 2, field: 'DLMC', length: 80, limit: 60 });
    });

    it('an upload over the size limit', async () => {
      const limited = await openTestApp(engine, { ARCHIVE_DIR: archiveDir, UPLOAD_MAX_BYTES: '4096' });
      try {
        const client = new TestClient(limited.app);
        expect((await client.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
        const before = archivedFiles().length;
        const body = expectError(await client.upload(`/api/submissions?surveyId=${await nationalSurveyId(limited.db)}`, 'big.zip', Buffer.alloc(64 * 1024, 7)), 413, 'UPLOAD_TOO_LARGE');
        expect(body.error.details).toMatchObject({ limitBytes: 4096 });
        expect(archivedFiles().length).toBe(before);
        expect(await limited.db.kysely.selectFrom('submissions').select('id').execute()).toEqual([]);
      } finally {
        await limited.drop();
      }
    });
  });

  it('keeps the audit trail of uploads and imports', async () => {
    const entries = await test.db.kysely.selectFrom('audit_log').select(['action']).where('action', 'like', 'submission.%').execute();
    expect(entries.map((entry) => entry.action)).toEqual(expect.arrayContaining(['submission.uploaded', 'submission.imported', 'submission.import_failed']));
    void sql;
  });
});
