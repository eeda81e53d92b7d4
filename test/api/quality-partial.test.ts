// Packages that are not what their survey expects, through the upload path, on both engines: a
// package of two parcels of 崇明 (part of the district) gets one finding saying it does not cover
// the district instead of crashing the run; a second baseline is refused at check time; a
// baseline under a change survey, or a change package under the national survey, gets one
// finding and not the other kind's rules; a rule that fails is named, and the submission can be
// checked again and its file sent again; the demo history carries on past a user's second baseline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectedRingArea, roundArea } from '../../server/geo/ellipsoidal-area.ts';
import { projectionForZone } from '../../server/seed/generator/district.ts';
import type { DbfField, ShapefileRecord } from '../../server/seed/generator/shapefile-writer.ts';
import { seedDemoHistory } from '../../server/seed/demo-history.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD, nationalSurveyId } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { DLTB_FIELDS, dltbRecord, tempDir, writeLayer, zipFolder } from '../support/packages.ts';
import { expectError } from './helpers.ts';

/** Inside 崇明岛, zone 40 (as in versions.test.ts). */
const E0 = 40_642_000;
const N0 = 3_500_600;
const ZONE40 = projectionForZone(40);
const CHANGE_FIELDS: DbfField[] = [...DLTB_FIELDS, { name: 'BGQBSM', type: 'C', length: 254 }, { name: 'BGRQ', type: 'C', length: 10 }, { name: 'BGLX', type: 'C', length: 20 }];

const square = (k: number) => [E0 + 100 * k, N0, E0 + 100 * k, N0 + 100, E0 + 100 * (k + 1), N0 + 100, E0 + 100 * (k + 1), N0, E0 + 100 * k, N0];
const bsm = (k: number) => `310151211000${String(70 + k).padStart(6, '0')}`;

/** A clean 水田 parcel on square k, TBMJ its ellipsoidal area; `extra` adds or overrides fields. */
function parcel(k: number, extra: Record<string, string | number> = {}): ShapefileRecord {
  const ring = square(k);
  const tbmj = roundArea(Math.abs(projectedRingArea(ring.slice(0, -2), ZONE40.inverse)));
  return dltbRecord(k + 1, { BSM: bsm(k), DLBM: '0101', DLMC: '水田', TBMJ: tbmj, TBDLMJ: tbmj, ...extra }, ring);
}

/** k reclassified as 乔木林地 on the date: a change record keeping its BSM. */
const reclassified = (k: number, date: string) => parcel(k, { DLBM: '0301', DLMC: '乔木林地', SJNF: 2024, BGQBSM: bsm(k), BGRQ: date, BGLX: '地类变更' });

async function packageOf(records: ShapefileRecord[], fields: DbfField[] = DLTB_FIELDS): Promise<Buffer> {
  const dir = tempDir();
  await writeLayer(dir, 'DLTB', records, { fields });
  return zipFolder(dir);
}

interface Run {
  id: string;
  state: string;
  error: { code: string; message: { zh: string; en: string }; details: { ruleId: string | null; reason: string } } | null;
  summary: { ruleId: string; findings: number }[] | null;
}
interface Finding {
  ruleId: string;
  severity: string;
  bsm: string | null;
  message: { zh: string; en: string };
  details: Record<string, unknown> | null;
}

