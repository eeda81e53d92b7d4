// The in-memory tile cache: least recently used entries go first once the bytes held pass the
// bound. An entry's key holds the data generation of its layer's source (migrations/0010), the
// actor's scope (role and district: all that row-level security looks at for these tables) and
// the request, so a change to the data moves every later request to a new key: a cached tile is
// never served after the data under it changed.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Queryable } from '../../db/context.ts';
import type { TileSource } from './layers.ts';

export interface CachedTile {
  bytes: Buffer;
  /** strong ETag: a hash of the bytes, quoted */
  etag: string;
  features: number;
  /** the bytes gzip-compressed, once a client asked for them (compression.ts) */
  gzipped?: Promise<Buffer>;
}

/** Bytes an entry is counted for beyond its tile: the key, the ETag and the bookkeeping. */
const ENTRY_OVERHEAD = 256;

/** What an entry is counted for: its bytes, room for the compressed copy (under half of them, for tiles), the rest. */
function cost(key: string, entry: CachedTile): number {
  return Math.ceil(entry.bytes.length * 1.5) + key.length + ENTRY_OVERHEAD;
}

export class TileCache {
  private readonly entries = new Map<string, CachedTile>();
  private held = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedTile | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: CachedTile): void {
    const size = cost(key, entry);
    if (size > this.maxBytes) return;
    this.delete(key);
    this.entries.set(key, entry);
    this.held += size;
    for (const [oldest, old] of this.entries) {
      if (this.held <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.held -= cost(oldest, old);
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.held -= cost(key, entry);
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
    this.hits = 0;
    this.misses = 0;
  }
}

export function strongEtag(bytes: Buffer): string {
  return `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 32)}"`;
}

/** Whether an If-None-Match header names this ETag (weak comparison, as RFC 9110 asks for it). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

/**
 * In the actor's transaction, before reading the tile: whether no writer of the source is open
 * (its shared lock is free, so every generation number read before this is committed and visible
 * to the statements that follow), and the scope the database sees the actor in.
 */
export async function readGuard(db: Queryable, source: TileSource): Promise<{ quiet: boolean; scope: string }> {
  const { rows } = await sql<{ quiet: boolean; role: string; district: string | null }>`
    SELECT writers_quiet(tile_source_lock(${source})) AS quiet, actor_role() AS role, actor_district() AS district`.execute(db);
  const row = rows[0];
  return { quiet: row?.quiet === true, scope: scopeKey(row?.role ?? 'public', row?.district ?? null) };
}

export function scopeKey(role: string, district: string | null): string {
  return `${role}:${district ?? ''}`;
}
