// The map's style: a plain background (no base map, fonts or sprites: nothing is fetched from
// another host), the land-use fill in the 三调 palette, permanent basic farmland hatched and
// outlined, the change and quality-finding overlays, district boundaries and the selection.
import type { ExpressionSpecification, LayerSpecification, StyleSpecification } from 'maplibre-gl';
import type { CodeEntry } from './api-data';
import { CHANGE_KINDS, SEVERITY_COLORS } from './labels';

export const BACKGROUND = '#eef1f4';
export const NO_CLASS_COLOR = '#c8c8c8';
export const FARMLAND_COLOR = '#0b6e4f';
export const DISTRICT_COLOR = '#37474f';
export const SELECTED_COLOR = '#00b8ff';

/** The fill colour of a land-use parcel by its DLBM, from the code list's palette. */
export function paletteExpression(codes: readonly CodeEntry[]): ExpressionSpecification | string {
  const pairs: string[] = [];
  const seen = new Set<string>();
  for (const entry of codes) {
    if (!entry.color || seen.has(entry.code)) continue;
    seen.add(entry.code);
    pairs.push(entry.code, entry.color);
  }
  if (pairs.length === 0) return NO_CLASS_COLOR;
  return ['match', ['get', 'dlbm'], ...pairs, NO_CLASS_COLOR] as unknown as ExpressionSpecification;
}

/** Diagonal hatching for the basic farmland fill (an image made here, not a sprite). */
export function hatchImage(size = 12): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(size * size * 4);
  const [r, g, b] = [0x0b, 0x6e, 0x4f];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Lines running up to the right, 2 px wide, repeating seamlessly across tiles of the pattern.
      const d = (x + y) % size;
      if (d < 2) {
        const i = (y * size + x) * 4;
        data[i] = r;
        data[i + 1] = g;
        data[i + 2] = b;
        data[i + 3] = 170;
      }
    }
  }
  return { width: size, height: size, data };
}

export function baseStyle(): StyleSpecification {
  return {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND } }],
  };
}

const changeColor: ExpressionSpecification = [
  'match',
  ['get', 'change'],
  'added',
  CHANGE_KINDS.added.color,
  'changed',
  CHANGE_KINDS.changed.color,
  'retired',
  CHANGE_KINDS.retired.color,
  '#888888',
];
const severityColor: ExpressionSpecification = ['match', ['get', 'severity'], 'error', SEVERITY_COLORS.error!, 'warning', SEVERITY_COLORS.warning!, SEVERITY_COLORS.info!];

// Layers by source, each group bottom to top; map.ts adds a group with its source.

export function landUseLayers(palette: ExpressionSpecification | string): LayerSpecification[] {
  return [
    { id: 'land_use-fill', type: 'fill', source: 'land_use', 'source-layer': 'land_use', paint: { 'fill-color': palette as never, 'fill-opacity': 0.9 } },
    {
      id: 'land_use-line',
      type: 'line',
      source: 'land_use',
      'source-layer': 'land_use',
      minzoom: 11,
      paint: { 'line-color': '#3a3a3a', 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.15, 15, 0.8], 'line-opacity': 0.7 },
    },
  ];
}

export const FARMLAND_LAYERS: LayerSpecification[] = [
  // Hatched when zoomed in enough to see single parcels; outlined at every zoom.
  { id: 'basic_farmland-hatch', type: 'fill', source: 'basic_farmland', 'source-layer': 'basic_farmland', minzoom: 11, paint: { 'fill-pattern': 'farmland-hatch' } },
  {
    id: 'basic_farmland-line',
    type: 'line',
    source: 'basic_farmland',
    'source-layer': 'basic_farmland',
    paint: { 'line-color': FARMLAND_COLOR, 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 0.6, 15, 2] },
  },
];

export const CHANGE_LAYERS: LayerSpecification[] = [
  {
    // Retired parcels: drawn under the parcels that replaced them.
    id: 'changes-retired',
    type: 'fill',
    source: 'changes',
    'source-layer': 'changes',
    filter: ['==', ['get', 'change'], 'retired'],
    paint: { 'fill-color': CHANGE_KINDS.retired.color, 'fill-opacity': 0.45 },
  },
  {
    id: 'changes-fill',
    type: 'fill',
    source: 'changes',
    'source-layer': 'changes',
    filter: ['!=', ['get', 'change'], 'retired'],
    paint: { 'fill-color': changeColor, 'fill-opacity': 0.85 },
  },
  {
    id: 'changes-line',
    type: 'line',
    source: 'changes',
    'source-layer': 'changes',
    paint: { 'line-color': changeColor, 'line-width': ['match', ['get', 'change'], 'retired', 2, 1.2] },
  },
];

/** The parcel shown in the panel (a GeoJSON source: tiles below zoom 14 carry no ids). */
export const SELECTED_LAYER: LayerSpecification = {
  id: 'selected-line',
  type: 'line',
  source: 'selection',
  paint: { 'line-color': SELECTED_COLOR, 'line-width': 3 },
};

export const FINDING_LAYERS: LayerSpecification[] = [
  {
    id: 'findings-fill',
    type: 'fill',
    source: 'findings',
    'source-layer': 'findings',
    filter: ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]],
    paint: { 'fill-color': severityColor, 'fill-opacity': 0.35 },
  },
  {
    id: 'findings-line',
    type: 'line',
    source: 'findings',
    'source-layer': 'findings',
    filter: ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]],
    paint: { 'line-color': severityColor, 'line-width': 2 },
  },
  {
    id: 'findings-circle',
    type: 'circle',
    source: 'findings',
    'source-layer': 'findings',
    filter: ['in', ['geometry-type'], ['literal', ['Point', 'MultiPoint']]],
    paint: { 'circle-color': severityColor, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 3, 15, 7], 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 },
  },
];

export const DISTRICT_LAYERS: LayerSpecification[] = [
  { id: 'districts-line', type: 'line', source: 'districts', paint: { 'line-color': DISTRICT_COLOR, 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 1, 13, 2.2] } },
  {
    id: 'districts-own',
    type: 'line',
    source: 'districts',
    filter: ['==', ['get', 'code'], ''],
    paint: { 'line-color': '#0b4a8b', 'line-width': 3 },
  },
];
