// Encodes a tile in JS for the engine without ST_AsMVT: the rows of sql.ts ('rows' form) carry
// geometry already clipped, scaled to tile units, snapped and oriented by mvt_prepare, as GeoJSON;
// they become geojson-vt style features and @maplibre/vt-pbf writes the protobuf (v2, 4096).
import { fromGeojsonVt } from '@maplibre/vt-pbf';
import { EXTENT } from './layers.ts';

type Position = [number, number];
interface TileGeometry {
  type: string;
  coordinates: unknown;
}

/** A feature as vt-pbf takes it: type 1 point, 2 line, 3 polygon; geometry in tile units. */
interface VtFeature {
  id?: number;
  type: 1 | 2 | 3;
  geometry: Position[] | Position[][];
  tags: Record<string, string | number | boolean>;
}

function toVtGeometry(geometry: TileGeometry): Pick<VtFeature, 'type' | 'geometry'> | null {
  switch (geometry.type) {
    case 'Point':
      return { type: 1, geometry: [geometry.coordinates as Position] };
    case 'MultiPoint':
      return { type: 1, geometry: geometry.coordinates as Position[] };
    case 'LineString':
      return { type: 2, geometry: [geometry.coordinates as Position[]] };
    case 'MultiLineString':
      return { type: 2, geometry: geometry.coordinates as Position[][] };
    case 'Polygon':
      return { type: 3, geometry: geometry.coordinates as Position[][] };
    case 'MultiPolygon':
      // Rings of all polygons in order; their winding tells exterior from hole.
      return { type: 3, geometry: (geometry.coordinates as Position[][][]).flat() };
    default:
      return null;
  }
}

/**
 * One MVT layer from rows of { fid, …properties, geom }: fid is the feature id, null properties
 * are left out (as ST_AsMVT does), rows without geometry are dropped. No features: empty bytes,
 * as ST_AsMVT returns for none.
 */
export function encodeRows(layer: string, rows: readonly Record<string, unknown>[]): { bytes: Buffer; features: number } {
  const features: VtFeature[] = [];
  for (const row of rows) {
    const geometry = row.geom as TileGeometry | null;
    if (!geometry) continue;
    const vt = toVtGeometry(geometry);
    if (!vt) continue;
    const tags: VtFeature['tags'] = {};
    for (const [key, value] of Object.entries(row)) {
      if (key === 'fid' || key === 'geom' || value === null || value === undefined) continue;
      tags[key] = typeof value === 'number' || typeof value === 'boolean' ? value : String(value);
    }
    features.push({ ...(row.fid === null || row.fid === undefined ? {} : { id: Number(row.fid) }), ...vt, tags });
  }
  if (features.length === 0) return { bytes: Buffer.alloc(0), features: 0 };
  const encoded = fromGeojsonVt({ [layer]: { features } } as never, { version: 2, extent: EXTENT });
  return { bytes: Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength), features: features.length };
}
