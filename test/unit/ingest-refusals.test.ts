// The pure parts of the upload's refusals (issue 13, items 4-6 and 8): district codes, messages
// whole in each language and placed, the cap on one GeoJSON value, and their configuration.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { identifyPrj } from '../../server/modules/ingest/crs.ts';
import { detectEncoding } from '../../server/modules/ingest/encoding.ts';
import { districtName, districtOfCode, refuseOtherDistrict, tallyDistrictCodes, type DistrictTally } from '../../server/modules/ingest/inspection.ts';
import { openGeoJsonLayer, scanGeoJsonLayer } from '../../server/modules/ingest/readers/geojson.ts';
import { refusal, refusalOf } from '../support/ingest.ts';

const ENGLISH_WORD = /\b(not|must|the|is|cannot|file|record|layer|at|line)\b/;

function chunks(text: string, size = 16 * 1024) {
  const bytes = Buffer.from(text);
  return () => Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));
}

describe('district codes in the attributes', () => {
  it('takes the first six digits of a 坐落/权属单位代码 or 行政区代码, and nothing from what is not a code', () => {
    expect(districtOfCode('3101151010010000000')).toBe('310115');
    expect(districtOfCode('310151')).toBe('310151');
    expect(districtOfCode(' 310151101001 ')).toBe('310151');
    for (const value of ['', null, undefined, '31015', '31x1511010010000000', true]) expect(districtOfCode(value)).toBeNull();
  });

  const record = (index: number, qsdwdm: string, zldwdm: string) => ({ index, geometryType: null, wkb: null, bbox: null, values: ['x', qsdwdm, zldwdm] });
  const fields = [{ index: 1, name: 'QSDWDM' }, { index: 2, name: 'ZLDWDM' }];
  const CHONGMING_UNIT = '3101511010010000000';
  const PUDONG_UNIT = '3101151010010000000';

  it('refuses a package whose codes name another district more often than its own, placing the first', () => {
    const tally: DistrictTally = new Map();
    tallyDistrictCodes(record(1, CHONGMING_UNIT, PUDONG_UNIT), fields, tally, { file: 'DLTB.dbf', layer: 'DLTB' });
    tallyDistrictCodes(record(2, PUDONG_UNIT, PUDONG_UNIT), fields, tally, { file: 'DLTB.dbf', layer: 'DLTB' });
    const error = refusal(() => refuseOtherDistrict(tally, '310151'));
    expect(error.code).toBe('PACKAGE_OTHER_DISTRICT');
    expect(error.location).toEqual({ file: 'DLTB.dbf', layer: 'DLTB', record: 1, field: 'ZLDWDM' });
    expect(error.extra).toMatchObject({ value: PUDONG_UNIT, foundDistrict: '310115', codesRead: 4, codesOfFoundDistrict: 3, codesOfSubmittedDistrict: 1 });
    expect(error.zh).toContain(`310115（${districtName('310115')}）`);
    expect(error.zh).toContain('310151（崇明区）');
    expect(error.zh).not.toMatch(ENGLISH_WORD);
    // the same codes are the district's own when it is Pudong that submits them
    expect(() => refuseOtherDistrict(tally, '310115')).not.toThrow();
  });

  it("leaves a few stray codes among the district's own to the quality checks, and codes that are no codes", () => {
    const tally: DistrictTally = new Map();
    tallyDistrictCodes(record(1, CHONGMING_UNIT, PUDONG_UNIT), fields, tally, {});
    tallyDistrictCodes(record(2, CHONGMING_UNIT, ''), fields, tally, {});
    tallyDistrictCodes(record(3, 'unknown', '31015'), fields, tally, {});
    expect(() => refuseOtherDistrict(tally, '310151')).not.toThrow();
    expect(() => refuseOtherDistrict(new Map(), '310151')).not.toThrow();
  });
});

