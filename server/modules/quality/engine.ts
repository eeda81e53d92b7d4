// One run of the rule set over a submission's staged layers: screen geometry once, evaluate all
// row rules of a layer in one scan, run the set rules, then store the summary and move the
// submission to 'checked' or 'rejected' (blocking findings) in one transaction. A run that fails
// leaves no findings behind and the submission as it was.
import { moveSubmission } from '../submissions/lifecycle.ts';
import type { Database, ScriptExec } from '../../db/engine.ts';
import { AppError, commonErrors, THINGS } from '../../errors.ts';
import { CHECKABLE_STATES, qualityErrors, ruleStep, type CheckStep } from './errors.ts';
import type { ImportReport } from '../ingest/importer.ts';
import { CHANGE_FIELDS, CHECKED_LAYERS, deliveredKind, describesParcel, type ChangeScope, type CheckedLayer, type ImportedLayerFacts, type LayerTable, type PackageKinds, type RowRule, type RuleParams, type ScratchTables, type SetRuleContext, type Severity } from './rule.ts';
import { pointOf, text } from './rules/sql.ts';
import { effectiveRules, type EffectiveRule } from './settings.ts';
import { createScratch, dropScratch, withoutJit } from './scratch.ts';

export interface CheckProgress {
  stage: 'checking';
  rule: string | null;
  rulesDone: number;
  rulesTotal: number;
  percent: number;
}

export interface RunSummaryEntry {
  ruleId: string;
  category: string;
  severity: Severity;
  title: { zh: string; en: string };
  findings: number;
  ms: number;
}

export interface RunOutcome {
  runId: string;
  findings: number;
  blocking: number;
  state: 'checked' | 'rejected';
  summary: RunSummaryEntry[];
}

export interface RunOptions {
  startedBy: string | null;
  onProgress?: (progress: CheckProgress) => void;
  /** run only these rules (the fixture tests, a CLI user chasing one rule) */
  only?: readonly string[];
  /** parameter overrides on top of the survey's settings, by rule id */
  overrides?: Record<string, RuleParams>;
}

/** QC_TRACE=1 prints each finding statement's time on stderr; QC_TRACE=sql its SQL too (benchmarking). */
const TRACE = process.env.QC_TRACE;

const FINDING_INSERT_COLUMNS = 'district_code, run_id, finding_no, rule_id, severity, layer, record_no, bsm, other_bsm, message_zh, message_en, details, geom';

interface SubmissionFacts {
  id: string;
  district_code: string;
  survey_id: string;
  state: string;
  report: ImportReport | null;
  /** null for a baseline (national survey) package */
  change: ChangeScope | null;
}

