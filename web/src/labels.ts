// Chinese names the pages show: roles, DLTB field labels (from the 三调 schema in
// fixtures/reference/layers.json, the same file the importer reads), lineage kinds, import stages,
// quality severities and submission states.
import layers from '../../fixtures/reference/layers.json';
import roles from '../../fixtures/reference/roles.json';
import type { Role } from './api';

/** The roles' Chinese names (fixtures/reference/roles.json, which the server's start-up listing also reads). */
export const ROLE_NAMES: Record<Role, string> = roles;

/** Roles that read the parcel layers (the tiles, parcels, snapshots). */
export const READER_ROLES: readonly Role[] = ['city_admin', 'city_auditor', 'leading_group_office', 'district_operator', 'surveyor'];

interface SchemaField {
  name: string;
  label: string;
}

/** DLTB fields in schema order: attribute key (lower case, as the API returns them) and label. */
export const DLTB_FIELDS: { key: string; name: string; label: string }[] = (layers.DLTB.fields as SchemaField[]).map((field) => ({
  key: field.name.toLowerCase(),
  name: field.name,
  // The schema notes the area kind in English; the page says it in its own words.
  label: field.label.replace(/\s*\(m², ellipsoidal\)/, '（m²）'),
}));

/** Attributes whose value is a code with a code list of the API: show the name beside it. */
export const CODED_FIELDS: Record<string, string> = {
  qsxz: 'qsxz',
  gdlx: 'gdlx',
  gdpdjb: 'gdpdjb',
  tbxhdm: 'tbxhdm',
  zzsxdm: 'zzsxdm',
  czcsxm: 'czcsxm',
};

export const LINEAGE_KINDS: Record<string, string> = {
  split: '分割',
  merge: '合并',
  reclassification: '地类变更',
  boundary_change: '边界调整',
  ownership_change: '权属变更',
  attribute_change: '属性变更',
};

export const STAGES: Record<string, string> = {
  queued: '排队等待',
  opening: '打开成果包',
  reading: '读取要素',
  indexing: '建立索引',
  checking: '质量检查',
  done: '完成',
  failed: '失败',
};

export const SEVERITIES: Record<string, string> = {
  error: '错误',
  warning: '警告',
  info: '提示',
};

export const SUBMISSION_STATES: Record<string, string> = {
  received: '已接收',
  importing: '导入中',
  imported: '已导入',
  checking: '质检中',
  checked: '质检通过',
  rejected: '未通过（须更正后重交）',
  accepted: '已验收',
  applied: '已入库',
  failed: '导入失败',
  superseded: '已被替代',
};

/** Submission states after which nothing more happens without a person acting. */
export const SETTLED_STATES = new Set(['checked', 'rejected', 'accepted', 'applied', 'failed', 'superseded']);

export const CATEGORIES: Record<string, string> = {
  attribute: '属性',
  logic: '逻辑',
  geometry: '几何',
  topology: '拓扑',
  area: '面积',
};

export const CHANGE_KINDS = {
  added: { label: '新增', color: '#1a9850' },
  changed: { label: '变更', color: '#f28e2b' },
  retired: { label: '灭失', color: '#d62728' },
} as const;

export const SEVERITY_COLORS: Record<string, string> = {
  error: '#d7191c',
  warning: '#f59e0b',
  info: '#2b83ba',
};

export const SURVEY_STATES: Record<string, string> = {
  planned: '计划中',
  collecting: '汇交中',
  checking: '审核中',
  preliminary_accepted: '已初验',
  accepted: '已验收',
  filed: '已备案',
  approved: '已批准',
  published: '已公布',
  closed: '已结束',
};

/** What a survey's list entry says of it: 已冻结 once its year's snapshot is frozen, else its state. */
export function surveyStateLabel(survey: { state: string; frozen: boolean }): string {
  return survey.frozen ? '已冻结' : (SURVEY_STATES[survey.state] ?? survey.state);
}
