// The rule set, in the order a run applies it. Order matters in one place: TOPO_GAP reads the
// overlaps and parts outside the district that the rules before it found. The package rules come
// first: their finding, when there is one, explains the rest.
import type { Rule } from '../rule.ts';
import { areaRules } from './area.ts';
import { attributeRules } from './attributes.ts';
import { changeRules } from './changes.ts';
import { gaps } from './gaps.ts';
import { geometryRules } from './geometry.ts';
import { logicRules } from './logic.ts';
import { packageRules } from './package.ts';
import { topologyRules } from './topology.ts';

export const RULES: readonly Rule[] = [...packageRules, ...attributeRules, ...logicRules, ...geometryRules, ...topologyRules, gaps, ...areaRules, ...changeRules];

export function findRule(id: string): Rule | undefined {
  return RULES.find((rule) => rule.id === id);
}
