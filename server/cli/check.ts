// npm run check -- <submission id> [--json]
// Runs the quality rule set (质检) over an imported submission, as the platform does after every
// import, and prints the summary per rule.
import { runChecks, type CheckProgress } from '../modules/quality/engine.ts';
import { configOrExit, fail, openPlatformOrExit, parseCommandLine, reportRefusal } from './common.ts';

const USAGE = `usage: npm run check -- <submission id> [--json]`;

const { values, positionals } = parseCommandLine({ allowPositionals: true, options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } }, USAGE);
const submissionId = positionals[0];
if (!submissionId || !/^[0-9a-f-]{36}$/i.test(submissionId)) fail(USAGE);

const config = configOrExit();
const { db } = await openPlatformOrExit(config, 1);
const started = Date.now();
try {
  let last = '';
  const outcome = await runChecks(db, submissionId!, {
    startedBy: null,
    onProgress: (progress: CheckProgress) => {
      if (!values.json && progress.rule && progress.rule !== last) {
        last = progress.rule;
        process.stderr.write(`  ${String(progress.percent).padStart(3)}% ${progress.rule} ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      }
    },
  });
  const { summary, ...counts } = outcome;
  const seconds = (Date.now() - started) / 1000;
  const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
  if (values.json) {
    console.log(JSON.stringify({ ...counts, seconds, peakRssMb: peakMb, rules: summary }));
  } else {
    console.log(`质检完成 / checked: run ${outcome.runId} — ${outcome.state}, ${outcome.findings} findings, ${outcome.blocking} blocking, ${seconds.toFixed(1)} s, peak memory ${peakMb} MB`);
    for (const rule of summary) {
      if (rule.findings > 0 || rule.ms > 500) console.log(`  ${rule.ruleId.padEnd(32)} ${rule.severity.padEnd(7)} ${String(rule.findings).padStart(7)}  ${(rule.ms / 1000).toFixed(1).padStart(6)} s  ${rule.title.zh}`);
    }
  }
} catch (error) {
  reportRefusal(error);
} finally {
  await db.close();
}
