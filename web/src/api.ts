import type { MultiPolygon, Polygon } from 'geojson';

export type Role =
  | 'city_admin'
  | 'city_auditor'
  | 'district_operator'
  | 'leading_group_office'
  | 'district_office'
  | 'surveyor'
  | 'agency';

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  districtCode: string | null;
  districtName: string | null;
  organisationName: string | null;
}

export interface Session {
  user: User | null;
  csrfToken: string;
}

/** Anonymous visitors get the status only; the city administrator and auditor also the detail. */
export interface Health {
  status: 'ok' | 'degraded' | 'down';
  engine?: 'server' | 'embedded';
  postgres?: string;
  postgis?: string;
  migrations?: { applied: number; pending: string[]; latest: string | null };
  capabilities?: { mvt: boolean; geosRaisesErrors: boolean };
}

export interface AdminUnit {
  code: string;
  name: string;
  level: string;
  parentCode: string | null;
  controlAreaM2: number | null;
}

interface LocalizedMessage {
  zh: string;
  en: string;
}

interface ErrorBody {
  error: { code: string; message: LocalizedMessage; details?: unknown };
}

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** HTTP status, or 0 when the server could not be reached at all. */
    readonly status: number,
    readonly code: string,
    readonly messageZh: string,
    readonly details?: unknown,
    /** Parsed response body, kept for callers that understand non-2xx payloads. */
    readonly body?: unknown,
  ) {
    super(messageZh);
  }
}

// Used when an error response does not carry the platform's error envelope
// (e.g. a proxy failure or a plugin answering before our handlers).
const FALLBACK_MESSAGES: Record<number, string> = {
  401: '身份验证失败，请重新登录',
  403: '没有权限执行此操作',
  404: '请求的资源不存在',
  423: '账户已锁定，请稍后再试或联系管理员',
  429: '尝试次数过多，请稍后再试',
};

function fallbackMessage(status: number): string {
  return FALLBACK_MESSAGES[status] ?? (status >= 500 ? `服务器错误（HTTP ${status}）` : `请求失败（HTTP ${status}）`);
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'object' && message !== null && typeof (message as LocalizedMessage).zh === 'string';
}

// The session lives in an HttpOnly cookie; only the CSRF token is held here.
let csrfToken: string | null = null;

/** The error a failed response stands for (the platform's envelope, or a fallback by status). */
export function responseError(status: number, parsed: unknown): ApiError {
  if (isErrorBody(parsed)) {
    const { code, message, details } = parsed.error;
    return new ApiError(status, code, message.zh, details, parsed);
  }
  return new ApiError(status, `HTTP_${status}`, fallbackMessage(status), undefined, parsed);
}

export function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The CSRF token of the session, fetched when not held yet (every POST carries it). */
export async function csrf(): Promise<string> {
  if (csrfToken === null) await getSession();
  return csrfToken ?? '';
}

async function request<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = await csrf();
  // Only declare a JSON body when there is one: Fastify rejects an empty body sent as application/json.
  if (body !== undefined) headers['content-type'] = 'application/json';

  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (cause) {
    throw new ApiError(0, 'NETWORK_ERROR', '无法连接服务器', cause);
  }

  if (response.status === 204) return undefined as T;

  const parsed = parseJson(await response.text());
  if (!response.ok) throw responseError(response.status, parsed);
  if (parsed === undefined) {
    throw new ApiError(response.status, 'INVALID_RESPONSE', '服务器响应格式错误');
  }
  return parsed as T;
}

/** GET a JSON resource of the API. */
export function apiGet<T>(path: string): Promise<T> {
  return request<T>('GET', path);
}

/** POST to the API (with the CSRF token). */
export function apiPost<T>(path: string, body?: unknown): Promise<T> {
  return request<T>('POST', path, body);
}

/** PATCH a resource of the API (with the CSRF token). */
export function apiPatch<T>(path: string, body: unknown): Promise<T> {
  return request<T>('PATCH', path, body);
}

export function errorMessage(err: unknown): string {
  return err instanceof ApiError ? err.messageZh : '发生未知错误，请稍后再试';
}

function isHealth(body: unknown): body is Health {
  return typeof body === 'object' && body !== null && 'status' in body && !('error' in body);
}

export async function getHealth(): Promise<Health> {
  try {
    return await request<Health>('GET', '/api/health');
  } catch (err) {
    // A degraded server may answer 503 with the health report itself; that is still worth showing.
    if (err instanceof ApiError && isHealth(err.body)) return err.body;
    throw err;
  }
}

export async function getSession(): Promise<Session> {
  const session = await request<Session>('GET', '/api/auth/session');
  csrfToken = session.csrfToken;
  return session;
}

export async function login(username: string, password: string): Promise<User> {
  const session = await request<{ user: User; csrfToken: string }>('POST', '/api/auth/login', { username, password });
  csrfToken = session.csrfToken;
  return session.user;
}

export async function logout(): Promise<void> {
  await request<void>('POST', '/api/auth/logout');
  // The old token belonged to the ended session; the next POST fetches a fresh one.
  csrfToken = null;
}

export function listDistricts(): Promise<AdminUnit[]> {
  return request<AdminUnit[]>('GET', '/api/admin-units?level=district');
}

/** A unit with its boundary (GeoJSON Feature, EPSG:4490 lon/lat). */
export interface AdminUnitFeature {
  type: 'Feature';
  id: string;
  properties: AdminUnit;
  geometry: Polygon | MultiPolygon | null;
}

export function getAdminUnit(code: string): Promise<AdminUnitFeature> {
  return request<AdminUnitFeature>('GET', `/api/admin-units/${encodeURIComponent(code)}`);
}