describe('messages are whole in each language and name their place', () => {
  it('ENCODING_UNDETERMINED names the file and layer', () => {
    const error = refusal(() => detectEncoding(Buffer.from([0xff, 0xfe, 0xff]), { file: 'pkg/DLTB.dbf', layer: 'DLTB' }));
    expect(error.code).toBe('ENCODING_UNDETERMINED');
    expect(error.zh).toContain('pkg/DLTB.dbf');
    expect(error.en).toContain('pkg/DLTB.dbf');
  });

  it('a FeatureCollection without features, or with features that are not an array', async () => {
    const missing = await refusalOf(openGeoJsonLayer({ file: 'DLTB.geojson', name: 'DLTB', open: chunks('{"type":"FeatureCollection"}') }));
    expect(missing.en).toContain('has no "features" member');
    expect(missing.en).not.toMatch(/not FeatureCollection/);
    expect(missing.zh).toContain('缺少 features 成员');
    const object = await refusalOf(openGeoJsonLayer({ file: 'DLTB.geojson', name: 'DLTB', open: chunks('{"type":"FeatureCollection","features":{}}') }));
    expect(object.en).toContain('must be an array, not object');
    const none = await refusalOf(openGeoJsonLayer({ file: 'DLTB.geojson', name: 'DLTB', open: chunks('{"features":[]}') }));
    expect(none.zh).toContain('缺少 type 成员');
  });

  it('an unreadable .prj, a JSON syntax error and a bad feature keep English reasons out of the Chinese text', async () => {
    for (const text of ['', 'hello', 'PROJCS["x",GEOGCS["y",DATUM["z"]],PROJECTION["Transverse_Mercator"],UNIT["Meter",oops]]']) {
      const error = refusal(() => identifyPrj(text, { file: 'DLTB.prj' }));
      expect(error.code).toBe('CRS_UNREADABLE');
      expect(error.zh, text).not.toMatch(ENGLISH_WORD);
    }
    const syntax = await refusalOf(openGeoJsonLayer({ file: 'a.geojson', name: 'a', open: chunks('{"type":"FeatureCollection","features":[}') }));
    expect(syntax.code).toBe('GEOJSON_UNREADABLE');
    expect(syntax.zh).not.toMatch(ENGLISH_WORD);
    const feature = await refusalOf(openGeoJsonLayer({ file: 'a.geojson', name: 'a', open: chunks('{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":"x"},"properties":{}}]}') }));
    expect(feature.zh).not.toMatch(ENGLISH_WORD);
  });

  it('a skipped GeoJSON layer is scanned for its fields but its CRS is not judged', async () => {
    const text = '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"features":[{"type":"Feature","properties":{"NAME":"a"},"geometry":null}]}';
    const candidate = await scanGeoJsonLayer({ file: 'roads.geojson', name: 'roads', open: chunks(text) });
    expect(candidate.fieldNames).toEqual(['NAME']);
    expect((await refusalOf(candidate.open())).code).toBe('CRS_UNSUPPORTED');
  });
});

describe('one GeoJSON value is held in memory only up to a cap', () => {
  it('refuses a feature larger than the cap before it is built', async () => {
    const ring = Array.from({ length: 20_000 }, (_, i) => `[121.${i},31.5]`).join(',');
    const text = `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[${ring}]]}}]}`;
    const error = await refusalOf(openGeoJsonLayer({ file: 'big.geojson', name: 'DLTB', open: chunks(text), maxValueBytes: 64 * 1024 }));
    expect(error.code).toBe('RECORD_TOO_LARGE');
    expect(error.location).toMatchObject({ file: 'big.geojson', record: 1 });
    expect(error.extra).toMatchObject({ limitBytes: 64 * 1024 });
    // one huge string the tokenizer would gather before any token, even outside a feature
    const member = `{"type":"FeatureCollection","note":"${'x'.repeat(200 * 1024)}","features":[]}`;
    const huge = await refusalOf(openGeoJsonLayer({ file: 'note.geojson', name: 'DLTB', open: chunks(member), maxValueBytes: 64 * 1024 }));
    expect(huge.code).toBe('RECORD_TOO_LARGE');
        // the same file under a cap it fits reads
    await expect(openGeoJsonLayer({ file: 'big.geojson', name: 'DLTB', open: chunks(text), maxValueBytes: 1024 * 1024 })).resolves.toBeDefined();
  });
});

describe('configuration of the caps and the upload rate', () => {
  it('has defaults and refuses values that are not whole numbers in range', () => {
    const config = loadConfig({});
    expect(config.ingest).toMatchObject({ maxSmallMemberBytes: 64 * 1024, maxRecordBytes: 64 * 1024 * 1024, inspectRecords: 1000, uploadRateLimit: 30, uploadRateWindowSeconds: 3600 });
    for (const env of [{ ZIP_MAX_SMALL_MEMBER_BYTES: 'lots' }, { ZIP_MAX_SMALL_MEMBER_BYTES: '10' }, { UPLOAD_RATE_LIMIT: '0' }, { IMPORT_MAX_RECORD_BYTES: '1e9' }, { UPLOAD_INSPECT_RECORDS: '-1' }]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
    }
    expect(loadConfig({ UPLOAD_RATE_LIMIT: '5', UPLOAD_RATE_WINDOW_SECONDS: '60' }).ingest).toMatchObject({ uploadRateLimit: 5, uploadRateWindowSeconds: 60 });
  });
});
