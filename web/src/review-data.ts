// What the city's review pages read and send: the review queue, a submission's record (rounds,
// decisions, the steps open to the signed-in user), its parcels as sent, a survey's record and
// publications, what keeps a year from being frozen, attachments and the decisions themselves.
import { apiGet, apiPost, csrf, parseJson, responseError, ApiError } from './api';
import type { Feature } from 'geojson';
import type { Bbox } from './api-data';

export interface QueueEntry {
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
  /** document | rectification | frozen | settled | city_published */
  needs: string[];
  labelZh: string;
  article: string | null;
}

export interface AttachmentRef {
  id: string;
  fileName: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
}

export interface Rectification {
  requirement: string;
  findings?: number[];
}

export interface DecisionDocument {
  number: string;
  date: string;
  issuer?: string | null;
}

export interface Decision {
  id: string;
  submissionId: string | null;
  districtCode: string | null;
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
  document: DecisionDocument | null;
  attachments: AttachmentRef[];
}

export interface SubmissionRecord {
  submission: QueueEntry;
  rounds: QueueEntry[];
  decisions: Decision[];
  latestRun: { id: string; state: string; findings: number | null; blocking: number | null; finishedAt: string | null } | null;
  steps: Step[];
}

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

export interface SurveyRecord {
  surveyId: string;
  state: string;
  decisions: Decision[];
  publications: Publication[];
  steps: Step[];
}

export interface FreezeBlocker {
  reason: 'skipped' | 'pending' | 'no_survey' | 'open' | 'district';
  subject: string | null;
  name: string | null;
  state: string | null;
}

export interface DecisionBody {
  action: string;
  opinion?: string;
  rectification?: Rectification[];
  document?: DecisionDocument;
  attachmentIds?: string[];
  districtCode?: string;
  layers?: string[];
  fields?: string[];
}

export interface StagedPage {
  numberReturned: number;
  nextAfter: number | null;
  extent: Bbox | null;
  features: Feature[];
}

/** Submission states waiting for a person at city or office level. */
export const WAITING_STATES = ['checked', 'preliminary_accepted', 'accepted', 'filed'] as const;

export function listQueue(filter: { surveyId?: string; districtCode?: string; states: readonly string[] }): Promise<QueueEntry[]> {
  const params = new URLSearchParams({ order: 'waiting' });
  if (filter.surveyId) params.set('surveyId', filter.surveyId);
  if (filter.districtCode) params.set('districtCode', filter.districtCode);
  for (const state of filter.states) params.append('state', state);
  return apiGet<QueueEntry[]>(`/api/submissions?${params}`);
}

export function submissionRecord(id: string): Promise<SubmissionRecord> {
  return apiGet<SubmissionRecord>(`/api/submissions/${encodeURIComponent(id)}/record`);
}

export function decideOnSubmission(id: string, body: DecisionBody): Promise<{ state: string }> {
  return apiPost(`/api/submissions/${encodeURIComponent(id)}/decisions`, body);
}

export function surveyRecord(id: string): Promise<SurveyRecord> {
  return apiGet<SurveyRecord>(`/api/surveys/${encodeURIComponent(id)}/record`);
}

export function decideOnSurvey(id: string, body: DecisionBody): Promise<{ state: string }> {
  return apiPost(`/api/surveys/${encodeURIComponent(id)}/decisions`, body);
}

export function freezeBlockers(year: number): Promise<FreezeBlocker[]> {
  return apiGet<FreezeBlocker[]>(`/api/snapshots/${year}/blockers`);
}

export function freezeYear(year: number): Promise<{ year: number; snapshotDate: string; checksum: string }> {
  return apiPost('/api/snapshots', { year });
}

/** All of a submission's parcels of a layer as sent, page by page (at most `max`). */
export async function stagedParcels(id: string, max = 20_000): Promise<{ features: Feature[]; extent: Bbox | null }> {
  const features: Feature[] = [];
  let extent: Bbox | null = null;
  let after = 0;
  for (;;) {
    const page = await apiGet<StagedPage>(`/api/submissions/${encodeURIComponent(id)}/parcels?limit=5000&after=${after}`);
    if (after === 0) extent = page.extent;
    features.push(...page.features);
    if (page.nextAfter === null || features.length >= max) return { features, extent };
    after = page.nextAfter;
  }
}

/** Uploads one attachment (PDF, PNG or JPEG) and returns its id. */
export async function uploadAttachment(file: File): Promise<AttachmentRef> {
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
  return parsed as AttachmentRef;
}
