// Loads reference data (code lists, administrative units) from fixtures/ into the database.
// Idempotent and cheap on a second start: a file whose checksum was already loaded is skipped.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { REPO_ROOT } from '../config.ts';
import { asSystem, type Tx } from '../db/context.ts';
import type { Database } from '../db/engine.ts';
import type { CodeListsTable } from '../db/schema.ts';
import { DENSIFY_STEP_DEG, districtOutlines } from '../geo/district-outlines.ts';

export const CODES_FILE = path.join(REPO_ROOT, 'fixtures/reference/codes.json');
export { DISTRICTS_FILE } from '../geo/district-outlines.ts';

interface CodeNode {
  code: string;
  name: string;
  classes?: CodeNode[];
}
interface CodeBlock {
  verified: boolean;
  codes?: CodeNode[];
  classes?: CodeNode[];
  colors?: Record<string, [number, number, number]>;
}

function hex([r, g, b]: [number, number, number]): string {
  return `#${[r, g, b].map((value) => value.toString(16).padStart(2, '0')).join('')}`;
}

/** Flattens codes.json into code_lists rows: two-level classifications become a group list and a class list. */
export function codeListRows(codes: Record<string, CodeBlock>): CodeListsTable[] {
  const rows: CodeListsTable[] = [];
  const palette = codes.palette_rgb?.colors ?? {};
  const push = (list: string, node: CodeNode, verified: boolean, parent: string | null, color: string | null) =>
    rows.push({ list, code: node.code, name: node.name, parent_code: parent, sort_order: rows.length, color, verified });

  const twoLevel: [string, string, string][] = [
    ['sandiao_work_classification', 'dlbm_group', 'dlbm'],
    ['gbt21010_2017', 'gbt21010_group', 'gbt21010'],
  ];
  for (const [block, groupList, classList] of twoLevel) {
    const source = codes[block];
    if (!source?.classes) throw new Error(`codes.json: ${block}.classes missing`);
    for (const group of source.classes) {
      push(groupList, group, source.verified, null, null);
      for (const child of group.classes ?? []) {
        // 可调整 (K) classes have no palette entry of their own: they wear their base class's fill.
        const rgb = classList === 'dlbm' ? (palette[child.code] ?? palette[child.code.replace(/K$/, '')]) : undefined;
        push(classList, child, source.verified, group.code, rgb ? hex(rgb) : null);
      }
    }
  }
  for (const list of ['qsxz', 'gdlx', 'gdpdjb', 'zzsxdm', 'tbxhdm', 'czcsxm']) {
    const source = codes[list];
    if (!source?.codes) throw new Error(`codes.json: ${list}.codes missing`);
    for (const node of source.codes) push(list, node, source.verified, null, null);
  }
  return rows;
}

async function alreadyLoaded(tx: Tx, source: string, sha256: string): Promise<boolean> {
  const row = await tx.selectFrom('reference_loads').select('sha256').where('source', '=', source).executeTakeFirst();
  return row?.sha256 === sha256;
}

async function markLoaded(tx: Tx, source: string, sha256: string): Promise<void> {
  await tx
    .insertInto('reference_loads')
    .values({ source, sha256 })
    .onConflict((oc) => oc.column('source').doUpdateSet({ sha256, loaded_at: sql`now()` }))
    .execute();
}

function readWithHash(file: string): { text: string; sha256: string } {
  const text = fs.readFileSync(file, 'utf8');
  return { text, sha256: createHash('sha256').update(text).digest('hex') };
}

async function loadCodeLists(tx: Tx): Promise<boolean> {
  const { text, sha256 } = readWithHash(CODES_FILE);
  if (await alreadyLoaded(tx, 'codes.json', sha256)) return false;
  const rows = codeListRows(JSON.parse(text) as Record<string, CodeBlock>);
  await tx.deleteFrom('code_lists').execute();
  await tx.insertInto('code_lists').values(rows).execute();
  await markLoaded(tx, 'codes.json', sha256);
  return true;
}

const DEMO_BOUNDARY_NOTE = 'approximate demo geometry derived from a public source, not an official boundary (fixtures/districts/README.md)';
// The outlines are stored densified (server/geo/district-outlines.ts), and the control area is the
// ellipsoidal area of what is stored; the key changes with the densification so older databases reload.
const DISTRICTS_SOURCE = `shanghai-districts.geojson#densified-${DENSIFY_STEP_DEG}`;

async function loadDistricts(tx: Tx): Promise<boolean> {
  const { text, outlines } = districtOutlines();
  const sha256 = createHash('sha256').update(text).digest('hex');
  if (await alreadyLoaded(tx, DISTRICTS_SOURCE, sha256)) return false;
  await tx
    .insertInto('admin_units')
    .values({ code: '310000', level: 'city', parent_code: null, name: '上海市', note: DEMO_BOUNDARY_NOTE })
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
  for (const outline of outlines) {
    const boundary = sql<string>`ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify({ type: 'MultiPolygon', coordinates: outline.coordinates })}), 4490))`;
    const values = { name: outline.name, boundary, control_area_m2: sql<string>`round(ST_Area(${boundary}::geography, true)::numeric, 2)` };
    await tx
      .insertInto('admin_units')
      .values({ code: outline.code, level: 'district', parent_code: '310000', note: DEMO_BOUNDARY_NOTE, ...values })
      .onConflict((oc) => oc.column('code').doUpdateSet(values))
      .execute();
  }
  // The city's outline and control area follow from its districts.
  await sql`UPDATE admin_units c
               SET boundary = d.boundary, control_area_m2 = d.area
              FROM (SELECT ST_Multi(ST_Union(boundary)) AS boundary, sum(control_area_m2) AS area
                      FROM admin_units WHERE parent_code = '310000' AND level = 'district') d
             WHERE c.code = '310000'`.execute(tx);
  await markLoaded(tx, DISTRICTS_SOURCE, sha256);
  return true;
}

export interface ReferenceLoadResult {
  codeLists: boolean;
  districts: boolean;
}

export function loadReferenceData(db: Database): Promise<ReferenceLoadResult> {
  return asSystem(db, async (tx) => ({ codeLists: await loadCodeLists(tx), districts: await loadDistricts(tx) }));
}
