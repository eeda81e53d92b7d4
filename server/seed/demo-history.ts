// The demo's history: the 2019 national-survey packages of the demo districts accepted and applied
// as the baseline and 2019 frozen, then for 2020-2023 a change package per district (made by the
// change generator from the same baseline), uploaded, checked, accepted and applied as the city
// would, each year's survey closed and the year frozen at its 12月31日 snapshot. Freezing asks
// that every district with a baseline has an applied package or a declaration of no change for
// the year (migrations/0015): the districts with a baseline are the demo's, and each sends a
// change package every year, so the guard passes as it would for the city. Idempotent: what is
// done already is skipped, so a restart carries on where an interrupted seed stopped. What users did meanwhile (a second
// baseline uploaded, a package rejected) is no fault of the demo's: a refusal is reported in one
// line and the history stops there, with no stack trace.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { asSystem } from '../db/context.ts';
import { AppError } from '../errors.ts';
import type { Database } from '../db/engine.ts';
import { recordAudit } from '../modules/audit/repository.ts';
import type { SessionUser } from '../modules/auth/repository.ts';
import { receivePackage } from '../modules/ingest/upload.ts';
import { moveSurvey } from '../modules/submissions/lifecycle.ts';
import { applySubmission } from '../modules/versions/apply.ts';
import { acceptSubmission } from '../modules/submissions/decide.ts';
import { freezeYear } from '../modules/versions/snapshots.ts';
import { DEMO_PACKAGES, type DemoPackage } from './demo-packages.ts';
import { generateChangeSeries } from './generator/changes.ts';

export const DEMO_CHANGE_YEARS = [2020, 2021, 2022, 2023] as const;
/** The year the demo approves and publishes, so an anonymous visitor sees a published year. */
export const DEMO_PUBLISHED_YEAR = 2023;
/** Share of a district's parcels changed per demo year. */
const DEMO_CHANGE_FRACTION = 0.02;

interface Log {
  info(message: string): void;
}

async function cityAdmin(app: FastifyInstance): Promise<SessionUser> {
  const admin = await app.db.kysely.selectFrom('users').select(['id', 'username', 'display_name']).where('username', '=', 'admin').executeTakeFirstOrThrow();
  return { id: admin.id, username: admin.username, displayName: admin.display_name, role: 'city_admin', districtCode: null, districtName: null, organisationName: null };
}

async function surveyId(app: FastifyInstance, kind: 'national' | 'land_use_change', year: number): Promise<string> {
  const survey = await app.db.kysely.selectFrom('surveys').select('id').where('kind', '=', kind).where('year', '=', year).where('scope', '=', 'city').executeTakeFirstOrThrow();
  return survey.id;
}

/**
 * The district's submission of a survey that the history goes by: the applied one (a later upload,
 * say a user's second baseline, does not undo it), else the latest, if any.
 */
