// A small clean baseline package of 崇明区 (100 m squares on 崇明岛, zone 40, each TBMJ its own
// ellipsoidal area) that passes the checks once the whole-district rules are off: what the review
// tests upload as the district before the city decides on it.
import { projectedRingArea, roundArea } from '../../server/geo/ellipsoidal-area.ts';
import { projectionForZone } from '../../server/seed/generator/district.ts';
import type { TestClient } from './app.ts';
import fs from 'node:fs';
import path from 'node:path';
import { DLTB_FIELDS, dltbRecord, tempDir, writeLayer, zipEntries } from './packages.ts';

/** South-west corner of the squares: inside 崇明岛. */
export const CLEAN_E0 = 40_642_000;
export const CLEAN_N0 = 3_500_600;
const ZONE40 = projectionForZone(40);

const square = (i: number) => {
  const e = CLEAN_E0 + (i % 10) * 100;
  const n = CLEAN_N0 + Math.floor(i / 10) * 100;
  return [e, n, e, n + 100, e + 100, n + 100, e + 100, n, e, n];
};

/**
 * `count` adjacent squares, alternately 水田 and 农村宅基地, BSMs 3101512110000…; `seed` varies the
 * BSMs; `documents` are added as delivered (e.g. 文字成果/技术报告.pdf).
 */
export async function cleanChongmingPackage(count = 6, seed = 0, documents: Record<string, Buffer> = {}): Promise<Buffer> {
  const records = Array.from({ length: count }, (_, i) => {
    const ring = square(i);
    const tbmj = roundArea(Math.abs(projectedRingArea(ring.slice(0, -2), ZONE40.inverse)));
    return dltbRecord(seed * 1000 + i + 1, { TBMJ: tbmj, TBDLMJ: tbmj }, ring);
  });
  const dir = tempDir();
  await writeLayer(dir, 'DLTB', records, { fields: DLTB_FIELDS });
  const layer = fs.readdirSync(dir).map((name) => ({ name, data: fs.readFileSync(path.join(dir, name)) }));
  return zipEntries([...layer, ...Object.entries(documents).map(([name, data]) => ({ name, data }))]);
}

/** The test baseline covers a few squares, not the whole district: the city turns the whole-district rules off. */
export async function disableWholeDistrictRules(admin: TestClient, surveyId: string): Promise<void> {
  for (const rule of ['TOPO_GAP', 'AREA_DISTRICT_TOTAL']) {
    const response = await admin.request('PUT', `/api/surveys/${surveyId}/quality-rules/${rule}`, { body: { enabled: false } });
    if (response.statusCode !== 200) throw new Error(`disabling ${rule}: ${response.statusCode} ${response.body}`);
  }
}
