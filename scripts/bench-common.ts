// What the benchmark scripts share: their arguments, the generated package they measure (made
// once, kept in .tmp/packages), a fresh benchmark database on the server in DATABASE_URL, and
// timing a child process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig, REPO_ROOT } from '../server/config.ts';
import { prepareDatabase } from '../server/platform.ts';
import { seedDemo } from '../server/seed/demo.ts';
import { generatePackage } from '../server/seed/generator/package.ts';

export interface BenchOptions {
  parcels: number;
  district: string;
  seed: number;
  rounds: number;
}

export function benchOptions(defaultRounds: number): BenchOptions {
  const { values } = parseArgs({
    options: {
      parcels: { type: 'string', default: '1000000' },
      district: { type: 'string', default: '310115' },
      seed: { type: 'string', default: '1' },
      rounds: { type: 'string', default: String(defaultRounds) },
    },
  });
  return { parcels: Number(values.parcels), district: values.district!, seed: Number(values.seed), rounds: Number(values.rounds) };
}

/** DATABASE_URL, or exit saying why the benchmark needs it. */
export function serverUrlOrExit(name: string, why: string): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(`${name} ${why}: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)`);
    process.exit(2);
  }
  return url;
}

export interface BenchPackage {
  zipPath: string;
  manifest: { parcels: number; basicFarmland: number };
}

/** The generated package for these options, made on first use. */
export async function benchPackage(options: BenchOptions): Promise<BenchPackage> {
  const packageDir = path.join(REPO_ROOT, '.tmp', 'packages');
  const name = `${options.district}-${options.parcels}-s${options.seed}`;
  let zipPath = path.join(packageDir, `${name}.zip`);
  if (!fs.existsSync(zipPath)) {
    console.log(`generating ${name} …`);
    const started = Date.now();
    const generated = await generatePackage({ districtCode: options.district, parcels: options.parcels, seed: options.seed, outDir: packageDir, name });
    zipPath = generated.zipPath;
    console.log(`generated in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const manifest = JSON.parse(fs.readFileSync(zipPath.replace(/\.zip$/, '.manifest.json'), 'utf8')) as BenchPackage['manifest'];
  return { zipPath, manifest };
}

export async function adminStatement(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A fresh database `name` on the server, migrated and seeded outside the timing (as a running platform would be). Returns its URL. */
export async function freshBenchDatabase(serverUrl: string, name: string): Promise<URL> {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await adminStatement(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminStatement(serverUrl, `CREATE DATABASE ${name}`);
  const { db } = await prepareDatabase(loadConfig({ ...process.env, DATABASE_URL: url.toString(), LOG_LEVEL: 'silent' }));
  await seedDemo(db);
  await db.close();
  return url;
}

export function runTimed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ seconds: number; stdout: string; stderr: string; code: number | null }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, stdout, stderr, code }));
  });
}

/** The last line of a CLI's --json output. */
export function lastJsonLine<T>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}
