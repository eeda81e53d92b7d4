// The lifecycle's refusals, each with a stable code, both languages, the state the object is in
// and the steps open from there, so a client can say what may be done instead.
import { AppError, submissionStateZh } from '../../errors.ts';

export interface OpenStep {
  action: string;
  to: string;
  roles: string[];
  label: string;
}

const SURVEY_STATE_ZH: Record<string, string> = {
  planned: '计划中',
  collecting: '汇交中',
  checking: '审查中',
  preliminary_accepted: '初验合格',
  accepted: '已验收',
  filed: '已备案',
  approved: '已批准',
  published: '已公布',
  closed: '已结束汇交',
};

export function surveyStateZh(state: string): string {
  return SURVEY_STATE_ZH[state] ?? '未知';
}

function stateZh(object: string, state: string): string {
  return object === 'submission' ? submissionStateZh(state) : surveyStateZh(state);
}

const OBJECT_ZH: Record<string, string> = { submission: '成果', survey: '调查任务' };

function openStepsZh(steps: OpenStep[]): string {
  return steps.length ? `可进行的操作：${steps.map((step) => step.label).join('、')}` : '此状态下没有可进行的操作';
}

function openStepsEn(steps: OpenStep[]): string {
  return steps.length ? `steps open from here: ${steps.map((step) => step.action).join(', ')}` : 'no step is open from here';
}

const NEED_TEXT: Record<string, { zh: string; en: string }> = {
  rectification: { zh: '退回须列明整改要求', en: 'a return must state the rectification requirements' },
  document: { zh: '须填写文件文号和日期', en: 'the document number and date are required' },
  frozen: { zh: '该调查的统一时点尚未冻结为年度快照，须先冻结', en: 'the survey’s time point is not frozen in a yearly snapshot yet: freeze it first' },
  settled: { zh: '该调查仍有成果尚未验收或退回', en: 'packages of the survey are still on their way' },
  city_published: { zh: '须先由市级公布', en: 'the city must publish first' },
  approval: { zh: '未找到批准该调查成果的决定', en: 'no decision approving the survey’s results was found' },
};

export const lifecycleErrors = {
  notFound: (object: string, id: string) =>
    new AppError(404, 'NOT_FOUND', `未找到${OBJECT_ZH[object] ?? object}：${id}`, `No ${object} ${id}`, { id }),
  stepNotAllowed: (object: string, id: string, state: string, action: string, open: OpenStep[]) =>
    new AppError(
      409,
      'LIFECYCLE_STEP_NOT_ALLOWED',
      `${OBJECT_ZH[object] ?? object}处于“${stateZh(object, state)}”状态，不能进行此操作；${openStepsZh(open)}`,
      `The ${object} is ${state}: "${action}" is not a step from there; ${openStepsEn(open)}`,
      { id, state, action, allowed: open },
    ),
  notYourStep: (object: string, state: string, action: string, label: string, roles: string[], open: OpenStep[]) =>
    new AppError(
      403,
      'LIFECYCLE_NOT_YOUR_STEP',
      `当前角色或所属区无权进行“${label}”；${openStepsZh(open)}`,
      `Your role or district may not take the step "${action}" (roles: ${roles.join(', ')})`,
      { state, action, roles, allowed: open },
    ),
  uploaderDecides: (state: string, action: string, open: OpenStep[] = []) =>
    new AppError(403, 'DECIDER_IS_UPLOADER', `上传该成果的用户不能对其作出审核决定（谁审核、谁负责）；${openStepsZh(open)}`, `Whoever uploaded a package cannot decide on it; ${openStepsEn(open)}`, { state, action, allowed: open }),
  publicationOutsidePublicSet: (what: 'layers' | 'fields', refused: string[], allowed: string[]) =>
    new AppError(
      400,
      'PUBLICATION_NOT_PUBLIC',
      `不能公布${what === 'layers' ? '图层' : '字段'} ${refused.join('、')}：可公布的${what === 'layers' ? '图层' : '字段'}为 ${allowed.join('、')}`,
      `Cannot publish the ${what} ${refused.join(', ')}: the ${what} that can be published are ${allowed.join(', ')}`,
      { [what]: refused, allowed },
    ),
  needs: (need: string, state: string, action: string, open: OpenStep[] = []) =>
    new AppError(
      409,
      `LIFECYCLE_NEEDS_${need.toUpperCase()}`,
      `不能进行此操作：${NEED_TEXT[need]?.zh ?? '条件不满足'}`,
      `The step "${action}" cannot be taken: ${NEED_TEXT[need]?.en ?? need}`,
      { need, state, action, allowed: open },
    ),
  notCollecting: (surveyId: string, state: string, kind: string) =>
    new AppError(
      409,
      state === 'closed' ? 'SURVEY_CLOSED' : 'SURVEY_NOT_COLLECTING',
      kind === 'special' && state === 'planned'
        ? '该专项调查的计划尚未经领导小组审议通过或备案，暂不接收成果'
        : `调查任务处于“${surveyStateZh(state)}”状态，不再接收成果`,
      kind === 'special' && state === 'planned'
        ? 'The special survey’s plan is not approved or filed yet: it takes no packages'
        : `The survey is ${state} and takes no packages`,
      { surveyId, state },
    ),
  attachmentNotFound: (id: string) => new AppError(404, 'ATTACHMENT_NOT_FOUND', `未找到附件：${id}`, `No attachment ${id}`, { id }),
};

/** A refusal of the lifecycle triggers (SQLSTATE LS160-LS164, migrations/0018) as an API error. */
export function lifecycleRefusal(code: string | undefined, message: string, detail: string | undefined): AppError | null {
  if (!code || !/^LS16[0-4]$/.test(code)) return null;
  let facts: Record<string, unknown> = {};
  try {
    facts = detail ? (JSON.parse(detail) as Record<string, unknown>) : {};
  } catch {
    // no detail: the general answers below
  }
  const state = String(facts.state ?? '');
  const action = String(facts.action ?? facts.to ?? '');
  const open = Array.isArray(facts.allowed) ? (facts.allowed as OpenStep[]) : [];
  switch (code) {
    case 'LS160':
      return new AppError(409, 'LIFECYCLE_STEP_NOT_ALLOWED', `数据库拒绝了这一状态变更：不是允许的步骤；${openStepsZh(open)}`, `The database refused the change of state: ${message}`, { state, allowed: open, reason: message });
    case 'LS161':
      return new AppError(403, 'LIFECYCLE_NOT_YOUR_STEP', `数据库拒绝了这一操作：当前角色或所属区无权进行；${openStepsZh(open)}`, `The database refused the step: ${message}`, { state, action, allowed: open, reason: message });
    case 'LS162':
      return lifecycleErrors.uploaderDecides(state, action, open);
    case 'LS163':
      return lifecycleErrors.needs(String(facts.needs ?? 'unknown'), state, action, open);
    default:
      return lifecycleErrors.notCollecting(String(facts.surveyId ?? ''), state, String(facts.kind ?? ''));
  }
}
