// The one place where the environment is read and validated. Everything else receives a Config.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  /** PostgreSQL/PostGIS server URL; absent means the embedded engine. */
  databaseUrl: string | null;
  /**
   * The server URL request transactions connect with: a login role under row-level security
   * (REQUEST_DATABASE_URL, or DATABASE_URL with the user lsp_request and no password).
   */
  requestDatabaseUrl: string | null;
  /** Connections in the pool to the server engine. */
  databasePoolMax: number;
  /** Folder of the embedded engine's data ('memory://' keeps it in memory). */
  dataDir: string;
  host: string;
  port: number;
  logLevel: LogLevel;
  /** Seed demo organisations and users (one per role) at start. */
  seedDemo: boolean;
  /** Absolute lifetime of a login session. */
  sessionTtlMinutes: number;
  /** Failed logins in a row before an account is locked, and for how long. */
  lockoutThreshold: number;
  lockoutMinutes: number;
  /** Login attempts per client address per minute (all accounts). */
  loginRateLimitPerMinute: number;
  /** Mark cookies Secure (set behind HTTPS). */
  cookieSecure: boolean;
  /** Number of reverse proxies in front whose X-Forwarded-For is trusted (0: none). */
  trustProxyHops: number;
  webDistDir: string;
  ingest: IngestConfig;
  progress: ProgressConfig;
}

export interface ProgressConfig {
  /** Minutes between the platform's progress rounds (passed deadlines, scheduled 进度通报); 0: none. */
  scheduleIntervalMinutes: number;
}

export interface IngestConfig {
  /** Content-addressed archive of every upload, kept unchanged (art. 27). */
  archiveDir: string;
  /** Scratch space for uploads in flight and extracted GeoPackages. */
  workDir: string;
  /** Largest upload accepted. */
  maxUploadBytes: number;
  /** Zip bomb limits: total inflated size, and inflated ÷ compressed of any entry. */
  maxUncompressedBytes: number;
  maxCompressionRatio: number;
  maxZipEntries: number;
  /** Largest package member read whole into memory (.prj, .cpg). */
  maxSmallMemberBytes: number;
  /** Largest single record held in memory (a .shp record, a GeoJSON feature or top-level member, a GeoPackage geometry). */
  maxRecordBytes: number;
  /** Records per layer that the structure pass reads before answering the upload. */
  inspectRecords: number;
  /** Uploads per account within uploadRateWindowSeconds (429 beyond). */
  uploadRateLimit: number;
  uploadRateWindowSeconds: number;
  /** Records per COPY batch. */
  batchRecords: number;
  /** Batches loading at once on a server engine (each on its own connection). */
  parallelBatches: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`配置错误 / configuration error: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const normalised = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(normalised)) return true;
  if (['0', 'false', 'no', 'off'].includes(normalised)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function postgresUrl(env: Env, name: string): URL | null {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL (expected postgres://user@host:5432/database)`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, `must start with postgres:// or postgresql://, got "${url.protocol}//"`);
  }
  if (url.pathname.length <= 1) throw new ConfigError(name, 'must name a database, e.g. postgres://localhost/land_survey');
  return url;
}

/** The login role of request connections, created by migrations/0014. */
export const REQUEST_DB_USER = 'lsp_request';

/** DATABASE_URL with the request role as its user, without the owner's password. */
export function requestUrlFor(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.username = REQUEST_DB_USER;
  url.password = '';
  return url.toString();
}

function requestDatabaseUrl(env: Env, databaseUrl: URL | null): string | null {
  const request = postgresUrl(env, 'REQUEST_DATABASE_URL');
  if (!databaseUrl) {
    if (request) throw new ConfigError('REQUEST_DATABASE_URL', 'needs DATABASE_URL too (the owner connection runs migrations)');
    return null;
  }
  if (!request) return requestUrlFor(databaseUrl.toString());
  if (decodeURIComponent(request.username) === decodeURIComponent(databaseUrl.username)) {
    throw new ConfigError('REQUEST_DATABASE_URL', 'must name another user than DATABASE_URL (requests must not connect as the owner)');
  }
  if (request.pathname !== databaseUrl.pathname) {
    throw new ConfigError('REQUEST_DATABASE_URL', `must name the same database as DATABASE_URL (${databaseUrl.pathname.slice(1)})`);
  }
  return env.REQUEST_DATABASE_URL!;
}

