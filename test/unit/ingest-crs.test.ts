import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import {
  chinaBounds,
  crsFromEpsg,
  crsFromGeoJsonMember,
  gaussKrugerDefinition,
  identifyPrj,
  inferCrs,
  proj4Definition,
} from '../../server/modules/ingest/crs.ts';
import { refusal } from '../support/ingest.ts';

const PRJ_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/prj');
const prj = (name: string) => fs.readFileSync(path.join(PRJ_DIR, name), 'utf8');
const at = { file: 'DLTB.prj', layer: 'DLTB' };


// Every Gauss-Kruger family at both ends and in the middle, and the two geographic systems.
const SUPPORTED = [4490, 4326, 4491, 4496, 4501, 4502, 4507, 4512, 4513, 4528, 4533, 4534, 4549, 4554];

describe('identifyPrj', () => {
  const files = [
    ...SUPPORTED.flatMap((epsg) => [[`${epsg}.esri.prj`, epsg], [`${epsg}.ogc.prj`, epsg]] as const),
    ['4490.wkt2.prj', 4490],
    ['4528.wkt2.prj', 4528],
    ['4549.wkt2.prj', 4549],
    ['arcgis-cgcs2000-zone41.prj', 4529],
  ] as const;

  it.each(files)('%s → EPSG:%i', (file, epsg) => {
    const crs = identifyPrj(prj(file), at);
    expect(crs).toEqual({ ...crsFromEpsg(epsg, 'prj') });
    const gk = gaussKrugerDefinition(epsg);
    if (gk) expect(crs).toMatchObject({ kind: 'projected', centralMeridian: gk.centralMeridian, falseEasting: gk.falseEasting });
    else expect(crs.kind).toBe('geographic');
  });

  it('takes a GRS80 ellipsoid as CGCS2000 and prefers 3-degree zones when parameters cannot tell', () => {
    // CM 117E with false easting 500000 is both EPSG:4509 (6-degree) and EPSG:4548 (3-degree)
    expect(identifyPrj(prj('arcgis-grs80-cm117.prj'), at).epsg).toBe(4548);
    const grs80 = prj('4528.esri.prj').replace('SPHEROID["CGCS2000",6378137.0,298.257222101]', 'SPHEROID["GRS_1980",6378137.0,298.257222100882711]');
    expect(identifyPrj(grs80, at).epsg).toBe(4528);
  });

  it('uses the AUTHORITY only to choose between codes with the same parameters', () => {
    const cm105 = prj('4507.ogc.prj');
    expect(identifyPrj(cm105.replace('AUTHORITY["EPSG","4507"]]', 'AUTHORITY["EPSG","4544"]]'), at).epsg).toBe(4544);
    // an AUTHORITY that disagrees with the parameters is overruled by them
    expect(identifyPrj(prj('4549.ogc.prj').replace('AUTHORITY["EPSG","4549"]]', 'AUTHORITY["EPSG","4528"]]'), at).epsg).toBe(4549);
  });

  it('tolerates a byte order mark, CRLF line ends and surrounding blanks', () => {
    expect(identifyPrj(`\uFEFF\r\n${prj('4528.ogc.prj').replace(/\n/g, '\r\n')}\r\n  `, at).epsg).toBe(4528);
  });

  it.each([
    ['2416.esri.prj', /北京54.*克拉索夫斯基/, /Beijing 1954/],
    ['2416.ogc.prj', /北京54/, /Beijing 1954/],
    ['2437.esri.prj', /北京54/, /Beijing 1954/],
    ['4214.esri.prj', /北京54/, /Beijing 1954/],
    ['2364.esri.prj', /西安80.*IAG-75/, /Xian 1980/],
    ['2364.ogc.prj', /西安80/, /Xian 1980/],
    ['2385.esri.prj', /西安80/, /Xian 1980/],
    ['32651.esri.prj', /UTM.*51N/, /UTM .*zone 51N/],
    ['32651.ogc.prj', /UTM.*51N/, /zone 51N/],
    ['3857.esri.prj', /WGS 84 投影坐标系/, /WGS 84 projected/],
    ['arcgis-local-cm121.prj', /假北为 -3457147\.81.*中央经线 121\.4666667°/, /false northing is -3457147\.81.*central meridian 121\.4666667°/],
  ])('refuses %s as unsupported, naming what it is', (file, zh, en) => {
    const error = refusal(() => identifyPrj(prj(file), at));
    expect(error).toMatchObject({ statusCode: 422, code: 'CRS_UNSUPPORTED' });
    expect(error.zh).toMatch(zh);
    expect(error.en).toMatch(en);
    expect(error.details).toMatchObject({ file: 'DLTB.prj' });
  });

  const zone40 = prj('4528.esri.prj');
  it.each([
    ['a non-unit scale factor', zone40.replace('"Scale_Factor",1.0', '"Scale_Factor",0.9999'), /scale factor is 0\.9999/],
    ['a false easting of another zone', zone40.replace('40500000.0', '41500000.0'), /false easting 41500000 does not belong to central meridian 120°/],
    ['a false northing', zone40.replace('"False_Northing",0.0', '"False_Northing",-3000000.0'), /false northing is -3000000/],
    ['a latitude of origin', zone40.replace('"Latitude_Of_Origin",0.0', '"Latitude_Of_Origin",30.0'), /latitude of origin is 30°/],
    ['a central meridian between zones', zone40.replace('"Central_Meridian",120.0', '"Central_Meridian",121.0'), /central meridian 121° is not that of/],
    ['feet', zone40.replace('UNIT["Meter",1.0]]', 'UNIT["Foot_US",0.3048006096012192]]'), /linear unit is foot_us/],
    ['another projection', zone40.replace('Gauss_Kruger', 'Lambert_Conformal_Conic'), /projection method Lambert_Conformal_Conic/],
    ['a projection proj4 does not know', zone40.replace('Gauss_Kruger', 'Foo_Bar'), /projection method Foo_Bar/],
    ['WGS 84 Gauss-Kruger', zone40.replace('298.257222101', '298.257223563'), /WGS 84 projected/],
    ['another ellipsoid', zone40.replace('6378137.0,298.257222101', '6378388.0,297.0'), /ellipsoid .*a=6378388, 1\/f=297/],
    ['a Paris prime meridian', prj('4490.esri.prj').replace('PRIMEM["Greenwich",0.0]', 'PRIMEM["Paris",2.33722917]'), /prime meridian is not Greenwich/],
    ['a compound CRS', `COMPD_CS["x + height",${prj('4528.ogc.prj')},VERT_CS["h"]]`, /compound/],
  ])('refuses %s as unsupported', (_what, text, en) => {
    const error = refusal(() => identifyPrj(text, at));
    expect(error.code).toBe('CRS_UNSUPPORTED');
    expect(error.en).toMatch(en);
  });

  it.each([
    ['empty', ''],
    ['blank', ' \n '],
    ['prose', '这是一个坐标系文件'],
    ['a proj4 registry name', 'WGS84'],
    ['a PROJ string', '+proj=longlat +datum=WGS84'],
    ['an EPSG code', 'EPSG:4490'],
    ['JSON', '{"type":"name"}'],
    ['truncated WKT', zone40.slice(0, 60)],
    ['a bare keyword', 'PROJCS["x"]'],
    ['a local CS', 'LOCAL_CS["site grid"]'],
    ['binary', '\u0000\u0001\u00ff\u00fePROJCS'],
  ])('refuses %s as unreadable', (_what, text) => {
    const error = refusal(() => identifyPrj(text, at));
    expect(error).toMatchObject({ statusCode: 422, code: 'CRS_UNREADABLE' });
    expect(error.zh).toContain('.prj');
  });
});

