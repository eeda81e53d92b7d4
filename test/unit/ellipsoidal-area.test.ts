// The 三调 ellipsoidal area formula against every test vector of shared/domain/AREA.md, and against
// Karney's geodesic polygon area (geographiclib) on random parcel-sized polygons.
import geographiclib from 'geographiclib-geodesic';
import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import {
  CGCS2000_A,
  CGCS2000_F,
  SERIES,
  ellipsoidalMultiPolygonArea,
  ellipsoidalPolygonArea,
  ellipsoidalRingArea,
  projectedRingArea,
  roundArea,
  signedEllipsoidalRingArea,
  surveyFormulaRingArea,
} from '../../server/geo/ellipsoidal-area.ts';
import { proj4Definition } from '../../server/modules/ingest/crs.ts';
import { Rng } from '../../server/seed/generator/random.ts';

const quadrangle = (lat0: number, lat1: number, lon0: number, dLon: number): [number, number][] => [
  [lon0, lat0],
  [lon0 + dLon, lat0],
  [lon0 + dLon, lat1],
  [lon0, lat1],
];

const toLonLat = proj4(proj4Definition(4490), proj4Definition(4528));
const gkSquare = (size: number): [number, number][] =>
  [
    [0, 0],
    [size, 0],
    [size, size],
    [0, size],
  ].map(([dx, dy]) => toLonLat.inverse([40_640_000 + dx!, 3_450_000 + dy!]) as [number, number]);