export async function runChecks(db: Database, submissionId: string, options: RunOptions): Promise<RunOutcome> {
  const submission = await loadSubmission(db, submissionId);
  const imported = importedFacts(submission.report);
  const kinds: PackageKinds = { survey: submission.change ? 'change' : 'baseline', delivered: deliveredKind(imported) };
  // A package of the wrong kind for its survey (a baseline under a change survey, or the reverse)
  // is told so by one finding (PKG_KIND_MATCHES_SURVEY); the rules of either kind would only
  // bury it (every record of a baseline lacks its change date), so only the rules common to
  // both kinds run.
  const runsFor = kinds.survey === kinds.delivered ? [kinds.survey] : [];
  const rules = (await effectiveRules(db.kysely, submission.survey_id))
    .filter((item) => !item.rule.packages || item.rule.packages.some((kind) => runsFor.includes(kind)))
    .filter((item) => (options.only ? options.only.includes(item.rule.id) : item.enabled))
    .map((item) => (options.overrides?.[item.rule.id] ? { ...item, params: { ...item.params, ...options.overrides[item.rule.id] } } : item));
  const runId = await startRun(db, submission, rules, options.startedBy);
  const layers = presentLayers(submission.report);
  let scratch: ScratchTables | null = null;
  try {
    const screening = Date.now();
    const screeningStep: CheckStep = { ruleId: null, ruleIds: rules.map((item) => item.rule.id), zh: '几何筛查（各规则共用）', en: 'The geometry screening (shared by the rules)' };
    const tables = await namedFailure(screeningStep, () => createScratch(db, runId, submissionId, layers, imported, submission.change !== null));
    scratch = tables;
    if (TRACE) process.stderr.write(`[qc] geometry screening and twins: ${((Date.now() - screening) / 1000).toFixed(2)} s\n`);
    const summary: RunSummaryEntry[] = [];
    const counter = { next: 1 };
    const rowRules = rules.filter((item) => item.rule.kind === 'row');
    const setRules = rules.filter((item) => item.rule.kind === 'set');
    const total = rules.length;
    const progress = (rule: string | null, done: number) =>
      options.onProgress?.({ stage: 'checking', rule, rulesDone: done, rulesTotal: total, percent: total ? Math.floor((100 * done) / total) : 100 });
    progress(rowRules.length ? 'row rules' : null, 0);
    const started = Date.now();
    const rowCounts = new Map<string, number>();
    for (const layer of layers) {
      const applicable = rowRules.filter((item) => (item.rule as RowRule).layers.includes(layer));
      const step: CheckStep = { ruleId: null, ruleIds: applicable.map((item) => item.rule.id), zh: `${layer} 图层的逐条规则`, en: `The row rules of layer ${layer}` };
      const counts = await namedFailure(step, () => runRowRules(db, { runId, submission, layer: CHECKED_LAYERS[layer], rules: applicable, scratch: tables, counter, facts: imported.get(layer), step }));
      for (const [id, n] of counts) rowCounts.set(id, (rowCounts.get(id) ?? 0) + n);
    }
    // Row rules share their scans: each is credited an equal share of the time.
    const rowMs = Date.now() - started;
    for (const item of rowRules) summary.push(entry(item, rowCounts.get(item.rule.id) ?? 0, Math.round(rowMs / Math.max(1, rowRules.length))));
    let done = rowRules.length;
    for (const item of setRules) {
      progress(item.rule.id, done);
      const ruleStarted = Date.now();
      const n = await namedFailure(ruleStep(item.rule.id), () => runSetRule(db, { runId, submission, item, layers, scratch: tables, counter, imported, kinds }));
      summary.push(entry(item, n, Date.now() - ruleStarted));
      done++;
    }
    progress(null, total);
    return await finishRun(db, submission, runId, summary);
  } catch (error) {
    await failRun(db, submission, runId, error).catch(() => undefined);
    throw error;
  } finally {
    if (scratch) await dropScratch(db, scratch).catch(() => undefined);
  }
}

/** Runs a step of the run; a failure that is not already one of ours is named after the step. */
async function namedFailure<T>(step: CheckStep, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof AppError ? error : qualityErrors.engineFailed(step, error instanceof Error ? error.message : String(error));
  }
}

function entry(item: EffectiveRule, findings: number, ms: number): RunSummaryEntry {
  return { ruleId: item.rule.id, category: item.rule.category, severity: item.severity, title: item.rule.title, findings, ms };
}

async function loadSubmission(db: Database, submissionId: string): Promise<SubmissionFacts> {
  const [row] = await db.scriptTransaction((exec) =>
    exec(
      `SELECT s.id, s.district_code, s.survey_id, s.state::text AS state, s.report, v.kind::text AS survey_kind, v.year,
              to_char(frozen_through(), 'YYYY-MM-DD') AS frozen_through
         FROM submissions s JOIN surveys v ON v.id = s.survey_id WHERE s.id = $1`,
      [submissionId],
    ),
  );
  if (!row) throw commonErrors.notFound(THINGS.submission, submissionId);
  const kind = String(row.survey_kind);
  const facts: SubmissionFacts = {
    id: String(row.id),
    district_code: String(row.district_code),
    survey_id: String(row.survey_id),
    state: String(row.state),
    report: (row.report ?? null) as ImportReport | null,
    change: kind === 'national' ? null : { surveyKind: kind as ChangeScope['surveyKind'], year: Number(row.year), frozenThrough: (row.frozen_through as string | null) ?? null },
  };
  // 'checking' too: the run after an import finds the submission as the import left it, and a
  // run the start-up sweep has not yet cleared may be repeated.
  if (!CHECKABLE_STATES.includes(facts.state) && facts.state !== 'checking') throw qualityErrors.notImported(facts.state);
  return facts;
}

