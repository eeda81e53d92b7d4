// Progress supervision (art. 15, 16) through the API on both engines: deadlines set by the city,
// the board's step reached, rounds and days late as of a given day, district progress reports,
// bulletins issued on demand and by the scheduled round, each addressee's inbox and no one
// else's, and a bulletin's workbook read back.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asActor, asSystem } from '../../server/db/context.ts';
import { runProgressSchedule } from '../../server/modules/progress/schedule.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { actorFor, CHONGMING, DEMO_PASSWORD, insertSubmission, PUDONG } from '../support/data.ts';
import { ENGINES } from '../support/databases.ts';
import { tempDir } from '../support/packages.ts';
import { unzip } from '../support/zip.ts';
import { expectError } from './helpers.ts';

interface BoardRow {
  districtCode: string;
  reached: string | null;
  rounds: number;
  nextStep: string | null;
  nextDue: string | null;
  daysLate: number;
  percent: number | null;
  deadlines: { step: string; met: boolean }[];
}
interface Notice {
  id: string;
  kind: string;
  title: string;
  body: string | null;
  bulletinId: string | null;
  readAt: string | null;
}
interface Inbox {
  unread: number;
  notices: Notice[];
}

/** Whole days from one YYYY-MM-DD to another. */
const daysBetween = (from: string, to: string) => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;

/** The text of every inline-string cell of an XLSX sheet. */
function cellTexts(sheetXml: string): string[] {
  return [...sheetXml.matchAll(/<t[^>]*>([^<]*)<\/t>/g)].map((match) => match[1]!);
}

