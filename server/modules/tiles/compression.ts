// Tiles sent gzip-compressed to clients that accept it (every browser does): parcel tiles shrink
// to about a third, which is most of what a map view waits for. A tile is compressed once, on its
// first compressed request, and the result is kept with it in the cache.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { CachedTile } from './cache.ts';

const gzipAsync = promisify(gzip);

/** Smaller tiles are sent as they are: gzip's header and the work would cost more than they save. */
export const GZIP_FROM_BYTES = 1024;

/** Whether an Accept-Encoding header admits gzip (q=0 refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') return false;
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  });
}

/** The ETag of the compressed representation: the tile's own, marked. */
export function gzipEtag(etag: string): string {
  return `${etag.slice(0, -1)}-gz"`;
}

/**
 * The tile's bytes gzip-compressed, computed once per cached tile. Level 1, nginx's default: the
 * first request of a tile waits for it.
 */
export async function gzipped(entry: CachedTile): Promise<Buffer> {
  entry.gzipped ??= gzipAsync(entry.bytes, { level: 1 });
  return entry.gzipped;
}