/** The checked layers the package holds. */
function presentLayers(report: ImportReport | null): CheckedLayer[] {
  const codes = new Set((report?.layers ?? []).map((layer) => layer.code));
  return (Object.keys(CHECKED_LAYERS) as CheckedLayer[]).filter((code) => codes.has(code));
}

function importedFacts(report: ImportReport | null): Map<CheckedLayer, ImportedLayerFacts> {
  const facts = new Map<CheckedLayer, ImportedLayerFacts>();
  for (const layer of report?.layers ?? []) {
    if (layer.code in CHECKED_LAYERS) {
      facts.set(layer.code as CheckedLayer, {
        missingFields: layer.missingFields,
        missingMandatoryFields: layer.missingMandatoryFields,
        srid: layer.crs.epsg,
        validityAsDelivered: layer.validityAsDelivered === true,
        changeFields: (layer.unknownFields ?? []).map((field) => field.toUpperCase()).filter((field) => CHANGE_FIELDS.includes(field)),
      });
    }
  }
  return facts;
}

async function startRun(db: Database, submission: SubmissionFacts, rules: EffectiveRule[], startedBy: string | null): Promise<string> {
  return db.systemTransaction(async (tx) => {
    const [run] = await tx.exec(
      `INSERT INTO qc_runs (district_code, submission_id, started_by, rules) VALUES ($1, $2, $3, $4::jsonb) RETURNING id`,
      [submission.district_code, submission.id, startedBy, JSON.stringify(rules.map((item) => ({ id: item.rule.id, severity: item.severity, params: item.params })))],
    );
    // A run repeated after an interrupted one finds the submission checking already.
    const current = await tx.selectFrom('submissions').select('state').where('district_code', '=', submission.district_code).where('id', '=', submission.id).executeTakeFirst();
    if (current?.state !== 'checking') await moveSubmission(tx, submission.id, 'check_start', 'platform');
    return String(run!.id);
  });
}

interface Counter {
  next: number;
}

/**
 * Stores what `select` found. `fixed` gives the rule and severity of a set rule's statement; a row
 * statement selects them itself as its first two columns.
 *
 * The rows are gathered with CREATE TABLE AS, which PostgreSQL may run as a parallel plan (an
 * INSERT with the query in a CTE may not), then moved into qc_findings. A sentinel row is
 * appended after them: the embedded engine ends a statement whose GEOS call failed without
 * raising, and a statement that never reached its sentinel must fail the run, never pass it as
 * "no findings".
 */
async function storeFindings(
  exec: ScriptExec,
  run: { runId: string; districtCode: string; counter: Counter; step: CheckStep },
  select: string,
  params: unknown[],
  fixed: { ruleId: string; severity: Severity } | null,
): Promise<Map<string, number>> {
  const head = fixed ? `${text(fixed.ruleId)}::text, ${text(fixed.severity)}::qc_severity, f.*` : `f.*`;
  await exec(`DROP TABLE IF EXISTS qc_found`);
  const started = Date.now();
  await exec(
    `CREATE TEMP TABLE qc_found (rule_id, severity, layer, record_no, bsm, other_bsm, message_zh, message_en, details, geom, sentinel) AS
       SELECT ${head}, false FROM (${select}) f
       UNION ALL
       SELECT NULL::text, NULL::qc_severity, NULL::text, NULL::int, NULL::text, NULL::text, NULL::text, NULL::text, NULL::jsonb, NULL::geometry, true`,
    params,
  );
  const rows = await exec(
    `WITH numbered AS (SELECT row_number() OVER () AS k, f.* FROM qc_found f WHERE NOT f.sentinel),
          stored AS (INSERT INTO qc_findings (${FINDING_INSERT_COLUMNS})
                     SELECT $1, $2::uuid, $3::int + k::int - 1, rule_id, severity, layer, record_no, bsm, other_bsm, message_zh, message_en, details, geom
                       FROM numbered RETURNING rule_id)
     SELECT (SELECT count(*) FROM qc_found WHERE sentinel)::int AS sentinels, (SELECT count(*) FROM stored)::int AS total,
            (SELECT coalesce(jsonb_object_agg(rule_id, n), '{}'::jsonb) FROM (SELECT rule_id, count(*) AS n FROM stored GROUP BY rule_id) c) AS per_rule`,
    [run.districtCode, run.runId, run.counter.next],
  );
  await exec(`DROP TABLE qc_found`);
  if (TRACE) process.stderr.write(`[qc] ${run.step.en}: ${((Date.now() - started) / 1000).toFixed(2)} s\n${TRACE === 'sql' ? `${select}\n` : ''}`);
  if (rows.length !== 1 || Number(rows[0]!.sentinels) !== 1) throw qualityErrors.engineFailed(run.step, 'the statement ended early (a geometry operation failed)');
  run.counter.next += Number(rows[0]!.total);
  return new Map(Object.entries(rows[0]!.per_rule as Record<string, number>).map(([id, n]) => [id, Number(n)]));
}

