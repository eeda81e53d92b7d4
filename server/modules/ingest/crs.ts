// Coordinate reference systems a package may use: CGCS2000 geographic (EPSG:4490), WGS 84
// (EPSG:4326), and the CGCS2000 Gauss-Kruger projections: 3-degree zones with the zone number in
// the easting (4513-4533) and without (4534-4554), 6-degree zones with (4491-4501) and without
// (4502-4512). Everything is stored in EPSG:4490.
//
// (helper-owned section below the definitions: identifyPrj, inferCrs, crsFromGeoJsonMember)
import proj4 from 'proj4';
import { packageError, type IngestLocation } from './errors.ts';

export type CrsSource = 'prj' | 'declared' | 'inferred' | 'rfc7946-default' | 'override';

export interface CrsResolution {
  epsg: number;
  /** EPSG name, e.g. "CGCS2000 / 3-degree Gauss-Kruger zone 40" */
  name: string;
  kind: 'geographic' | 'projected';
  /** how it was told: from the .prj, declared in the file, inferred from coordinates, … */
  source: CrsSource;
  /** Gauss-Kruger parameters (projected only) */
  centralMeridian?: number;
  falseEasting?: number;
}

export const STORAGE_SRID = 4490;

interface GaussKrugerDefinition {
  epsg: number;
  name: string;
  centralMeridian: number;
  falseEasting: number;
}

/** Every supported CGCS2000 Gauss-Kruger EPSG code with its parameters. */
export function gaussKrugerDefinition(epsg: number): GaussKrugerDefinition | null {
  if (epsg >= 4491 && epsg <= 4501) {
    const zone = 13 + (epsg - 4491);
    return { epsg, name: `CGCS2000 / Gauss-Kruger zone ${zone}`, centralMeridian: zone * 6 - 3, falseEasting: zone * 1_000_000 + 500_000 };
  }
  if (epsg >= 4502 && epsg <= 4512) {
    const cm = 75 + 6 * (epsg - 4502);
    return { epsg, name: `CGCS2000 / Gauss-Kruger CM ${cm}E`, centralMeridian: cm, falseEasting: 500_000 };
  }
  if (epsg >= 4513 && epsg <= 4533) {
    const zone = 25 + (epsg - 4513);
    return { epsg, name: `CGCS2000 / 3-degree Gauss-Kruger zone ${zone}`, centralMeridian: zone * 3, falseEasting: zone * 1_000_000 + 500_000 };
  }
  if (epsg >= 4534 && epsg <= 4554) {
    const cm = 75 + 3 * (epsg - 4534);
    return { epsg, name: `CGCS2000 / 3-degree Gauss-Kruger CM ${cm}E`, centralMeridian: cm, falseEasting: 500_000 };
  }
  return null;
}

export function isSupportedEpsg(epsg: number): boolean {
  return epsg === 4490 || epsg === 4326 || gaussKrugerDefinition(epsg) !== null;
}

/** The resolution for a supported EPSG code, or null when the platform does not take it. */
export function crsFromEpsg(epsg: number, source: CrsSource): CrsResolution | null {
  if (epsg === 4490) return { epsg, name: 'China Geodetic Coordinate System 2000', kind: 'geographic', source };
  if (epsg === 4326) return { epsg, name: 'WGS 84', kind: 'geographic', source };
  const gk = gaussKrugerDefinition(epsg);
  if (!gk) return null;
  return { epsg, name: gk.name, kind: 'projected', source, centralMeridian: gk.centralMeridian, falseEasting: gk.falseEasting };
}

/** A proj4 definition string for a supported EPSG code (x = easting, as shapefiles store it). */
export function proj4Definition(epsg: number): string {
  if (epsg === 4490) return '+proj=longlat +ellps=GRS80 +no_defs +type=crs';
  if (epsg === 4326) return '+proj=longlat +datum=WGS84 +no_defs +type=crs';
  const gk = gaussKrugerDefinition(epsg);
  if (!gk) throw new Error(`EPSG:${epsg} is not a supported CRS`);
  return `+proj=tmerc +lat_0=0 +lon_0=${gk.centralMeridian} +k=1 +x_0=${gk.falseEasting} +y_0=0 +ellps=GRS80 +units=m +no_defs +type=crs`;
}

