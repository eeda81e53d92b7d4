// Running the checks as the platform does: after every import (in the import queue), or when a
// city or district user asks for a new run; audited either way. A package that imports replaces
// the same district's earlier packages of the survey that were never accepted (superseded).
import { moveSubmission } from '../submissions/lifecycle.ts';
import { asSystem } from '../../db/context.ts';
import type { Database } from '../../db/engine.ts';
import { recordAudit } from '../audit/repository.ts';
import type { ImportProgress } from '../ingest/importer.ts';
import { runChecks, type RunOutcome } from './engine.ts';

export async function checkSubmission(
  db: Database,
  submissionId: string,
  startedBy: { id: string; role: string } | null,
  onProgress: (progress: ImportProgress) => void,
): Promise<RunOutcome> {
  const started = Date.now();
  const outcome = await runChecks(db, submissionId, {
    startedBy: startedBy?.id ?? null,
    onProgress: (progress) =>
      onProgress({ stage: 'checking', layer: progress.rule, recordsRead: progress.rulesDone, recordsTotal: progress.rulesTotal, percent: progress.percent }),
  });
  onProgress({ stage: 'done', layer: null, recordsRead: 0, recordsTotal: null, percent: 100 });
  await asSystem(db, async (tx) => {
    const submission = await tx.selectFrom('submissions').select(['district_code']).where('id', '=', submissionId).executeTakeFirstOrThrow();
    await recordAudit(tx, null, {
      action: 'submission.checked',
      objectType: 'submission',
      objectId: submissionId,
      districtCode: submission.district_code,
      detail: { runId: outcome.runId, state: outcome.state, findings: outcome.findings, blocking: outcome.blocking, ms: Date.now() - started, startedBy: startedBy?.id ?? null },
    });
  });
  return outcome;
}

/** Earlier packages of the same survey and district that were never accepted give way to a newly imported one. */
export async function supersedeEarlier(db: Database, submissionId: string): Promise<number> {
  return asSystem(db, async (tx) => {
    const current = await tx.selectFrom('submissions').select(['survey_id', 'district_code']).where('id', '=', submissionId).executeTakeFirstOrThrow();
    const earlier = await tx
      .selectFrom('submissions')
      .select('id')
      .where('survey_id', '=', current.survey_id)
      .where('district_code', '=', current.district_code)
      .where('id', '<>', submissionId)
      .where('state', 'in', ['imported', 'checked', 'rejected'])
      .execute();
    for (const row of earlier) await moveSubmission(tx, row.id, 'supersede', 'platform');
    return earlier.length;
  });
}

/** The hook the import queue runs after every import. */
export function checksAfterImport(db: Database) {
  return async (submissionId: string, onProgress: (progress: ImportProgress) => void): Promise<void> => {
    await supersedeEarlier(db, submissionId);
    await checkSubmission(db, submissionId, null, onProgress);
  };
}
