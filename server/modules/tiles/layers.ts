// The tile layers, what a tile request names, and the generalisation rule: which parcels and which
// properties a tile at zoom z carries, so that no tile grows past MAX_TILE_BYTES.
import { parseDay, today } from '../versions/queries.ts';
import { tileErrors } from './errors.ts';

export const TILE_LAYERS = ['land_use', 'basic_farmland', 'districts', 'findings', 'changes'] as const;
export type TileLayer = (typeof TILE_LAYERS)[number];

/** Mapbox Vector Tile v2, 4096 units a side, 64 units of buffer around (for line widths and labels). */
export const EXTENT = 4096;
export const BUFFER = 64;
export const MAX_ZOOM = 22;
/** No tile is larger than this (500 KB, counted as 500,000 bytes). */
export const MAX_TILE_BYTES = 500_000;
/** From this zoom on, parcel tiles carry every property; below it the per-parcel ones are left out. */
export const FULL_PROPERTIES_ZOOM = 14;
/** Below FULL_PROPERTIES_ZOOM a parcel tile holds at most this many parcels, the largest first. */
export const LOW_ZOOM_FEATURES = 12_000;
/** A tile is drawn 512 CSS pixels wide (MapLibre's vector tile size). */
const DISPLAY_PIXELS = 512;
const EARTH_CIRCUMFERENCE_M = 2 * Math.PI * 6_378_137;

/** Which data generation (migrations/0010) a layer's tiles depend on. */
export type TileSource = 'parcels' | 'findings' | 'reference';
export const SOURCE_OF: Record<TileLayer, TileSource> = {
  land_use: 'parcels',
  basic_farmland: 'parcels',
  changes: 'parcels',
  findings: 'findings',
  districts: 'reference',
};

export interface TileRequest {
  layer: TileLayer;
  z: number;
  x: number;
  y: number;
  /** the day whose state is drawn (parcel layers, districts) */
  asOf: string;
  districtCode: string | null;
  runId: string | null;
  from: string | null;
  to: string | null;
}

export interface TileQueryString {
  asOf?: string;
  districtCode?: string;
  runId?: string;
  from?: string;
  to?: string;
}

function isTileLayer(value: string): value is TileLayer {
  return (TILE_LAYERS as readonly string[]).includes(value);
}

/** Checks the layer and the tile address and reads the parameters the layer takes. */
export function tileRequest(params: { layer: string; z: number; x: number; y: number }, query: TileQueryString): TileRequest {
  const { layer, z, x, y } = params;
  if (!isTileLayer(layer)) {
    throw tileErrors.invalid(`未知图层 ${layer}（可用：${TILE_LAYERS.map((name) => `\`${name}\``).join('、')}）`, `unknown layer ${layer} (one of ${TILE_LAYERS.join(', ')})`, { layer, layers: TILE_LAYERS });
  }
  if (!Number.isInteger(z) || z < 0 || z > MAX_ZOOM) {
    throw tileErrors.invalid(`缩放级别 ${z} 超出 0–${MAX_ZOOM}`, `zoom ${z} outside 0-${MAX_ZOOM}`, { z });
  }
  const size = 2 ** z;
  if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= size || y >= size) {
    throw tileErrors.invalid(`第 ${z} 级没有瓦片 ${x}/${y}（行列号应在 0–${size - 1}）`, `there is no tile ${x}/${y} at zoom ${z} (0-${size - 1})`, { z, x, y });
  }
  const request: TileRequest = { layer, z, x, y, asOf: parseDay(query.asOf ?? today()), districtCode: null, runId: null, from: null, to: null };
  if (layer === 'land_use' || layer === 'basic_farmland' || layer === 'changes') request.districtCode = query.districtCode ?? null;
  if (layer === 'findings') {
    if (!query.runId) throw tileErrors.runRequired();
    request.runId = query.runId.toLowerCase();
  }
  if (layer === 'changes') {
    if (!query.from || !query.to) throw tileErrors.datesRequired();
    request.from = parseDay(query.from);
    request.to = parseDay(query.to);
    if (request.from > request.to) throw tileErrors.dateOrder(request.from, request.to);
  }
  return request;
}

/** What distinguishes two requests of one layer: the tile and the parameters the layer uses. */
export function requestKey(request: TileRequest): string {
  const { layer, z, x, y } = request;
  const tile = `${layer}/${z}/${x}/${y}`;
  switch (layer) {
    case 'land_use':
    case 'basic_farmland':
      return `${tile}?asOf=${request.asOf}&district=${request.districtCode ?? ''}`;
    case 'districts':
      return `${tile}?asOf=${request.asOf}`;
    case 'findings':
      return `${tile}?run=${request.runId ?? ''}`;
    case 'changes':
      return `${tile}?from=${request.from ?? ''}&to=${request.to ?? ''}&district=${request.districtCode ?? ''}`;
  }
}

/** Latitude (degrees) of the middle of tile row y at zoom z. */
function centreLatitude(z: number, y: number): number {
  const n = Math.PI * (1 - (2 * (y + 0.5)) / 2 ** z);
  return (Math.atan(Math.sinh(n)) * 180) / Math.PI;
}

/** Ground size (m) of one screen pixel of a tile drawn 512 pixels wide, at the tile's middle. */
export function displayPixelMetres(z: number, y: number): number {
  return (EARTH_CIRCUMFERENCE_M * Math.cos((centreLatitude(z, y) * Math.PI) / 180)) / (DISPLAY_PIXELS * 2 ** z);
}

/** Parcels smaller than one screen pixel (m², ellipsoidal, as area_m2) are left out of a tile. */
export function minimumArea(z: number, y: number): number {
  const pixel = displayPixelMetres(z, y);
  // Rounded down to the cent, like area_m2: a parcel of exactly one pixel stays.
  return Math.floor(pixel * pixel * 100) / 100;
}

/** Half a tile unit in EPSG:3857 metres at zoom z: features are simplified under it. */
export function simplifyTolerance(z: number): number {
  return EARTH_CIRCUMFERENCE_M / 2 ** z / EXTENT / 2;
}

/** The first try's limit on parcels in a tile (null: none); a tile still too large is cut further. */
export function initialFeatureLimit(request: TileRequest): number | null {
  if (request.layer === 'districts') return null;
  return request.z < FULL_PROPERTIES_ZOOM ? LOW_ZOOM_FEATURES : null;
}

/** After a tile of `features` features came out at `bytes`, how many of them the next try keeps. */
export function nextFeatureLimit(features: number, bytes: number, attempt: number, maxBytes = MAX_TILE_BYTES): number {
  const proportional = Math.floor((features * 0.9 * maxBytes) / bytes);
  // Proportional cuts converge in one or two tries; from the fourth try on, halve at least.
  return Math.max(0, attempt >= 3 ? Math.min(proportional, Math.floor(features / 2)) : proportional);
}
