// Smoke run of the real platform as a user starts it: `tsx server/main.ts` in a child process,
// then over HTTP: health, log in (with CSRF), one query, log out, stop. Done twice on the same
// data folder, so the second start's time is measured too. Uses the engine the environment
// selects (embedded unless DATABASE_URL is set) and a fresh data folder unless DATA_DIR is set.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../server/config.ts';
import { DEMO_PASSWORD } from '../server/seed/demo.ts';

const dataDir = process.env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lsp-smoke-'));
const port = Number(process.env.SMOKE_PORT ?? 3999);
const base = `http://127.0.0.1:${port}`;

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`smoke: ${message}`);
}

async function waitForHealth(child: ReturnType<typeof spawn>, started: number): Promise<number> {
  while (Date.now() - started < 120_000) {
    if (child.exitCode !== null) throw new Error(`smoke: the server exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${base}/api/health`);
      if (response.ok) return (Date.now() - started) / 1000;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('smoke: no healthy answer within 120 s');
}

class Session {
  private cookies = new Map<string, string>();

  async call(method: string, url: string, body?: unknown, csrf?: string): Promise<{ status: number; json: any }> {
    const response = await fetch(`${base}${url}`, {
      method,
      headers: {
        cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const [name, value] = (pair ?? '').split('=');
      if (name) this.cookies.set(name.trim(), value ?? '');
    }
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  }
}

async function runOnce(label: string): Promise<number> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const seconds = await waitForHealth(child, started);
    const session = new Session();
    const { json: pre } = await session.call('GET', '/api/auth/session');
    const login = await session.call('POST', '/api/auth/login', { username: 'admin', password: DEMO_PASSWORD }, pre.csrfToken);
    check(login.status === 200, `login answered ${login.status}: ${JSON.stringify(login.json)}`);
    // The migration state is shown to the city administrator only.
    const health = await session.call('GET', '/api/health');
    check(health.json.migrations.pending.length === 0, 'migrations pending after start');
    const surveys = await session.call('GET', '/api/surveys');
    check(surveys.status === 200 && surveys.json.length >= 1, `GET /api/surveys answered ${surveys.status}`);
    const districts = await session.call('GET', '/api/admin-units?level=district');
    check(districts.json.length === 16, `expected 16 districts, got ${districts.json.length}`);
    const logout = await session.call('POST', '/api/auth/logout', undefined, login.json.csrfToken);
    check(logout.status === 204, `logout answered ${logout.status}`);
    const page = await fetch(`${base}/`);
    check(page.ok && (await page.text()).includes('上海市土地调查成果管理平台'), 'the web page is not served');
    console.log(`smoke ${label}: engine ${health.json.engine}, healthy ${seconds.toFixed(1)} s after launch, login + query + logout ok`);
    return seconds;
  } catch (error) {
    console.error(output);
    throw error;
  } finally {
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    check(code === 0, `the server stopped with exit code ${code} on SIGTERM`);
  }
}

await runOnce(process.env.DATABASE_URL ? 'first start' : 'first start (new data folder)');
await runOnce('second start');
if (!process.env.DATA_DIR) fs.rmSync(dataDir, { recursive: true, force: true });