describe('proj4Definition agrees with proj4 reading the matching .prj', () => {
  const geographic = proj4Definition(4490);
  const SHANGHAI: [number, number] = [121.4737, 31.2304];
  const CHONGMING_EAST: [number, number] = [121.9, 31.5];

  const cases: [string, number, [number, number]][] = [
    ...SUPPORTED.flatMap((epsg): [string, number, [number, number]][] => {
      const cm = gaussKrugerDefinition(epsg)?.centralMeridian;
      const point: [number, number] = cm === undefined || cm === 120 ? SHANGHAI : [cm + 0.7, 31.23];
      return [[`${epsg}.esri.prj`, epsg, point], [`${epsg}.ogc.prj`, epsg, point]];
    }),
    ['4528.wkt2.prj', 4528, SHANGHAI],
    ['4549.wkt2.prj', 4549, SHANGHAI],
    ['arcgis-cgcs2000-zone41.prj', 4529, CHONGMING_EAST],
  ];

  it.each(cases)('%s', (file, epsg, point) => {
    const expected = proj4(geographic, proj4Definition(epsg), point);
    const actual = proj4(geographic, prj(file), point);
    const tolerance = gaussKrugerDefinition(epsg) ? 1e-6 : 1e-9;
    expect(Math.abs(actual[0] - expected[0])).toBeLessThan(tolerance);
    expect(Math.abs(actual[1] - expected[1])).toBeLessThan(tolerance);
    // x stays the easting even where GDAL's OGC WKT lists AXIS["Northing"] first
    if (gaussKrugerDefinition(epsg)) expect(Math.floor(expected[0] / 1e6)).toBe(Math.floor(gaussKrugerDefinition(epsg)!.falseEasting / 1e6));
  });

  it('puts Shanghai where zone 40 and zone 41 say it is', () => {
    const [x40, y40] = proj4(geographic, proj4Definition(4528), SHANGHAI);
    expect(x40).toBeCloseTo(40_640_412.315, 2);
    expect(y40).toBeCloseTo(3_457_455.489, 2);
    const [x41] = proj4(geographic, proj4Definition(4529), CHONGMING_EAST);
    expect(Math.floor(x41 / 1e6)).toBe(41);
  });
});

