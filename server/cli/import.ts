// npm run import -- <package> --survey <uuid | kind:year> --district <code>
//                   [--encoding gbk] [--epsg 4528] [--json] [--progress-lines]
// Bulk-loads a survey package from disk through the same path as an upload (archive, inspect,
// record the submission, import), with a progress bar on stderr and a summary on stdout.
import fs from 'node:fs';
import path from 'node:path';
import { asSystem } from '../db/context.ts';
import { configOrExit, fail, openPlatformOrExit, parseCommandLine, reportRefusal } from './common.ts';
import { recordAudit } from '../modules/audit/repository.ts';
import { DOCUMENT_CATEGORY_NAMES } from '../modules/ingest/documents.ts';
import type { ImportProgress } from '../modules/ingest/importer.ts';
import { ImportQueue } from '../modules/ingest/jobs.ts';
import { receivePackage } from '../modules/ingest/upload.ts';
import { seedDemo } from '../seed/demo.ts';
import { checksAfterImport } from '../modules/quality/service.ts';

const USAGE = `usage: npm run import -- <package.zip|.gpkg|.geojson> --survey <uuid | kind:year, e.g. national:2019> --district <6-digit code>
                      [--encoding gbk|utf-8|…] [--epsg 4528] [--json] [--progress-lines] [--no-check]
--progress-lines prints every progress event as one JSON line on stderr (for scripts) instead of a bar
--no-check leaves the quality checks (质检) for later (npm run check -- <submission id>)`;

