// The demo's survey data: national-survey (三调) packages for 崇明区 and 浦东新区 made by the
// package generator and submitted through the real upload path (archive, inspect, import), as
// the district operators would. Runs in the background after the server listens, once: a
// district that already has a submission for the 2019 national survey (one not failed) is left alone.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { asSystem } from '../db/context.ts';
import { recordAudit } from '../modules/audit/repository.ts';
import { receivePackage } from '../modules/ingest/upload.ts';
import { generatePackage } from './generator/package.ts';

export interface DemoPackage {
  districtCode: string;
  /** the district operator who uploads it */
  operator: string;
  parcels: number;
  seed: number;
}

export const DEMO_PACKAGES: readonly DemoPackage[] = [
  { districtCode: '310151', operator: 'chongming', parcels: 4000, seed: 2019 },
  { districtCode: '310115', operator: 'pudong', parcels: 4000, seed: 2019 },
];

export interface DemoPackageResult {
  districtCode: string;
  submissionId: string | null;
  skipped: boolean;
}

export async function seedDemoPackages(app: FastifyInstance, packages: readonly DemoPackage[] = DEMO_PACKAGES): Promise<DemoPackageResult[]> {
  const { db, config } = app;
  const survey = await db.kysely.selectFrom('surveys').select('id').where('kind', '=', 'national').where('year', '=', 2019).executeTakeFirst();
  if (!survey) return [];
  const results: DemoPackageResult[] = [];
  for (const demo of packages) {
    // One that failed (an import interrupted by a stop, say) is submitted again.
    const existing = await db.kysely
      .selectFrom('submissions')
      .select('id')
      .where('survey_id', '=', survey.id)
      .where('district_code', '=', demo.districtCode)
      .where('state', 'not in', ['failed', 'superseded'])
      .executeTakeFirst();
    if (existing) {
      results.push({ districtCode: demo.districtCode, submissionId: existing.id, skipped: true });
      continue;
    }
    const operator = await db.kysely.selectFrom('users').select('id').where('username', '=', demo.operator).executeTakeFirst();
    const outDir = path.join(config.ingest.workDir, 'demo');
    const generated = await generatePackage({ districtCode: demo.districtCode, parcels: demo.parcels, seed: demo.seed, outDir });
    const accepted = await receivePackage(
      db,
      config.ingest,
      app.imports,
      fs.createReadStream(generated.zipPath),
      {
        surveyId: survey.id,
        districtCode: demo.districtCode,
        fileName: `${demo.districtCode}-2019-三调成果.zip`,
        encoding: null,
        epsg: null,
        uploadedBy: operator?.id ?? null,
        surveyorId: null,
      },
      (work) =>
        asSystem(db, async (tx) => {
          const id = await work(tx);
          await recordAudit(tx, null, { action: 'submission.uploaded', objectType: 'submission', objectId: id, districtCode: demo.districtCode, detail: { via: 'demo seed' } });
          return id;
        }),
    );
    fs.rmSync(generated.zipPath, { force: true });
    fs.rmSync(generated.manifestPath, { force: true });
    results.push({ districtCode: demo.districtCode, submissionId: accepted.submissionId, skipped: false });
  }
  return results;
}
