// District boundaries (public: GET /api/admin-units) as a GeoJSON source, with their names as
// HTML markers — the map has no glyphs, so no text is drawn by MapLibre itself.
import maplibregl from 'maplibre-gl';
import type { Feature, FeatureCollection, MultiPolygon, Polygon, Position } from 'geojson';
import { getAdminUnit, listDistricts, type AdminUnit } from './api';
import type { Bbox } from './api-data';
import { h } from './dom';

export interface District {
  unit: AdminUnit;
  bbox: Bbox;
  label: [number, number];
  feature: Feature<Polygon | MultiPolygon, { code: string; name: string }>;
}

function ringArea(ring: Position[]): number {
  let sum = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) sum += (ring[j]![0]! - ring[i]![0]!) * (ring[j]![1]! + ring[i]![1]!);
  return sum / 2;
}

/** Whether a point lies inside a polygon given as rings (even-odd: holes count out). */
export function inside(point: [number, number], rings: Position[][]): boolean {
  let hit = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i] as [number, number];
      const [xj, yj] = ring[j] as [number, number];
      if (yi > point[1] !== yj > point[1] && point[0] < ((xj - xi) * (point[1] - yi)) / (yj - yi) + xi) hit = !hit;
    }
  }
  return hit;
}

function distanceToEdges(point: [number, number], rings: Position[][]): number {
  let best = Infinity;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [ax, ay] = ring[j] as [number, number];
      const [bx, by] = ring[i] as [number, number];
      const dx = bx - ax;
      const dy = by - ay;
      const t = dx === 0 && dy === 0 ? 0 : Math.max(0, Math.min(1, ((point[0] - ax) * dx + (point[1] - ay) * dy) / (dx * dx + dy * dy)));
      best = Math.min(best, Math.hypot(point[0] - (ax + t * dx), point[1] - (ay + t * dy)));
    }
  }
  return best;
}

/** A point well inside the district's largest part, for its name. */
export function labelPoint(geometry: Polygon | MultiPolygon): [number, number] {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const largest = polygons.reduce((a, b) => (Math.abs(ringArea(b[0]!)) > Math.abs(ringArea(a[0]!)) ? b : a));
  const outer = largest[0]!;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of outer as [number, number][]) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  // The interior grid point farthest from any edge (a coarse pole of inaccessibility).
  let best: [number, number] = [(minX + maxX) / 2, (minY + maxY) / 2];
  let bestDistance = inside(best, largest) ? distanceToEdges(best, largest) : -1;
  const steps = 24;
  for (let i = 1; i < steps; i++) {
    for (let j = 1; j < steps; j++) {
      const point: [number, number] = [minX + ((maxX - minX) * i) / steps, minY + ((maxY - minY) * j) / steps];
      if (!inside(point, largest)) continue;
      const distance = distanceToEdges(point, largest);
      if (distance > bestDistance) {
        best = point;
        bestDistance = distance;
      }
    }
  }
  return best;
}

function bboxOf(geometry: Polygon | MultiPolygon): Bbox {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const box: Bbox = [Infinity, Infinity, -Infinity, -Infinity];
  for (const polygon of polygons) {
    for (const [x, y] of polygon[0] as [number, number][]) {
      box[0] = Math.min(box[0], x);
      box[1] = Math.min(box[1], y);
      box[2] = Math.max(box[2], x);
      box[3] = Math.max(box[3], y);
    }
  }
  return box;
}

/** The districts, and those with a boundary to draw (one that cannot be read is left out). */
export async function loadDistricts(): Promise<{ units: AdminUnit[]; districts: District[] }> {
  const units = await listDistricts();
  const features = await Promise.all(units.map((unit) => getAdminUnit(unit.code).catch(() => null)));
  const districts: District[] = [];
  features.forEach((feature, index) => {
    const unit = units[index]!;
    if (!feature?.geometry) return;
    districts.push({
      unit,
      bbox: bboxOf(feature.geometry),
      label: labelPoint(feature.geometry),
      feature: { type: 'Feature', geometry: feature.geometry, properties: { code: unit.code, name: unit.name } },
    });
  });
  return { units, districts };
}

export function districtCollection(districts: readonly District[]): FeatureCollection {
  return { type: 'FeatureCollection', features: districts.map((district) => district.feature) };
}

/** Districts under this control area (m²) get their label only when zoomed in. */
const SMALL_DISTRICT_M2 = 150_000_000;

/** Name labels as HTML markers; small central districts show from zoom 10 up. */
export class DistrictLabels {
  private markers: { marker: maplibregl.Marker; small: boolean }[] = [];
  private visible = true;

  constructor(private readonly map: maplibregl.Map) {
    map.on('zoomend', () => this.update());
  }

  show(districts: readonly District[], ownCode: string | null): void {
    this.clear();
    for (const district of districts) {
      const el = h('div', `district-label${district.unit.code === ownCode ? ' own' : ''}`, district.unit.name);
      el.dataset.code = district.unit.code;
      const marker = new maplibregl.Marker({ element: el, anchor: 'center' }).setLngLat(district.label).addTo(this.map);
      this.markers.push({ marker, small: (district.unit.controlAreaM2 ?? Infinity) < SMALL_DISTRICT_M2 && district.unit.code !== ownCode });
    }
    this.update();
  }

  clear(): void {
    for (const { marker } of this.markers) marker.remove();
    this.markers = [];
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    this.update();
  }

  private update(): void {
    const zoomedIn = this.map.getZoom() >= 10;
    for (const { marker, small } of this.markers) marker.getElement().hidden = !this.visible || (small && !zoomedIn);
  }
}