describe.each(ENGINES)('progress supervision on the %s engine', (engine) => {
  let test: TestApp;
  const clients: Record<string, TestClient> = {};
  let surveyId: string;
  let chongmingRound1: string;
  let onDemandBulletin: string;

  beforeAll(async () => {
    test = await openTestApp(engine);
    for (const username of ['admin', 'auditor', 'office', 'chongming', 'chongming-office', 'pudong', 'pudong-office']) {
      clients[username] = new TestClient(test.app);
      expect((await clients[username].login(username, DEMO_PASSWORD)).statusCode).toBe(200);
    }
    const created = await clients.admin!.post('/api/surveys', { kind: 'land_use_change', scope: 'city', year: 2025, timePoint: '2025-12-31', title: '2025年度土地利用变更调查' });
    expect(created.statusCode, created.body).toBe(201);
    surveyId = created.json<{ id: string }>().id;
  }, 120_000);
  afterAll(() => test?.drop());

  const inbox = async (who: string) => (await clients[who]!.get('/api/inbox')).json<Inbox>();
  const board = async (asOf: string) => {
    const response = await clients.admin!.get(`/api/progress/board?asOf=${asOf}&surveyId=${surveyId}`);
    expect(response.statusCode, response.body).toBe(200);
    return Object.fromEntries(response.json<{ rows: BoardRow[] }>().rows.map((row) => [row.districtCode, row]));
  };

  it('lets the city set and move deadlines, and shows each district only its own', async () => {
    const put = (who: string, body: object) => clients[who]!.request('PUT', '/api/progress/deadlines', { body: { surveyId, ...body } });
    for (const [districtCode, step, dueDate] of [
      [CHONGMING, 'received', '2025-03-01'], [CHONGMING, 'accepted', '2025-06-30'],
      [PUDONG, 'received', '2025-03-01'], [PUDONG, 'accepted', '2025-05-31'],
    ] as const) {
      const response = await put('admin', { districtCode, step, dueDate });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ districtCode, step, dueDate });
    }
    // Moving a deadline edits the same row.
    const before = (await clients.admin!.get(`/api/progress/deadlines?surveyId=${surveyId}&districtCode=${PUDONG}`)).json<{ id: string; step: string }[]>();
    const moved = await put('admin', { districtCode: PUDONG, step: 'accepted', dueDate: '2025-06-15', note: '延期至6月15日' });
    expect(moved.json<{ id: string }>().id).toBe(before.find((row) => row.step === 'accepted')!.id);
    expect(moved.json()).toMatchObject({ dueDate: '2025-06-15', note: '延期至6月15日' });

    // A change survey's packages are never preliminarily accepted (that is a special survey's step).
    const refused = expectError(await put('admin', { districtCode: CHONGMING, step: 'preliminary_accepted', dueDate: '2025-05-01' }), 409, 'DEADLINE_STEP_INVALID');
    expect(refused.error.details).toMatchObject({ allowed: expect.arrayContaining(['received', 'accepted', 'applied']) });
    expectError(await put('chongming', { districtCode: CHONGMING, step: 'applied', dueDate: '2025-09-01' }), 403, 'FORBIDDEN');
    expectError(await put('admin', { districtCode: CHONGMING, step: 'applied', dueDate: '2025-02-30' }), 400, 'VALIDATION_FAILED');

    const mine = (await clients.chongming!.get(`/api/progress/deadlines?surveyId=${surveyId}`)).json<{ districtCode: string }[]>();
    expect(mine.map((row) => row.districtCode)).toEqual([CHONGMING, CHONGMING]);
    expect((await clients.pudong!.get(`/api/progress/deadlines?districtCode=${CHONGMING}`)).json()).toEqual([]);
    expect((await clients.auditor!.get(`/api/progress/deadlines?surveyId=${surveyId}`)).json<unknown[]>()).toHaveLength(4);
    // The database itself: the district's own transaction reads its rows only.
    const seen = await asActor(test.db, await actorFor(test.db, 'pudong'), (tx) => tx.selectFrom('progress_deadlines').select('district_code').where('survey_id', '=', surveyId).execute());
    expect(seen.map((row) => row.district_code)).toEqual([PUDONG, PUDONG]);
  });

  it('tells the city a package awaits it, and draws the board as of a day', async () => {
    // 崇明 sends a package; its checks pass (the platform's step, as the owner).
    chongmingRound1 = await insertSubmission(test.db, CHONGMING, surveyId, 'checking');
    await asSystem(test.db, (tx) => tx.updateTable('submissions').set({ state: 'checked' }).where('id', '=', chongmingRound1).execute());
    for (const who of ['admin', 'auditor']) {
      const submitted = (await inbox(who)).notices.filter((notice) => notice.kind === 'submitted');
      expect(submitted, who).toHaveLength(1);
      expect(submitted[0]!.title).toContain('崇明区');
    }
    // Only the roles that take the city's decision, and no district.
    for (const who of ['office', 'chongming', 'pudong']) expect((await inbox(who)).notices.filter((n) => n.kind === 'submitted'), who).toEqual([]);

    const april = await board('2025-04-10');
    expect(april[CHONGMING]).toMatchObject({ reached: 'checked', rounds: 1, nextStep: 'accepted', nextDue: '2025-06-30', daysLate: 0 });
    expect(april[CHONGMING]!.deadlines.map((d) => [d.step, d.met])).toEqual([['received', true], ['accepted', false]]);
    expect(april[PUDONG]).toMatchObject({ reached: null, rounds: 0, nextStep: 'received', nextDue: '2025-03-01', daysLate: daysBetween('2025-03-01', '2025-04-10') });
    // The day is the board's parameter: the same data a week earlier is a week less late.
    expect((await board('2025-04-03'))[PUDONG]!.daysLate).toBe(april[PUDONG]!.daysLate - 7);
    expect((await board('2025-03-01'))[PUDONG]!.daysLate).toBe(0);
    // A district's board is its own row only.
    const own = (await clients.pudong!.get(`/api/progress/board?asOf=2025-04-10&surveyId=${surveyId}`)).json<{ rows: BoardRow[] }>();
    expect(own.rows.map((row) => row.districtCode)).toEqual([PUDONG]);
  });

  it('issues a bulletin on demand, to the district behind and the city only', async () => {
    expectError(await clients.chongming!.post('/api/progress/bulletins', { asOf: '2025-04-10' }), 403, 'FORBIDDEN');
    const issued = await clients.admin!.post('/api/progress/bulletins', { asOf: '2025-04-10', surveyId });
    expect(issued.statusCode, issued.body).toBe(201);
    const bulletin = issued.json<{ id: string; issuedHow: string; behindDistricts: string[]; supervisedDistricts: string[] }>();
    onDemandBulletin = bulletin.id;
    expect(bulletin).toMatchObject({ issuedHow: 'on_demand', behindDistricts: [PUDONG], supervisedDistricts: [PUDONG] });

    for (const who of ['admin', 'auditor', 'office', 'pudong', 'pudong-office']) {
      expect((await inbox(who)).notices.filter((n) => n.kind === 'bulletin').map((n) => n.bulletinId), who).toEqual([bulletin.id]);
    }
    for (const who of ['chongming', 'chongming-office']) expect((await inbox(who)).notices.filter((n) => n.kind === 'bulletin'), who).toEqual([]);
    expect((await clients.chongming!.get('/api/progress/bulletins')).json()).toEqual([]);
    expectError(await clients.chongming!.get(`/api/progress/bulletins/${bulletin.id}`), 404, 'BULLETIN_NOT_FOUND');
    const detail = (await clients.pudong!.get(`/api/progress/bulletins/${bulletin.id}`)).json<{ content: { behind: { districtName: string; daysLate: number }[] } }>();
    expect(detail.content.behind).toEqual([expect.objectContaining({ districtName: '浦东新区', daysLate: daysBetween('2025-03-01', '2025-04-10') })]);
  });

  it('downloads the bulletin as a workbook that reads back with the districts’ names', async () => {
    const response = await clients.admin!.get(`/api/progress/bulletins/${onDemandBulletin}/xlsx`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('spreadsheetml');
    const file = path.join(tempDir('lsp-bulletin-'), 'bulletin.xlsx');
    fs.writeFileSync(file, response.rawPayload);
    const entries = await unzip(file);
    const summary = cellTexts(entries.get('xl/worksheets/sheet1.xml')!.toString('utf8'));
    expect(summary).toEqual(expect.arrayContaining(['重点督导', '浦东新区', '2025-04-10']));
    const behind = cellTexts(entries.get('xl/worksheets/sheet2.xml')!.toString('utf8'));
    expect(behind).toEqual(expect.arrayContaining(['浦东新区', '未完成环节', '已汇交']));
    expect(behind).not.toContain('崇明区');
    const boardSheet = cellTexts(entries.get('xl/worksheets/sheet3.xml')!.toString('utf8'));
    expect(boardSheet).toEqual(expect.arrayContaining(['崇明区', '浦东新区', '质检通过', '未汇交']));
    const ogrinfo = spawnSync('ogrinfo', ['-al', '-ro', file], { encoding: 'utf8' });
    if (!ogrinfo.error) {
      expect(ogrinfo.status, ogrinfo.stderr).toBe(0);
      expect(ogrinfo.stdout).toContain('浦东新区');
      expect(ogrinfo.stdout).toContain('崇明区');
    }
  });

  it('sends a return for 整改 to the district, and counts the next round on the board', async () => {
    const returned = await clients.admin!.post(`/api/submissions/${chongmingRound1}/decisions`, {
      action: 'return',
      opinion: '权属调查不完整',
      rectification: [{ requirement: '补充城桥镇权属界线材料' }],
    });
    expect(returned.statusCode, returned.body).toBe(200);
    for (const who of ['chongming', 'chongming-office']) {
      const notices = (await inbox(who)).notices.filter((n) => n.kind === 'returned');
      expect(notices, who).toHaveLength(1);
      expect(notices[0]!.body).toContain('补充城桥镇权属界线材料');
      expect(notices[0]!.body).toContain('权属调查不完整');
    }
    // Not the decider, not another district.
    for (const who of ['admin', 'pudong', 'pudong-office']) expect((await inbox(who)).notices.filter((n) => n.kind === 'returned'), who).toEqual([]);

    const july = await board('2025-07-05');
    expect(july[CHONGMING]).toMatchObject({ reached: 'rejected', rounds: 1, nextStep: 'received', daysLate: daysBetween('2025-03-01', '2025-07-05') });
    // The corrected package, round 2, passes its checks.
    const round2 = await insertSubmission(test.db, CHONGMING, surveyId, 'checked');
    await asSystem(test.db, (tx) => tx.updateTable('submissions').set({ round: 2, corrects_submission_id: chongmingRound1 }).where('id', '=', round2).execute());
    const after = await board('2025-07-05');
    expect(after[CHONGMING]).toMatchObject({ reached: 'checked', rounds: 2, nextStep: 'accepted', nextDue: '2025-06-30', daysLate: 5 });
    expect(after[PUDONG]).toMatchObject({ nextStep: 'received', daysLate: daysBetween('2025-03-01', '2025-07-05') });
  });

  it('keeps each district’s progress reports, visible to it and the city only', async () => {
    for (const [percent, note] of [[40, '外业调查完成四成'], [65, '内业整理中']] as const) {
      const response = await clients.chongming!.post('/api/progress/reports', { surveyId, percent, note });
      expect(response.statusCode, response.body).toBe(201);
      expect(response.json()).toMatchObject({ districtCode: CHONGMING, percent, note });
    }
    expectError(await clients.chongming!.post('/api/progress/reports', { surveyId, percent: 101 }), 400, 'VALIDATION_FAILED');
    expectError(await clients.admin!.post('/api/progress/reports', { surveyId, percent: 10 }), 403, 'FORBIDDEN');
    const history = (await clients.chongming!.get(`/api/progress/reports?surveyId=${surveyId}`)).json<{ percent: number }[]>();
    expect(history.map((row) => row.percent)).toEqual([65, 40]);
    expect((await clients.pudong!.get(`/api/progress/reports?surveyId=${surveyId}`)).json()).toEqual([]);
    expect((await clients.office!.get(`/api/progress/reports?districtCode=${CHONGMING}`)).json<unknown[]>()).toHaveLength(2);
    expect((await board('2025-07-05'))[CHONGMING]!.percent).toBe(65);

    // The database refuses a report for another district and hides others' reports, whatever the code.
    const pudong = await actorFor(test.db, 'pudong');
    const users = await test.db.kysely.selectFrom('users').select(['id', 'username']).where('username', 'in', ['pudong']).execute();
    await expect(
      asActor(test.db, pudong, (tx) => tx.insertInto('progress_reports').values({ survey_id: surveyId, district_code: CHONGMING, percent: 99, reported_by: users[0]!.id }).execute()),
    ).rejects.toMatchObject({ code: '42501' });
    expect(await asActor(test.db, pudong, (tx) => tx.selectFrom('progress_reports').select('id').execute())).toEqual([]);
    // Reports are history: never changed.
    await expect(asSystem(test.db, (tx) => tx.updateTable('progress_reports').set({ percent: 100 }).execute())).rejects.toMatchObject({ code: 'LS001' });
  });

  it('runs the scheduled round: passed deadlines told once, one bulletin a day', async () => {
    const round = await runProgressSchedule(test.db, '2025-07-05');
    // 崇明: accepted by 06-30 not met; 浦东: received by 03-01 and accepted by 06-15 not met. Each
    // to the district's two staff and the city administrator.
    expect(round.deadlineNotices).toBe(1 * 3 + 2 * 3);
    expect(round.bulletin).toMatchObject({ issuedHow: 'scheduled', asOf: '2025-07-05', supervisedDistricts: [PUDONG] });
    expect([...round.bulletin!.behindDistricts].sort()).toEqual([PUDONG, CHONGMING].sort());
    // A request cannot run the round (or learn a district's staff) itself.
    const pudongActor = await actorFor(test.db, 'pudong');
    await expect(asActor(test.db, pudongActor, (tx) => sql`SELECT notify_passed_deadlines('2025-07-05'::date)`.execute(tx))).rejects.toMatchObject({ code: '42501' });
    await expect(asActor(test.db, pudongActor, (tx) => sql`SELECT * FROM district_staff(${CHONGMING})`.execute(tx))).rejects.toMatchObject({ code: '42501' });
    const again = await runProgressSchedule(test.db, '2025-07-05');
    expect(again).toEqual({ deadlineNotices: 0, bulletin: null });

    const chongming = await inbox('chongming');
    expect(chongming.notices.filter((n) => n.kind === 'deadline_passed')).toHaveLength(1);
    expect(chongming.notices.filter((n) => n.kind === 'bulletin').map((n) => n.bulletinId)).toEqual([round.bulletin!.id]);
    expect((await inbox('pudong')).notices.filter((n) => n.kind === 'deadline_passed')).toHaveLength(2);
    expect((await inbox('auditor')).notices.filter((n) => n.kind === 'deadline_passed')).toEqual([]);
    const list = (await clients.admin!.get('/api/progress/bulletins')).json<{ id: string }[]>();
    expect(list.map((b) => b.id)).toEqual([round.bulletin!.id, onDemandBulletin]);
    // What a bulletin says is frozen: the on-demand one still names 浦东 alone.
    const frozen = (await clients.admin!.get(`/api/progress/bulletins/${onDemandBulletin}`)).json<{ behindDistricts: string[] }>();
    expect(frozen.behindDistricts).toEqual([PUDONG]);
  });

  it('lets each user read and mark only their own notices', async () => {
    const before = await inbox('chongming');
    expect(before.unread).toBe(before.notices.length);
    const first = before.notices[0]!;
    expectError(await clients.pudong!.post(`/api/inbox/${first.id}/read`), 404, 'NOTIFICATION_NOT_FOUND');
    expect((await clients.chongming!.post(`/api/inbox/${first.id}/read`)).statusCode).toBe(204);
    const after = await inbox('chongming');
    expect(after.unread).toBe(before.unread - 1);
    expect(after.notices.find((n) => n.id === first.id)!.readAt).not.toBeNull();
    expect((await clients.chongming!.get('/api/inbox/unread-count')).json()).toEqual({ unread: before.unread - 1 });
    expect((await clients.chongming!.get('/api/inbox?unread=true')).json<Inbox>().notices.map((n) => n.id)).not.toContain(first.id);
    const marked = (await clients.chongming!.post('/api/inbox/read-all')).json<{ marked: number }>();
    expect(marked.marked).toBe(before.unread - 1);
    expect((await inbox('chongming')).unread).toBe(0);
    // Another user's inbox is untouched, and invisible in the database too.
    expect((await inbox('chongming-office')).unread).toBeGreaterThan(0);
    const seen = await asActor(test.db, await actorFor(test.db, 'pudong'), (tx) => tx.selectFrom('notifications').select(sql<number>`count(*)::int`.as('n')).where('id', '=', first.id).executeTakeFirstOrThrow());
    expect(seen.n).toBe(0);
    expectError(await new TestClient(test.app).get('/api/inbox'), 401, 'AUTH_REQUIRED');
  });
});
