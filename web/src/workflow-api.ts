// The lifecycle and publication data the district, office and public pages read and write:
// publications, the published tables, a submission's or survey's record (rounds, decisions and
// the steps open to the user), decisions and their attachments. Types follow the route schemas
// (server/modules/submissions/schemas.ts, versions/table-routes.ts).
import { apiGet } from './api';
import type { QueueEntry } from './review-data';

// A submission's and a survey's record, decisions and attachments: one client for every page
// (review-data.ts, written for the city's pages).
export type { QueueEntry as LifecycleSubmission, Step, Rectification, Decision, SubmissionRecord, SurveyRecord, DecisionBody as DecisionInput, AttachmentRef as Attachment } from './review-data';
export { submissionRecord, surveyRecord, uploadAttachment, decideOnSubmission as decideSubmission, decideOnSurvey as decideSurvey } from './review-data';

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

export function listLifecycleSubmissions(states?: string[]): Promise<QueueEntry[]> {
  const query = states?.map((state) => `state=${state}`).join('&');
  return apiGet<QueueEntry[]>(`/api/submissions${query ? `?${query}` : ''}`);
}
