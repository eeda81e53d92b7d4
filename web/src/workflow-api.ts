// The lifecycle and publication data the district, office and public pages read and write:
// publications, the published tables, a submission's or survey's record (rounds, decisions and
// the steps open to the user), decisions and their attachments. Types follow the route schemas
// (server/modules/submissions/schemas.ts, versions/table-routes.ts).
import { ApiError, apiGet, apiPost, csrf, parseJson, responseError } from './api';

export interface Publication {
  id: string;
  surveyId: string;
  surveyTitle: string;
  surveyKind: string;
  year: number;
  districtCode: string | null;
  districtName: string | null;
  day: string;
  layers: string[];
  fields: string[];
  publishedAt: string;
  withdrawnAt: string | null;
}

export interface Figure {
  m2: string;
  ha: string;
  mu: string;
  parcels: number;
}

export interface ClassFigure extends Figure {
  code: string;
  name: string;
}

export interface Statistics {
  asOf: string;
  districts: ({ districtCode: string; name: string; total: Figure; classes: ClassFigure[] })[];
  city: { total: Figure; classes: ClassFigure[] };
  basicFarmland: { districts: (Figure & { districtCode: string; name: string })[]; total: Figure };
}

export interface FlowTable {
  from: string;
  to: string;
  level: number;
  columns: { code: string; name: string }[];
  rows: { code: string; name: string; ha: string[]; mu: string[]; m2: string[]; total: { ha: string; mu: string; m2: string } }[];
  columnTotals: { ha: string[]; mu: string[]; m2: string[] };
  grandTotal: { from: { ha: string }; to: { ha: string } };
}

export interface LifecycleSubmission {
  id: string;
  districtCode: string;
  districtName: string | null;
  surveyId: string;
  surveyTitle: string;
  surveyKind: string;
  surveyScope: string;
  state: string;
  round: number;
  correctsSubmissionId: string | null;
  fileName: string;
  sizeBytes: number;
  uploadedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Step {
  object: string;
  kind: string;
  scope: string;
  fromState: string;
  action: string;
  toState: string;
  roles: string[];
  level: string;
  decision: boolean;
  needs: string[];
  labelZh: string;
  article: string | null;
}

export interface Rectification {
  requirement: string;
  findings?: number[];
}

export interface Decision {
  id: string;
  submissionId: string | null;
  round: number | null;
  action: string;
  label: string;
  from: string;
  to: string;
  deciderName: string | null;
  deciderRole: string;
  organisationName: string | null;
  decidedAt: string;
  opinion: string | null;
  rectification: Rectification[] | null;
  document: { number: string; date: string; issuer?: string } | null;
  attachments: { id: string; fileName: string; mediaType: string; sizeBytes: number; sha256: string }[];
}

export interface SubmissionRecord {
  submission: LifecycleSubmission;
  rounds: LifecycleSubmission[];
  decisions: Decision[];
  latestRun: { id: string; state: string; findings: number | null; blocking: number | null; finishedAt: string | null } | null;
  steps: Step[];
}

export interface SurveyRecord {
  surveyId: string;
  state: string;
  decisions: Decision[];
  publications: Publication[];
  steps: Step[];
}

export interface DecisionInput {
  action: string;
  opinion?: string;
  rectification?: Rectification[];
  document?: { number: string; date: string };
  attachmentIds?: string[];
}

export interface Attachment {
  id: string;
  sha256: string;
  fileName: string;
  mediaType: string;
  sizeBytes: number;
}

/** What stands published now (the public sees only these, of 公开 surveys). */
export function listPublications(): Promise<Publication[]> {
  return apiGet<Publication[]>('/api/publications?standing=true');
}

export function statisticsOn(day: string): Promise<Statistics> {
  return apiGet<Statistics>(`/api/statistics?asOf=${day}`);
}

export function flowTable(from: string, to: string): Promise<FlowTable> {
  return apiGet<FlowTable>(`/api/change-flows?from=${from}&to=${to}&level=1`);
}

export function listLifecycleSubmissions(states?: string[]): Promise<LifecycleSubmission[]> {
  const query = states?.map((state) => `state=${state}`).join('&');
  return apiGet<LifecycleSubmission[]>(`/api/submissions${query ? `?${query}` : ''}`);
}

export function submissionRecord(id: string): Promise<SubmissionRecord> {
  return apiGet<SubmissionRecord>(`/api/submissions/${id}/record`);
}

export function surveyRecord(id: string): Promise<SurveyRecord> {
  return apiGet<SurveyRecord>(`/api/surveys/${id}/record`);
}

export function decideSubmission(id: string, input: DecisionInput): Promise<{ state: string }> {
  return apiPost<{ state: string }>(`/api/submissions/${id}/decisions`, input);
}

export function decideSurvey(id: string, input: DecisionInput): Promise<{ state: string }> {
  return apiPost<{ state: string }>(`/api/surveys/${id}/decisions`, input);
}

/** Uploads a decision's attachment (验收报告, 批准文件: PDF, PNG or JPEG). */
export async function uploadAttachment(file: File): Promise<Attachment> {
  const body = new FormData();
  body.append('file', file, file.name);
  let response: Response;
  try {
    response = await fetch('/api/attachments', { method: 'POST', body, credentials: 'same-origin', headers: { 'x-csrf-token': await csrf(), accept: 'application/json' } });
  } catch (cause) {
    throw new ApiError(0, 'NETWORK_ERROR', '无法连接服务器', cause);
  }
  const parsed = parseJson(await response.text());
  if (!response.ok) throw responseError(response.status, parsed);
  return parsed as Attachment;
}
