// A spike: a ring that runs out to a vertex and straight back along (nearly) the same line. GEOS
// calls it a self-intersection; the survey calls it a spike (尖刺), and the surveyor fixes it by
// deleting the vertex, so it is worth naming. Small in-memory check on the few invalid parcels.

/** Angle (radians) under which a vertex whose two edges run back along each other is a spike. */
const SPIKE_ANGLE = 0.01;

/** The tip of the first spike in a (Multi)Polygon's rings, or null. */
export function findSpike(geometry: { type?: string; coordinates: unknown }): [number, number] | null {
  const polygons = (geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates) as number[][][][];
  for (const polygon of polygons) {
    for (const ring of polygon) {
      // closed ring: the last position repeats the first
      const points = ring.slice(0, -1);
      const n = points.length;
      if (n < 3) continue;
      for (let k = 0; k < n; k++) {
        const [px, py] = points[(k - 1 + n) % n]!;
        const [x, y] = points[k]!;
        const [nx, ny] = points[(k + 1) % n]!;
        const ax = px! - x!;
        const ay = py! - y!;
        const bx = nx! - x!;
        const by = ny! - y!;
        const la = Math.hypot(ax, ay);
        const lb = Math.hypot(bx, by);
        if (la === 0 || lb === 0) continue;
        // both edges leave the vertex in (almost) the same direction
        const angle = Math.atan2(Math.abs(ax * by - ay * bx), ax * bx + ay * by);
        if (angle < SPIKE_ANGLE) return [x!, y!];
      }
    }
  }
  return null;
}
