// The one owner of the states of submissions and surveys. The allowed moves are the rows of
// lifecycle_steps (migrations/0018); every change of state goes through planMove/commitMove
// here, which check the actor against the step (role, district, 谁审核、谁负责), record the
// decision, move the state and write the audit entry in the caller's transaction. The database
// holds the same table and refuses any other move, so this is the friendly first check, not the
// only one.
import { sql, type Updateable } from 'kysely';
import type { Tx } from '../../db/context.ts';
import type { SubmissionsTable, SurveyKind, SurveyScope } from '../../db/schema.ts';
import { recordAudit, type AuditActor } from '../audit/repository.ts';
import { lifecycleErrors, type OpenStep } from './errors.ts';
import { afterSurveyMove } from './survey-effects.ts';

export type LifecycleObject = 'submission' | 'survey';

export interface Step {
  object: LifecycleObject;
  kind: SurveyKind;
  scope: SurveyScope;
  fromState: string;
  action: string;
  toState: string;
  roles: string[];
  level: 'city' | 'district' | 'own';
  decision: boolean;
  needs: string[];
  labelZh: string;
  labelEn: string;
  article: string | null;
}

/** A signed-in user taking a step, or the platform taking one of its own (import, checks). */
export type LifecycleActor = AuditActor | 'platform';

export interface DecisionInput {
  opinion?: string | null;
  /** 整改要求, for a return: each requirement may point at findings of the latest quality run */
  rectification?: { requirement: string; findings?: number[] }[] | null;
  /** the document decided under (文号, date, issuer) */
  document?: { number: string; date: string; issuer?: string | null } | null;
  attachmentIds?: string[];
  detail?: Record<string, unknown>;
  clientIp?: string | null;
  /** survey steps of a district (依次公布, its withdrawal): the district concerned */
  districtCode?: string | null;
  /** publish: the layers and fields published */
  layers?: string[];
  fields?: string[];
}

export interface Moved {
  object: LifecycleObject;
  id: string;
  surveyId: string;
  districtCode: string | null;
  action: string;
  from: string;
  to: string;
  decisionId: string | null;
}

export interface PlannedMove {
  step: Step;
  object: LifecycleObject;
  id: string;
  surveyId: string;
  districtCode: string | null;
  actor: LifecycleActor;
}

const STEP_COLUMNS = [
  'object', 'kind', 'scope', 'from_state as fromState', 'action', 'to_state as toState', 'roles', 'level', 'decision', 'needs',
  'label_zh as labelZh', 'label_en as labelEn', 'article',
] as const;

export async function listSteps(tx: Tx, filter: { object?: LifecycleObject; kind?: SurveyKind; scope?: SurveyScope } = {}): Promise<Step[]> {
  let query = tx.selectFrom('lifecycle_steps').select(STEP_COLUMNS).orderBy('object').orderBy('kind').orderBy('scope').orderBy('from_state').orderBy('action');
  if (filter.object) query = query.where('object', '=', filter.object);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.scope) query = query.where('scope', '=', filter.scope);
  return (await query.execute()) as Step[];
}

async function stepsFrom(tx: Tx, object: LifecycleObject, kind: SurveyKind, scope: SurveyScope, state: string): Promise<Step[]> {
  const rows = await tx
    .selectFrom('lifecycle_steps')
    .select(STEP_COLUMNS)
    .where('object', '=', object)
    .where('kind', '=', kind)
    .where('scope', '=', scope)
    .where('from_state', '=', state)
    .orderBy('action')
    .execute();
  return rows as Step[];
}

export function openSteps(steps: Step[]): OpenStep[] {
  return steps.map((step) => ({ action: step.action, to: step.toState, roles: step.roles, label: step.labelZh }));
}

/** Whether the actor holds one of the step's roles at its level for an object of `district`. */
export function mayTake(step: Step, actor: LifecycleActor, district: string | null): boolean {
  if (actor === 'platform') return step.roles.length === 0;
  if (!step.roles.includes(actor.role)) return false;
  if (step.level === 'city') return actor.districtCode === null;
  if (step.level === 'district') return district !== null && actor.districtCode === district;
  return actor.districtCode === null || actor.districtCode === district;
}

/** What the step needs and the input lacks (整改要求, a document), or null. */
function missingNeed(step: Step, input: DecisionInput): string | null {
  if (step.needs.includes('rectification') && !input.rectification?.some((item) => item.requirement.trim() !== '')) return 'rectification';
  if (step.needs.includes('document') && (!input.document?.number.trim() || !input.document.date)) return 'document';
  return null;
}

/** Refuses a step missing what it needs, naming the steps open from its state as every refusal does. */
async function checkNeeds(tx: Tx, step: Step, input: DecisionInput): Promise<void> {
  const need = missingNeed(step, input);
  if (need) throw lifecycleErrors.needs(need, step.fromState, step.action, openSteps(await stepsFrom(tx, step.object, step.kind, step.scope, step.fromState)));
}

