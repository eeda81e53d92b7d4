// server/db/schema.ts against the migrated database: every table the DB interface names exists
// with exactly the columns its row interface lists, and every table of the public schema is in
// DB unless it is listed below with the reason it is left out. A column added in a migration and
// forgotten in the types (or a type left for a dropped column) fails here, not in production.
import path from 'node:path';
import { sql } from 'kysely';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, openTestDatabase, type TestDatabase } from '../support/databases.ts';

const SCHEMA_FILE = path.resolve(import.meta.dirname, '../../server/db/schema.ts');

/** Tables of the public schema deliberately without a Kysely type, and why. */
const UNTYPED_TABLES: Record<string, string> = {
  spatial_ref_sys: 'PostGIS catalogue of coordinate systems, read only through PostGIS functions',
  staged_land_use_parcels: 'import staging (0007): partitioned per submission, built and read only as SQL text (ingest, quality rules)',
  staged_basic_farmland_parcels: 'import staging (0007), as staged_land_use_parcels',
  staged_ownership_parcels: 'import staging (0007), as staged_land_use_parcels',
  staged_district_boundaries: 'import staging (0007), as staged_land_use_parcels',
};

/** The DB interface read by the TypeScript compiler: table name → the row interface's property names. */
function typedTables(): Map<string, string[]> {
  const program = ts.createProgram([SCHEMA_FILE], { strict: true, noEmit: true, allowImportingTsExtensions: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(SCHEMA_FILE);
  if (!source) throw new Error(`cannot read ${SCHEMA_FILE}`);
  const db = source.statements.find((statement): statement is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(statement) && statement.name.text === 'DB');
  if (!db) throw new Error('schema.ts declares no DB interface');
  const tables = new Map<string, string[]>();
  for (const member of checker.getTypeAtLocation(db).getProperties()) {
    const rowType = checker.getTypeOfSymbolAtLocation(member, db);
    tables.set(member.name, rowType.getProperties().map((property) => property.name).sort());
  }
  return tables;
}

describe('the DB interface as read by the compiler', () => {
  it('names tables and their columns (the reader itself works)', () => {
    const tables = typedTables();
    expect(tables.size).toBeGreaterThan(10);
    expect(tables.get('users')).toContain('username');
  });
});

describe.each(ENGINES)('server/db/schema.ts against the migrated %s database', (engine) => {
  let test: TestDatabase;
  let database: Map<string, string[]>;
  const typed = typedTables();
  beforeAll(async () => {
    test = await openTestDatabase(engine);
    // Tables and partitioned tables of the public schema, not their partitions (one per import).
    const { rows } = await sql<{ table_name: string; column_name: string }>`
      SELECT c.table_name, c.column_name
        FROM information_schema.columns c
        JOIN pg_catalog.pg_class k ON k.relname = c.table_name
        JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace AND n.nspname = c.table_schema
       WHERE c.table_schema = 'public' AND k.relkind IN ('r', 'p') AND NOT k.relispartition
       ORDER BY c.table_name, c.column_name`.execute(test.db.kysely);
    database = new Map();
    for (const row of rows) database.set(row.table_name, [...(database.get(row.table_name) ?? []), row.column_name]);
  });
  afterAll(() => test?.drop());

  it('types every table of the database, or lists why it does not', () => {
    const missing = [...database.keys()].filter((table) => !typed.has(table) && !(table in UNTYPED_TABLES));
    expect(missing, 'tables without a type in DB').toEqual([]);
  });

  it('types no table the database lacks, and leaves out only tables that exist', () => {
    expect([...typed.keys()].filter((table) => !database.has(table)), 'types for missing tables').toEqual([]);
    expect(Object.keys(UNTYPED_TABLES).filter((table) => !database.has(table) || typed.has(table)), 'stale UNTYPED_TABLES entries').toEqual([]);
  });

  it('lists exactly the columns of each table, both ways', () => {
    const drifts: string[] = [];
    for (const [table, properties] of typed) {
      const columns = database.get(table);
      if (!columns) continue;
      for (const column of columns) if (!properties.includes(column)) drifts.push(`${table}.${column}: in the database, not in schema.ts`);
      for (const property of properties) if (!columns.includes(property)) drifts.push(`${table}.${property}: in schema.ts, not in the database`);
    }
    expect(drifts).toEqual([]);
  });
});
