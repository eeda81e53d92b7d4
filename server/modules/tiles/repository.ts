// Rendering one tile in the caller's transaction (the request's actor: row-level security decides
// what it holds): by ST_AsMVT on an engine that has it, else by the JS encoder; then, if the tile
// came out larger than MAX_TILE_BYTES, again with the smallest features dropped until it fits.
import { rawQuery, type Queryable } from '../../db/context.ts';
import { encodeRows } from './encode-js.ts';
import { initialFeatureLimit, MAX_TILE_BYTES, nextFeatureLimit, type TileRequest } from './layers.ts';
import { tileStatement } from './sql.ts';

export interface RenderedTile {
  bytes: Buffer;
  features: number;
  /** how many statements it took (more than one when the size cap cut features) */
  attempts: number;
}

async function renderOnce(db: Queryable, request: TileRequest, mvt: boolean, maxFeatures: number | null): Promise<{ bytes: Buffer; features: number }> {
  if (mvt) {
    const statement = tileStatement(request, 'mvt', maxFeatures);
    const [row] = await rawQuery(db, statement.text, statement.params);
    const tile = row?.tile as Uint8Array | null | undefined;
    return { bytes: tile ? Buffer.from(tile.buffer, tile.byteOffset, tile.byteLength) : Buffer.alloc(0), features: Number(row?.features ?? 0) };
  }
  const statement = tileStatement(request, 'rows', maxFeatures);
  return encodeRows(request.layer, await rawQuery(db, statement.text, statement.params));
}

/** `maxBytes` is MAX_TILE_BYTES but for tests that make the cap bite. */
export async function renderTile(db: Queryable, request: TileRequest, mvt: boolean, maxBytes = MAX_TILE_BYTES): Promise<RenderedTile> {
  let maxFeatures = initialFeatureLimit(request);
  for (let attempt = 1; ; attempt++) {
    const { bytes, features } = await renderOnce(db, request, mvt, maxFeatures);
    if (bytes.length <= maxBytes || features === 0) return { bytes, features, attempts: attempt };
    maxFeatures = nextFeatureLimit(features, bytes.length, attempt, maxBytes);
  }
}
