// One database read shared by the requests that arrive while it runs, for values every request
// must check but that change rarely (the tile and session generations: migrations 0010, 0011).
import { CompiledQuery } from 'kysely';
import type { Queryable } from './context.ts';

/**
 * The reads of concurrent requests, shared: a request is answered by a read that
 * started after it arrived (the one it starts, or the next one, which starts as soon as the read
 * running when it came finishes), so it sees every change committed before it came in, as its
 * own read would, at one query per round of requests instead of one per request.
 */
export class SharedRead<T> {
  private running = false;
  private queued: { promise: Promise<T>; start: () => void } | null = null;

  constructor(private readonly run: () => Promise<T>) {}

  read(): Promise<T> {
    if (!this.running) return this.launch();
    if (!this.queued) {
      let start = () => undefined as void;
      const promise = new Promise<T>((resolve, reject) => {
        start = () => void this.launch().then(resolve, reject);
      });
      this.queued = { promise, start };
    }
    return this.queued.promise;
  }

  private launch(): Promise<T> {
    this.running = true;
    const reading = this.run();
    const next = () => {
      this.running = false;
      const queued = this.queued;
      this.queued = null;
      queued?.start();
    };
    reading.then(next, next);
    return reading;
  }
}

/**
 * The current value of a generation sequence (one of a fixed set of names, never user input),
 * read outside any transaction and shared as above: one query per round of requests.
 */
export function sharedSequenceRead(db: Queryable, sequence: string): SharedRead<number> {
  const query = CompiledQuery.raw(`SELECT last_value AS generation FROM ${sequence}`, []);
  return new SharedRead(async () => {
    const { rows } = await db.executeQuery<{ generation: number | string }>(query);
    return Number(rows[0]?.generation ?? 0);
  });
}
