import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCapabilities } from '../../server/db/capabilities.ts';
import { migrate, migrationState, readMigrationFiles } from '../../server/db/migrator.ts';
import { loadReferenceData } from '../../server/seed/reference.ts';
import { ENGINES, openTestDatabase, type TestDatabase } from '../support/databases.ts';

describe.each(ENGINES)('migrations on the %s engine', (engine) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await openTestDatabase(engine);
  });
  afterAll(() => test?.drop());

  it('applies every migration file and reports none pending', async () => {
    const state = await migrationState(test.db);
    expect(state.pending).toEqual([]);
    expect(state.modified).toEqual([]);
    expect(state.applied).toBe(readMigrationFiles().length);
    expect(state.latest).toBe(readMigrationFiles().at(-1)?.name);
  });

  it('is a no-op the second time, and reference loading skips unchanged files', async () => {
    expect(await migrate(test.db)).toEqual([]);
    expect(await loadReferenceData(test.db)).toEqual({ codeLists: false, districts: false });
  });

  it('reports a migration file changed after it was applied', async () => {
    const files = readMigrationFiles();
    const edited = files.map((file, index) => (index === 0 ? { ...file, sha256: '0'.repeat(64) } : file));
    const state = await migrationState(test.db, edited);
    expect(state.modified).toEqual([files[0]?.name]);
  });

  it('creates the versioned parcel tables with PostGIS geometry in EPSG:4490', async () => {
    const { rows } = await sql<{ table: string; srid: number; type: string }>`
      SELECT f_table_name AS table, srid, type FROM geometry_columns
       WHERE f_table_name IN ('land_use_parcels', 'basic_farmland_parcels', 'ownership_parcels', 'admin_units')
       ORDER BY 1`.execute(test.db.kysely);
    expect(rows).toEqual([
      { table: 'admin_units', srid: 4490, type: 'MULTIPOLYGON' },
      { table: 'basic_farmland_parcels', srid: 4490, type: 'MULTIPOLYGON' },
      { table: 'land_use_parcels', srid: 4490, type: 'MULTIPOLYGON' },
      { table: 'ownership_parcels', srid: 4490, type: 'MULTIPOLYGON' },
    ]);
  });

  it('loads the 16 districts with valid boundaries and the code lists', async () => {
    const districts = await sql<{ n: number; valid: number }>`
      SELECT count(*)::int AS n, count(*) FILTER (WHERE ST_IsValid(boundary))::int AS valid
        FROM admin_units WHERE level = 'district' AND parent_code = '310000'`.execute(test.db.kysely);
    expect(districts.rows[0]).toEqual({ n: 16, valid: 16 });
    const paddy = await test.db.kysely.selectFrom('code_lists').selectAll().where('list', '=', 'dlbm').where('code', '=', '0101').executeTakeFirst();
    expect(paddy).toMatchObject({ name: '水田', parent_code: '01', color: '#f8d072' });
  });

  it('detects what this engine can do', async () => {
    const capabilities = await detectCapabilities(test.db);
    // The embedded PostGIS lacks protobuf-c and swallows GEOS exceptions; the server has both.
    expect(capabilities).toEqual(engine === 'server' ? { mvt: true, geosRaisesErrors: true } : { mvt: false, geosRaisesErrors: false });
  });
});
