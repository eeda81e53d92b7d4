// Session lookups kept in memory: every request resolves its cookie, and a map tile view makes
// dozens of requests a second, each of which would otherwise join four tables. A lookup found
// valid is used again while the session generation (migrations/0011) has not moved and the
// session has not expired; a logout, a disabled account or a changed role moves the generation,
// so the next request of every session looks itself up again.
import { sql } from 'kysely';
import type { Database } from '../../db/engine.ts';
import { sharedSequenceRead, type SharedRead } from '../../db/shared-read.ts';
import { lookupSession, type SessionLookup } from './repository.ts';

type ValidSession = Extract<SessionLookup, { status: 'valid' }>;

interface Entry {
  session: ValidSession;
  generation: number;
}

/** Sessions held at most; the least recently used go first. */
export const SESSION_CACHE_ENTRIES = 10_000;

export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly generation: SharedRead<number>;
  hits = 0;
  misses = 0;

  constructor(
    private readonly db: Database,
    private readonly maxEntries = SESSION_CACHE_ENTRIES,
  ) {
    this.generation = sharedSequenceRead(db.kysely, 'session_generation');
  }

  async lookup(tokenHash: string): Promise<SessionLookup> {
    // Read before the lookup: a change committed after this read moves the generation past it.
    const generation = await this.generation.read();
    const entry = this.entries.get(tokenHash);
    if (entry && entry.generation === generation && entry.session.expiresAt.getTime() > Date.now()) {
      this.hits++;
      this.entries.delete(tokenHash);
      this.entries.set(tokenHash, entry);
      return entry.session;
    }
    this.misses++;
    this.entries.delete(tokenHash);
    // A writer still open may commit a change this lookup does not see, with a generation number
    // already taken: what is found then is used for this request but not kept.
    const quiet = await noWriterOpen(this.db);
    const found = await lookupSession(this.db, tokenHash);
    if (found.status === 'valid' && quiet) this.remember(tokenHash, { session: found, generation });
    return found;
  }

  get size(): number {
    return this.entries.size;
  }

  private remember(tokenHash: string, entry: Entry): void {
    this.entries.set(tokenHash, entry);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }
}

/** Whether no transaction that moved the session generation is still open (its shared lock is free). */
async function noWriterOpen(db: Database): Promise<boolean> {
  const { rows } = await sql<{ quiet: boolean }>`SELECT writers_quiet(session_generation_lock()) AS quiet`.execute(db.kysely);
  return rows[0]?.quiet === true;
}