describe('ellipsoidal area (AREA.md)', () => {
  it('uses the CGCS2000 constants AREA.md lists', () => {
    expect(CGCS2000_A).toBe(6378137);
    expect(1 / CGCS2000_F).toBeCloseTo(298.257222101, 9);
    expect(SERIES.b).toBeCloseTo(6356752.31414, 5);
    expect(SERIES.e2).toBeCloseTo(0.006694380022901, 14);
    expect(SERIES.A).toBeCloseTo(1.003364089834193, 14);
    expect(SERIES.B).toBeCloseTo(1.124189381927107e-3, 16);
    expect(SERIES.C / 1.699459473518853e-6).toBeCloseTo(1, 12);
    expect(SERIES.D / 2.717857845577432e-9).toBeCloseTo(1, 12);
    expect(SERIES.E / 4.358419004834252e-12).toBeCloseTo(1, 12);
  });

  it.each([
    ['quadrangle 31°N-32°N x 1°', quadrangle(31, 32, 121, 1), 10_533_542_701.65],
    ['1:10000 sheet', quadrangle(31 + 10 / 60, 31 + 12.5 / 60, 121, 3.75 / 60), 27_520_936.13],
    ['1:5000 sheet', quadrangle(31 + 10 / 60, 31 + 11.25 / 60, 121, 1.875 / 60), 6_880_976.34],
    ['100 m GK square in EPSG:4528', gkSquare(100), 9_995.16],
    ['1 km GK square in EPSG:4528', gkSquare(1000), 999_513.39],
  ])('%s = %s m²', (_name, ring, expected) => {
    expect(roundArea(ellipsoidalRingArea(ring))).toBe(expected);
  });

  it('does not care about orientation, closing point or ring layout', () => {
    const ring = quadrangle(31, 31.01, 121.3, 0.01);
    const area = ellipsoidalRingArea(ring);
    expect(signedEllipsoidalRingArea(ring)).toBeGreaterThan(0); // counter-clockwise
    expect(signedEllipsoidalRingArea([...ring].reverse())).toBeCloseTo(-area, 6);
    expect(ellipsoidalRingArea([...ring, ring[0]!])).toBeCloseTo(area, 6);
    expect(ellipsoidalRingArea(ring.flat())).toBe(area);
    expect(ellipsoidalRingArea(ring.slice(0, 2))).toBe(0);
  });

  it('subtracts holes and sums the parts of a MultiPolygon', () => {
    const outer = quadrangle(31, 31.02, 121.3, 0.02);
    const hole = quadrangle(31.005, 31.01, 121.305, 0.005);
    const expected = ellipsoidalRingArea(outer) - ellipsoidalRingArea(hole);
    expect(ellipsoidalPolygonArea([outer, hole])).toBeCloseTo(expected, 6);
    expect(ellipsoidalPolygonArea([outer, [...hole].reverse()])).toBeCloseTo(expected, 6);
    const island = quadrangle(31.5, 31.51, 121.8, 0.01);
    expect(ellipsoidalMultiPolygonArea([[outer, hole], [island]])).toBeCloseTo(expected + ellipsoidalRingArea(island), 5);
  });

  it('rounds to 0.01 m², half away from zero', () => {
    expect(roundArea(1234.564999)).toBe(1234.56);
    expect(roundArea(1234.565)).toBe(1234.57);
    expect(roundArea(-2.345)).toBe(-2.35);
    expect(roundArea(0)).toBe(0);
    expect(roundArea(10_533_542_701.6549)).toBe(10_533_542_701.65);
  });

  it('is exact for edges linear in longitude/latitude (the plain series converges to it when edges are cut finer)', () => {
    // A slanted triangle: the printed series, which takes each edge at its mean longitude, is off by
    // ~3e-6 here; cutting the edges into 2,000 lon/lat-linear pieces converges to our value.
    const triangle: [number, number][] = [
      [121, 31],
      [121.004, 31.0013],
      [121.002, 31.004],
    ];
    const fine: number[] = [];
    triangle.forEach(([lon1, lat1], k) => {
      const [lon2, lat2] = triangle[(k + 1) % 3]!;
      for (let p = 0; p < 2000; p++) fine.push(lon1 + ((lon2 - lon1) * p) / 2000, lat1 + ((lat2 - lat1) * p) / 2000);
    });
    const exact = ellipsoidalRingArea(triangle);
    expect(Math.abs(surveyFormulaRingArea(fine) - exact) / exact).toBeLessThan(1e-10);
    expect(Math.abs(surveyFormulaRingArea(triangle) - exact) / exact).toBeGreaterThan(1e-6);
  });

  const geod = new geographiclib.Geodesic.Geodesic(CGCS2000_A, CGCS2000_F);
  const geodesicArea = (ring: readonly (readonly [number, number])[]) => {
    const polygon = geod.Polygon(false);
    for (const [lon, lat] of ring) polygon.AddPoint(lat, lon);
    return Math.abs(polygon.Compute(false, true).area!);
  };
  /** A random simple (star-shaped, roughly compact) polygon of 4-12 vertices in GK zone 40/41 metres. */
  const randomPlanePolygon = (rng: Rng, radius: number): number[] => {
    const n = 4 + rng.int(9);
    const cx = rng.range(-120_000, 150_000);
    const cy = rng.range(3_400_000, 3_530_000);
    const ring: number[] = [];
    for (let k = 0; k < n; k++) {
      const t = (2 * Math.PI * (k + rng.range(0, 0.8))) / n;
      const r = radius * rng.range(0.5, 1);
      ring.push(cx + r * Math.cos(t), cy + r * Math.sin(t));
    }
    return ring;
  };

  it('agrees with geographiclib polygon area within 1e-6 on random parcel-sized polygons (geodesic edges)', () => {
    const rng = new Rng(2024, 1);
    let worst = 0;
    for (let trial = 0; trial < 200; trial++) {
      const plane = randomPlanePolygon(rng, rng.range(15, 800));
      const zone = rng.chance(0.5) ? 40 : 41;
      const conv = proj4(proj4Definition(4490), proj4Definition(zone === 40 ? 4528 : 4529));
      const inverse = (x: number, y: number) => conv.inverse([x + zone * 1_000_000 + 500_000, y]) as [number, number];
      const vertices: [number, number][] = [];
      for (let k = 0; k < plane.length; k += 2) vertices.push(inverse(plane[k]!, plane[k + 1]!));
      // The series on the same polygon with its edges cut along the geodesics into ≤ 20 m pieces.
      const densified: number[] = [];
      vertices.forEach(([lon1, lat1], k) => {
        const [lon2, lat2] = vertices[(k + 1) % vertices.length]!;
        const line = geod.InverseLine(lat1, lon1, lat2, lon2);
        const pieces = Math.max(1, Math.ceil(line.s13 / 20));
        for (let p = 0; p < pieces; p++) {
          const at = line.Position((line.s13 * p) / pieces);
          densified.push(at.lon2!, at.lat2!);
        }
      });
      const reference = geodesicArea(vertices);
      worst = Math.max(worst, Math.abs(ellipsoidalRingArea(densified) - reference) / reference);
      // And straight from projected coordinates, as TBMJ is computed.
      const fromPlane = projectedRingArea(
        plane.map((v, k) => (k % 2 === 0 ? v + zone * 1_000_000 + 500_000 : v)),
        (x, y) => conv.inverse([x, y]) as [number, number],
      );
      worst = Math.max(worst, Math.abs(fromPlane - reference) / reference);
    }
    expect(worst).toBeLessThan(1e-6);
  });
});