/** The steps `actor` may take on a submission now: what a page offers as buttons. */
export async function submissionStepsFor(tx: Tx, submissionId: string, actor: AuditActor): Promise<Step[]> {
  const row = await tx
    .selectFrom('submissions as s')
    .innerJoin('surveys as v', 'v.id', 's.survey_id')
    .select(['s.state', 's.district_code', 's.uploaded_by', 'v.kind', 'v.scope'])
    .where('s.id', '=', submissionId)
    .executeTakeFirst();
  if (!row) return [];
  const steps = await stepsFrom(tx, 'submission', row.kind, row.scope, row.state);
  return steps.filter((step) => step.roles.length > 0 && mayTake(step, actor, row.district_code) && !(step.decision && row.uploaded_by === actor.id));
}

/** The steps `actor` may take on a survey now (for a district step, in the actor's own district). */
export async function surveyStepsFor(tx: Tx, surveyId: string, actor: AuditActor): Promise<Step[]> {
  const survey = await tx.selectFrom('surveys').select(['state', 'kind', 'scope', 'district_code']).where('id', '=', surveyId).executeTakeFirst();
  if (!survey) return [];
  const steps = await stepsFrom(tx, 'survey', survey.kind, survey.scope, survey.state);
  return steps.filter((step) => mayTake(step, actor, survey.district_code ?? actor.districtCode));
}

/** The signed-in user of a request's transaction, as the database sees it (null as the owner or anonymous). */
export async function sessionActor(tx: Tx): Promise<AuditActor | null> {
  const { rows } = await sql<{ id: string | null; role: string; district: string | null }>`
    SELECT (current_actor()).user_id AS id, (current_actor()).role AS role, (current_actor()).district_code AS district`.execute(tx);
  const row = rows[0];
  return row?.id ? { id: row.id, role: row.role as AuditActor['role'], districtCode: row.district } : null;
}

/** Locks the submission, finds the step and checks the actor: nothing is written yet. */
export async function planSubmissionMove(tx: Tx, submissionId: string, action: string, actor: LifecycleActor): Promise<PlannedMove> {
  const row = await tx
    .selectFrom('submissions as s')
    .innerJoin('surveys as v', 'v.id', 's.survey_id')
    .select(['s.id', 's.district_code', 's.state', 's.uploaded_by', 's.survey_id', 'v.kind', 'v.scope'])
    .where('s.id', '=', submissionId)
    .forUpdate('s')
    .executeTakeFirst();
  if (!row) throw lifecycleErrors.notFound('submission', submissionId);
  const steps = await stepsFrom(tx, 'submission', row.kind, row.scope, row.state);
  const step = steps.find((candidate) => candidate.action === action);
  if (!step) throw lifecycleErrors.stepNotAllowed('submission', submissionId, row.state, action, openSteps(steps));
  if (!mayTake(step, actor, row.district_code)) {
    throw lifecycleErrors.notYourStep('submission', row.state, action, step.labelZh, step.roles, openSteps(steps));
  }
  if (step.decision && actor !== 'platform' && row.uploaded_by === actor.id) throw lifecycleErrors.uploaderDecides(row.state, action, openSteps(steps));
  return { step, object: 'submission', id: row.id, surveyId: row.survey_id, districtCode: row.district_code, actor };
}

/** Locks the survey, finds the step and checks the actor. */
export async function planSurveyMove(tx: Tx, surveyId: string, action: string, actor: AuditActor, districtCode: string | null = null): Promise<PlannedMove> {
  const survey = await tx.selectFrom('surveys').select(['id', 'state', 'kind', 'scope', 'district_code']).where('id', '=', surveyId).forUpdate().executeTakeFirst();
  if (!survey) throw lifecycleErrors.notFound('survey', surveyId);
  const steps = await stepsFrom(tx, 'survey', survey.kind, survey.scope, survey.state);
  const step = steps.find((candidate) => candidate.action === action);
  if (!step) throw lifecycleErrors.stepNotAllowed('survey', surveyId, survey.state, action, openSteps(steps));
  // A district survey concerns its district; a city survey's district step, the district named
  // (or the actor's own).
  const district = survey.district_code ?? (step.level === 'city' ? null : districtCode ?? actor.districtCode);
  if (!mayTake(step, actor, district)) throw lifecycleErrors.notYourStep('survey', survey.state, action, step.labelZh, step.roles, openSteps(steps));
  return { step, object: 'survey', id: survey.id, surveyId: survey.id, districtCode: district, actor };
}

async function checkAttachments(tx: Tx, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const found = await tx.selectFrom('attachments').select('id').where('id', 'in', ids).execute();
  const missing = ids.find((id) => !found.some((row) => row.id === id));
  if (missing) throw lifecycleErrors.attachmentNotFound(missing);
}

