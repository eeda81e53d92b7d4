// What the structure pass reads of a layer's records before the upload is answered: the first
// records (config.inspectRecords per layer) are read as the import will read them, so a layer of
// points, a layer far outside China, or a package whose own codes name another district is
// refused at upload (422, nothing stored) instead of failing in the background. The import and
// the quality checks still judge every record; this pass only brings forward what the first
// records already tell.
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

/** Refuses the record when one of its code fields names a district other than `districtCode`. */
export function checkDistrictCodes(record: SourceRecord, codeFields: { index: number; name: string }[], districtCode: string, at: IngestLocation): void {
  for (const field of codeFields) {
    const value = record.values[field.index];
    const district = districtOfCode(value);
    if (district === null || district === districtCode) continue;
    const [found, foundEn] = named(district);
    const [submitted, submittedEn] = named(districtCode);
    throw packageError(
      'PACKAGE_OTHER_DISTRICT',
      `数据包属于其他区：${field.name} 的值 ${String(value)} 以区代码 ${found} 开头，而提交的区是 ${submitted}`,
      `The package belongs to another district: ${field.name} = ${String(value)} starts with the district code ${foundEn}, but it is submitted for ${submittedEn}`,
      { ...at, record: record.index, field: field.name },
      { value: String(value), foundDistrict: district, submittedDistrict: districtCode },
    );
  }
}

/** Reads the layer's first `limit` records through the checks the import would refuse them with. */
export async function inspectRecords(spec: LayerSpec, layer: SourceLayer, districtCode: string, limit: number): Promise<void> {
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
      checkDistrictCodes(record, codeFields, districtCode, attributesAt);
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
