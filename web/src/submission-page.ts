// A submission's page (#/submissions/<id>): what was sent and where it stands, the steps open to
// the signed-in user (验收, 退回整改 with 整改要求, 初验, 终验, 备案, 入库) with the opinion, a document
// and attachments, the package's parcels drawn over the current ones, its documents and maps,
// the import and quality report, and every round with its decisions.
import { errorMessage } from './api';
import { getSubmission, latestQualityRun, type Finding, type QualityRun, type Submission } from './api-data';
import type { District } from './districts';
import { formatBytes, formatDateTime, h } from './dom';
import { QualityReport } from './quality-report';
import { decideOnSubmission, submissionRecord, type SubmissionRecord } from './review-data';
import { submissionStateName, SURVEY_KIND_NAMES, waitedText } from './review-labels';
import { roundHistory } from './round-history';
import { stepPanel } from './step-panel';
import { SubmissionDocuments } from './submission-documents';
import { SubmissionMap } from './submission-map';

const NOTES: Record<string, string> = {
  apply: '入库后，本成果的图斑成为平台的图斑版本（基础调查成果为初始版本，变更成果生成新版本），不可撤销。',
  return: '退回后由区重新提交更正后的成果，作为下一轮审核。',
};

export class SubmissionPage {
  private readonly header: HTMLElement;
  private readonly steps: HTMLElement;
  private readonly message: HTMLElement;
  private readonly history: HTMLElement;
  private readonly report: QualityReport;
  private readonly map = new SubmissionMap();
  private readonly documents = new SubmissionDocuments();
  private id: string | null = null;
  private districts: readonly District[] = [];

  constructor(
    root: HTMLElement,
    onFinding: (run: QualityRun, finding: Finding, submission: Submission | null) => void,
  ) {
    this.header = h('section', 'card submission-head');
    this.header.id = 'submission-head';
    this.steps = h('div', 'submission-steps');
    this.steps.id = 'submission-steps';
    this.message = h('p', 'notice');
    this.message.id = 'submission-message';
    this.message.setAttribute('role', 'status');
    this.message.hidden = true;
    this.history = h('div', '');
    this.history.id = 'round-history';
    const reportRoot = h('section', 'card quality-report');
    reportRoot.id = 'submission-quality';
    let current: Submission | null = null;
    this.report = new QualityReport(reportRoot, (run, finding) => onFinding(run, finding, current));
    this.onShown = (submission) => (current = submission);
    const back = h('a', '', '← 返回审核队列');
    back.href = '#/review';
    root.replaceChildren(
      h('p', '', back),
      this.header,
      h('section', 'card', h('h2', '', '审核操作'), this.message, this.steps),
      this.map.element,
      this.documents.element,
      reportRoot,
      h('section', 'card', h('h2', '', '各轮次与审核记录'), this.history),
    );
  }

  private readonly onShown: (submission: Submission) => void;

  async enter(id: string, districts: readonly District[]): Promise<void> {
    this.districts = districts;
    if (id !== this.id) {
      this.message.hidden = true;
      this.report.clear();
    }
    this.id = id;
    await this.load(true);
  }

  leave(): void {
    this.id = null;
  }

  private async load(withMap: boolean): Promise<void> {
    const id = this.id;
    if (!id) return;
    let record: SubmissionRecord;
    try {
      record = await submissionRecord(id);
    } catch (err) {
      this.header.replaceChildren(h('h2', '', '成果审核'), h('p', 'form-error', `无法加载该成果：${errorMessage(err)}`));
      this.steps.replaceChildren();
      this.history.replaceChildren();
      return;
    }
    if (id !== this.id) return;
    this.renderHeader(record);
    this.renderSteps(record);
    this.history.replaceChildren(roundHistory(record.rounds, record.decisions, id));
    const [detail, run] = await Promise.all([getSubmission(id), latestQualityRun(id).catch(() => null)]);
    if (id !== this.id) return;
    this.onShown(detail);
    await this.report.show(detail, run);
    if (withMap) void this.documents.show(id);
    if (withMap) await this.map.show(id, this.districts, record.submission.districtCode);
  }

  private renderHeader(record: SubmissionRecord): void {
    const s = record.submission;
    const run = record.latestRun;
    const state = h('span', `badge ${s.state === 'rejected' ? 'badge-error' : s.state === 'applied' ? 'badge-ok' : 'badge-warn'}`, submissionStateName(s.state));
    state.id = 'submission-state';
    state.dataset.state = s.state;
    this.header.replaceChildren(
      h('h2', '', `成果审核 · ${s.districtName ?? s.districtCode} · ${s.fileName}`),
      h('p', '', state, ` 已等待 ${waitedText(s.updatedAt)}`),
      h(
        'dl',
        'facts',
        h('dt', '', '调查任务'),
        h('dd', '', `${s.surveyTitle}（${SURVEY_KIND_NAMES[s.surveyKind] ?? s.surveyKind}）`),
        h('dt', '', '轮次'),
        h('dd', '', `第 ${s.round} 轮${s.correctsSubmissionId ? '（更正上一轮退回的成果）' : ''}`),
        h('dt', '', '提交时间'),
        h('dd', '', formatDateTime(s.createdAt)),
        h('dt', '', '文件'),
        h('dd', '', `${s.fileName}（${formatBytes(s.sizeBytes)}）`),
        h('dt', '', '质检'),
        h('dd', '', run ? `共 ${run.findings ?? 0} 个问题，其中须更正的错误 ${run.blocking ?? 0} 个` : '尚无质检结果'),
      ),
    );
  }

  private renderSteps(record: SubmissionRecord): void {
    const id = record.submission.id;
    stepPanel(this.steps, record.steps, {
      none: record.submission.state === 'applied' ? '该成果已入库。' : '当前没有您可进行的操作（由其他角色处理，或您是该成果的上传者）。',
      form: (step) => ({ note: NOTES[step.action] }),
      send: async (body) => {
        const outcome = await decideOnSubmission(id, body);
        const step = record.steps.find((s) => s.action === body.action);
        this.message.textContent = `已完成“${step?.labelZh ?? body.action}”，当前状态：${submissionStateName(outcome.state)}`;
        this.message.hidden = false;
        await this.load(false);
      },
    });
  }
}
