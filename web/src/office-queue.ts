// The leading-group offices' queue (审批事项, #/office): what awaits the signed-in office, read
// from the lifecycle itself. Each submission and survey it can read is asked for the steps open
// to this user now (GET …/record): a district office gets its district's 初验 (全市专项) and 验收
// (区专项) and its plans to file; the city office 终验, 备案 and objections, plan approvals and
// 备案 receipts. Each item shows its latest decisions and opens a decision form per step.
import './workflow.css';
import { errorMessage, type User } from './api';
import { listSurveys, type Survey } from './api-data';
import { decisionItem } from './decision-view';
import { stateName } from './district-page';
import { byId, formatDateTime, h, showError } from './dom';
import { surveyStateLabel } from './labels';
import { decisionForm } from './office-decision';
import {
  decideSubmission,
  decideSurvey,
  listLifecycleSubmissions,
  submissionRecord,
  surveyRecord,
  type Decision,
  type LifecycleSubmission,
  type Step,
} from './workflow-api';

/** The states a submission waits in for an office's decision. */
const AWAITING = ['checked', 'preliminary_accepted', 'accepted'];
const KIND_NAMES: Record<string, string> = { national: '全国土地调查', land_use_change: '土地利用变更调查', cadastral_change: '地籍变更调查', special: '专项调查' };
const DAY_MS = 86_400_000;

const submissionList = byId('office-submissions');
const surveyList = byId('office-surveys');
const officeError = byId('office-error');
const officeNotice = byId('office-notice');
const officeTitle = byId('office-title');

function ageDays(iso: string): string {
  const days = Math.floor((Date.now() - new Date(iso).getTime()) / DAY_MS);
  return days <= 0 ? '今天' : `${days} 天`;
}

export class OfficeQueue {
  private loading = 0;
  private user: User | null = null;

  async enter(user: User): Promise<void> {
    this.user = user;
    const load = ++this.loading;
    officeTitle.textContent = `待办审批事项（${user.organisationName ?? user.displayName}）`;
    showError(officeError, null);
    try {
      const [submissions, surveys] = await Promise.all([listLifecycleSubmissions(AWAITING), listSurveys()]);
      const [submissionItems, surveyItems] = await Promise.all([
        Promise.all(submissions.map(async (submission) => ({ submission, record: await submissionRecord(submission.id) }))),
        Promise.all(surveys.map(async (survey) => ({ survey, record: await surveyRecord(survey.id) }))),
      ]);
      if (load !== this.loading) return;
      this.renderSubmissions(submissionItems.filter((item) => item.record.steps.some((step) => step.decision)).map((item) => ({ ...item, steps: item.record.steps, decisions: item.record.decisions })));
      this.renderSurveys(surveyItems.filter((item) => item.record.steps.some((step) => step.decision)).map((item) => ({ survey: item.survey, steps: item.record.steps, decisions: item.record.decisions })));
    } catch (err) {
      showError(officeError, `无法加载待办事项：${errorMessage(err)}`);
    }
  }

  private reload(message: string): void {
    officeNotice.textContent = message;
    officeNotice.hidden = false;
    if (this.user) void this.enter(this.user);
  }

  private actions(steps: Step[], decide: (step: Step) => HTMLFormElement): HTMLElement {
    const box = h('div', 'item-actions');
    const formBox = h('div', 'item-form');
    for (const step of steps.filter((s) => s.decision)) {
      const open = h('button', step.needs.includes('rectification') ? 'secondary' : '', step.labelZh);
      open.type = 'button';
      open.dataset.action = step.action;
      open.addEventListener('click', () => formBox.replaceChildren(decide(step)));
      box.append(open);
    }
    return h('div', '', box, formBox);
  }

  private recent(decisions: Decision[]): HTMLElement | string {
    if (decisions.length === 0) return '';
    return h('ul', 'decision-list', ...decisions.slice(-3).map((decision) => decisionItem(decision)));
  }

  private renderSubmissions(items: { submission: LifecycleSubmission; steps: Step[]; decisions: Decision[] }[]): void {
    if (items.length === 0) {
      submissionList.replaceChildren(h('p', 'muted', '没有待审核的成果。'));
      return;
    }
    submissionList.replaceChildren(
      ...items
        .sort((a, b) => a.submission.updatedAt.localeCompare(b.submission.updatedAt))
        .map(({ submission, steps, decisions }) => {
          const el = h(
            'div',
            'queue-item',
            h('strong', '', `${submission.districtName ?? submission.districtCode} · ${submission.surveyTitle}`),
            h(
              'p',
              'small',
              `${KIND_NAMES[submission.surveyKind] ?? submission.surveyKind}（${submission.surveyScope === 'city' ? '全市' : '区'}） · 第 ${submission.round} 轮 · ${submission.fileName} · ${stateName(submission.state)} · 已等待 ${ageDays(submission.updatedAt)}（${formatDateTime(submission.updatedAt)}）`,
            ),
            this.recent(decisions),
            this.actions(steps, (step) => decisionForm(step, (input) => decideSubmission(submission.id, input), (message) => this.reload(message))),
          );
          el.dataset.submission = submission.id;
          return el;
        }),
    );
  }

  private renderSurveys(items: { survey: Survey; steps: Step[]; decisions: Decision[] }[]): void {
    if (items.length === 0) {
      surveyList.replaceChildren(h('p', 'muted', '没有待办的调查任务事项。'));
      return;
    }
    surveyList.replaceChildren(
      ...items.map(({ survey, steps, decisions }) => {
        const el = h(
          'div',
          'queue-item',
          h('strong', '', survey.title),
          h('p', 'small', `${KIND_NAMES[survey.kind] ?? survey.kind}（${survey.scope === 'city' ? '全市' : '区'}） · ${survey.year} 年 · ${surveyStateLabel(survey)}`),
          this.recent(decisions),
          this.actions(steps, (step) => decisionForm(step, (input) => decideSurvey(survey.id, input), (message) => this.reload(message))),
        );
        el.dataset.survey = survey.id;
        return el;
      }),
    );
  }
}
