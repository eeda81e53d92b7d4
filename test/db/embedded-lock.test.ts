// One process per embedded data folder: a second opener (npm run import while npm start runs)
// is refused instead of corrupting it; a lock left by a killed process is taken over.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../server/db/engine.ts';
import { createOnDiskDatabase } from '../support/databases.ts';
import { tempDir } from '../support/packages.ts';

describe('the embedded data folder lock', () => {
  const work = tempDir('lsp-lock-');
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('refuses a second opener while the folder is open, and takes over a stale lock', async () => {
    const dataDir = path.join(work, 'data');
    const onDisk = await createOnDiskDatabase('embedded', dataDir);
    const first = await onDisk.open();
    // The lock names this process; the check is by pid, so pretend another live process holds it.
    fs.writeFileSync(path.join(dataDir, 'lsp.lock'), String(process.ppid));
    await expect(openEmbeddedDatabase({ dataDir })).rejects.toThrow(/in use by process/);
    fs.writeFileSync(path.join(dataDir, 'lsp.lock'), String(process.pid));
    await first.close();
    expect(fs.existsSync(path.join(dataDir, 'lsp.lock'))).toBe(false);

    // A killed process leaves its lock behind: a pid that no longer runs does not block.
    fs.writeFileSync(path.join(dataDir, 'lsp.lock'), '2147483646');
    const reopened = await openEmbeddedDatabase({ dataDir });
    expect(fs.readFileSync(path.join(dataDir, 'lsp.lock'), 'utf8')).toBe(String(process.pid));
    await reopened.close();
  }, 60_000);
});
