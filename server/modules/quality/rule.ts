// What a quality rule is. Two kinds:
//   - a row rule is a condition on each record of a layer; the engine evaluates all row rules of a
//     layer in one scan of its staging partition (a million parcels are read once, not twenty times);
//   - a set rule runs its own statements over the whole layer (duplicates, overlaps, gaps, …).
// Either way a rule's SQL produces findings in one shape (see SetRuleContext.insertFindings) and
// PostGIS does the work.
import type { ScriptExec } from '../../db/engine.ts';
import type { LayerKind } from '../ingest/layer-specs.ts';
import { text } from './rules/sql.ts';

export type RuleCategory = 'attribute' | 'logic' | 'geometry' | 'topology' | 'area';
export type Severity = 'error' | 'warning' | 'info';

export interface Bilingual {
  zh: string;
  en: string;
}

/** Parameter values a survey may set: numbers, strings, lists of codes. */
export type ParamValue = number | string | boolean | string[];
export type RuleParams = Record<string, ParamValue>;

export interface ParamSpec {
  type: 'number' | 'string' | 'boolean' | 'codes';
  description: Bilingual;
  minimum?: number;
  /** allowed values of a string parameter */
  values?: readonly string[];
}

/** The staged layers rules read, by their 三调 code. */
export type CheckedLayer = 'DLTB' | 'YJJBNTTB' | 'ZD';

export interface LayerTable {
  code: CheckedLayer;
  kind: LayerKind;
  table: string;
  label: string;
  /** the recorded area column (TBMJ / YJJBNTTBMJ) */
  areaColumn: string;
}

export const CHECKED_LAYERS: Record<CheckedLayer, LayerTable> = {
  DLTB: { code: 'DLTB', kind: 'land_use', table: 'staged_land_use_parcels', label: '地类图斑', areaColumn: 'tbmj' },
  YJJBNTTB: { code: 'YJJBNTTB', kind: 'basic_farmland', table: 'staged_basic_farmland_parcels', label: '永久基本农田图斑', areaColumn: 'yjjbnttbmj' },
  // Ownership parcels are checked by the change rules only (their predecessors and dates).
  ZD: { code: 'ZD', kind: 'ownership', table: 'staged_ownership_parcels', label: '宗地', areaColumn: 'zdmj' },
};

/**
 * Which packages a rule checks: a baseline (national survey) package describes a whole district;
 * a change package only what changed, so the whole-district rules (gaps, the control total) do
 * not apply to it, and the change rules apply to nothing else.
 */
export type PackageKind = 'baseline' | 'change';

/** The kind the package's survey expects, and the kind the package is by its fields. */
export interface PackageKinds {
  survey: PackageKind;
  delivered: PackageKind;
}

/** The fields that make a layer a change layer (变更前标识码, 变更日期): a baseline has neither. */
export const CHANGE_FIELDS: readonly string[] = ['BGQBSM', 'BGRQ'];

/** A package is a change package when any checked layer's file carries a change field. */
export function deliveredKind(imported: ReadonlyMap<CheckedLayer, ImportedLayerFacts>): PackageKind {
  return [...imported.values()].some((facts) => facts.changeFields.length > 0) ? 'change' : 'baseline';
}

/** What a change package is checked against: its survey's year and the platform's frozen state. */
export interface ChangeScope {
  surveyKind: 'land_use_change' | 'cadastral_change' | 'special';
  year: number;
  /** YYYY-MM-DD: the last frozen day, or null */
  frozenThrough: string | null;
}

interface RuleBase {
  /** stable id, e.g. ATTR_DLBM_CODE; findings, settings and reports name rules by it */
  id: string;
  category: RuleCategory;
  severity: Severity;
  title: Bilingual;
  description: Bilingual;
  params: RuleParams;
  paramSpecs: Record<string, ParamSpec>;
  /** the packages the rule checks; both when absent */
  packages?: readonly PackageKind[];
}

/** SQL pieces of a row rule over the staged row aliased `s` (with `s.geom`, `s.record_no`, …). */
export interface RowRuleSql {
  /** boolean: the record breaks the rule */
  when: string;
  /** text expressions of the message */
  zh: string;
  en: string;
  /** jsonb expression, or null */
  details?: string;
  /** geometry to show (4490); default a point on the record's parcel */
  geom?: string;
}