async function latestSubmission(app: FastifyInstance, survey: string, districtCode: string) {
  return app.db.kysely
    .selectFrom('submissions')
    .select(['id', 'state'])
    .where('survey_id', '=', survey)
    .where('district_code', '=', districtCode)
    .orderBy((eb) => eb.case().when('state', '=', 'applied').then(0).else(1).end())
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

/** The platform's refusal of a step (an AppError: something a user's data can cause), as one log line; anything else is thrown. */
async function refusal(step: () => Promise<unknown>): Promise<string | null> {
  try {
    await step();
    return null;
  } catch (error) {
    if (error instanceof AppError) return `${error.code}: ${error.en}`;
    throw error;
  }
}

/**
 * Accepts and applies a checked submission. Returns null when it is applied (now or before), else
 * why not: its state, or the platform's refusal.
 */
async function acceptAndApply(app: FastifyInstance, admin: SessionUser, submission: { id: string; state: string } | undefined): Promise<string | null> {
  if (!submission) return 'missing';
  if (submission.state === 'applied') return null;
  if (submission.state !== 'checked' && submission.state !== 'accepted') return submission.state;
  const refused = await refusal(async () => {
    if (submission.state === 'checked') await acceptSubmission(app.db, submission.id, admin, null);
    await applySubmission(app.db, submission.id, { id: admin.id, role: admin.role });
  });
  return refused ? `${submission.state}, not applied (${refused})` : null;
}

/** The first blocking findings of a submission's latest run, for the log. */
async function blockingSummary(app: FastifyInstance, submissionId: string): Promise<string> {
  const run = await app.db.kysely.selectFrom('qc_runs').select('id').where('submission_id', '=', submissionId).orderBy('started_at', 'desc').executeTakeFirst();
  if (!run) return '';
  const findings = await app.db.kysely.selectFrom('qc_findings').select(['rule_id', 'bsm', 'message_en']).where('run_id', '=', run.id).where('severity', '=', 'error').limit(5).execute();
  return findings.map((finding) => `\n  ${finding.rule_id} ${finding.bsm ?? ''} ${finding.message_en}`).join('');
}

/** Ends the collection of the city's surveys of a kind and year (before the year is frozen). */
export async function closeSurveys(db: Database, kind: 'national' | 'land_use_change', year: number, admin: SessionUser): Promise<void> {
  await asSystem(db, async (tx) => {
    const open = await tx.selectFrom('surveys').select(['id', 'state']).where('kind', '=', kind).where('year', '=', year).where('state', 'in', ['planned', 'collecting']).execute();
    for (const survey of open) await moveSurvey(tx, survey.id, 'close', admin, { detail: { kind, year } });
  });
}

async function frozen(app: FastifyInstance, year: number): Promise<boolean> {
  return Boolean(await app.db.kysely.selectFrom('snapshots').select('year').where('year', '=', year).executeTakeFirst());
}

export async function seedDemoHistory(app: FastifyInstance, log: Log, packages: readonly DemoPackage[] = DEMO_PACKAGES): Promise<void> {
  const admin = await cityAdmin(app);
  await app.imports.idle();
  const national = await surveyId(app, 'national', 2019);
  for (const demo of packages) {
    const notApplied = await acceptAndApply(app, admin, await latestSubmission(app, national, demo.districtCode));
    if (notApplied) {
      log.info(`demo history: the ${demo.districtCode} baseline is ${notApplied}; history not loaded`);
      return;
    }
  }
  if (!(await frozen(app, 2019))) {
    await closeSurveys(app.db, 'national', 2019, admin);
    const refused = await refusal(() => freezeYear(app.db, 2019, { id: admin.id, role: admin.role }));
    if (refused) return log.info(`demo history: 2019 was not frozen (${refused}); history not loaded`);
  }

  const outDir = path.join(app.config.ingest.workDir, 'demo-history');
  const series = new Map<string, Map<number, string>>();
  for (const year of DEMO_CHANGE_YEARS) {
    if (await frozen(app, year)) continue;
    const survey = await surveyId(app, 'land_use_change', year);
    for (const demo of packages) {
      let submission = await latestSubmission(app, survey, demo.districtCode);
      if (!submission || submission.state === 'superseded' || submission.state === 'failed') {
        if (!series.has(demo.districtCode)) {
          const manifests = await generateChangeSeries({ districtCode: demo.districtCode, parcels: demo.parcels, seed: demo.seed, years: [...DEMO_CHANGE_YEARS], fraction: DEMO_CHANGE_FRACTION, outDir });
          series.set(demo.districtCode, new Map(manifests.map((manifest) => [manifest.year, manifest.zipPath])));
        }
        const zipPath = series.get(demo.districtCode)!.get(year)!;
        const operator = await app.db.kysely.selectFrom('users').select('id').where('username', '=', demo.operator).executeTakeFirst();
        const received = await receivePackage(
          app.db,
          app.config.ingest,
          app.imports,
          fs.createReadStream(zipPath),
          { surveyId: survey, districtCode: demo.districtCode, fileName: `${demo.districtCode}-${year}-变更调查成果.zip`, encoding: null, epsg: null, uploadedBy: operator?.id ?? null, surveyorId: null },
          (work) => asSystem(app.db, work),
        );
        await received.outcome;
        await app.imports.idle();
        submission = await latestSubmission(app, survey, demo.districtCode);
      }
      const notApplied = await acceptAndApply(app, admin, submission);
      if (notApplied) {
        log.info(`demo history: the ${demo.districtCode} ${year} change package is ${notApplied}; stopping at ${year}${submission ? await blockingSummary(app, submission.id) : ''}`);
        return;
      }
    }
    await closeSurveys(app.db, 'land_use_change', year, admin);
    const refused = await refusal(() => freezeYear(app.db, year, { id: admin.id, role: admin.role }));
    if (refused) return log.info(`demo history: ${year} was not frozen (${refused}); stopping at ${year}`);
    log.info(`demo history: ${year} applied and frozen`);
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  await publishDemoYear(app, admin, log);
}

/** Approves the published year's survey (市政府批准, a demo document) and publishes it, as the city would after freezing. */
async function publishDemoYear(app: FastifyInstance, admin: SessionUser, log: Log): Promise<void> {
  const refused = await refusal(() =>
    asSystem(app.db, async (tx) => {
      const survey = await tx
        .selectFrom('surveys')
        .select(['id', 'state'])
        .where('kind', '=', 'land_use_change')
        .where('year', '=', DEMO_PUBLISHED_YEAR)
        .where('scope', '=', 'city')
        .executeTakeFirstOrThrow();
      if (survey.state === 'closed') {
        await moveSurvey(tx, survey.id, 'approve', admin, {
          opinion: '同意该年度土地变更调查成果（演示）',
          document: { number: `沪府土调〔${DEMO_PUBLISHED_YEAR + 1}〕1号（演示）`, date: `${DEMO_PUBLISHED_YEAR + 1}-03-31`, issuer: '上海市人民政府（演示）' },
        });
        survey.state = 'approved';
      }
      if (survey.state === 'approved') await moveSurvey(tx, survey.id, 'publish', admin, { opinion: '公布年度土地变更调查主要数据与图斑（演示）' });
    }),
  );
  if (refused) log.info(`demo history: ${DEMO_PUBLISHED_YEAR} was not published (${refused})`);
}