describe.each(ENGINES)('packages that are not what their survey expects, on the %s engine', (engine) => {
  let test: TestApp;
  let admin: TestClient;
  let operator: TestClient;
  let nationalId: string;
  let changeId: string;

  beforeAll(async () => {
    test = await openTestApp(engine, { ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
    admin = new TestClient(test.app);
    operator = new TestClient(test.app);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    expect((await operator.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    nationalId = await nationalSurveyId(test.db);
    changeId = (await test.db.kysely.selectFrom('surveys').select('id').where('kind', '=', 'land_use_change').where('year', '=', 2024).executeTakeFirstOrThrow()).id;
  }, 120_000);
  afterAll(() => test?.drop());

  async function settle(id: string) {
    await test.app.imports.idle();
    const submission = (await operator.get(`/api/submissions/${id}`)).json<{ state: string }>();
    const run = (await operator.get(`/api/submissions/${id}/quality`)).json<Run>();
    const findings = run?.id ? (await operator.get(`/api/quality-runs/${run.id}/findings?limit=1000`)).json<{ findings: Finding[] }>().findings : [];
    return { id, state: submission.state, run, findings };
  }

  async function upload(surveyId: string, zip: Buffer, name: string) {
    const response = await operator.upload(`/api/submissions?surveyId=${surveyId}`, name, zip);
    expect(response.statusCode, response.body).toBe(202);
    return settle(response.json<{ id: string }>().id);
  }

  async function setRule(ruleId: string, enabled: boolean) {
    const response = await admin.request('PUT', `/api/surveys/${nationalId}/quality-rules/${ruleId}`, { body: { enabled } });
    expect(response.statusCode, response.body).toBe(200);
  }

  /** Renames a function the change rules call (migration 0009), so that the database fails them, or back. */
  async function breakChangeDate(broken: boolean) {
    await test.db.scriptTransaction((exec) => exec(broken ? `ALTER FUNCTION change_date(jsonb) RENAME TO change_date_hidden` : `ALTER FUNCTION change_date_hidden(jsonb) RENAME TO change_date`));
  }

  let baselineId: string;

  it('checks a package of two parcels of the district: one finding says it does not cover the district, no flood of gaps', async () => {
    const { id, state, run, findings } = await upload(nationalId, await packageOf([parcel(0), parcel(1)]), '崇明-两个图斑.zip');
    expect(run.state, JSON.stringify(run)).toBe('finished');
    expect(state).toBe('rejected');
    const gaps = findings.filter((finding) => finding.ruleId === 'TOPO_GAP');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.message.zh).toMatch(/不是全区成果/);
    expect(gaps[0]!.message.en).toMatch(/not a whole district/);
    expect(gaps[0]!.details!.share as number).toBeLessThan(0.001);
    // The control total is off too, once; every other finding would be the parcels' own, and they are clean.
    expect(findings.map((finding) => finding.ruleId).sort()).toEqual(['AREA_DISTRICT_TOTAL', 'TOPO_GAP']);
    baselineId = id;
  });

  it('refuses a second baseline at check time, so it can never be accepted', async () => {
    // The first, checked again without the whole-district rules (a test baseline of two parcels), is applied.
    await setRule('TOPO_GAP', false);
    await setRule('AREA_DISTRICT_TOTAL', false);
    expect((await operator.post(`/api/submissions/${baselineId}/quality-runs`)).statusCode).toBe(202);
    expect((await settle(baselineId)).state).toBe('checked');
    expect((await admin.post(`/api/submissions/${baselineId}/accept`)).statusCode).toBe(200);
    const applied = await operator.post(`/api/submissions/${baselineId}/apply`);
    expect(applied.statusCode, applied.body).toBe(200);

    const again = await upload(nationalId, await packageOf([parcel(0), parcel(1), parcel(2)]), '崇明-基础-第二套.zip');
    expect(again.state).toBe('rejected');
    expect(again.findings.map((finding) => `${finding.ruleId} ${finding.severity}`)).toEqual(['PKG_BASELINE_EXISTS error']);
    expect(again.findings[0]!.message.zh).toContain('已有基础数据（2 个图斑版本，2019-12-31 起）');
    expectError(await admin.post(`/api/submissions/${again.id}/accept`), 409, 'LIFECYCLE_STEP_NOT_ALLOWED');
    await setRule('TOPO_GAP', true);
    await setRule('AREA_DISTRICT_TOTAL', true);
  });

  it('gives a baseline under a change survey one finding, and does not run the change rules', async () => {
    const { state, run, findings } = await upload(changeId, await packageOf([parcel(0), parcel(1)]), '崇明-基础-误传变更.zip');
    expect(state).toBe('rejected');
    expect(findings.map((finding) => finding.ruleId)).toEqual(['PKG_KIND_MATCHES_SURVEY']);
    expect(findings[0]!.message.zh).toContain('2024 年度土地利用变更调查');
    expect(run.summary!.filter((entry) => entry.ruleId.startsWith('CHG_'))).toEqual([]);
  });

  it('gives a change package under the national survey one finding, and does not run the whole-district rules', async () => {
    const { state, run, findings } = await upload(nationalId, await packageOf([reclassified(0, '2024-06-30')], CHANGE_FIELDS), '崇明-变更-误传基础.zip');
    expect(state).toBe('rejected');
    expect(findings.map((finding) => finding.ruleId)).toEqual(['PKG_KIND_MATCHES_SURVEY']);
    expect(findings[0]!.details).toMatchObject({ packageKind: 'change', changeFields: { DLTB: ['BGQBSM', 'BGRQ'] } });
    const ran = run.summary!.map((entry) => entry.ruleId);
    for (const rule of ['TOPO_GAP', 'AREA_DISTRICT_TOTAL', 'PKG_BASELINE_EXISTS', 'CHG_DATE']) expect(ran).not.toContain(rule);
  });

  it('names the rule that failed; the submission can be checked again, and its file sent again', async () => {
    const zip = await packageOf([reclassified(0, '2024-06-30')], CHANGE_FIELDS);
    await breakChangeDate(true);
    let failed: Awaited<ReturnType<typeof upload>>;
    try {
      failed = await upload(changeId, zip, '崇明-2024-变更.zip');
    } finally {
      await breakChangeDate(false);
    }
    expect(failed.run.state).toBe('failed');
    expect(failed.run.error!.code).toBe('QC_ENGINE_FAILED');
    expect(failed.run.error!.details.ruleId).toBe('CHG_DATE');
    expect(failed.run.error!.message.en).toMatch(/^Quality rule CHG_DATE failed: .*change_date/);
    expect(failed.run.error!.message.zh).toMatch(/^质检规则 CHG_DATE 执行失败/);
    // the database's own (English) words stay out of the Chinese message
    expect(failed.run.error!.message.zh).not.toContain('function');
    expect(failed.state).toBe('imported');
    expect(failed.findings).toEqual([]);

    // Checked again once the fault is gone: the run finishes.
    expect((await operator.post(`/api/submissions/${failed.id}/quality-runs`)).statusCode).toBe(202);
    const rechecked = await settle(failed.id);
    expect(rechecked.run.state, JSON.stringify(rechecked.run)).toBe('finished');
    expect(rechecked.state, JSON.stringify(rechecked.findings)).toBe('checked');

    // Another file whose check failed is sent again: a new submission, imported and checked; the earlier one gave way.
    const other = await packageOf([reclassified(1, '2024-07-01')], CHANGE_FIELDS);
    await breakChangeDate(true);
    let second: Awaited<ReturnType<typeof upload>>;
    try {
      second = await upload(changeId, other, '崇明-2024-变更-2.zip');
    } finally {
      await breakChangeDate(false);
    }
    expect(second.run.state).toBe('failed');
    const resent = await operator.upload(`/api/submissions?surveyId=${changeId}`, '崇明-2024-变更-2.zip', other);
    expect(resent.statusCode, resent.body).toBe(202);
    const fresh = await settle(resent.json<{ id: string }>().id);
    expect(fresh.id).not.toBe(second.id);
    expect(fresh.run.state).toBe('finished');
    expect((await settle(second.id)).state).toBe('superseded');
    // Now it stands: the same file again is refused.
    expectError(await operator.upload(`/api/submissions?surveyId=${changeId}`, 'again.zip', other), 409, 'PACKAGE_ALREADY_SUBMITTED');
  });
});

describe.each(ENGINES)('the demo history after a user sent a second baseline, on the %s engine', (engine) => {
  let test: TestApp;

  beforeAll(async () => {
    test = await openTestApp(engine, { ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
  }, 120_000);
  afterAll(() => test?.drop());

  it('goes by the applied baseline and reports what stops it in a line, without throwing', async () => {
    const admin = new TestClient(test.app);
    const operator = new TestClient(test.app);
    expect((await admin.login('admin', DEMO_PASSWORD)).statusCode).toBe(200);
    expect((await operator.login('chongming', DEMO_PASSWORD)).statusCode).toBe(200);
    const nationalId = await nationalSurveyId(test.db);
    for (const rule of ['TOPO_GAP', 'AREA_DISTRICT_TOTAL']) {
      expect((await admin.request('PUT', `/api/surveys/${nationalId}/quality-rules/${rule}`, { body: { enabled: false } })).statusCode).toBe(200);
    }
    const send = async (zip: Buffer, name: string) => {
      const response = await operator.upload(`/api/submissions?surveyId=${nationalId}`, name, zip);
      expect(response.statusCode, response.body).toBe(202);
      await test.app.imports.idle();
      return response.json<{ id: string }>().id;
    };
    const first = await send(await packageOf([parcel(0), parcel(1)]), '崇明-基础.zip');
    expect((await admin.post(`/api/submissions/${first}/accept`)).statusCode).toBe(200);
    expect((await operator.post(`/api/submissions/${first}/apply`)).statusCode).toBe(200);
    // A user sends another baseline of the district afterwards.
    await send(await packageOf([parcel(0), parcel(1), parcel(2)]), '崇明-基础-又一套.zip');

    const messages: string[] = [];
    await seedDemoHistory(test.app, { info: (message) => messages.push(message) }, [{ districtCode: '310151', operator: 'chongming', parcels: 300, seed: 5 }]);
    // Past the baseline: the generated 2020 change package does not fit this test baseline, and stops it, in a line.
    expect(messages.join('\n')).not.toMatch(/baseline is/);
    expect(messages.join('\n')).toMatch(/2020/);
  }, 300_000);
});