const GIB = 1024 ** 3;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const logLevel = text(env, 'LOG_LEVEL', 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const dataDir = text(env, 'DATA_DIR', '.data');
  const databaseUrl = postgresUrl(env, 'DATABASE_URL');
  return {
    databaseUrl: databaseUrl ? env.DATABASE_URL! : null,
    requestDatabaseUrl: requestDatabaseUrl(env, databaseUrl),
    databasePoolMax: integer(env, 'DATABASE_POOL_MAX', 10, 1, 500),
    dataDir: dataDir.startsWith('memory://') ? dataDir : path.resolve(REPO_ROOT, dataDir),
    host: text(env, 'HOST', '0.0.0.0'),
    port: integer(env, 'PORT', 3000, 0, 65535),
    logLevel,
    seedDemo: boolean(env, 'SEED_DEMO', true),
    sessionTtlMinutes: integer(env, 'SESSION_TTL_MINUTES', 8 * 60, 1, 30 * 24 * 60),
    lockoutThreshold: integer(env, 'LOGIN_LOCKOUT_THRESHOLD', 5, 1, 100),
    lockoutMinutes: integer(env, 'LOGIN_LOCKOUT_MINUTES', 15, 1, 24 * 60),
    loginRateLimitPerMinute: integer(env, 'LOGIN_RATE_LIMIT_PER_MINUTE', 20, 1, 10_000),
    cookieSecure: boolean(env, 'COOKIE_SECURE', false),
    trustProxyHops: integer(env, 'TRUST_PROXY_HOPS', 0, 0, 10),
    webDistDir: path.resolve(REPO_ROOT, text(env, 'WEB_DIST_DIR', 'web/dist')),
    ingest: {
      archiveDir: path.resolve(REPO_ROOT, text(env, 'ARCHIVE_DIR', '.archive')),
      workDir: path.resolve(REPO_ROOT, text(env, 'IMPORT_WORK_DIR', '.tmp/import-work')),
      maxUploadBytes: integer(env, 'UPLOAD_MAX_BYTES', 2 * GIB, 1024, 1024 * GIB),
      maxUncompressedBytes: integer(env, 'ZIP_MAX_UNCOMPRESSED_BYTES', 20 * GIB, 1024, 4096 * GIB),
      maxCompressionRatio: integer(env, 'ZIP_MAX_COMPRESSION_RATIO', 200, 2, 100_000),
      maxZipEntries: integer(env, 'ZIP_MAX_ENTRIES', 10_000, 1, 1_000_000),
      maxSmallMemberBytes: integer(env, 'ZIP_MAX_SMALL_MEMBER_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
      maxRecordBytes: integer(env, 'IMPORT_MAX_RECORD_BYTES', 64 * 1024 * 1024, 64 * 1024, GIB),
      inspectRecords: integer(env, 'UPLOAD_INSPECT_RECORDS', 1000, 1, 10_000_000),
      uploadRateLimit: integer(env, 'UPLOAD_RATE_LIMIT', 30, 1, 100_000),
      uploadRateWindowSeconds: integer(env, 'UPLOAD_RATE_WINDOW_SECONDS', 3600, 1, 7 * 24 * 3600),
      batchRecords: integer(env, 'IMPORT_BATCH_RECORDS', 20_000, 1, 1_000_000),
      parallelBatches: integer(env, 'IMPORT_PARALLEL_BATCHES', 2, 1, 16),
    },
    progress: {
      // Daily by default (art. 16: 定期通报); tests turn it off and call the round themselves.
      scheduleIntervalMinutes: integer(env, 'PROGRESS_SCHEDULE_INTERVAL_MINUTES', 24 * 60, 0, 366 * 24 * 60),
    },
  };
}
