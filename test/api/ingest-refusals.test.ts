// What the upload refuses at once (issue 13, items 3-6 and 8): whatever the structure pass can
// tell from the package is a 422 before anything is stored; layers the platform skips are never
// opened; members read whole are capped; uploads are rate-limited per account; a package whose
// own codes name another district, or a surveyor who is not one of the district's, is refused.
import fs from 'node:fs';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generatePackage } from '../../server/seed/generator/package.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD, nationalSurveyId } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { dltbRecord, DLTB_FIELDS, tempDir, writeLayer, zipEntries, zipFolder, type ZipEntryInput } from '../support/packages.ts';
import { expectError } from './helpers.ts';

const UPLOAD_RATE_LIMIT = 40;
// Embedded-engine imports on a loaded machine can take longer than the default minute.
vi.setConfig({ testTimeout: 180_000 });

/** A GeoJSON DLTB in CGCS2000 with the given geometries (one feature each). */
function dltbGeoJson(geometries: unknown[]): Buffer {
  const features = geometries.map((geometry, index) => ({
    type: 'Feature',
    properties: { BSM: `3101512110000${String(index + 1).padStart(5, '0')}`, TBBH: String(index + 1), DLBM: '0101', DLMC: '水田', ZLDWDM: '3101511010010000000', TBMJ: 100 },
    geometry,
  }));
  return Buffer.from(JSON.stringify({ type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4490' } }, features }));
}

function squareDegrees(lon: number, lat: number): unknown {
  const d = 0.001;
  return { type: 'Polygon', coordinates: [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]] };
}

/** Replaces the first occurrence of `find` in a file with `replace` (same length). */
function patchFile(file: string, find: Buffer, replace: Buffer): void {
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf(find);
  expect(at, `${find.toString('hex')} in ${file}`).toBeGreaterThan(0);
  replace.copy(bytes, at);
  fs.writeFileSync(file, bytes);
}

/** A .dbf whose text is neither UTF-8 nor GBK (`text` becomes 0xFF bytes) and whose header names no code page. */
function makeEncodingUndetectable(dbf: string, text: Buffer): void {
  const bytes = fs.readFileSync(dbf);
  bytes[29] = 0; // no language driver
  fs.writeFileSync(dbf, bytes);
  patchFile(dbf, text, Buffer.alloc(text.length, 0xff));
}

/**
 * `size` bytes that deflate at about 150-195:1: under the 200:1 zip-bomb ratio, so only the
 * member cap can stop them. A run of one byte alone would compress ~1000:1.
 */
function justUnderBombRatio(size: number): { data: Buffer; ratio: number } {
  for (const every of [4096, 2048, 1536, 1024, 768, 512, 384, 256]) {
    const data = Buffer.alloc(size, 0x41);
    let seed = 12345;
    for (let i = 0; i < size; i += every) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      data[i] = seed & 0xff;
    }
    const ratio = size / deflateRawSync(data).length;
    if (ratio < 195) return { data, ratio };
  }
  throw new Error('no mix compressed under the ratio');
}

async function layerFiles(name: string, records = [dltbRecord(1), dltbRecord(2)], fields = DLTB_FIELDS): Promise<ZipEntryInput[]> {
  const dir = tempDir();
  await writeLayer(dir, name, records, { fields });
  return fs.readdirSync(dir).map((file) => ({ name: file, data: fs.readFileSync(path.join(dir, file)) }));
}

describe.each(ENGINES)('upload refusals on the %s engine', (engine) => {
  let test: TestApp;
  let chongming: TestClient;
  let admin: TestClient;
  let surveyId: string;
  const archiveDir = tempDir('lsp-archive-');

  beforeAll(async () => {
    test = await openTestApp(engine, {
      LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      ARCHIVE_DIR: archiveDir,
      IMPORT_WORK_DIR: tempDir('lsp-work-'),
      UPLOAD_RATE_LIMIT: String(UPLOAD_RATE_LIMIT),
    });
    chongming = new TestClient(test.app);
    admin = new TestClient(test.app);
    expect((await chongming.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    surveyId = await nationalSurveyId(test.db);
    // What is judged here is the upload and the import; the quality checks after each import
    // have their own tests and would only slow these down.
    test.app.imports.setAfterImport(null);
  });
  afterAll(() => test?.drop());

  const uploadUrl = (query = '') => `/api/submissions?surveyId=${surveyId}${query}`;

  function archivedFiles(): string[] {
    return fs.readdirSync(archiveDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name);
  }

  async function stagedRows(submissionId: string): Promise<number> {
    const rows = await test.db.scriptTransaction((exec) =>
      exec(
        `SELECT (SELECT count(*) FROM staged_land_use_parcels WHERE submission_id = $1)
              + (SELECT count(*) FROM staged_basic_farmland_parcels WHERE submission_id = $1)
              + (SELECT count(*) FROM staged_ownership_parcels WHERE submission_id = $1)
              + (SELECT count(*) FROM staged_district_boundaries WHERE submission_id = $1) AS n`,
        [submissionId],
      ),
    );
    return Number(rows[0]!.n);
  }

  /** A refusal at upload: the status and code, and nothing stored, not even the archived file. */
  async function refusedAtUpload(fileName: string, content: Buffer, status: number, code: string, query = '') {
    const submissionsBefore = (await test.db.kysely.selectFrom('submissions').select('id').execute()).length;
    const archivedBefore = archivedFiles().length;
    const body = expectError(await chongming.upload(uploadUrl(query), fileName, content), status, code);
    expect((await test.db.kysely.selectFrom('submissions').select('id').execute()).length).toBe(submissionsBefore);
    expect(archivedFiles().length).toBe(archivedBefore);
    // Chinese messages carry no English words beyond codes, names and file paths.
    expect(body.error.message.zh).not.toMatch(/\b(not|must|the|is|file|record|layer)\b/);
    return body.error;
  }

  async function accepted(fileName: string, content: Buffer, query = '') {
    const response = await chongming.upload(uploadUrl(query), fileName, content);
    expect(response.statusCode, response.body).toBe(202);
    await test.app.imports.idle();
    const id = response.json<{ id: string }>().id;
    const detail = (await chongming.get(`/api/submissions/${id}`)).json<{ state: string; report: Record<string, unknown> | null }>();
    return { id, ...detail };
  }

  describe('what the structure pass can tell is refused with 422 before the 202 (item 3)', () => {
    it('a GeoJSON DLTB of points', async () => {
      const error = await refusedAtUpload('DLTB.geojson', dltbGeoJson([{ type: 'Point', coordinates: [121.5, 31.6] }]), 422, 'GEOMETRY_TYPE_MISMATCH');
      expect(error.details).toMatchObject({ file: 'DLTB.geojson', layer: 'DLTB', record: 1, found: 'Point' });
      expect(error.message.zh).toContain('点');
    });

    it('a layer far outside China', async () => {
      const error = await refusedAtUpload('DLTB.geojson', dltbGeoJson([squareDegrees(-100, 40), squareDegrees(-100.01, 40)]), 422, 'COORDINATES_OUTSIDE_CHINA');
      expect(error.details).toMatchObject({ file: 'DLTB.geojson', record: 1 });
    });

    it('a background failure leaves no rows, stays on record, and its file can be sent again', async () => {
      const wide = DLTB_FIELDS.map((field) => (field.name === 'DLMC' ? { ...field, length: 254 } : field));
      const content = await zipEntries(await layerFiles('DLTB', [dltbRecord(1), dltbRecord(2, { DLMC: '水田'.repeat(40) })], wide));
      const first = await accepted('long.zip', content);
      expect(first.state).toBe('failed');
      expect(await stagedRows(first.id)).toBe(0);
      const again = await accepted('long.zip', content);
      expect(again.id).not.toBe(first.id);
      const rows = await test.db.kysely.selectFrom('submissions').select(['id', 'state']).where('id', 'in', [first.id, again.id]).execute();
      expect(rows.map((row) => row.state)).toEqual(['failed', 'failed']);
    });
  });

  describe('layers the platform skips are never opened (item 4)', () => {
    it('an unreadable .prj or an undetectable encoding of a skipped layer does not refuse the package', async () => {
      const roads = await layerFiles('ROADS', [{ geometry: dltbRecord(1).geometry, attributes: { NAME: 'XYXY' } }], [{ name: 'NAME', type: 'C', length: 20 }]);
      const garbled = roads.map((entry) => (entry.name.endsWith('.prj') ? { ...entry, data: 'this is not a coordinate system' } : entry));
      const dir = tempDir();
      await writeLayer(dir, 'RIVERS', [{ geometry: dltbRecord(1).geometry, attributes: { NAME: 'XYXY' } }], { fields: [{ name: 'NAME', type: 'C', length: 20 }], cpg: false });
      makeEncodingUndetectable(path.join(dir, 'RIVERS.dbf'), Buffer.from('XYXY'));
      const rivers = fs.readdirSync(dir).map((file) => ({ name: file, data: fs.readFileSync(path.join(dir, file)) }));
      const detail = await accepted('skipped.zip', await zipEntries([...(await layerFiles('DLTB')), ...garbled, ...rivers]));
      expect(detail.state).toBe('imported');
      expect((detail.report!.unknownLayers as { name: string }[]).map((layer) => layer.name).sort()).toEqual(['RIVERS', 'ROADS']);
    });

    it('the same faults in an imported layer refuse it, naming the file (item 5)', async () => {
      const garbled = (await layerFiles('DLTB')).map((entry) => (entry.name.endsWith('.prj') ? { ...entry, data: 'this is not a coordinate system' } : entry));
      const prj = await refusedAtUpload('bad-prj.zip', await zipEntries(garbled), 422, 'CRS_UNREADABLE');
      expect(prj.details).toMatchObject({ file: 'DLTB.prj' });

      const dir = tempDir();
      await writeLayer(dir, 'DLTB', [dltbRecord(1)], { cpg: false });
      makeEncodingUndetectable(path.join(dir, 'DLTB.dbf'), Buffer.from([0xcb, 0xae, 0xcc, 0xef])); // 水田 in GBK
      const encoding = await refusedAtUpload('bad-encoding.zip', await zipFolder(dir), 422, 'ENCODING_UNDETERMINED');
      expect(encoding.details).toMatchObject({ file: 'DLTB.dbf', layer: 'DLTB' });
      expect(encoding.message.zh).toContain('DLTB.dbf');
    });

    it('a FeatureCollection without features says so', async () => {
      const error = await refusedAtUpload('DLTB.geojson', Buffer.from('{"type":"FeatureCollection"}'), 422, 'GEOJSON_INVALID');
      expect(error.message.en).toContain('no "features" member');
      expect(error.message.en).not.toContain('not FeatureCollection');
      expect(error.message.zh).toContain('缺少 features');
    });
  });

  describe('members read whole are capped (item 6)', () => {
    it('a .prj that inflates to 16 MiB just under the bomb ratio is refused before it is inflated', async () => {
      const { data, ratio } = justUnderBombRatio(16 * 1024 * 1024);
      expect(ratio).toBeGreaterThan(100);
      expect(ratio).toBeLessThan(200);
      const entries = (await layerFiles('DLTB')).map((entry) => (entry.name.endsWith('.prj') ? { ...entry, data } : entry));
      const error = await refusedAtUpload('prj-bomb.zip', await zipEntries(entries), 422, 'PACKAGE_MEMBER_TOO_LARGE');
      expect(error.details).toMatchObject({ file: 'DLTB.prj', sizeBytes: data.length, limitBytes: 64 * 1024, inflatedBytes: 0 });

      // The same member of a skipped layer is never read at all.
      const roads = (await layerFiles('ROADS', [{ geometry: dltbRecord(1).geometry, attributes: { NAME: 'road' } }], [{ name: 'NAME', type: 'C', length: 20 }]))
        .map((entry) => (entry.name.endsWith('.prj') ? { ...entry, data } : entry));
      const detail = await accepted('skipped-bomb.zip', await zipEntries([...(await layerFiles('DLTB', [dltbRecord(3)])), ...roads]));
      expect(detail.state).toBe('imported');
    });

    it('uploads are limited per account with a bilingual 429', async () => {
      const junk = Buffer.from('not a package');
      for (let i = 0; i < UPLOAD_RATE_LIMIT; i++) {
        expectError(await admin.upload(`/api/submissions?surveyId=${surveyId}&districtCode=310151`, `junk-${i}.zip`, junk), 422, 'PACKAGE_NOT_ZIP');
      }
      const limited = expectError(await admin.upload(`/api/submissions?surveyId=${surveyId}&districtCode=310151`, 'junk.zip', junk), 429, 'UPLOAD_RATE_LIMITED');
      expect(limited.error.message.zh).toMatch(/上传过于频繁.*秒后再试/);
      expect(limited.error.message.en).toMatch(/Too many uploads/);
      expect(limited.error.details).toMatchObject({ limit: UPLOAD_RATE_LIMIT });
      // another account is not held back by it
      expectError(await chongming.upload(uploadUrl(), 'junk.zip', junk), 422, 'PACKAGE_NOT_ZIP');
    });
  });

  describe('upload parameters are checked against the package and the accounts (item 8)', () => {
    it('a package whose codes name another district', async () => {
      const pudong = { QSDWDM: '3101151010010000000', QSDWMC: '浦东新区某村', ZLDWDM: '3101151010010000000', ZLDWMC: '浦东新区某村' };
      const entries = await layerFiles('DLTB', [dltbRecord(1, pudong), dltbRecord(2, pudong)]);
      const error = await refusedAtUpload('pudong.zip', await zipEntries(entries), 422, 'PACKAGE_OTHER_DISTRICT');
      expect(error.details).toMatchObject({ file: 'DLTB.dbf', layer: 'DLTB', record: 1, field: 'QSDWDM', value: '3101151010010000000', foundDistrict: '310115', submittedDistrict: '310151', codesRead: 4 });
      expect(error.message.zh).toContain('浦东新区');
      // A real 浦东 package from the generator, sent to 崇明.
      const generated = await generatePackage({ districtCode: '310115', parcels: 300, seed: 5, outDir: tempDir(), layers: ['DLTB', 'XZQ'] });
      const real = await refusedAtUpload('浦东新区.zip', fs.readFileSync(generated.zipPath), 422, 'PACKAGE_OTHER_DISTRICT');
      expect(real.details).toMatchObject({ foundDistrict: '310115', submittedDistrict: '310151', codesOfSubmittedDistrict: 0 });
      // A stray code among the district's own is a finding of the checks, not a refusal.
      const stray = await layerFiles('DLTB', [dltbRecord(1), dltbRecord(2, { ZLDWDM: '3101151010010000000' }), dltbRecord(3)]);
      const detail = await accepted('stray.zip', await zipEntries(stray));
      expect(detail.state).toBe('imported');
    });

    it('a named surveyor must be an active surveyor of the district', async () => {
      const users = await test.db.kysely.selectFrom('users').select(['id', 'username', 'password_hash']).execute();
      const ids = Object.fromEntries(users.map((user) => [user.username, user.id]));
      const hash = users.find((user) => user.username === 'surveyor')!.password_hash;
      const other = await test.db.kysely
        .insertInto('users')
        .values({ username: 'surveyor-pudong', display_name: '调查员（浦东）', role: 'surveyor', district_code: '310115', password_hash: hash })
        .returning('id')
        .executeTakeFirstOrThrow();
      const disabled = await test.db.kysely
        .insertInto('users')
        .values({ username: 'surveyor-gone', display_name: '调查员（停用）', role: 'surveyor', district_code: '310151', password_hash: hash, disabled: true })
        .returning('id')
        .executeTakeFirstOrThrow();
      const content = await zipEntries(await layerFiles('DLTB', [dltbRecord(7)]));
      await refusedAtUpload('s1.zip', content, 422, 'SURVEYOR_NOT_SURVEYOR', `&surveyorId=${ids.pudong}`);
      await refusedAtUpload('s2.zip', content, 422, 'SURVEYOR_OTHER_DISTRICT', `&surveyorId=${other.id}`);
      await refusedAtUpload('s3.zip', content, 422, 'SURVEYOR_DISABLED', `&surveyorId=${disabled.id}`);
      await refusedAtUpload('s4.zip', content, 422, 'SURVEYOR_NOT_FOUND', '&surveyorId=00000000-0000-4000-8000-000000000000');
      const detail = await accepted('s5.zip', content, `&surveyorId=${ids.surveyor}`);
      const row = await test.db.kysely.selectFrom('submissions').select('surveyor_id').where('id', '=', detail.id).executeTakeFirstOrThrow();
      expect(row.surveyor_id).toBe(ids.surveyor);
    });
  });
});