interface RowRun {
  runId: string;
  submission: SubmissionFacts;
  layer: LayerTable;
  rules: EffectiveRule[];
  scratch: ScratchTables;
  counter: Counter;
  facts: ImportedLayerFacts | undefined;
  step: CheckStep;
}

/** Every row rule of one layer in one scan of its staging partition. */
async function runRowRules(db: Database, run: RowRun): Promise<Map<string, number>> {
  const applicable = run.rules;
  if (applicable.length === 0) return new Map();
  return db.scriptTransaction(async (exec) => {
    await withoutJit(exec);
    const codeLists = await loadCodeLists(exec);
    const faulty = (run.scratch.faultCounts.get(run.layer.code) ?? 0) > 0;
    const missing = new Set((run.facts?.missingFields ?? []).map((field) => field.toUpperCase()));
    const branches: string[] = [];
    const conditions: string[] = [];
    for (const item of applicable) {
      const piece = (item.rule as RowRule).sql({
        layer: run.layer,
        params: item.params,
        districtCode: run.submission.district_code,
        missingFields: missing,
        codeList: (list) => {
          const codes = codeLists.get(list);
          if (!codes) throw qualityErrors.engineFailed(ruleStep(item.rule.id), `no code list ${list}`);
          return `${text(JSON.stringify(Object.fromEntries(codes)))}::jsonb`;
        },
        geometryUsable: `s.qc_usable`,
      });
      if (!piece) continue;
      conditions.push(`(${piece.when})`);
      branches.push(`SELECT ${text(item.rule.id)}::text AS rule_id, ${text(item.severity)}::qc_severity AS severity, ${text(run.layer.code)}::text AS layer,
                            s.record_no, s.bsm::text, NULL::text AS other_bsm, (${piece.zh})::text, (${piece.en})::text,
                            (${piece.details ?? 'NULL'})::jsonb, (${piece.geom ?? pointOf('s')})::geometry
                      WHERE ${piece.when}`);
    }
    if (branches.length === 0) return new Map();
    // The scan keeps only records that break some rule (all conditions OR-ed, evaluated in the
    // scan itself); the per-rule branches, with their messages, run for those alone.
    const usable = faulty ? `(s.geom IS NOT NULL AND fault.record_no IS NULL)` : `(s.geom IS NOT NULL)`;
    const select = `SELECT v.* FROM (
          SELECT * FROM (
            SELECT s.*, ${usable} AS qc_usable FROM ${run.layer.table} s
            ${faulty ? `LEFT JOIN ${run.scratch.faults} fault ON fault.layer = ${text(run.layer.code)} AND fault.record_no = s.record_no` : ''}
            WHERE s.submission_id = $1 AND ${describesParcel('s', run.submission.change !== null)}) s
          WHERE ${conditions.join(' OR ')} OFFSET 0) s
        CROSS JOIN LATERAL (${branches.join(' UNION ALL ')}) v`;
    return storeFindings(exec, { runId: run.runId, districtCode: run.submission.district_code, counter: run.counter, step: run.step }, select, [run.submission.id], null);
  });
}

