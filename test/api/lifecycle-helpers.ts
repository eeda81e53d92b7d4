// The lifecycle route tests' shared means: the demo accounts signed in in their roles, small real
// packages on 崇明 ground (a baseline of six 100 m squares, change packages over it), decisions
// and survey steps through the HTTP API, a real PDF attachment, and what the record, the audit log
// and an anonymous visitor then show. Everything goes through app.inject; nothing is mocked.
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { projectedRingArea, roundArea } from '../../server/geo/ellipsoidal-area.ts';
import { projectionForZone } from '../../server/seed/generator/district.ts';
import type { DbfField, ShapefileRecord } from '../../server/seed/generator/shapefile-writer.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { DEMO_PASSWORD } from '../support/data.ts';
import type { EngineKind } from '../../server/db/engine.ts';
import { DLTB_FIELDS, dltbRecord, tempDir, writeLayer, zipFolder } from '../support/packages.ts';

export const ACCOUNTS = ['admin', 'auditor', 'chongming', 'pudong', 'office', 'chongming-office', 'pudong-office', 'surveyor'] as const;
export type Account = (typeof ACCOUNTS)[number];

/** South-west corner of the squares: inside 崇明岛, zone 40 (the same ground as versions.test.ts). */
const E0 = 40_642_000;
const N0 = 3_500_600;
/** Where the squares lie in lon/lat (for tiles): about 121.5004 E, 31.6203 N. */
export const rect = (e: number, n: number, width: number, height: number) => [E0 + e, N0 + n, E0 + e, N0 + n + height, E0 + e + width, N0 + n + height, E0 + e + width, N0 + n, E0 + e, N0 + n];
export const bsm = (letter: string) => `3101512110000${letter.charCodeAt(0)}`.padEnd(18, '0');

export const CHANGE_FIELDS: DbfField[] = [...DLTB_FIELDS, { name: 'BGQBSM', type: 'C', length: 254 }, { name: 'BGRQ', type: 'C', length: 10 }, { name: 'BGLX', type: 'C', length: 20 }];
const ZONE40 = projectionForZone(40);
const recordedArea = (rings: number[][]) => roundArea(rings.reduce((sum, ring) => sum + Math.abs(projectedRingArea(ring.slice(0, -2), ZONE40.inverse)), 0));
const NAMES: Record<string, string> = { '0101': '水田', '0702': '农村宅基地', '0301': '乔木林地', '1001': '铁路用地', '0201': '果园' };

/** A DLTB record of one or more parts (each one ring), its TBMJ its ellipsoidal area. */
export function parcel(letter: string, dlbm: string, parts: number[][], extra: Record<string, string> = {}): ShapefileRecord {
  const tbmj = recordedArea(parts);
  const record = dltbRecord(letter.charCodeAt(0), { BSM: bsm(letter), DLBM: dlbm, DLMC: NAMES[dlbm]!, TBMJ: tbmj, TBDLMJ: tbmj, SJNF: 2019, ...extra }, parts[0]);
  return { ...record, geometry: parts.map((ring) => [ring]) };
}

/**
 * The baseline: six squares. `flawed` draws F in two parts with a strip between them: a
 * GEOM_MULTIPART warning, not blocking, which a reviewer's 整改要求 can point at.
 */
export function baselineRecords(options: { flawed?: boolean; owner?: string } = {}): ShapefileRecord[] {
  const extra: Record<string, string> = options.owner ? { QSDWMC: options.owner } : {};
  return [
    parcel('A', '0101', [rect(0, 0, 100, 100)], extra),
    parcel('B', '0101', [rect(100, 0, 100, 100)], extra),
    parcel('C', '0702', [rect(0, 100, 100, 100)], extra),
    parcel('D', '0101', [rect(100, 100, 100, 100)], extra),
    parcel('E', '0301', [rect(200, 0, 100, 100)], extra),
    options.flawed ? parcel('F', '0301', [rect(200, 100, 100, 45), rect(200, 155, 100, 45)], extra) : parcel('F', '0301', [rect(200, 100, 100, 100)], extra),
  ];
}

