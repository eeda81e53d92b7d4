// The platform's data as the web app reads it: code lists, snapshots, parcels and their history,
// surveys, submissions and quality runs. Types follow the route schemas (docs/api.md).
import type { Geometry } from 'geojson';
import { apiGet } from './api';

export interface CodeEntry {
  code: string;
  name: string;
  parentCode: string | null;
  /** 三调 palette fill, #rrggbb */
  color: string | null;
}

export interface Snapshot {
  year: number;
  snapshotDate: string;
  frozenAt: string;
  checksum: string;
  parcelCounts: Record<string, number>;
}

export type Bbox = [number, number, number, number];

export interface ParcelVersion {
  versionId: number;
  districtCode: string;
  bsm: string;
  validFrom: string;
  /** exclusive; null while current */
  validTo: string | null;
  submissionId: string;
  /** ellipsoidal area, m², exact decimal */
  areaM2: string;
  attributes: Record<string, unknown>;
  bbox: Bbox;
}

export interface LineageEdge {
  predecessorVersionId: number;
  successorVersionId: number;
  kind: string;
  changeDate: string;
  submissionId: string;
}

export interface ParcelHistory {
  layer: string;
  bsm: string;
  versions: ParcelVersion[];
  graph: { nodes: ParcelVersion[]; edges: LineageEdge[] };
}

export interface ChangeCounts {
  counts: { added: number; retired: number; changed: number };
}

export interface Survey {
  id: string;
  kind: 'national' | 'land_use_change' | 'cadastral_change' | 'special';
  scope: 'city' | 'district';
  districtCode: string | null;
  year: number;
  timePoint: string;
  title: string;
  state: string;
  submissionDeadline: string | null;
  /** 已冻结: its year's snapshot is frozen */
  frozen: boolean;
}

export interface Progress {
  stage: string;
  layer: string | null;
  recordsRead: number;
  recordsTotal: number | null;
  percent: number;
}

export interface Submission {
  id: string;
  districtCode: string;
  surveyId: string;
  state: string;
  fileName: string;
  sha256: string;
  sizeBytes: number;
  createdAt: string;
}

export interface SubmissionDetail extends Submission {
  format: string | null;
  importStartedAt: string | null;
  importFinishedAt: string | null;
  progress: Progress | null;
  report: Record<string, unknown> | null;
}

export interface Bilingual {
  zh: string;
  en: string;
}

export interface RuleSummary {
  ruleId: string;
  category: string;
  severity: string;
  title: Bilingual;
  findings: number;
  ms: number;
}

export interface QualityRun {
  id: string;
  districtCode: string;
  submissionId: string;
  state: 'running' | 'finished' | 'failed' | string;
  startedAt: string;
  finishedAt: string | null;
  findings: number | null;
  blocking: number | null;
  summary: RuleSummary[] | null;
  bySeverity: { error: number; warning: number; info: number };
  error: unknown;
}

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  findingNo: number;
  ruleId: string;
  severity: Severity;
  layer: string;
  recordNo: number | null;
  bsm: string | null;
  otherBsm: string | null;
  message: Bilingual;
  bbox: Bbox | null;
}

export interface FindingPage {
  total: number;
  limit: number;
  offset: number;
  findings: Finding[];
}

export function getCodeList(list: string): Promise<CodeEntry[]> {
  return apiGet<CodeEntry[]>(`/api/code-lists/${encodeURIComponent(list)}`);
}

export function listSnapshots(): Promise<Snapshot[]> {
  return apiGet<Snapshot[]>('/api/snapshots');
}

export function getParcel(bsm: string): Promise<ParcelHistory> {
  return apiGet<ParcelHistory>(`/api/parcels/${encodeURIComponent(bsm)}`);
}

export function changeCounts(from: string, to: string): Promise<ChangeCounts> {
  return apiGet<ChangeCounts>(`/api/changes?from=${from}&to=${to}&limit=1`);
}

export function listSurveys(): Promise<Survey[]> {
  return apiGet<Survey[]>('/api/surveys');
}

export function listSubmissions(): Promise<Submission[]> {
  return apiGet<Submission[]>('/api/submissions');
}

export function getSubmission(id: string): Promise<SubmissionDetail> {
  return apiGet<SubmissionDetail>(`/api/submissions/${id}`);
}

export function latestQualityRun(submissionId: string): Promise<QualityRun | null> {
  return apiGet<QualityRun | null>(`/api/submissions/${submissionId}/quality`);
}

export function listFindings(runId: string, query: { limit: number; offset: number; severity?: Severity | ''; ruleId?: string }): Promise<FindingPage> {
  const params = new URLSearchParams({ limit: String(query.limit), offset: String(query.offset) });
  if (query.severity) params.set('severity', query.severity);
  if (query.ruleId) params.set('ruleId', query.ruleId);
  return apiGet<FindingPage>(`/api/quality-runs/${runId}/findings?${params}`);
}

export interface VersionFeature {
  type: 'Feature';
  id: number;
  geometry: Geometry;
  properties: Record<string, unknown> & { bsm: string; versionId: number };
}

/** Land-use versions valid on a day whose geometry meets a box (GET /api/features). */
export async function featuresIn(bbox: Bbox, asOf: string, limit = 200): Promise<VersionFeature[]> {
  const box = bbox.map((value) => value.toFixed(9)).join(',');
  const page = await apiGet<{ features: VersionFeature[] }>(`/api/features?bbox=${box}&asOf=${asOf}&limit=${limit}`);
  return page.features;
}
