import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, REPO_ROOT } from '../../server/config.ts';

function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('uses the defaults when the environment is empty', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.databaseUrl).toBeNull();
    expect(path.isAbsolute(config.dataDir)).toBe(true);
    expect(config.dataDir.endsWith('.data')).toBe(true);
    expect(config.dataDir).toBe(path.join(REPO_ROOT, '.data'));
    expect(config.logLevel).toBe('info');
    expect(config.seedDemo).toBe(true);
    expect(config.lockoutThreshold).toBe(5);
    expect(config.lockoutMinutes).toBe(15);
    expect(config.loginRateLimitPerMinute).toBe(20);
    expect(config.cookieSecure).toBe(false);
    expect(config.webDistDir).toBe(path.join(REPO_ROOT, 'web', 'dist'));
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '  ', SEED_DEMO: '' })).toMatchObject({ port: 3000, databaseUrl: null, seedDemo: true });
  });

  it('reads valid values', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgresql://lsp@db.example:5432/land_survey',
      DATA_DIR: 'memory://',
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      LOGIN_LOCKOUT_THRESHOLD: '3',
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'postgresql://lsp@db.example:5432/land_survey',
      dataDir: 'memory://',
      seedDemo: false,
      logLevel: 'warn',
      lockoutThreshold: 3,
    });
  });

  it('derives the request connections\' URL from DATABASE_URL, or validates REQUEST_DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://owner:secret@db.example:5432/land_survey' }).requestDatabaseUrl).toBe(
      'postgres://lsp_request@db.example:5432/land_survey',
    );
    expect(loadConfig({}).requestDatabaseUrl).toBeNull();
    const explicit = 'postgres://lsp_request:pw@db.example:5432/land_survey';
    expect(loadConfig({ DATABASE_URL: 'postgres://owner@db.example/land_survey', REQUEST_DATABASE_URL: explicit }).requestDatabaseUrl).toBe(explicit);
    expect(configErrorOf({ REQUEST_DATABASE_URL: explicit }).variable).toBe('REQUEST_DATABASE_URL');
    expect(configErrorOf({ DATABASE_URL: 'postgres://owner@db.example/land_survey', REQUEST_DATABASE_URL: 'postgres://owner@db.example/land_survey' }).message).toMatch(/another user/);
    expect(configErrorOf({ DATABASE_URL: 'postgres://owner@db.example/land_survey', REQUEST_DATABASE_URL: 'postgres://lsp_request@db.example/other' }).message).toMatch(/same database/);
    expect(configErrorOf({ DATABASE_URL: 'postgres://owner@db.example/land_survey', REQUEST_DATABASE_URL: 'http://x/y' }).variable).toBe('REQUEST_DATABASE_URL');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['DATABASE_URL', 'mysql://x/y'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'postgres://localhost'],
    ['DATABASE_URL', 'postgres://localhost/'],
    ['SEED_DEMO', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['LOGIN_LOCKOUT_THRESHOLD', '0'],
    ['LOGIN_LOCKOUT_MINUTES', 'ten'],
    ['LOGIN_RATE_LIMIT_PER_MINUTE', '0'],
    ['SESSION_TTL_MINUTES', '0'],
    ['COOKIE_SECURE', 'sometimes'],
  ])('refuses %s=%s with a ConfigError naming the variable', (variable, value) => {
    const error = configErrorOf({ [variable]: value });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe('ConfigError');
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
  });
});

describe('server start-up with a bad configuration', () => {
  it('exits with code 2 and names the variable on stderr', () => {
    const result = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['server/main.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: 'abc' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.error).toBeUndefined();
    expect(result.signal).toBeNull();
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT');
    expect(result.stdout).not.toMatch(/ready in/);
  });
});