export async function packageOf(records: ShapefileRecord[], fields: DbfField[] = DLTB_FIELDS): Promise<Buffer> {
  const dir = tempDir();
  await writeLayer(dir, 'DLTB', records, { fields });
  return zipFolder(dir);
}

/** A change package reclassifying one baseline square (same BSM, a new DLBM) on `date`; `flawed` dates it outside its year. */
export function changePackage(letter: string, dlbm: string, date: string, options: { note?: string } = {}): Promise<Buffer> {
  const index = 'ABCDEF'.indexOf(letter);
  const ring = rect((index % 3) * 100, Math.floor(index / 3) * 100, 100, 100);
  return packageOf([parcel(letter, dlbm, [ring], { BGQBSM: bsm(letter), BGRQ: date, BGLX: options.note ?? '地类变更' })], CHANGE_FIELDS);
}

/** A small real PDF (one blank page), different per call. */
export function pdfFile(title: string): Buffer {
  const body = `%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n% ${title} ${Math.random()}\ntrailer<</Root 1 0 R>>\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

export interface Decision {
  id: string;
  submissionId: string | null;
  districtCode: string | null;
  round: number | null;
  action: string;
  from: string;
  to: string;
  decidedBy: string;
  deciderName: string | null;
  deciderRole: string;
  organisationName: string | null;
  decidedAt: string;
  opinion: string | null;
  rectification: { requirement: string; findings?: number[] }[] | null;
  document: { number: string; date: string; issuer?: string } | null;
  attachments: { id: string; fileName: string; mediaType: string; sizeBytes: number; sha256: string }[];
}

export interface SubmissionRecord {
  submission: { id: string; state: string; round: number; correctsSubmissionId: string | null; districtCode: string };
  rounds: { id: string; state: string; round: number; correctsSubmissionId: string | null }[];
  decisions: Decision[];
  latestRun: { id: string; state: string; findings: number | null; blocking: number | null } | null;
  steps: { action: string; toState: string }[];
}

export interface SurveyRecord {
  surveyId: string;
  state: string;
  decisions: Decision[];
  publications: { id: string; districtCode: string | null; day: string; layers: string[]; withdrawnAt: string | null }[];
  steps: { action: string; toState: string }[];
}

export interface Lifecycle {
  test: TestApp;
  as: Record<Account, TestClient>;
  /** the demo accounts' ids and organisations, read from the database */
  users: Record<Account, { id: string; displayName: string; organisation: string | null }>;
  /** a request with no session */
  anonymous(url: string): Promise<LightMyRequestResponse>;
  /** creates a survey as `who` (admin unless a district operator creates its own) */
  createSurvey(input: { kind: string; scope?: 'city' | 'district'; districtCode?: string | null; year: number; timePoint?: string; title?: string; secrecy?: string }, who?: Account): Promise<string>;
  /** the whole-district rules off for a survey: the test packages cover six squares, not a district */
  relaxRules(surveyId: string): Promise<void>;
  upload(who: Account, surveyId: string, zip: Buffer, name: string): Promise<{ id: string; state: string; findings: { findingNo: number; ruleId: string; severity: string; bsm: string | null }[] }>;
  decide(who: Account, submissionId: string, action: string, body?: Record<string, unknown>): Promise<LightMyRequestResponse>;
  /** decide and expect 200 */
  decided(who: Account, submissionId: string, action: string, body?: Record<string, unknown>): Promise<{ state: string; decisionId: string | null }>;
  surveyStep(who: Account, surveyId: string, action: string, body?: Record<string, unknown>): Promise<LightMyRequestResponse>;
  surveyStepped(who: Account, surveyId: string, action: string, body?: Record<string, unknown>): Promise<{ state: string; decisionId: string | null; districtCode: string | null }>;
  attach(who: Account, title: string): Promise<{ id: string; sha256: string; sizeBytes: number; fileName: string }>;
  record(who: Account, submissionId: string): Promise<SubmissionRecord>;
  surveyRecord(who: Account, surveyId: string): Promise<SurveyRecord>;
  /** the audit entries about an object, oldest first, as the city administrator reads them */
  audit(objectId: string): Promise<{ action: string; actorUserId: string | null; actorRole: string; districtCode: string | null; detail: { from?: string; to?: string; decisionId?: string | null } }[]>;
  drop(): Promise<void>;
}

export async function openLifecycle(engine: EngineKind): Promise<Lifecycle> {
  const test = await openTestApp(engine, { ARCHIVE_DIR: tempDir('lsp-archive-') });
  const as = {} as Record<Account, TestClient>;
  for (const account of ACCOUNTS) {
    as[account] = new TestClient(test.app);
    const login = await as[account].login(account, DEMO_PASSWORD);
    expect(login.statusCode, login.body).toBe(200);
  }
  const rows = await test.db.kysely
    .selectFrom('users as u')
    .leftJoin('organisations as o', 'o.id', 'u.organisation_id')
    .select(['u.username', 'u.id', 'u.display_name', 'o.name as organisation'])
    .where('u.username', 'in', [...ACCOUNTS])
    .execute();
  const users = Object.fromEntries(rows.map((row) => [row.username, { id: row.id, displayName: row.display_name, organisation: row.organisation }])) as Lifecycle['users'];

  const lifecycle: Lifecycle = {
    test,
    as,
    users,
    anonymous: (url) => test.app.inject({ method: 'GET', url }),
    async createSurvey(input, who = 'admin') {
      const { scope = 'city', year } = input;
      const response = await as[who].post('/api/surveys', {
        kind: input.kind,
        scope,
        districtCode: input.districtCode ?? null,
        year,
        timePoint: input.timePoint ?? `${year}-12-31`,
        title: input.title ?? `${year} ${input.kind} ${scope} ${Math.random().toString(16).slice(2, 6)}`,
        ...(input.secrecy ? { secrecy: input.secrecy } : {}),
      });
      expect(response.statusCode, response.body).toBe(201);
      const id = response.json<{ id: string }>().id;
      await lifecycle.relaxRules(id);
      return id;
    },
    async relaxRules(surveyId) {
      for (const rule of ['TOPO_GAP', 'AREA_DISTRICT_TOTAL']) {
        const response = await as.admin.request('PUT', `/api/surveys/${surveyId}/quality-rules/${rule}`, { body: { enabled: false } });
        expect(response.statusCode, response.body).toBe(200);
      }
    },
    async upload(who, surveyId, zip, name) {
      const response = await as[who].upload(`/api/submissions?surveyId=${surveyId}`, name, zip);
      expect(response.statusCode, response.body).toBe(202);
      const id = response.json<{ id: string }>().id;
      await test.app.imports.idle();
      const run = (await as[who].get(`/api/submissions/${id}/quality`)).json<{ id: string; state: string }>();
      expect(run.state, JSON.stringify(run)).toBe('finished');
      const findings = (await as[who].get(`/api/quality-runs/${run.id}/findings?limit=100`)).json<{ findings: { findingNo: number; ruleId: string; severity: string; bsm: string | null }[] }>().findings;
      const state = (await as[who].get(`/api/submissions/${id}`)).json<{ state: string }>().state;
      return { id, state, findings };
    },
    decide: (who, submissionId, action, body = {}) => as[who].post(`/api/submissions/${submissionId}/decisions`, { action, ...body }),
    async decided(who, submissionId, action, body = {}) {
      const response = await lifecycle.decide(who, submissionId, action, body);
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    },
    surveyStep: (who, surveyId, action, body = {}) => as[who].post(`/api/surveys/${surveyId}/decisions`, { action, ...body }),
    async surveyStepped(who, surveyId, action, body = {}) {
      const response = await lifecycle.surveyStep(who, surveyId, action, body);
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    },
    async attach(who, title) {
      const content = pdfFile(title);
      const response = await as[who].upload('/api/attachments', `${title}.pdf`, content);
      expect(response.statusCode, response.body).toBe(201);
      const stored = response.json<{ id: string; sha256: string; sizeBytes: number; fileName: string; mediaType: string }>();
      // The archive keeps the file under the hash of exactly the bytes sent.
      expect(stored).toMatchObject({ sha256: createHash('sha256').update(content).digest('hex'), sizeBytes: content.length, mediaType: 'application/pdf' });
      return stored;
    },
    async record(who, submissionId) {
      const response = await as[who].get(`/api/submissions/${submissionId}/record`);
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    },
    async surveyRecord(who, surveyId) {
      const response = await as[who].get(`/api/surveys/${surveyId}/record`);
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    },
    async audit(objectId) {
      const response = await as.admin.get('/api/audit-log?limit=1000');
      expect(response.statusCode, response.body).toBe(200);
      return response.json<{ objectId: string | null }[]>().filter((entry) => entry.objectId === objectId).reverse() as never;
    },
    drop: () => test.drop(),
  };
  return lifecycle;
}

/** A decision as recorded: who, in which role and organisation, when, with what. */
export function expectDecision(
  lifecycle: Lifecycle,
  decision: Decision | undefined,
  expected: { action: string; from: string; to: string; by: Account; role: string; opinion?: string | null; round?: number | null; after?: Date },
): Decision {
  expect(decision, `a decision ${expected.action}`).toBeDefined();
  const user = lifecycle.users[expected.by];
  expect(decision).toMatchObject({
    action: expected.action,
    from: expected.from,
    to: expected.to,
    decidedBy: user.id,
    deciderName: user.displayName,
    deciderRole: expected.role,
    organisationName: user.organisation,
    ...(expected.opinion !== undefined ? { opinion: expected.opinion } : {}),
    ...(expected.round !== undefined ? { round: expected.round } : {}),
  });
  const at = new Date(decision!.decidedAt).getTime();
  expect(Number.isNaN(at)).toBe(false);
  expect(at).toBeLessThanOrEqual(Date.now() + 1000);
  if (expected.after) expect(at).toBeGreaterThanOrEqual(expected.after.getTime() - 1000);
  return decision!;
}

/** The audit log holds one entry per step taken by a user, naming its decision. */
export async function expectAudited(lifecycle: Lifecycle, objectId: string, steps: { action: string; by: Account; from: string; to: string; decisionId?: string | null }[]): Promise<void> {
  const entries = await lifecycle.audit(objectId);
  for (const step of steps) {
    const entry = entries.find((candidate) => candidate.action === step.action && candidate.detail.from === step.from && candidate.detail.to === step.to);
    expect(entry, `audit ${step.action} ${step.from}→${step.to} in ${JSON.stringify(entries.map((e) => e.action))}`).toBeDefined();
    expect(entry!.actorUserId).toBe(lifecycle.users[step.by].id);
    if (step.decisionId !== undefined) expect(entry!.detail.decisionId ?? null).toBe(step.decisionId);
  }
}

/**
 * 崇明's six squares as the applied baseline of the national survey (uploaded by 崇明, accepted
 * by the city auditor, applied by 崇明): the ground change and special packages change.
 */
export async function applyBaseline(lifecycle: Lifecycle, nationalSurveyId: string): Promise<string> {
  await lifecycle.relaxRules(nationalSurveyId);
  const baseline = await lifecycle.upload('chongming', nationalSurveyId, await packageOf(baselineRecords()), '崇明-三调基础.zip');
  expect(baseline.state, JSON.stringify(baseline.findings)).toBe('checked');
  await lifecycle.decided('auditor', baseline.id, 'accept', { opinion: '验收通过' });
  expect((await lifecycle.decided('chongming', baseline.id, 'apply')).state).toBe('applied');
  return baseline.id;
}

/**
 * A change package splitting square A on `date` into a 99 m strip of 水田 and a 1 m sliver of
 * 宅基地 (100 m², below the 200 m² minimum): area conserved, one TOPO_SLIVER warning for a
 * reviewer's 整改要求 to point at.
 */
export function sliverSplitPackage(date: string): Promise<Buffer> {
  const change = { BGQBSM: bsm('A'), BGRQ: date, BGLX: '图斑拆分' };
  return packageOf([parcel('G', '0101', [rect(0, 0, 100, 99)], change), parcel('H', '0702', [rect(0, 99, 100, 1)], change)], CHANGE_FIELDS);
}
