// Small SQL builders the rules share.
import { LAYER_SPECS, type FieldSpec } from '../../ingest/layer-specs.ts';
import type { CheckedLayer, RowRuleContext } from '../rule.ts';

/** The record's text field is absent or blank. */
export function blank(column: string): string {
  return `(s.${column} IS NULL OR btrim(s.${column}) = '')`;
}

export function filled(column: string): string {
  return `(s.${column} IS NOT NULL AND btrim(s.${column}) <> '')`;
}

/** The layer's field specs (DLTB / YJJBNTTB). */
export function layerFields(layer: CheckedLayer): FieldSpec[] {
  return LAYER_SPECS.find((spec) => spec.code === layer)!.fields;
}

/** Whether the layer has the field and the file carried it. */
export function hasField(context: RowRuleContext, column: string): boolean {
  return layerFields(context.layer.code).some((field) => field.column === column) && !context.missingFields.has(column.toUpperCase());
}

/**
 * Overlays (ST_Intersection, ST_Difference, ST_Union) run snap-rounded to this grid (degrees,
 * about 0.1 mm): fixed-precision overlay cannot fail, where floating overlay of the nearly
 * coincident edges survey data is full of can (the embedded engine's GEOS refused a parcel cut by
 * its district's outline). It moves nothing by more than the grid.
 */
export const GRID = '1e-9';

/** The 一级类 (two leading digits) of DLBM. */
export const GROUP = `left(s.dlbm, 2)`;

/** SQL text literal (standard_conforming_strings: only quotes need doubling). */
export function text(value: string): string {
  if (value.includes('\0')) throw new Error('NUL in a SQL literal');
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * A point to show a record's finding at, for a staged table aliased `alias`. ST_PointOnSurface is
 * GEOS and fails on some invalid geometry (on the embedded engine by silently ending the
 * statement), so an invalid geometry gets its first vertex instead.
 */
export function pointOf(alias: string): string {
  return `CASE WHEN ${alias}.geom IS NULL THEN NULL WHEN ST_IsValid(${alias}.geom) THEN ST_PointOnSurface(${alias}.geom)
    ELSE ST_PointN(ST_ExteriorRing(ST_GeometryN(${alias}.geom, 1)), 1) END`;
}