// ---------------------------------------------------------------------------------------------
// Telling which system a file is in. A .prj is judged by what it computes (ellipsoid, projection,
// parameters), not by what it is called: ArcGIS, GDAL and hand-made files name the same system
// differently, and a familiar name over wrong parameters would shift every coordinate silently.

const CGCS2000_A = 6378137;
const CGCS2000_RF = 298.257222101;
const WGS84_RF = 298.257223563;
const DEGREES = 180 / Math.PI;

/** What identifyPrj reads of proj4's parsed projection (proj4 types it loosely). */
interface ParsedCrs {
  name?: string;
  title?: string;
  projName?: string;
  names?: string[];
  a?: number;
  b?: number;
  rf?: number;
  k0?: number;
  x0?: number;
  y0?: number;
  lat0?: number;
  long0?: number;
  units?: string;
  to_meter?: number;
  from_greenwich?: number;
}

type Ellipsoid = 'cgcs2000' | 'wgs84' | 'krassowsky' | 'iag75' | 'other';

const WKT_KEYWORDS = new Set(['PROJCS', 'GEOGCS', 'GEOCCS', 'PROJCRS', 'GEOGCRS', 'GEODCRS', 'PROJECTEDCRS', 'GEOGRAPHICCRS', 'GEODETICCRS']);

const GAUSS_KRUGER = Array.from({ length: 4554 - 4491 + 1 }, (_, i) => gaussKrugerDefinition(4491 + i)).filter(
  (definition): definition is GaussKrugerDefinition => definition !== null,
);

function unreadable(at: IngestLocation, zh: string, en: string, extra: Record<string, unknown> = {}): never {
  throw packageError('CRS_UNREADABLE', `无法读取坐标系定义（.prj）：${zh}`, `The coordinate system definition (.prj) cannot be read: ${en}`, at, extra);
}

function unsupported(at: IngestLocation, zh: string, en: string, extra: Record<string, unknown> = {}): never {
  throw packageError(
    'CRS_UNSUPPORTED',
    `${zh}。平台只接受 CGCS2000（EPSG:4490 及其高斯-克吕格投影 4491–4554）或 WGS 84 经纬度（EPSG:4326）`,
    `${en}. The platform accepts CGCS2000 (EPSG:4490 and its Gauss-Kruger projections 4491-4554) or WGS 84 longitude/latitude (EPSG:4326)`,
    at,
    extra,
  );
}

function classifyEllipsoid(a: number | undefined, rf: number | undefined, b: number | undefined): Ellipsoid {
  if (a === undefined || !Number.isFinite(a)) return 'other';
  const inverseFlattening = rf !== undefined && rf > 0 ? rf : b !== undefined && b < a ? a / (a - b) : Infinity;
  // GRS80 (1/f = 298.257222100882…) matches CGCS2000 to 4e-13 relative while WGS 84 is 5e-9 away,
  // so a relative tolerance of 1e-9 on the flattening accepts GRS80 and still tells WGS 84 apart.
  const sameFlattening = (reference: number) => Math.abs(reference / inverseFlattening - 1) < 1e-9;
  if (Math.abs(a - CGCS2000_A) < 1e-3) {
    if (sameFlattening(CGCS2000_RF)) return 'cgcs2000';
    if (sameFlattening(WGS84_RF)) return 'wgs84';
    return 'other';
  }
  if (Math.abs(a - 6378245) < 0.5) return 'krassowsky';
  if (Math.abs(a - 6378140) < 0.5) return 'iag75';
  return 'other';
}

function formatNumber(value: number | undefined): string {
  return value === undefined ? '?' : String(Number(value.toFixed(7)));
}

