// A survey's rule set: every rule with its defaults, overridden by that survey's settings.
import type { Queryable } from '../../db/context.ts';
import { qualityErrors } from './errors.ts';
import type { ParamValue, Rule, RuleParams, Severity } from './rule.ts';
import { findRule, RULES } from './rules/index.ts';

export interface EffectiveRule {
  rule: Rule;
  enabled: boolean;
  severity: Severity;
  params: RuleParams;
  /** whether the survey overrides the defaults */
  customised: boolean;
}

export interface RuleSetting {
  enabled?: boolean;
  severity?: Severity | null;
  params?: Record<string, unknown>;
}

export async function effectiveRules(db: Queryable, surveyId: string): Promise<EffectiveRule[]> {
  const rows = await db.selectFrom('qc_rule_settings').select(['rule_id', 'enabled', 'severity', 'params']).where('survey_id', '=', surveyId).execute();
  const byRule = new Map(rows.map((row) => [row.rule_id, row]));
  return RULES.map((rule) => {
    const row = byRule.get(rule.id);
    return {
      rule,
      enabled: row?.enabled ?? true,
      severity: row?.severity ?? rule.severity,
      params: { ...rule.params, ...((row?.params as RuleParams | undefined) ?? {}) },
      customised: row !== undefined,
    };
  });
}

/** Checks a survey's parameter overrides against the rule's parameter specs. */
export function validateParams(ruleId: string, params: Record<string, unknown>): RuleParams {
  const rule = findRule(ruleId);
  if (!rule) throw qualityErrors.unknownRule(ruleId);
  const out: RuleParams = {};
  for (const [name, value] of Object.entries(params)) {
    const spec = rule.paramSpecs[name];
    if (!spec) throw qualityErrors.settingInvalid(ruleId, `没有参数 ${name}`, `no parameter ${name}`, { parameter: name, parameters: Object.keys(rule.paramSpecs) });
    const bad = (zh: string, en: string) => qualityErrors.settingInvalid(ruleId, `参数 ${name} ${zh}`, `parameter ${name} ${en}`, { parameter: name, value });
    let checked: ParamValue;
    switch (spec.type) {
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('应为数值', 'must be a number');
        if (spec.minimum !== undefined && value < spec.minimum) throw bad(`不得小于 ${spec.minimum}`, `must be at least ${spec.minimum}`);
        checked = value;
        break;
      case 'boolean':
        if (typeof value !== 'boolean') throw bad('应为 true 或 false', 'must be true or false');
        checked = value;
        break;
      case 'codes':
        if (!Array.isArray(value) || !value.every((code) => typeof code === 'string' && /^[0-9A-Za-z]{1,8}$/.test(code))) {
          throw bad('应为代码列表（1–8 位字母或数字）', 'must be a list of codes (1-8 letters or digits)');
        }
        checked = value as string[];
        break;
      default:
        if (typeof value !== 'string' || (spec.values && !spec.values.includes(value))) throw bad(`应为 ${spec.values?.join('/') ?? '文本'}`, `must be ${spec.values?.join('/') ?? 'text'}`);
        checked = value;
    }
    out[name] = checked;
  }
  return out;
}
