// Rule fixture folders (fixtures/quality/<RULE_ID>/, one per rule): in/ holds the package's layers as GeoJSON and
// case.json (which rules to run, with what parameters, and the findings a person expects); out/
// holds findings.json, what the engine found, written by `npm run fixtures:quality` and compared
// by test/db/quality-fixtures.test.ts on both engines. This is the runner both use: it imports the
// in/ files through the real import path and runs the named rules. A case with "baseline": true
// (the change-package cases, and a second baseline) first applies in/baseline/ as its district's
// national-survey parcels, then imports in/ as a package of the case's survey: each such case has
// a district of its own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig, REPO_ROOT } from '../../server/config.ts';
import { asSystem } from '../../server/db/context.ts';
import type { Database } from '../../server/db/engine.ts';
import { ImportQueue } from '../../server/modules/ingest/jobs.ts';
import { receivePackage } from '../../server/modules/ingest/upload.ts';
import { runChecks } from '../../server/modules/quality/engine.ts';
import { applySubmission } from '../../server/modules/versions/apply.ts';
import { acceptSubmission } from '../../server/modules/submissions/decide.ts';
import { cityAdminActor } from './data.ts';
import { listFindings, type FindingRow } from '../../server/modules/quality/repository.ts';
import type { RuleParams } from '../../server/modules/quality/rule.ts';
import { zipEntries } from './packages.ts';

export const QUALITY_FIXTURES = path.join(REPO_ROOT, 'fixtures', 'quality');

export interface ExpectedFinding {
  rule: string;
  bsm: string | null;
  otherBsm?: string | null;
}

export interface FixtureCase {
  description: string;
  district: string;
  rules: string[];
  params?: Record<string, RuleParams>;
  /** a change package: in/baseline/ is applied first as the district's national-survey parcels */
  baseline?: boolean;
  /** the city survey the package belongs to (default the national survey) */
  survey?: { kind: 'land_use_change' | 'cadastral_change' | 'special'; year: number };
  /** what a person expects: every finding is one of these, and each of these is found */
  expect: ExpectedFinding[];
}

/** A finding as out/findings.json keeps it: geometry reduced to its type and box (0.1 m). */
export interface FixtureFinding extends Omit<FindingRow, 'findingNo' | 'geometry' | 'bbox'> {
  geometryType: string | null;
  bbox: number[] | null;
}

export function fixtureCases(): string[] {
  return fs.existsSync(QUALITY_FIXTURES) ? fs.readdirSync(QUALITY_FIXTURES).filter((name) => fs.existsSync(path.join(QUALITY_FIXTURES, name, 'in', 'case.json'))).sort() : [];
}

export function readCase(name: string): FixtureCase {
  return JSON.parse(fs.readFileSync(path.join(QUALITY_FIXTURES, name, 'in', 'case.json'), 'utf8')) as FixtureCase;
}

export function readExpectedFindings(name: string): FixtureFinding[] {
  return JSON.parse(fs.readFileSync(path.join(QUALITY_FIXTURES, name, 'out', 'findings.json'), 'utf8')) as FixtureFinding[];
}

/** The in/ layers, zipped with a note naming the case (several rule folders share a package, and one database receives them all). */
function zipLayers(dir: string, name: string): Promise<Buffer> {
  const files = fs.readdirSync(dir).filter((file) => file.endsWith('.geojson')).sort();
  return zipEntries([...files.map((file) => ({ name: file, data: fs.readFileSync(path.join(dir, file)) })), { name: 'CASE.txt', data: name }]);
}

type Importer = { db: Database; ingest: ReturnType<typeof loadConfig>['ingest']; queue: ImportQueue };

/** Imports the layers of `dir` as a submission of the survey through the real upload path; returns its id. */
async function importLayers(context: Importer, dir: string, note: string, surveyId: string, districtCode: string): Promise<string> {
  const { db, ingest, queue } = context;
  const zip = await zipLayers(dir, note);
  const accepted = await receivePackage(
    db,
    ingest,
    queue,
    Readable.from([zip]),
    { surveyId, districtCode, fileName: `${note}.zip`, encoding: null, epsg: null, uploadedBy: null, surveyorId: null },
    (work) => asSystem(db, work),
  );
  const outcome = await accepted.outcome;
  if (outcome.error) throw new Error(`fixture ${note} did not import: ${outcome.error.code} ${outcome.error.en}`);
  return accepted.submissionId;
}

/** The city survey of the kind and year, created when missing. */
async function citySurvey(db: Database, kind: NonNullable<FixtureCase['survey']>['kind'], year: number): Promise<string> {
  return asSystem(db, async (tx) => {
    const existing = await tx.selectFrom('surveys').select('id').where('kind', '=', kind).where('year', '=', year).where('scope', '=', 'city').executeTakeFirst();
    if (existing) return existing.id;
    const row = { kind, scope: 'city' as const, district_code: null, year, time_point: `${year}-12-31`, title: `${year} ${kind} (fixtures)` };
    return (await tx.insertInto('surveys').values(row).returning('id').executeTakeFirstOrThrow()).id;
  });
}

/** Imports a case's in/ layers as a submission of its survey (after applying its baseline, if any) and runs its rules. */
export async function runFixtureCase(db: Database, name: string): Promise<FixtureFinding[]> {
  const fixture = readCase(name);
  const config = loadConfig({ LOG_LEVEL: 'silent', ARCHIVE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'lsp-qc-archive-')) });
  const context: Importer = { db, ingest: config.ingest, queue: new ImportQueue(db, config.ingest, { info: () => undefined, warn: () => undefined, error: () => undefined }) };
  const national = await db.kysely.selectFrom('surveys').select('id').where('kind', '=', 'national').orderBy('year').executeTakeFirstOrThrow();
  const dir = path.join(QUALITY_FIXTURES, name, 'in');
  if (fixture.baseline) {
    // A run of no rules finishes clean: the database lets the submission be accepted, then it applies.
    const baselineId = await importLayers(context, path.join(dir, 'baseline'), `${name}-baseline`, national.id, fixture.district);
    await runChecks(db, baselineId, { startedBy: null, only: [] });
    const admin = await cityAdminActor(db);
    await acceptSubmission(db, baselineId, admin);
    await applySubmission(db, baselineId, admin);
  }
  const surveyId = fixture.survey ? await citySurvey(db, fixture.survey.kind, fixture.survey.year) : national.id;
  const submissionId = await importLayers(context, dir, name, surveyId, fixture.district);
  const run = await runChecks(db, submissionId, { startedBy: null, only: fixture.rules, overrides: fixture.params ?? {} });
  const findings = await listFindings(db.kysely, run.runId, {}, { limit: 10_000, offset: 0 });
  const round = (value: number) => Math.round(value * 1e6) / 1e6;
  // GEOS words its own reasons differently from version to version (the server's 3.11, the
  // embedded engine's 3.14); the platform's classification (details.reasons, the message) is what counts.
  const stable = (details: Record<string, unknown> | null) => {
    if (!details || !('geosReason' in details)) return details;
    const { geosReason: _, ...rest } = details;
    return rest;
  };
  return findings.map((finding) => ({
    ruleId: finding.ruleId,
    severity: finding.severity,
    layer: finding.layer,
    recordNo: finding.recordNo,
    bsm: finding.bsm,
    otherBsm: finding.otherBsm,
    message: finding.message,
    details: stable(finding.details),
    geometryType: (finding.geometry as { type?: string } | null)?.type ?? null,
    bbox: finding.bbox ? finding.bbox.map(round) : null,
  }));
}