function refuseEllipsoid(ellipsoid: Ellipsoid, parsed: ParsedCrs, label: string, at: IngestLocation): void {
  if (ellipsoid === 'krassowsky') {
    unsupported(at, `北京54 坐标系不受支持（${label}，克拉索夫斯基椭球 a=6378245），请转换为 CGCS2000 后再提交`, `Beijing 1954 is not supported (${label}, Krassowsky ellipsoid a=6378245); convert to CGCS2000 before submitting`, { system: 'Beijing 1954' });
  }
  if (ellipsoid === 'iag75') {
    unsupported(at, `西安80 坐标系不受支持（${label}，IAG-75 椭球 a=6378140），请转换为 CGCS2000 后再提交`, `Xian 1980 is not supported (${label}, IAG-75 ellipsoid a=6378140); convert to CGCS2000 before submitting`, { system: 'Xian 1980' });
  }
  if (ellipsoid === 'other') {
    const shape = `a=${formatNumber(parsed.a)}, 1/f=${formatNumber(parsed.rf)}`;
    unsupported(at, `坐标系 ${label} 的椭球（${shape}）不是 CGCS2000 椭球`, `the ellipsoid of ${label} (${shape}) is not the CGCS2000 ellipsoid`);
  }
}

function isTransverseMercator(parsed: ParsedCrs): boolean {
  const names = (parsed.names ?? []).map((n) => n.toLowerCase());
  // proj4 serves ESRI "Gauss_Kruger" and OGC "Transverse_Mercator" with its etmerc implementation
  return !names.includes('utm') && names.some((n) => n === 'etmerc' || n === 'tmerc' || n.includes('transverse_mercator') || n.includes('transverse mercator'));
}

function epsgFromTitle(title: string | undefined): number | null {
  const match = /^EPSG:(\d+)$/i.exec(title ?? '');
  return match ? Number(match[1]) : null;
}

/**
 * The EPSG code of a .prj (ESRI WKT1 as ArcGIS writes it, OGC WKT1 as GDAL writes it, or WKT2).
 * Throws CRS_UNREADABLE when the text is not a coordinate system, CRS_UNSUPPORTED naming the
 * system when it is one the platform does not take.
 */