/**
 * Writes a planned move: the decision (for a decision step), the new state with the columns that
 * go with it, the step's effects and the audit entry, all in the caller's transaction.
 */
export async function commitMove(
  tx: Tx,
  plan: PlannedMove,
  input: DecisionInput = {},
  columns: Omit<Updateable<SubmissionsTable>, 'state'> = {},
): Promise<Moved> {
  const { step, actor } = plan;
  await checkNeeds(tx, step, input);
  let decisionId: string | null = null;
  if (step.decision) {
    if (actor === 'platform') throw new Error(`step ${step.action} is a decision: a user takes it`);
    await checkAttachments(tx, input.attachmentIds ?? []);
    const decision = await tx
      .insertInto('decisions')
      .values({
        object: plan.object,
        survey_id: plan.surveyId,
        submission_id: plan.object === 'submission' ? plan.id : null,
        district_code: plan.districtCode,
        action: step.action,
        from_state: step.fromState,
        to_state: step.toState,
        decided_by: actor.id,
        opinion: input.opinion?.trim() || null,
        rectification: input.rectification?.length ? JSON.stringify(input.rectification) : null,
        document: input.document ? JSON.stringify(input.document) : null,
        attachment_ids: input.attachmentIds ?? [],
        detail: input.detail ? JSON.stringify(input.detail) : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    decisionId = decision.id;
  }
  if (plan.object === 'submission') {
    const userId = actor === 'platform' ? null : actor.id;
    const updated = await tx
      .updateTable('submissions')
      .set({
        ...columns,
        state: step.toState as SubmissionsTable['state']['__update__'],
        updated_at: sql`now()`,
        ...(step.toState === 'accepted' ? { accepted_at: new Date(), accepted_by: userId } : {}),
        ...(step.toState === 'applied' ? { applied_at: new Date(), applied_by: userId } : {}),
      })
      .where('district_code', '=', plan.districtCode ?? '')
      .where('id', '=', plan.id)
      .executeTakeFirst();
    // Row-level security would skip a row silently: a move that wrote nothing must not stand.
    if (Number(updated.numUpdatedRows) !== 1) throw lifecycleErrors.notFound('submission', plan.id);
  } else if (step.toState !== step.fromState) {
    const updated = await tx.updateTable('surveys').set({ state: step.toState as never }).where('id', '=', plan.id).executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw lifecycleErrors.notFound('survey', plan.id);
  }
  const moved: Moved = { object: plan.object, id: plan.id, surveyId: plan.surveyId, districtCode: plan.districtCode, action: step.action, from: step.fromState, to: step.toState, decisionId };
  if (plan.object === 'survey' && actor !== 'platform' && decisionId) await afterSurveyMove(tx, moved, actor, decisionId, input);
  // The platform's own steps are recorded by their module's entry (import report, quality run).
  if (actor !== 'platform') {
    await recordAudit(tx, actor, {
      action: `${plan.object}.${step.action}`,
      objectType: plan.object,
      objectId: plan.id,
      districtCode: plan.districtCode,
      clientIp: input.clientIp ?? null,
      detail: { from: step.fromState, to: step.toState, decisionId, ...(input.detail ?? {}) },
    });
  }
  return moved;
}

export async function moveSubmission(tx: Tx, submissionId: string, action: string, actor: LifecycleActor, input: DecisionInput = {}, columns: Omit<Updateable<SubmissionsTable>, 'state'> = {}): Promise<Moved> {
  return commitMove(tx, await planSubmissionMove(tx, submissionId, action, actor), input, columns);
}

export async function moveSurvey(tx: Tx, surveyId: string, action: string, actor: AuditActor, input: DecisionInput = {}): Promise<Moved> {
  return commitMove(tx, await planSurveyMove(tx, surveyId, action, actor, input.districtCode ?? null), input);
}

/**
 * The platform's step for every submission in `fromState` at once (at start, checks a crash
 * interrupted go back to imported): still one step of the table per row, checked by the trigger.
 */
export async function movePlatformAll(tx: Tx, fromState: SubmissionsTable['state']['__select__'], action: string): Promise<number> {
  const step = await tx.selectFrom('lifecycle_steps').select('to_state').where('object', '=', 'submission').where('from_state', '=', fromState).where('action', '=', action).where('roles', '=', sql<string[]>`'{}'`).executeTakeFirst();
  if (!step) throw new Error(`no platform step ${action} from ${fromState}`);
  const result = await tx
    .updateTable('submissions')
    .set({ state: step.to_state as SubmissionsTable['state']['__update__'], updated_at: sql`now()` })
    .where('state', '=', fromState)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Whether a survey in this state takes packages: the rule guard_submission_start enforces, asked before an upload. */
export function takesPackages(kind: SurveyKind, state: string): boolean {
  if (kind === 'special') return state === 'collecting';
  return state === 'planned' || state === 'collecting';
}