const { values, positionals } = parseCommandLine(
  {
    allowPositionals: true,
    options: {
      survey: { type: 'string' },
      district: { type: 'string' },
      encoding: { type: 'string' },
      epsg: { type: 'string' },
      json: { type: 'boolean', default: false },
      'progress-lines': { type: 'boolean', default: false },
      'no-check': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  },
  USAGE,
);
const file = positionals[0];
if (!file || !values.survey || !values.district) fail(USAGE);
if (!fs.existsSync(file)) fail(`文件不存在 / no such file: ${file}`);
if (values.epsg !== undefined && !/^\d+$/.test(values.epsg)) fail(`--epsg must be a number, got ${values.epsg}`);

const started = Date.now();
const config = configOrExit();
const { db } = await openPlatformOrExit(config, 1);
// The same database state `npm start` would serve (demo surveys and accounts unless SEED_DEMO=false).
if (config.seedDemo) await seedDemo(db);

function bar(progress: ImportProgress): string {
  const width = 30;
  const filled = Math.round((progress.percent / 100) * width);
  const counts = progress.recordsTotal ? `${progress.recordsRead.toLocaleString('en')}/${progress.recordsTotal.toLocaleString('en')}` : progress.recordsRead.toLocaleString('en');
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(progress.percent).padStart(3)}% ${progress.stage} ${progress.layer ?? ''} ${counts} records ${((Date.now() - started) / 1000).toFixed(1)} s`;
}

try {
  const surveyId = await resolveSurvey(values.survey!);
  const quietLog = { info: () => undefined, warn: (o: unknown) => console.error(o), error: (o: unknown) => console.error(o) };
  const queue = new ImportQueue(db, config.ingest, quietLog);
  // As the platform does: every imported package is checked (质检) at once, unless --no-check.
  if (!values['no-check']) queue.setAfterImport(checksAfterImport(db));
  const interactive = process.stderr.isTTY;
  let lastLine = 0;
  let lastStage = '';
  const accepted = await receivePackage(
    db,
    config.ingest,
    queue,
    fs.createReadStream(file),
    {
      surveyId,
      districtCode: values.district!,
      fileName: path.basename(file),
      encoding: values.encoding ?? null,
      epsg: values.epsg ? Number(values.epsg) : null,
      uploadedBy: null,
      surveyorId: null,
    },
    (work) =>
      asSystem(db, async (tx) => {
        const id = await work(tx);
        await recordAudit(tx, null, { action: 'submission.uploaded', objectType: 'submission', objectId: id, districtCode: values.district!, detail: { via: 'cli', file: path.basename(file) } });
        return id;
      }),
  );
  const archivedAt = Date.now();
  if (values['progress-lines']) {
    // Progress events as they happen, for scripts that follow an import.
    const follow = () => {
      const progress = queue.progress(accepted.submissionId);
      if (progress) process.stderr.write(`${JSON.stringify(progress)}\n`);
    };
    const events = setInterval(follow, 50);
    void accepted.outcome.finally(() => clearInterval(events));
  }
  // The queue reports progress through its registry; the bar polls it.
  const timer = setInterval(() => {
    const progress = queue.progress(accepted.submissionId);
    if (!progress || values['progress-lines']) return;
    if (interactive) process.stderr.write(`\r${bar(progress)}\x1b[K`);
    else if (Date.now() - lastLine > 5000 || progress.stage !== lastStage) {
      lastLine = Date.now();
      lastStage = progress.stage;
      process.stderr.write(`${bar(progress)}\n`);
    }
  }, 200);
  const outcome = await accepted.outcome;
  clearInterval(timer);
  if (interactive) process.stderr.write('\n');
  const seconds = (Date.now() - started) / 1000;
  const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
  if (outcome.error) {
    const body = { submissionId: accepted.submissionId, error: { code: outcome.error.code, zh: outcome.error.zh, en: outcome.error.en, details: outcome.error.details } };
    console.log(values.json ? JSON.stringify(body) : `导入失败 / import failed (${outcome.error.code})\n  ${outcome.error.zh}\n  ${outcome.error.en}`);
    process.exitCode = 1;
  } else if (values.json) {
    console.log(JSON.stringify({ submissionId: accepted.submissionId, sha256: accepted.sha256, seconds, archiveSeconds: (archivedAt - started) / 1000, peakRssMb: peakMb, report: outcome.report }));
  } else {
    const report = outcome.report!;
    console.log(`导入完成 / imported: submission ${accepted.submissionId}`);
    for (const layer of report.layers) {
      console.log(`  ${layer.code.padEnd(9)} ${String(layer.records).padStart(9)} records  ${layer.file}  EPSG:${layer.crs.epsg} (${layer.crs.source})  ${layer.encoding ? `${layer.encoding.name} (${layer.encoding.source})` : ''}`);
      if (layer.unknownFields.length) console.log(`            unknown fields: ${layer.unknownFields.join(', ')}`);
      if (layer.missingFields.length) console.log(`            missing fields: ${layer.missingFields.join(', ')}`);
      for (const warning of layer.warnings) console.log(`            ! ${warning}`);
    }
    for (const layer of report.unknownLayers) console.log(`  unknown layer: ${layer.file}`);
    for (const document of report.documents ?? []) console.log(`  document (${DOCUMENT_CATEGORY_NAMES[document.category]}): ${document.path}`);
    for (const ignored of report.ignoredFiles) console.log(`  unused file: ${ignored}`);
    console.log(`  ${report.records} records in ${seconds.toFixed(1)} s, peak memory ${peakMb} MB, sha256 ${accepted.sha256}`);
  }
} catch (error) {
  reportRefusal(error);
} finally {
  await db.close();
}

async function resolveSurvey(reference: string): Promise<string> {
  if (/^[0-9a-f-]{36}$/i.test(reference)) return reference;
  const match = /^(national|land_use_change|cadastral_change|special):(\d{4})$/.exec(reference);
  if (!match) fail(`--survey must be a uuid or kind:year (e.g. national:2019), got ${reference}`);
  const row = await db.kysely
    .selectFrom('surveys')
    .select('id')
    .where('kind', '=', match[1] as 'national')
    .where('year', '=', Number(match[2]))
    .orderBy('created_at')
    .executeTakeFirst();
  if (!row) fail(`no ${match[1]} survey for ${match[2]}`);
  return row.id;
}
