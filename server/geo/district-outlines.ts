// The demo district outlines (fixtures/districts/shanghai-districts.geojson), as the platform and the
// package generator both use them. The file's outlines are generalised, with edges up to kilometres
// long. An edge is straight in longitude/latitude in the database, but the generator tessellates in
// Gauss-Kruger metres, where the same two vertices are joined by a slightly different line: on a
// 5 km edge the two differ by decimetres, enough for a clean generated package to stick out of its
// district. Densifying every edge (linearly in lon/lat, so the outline keeps its exact shape in
// EPSG:4490) to steps of at most DENSIFY_STEP_DEG makes the two lines agree to well under a millimetre.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../config.ts';

export const DISTRICTS_FILE = path.join(REPO_ROOT, 'fixtures/districts/shanghai-districts.geojson');
/** about 40 m */
export const DENSIFY_STEP_DEG = 0.0004;

export interface DistrictOutline {
  code: string;
  name: string;
  /** MultiPolygon coordinates, densified: polygons → rings → closed [lon, lat] positions */
  coordinates: number[][][][];
}

export function densifyRing(ring: number[][], step = DENSIFY_STEP_DEG): number[][] {
  const out: number[][] = [];
  for (let k = 0; k + 1 < ring.length; k++) {
    const [x1, y1] = ring[k] as [number, number];
    const [x2, y2] = ring[k + 1] as [number, number];
    const pieces = Math.max(1, Math.ceil(Math.hypot(x2 - x1, y2 - y1) / step));
    for (let i = 0; i < pieces; i++) out.push(i === 0 ? [x1, y1] : [x1 + ((x2 - x1) * i) / pieces, y1 + ((y2 - y1) * i) / pieces]);
  }
  out.push([...(ring[ring.length - 1] as [number, number])]);
  return out;
}

let cache: { text: string; outlines: DistrictOutline[] } | null = null;

/** The file's text (for its checksum) and its districts with densified outlines. */
export function districtOutlines(): { text: string; outlines: DistrictOutline[] } {
  if (cache) return cache;
  const text = fs.readFileSync(DISTRICTS_FILE, 'utf8');
  const json = JSON.parse(text) as {
    features: { properties: { code: string; name: string }; geometry: { type: string; coordinates: number[][][][] } }[];
  };
  const outlines = json.features.map((feature) => {
    if (feature.geometry.type !== 'MultiPolygon') throw new Error(`district ${feature.properties.code}: expected a MultiPolygon`);
    return {
      code: feature.properties.code,
      name: feature.properties.name,
      coordinates: feature.geometry.coordinates.map((polygon) => polygon.map((ring) => densifyRing(ring))),
    };
  });
  cache = { text, outlines };
  return cache;
}