export interface RowRuleContext {
  layer: LayerTable;
  params: RuleParams;
  /** the submission's district (6 digits) */
  districtCode: string;
  /** fields the layer's file lacks (upper case): a row rule must not flag every record for them */
  missingFields: ReadonlySet<string>;
  /** a jsonb literal {code: name} of a code list (code_lists.list), for `?` and `->>` */
  codeList(list: string): string;
  /** SQL boolean: the record's geometry is usable (present, and not in this run's faults) */
  geometryUsable: string;
}

export interface RowRule extends RuleBase {
  kind: 'row';
  layers: readonly CheckedLayer[];
  /** null when the rule has nothing to check on this layer (e.g. its fields are absent) */
  sql(context: RowRuleContext): RowRuleSql | null;
}

export interface SetRuleContext {
  exec: ScriptExec;
  params: RuleParams;
  runId: string;
  submissionId: string;
  districtCode: string;
  layers: readonly LayerTable[];
  /** scratch tables of this run (see scratch.ts) */
  scratch: ScratchTables;
  /** the import report's per-layer facts */
  imported: ReadonlyMap<CheckedLayer, ImportedLayerFacts>;
  /** set for a change package, null for a baseline */
  change: ChangeScope | null;
  /** what the survey expects and what the package is (they differ for a package sent to the wrong survey) */
  kinds: PackageKinds;
  /**
   * Runs `select` and stores its rows as this rule's findings; returns how many. The select's
   * columns, in order: layer, record_no, bsm, other_bsm, message_zh, message_en, details (jsonb),
   * geom (4490). Throws when the statement ended early: the embedded engine ends a statement
   * whose GEOS call failed without raising, and that must fail the run, never pass it.
   */
  insertFindings(select: string, params?: unknown[]): Promise<number>;
}

export interface ImportedLayerFacts {
  missingFields: string[];
  missingMandatoryFields: string[];
  /** the EPSG code the layer was delivered in */
  srid: number;
  /** whether the import judged validity as delivered (staging's delivered_geom); false for older imports */
  validityAsDelivered: boolean;
  /** the change fields (CHANGE_FIELDS, upper case) the layer's file carries */
  changeFields: string[];
}

export interface ScratchTables {
  /**
   * import_work.<name>: every record of the checked layers whose geometry is invalid as delivered
   * or after the transform to EPSG:4490, missing, or was repaired on import (see scratch.ts)
   */
  faults: string;
  /** how many records of each layer are in `faults` */
  faultCounts: ReadonlyMap<CheckedLayer, number>;
  /** import_work.<name>: (kind, g) working geometry of a rule (gap pieces) */
  areas: string;
  /**
   * import_work.<name>: (record_no, twin, twin_dlbm) of farmland parcels whose geometry is exactly
   * one DLTB parcel's (see scratch.ts); null unless the package has both layers
   */
  twins: string | null;
}

export interface SetRule extends RuleBase {
  kind: 'set';
  layers: readonly CheckedLayer[];
  run(context: SetRuleContext): Promise<void>;
}

export type Rule = RowRule | SetRule;

/**
 * SQL boolean over a staged row aliased `alias`: the record describes a parcel. In a change
 * package a 灭失 record only retires the parcel its BSM names; no parcel rule reads it.
 */
export function describesParcel(alias: string, changePackage: boolean): string {
  return changePackage ? `NOT change_retires(${alias}.extra_attributes)` : 'true';
}

/** A SQL literal of a parameter value. Values were validated against their ParamSpec first. */
export function literal(value: ParamValue): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return `${value}::float8`;
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return value.length ? `ARRAY[${value.map((item) => text(item)).join(', ')}]::text[]` : `ARRAY[]::text[]`;
  return text(value);
}

/** A number parameter (validated) as a JS number. */
export function numberParam(params: RuleParams, name: string): number {
  const value = params[name];
  if (typeof value !== 'number') throw new Error(`parameter ${name} is not a number`);
  return value;
}

export function codesParam(params: RuleParams, name: string): string[] {
  const value = params[name];
  if (!Array.isArray(value)) throw new Error(`parameter ${name} is not a list of codes`);
  return value;
}