describe('inferCrs', () => {
  it.each([
    ['Shanghai in degrees', 4490, [120.85, 30.67, 122.2, 31.88]],
    ['China edge to edge in degrees', 4490, [73, 3, 136, 54]],
    ['3-degree zone 40 eastings', 4528, [40_595_000, 3_400_000, 40_648_000, 3_520_000]],
    ['3-degree zone 41 eastings (Chongming east)', 4529, [41_340_000, 3_480_000, 41_420_000, 3_530_000]],
    ['3-degree zone 25', 4513, [25_400_000, 4_000_000, 25_600_000, 4_100_000]],
    ['3-degree zone 45', 4533, [45_400_000, 5_000_000, 45_600_000, 5_100_000]],
    ['6-degree zone 20', 4498, [20_400_000, 3_500_000, 20_600_000, 3_600_000]],
    ['6-degree zone 13', 4491, [13_400_000, 4_000_000, 13_600_000, 4_100_000]],
    ['6-degree zone 23', 4501, [23_400_000, 5_000_000, 23_600_000, 5_100_000]],
  ] as const)('%s → EPSG:%i', (_what, epsg, bbox) => {
    const crs = inferCrs([...bbox], at);
    expect(crs).toEqual(crsFromEpsg(epsg, 'inferred'));
  });

  it('refuses 6-digit eastings: without the zone number the central meridian is unknown', () => {
    const error = refusal(() => inferCrs([595_000, 3_400_000, 648_000, 3_520_000], at));
    expect(error).toMatchObject({ statusCode: 422, code: 'CRS_UNDETERMINED' });
    expect(error.zh).toMatch(/缺少 \.prj 且坐标无法判断中央经线/);
    expect(error.zh).toMatch(/EPSG/);
    expect(error.en).toMatch(/central meridian cannot be told/);
  });

  it('refuses a bbox crossing two zones', () => {
    const error = refusal(() => inferCrs([40_900_000, 3_400_000, 41_100_000, 3_500_000], at));
    expect(error.code).toBe('CRS_UNDETERMINED');
    expect(error.en).toMatch(/span zones 40 and 41/);
  });

  it.each([
    ['zone 24 (neither family)', [24_400_000, 3_400_000, 24_600_000, 3_500_000]],
    ['zone 46', [46_400_000, 3_400_000, 46_600_000, 3_500_000]],
    ['a northing too small', [40_500_000, 100, 40_600_000, 200]],
    ['a northing too large', [40_500_000, 6_000_000, 40_600_000, 6_500_000]],
    ['degrees outside China', [2.2, 48.8, 2.5, 48.9]],
    ['degrees partly outside China', [120, 30, 140, 35]],
    ['7-digit eastings', [1_500_000, 3_400_000, 1_600_000, 3_500_000]],
    ['NaN', [Number.NaN, 0, 1, 1]],
  ] as const)('refuses %s', (_what, bbox) => {
    expect(refusal(() => inferCrs([...bbox], at)).code).toBe('CRS_UNDETERMINED');
  });
});

