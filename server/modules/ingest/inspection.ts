// What the structure pass reads of a layer's records before the upload is answered: the first
// records (config.inspectRecords per layer) are read as the import will read them, so a layer of
// points, a layer far outside China, or a package whose own codes name another district is
// refused at upload (422, nothing stored) instead of failing in the background. The import and
// the quality checks still judge every record; this pass only brings forward what the first
// records already tell. Their unit codes are tallied over the whole package: see
// refuseOtherDistrict for when they refuse it.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../config.ts';
import { chinaBounds } from './crs.ts';
import { packageError, type IngestLocation } from './errors.ts';
import type { LayerSpec } from './layer-specs.ts';
import { checkedGeometry } from './record-rows.ts';
import type { SourceLayer, SourceRecord } from './readers/types.ts';

/** Fields whose first six digits are the district (county) code: 坐落/权属单位代码, 行政区代码. */
export const DISTRICT_CODE_FIELDS = ['ZLDWDM', 'QSDWDM', 'XZQDM'] as const;

let districtNames: Map<string, string> | null = null;

/** 上海 district names by code (fixtures/reference/codes.json), for messages. */
export function districtName(code: string): string | null {
  if (!districtNames) {
    const codes = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'fixtures', 'reference', 'codes.json'), 'utf8')) as {
      shanghai_districts?: { current?: { code: string; name: string }[] };
    };
    districtNames = new Map((codes.shanghai_districts?.current ?? []).map((district) => [district.code, district.name]));
  }
  return districtNames.get(code) ?? null;
}

function named(code: string): [string, string] {
  const name = districtName(code);
  return name ? [`${code}（${name}）`, `${code} (${name})`] : [code, code];
}

/**
 * The district a code value names, or null when the value carries none (empty, or not a code:
 * a malformed code is the attribute checks' finding, not a reason to refuse here).
 */
export function districtOfCode(value: unknown): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const text = String(value).trim();
  return /^\d{6,19}$/.test(text) ? text.slice(0, 6) : null;
}

/** How often each district is named by the sampled codes, with the first place that names it. */
export type DistrictTally = Map<string, { count: number; first: IngestLocation; value: string }>;

export function tallyDistrictCodes(record: SourceRecord, codeFields: { index: number; name: string }[], tally: DistrictTally, at: IngestLocation): void {
  for (const field of codeFields) {
    const value = record.values[field.index];
    const district = districtOfCode(value);
    if (district === null) continue;
    const seen = tally.get(district);
    if (seen) seen.count++;
    else tally.set(district, { count: 1, first: { ...at, record: record.index, field: field.name }, value: String(value) });
  }
}

/**
 * Refuses a package whose codes name another district more often than the one it is submitted
 * for: that is a package sent to the wrong district. A few codes of another district among the
 * district's own are a fault in those records, which the quality checks report (ATTR_UNIT_CODE).
 */
export function refuseOtherDistrict(tally: DistrictTally, districtCode: string): void {
  const own = tally.get(districtCode)?.count ?? 0;
  let dominant: [string, { count: number; first: IngestLocation; value: string }] | null = null;
  for (const entry of tally) if (entry[0] !== districtCode && (!dominant || entry[1].count > dominant[1].count)) dominant = entry;
  if (!dominant || dominant[1].count <= own) return;
  const [district, { count, first, value }] = dominant;
  const total = [...tally.values()].reduce((sum, entry) => sum + entry.count, 0);
  const [found, foundEn] = named(district);
  const [submitted, submittedEn] = named(districtCode);
  throw packageError(
    'PACKAGE_OTHER_DISTRICT',
    `数据包属于其他区：读取的 ${total} 个单位代码中有 ${count} 个属于 ${found}（如 ${first.field} 的值 ${value}），只有 ${own} 个属于提交的区 ${submitted}`,
    `The package belongs to another district: ${count} of the ${total} unit codes read name ${foundEn} (e.g. ${first.field} = ${value}), only ${own} the district it is submitted for, ${submittedEn}`,
    first,
    { value, foundDistrict: district, submittedDistrict: districtCode, codesRead: total, codesOfFoundDistrict: count, codesOfSubmittedDistrict: own },
  );
}

/** Reads the layer's first `limit` records through the checks the import would refuse them with. */
export async function inspectRecords(spec: LayerSpec, layer: SourceLayer, tally: DistrictTally, limit: number): Promise<void> {
  const at: IngestLocation = { file: layer.file, layer: layer.name };
  const attributesAt: IngestLocation = { ...at, file: layer.attributesFile ?? layer.file };
  const bounds = chinaBounds(layer.crs);
  const wanted = new Set<string>(DISTRICT_CODE_FIELDS.filter((name) => spec.fields.some((field) => field.source === name)));
  const codeFields = layer.fields.flatMap((field, index) => (wanted.has(field.name.toUpperCase()) ? [{ index, name: field.name }] : []));
  let read = 0;
  const records = layer.records();
  try {
    for await (const record of records) {
      checkedGeometry(record, bounds, at);
      tallyDistrictCodes(record, codeFields, tally, attributesAt);
      if (++read >= limit) break;
    }
  } finally {
    await records.return(undefined);
  }
  // A reader that measured the whole layer before its first record (GeoJSON) tells the rest too.
  const extent = layer.extent;
  if (extent && (extent[0] < bounds[0] || extent[1] < bounds[1] || extent[2] > bounds[2] || extent[3] > bounds[3])) {
    throw packageError(
      'COORDINATES_OUTSIDE_CHINA',
      `图层范围远在中国范围之外（${extent.map((value) => value.toFixed(3)).join(', ')}），请检查坐标系与数据`,
      `The layer's extent lies far outside China (${extent.map((value) => value.toFixed(3)).join(', ')}): check the coordinate system and the data`,
      at,
      { bbox: extent, epsg: layer.crs.epsg },
    );
  }
}