export function identifyPrj(wkt: string, at: IngestLocation): CrsResolution {
  const text = wkt.replace(/^\uFEFF/, '').trim();
  const keyword = /^([A-Z_]+)\s*\[/i.exec(text)?.[1]?.toUpperCase();
  if (keyword === 'COMPD_CS' || keyword === 'COMPOUNDCRS') {
    unsupported(at, '复合坐标系（含高程）不受支持，请只导出平面坐标系', 'a compound (horizontal + vertical) CRS is not supported; export the horizontal CRS only');
  }
  // Anything else would reach proj4's registry of named definitions ("WGS84" is one) or its
  // PROJ-string parser, which would accept text that is not a .prj at all.
  if (keyword === undefined || !WKT_KEYWORDS.has(keyword)) unreadable(at, text === '' ? '文件为空' : '内容不是 WKT 坐标系定义', text === '' ? 'the file is empty' : 'it is not a WKT coordinate system');

  let parsed: ParsedCrs;
  try {
    parsed = new proj4.Proj(text) as unknown as ParsedCrs;
  } catch (error) {
    const method = /(?:PROJECTION|METHOD)\s*\[\s*"([^"]*)"/i.exec(text)?.[1];
    // proj4 fails outright on projections it does not implement; those are unsupported, not garbled.
    if (method && !/transverse|gauss/i.test(method)) {
      unsupported(at, `投影方法 ${method} 不受支持（只接受高斯-克吕格投影）`, `the projection method ${method} is not supported (only Gauss-Kruger)`);
    }
    // proj4's reason is English: it goes to the English message and the details only.
    const reason = error instanceof Error ? error.message.slice(0, 200) : String(error);
    unreadable(at, 'WKT 无法解析（原因见 details.reason）', reason, { reason });
  }

  const label = parsed.name ?? parsed.title ?? '(unnamed)';
  const ellipsoid = classifyEllipsoid(parsed.a, parsed.rf, parsed.b);
  refuseEllipsoid(ellipsoid, parsed, label, at);

  const primeMeridianShifted = Math.abs(parsed.from_greenwich ?? 0) > 1e-12;
  if (parsed.projName === 'longlat') {
    const problems: [string, string][] = [];
    if (primeMeridianShifted) problems.push(['本初子午线不是格林尼治', 'the prime meridian is not Greenwich']);
    if (!(parsed.units ?? 'degree').toLowerCase().startsWith('degree')) problems.push([`角度单位为 ${parsed.units}`, `the angular unit is ${parsed.units}`]);
    if (problems.length) refuseProblems(label, problems, at);
    return crsFromEpsg(ellipsoid === 'cgcs2000' ? 4490 : 4326, 'prj')!;
  }

  const centralMeridian = (parsed.long0 ?? 0) * DEGREES;
  const scale = parsed.k0 ?? 1;
  const falseEasting = parsed.x0 ?? 0;
  const falseNorthing = parsed.y0 ?? 0;
  const latitudeOfOrigin = (parsed.lat0 ?? 0) * DEGREES;
  const looksLikeUtm = Math.abs(scale - 0.9996) < 1e-9 && falseEasting === 500_000 && (falseNorthing === 0 || falseNorthing === 10_000_000);
  if (isTransverseMercator(parsed) && looksLikeUtm) {
    const zone = Math.round((centralMeridian + 183) / 6);
    const hemisphere = falseNorthing === 0 ? 'N' : 'S';
    unsupported(at, `UTM 投影（${label}，${zone}${hemisphere} 带，比例因子 0.9996）不受支持，请转换为 CGCS2000 高斯-克吕格投影`, `UTM (${label}, zone ${zone}${hemisphere}, scale factor 0.9996) is not supported; convert to CGCS2000 Gauss-Kruger`, { system: `UTM ${zone}${hemisphere}` });
  }
  if (ellipsoid === 'wgs84') {
    unsupported(at, `WGS 84 投影坐标系 ${label} 不受支持（WGS 84 只接受经纬度）`, `the WGS 84 projected CRS ${label} is not supported (WGS 84 only as longitude/latitude)`);
  }
  if (!isTransverseMercator(parsed)) {
    unsupported(at, `投影方法 ${parsed.projName} 不受支持（${label}；只接受高斯-克吕格投影）`, `the projection method ${parsed.projName} is not supported (${label}; only Gauss-Kruger)`);
  }

  const problems: [string, string][] = [];
  if (Math.abs((parsed.to_meter ?? 1) - 1) > 1e-12) problems.push([`长度单位为 ${parsed.units}，不是米`, `the linear unit is ${parsed.units}, not metre`]);
  if (primeMeridianShifted) problems.push(['本初子午线不是格林尼治', 'the prime meridian is not Greenwich']);
  if (Math.abs(scale - 1) > 1e-12) problems.push([`比例因子为 ${formatNumber(scale)}，不是 1`, `the scale factor is ${formatNumber(scale)}, not 1`]);
  if (Math.abs(latitudeOfOrigin) > 1e-9) problems.push([`起始纬度为 ${formatNumber(latitudeOfOrigin)}°，不是 0`, `the latitude of origin is ${formatNumber(latitudeOfOrigin)}°, not 0`]);
  if (Math.abs(falseNorthing) > 1e-6) problems.push([`假北为 ${formatNumber(falseNorthing)}，不是 0`, `the false northing is ${formatNumber(falseNorthing)}, not 0`]);
  const candidates = GAUSS_KRUGER.filter((d) => Math.abs(d.centralMeridian - centralMeridian) < 1e-7 && Math.abs(d.falseEasting - falseEasting) < 1e-3);
  if (candidates.length === 0) {
    const zoneMeridian = GAUSS_KRUGER.some((d) => Math.abs(d.centralMeridian - centralMeridian) < 1e-7);
    problems.push(
      zoneMeridian
        ? [`假东 ${formatNumber(falseEasting)} 与中央经线 ${formatNumber(centralMeridian)}° 的分带不符`, `the false easting ${formatNumber(falseEasting)} does not belong to central meridian ${formatNumber(centralMeridian)}°`]
        : [`中央经线 ${formatNumber(centralMeridian)}° 不是 CGCS2000 3°/6° 分带的中央经线（地方坐标系？）`, `the central meridian ${formatNumber(centralMeridian)}° is not that of a CGCS2000 3- or 6-degree zone (a local grid?)`],
    );
  }
  if (problems.length) refuseProblems(label, problems, at);
  return crsFromEpsg(chooseZone(candidates, epsgFromTitle(parsed.title), label).epsg, 'prj')!;
}

function refuseProblems(label: string, problems: [string, string][], at: IngestLocation): never {
  unsupported(at, `坐标系 ${label} 不是标准 CGCS2000 坐标系：${problems.map((p) => p[0]).join('；')}`, `${label} is not a standard CGCS2000 system: ${problems.map((p) => p[1]).join('; ')}`);
}

