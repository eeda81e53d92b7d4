// GET /tiles/{layer}/{z}/{x}/{y}.mvt: Mapbox Vector Tiles of the parcel layers, the districts, a
// quality run's findings and the changes between two days. Read as the request's actor, so
// row-level security decides what a tile holds; cached in memory by data generation and scope;
// strong ETags and 304s. See docs/tiles.md.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { asActor } from '../../db/context.ts';
import { errorResponses } from '../../errors.ts';
import { DayParam, DistrictCodeParam } from '../../http/params.ts';
import { requireUser } from '../auth/plugin.ts';
import { sharedSequenceRead, type SharedRead } from '../../db/shared-read.ts';
import { etagMatches, readGuard, scopeKey, strongEtag, TileCache, type CachedTile } from './cache.ts';
import { acceptsGzip, GZIP_FROM_BYTES, gzipEtag, gzipped } from './compression.ts';
import { requestKey, SOURCE_OF, TILE_LAYERS, tileRequest, type TileRequest, type TileSource } from './layers.ts';
import { renderTile } from './repository.ts';

/** Bytes of tiles kept in memory (least recently used go first). */
export const TILE_CACHE_BYTES = 128 * 1024 * 1024;
export const MVT_MEDIA_TYPE = 'application/vnd.mapbox-vector-tile';

export interface TileService {
  cache: TileCache;
  /** tiles rendered (cache misses that ran the SQL) since start */
  rendered: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    tiles: TileService;
  }
}


export const tileRoutes = fp(
  async (app: FastifyInstance) => {
    const service: TileService = { cache: new TileCache(TILE_CACHE_BYTES), rendered: 0 };
    app.decorate('tiles', service);
    // One rendering per key at a time: requests for a tile being rendered wait for it.
    const pending = new Map<string, Promise<CachedTile>>();
    const generations = Object.fromEntries(
      (['parcels', 'findings', 'reference'] as const).map((source) => [source, sharedSequenceRead(app.db.kysely, `tile_generation_${source}`)]),
    ) as Record<TileSource, SharedRead<number>>;

    async function render(request: FastifyRequest, tile: TileRequest, key: string, scope: string, unshare: () => void): Promise<CachedTile> {
      const source = SOURCE_OF[tile.layer];
      const { rendered, guard } = await asActor(app.db, request.actor, async (tx) => {
        const guard = await readGuard(tx, source);
        // A writer is open: it may commit while this renders, and a request coming in after that
        // must see its rows, so it may not wait for this rendering: it makes its own.
        if (!guard.quiet) unshare();
        return { guard, rendered: await renderTile(tx, tile, app.capabilities.mvt) };
      });
      service.rendered++;
      const entry: CachedTile = { bytes: rendered.bytes, etag: strongEtag(rendered.bytes), features: rendered.features };
      // Kept only when no writer of the source was open (else the generation in the key may be
      // one whose data this tile does not show yet) and the database saw the actor as the key says.
      if (guard.quiet && guard.scope === scope) service.cache.set(key, entry);
      return entry;
    }

    app.withTypeProvider<TypeBoxTypeProvider>().get(
      '/tiles/:layer/:z/:x/:y.mvt',
      {
        schema: {
          tags: ['tiles'],
          summary:
            '矢量瓦片（Mapbox Vector Tile v2，Web 墨卡托）：地类图斑、永久基本农田、行政区、质检问题、两日之间的变化 / vector tiles of the parcel layers, districts, quality findings and changes',
          params: Type.Object({
            layer: Type.String({ maxLength: 32, description: `${TILE_LAYERS.join(' | ')}; the MVT layer inside has the same name` }),
            z: Type.Integer({ minimum: 0, maximum: 22, description: 'zoom 0-22' }),
            x: Type.Integer({ minimum: 0, maximum: 2 ** 22 - 1, description: 'column 0 … 2^z-1' }),
            y: Type.Integer({ minimum: 0, maximum: 2 ** 22 - 1, description: 'row 0 … 2^z-1, from the north' }),
          }),
          querystring: Type.Object({
            asOf: Type.Optional({ ...DayParam, description: 'land_use, basic_farmland, districts: the day drawn (default today)' }),
            districtCode: Type.Optional(Type.String({ ...DistrictCodeParam, description: 'land_use, basic_farmland, changes: one district only' })),
            runId: Type.Optional(Type.String({ format: 'uuid', description: 'findings (required): the quality run' })),
            from: Type.Optional({ ...DayParam, description: 'changes (required): the earlier day' }),
            to: Type.Optional({ ...DayParam, description: 'changes (required): the later day' }),
          }),
          headers: Type.Object({ 'if-none-match': Type.Optional(Type.String({ maxLength: 1000, description: 'an ETag of a copy held: 304 when it is still current' })) }),
          response: {
            200: {
              description: 'the tile (empty when nothing is in it); ETag, Cache-Control: private for signed-in users',
              content: { [MVT_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary' } } },
            },
            304: { description: 'not modified: the copy named by If-None-Match is current', type: 'null' },
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const tile = tileRequest(request.params, request.query);
        // Quality findings are never public.
        if (tile.layer === 'findings') requireUser(request);
        const scope = request.user ? scopeKey(request.user.role, request.user.districtCode) : scopeKey('public', null);
        const generation = await generations[SOURCE_OF[tile.layer]].read();
        const key = `${generation}|${scope}|${requestKey(tile)}`;
        let entry = service.cache.get(key);
        if (!entry) {
          let rendering = pending.get(key);
          if (!rendering) {
            const unshare = () => {
              if (pending.get(key) === rendering) pending.delete(key);
            };
            rendering = render(request, tile, key, scope, unshare).finally(unshare);
            pending.set(key, rendering);
          }
          entry = await rendering;
        }
        // Access-controlled data is for the signed-in user's own browser only; every use revalidates.
        reply.header('cache-control', request.user ? 'private, no-cache' : 'public, no-cache');
        reply.header('vary', 'Cookie, Accept-Encoding');
        const gzip = entry.bytes.length >= GZIP_FROM_BYTES && acceptsGzip(request.headers['accept-encoding']);
        // Each encoding is its own representation with its own strong ETag (RFC 9110 8.8.3).
        const etag = gzip ? gzipEtag(entry.etag) : entry.etag;
        reply.header('etag', etag);
        if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send(undefined as never);
        if (!gzip) return reply.type(MVT_MEDIA_TYPE).send(entry.bytes as never);
        reply.header('content-encoding', 'gzip');
        return reply.type(MVT_MEDIA_TYPE).send((await gzipped(entry)) as never);
      },
    );
  },
  { name: 'tiles' },
);