async function loadCodeLists(exec: ScriptExec): Promise<Map<string, Map<string, string>>> {
  const rows = await exec(`SELECT list, code, name FROM code_lists ORDER BY list, sort_order`);
  const lists = new Map<string, Map<string, string>>();
  for (const row of rows) {
    const list = String(row.list);
    if (!lists.has(list)) lists.set(list, new Map());
    lists.get(list)!.set(String(row.code), String(row.name));
  }
  return lists;
}

interface SetRun {
  runId: string;
  submission: SubmissionFacts;
  item: EffectiveRule;
  layers: CheckedLayer[];
  scratch: ScratchTables;
  counter: Counter;
  imported: ReadonlyMap<CheckedLayer, ImportedLayerFacts>;
  kinds: PackageKinds;
}

async function runSetRule(db: Database, run: SetRun): Promise<number> {
  const { rule } = run.item;
  if (rule.kind !== 'set') return 0;
  const layers = run.layers.filter((code) => rule.layers.includes(code)).map((code) => CHECKED_LAYERS[code]);
  if (layers.length === 0) return 0;
  return db.scriptTransaction(async (exec) => {
    await withoutJit(exec);
    let found = 0;
    const context: SetRuleContext = {
      exec,
      params: run.item.params,
      runId: run.runId,
      submissionId: run.submission.id,
      districtCode: run.submission.district_code,
      layers,
      scratch: run.scratch,
      imported: run.imported,
      change: run.submission.change,
      kinds: run.kinds,
      async insertFindings(select, params = []) {
        const counts = await storeFindings(exec, { runId: run.runId, districtCode: run.submission.district_code, counter: run.counter, step: ruleStep(rule.id) }, select, params, { ruleId: rule.id, severity: run.item.severity });
        const n = counts.get(rule.id) ?? 0;
        found += n;
        return n;
      },
    };
    await rule.run(context);
    return found;
  });
}

async function finishRun(db: Database, submission: SubmissionFacts, runId: string, summary: RunSummaryEntry[]): Promise<RunOutcome> {
  return db.systemTransaction(async (tx) => {
    const exec = tx.exec;
    const [counts] = await exec(
      `SELECT count(*)::int AS findings, (count(*) FILTER (WHERE severity = 'error'))::int AS blocking FROM qc_findings WHERE district_code = $1 AND run_id = $2`,
      [submission.district_code, runId],
    );
    const findings = Number(counts!.findings);
    const blocking = Number(counts!.blocking);
    const state = blocking > 0 ? 'rejected' : 'checked';
    await exec(
      `UPDATE qc_runs SET state = 'finished', finished_at = clock_timestamp(), summary = $3::jsonb, findings = $4, blocking = $5
        WHERE district_code = $1 AND id = $2`,
      [submission.district_code, runId, JSON.stringify(summary), findings, blocking],
    );
    await moveSubmission(tx, submission.id, blocking > 0 ? 'check_block' : 'check_pass', 'platform');
    return { runId, findings, blocking, state, summary };
  });
}

async function failRun(db: Database, submission: SubmissionFacts, runId: string, error: unknown): Promise<void> {
  const appError = error instanceof AppError ? error : qualityErrors.engineFailed({ ruleId: null, zh: '质检', en: 'The check' }, error instanceof Error ? error.message : String(error));
  await db.systemTransaction(async (tx) => {
    const exec = tx.exec;
    await exec(`DELETE FROM qc_findings WHERE district_code = $1 AND run_id = $2`, [submission.district_code, runId]);
    await exec(
      `UPDATE qc_runs SET state = 'failed', finished_at = clock_timestamp(),
              error = jsonb_build_object('code', $3::text, 'message', jsonb_build_object('zh', $4::text, 'en', $5::text), 'details', $6::jsonb)
        WHERE district_code = $1 AND id = $2`,
      [submission.district_code, runId, appError.code, appError.zh, appError.en, JSON.stringify(appError.details ?? {})],
    );
    // The submission goes back to where it was before the run: imported (its earlier verdicts no longer stand).
    const current = await tx.selectFrom('submissions').select('state').where('district_code', '=', submission.district_code).where('id', '=', submission.id).executeTakeFirst();
    if (current?.state === 'checking') await moveSubmission(tx, submission.id, 'check_abort', 'platform');
  });
}