/**
 * The 6-degree "CM" codes (4502-4512) and the 3-degree "CM" codes (4534-4554) at 75°, 81° … 135°
 * have identical parameters, so only the authority or the name can tell them apart; without
 * either, 3-degree zones are what land surveys use.
 */
function chooseZone(candidates: GaussKrugerDefinition[], authority: number | null, label: string): GaussKrugerDefinition {
  const [first] = candidates;
  if (!first) throw new Error('chooseZone needs a candidate');
  if (candidates.length === 1) return first;
  const byAuthority = candidates.find((c) => c.epsg === authority);
  if (byAuthority) return byAuthority;
  const sixDegree = /(^|[^0-9])6[\s_-]*(degree|deg|度)|^CGCS2000(_| \/ )(GK|Gauss-Kruger)[_ ]/i.test(label);
  return candidates.find((c) => (c.epsg >= 4534) !== sixDegree) ?? first;
}

function undetermined(at: IngestLocation, zh: string, en: string): never {
  throw packageError(
    'CRS_UNDETERMINED',
    `${zh}；请在数据包中附上 .prj 文件，或在提交时声明 EPSG 代码`,
    `${en}; add the .prj file to the package or declare the EPSG code when submitting`,
    at,
  );
}

/**
 * The CRS of a shapefile without a .prj, told from its coordinates alone: degrees inside China,
 * or Gauss-Kruger eastings that carry their zone number in the millions.
 */
export function inferCrs(bbox: [number, number, number, number], at: IngestLocation): CrsResolution {
  const [minX, minY, maxX, maxY] = bbox;
  if (!bbox.every(Number.isFinite)) undetermined(at, '缺少 .prj 且范围无效', 'no .prj and the extent is not finite');
  if (minX >= 73 && maxX <= 136 && minY >= 3 && maxY <= 54) return crsFromEpsg(4490, 'inferred')!;

  const northingPlausible = minY >= 300_000 && maxY <= 6_200_000;
  if (northingPlausible && minX >= 10_000_000 && maxX < 100_000_000) {
    const zone = Math.floor(minX / 1_000_000);
    const lastZone = Math.floor(maxX / 1_000_000);
    if (lastZone !== zone) {
      undetermined(at, `缺少 .prj 且横坐标跨越 ${zone} 带与 ${lastZone} 带，无法判断投影带`, `no .prj and the eastings span zones ${zone} and ${lastZone}, so the zone cannot be told`);
    }
    const inZone = minX - zone * 1_000_000 >= 0 && maxX - zone * 1_000_000 <= 1_000_000;
    const epsg = zone >= 25 && zone <= 45 ? 4513 + zone - 25 : zone >= 13 && zone <= 23 ? 4491 + zone - 13 : null;
    if (epsg !== null && inZone) return crsFromEpsg(epsg, 'inferred')!;
    undetermined(at, `缺少 .prj 且横坐标中的带号 ${zone} 不是我国的 3°（25–45）或 6°（13–23）投影带`, `no .prj and the zone number ${zone} in the eastings is not a Chinese 3-degree (25-45) or 6-degree (13-23) zone`);
  }
  if (northingPlausible && minX >= 0 && maxX <= 1_000_000) {
    undetermined(at, '缺少 .prj 且坐标无法判断中央经线（横坐标不含带号）', 'no .prj and the central meridian cannot be told from the coordinates (the eastings carry no zone number)');
  }
  undetermined(at, '缺少 .prj 且无法从坐标判断坐标系', 'no .prj and the coordinate system cannot be told from the coordinates');
}

/** Names for codes people commonly send, so a refusal can say what the data is in. */
function describeEpsg(epsg: number): [string, string] | null {
  if (epsg === 4214 || (epsg >= 2401 && epsg <= 2442) || (epsg >= 21413 && epsg <= 21423) || (epsg >= 21453 && epsg <= 21463)) {
    return ['北京54 坐标系', 'Beijing 1954'];
  }
  if (epsg === 4610 || (epsg >= 2327 && epsg <= 2390)) return ['西安80 坐标系', 'Xian 1980'];
  if (epsg === 4555 || (epsg >= 4568 && epsg <= 4589)) return ['新北京54 坐标系', 'New Beijing'];
  if (epsg >= 32601 && epsg <= 32660) return [`WGS 84 / UTM ${epsg - 32600}N 投影`, `WGS 84 / UTM zone ${epsg - 32600}N`];
  if (epsg >= 32701 && epsg <= 32760) return [`WGS 84 / UTM ${epsg - 32700}S 投影`, `WGS 84 / UTM zone ${epsg - 32700}S`];
  if (epsg === 3857 || epsg === 900913) return ['Web 墨卡托投影', 'Web Mercator'];
  return null;
}

