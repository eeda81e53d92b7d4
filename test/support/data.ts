// Test data written as the system (owner), the way the seed and importers write it.
import { sql } from 'kysely';
import { asSystem, type ActorContext, type Queryable } from '../../server/db/context.ts';
import type { Database } from '../../server/db/engine.ts';
import type { SubmissionState } from '../../server/db/schema.ts';
import { openSession } from '../../server/modules/auth/repository.ts';
import { newToken, sha256Hex } from '../../server/modules/auth/tokens.ts';
import { seedDemo } from '../../server/seed/demo.ts';

export { DEMO_PASSWORD } from '../../server/seed/demo.ts';

export const CHONGMING = '310151';
export const PUDONG = '310115';

export async function seedAccounts(db: Database): Promise<void> {
  await seedDemo(db);
}

/** Opens a session for a user directly, as a login would, and returns its actor context. */
export async function actorFor(db: Database, username: string): Promise<ActorContext> {
  const user = await db.kysely.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  const tokenHash = sha256Hex(newToken());
  await openSession(db, { tokenHash, userId: user.id, csrfToken: newToken(), ttlMinutes: 60, clientIp: null, userAgent: null });
  return { sessionTokenHash: tokenHash };
}

export async function nationalSurveyId(db: Database): Promise<string> {
  const row = await db.kysely.selectFrom('surveys').select('id').where('kind', '=', 'national').executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Inserts a submission row in the caller's transaction (as the system or as an actor). A row
 * that starts anywhere but 'received' skips the lifecycle (migrations/0018 refuses that for
 * every role): it is written as a restore from a backup would, with triggers off for the one
 * statement (a setting local to the caller's transaction), so only the owner can write one. The lifecycle has tests of its own.
 */
export async function insertSubmissionRow(tx: Queryable, districtCode: string, surveyId: string, state: SubmissionState = 'applied'): Promise<string> {
  if (state !== 'received') await sql`SELECT set_config('session_replication_role', 'replica', true)`.execute(tx);
  const row = await tx
    .insertInto('submissions')
    .values({
      district_code: districtCode,
      survey_id: surveyId,
      state,
      file_name: `${districtCode}.zip`,
      sha256: sha256Hex(`${districtCode}-${Math.random()}`),
      size_bytes: 1,
      archive_path: `archive/${districtCode}.zip`,
      format: 'shapefile',
      uploaded_by: null,
      surveyor_id: null,
      report: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (state !== 'received') await sql`SELECT set_config('session_replication_role', 'origin', true)`.execute(tx);
  return row.id;
}

/** The first city administrator, as the actor of steps a test takes as the city. */
export async function cityAdminActor(db: Database): Promise<{ id: string; role: 'city_admin'; districtCode: null }> {
  const row = await db.kysely.selectFrom('users').select('id').where('role', '=', 'city_admin').orderBy('created_at').executeTakeFirstOrThrow();
  return { id: row.id, role: 'city_admin', districtCode: null };
}

export function insertSubmission(db: Database, districtCode: string, surveyId: string, state: SubmissionState = 'applied'): Promise<string> {
  return asSystem(db, (tx) => insertSubmissionRow(tx, districtCode, surveyId, state));
}

/** A 100 m square land-use parcel near the given lon/lat, valid from the given date. */
export function insertLandUseParcel(
  db: Database,
  parcel: { districtCode: string; submissionId: string; bsm: string; lon: number; lat: number; validFrom?: string; dlbm?: string },
): Promise<number> {
  const d = 0.001;
  const { lon, lat } = parcel;
  const wkt = `MULTIPOLYGON(((${lon} ${lat},${lon + d} ${lat},${lon + d} ${lat + d},${lon} ${lat + d},${lon} ${lat})))`;
  return asSystem(db, async (tx) => {
    const row = await tx
      .insertInto('land_use_parcels')
      .values({
        district_code: parcel.districtCode,
        bsm: parcel.bsm,
        valid_from: parcel.validFrom ?? '2019-12-31',
        submission_id: parcel.submissionId,
        dlbm: parcel.dlbm ?? '0101',
        dlmc: '水田',
        geom: sql<string>`ST_GeomFromText(${wkt}, 4490)`,
        area_m2: sql<string>`round(ST_Area(ST_GeomFromText(${wkt}, 4490)::geography, true)::numeric, 2)`,
      })
      .returning('version_id')
      .executeTakeFirstOrThrow();
    return row.version_id;
  });
}
