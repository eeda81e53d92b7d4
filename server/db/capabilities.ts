// What the connected PostGIS can do, found by trying it. The embedded engine lacks ST_AsMVT
// (no protobuf-c) and swallows GEOS exceptions; callers pick their path from these flags
// instead of trusting the engine's name.
import { sql } from 'kysely';
import type { Database } from './engine.ts';

export interface Capabilities {
  /** ST_AsMVT works: vector tiles can be encoded in the database */
  mvt: boolean;
  /** an invalid-geometry overlay raises instead of silently yielding no row */
  geosRaisesErrors: boolean;
}

export interface EngineVersions {
  postgres: string;
  postgis: string;
}

async function succeeds(db: Database, statement: ReturnType<typeof sql>): Promise<boolean> {
  try {
    // A transaction of its own, so a failure cannot poison anyone else's.
    await db.kysely.transaction().execute((tx) => statement.execute(tx));
    return true;
  } catch {
    return false;
  }
}

export async function detectCapabilities(db: Database): Promise<Capabilities> {
  const mvt = await succeeds(
    db,
    sql`SELECT ST_AsMVT(t) FROM (SELECT ST_AsMVTGeom(ST_MakePoint(1, 1), ST_MakeEnvelope(0, 0, 10, 10)) AS g) t`,
  );
  // A bow-tie intersected with a square: real GEOS raises a TopologyException.
  const overlayRan = await succeeds(
    db,
    sql`SELECT ST_Intersection('POLYGON((0 0,1 1,1 0,0 1,0 0))'::geometry, 'POLYGON((0 0,1 0,1 1,0 1,0 0))'::geometry)`,
  );
  return { mvt, geosRaisesErrors: !overlayRan };
}

export async function engineVersions(db: Database): Promise<EngineVersions> {
  const { rows } = await sql<EngineVersions>`SELECT current_setting('server_version') AS postgres, postgis_lib_version() AS postgis`.execute(db.kysely);
  const row = rows[0];
  if (!row) throw new Error('version query returned nothing');
  return row;
}
