// The platform's own progress round (art. 16: 定期通报): deadlines passed since the last round
// reach the people concerned, and the day's scheduled bulletin is issued. Both are idempotent, so
// a timer that fires twice in a day, or a restart, tells no one twice.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { asSystem } from '../../db/context.ts';
import type { Database } from '../../db/engine.ts';
import { issueBulletin, type Bulletin } from './bulletins.ts';
import { shanghaiToday } from './steps.ts';

export interface ProgressRound {
  deadlineNotices: number;
  bulletin: Bulletin | null;
}

/** One round as of a day (default today in Shanghai); tests call this directly. */
export function runProgressSchedule(db: Database, asOf: string = shanghaiToday()): Promise<ProgressRound> {
  return asSystem(db, async (tx) => {
    const told = await sql<{ n: number }>`SELECT notify_passed_deadlines(${asOf}::date) AS n`.execute(tx);
    const bulletin = await issueBulletin(tx, { kind: 'scheduled' }, asOf);
    return { deadlineNotices: Number(told.rows[0]?.n ?? 0), bulletin };
  });
}

/** Runs the round every config.progress.scheduleIntervalMinutes (0: never) while the app is up. */
export function scheduleProgressRounds(app: FastifyInstance): void {
  const minutes = app.config.progress.scheduleIntervalMinutes;
  if (minutes <= 0) return;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    runProgressSchedule(app.db)
      .then((round) => app.log.info({ deadlineNotices: round.deadlineNotices, bulletin: round.bulletin?.number ?? null }, 'progress round'))
      .catch((error: unknown) => app.log.error({ err: error }, 'progress round failed'))
      .finally(() => {
        running = false;
      });
  }, minutes * 60_000);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
