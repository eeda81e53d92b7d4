// Ellipsoidal area on CGCS2000, the way 二调/三调 compute 图斑面积 (TBMJ): see shared/domain/AREA.md.
// Every edge (B1,L1)->(B2,L2) contributes the area of the zone between it and a reference meridian L0,
// expanded in a series of e²; summed over a closed ring the L0 terms cancel, so L0 is free and we
// take the ring's first longitude to keep dL small (fewer digits lost on parcel-sized rings).
//
// Two refinements over the series as printed (which reproduces every AREA.md test vector, all with
// edges along meridians and parallels): an exact term for slanted edges (signedEllipsoidalRingArea),
// and projectedRingArea, which measures a projected parcel with geodesic edges as PostGIS geography
// does. Without them a 600 m rural parcel comes out several m² away from what PostGIS reports.
import geographiclib from 'geographiclib-geodesic';

/** CGCS2000 semi-major axis (m). */
export const CGCS2000_A = 6378137;
/** CGCS2000 flattening. */
export const CGCS2000_F = 1 / 298.257222101;

const b = CGCS2000_A * (1 - CGCS2000_F);
const e2 = (CGCS2000_A * CGCS2000_A - b * b) / (CGCS2000_A * CGCS2000_A);
const e4 = e2 * e2;
const e6 = e4 * e2;
const e8 = e6 * e2;

// The series coefficients exactly as AREA.md writes them (numerators over their denominators).
const A = 1 + (3 / 6) * e2 + (30 / 80) * e4 + (35 / 112) * e6 + (630 / 2304) * e8;
const B = (1 / 6) * e2 + (15 / 80) * e4 + (21 / 112) * e6 + (420 / 2304) * e8;
const C = (3 / 80) * e4 + (7 / 112) * e6 + (180 / 2304) * e8;
const D = (1 / 112) * e6 + (45 / 2304) * e8;
const E = (5 / 2304) * e8;

/** The constants, exported so tests can compare them with AREA.md. */
export const SERIES = { b, e2, A, B, C, D, E } as const;

const RAD = Math.PI / 180;

/** A ring as [lon, lat] pairs in degrees, or as a flat [lon0, lat0, lon1, lat1, …] array. Closed or open. */
export type LonLatRing = ArrayLike<readonly [number, number]> | ArrayLike<number>;

function isFlat(ring: LonLatRing): ring is ArrayLike<number> {
  return ring.length > 0 && typeof ring[0] === 'number';
}

/** sin(x)/x − cos(x), by its series where the subtraction would cancel. */
function g(x: number): number {
  if (Math.abs(x) < 1e-2) {
    const x2 = x * x;
    return x2 * (1 / 3 - x2 * (1 / 30 - x2 / 840));
  }
  return Math.sin(x) / x - Math.cos(x);
}

function ringSum(ring: LonLatRing, corrected: boolean): number {
  const flat = isFlat(ring);
  const n = flat ? ring.length >> 1 : ring.length;
  if (n < 3) return 0;
  const lon = (k: number): number => (flat ? (ring as ArrayLike<number>)[2 * k]! : (ring as ArrayLike<readonly [number, number]>)[k]![0]);
  const lat = (k: number): number => (flat ? (ring as ArrayLike<number>)[2 * k + 1]! : (ring as ArrayLike<readonly [number, number]>)[k]![1]);
  const l0 = lon(0) * RAD;
  let sum = 0;
  let b1 = lat(n - 1) * RAD;
  let l1 = lon(n - 1) * RAD;
  for (let k = 0; k < n; k++) {
    const b2 = lat(k) * RAD;
    const l2 = lon(k) * RAD;
    const dB = b2 - b1;
    if (dB !== 0) {
      const h = dB / 2;
      const bm = (b1 + b2) / 2;
      const dL = (l1 + l2) / 2 - l0;
      // The AREA.md term: the zone between the edge and meridian L0, taken at the edge's mean longitude.
      sum +=
        2 *
        dL *
        (A * Math.sin(h) * Math.cos(bm) -
          B * Math.sin(3 * h) * Math.cos(3 * bm) +
          C * Math.sin(5 * h) * Math.cos(5 * bm) -
          D * Math.sin(7 * h) * Math.cos(7 * bm) +
          E * Math.sin(9 * h) * Math.cos(9 * bm));
      if (corrected) {
        // Taking the mean longitude is exact only when the edge follows a meridian or a parallel. For
        // a slanted edge (longitude linear in latitude) the exact integral adds
        //   −ΔL Σ ±c_k sin(k·Bm) (sin(k·h)/(k·h) − cos(k·h)),  h = ΔB/2,
        // a second-order term whose neglect costs O(edge length · tan B) relative area: 3e-6 on a
        // 100 m triangle, several m² on a 600 m parcel. With it, parcels agree with geodesic areas
        // (PostGIS geography, geographiclib) to ~1e-9.
        const deltaL = l2 - l1;
        sum -=
          deltaL *
          (A * Math.sin(bm) * g(h) -
            B * Math.sin(3 * bm) * g(3 * h) +
            C * Math.sin(5 * bm) * g(5 * h) -
            D * Math.sin(7 * bm) * g(7 * h) +
            E * Math.sin(9 * bm) * g(9 * h));
      }
    }
    b1 = b2;
    l1 = l2;
  }
  return b * b * sum;
}