function epsgFromCrsName(name: string): number | null {
  const text = name.trim();
  if (/^(urn:ogc:def:crs:OGC:[^:]*:CRS84|OGC:CRS84|CRS84|https?:\/\/www\.opengis\.net\/def\/crs\/OGC\/[^/]+\/CRS84)$/i.test(text)) return 4326;
  const match =
    /^urn:ogc:def:crs:EPSG:[^:]*:(\d+)$/i.exec(text) ??
    /^EPSG:{1,2}(\d+)$/i.exec(text) ??
    /^https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/[^/]+\/(\d+)$/i.exec(text);
  return match ? Number(match[1]) : null;
}

/**
 * The pre-RFC 7946 "crs" member of a GeoJSON object ({"type": "name", "properties": {"name":
 * "urn:ogc:def:crs:EPSG::4490"}}); null when there is none, so the RFC 7946 default applies.
 */
export function crsFromGeoJsonMember(crs: unknown, at: IngestLocation): CrsResolution | null {
  if (crs === undefined || crs === null) return null;
  const member = typeof crs === 'object' && !Array.isArray(crs) ? (crs as { type?: unknown; properties?: unknown }) : null;
  const properties = member && typeof member.properties === 'object' && member.properties !== null ? (member.properties as Record<string, unknown>) : null;
  if (!member || !properties) {
    throw packageError('CRS_UNREADABLE', 'GeoJSON 的 crs 成员格式不正确', 'The GeoJSON "crs" member is malformed', at);
  }
  let epsg: number | null = null;
  let written = '';
  if (member.type === 'name' && typeof properties.name === 'string') {
    written = properties.name;
    epsg = epsgFromCrsName(written);
  } else if (String(member.type).toUpperCase() === 'EPSG' && (typeof properties.code === 'number' || typeof properties.code === 'string')) {
    // the 2008 draft's {"type": "EPSG", "properties": {"code": 4490}}, still written by old tools
    written = `EPSG:${properties.code}`;
    epsg = /^\d+$/.test(String(properties.code)) ? Number(properties.code) : null;
  } else if (member.type === 'link') {
    unsupported(at, 'GeoJSON 的 crs 成员引用外部定义（link），无法读取', 'the GeoJSON "crs" member links to an external definition, which cannot be read');
  } else {
    throw packageError('CRS_UNREADABLE', 'GeoJSON 的 crs 成员格式不正确', 'The GeoJSON "crs" member is malformed', at);
  }
  if (epsg === null) unsupported(at, `GeoJSON 声明的坐标系 ${written} 无法识别`, `the GeoJSON declares the coordinate system ${written}, which is not recognised`);
  const resolution = crsFromEpsg(epsg, 'declared');
  if (resolution) return resolution;
  const known = describeEpsg(epsg);
  const zh = known ? `${known[0]}（EPSG:${epsg}）不受支持，请转换为 CGCS2000 后再提交` : `GeoJSON 声明的坐标系 EPSG:${epsg} 不受支持`;
  const en = known ? `${known[1]} (EPSG:${epsg}) is not supported; convert to CGCS2000 before submitting` : `the GeoJSON declares EPSG:${epsg}, which is not supported`;
  unsupported(at, zh, en, { epsg });
}

/** A generous box in the CRS's own units; coordinates outside it are far outside China. */
export function chinaBounds(crs: CrsResolution): [number, number, number, number] {
  if (crs.kind === 'geographic') return [70, 0, 140, 56];
  const falseEasting = crs.falseEasting ?? gaussKrugerDefinition(crs.epsg)?.falseEasting;
  if (falseEasting === undefined) throw new Error(`EPSG:${crs.epsg} has no false easting`);
  return [falseEasting - 1_000_000, 0, falseEasting + 1_000_000, 6_300_000];
}
