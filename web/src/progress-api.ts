// The progress and inbox API (docs/api.md "Progress supervision"), for progress-page.ts and inbox.ts.
import { ApiError, apiGet, apiPost, csrf, parseJson, responseError } from './api';

export interface Deadline {
  id: string;
  surveyId: string;
  surveyTitle: string;
  districtCode: string;
  districtName: string;
  step: string;
  dueDate: string;
  note: string | null;
  setAt: string;
}

export interface BoardRow {
  surveyId: string;
  surveyTitle: string;
  districtCode: string;
  districtName: string;
  reached: string | null;
  rounds: number;
  nextStep: string | null;
  nextDue: string | null;
  daysLate: number;
  deadlines: { id: string; step: string; dueDate: string; met: boolean }[];
  percent: number | null;
  reportedAt: string | null;
}

export interface ProgressReport {
  id: string;
  surveyId: string;
  districtName: string;
  percent: number;
  note: string | null;
  reportedBy: string;
  reportedAt: string;
}

export interface Bulletin {
  id: string;
  number: number;
  asOf: string;
  issuedHow: 'on_demand' | 'scheduled';
  issuedAt: string;
  title: string;
  behindDistricts: string[];
  supervisedDistricts: string[];
}

export interface Notice {
  id: string;
  kind: string;
  title: string;
  body: string | null;
  bulletinId: string | null;
  submissionId: string | null;
  createdAt: string;
  readAt: string | null;
}

/** PUT and DELETE, which api.ts does not send: the same headers and error envelope. */
async function send<T>(method: 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-csrf-token': await csrf() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (cause) {
    throw new ApiError(0, 'NETWORK_ERROR', '无法连接服务器', cause);
  }
  if (response.status === 204) return undefined as T;
  const parsed = parseJson(await response.text());
  if (!response.ok) throw responseError(response.status, parsed);
  return parsed as T;
}

const query = (params: Record<string, string | undefined>) => {
  const search = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  return search.size ? `?${search}` : '';
};

export const progressBoard = (asOf?: string, surveyId?: string) => apiGet<{ asOf: string; rows: BoardRow[] }>(`/api/progress/board${query({ asOf, surveyId })}`);
export const listDeadlines = (surveyId?: string) => apiGet<Deadline[]>(`/api/progress/deadlines${query({ surveyId })}`);
export const setDeadline = (input: { surveyId: string; districtCode: string; step: string; dueDate: string; note?: string | null }) => send<Deadline>('PUT', '/api/progress/deadlines', input);
export const deleteDeadline = (id: string) => send<void>('DELETE', `/api/progress/deadlines/${id}`);
export const listReports = (surveyId?: string) => apiGet<ProgressReport[]>(`/api/progress/reports${query({ surveyId })}`);
export const addReport = (input: { surveyId: string; percent: number; note?: string | null }) => apiPost<ProgressReport>('/api/progress/reports', input);
export const listBulletins = () => apiGet<Bulletin[]>('/api/progress/bulletins');
export const issueBulletin = (input: { surveyId?: string }) => apiPost<Bulletin>('/api/progress/bulletins', input);
export const bulletinXlsxUrl = (id: string) => `/api/progress/bulletins/${id}/xlsx`;
export const listInbox = () => apiGet<{ unread: number; notices: Notice[] }>('/api/inbox');
export const unreadCount = () => apiGet<{ unread: number }>('/api/inbox/unread-count');
export const markRead = (id: string) => apiPost<void>(`/api/inbox/${id}/read`);
export const markAllRead = () => apiPost<{ marked: number }>('/api/inbox/read-all');

/** The steps a deadline may name, as the board prints them. */
export const STEP_NAMES: Record<string, string> = {
  received: '已汇交',
  checked: '质检通过',
  preliminary_accepted: '初步验收合格',
  accepted: '验收通过',
  filed: '已备案',
  applied: '已入库',
};

const STATE_NAMES: Record<string, string> = { ...STEP_NAMES, importing: '导入中', imported: '已导入', checking: '质检中', rejected: '退回整改', failed: '导入失败' };

export function reachedName(state: string | null): string {
  return state === null ? '未汇交' : (STATE_NAMES[state] ?? state);
}