describe('crsFromGeoJsonMember', () => {
  const named = (name: string) => ({ type: 'name', properties: { name } });

  it('is null without a crs member', () => {
    expect(crsFromGeoJsonMember(undefined, at)).toBeNull();
    expect(crsFromGeoJsonMember(null, at)).toBeNull();
  });

  it.each([
    ['urn:ogc:def:crs:EPSG::4490', 4490],
    ['urn:ogc:def:crs:EPSG:6.6:4326', 4326],
    ['EPSG:4490', 4490],
    ['epsg:4528', 4528],
    ['urn:ogc:def:crs:OGC:1.3:CRS84', 4326],
    ['urn:ogc:def:crs:OGC::CRS84', 4326],
    ['http://www.opengis.net/def/crs/EPSG/0/4549', 4549],
    ['http://www.opengis.net/def/crs/OGC/1.3/CRS84', 4326],
  ] as const)('reads %s', (name, epsg) => {
    expect(crsFromGeoJsonMember(named(name), at)).toEqual(crsFromEpsg(epsg, 'declared'));
  });

  it('reads the 2008 draft\'s EPSG form', () => {
    expect(crsFromGeoJsonMember({ type: 'EPSG', properties: { code: 4490 } }, at)?.epsg).toBe(4490);
  });

  it.each([
    ['urn:ogc:def:crs:EPSG::4214', /北京54/, /Beijing 1954 \(EPSG:4214\)/],
    ['EPSG:2385', /西安80/, /Xian 1980/],
    ['urn:ogc:def:crs:EPSG::32651', /UTM 51N/, /UTM zone 51N/],
    ['EPSG:3857', /Web 墨卡托/, /Web Mercator/],
    ['EPSG:27700', /EPSG:27700/, /EPSG:27700/],
    ['urn:ogc:def:crs:OGC:1.3:CRS83', /CRS83/, /not recognised/],
  ])('refuses %s as unsupported', (name, zh, en) => {
    const error = refusal(() => crsFromGeoJsonMember(named(name), at));
    expect(error).toMatchObject({ statusCode: 422, code: 'CRS_UNSUPPORTED' });
    expect(error.zh).toMatch(zh);
    expect(error.en).toMatch(en);
  });

  it('refuses a linked CRS as unsupported and malformed members as unreadable', () => {
    expect(refusal(() => crsFromGeoJsonMember({ type: 'link', properties: { href: 'http://x/crs.wkt' } }, at)).code).toBe('CRS_UNSUPPORTED');
    for (const member of ['EPSG:4490', 4490, [], { type: 'name' }, { type: 'name', properties: { name: 4490 } }, { type: 'proj4', properties: {} }]) {
      expect(refusal(() => crsFromGeoJsonMember(member, at)).code).toBe('CRS_UNREADABLE');
    }
  });
});

describe('chinaBounds', () => {
  it('is lon 70..140, lat 0..56 for geographic systems', () => {
    expect(chinaBounds(crsFromEpsg(4490, 'prj')!)).toEqual([70, 0, 140, 56]);
    expect(chinaBounds(crsFromEpsg(4326, 'prj')!)).toEqual([70, 0, 140, 56]);
  });

  it('is the false easting ± 1000 km and northing 0..6300 km for Gauss-Kruger', () => {
    expect(chinaBounds(crsFromEpsg(4528, 'prj')!)).toEqual([39_500_000, 0, 41_500_000, 6_300_000]);
    expect(chinaBounds(crsFromEpsg(4549, 'prj')!)).toEqual([-500_000, 0, 1_500_000, 6_300_000]);
    expect(chinaBounds(crsFromEpsg(4491, 'prj')!)).toEqual([12_500_000, 0, 14_500_000, 6_300_000]);
    const { falseEasting: _dropped, ...withoutParameters } = crsFromEpsg(4529, 'prj')!;
    expect(chinaBounds(withoutParameters)).toEqual([40_500_000, 0, 42_500_000, 6_300_000]);
  });

  it('holds every inferable bbox', () => {
    for (const [bbox, epsg] of [[[120.85, 30.67, 122.2, 31.88], 4490], [[40_595_000, 3_400_000, 40_648_000, 3_520_000], 4528]] as const) {
      const [minX, minY, maxX, maxY] = chinaBounds(crsFromEpsg(epsg, 'inferred')!);
      expect(bbox[0] >= minX && bbox[1] >= minY && bbox[2] <= maxX && bbox[3] <= maxY).toBe(true);
    }
  });
});
