// The GeoPackage geometry blob (OGC 12-128r18, §2.1.3): a "GP" header with an optional envelope,
// then standard WKB. The header's byte order is its own; the WKB after it carries its own again.
import { packageError, type IngestLocation } from '../errors.ts';
import { normaliseWkb, type NormalisedGeometry } from './wkb.ts';

/** Envelope indicator 0-4 → bytes of envelope (none, xy, xyz, xym, xyzm doubles); 5-7 are invalid. */
const ENVELOPE_BYTES = [0, 32, 48, 48, 64];

export interface GeoPackageHeader {
  version: number;
  /** srs_id written in the blob; the spec says it equals the column's, readers go by the column */
  srsId: number;
  empty: boolean;
  extended: boolean;
  /** offset of the WKB after the header */
  wkbOffset: number;
}

function unreadable(at: IngestLocation, en: string, zh: string): Error {
  return packageError('GEOMETRY_UNREADABLE', `GeoPackage 几何数据无法解析：${zh}`, `The GeoPackage geometry cannot be read: ${en}`, at);
}

export function parseGeoPackageHeader(blob: Uint8Array, at: IngestLocation): GeoPackageHeader {
  if (blob.length < 8 || blob[0] !== 0x47 || blob[1] !== 0x50) {
    throw unreadable(at, 'the blob does not start with the "GP" magic', '数据不以 "GP" 标识开头');
  }
  const version = blob[2]!;
  const flags = blob[3]!;
  const envelope = (flags >> 1) & 0x07;
  const envelopeBytes = ENVELOPE_BYTES[envelope];
  if (envelopeBytes === undefined) throw unreadable(at, `envelope indicator ${envelope} is invalid`, `包络指示码 ${envelope} 无效`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const srsId = view.getInt32(4, (flags & 0x01) === 1);
  const wkbOffset = 8 + envelopeBytes;
  if (blob.length < wkbOffset) throw unreadable(at, 'the header ends early', '头部数据提前结束');
  return { version, srsId, empty: (flags & 0x10) !== 0, extended: (flags & 0x20) !== 0, wkbOffset };
}

/** A GeoPackage blob as the importer's 2D little-endian ISO WKB. */
export function geoPackageGeometry(blob: Uint8Array, at: IngestLocation): NormalisedGeometry {
  const header = parseGeoPackageHeader(blob, at);
  if (header.version !== 0) {
    throw unreadable(at, `binary version ${header.version} is unknown (only version 1, stored as 0, exists)`, `未知的二进制版本 ${header.version}`);
  }
  // Extended blobs hold an extension's own encoding, which only that extension can read.
  if (header.extended) {
    throw packageError('GEOMETRY_UNSUPPORTED', 'GeoPackage 几何使用扩展二进制格式（ExtendedGeoPackageBinary），无法读取',
      'The GeoPackage geometry uses the extended binary format (ExtendedGeoPackageBinary), which cannot be read', at);
  }
  if (header.empty) return { wkb: null, bbox: null, geometryType: null, issues: [] };
  return normaliseWkb(blob.subarray(header.wkbOffset), at);
}
