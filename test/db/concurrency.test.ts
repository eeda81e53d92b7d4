// Concurrent requests on one engine must never see each other's per-transaction actor: on the
// embedded engine they share a single connection, on the server a pool.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asActor, type ActorContext } from '../../server/db/context.ts';
import { ENGINES, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { actorFor, CHONGMING, PUDONG, seedAccounts } from '../support/data.ts';

describe.each(ENGINES)('interleaved requests on the %s engine', (engine) => {
  let test: TestDatabase;
  let chongming: ActorContext;
  let pudong: ActorContext;

  beforeAll(async () => {
    test = await openTestDatabase(engine);
    await seedAccounts(test.db);
    chongming = await actorFor(test.db, 'chongming');
    pudong = await actorFor(test.db, 'pudong');
  });
  afterAll(() => test?.drop());

  it('each transaction keeps its own actor while others run', async () => {
    const districtOf = (actor: ActorContext) =>
      asActor(test.db, actor, async (tx) => {
        // Yield between statements so other transactions get every chance to interleave.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
        const { rows } = await sql<{ district: string }>`SELECT actor_district() AS district`.execute(tx);
        return rows[0]?.district;
      });
    const actors = Array.from({ length: 40 }, (_, index) => (index % 2 ? pudong : chongming));
    const districts = await Promise.all(actors.map(districtOf));
    expect(districts).toEqual(actors.map((actor) => (actor === pudong ? PUDONG : CHONGMING)));
  });
});
