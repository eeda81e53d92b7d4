// Decisions on submissions as the routes and the demo take them: the lifecycle step in one
// owner's transaction (the decider is the signed-in user, checked by the step and again by the
// database), and the work a step stands for (apply writes the versions).
import { asSystem } from '../../db/context.ts';
import type { Database } from '../../db/engine.ts';
import type { AuditActor } from '../audit/repository.ts';
import { applyInTransaction, applySubmission } from '../versions/apply.ts';
import { moveSubmission, type DecisionInput, type Moved } from './lifecycle.ts';

export interface DecisionOutcome {
  id: string;
  districtCode: string;
  action: string;
  from: string;
  state: string;
  decisionId: string | null;
  /** a cadastral change accepted is applied at once (art. 13: 随时调查，及时变更) */
  applied: boolean;
}

function outcome(moved: Moved, applied = false): DecisionOutcome {
  return { id: moved.id, districtCode: moved.districtCode ?? '', action: moved.action, from: moved.from, state: applied ? 'applied' : moved.to, decisionId: moved.decisionId, applied };
}

export async function decideOnSubmission(db: Database, submissionId: string, action: string, actor: AuditActor, input: DecisionInput): Promise<DecisionOutcome> {
  if (action === 'apply') {
    const result = await applySubmission(db, submissionId, actor);
    return { id: submissionId, districtCode: result.districtCode, action, from: 'accepted', state: 'applied', decisionId: null, applied: true };
  }
  // One transaction: a cadastral change is accepted and applied together or not at all.
  return asSystem(db, async (tx) => {
    const moved = await moveSubmission(tx, submissionId, action, actor, input);
    if (moved.to !== 'accepted') return outcome(moved);
    const survey = await tx.selectFrom('surveys').select('kind').where('id', '=', moved.surveyId).executeTakeFirstOrThrow();
    if (survey.kind !== 'cadastral_change' || !['city_admin', 'district_operator'].includes(actor.role)) return outcome(moved);
    await applyInTransaction(tx, submissionId, actor);
    return outcome(moved, true);
  });
}

/** 验收 with no opinion: the seed's, the benchmarks' and the compatibility route's accept. */
export function acceptSubmission(db: Database, submissionId: string, actor: AuditActor, clientIp: string | null = null): Promise<DecisionOutcome> {
  return decideOnSubmission(db, submissionId, 'accept', actor, { clientIp });
}
