// The cursor's position in CGCS2000: geographic degrees, and Gauss-Kruger 3° zone coordinates in
// metres with the zone number before the easting (EPSG:4513-4533 style, e.g. zone 41 is
// EPSG:4529). MapLibre's lon/lat are used as CGCS2000 lon/lat: the two frames differ by
// centimetres, far below what a cursor points at.
import proj4, { type Converter } from 'proj4';

const CGCS2000 = '+proj=longlat +ellps=GRS80 +no_defs';

/** The 3° zone of a longitude: central meridian 3n. */
export function zoneOf(lon: number): number {
  return Math.round(lon / 3);
}

/** EPSG code of CGCS2000 / 3-degree Gauss-Kruger zone n (zone 25 = 4513 … zone 45 = 4533). */
export function epsgOfZone(zone: number): number | null {
  return zone >= 25 && zone <= 45 ? 4488 + zone : null;
}

const converters = new Map<number, Converter>();

function converter(zone: number): Converter {
  let found = converters.get(zone);
  if (!found) {
    const tmerc = `+proj=tmerc +lat_0=0 +lon_0=${zone * 3} +k=1 +x_0=${zone * 1_000_000 + 500_000} +y_0=0 +ellps=GRS80 +units=m +no_defs`;
    found = proj4(CGCS2000, tmerc);
    converters.set(zone, found);
  }
  return found;
}

export interface GaussKruger {
  zone: number;
  epsg: number | null;
  /** easting with the zone number prefixed, metres (the surveyor's Y) */
  east: number;
  /** northing, metres (the surveyor's X) */
  north: number;
}

export function toGaussKruger(lon: number, lat: number): GaussKruger {
  const zone = zoneOf(lon);
  const [east, north] = converter(zone).forward([lon, lat]) as [number, number];
  return { zone, epsg: epsgOfZone(zone), east, north };
}

/** Groups digits in threes from the right with spaces: 41512345.678 → "41 512 345.68". */
export function groupMetres(value: number): string {
  const [whole, fraction] = value.toFixed(2).split('.');
  return `${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ' ')}.${fraction}`;
}

export function formatDms(value: number, positive: string, negative: string): string {
  const sign = value < 0 ? negative : positive;
  let rest = Math.abs(value);
  const degrees = Math.floor(rest);
  rest = (rest - degrees) * 60;
  const minutes = Math.floor(rest);
  const seconds = (rest - minutes) * 60;
  return `${degrees}°${String(minutes).padStart(2, '0')}′${seconds.toFixed(2).padStart(5, '0')}″${sign}`;
}

/** Two lines for the status bar; as Chinese surveying writes them, X is the northing and Y the easting. */
export function describePosition(lon: number, lat: number): { geographic: string; projected: string } {
  const gk = toGaussKruger(lon, lat);
  const geographic = `CGCS2000 经度 ${lon.toFixed(6)}° 纬度 ${lat.toFixed(6)}°（${formatDms(lon, 'E', 'W')} ${formatDms(lat, 'N', 'S')}）`;
  const epsg = gk.epsg ? `EPSG:${gk.epsg}` : '';
  const projected = `高斯-克吕格 3°带 第 ${gk.zone} 带 ${epsg}  X（北）${groupMetres(gk.north)} m  Y（东）${groupMetres(gk.east)} m`;
  return { geographic, projected };
}