/**
 * Signed ellipsoidal area of one ring in m² (positive when counter-clockwise in lon/lat), exact for
 * edges along which longitude varies linearly with latitude (the AREA.md series plus its slanted-edge
 * term; identical to the series for edges along meridians and parallels — all AREA.md vectors).
 * The closing edge is implied; a repeated first point adds a zero-length edge and changes nothing.
 */
export function signedEllipsoidalRingArea(ring: LonLatRing): number {
  return ringSum(ring, true);
}

/**
 * The per-edge series exactly as AREA.md prints it (mean longitude per edge, no slanted-edge term).
 * Kept for comparison with software that implements it literally; see signedEllipsoidalRingArea.
 */
export function surveyFormulaRingArea(ring: LonLatRing): number {
  return Math.abs(ringSum(ring, false));
}

/** Unsigned ellipsoidal area of one ring in m². */
export function ellipsoidalRingArea(ring: LonLatRing): number {
  return Math.abs(signedEllipsoidalRingArea(ring));
}

/** Outer ring minus holes, in m² (first ring is the outer one; orientation does not matter). */
export function ellipsoidalPolygonArea(rings: ArrayLike<LonLatRing>): number {
  let area = 0;
  for (let k = 0; k < rings.length; k++) {
    const ringArea = ellipsoidalRingArea(rings[k]!);
    area += k === 0 ? ringArea : -ringArea;
  }
  return area;
}

/** Sum over the polygons of a MultiPolygon, in m². */
export function ellipsoidalMultiPolygonArea(polygons: ArrayLike<ArrayLike<LonLatRing>>): number {
  let area = 0;
  for (let k = 0; k < polygons.length; k++) area += ellipsoidalPolygonArea(polygons[k]!);
  return area;
}

/** Rounds an area to 0.01 m² (half away from zero), as TBMJ is recorded. */
export function roundArea(x: number): number {
  // Going through cents as an integer avoids 1.005 → 1.00 style binary surprises where possible.
  const cents = Math.round(Math.abs(x) * 100 + 1e-9);
  return (Math.sign(x) * cents) / 100;
}

/**
 * Ellipsoidal area (m²) of a ring given in projected coordinates (flat [x0, y0, x1, y1, …], e.g.
 * Gauss-Kruger metres), with geodesic edges between the vertices — the edge model of PostGIS
 * geography, which is how the platform will measure the parcel once it is stored in EPSG:4490.
 * Every edge is cut into pieces of at most maxSegment metres before the series is applied.
 *
 * Why: the series treats each edge as linear in longitude/latitude, and such an edge misses the
 * poleward bulge of a geodesic — ~1 mm over 300 m, up to ~0.2 m² per edge, several m² on a large
 * parcel. Edges up to 60 m are cut in the projection plane (there a straight Gauss-Kruger edge and
 * the geodesic differ by < 1 µm even 170 km from the central meridian); longer ones along the
 * geodesic itself, in pieces of a quarter of maxSegment (a straight Gauss-Kruger edge drifts from
 * the geodesic by ~0.3 mm over 900 m, and on a big parcel the per-piece errors add up). What is left
 * is < 0.001 m² per parcel, so TBMJ and PostGIS agree to the cent but for rare half-cent ties.
 */
export function projectedRingArea(ring: ArrayLike<number>, inverse: (x: number, y: number) => readonly [number, number], maxSegment = 20): number {
  const n = ring.length >> 1;
  if (n < 3) return 0;
  const lonLat: number[] = [];
  for (let k = 0; k < n; k++) {
    const x1 = ring[2 * k]!;
    const y1 = ring[2 * k + 1]!;
    const m = (k + 1) % n;
    const dx = ring[2 * m]! - x1;
    const dy = ring[2 * m + 1]! - y1;
    const length = Math.hypot(dx, dy);
    const [lon1, lat1] = inverse(x1, y1);
    lonLat.push(lon1, lat1);
    if (length <= GEODESIC_EDGE_M) {
      const pieces = Math.ceil(length / maxSegment);
      for (let p = 1; p < pieces; p++) {
        const [lon, lat] = inverse(x1 + (dx * p) / pieces, y1 + (dy * p) / pieces);
        lonLat.push(lon, lat);
      }
    } else {
      // Long edges (large rural parcels, the district boundary) get finer pieces: their error adds
      // up along the edge, and a large parcel has several of them.
      const pieces = Math.ceil((4 * length) / maxSegment);
      const [lon2, lat2] = inverse(x1 + dx, y1 + dy);
      const line = geodesic().InverseLine(lat1, lon1, lat2, lon2);
      for (let p = 1; p < pieces; p++) {
        const at = line.Position((line.s13 * p) / pieces);
        lonLat.push(at.lon2!, at.lat2!);
      }
    }
  }
  return Math.abs(signedEllipsoidalRingArea(lonLat));
}

/** Edges longer than this (m) are densified along the geodesic rather than in the projection plane. */
const GEODESIC_EDGE_M = 60;

let cgcs2000Geodesic: InstanceType<typeof geographiclib.Geodesic.Geodesic> | null = null;
function geodesic(): InstanceType<typeof geographiclib.Geodesic.Geodesic> {
  cgcs2000Geodesic ??= new geographiclib.Geodesic.Geodesic(CGCS2000_A, CGCS2000_F);
  return cgcs2000Geodesic;
}
