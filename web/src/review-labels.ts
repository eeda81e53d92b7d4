// Chinese names the review pages show besides those of labels.ts: survey kinds, secrecy levels,
// the states a submission reaches in review, roles not in the shared list, publication layers and
// fields, and how long something has waited.
import { DLTB_FIELDS, ROLE_NAMES, SUBMISSION_STATES } from './labels';

export const SURVEY_KIND_NAMES: Record<string, string> = {
  national: '全国土地调查',
  land_use_change: '土地利用变更调查',
  cadastral_change: '地籍变更调查',
  special: '土地专项调查',
};

export const SECRECY_NAMES: Record<string, string> = { public: '公开', internal: '内部', secret: '秘密', confidential: '机密' };

const REVIEW_STATES: Record<string, string> = {
  checked: '质检通过，待验收',
  preliminary_accepted: '已初验，待终验',
  accepted: '已验收，待入库',
  filed: '已备案，待入库',
  rejected: '已退回整改',
};

export function submissionStateName(state: string): string {
  return REVIEW_STATES[state] ?? SUBMISSION_STATES[state] ?? state;
}

export function roleName(role: string): string {
  return (ROLE_NAMES as Record<string, string>)[role] ?? (role === 'district_office' ? '区领导小组办公室' : role);
}

export const PUBLICATION_LAYERS: Record<string, string> = { land_use: '地类图斑', basic_farmland: '永久基本农田' };

/** The fields a publication may carry per layer (server/modules/submissions/survey-effects.ts, PUBLIC_FIELDS). */
export const PUBLICATION_FIELDS: Record<string, string[]> = {
  land_use: ['BSM', 'DLBM', 'DLMC', 'XZQDM', 'TBMJ'],
  basic_farmland: ['BSM', 'DLBM'],
};

const FIELD_LABELS: Record<string, string> = { ...Object.fromEntries(DLTB_FIELDS.map((field) => [field.name, field.label])), XZQDM: '行政区代码' };

export function fieldLabel(name: string): string {
  return FIELD_LABELS[name] ?? name;
}

/** Whole days since `iso`. */
export function daysSince(iso: string, now = Date.now()): number {
  return Math.max(0, Math.floor((now - new Date(iso).getTime()) / 86_400_000));
}

export function waitedText(iso: string): string {
  const days = daysSince(iso);
  return days === 0 ? '不足 1 天' : `${days} 天`;
}
