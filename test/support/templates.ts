// Migrated template databases, built once per test run by global-setup.ts and copied per test file.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../server/config.ts';
import { MIGRATIONS_DIR } from '../../server/db/migrator.ts';
import { CODES_FILE, DISTRICTS_FILE } from '../../server/seed/reference.ts';

export const TEMPLATE_DIR = path.join(REPO_ROOT, '.tmp', 'test-templates');

/** Changes whenever anything the template is made of changes. */
export function templateKey(): string {
  const hash = createHash('sha256');
  const files = [
    ...fs.readdirSync(MIGRATIONS_DIR).sort().map((name) => path.join(MIGRATIONS_DIR, name)),
    CODES_FILE,
    DISTRICTS_FILE,
    // the code that turns those files into rows
    path.join(REPO_ROOT, 'server', 'seed', 'reference.ts'),
    path.join(REPO_ROOT, 'server', 'geo', 'district-outlines.ts'),
    path.join(REPO_ROOT, 'package-lock.json'),
  ];
  for (const file of files) hash.update(file).update(fs.readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

export function embeddedTemplatePath(key: string): string {
  return path.join(TEMPLATE_DIR, `embedded-${key}.tar.gz`);
}

/** Per run (the process id), so that test runs in several checkouts can share one server. */
export function serverTemplateName(key: string): string {
  return `lsp_template_${key}_${process.pid}`;
}

export function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}
