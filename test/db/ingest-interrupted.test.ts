// An import killed mid-way (SIGKILL: no handler runs) leaves nothing visible, and the next start
// sweeps its scratch tables and marks the submission failed; the same file then imports whole.
import { spawn } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../server/config.ts';
import { sweepInterruptedImports } from '../../server/modules/ingest/staging-repository.ts';
import { createOnDiskDatabase, ENGINES, type OnDiskDatabase } from '../support/databases.ts';
import { dltbRecord, tempDir, writeLayer, zipFolder } from '../support/packages.ts';

const RECORDS = 60_000;

function runImport(env: Record<string, string>, file: string, killAfterReading: boolean): Promise<{ code: number | null; signal: string | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/import.ts', file, '--survey', 'national:2019', '--district', '310151', '--progress-lines'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'silent', IMPORT_BATCH_RECORDS: '2000', ...env },
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Killed once batches have been committed to the scratch table, long before the final attach.
      const read = [...stderr.matchAll(/"recordsRead":(\d+)/g)].map((match) => Number(match[1]));
      if (killAfterReading && read.some((count) => count >= 6000)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr, stdout }));
  });
}

describe.each(ENGINES)('an import killed mid-way on the %s engine', (engine) => {
  let database: OnDiskDatabase;
  let packagePath: string;
  const work = tempDir('lsp-kill-');

  beforeAll(async () => {
    database = await createOnDiskDatabase(engine, path.join(work, 'data'));
    const dir = tempDir();
    await writeLayer(dir, 'DLTB', Array.from({ length: RECORDS }, (_, index) => dltbRecord(index + 1, { BSM: `3101511${String(index).padStart(11, '0')}` }, undefined)));
    packagePath = path.join(work, 'DLTB.zip');
    fs.writeFileSync(packagePath, await zipFolder(dir));
  }, 120_000);
  afterAll(async () => {
    await database?.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('leaves no rows, is swept at the next start, and the file then imports whole', { timeout: 180_000 }, async () => {
    const env = { ...database.env, ARCHIVE_DIR: path.join(work, 'archive') };
    const killed = await runImport(env, packagePath, true);
    expect(killed.signal, killed.stderr.slice(-2000)).toBe('SIGKILL');

    const db = await database.open();
    try {
      const before = await db.scriptTransaction(async (exec) => ({
        staged: Number((await exec('SELECT count(*) AS n FROM staged_land_use_parcels'))[0]!.n),
        scratch: await exec(`SELECT c.relname, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'import_work' AND c.relkind = 'r'`),
        states: await exec('SELECT state FROM submissions'),
      }));
      expect(before.staged).toBe(0);
      expect(before.states).toEqual([{ state: 'importing' }]);
      // The start-up sweep (prepareDatabase runs it) drops the scratch table and fails the submission.
      expect(await sweepInterruptedImports(db)).toBe(1);
      const after = await db.scriptTransaction(async (exec) => ({
        scratch: Number((await exec(`SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'import_work'`))[0]!.n),
        report: (await exec('SELECT state, report FROM submissions'))[0],
      }));
      expect(after.scratch).toBe(0);
      expect(after.report).toMatchObject({ state: 'failed', report: { error: { code: 'IMPORT_INTERRUPTED' } } });
    } finally {
      await db.close();
    }

    const again = await runImport(env, packagePath, false);
    expect(again.code, again.stdout + again.stderr.slice(-1500)).toBe(0);
    const reopened = await database.open();
    try {
      const rows = await reopened.scriptTransaction((exec) => exec(`SELECT count(*) AS n, count(DISTINCT bsm) AS bsm FROM staged_land_use_parcels`));
      expect(rows[0]).toEqual({ n: RECORDS, bsm: RECORDS });
    } finally {
      await reopened.close();
    }
  });
});
