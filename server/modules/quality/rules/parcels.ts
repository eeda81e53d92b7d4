// Where set rules read parcels from. Overlay functions (ST_Intersection, ST_Union, ST_Difference,
// ST_Relate) must never see an invalid geometry: a server raises a TopologyException, and the
// embedded engine silently ends the statement. So a layer is read as two sources: its valid
// records straight from the staging partition (its spatial index intact), and the records of this
// run's faults table in their repaired form (ST_MakeValid, polygons only).
import { describesParcel, type LayerTable, type SetRuleContext } from '../rule.ts';
import { text } from './sql.ts';

/**
 * FROM-sources (each a parenthesised subquery to alias) of the layer's usable parcels with the
 * given columns (geom always included). The first is the valid records, the second (only when the
 * layer has faults) the repaired ones.
 */
export function usableSources(context: SetRuleContext, layer: LayerTable, columns: readonly string[] = [], invalidAs: 'repair' | 'hull' = 'repair'): string[] {
  const list = ['record_no', 'bsm', ...columns].map((column) => `t.${column}`).join(', ');
  const faults = context.scratch.faults;
  const faulty = context.scratch.faultCounts.get(layer.code) ?? 0;
  const valid = `(SELECT ${list}, t.geom FROM ${layer.table} t
      WHERE t.submission_id = $1 AND t.geom IS NOT NULL AND ${describesParcel('t', context.change !== null)}
      ${faulty ? `AND t.record_no NOT IN (SELECT record_no FROM ${faults} WHERE layer = ${text(layer.code)})` : ''})`;
  if (!faulty) return [valid];
  // 'hull': an invalid parcel stands for its convex hull (what a bow-tie was meant to cover), not
  // for the lobes ST_MakeValid keeps of it.
  const geom = invalidAs === 'hull' ? `CASE WHEN f.reason IS NULL THEN f.repaired ELSE ST_CollectionExtract(ST_ConvexHull(f.original), 3) END` : 'f.repaired';
  const repaired = `(SELECT ${list}, ${geom} AS geom FROM ${layer.table} t
      JOIN ${faults} f ON f.layer = ${text(layer.code)} AND f.record_no = t.record_no
      WHERE t.submission_id = $1 AND f.repaired IS NOT NULL AND NOT ST_IsEmpty(f.repaired) AND ${describesParcel('t', context.change !== null)})`;
  return [valid, repaired];
}

/** A layer's geometry column as rules should read it from its staging table aliased `alias`: repaired where faulty. */
export function usableGeometry(context: SetRuleContext, layer: LayerTable, alias: string): { join: string; geom: string; usable: string } {
  const faulty = context.scratch.faultCounts.get(layer.code) ?? 0;
  if (!faulty) return { join: '', geom: `${alias}.geom`, usable: `${alias}.geom IS NOT NULL` };
  const fault = `${alias}_fault`;
  return {
    join: `LEFT JOIN ${context.scratch.faults} ${fault} ON ${fault}.layer = ${text(layer.code)} AND ${fault}.record_no = ${alias}.record_no`,
    geom: `coalesce(${fault}.repaired, ${alias}.geom)`,
    usable: `${alias}.geom IS NOT NULL AND (${fault}.record_no IS NULL OR (${fault}.repaired IS NOT NULL AND NOT ST_IsEmpty(${fault}.repaired)))`,
  };
}
