// Builds the migrated, reference-loaded templates once per run: a gzip dump for the embedded
// engine (cached across runs by content key) and, with DATABASE_URL, a template database.
import fs from 'node:fs';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openEmbeddedDatabase, openServerDatabase } from '../../server/db/engine.ts';
import { migrate } from '../../server/db/migrator.ts';
import { loadReferenceData } from '../../server/seed/reference.ts';
import { embeddedTemplatePath, serverTemplateName, TEMPLATE_DIR, templateKey, withDatabaseName } from './templates.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    embeddedTemplate: string;
    serverTemplate: string | null;
  }
}

async function buildEmbeddedTemplate(file: string): Promise<void> {
  if (fs.existsSync(file)) return;
  const db = await openEmbeddedDatabase({ dataDir: 'memory://' });
  await migrate(db);
  await loadReferenceData(db);
  const dump = await db.dump();
  await db.close();
  fs.mkdirSync(TEMPLATE_DIR, { recursive: true });
  fs.writeFileSync(`${file}.part`, Buffer.from(await dump.arrayBuffer()));
  fs.renameSync(`${file}.part`, file);
}

async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function buildServerTemplate(url: string, name: string): Promise<void> {
  await adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminQuery(url, `CREATE DATABASE ${name}`);
  const db = await openServerDatabase(withDatabaseName(url, name), 2);
  await migrate(db);
  await loadReferenceData(db);
  await db.close();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const key = templateKey();
  const embedded = embeddedTemplatePath(key);
  const url = process.env.DATABASE_URL || null;
  const serverName = url ? serverTemplateName(key) : null;
  await Promise.all([buildEmbeddedTemplate(embedded), url && serverName ? buildServerTemplate(url, serverName) : null]);
  project.provide('embeddedTemplate', embedded);
  project.provide('serverTemplate', serverName);
  return async () => {
    if (url && serverName) await adminQuery(url, `DROP DATABASE IF EXISTS ${serverName} WITH (FORCE)`);
  };
}
