// The district operator's upload page: choose a survey and a package, watch it upload (XHR upload
// progress), import and get checked (GET /api/submissions/{id} polled), then read the quality
// report. The district's earlier submissions are listed and their reports can be opened.
import { ApiError, csrf, errorMessage, parseJson, responseError, type User } from './api';
import { getSubmission, latestQualityRun, listSubmissions, listSurveys, type Finding, type QualityRun, type Submission, type SubmissionDetail, type Survey } from './api-data';
import { byId, formatBytes, formatDateTime, h, showError } from './dom';
import { SETTLED_STATES, STAGES, SUBMISSION_STATES, surveyStateLabel } from './labels';
import { QualityReport, type FindingAction } from './quality-report';
import { preferredSurvey, surveyHint, surveyOrder } from './survey-choice';
import type { Correction } from './district-page';

const SURVEY_KINDS: Record<Survey['kind'], string> = {
  national: '全国土地调查',
  land_use_change: '土地利用变更调查',
  cadastral_change: '地籍变更调查',
  special: '专项调查',
};

const POLL_MS = 500;

const form = byId<HTMLFormElement>('upload-form');
const surveySelect = byId<HTMLSelectElement>('survey-select');
const fileInput = byId<HTMLInputElement>('package-file');
const submit = byId<HTMLButtonElement>('upload-submit');
const uploadError = byId('upload-error');
const progressBox = byId('upload-progress');
const progressBar = byId<HTMLProgressElement>('progress-bar');
const progressLabel = byId('progress-label');
const progressPhase = byId('progress-phase');
const historyBody = byId<HTMLTableElement>('submission-table').tBodies[0]!;
const districtTitle = byId('upload-district');
const surveyHintLine = byId('survey-hint');

/** POSTs the package with XMLHttpRequest, whose upload events tell how much has been sent. */
function sendPackage(surveyId: string, file: File, token: string, onProgress: (sent: number, total: number) => void): Promise<{ id: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/submissions?surveyId=${encodeURIComponent(surveyId)}`);
    xhr.setRequestHeader('x-csrf-token', token);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener('progress', (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size));
    xhr.addEventListener('load', () => {
      const parsed = parseJson(xhr.responseText);
      if (xhr.status === 202 && parsed && typeof parsed === 'object' && 'id' in parsed) resolve(parsed as { id: string });
      else reject(responseError(xhr.status, parsed));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'NETWORK_ERROR', '上传中断：无法连接服务器')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'ABORTED', '上传已取消')));
    const body = new FormData();
    body.append('file', file, file.name);
    xhr.send(body);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class UploadPage {
  private readonly report: QualityReport;
  private surveys: Survey[] = [];
  private busy = false;
  private watching = 0;
  /** the submission whose report is shown */
  private current: Submission | null = null;
  /** set by 上传整改成果 on the district page: the returned round the next package corrects */
  private correction: Correction | null = null;

  constructor(onFinding: (run: QualityRun, finding: Finding, submission: Submission | null) => void) {
    const open: FindingAction = (run, finding) => onFinding(run, finding, this.current);
    this.report = new QualityReport(byId('quality-report'), open);
    surveySelect.addEventListener('change', () => this.showHint());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.upload();
    });
  }

  async enter(user: User): Promise<void> {
    districtTitle.textContent = user.districtName ? `（${user.districtName}）` : '';
    const [, submissions] = await Promise.all([this.loadSurveys(), this.loadHistory()]);
    this.preselect(submissions, user.districtCode);
    this.presetCorrection();
  }

  /** The next entry uploads a correction of a returned round (null: an ordinary upload). */
  prepareCorrection(correction: Correction | null): void {
    this.correction = correction;
  }

  /**
   * Chooses the returned round's survey. The upload route makes a package sent after a returned
   * one the next round, linked to it; the line under the choice says so.
   */
  private presetCorrection(): void {
    const correction = this.correction;
    if (!correction || !this.surveys.some((survey) => survey.id === correction.surveyId)) return;
    surveySelect.value = correction.surveyId;
    const { round, fileName } = correction.corrects;
    surveyHintLine.textContent = `整改上传：本次成果包将作为第 ${round + 1} 轮，更正第 ${round} 轮（${fileName}）。${surveyHint(this.surveys.find((s) => s.id === correction.surveyId))}`;
    surveyHintLine.dataset.corrects = correction.corrects.id;
  }

  /** Offers the survey that fits the district (its national survey until its baseline is applied, then the open change survey). */
  private preselect(submissions: Submission[], districtCode: string | null): void {
    const preferred = preferredSurvey(this.surveys, submissions, districtCode);
    if (preferred) {
      // defaultSelected too: form.reset() after an upload comes back to it
      for (const option of surveySelect.options) option.defaultSelected = option.value === preferred.id;
      surveySelect.value = preferred.id;
    }
    this.showHint();
  }

  private showHint(): void {
    surveyHintLine.textContent = surveyHint(this.surveys.find((survey) => survey.id === surveySelect.value));
  }

  leave(): void {
    this.watching++;
    this.correction = null;
    delete surveyHintLine.dataset.corrects;
    this.report.clear();
    progressBox.hidden = true;
    form.reset();
    showError(uploadError, null);
  }

  private async loadSurveys(): Promise<void> {
    try {
      this.surveys = await listSurveys();
    } catch (err) {
      showError(uploadError, `无法加载调查任务：${errorMessage(err)}`);
      return;
    }
    const keep = surveySelect.value;
    const ordered = [...this.surveys].sort(surveyOrder);
    surveySelect.replaceChildren(
      ...ordered.map((survey) => {
        const label = `${survey.title}（${SURVEY_KINDS[survey.kind] ?? survey.kind}，${survey.year}年，${surveyStateLabel(survey)}）`;
        const option = new Option(label, survey.id);
        return option;
      }),
    );
    if (keep && ordered.some((survey) => survey.id === keep)) surveySelect.value = keep;
  }

  /** Lists the district's submissions; returns them (none when they cannot be read). */
  private async loadHistory(): Promise<Submission[]> {
    let submissions: Submission[];
    try {
      submissions = (await listSubmissions()).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    } catch (err) {
      historyBody.replaceChildren(h('tr', '', h('td', 'muted', `无法加载提交记录：${errorMessage(err)}`)));
      return [];
    }
    if (submissions.length === 0) {
      const cell = h('td', 'muted', '尚无提交记录');
      cell.colSpan = 5;
      historyBody.replaceChildren(h('tr', '', cell));
      return submissions;
    }
    const surveyTitle = new Map(this.surveys.map((survey) => [survey.id, survey.frozen ? `${survey.title}（已冻结）` : survey.title]));
    historyBody.replaceChildren(
      ...submissions.map((submission) => {
        const view = h('button', 'link', '查看报告');
        view.type = 'button';
        view.addEventListener('click', () => void this.watch(submission.id));
        const tr = h(
          'tr',
          '',
          h('td', '', formatDateTime(submission.createdAt)),
          h('td', '', surveyTitle.get(submission.surveyId) ?? ''),
          h('td', '', `${submission.fileName}（${formatBytes(submission.sizeBytes)}）`),
          h('td', '', SUBMISSION_STATES[submission.state] ?? submission.state),
          h('td', '', view),
        );
        tr.dataset.submission = submission.id;
        return tr;
      }),
    );
    return submissions;
  }

  private setProgress(phase: string, label: string, percent: number | null): void {
    progressBox.hidden = false;
    progressPhase.textContent = phase;
    progressLabel.textContent = label;
    if (percent === null) progressBar.removeAttribute('value');
    else progressBar.value = Math.max(0, Math.min(100, percent));
    progressBox.dataset.phase = phase;
  }

  private async upload(): Promise<void> {
    if (this.busy) return;
    showError(uploadError, null);
    const file = fileInput.files?.[0];
    if (!surveySelect.value) return showError(uploadError, '请选择调查任务');
    if (!file) return showError(uploadError, '请选择成果包文件（.zip、.gpkg 或 .geojson）');
    this.busy = true;
    submit.disabled = true;
    this.report.clear();
    this.watching++;
    try {
      this.setProgress('上传', `正在上传 ${file.name}（${formatBytes(file.size)}）`, 0);
      const token = await csrf();
      const accepted = await sendPackage(surveySelect.value, file, token, (sent, total) => {
        const percent = total > 0 ? Math.round((sent / total) * 100) : 0;
        this.setProgress('上传', `正在上传 ${file.name}：${formatBytes(sent)} / ${formatBytes(total)}（${percent}%）`, percent);
      });
      form.reset();
      await this.watch(accepted.id);
    } catch (err) {
      progressBox.hidden = true;
      const existing = err instanceof ApiError && err.code === 'PACKAGE_ALREADY_SUBMITTED' ? (err.details as { submissionId?: string } | undefined)?.submissionId : undefined;
      showError(uploadError, existing ? `${errorMessage(err)}，下方显示该提交的报告` : `上传失败：${errorMessage(err)}`);
      if (existing) await this.watch(existing);
    } finally {
      this.busy = false;
      submit.disabled = false;
    }
  }

  /** Follows a submission until it settles, then shows its report. */
  async watch(id: string): Promise<void> {
    const watching = ++this.watching;
    let detail: SubmissionDetail;
    for (;;) {
      try {
        detail = await getSubmission(id);
      } catch (err) {
        if (watching === this.watching) showError(uploadError, `无法获取处理进度：${errorMessage(err)}`);
        return;
      }
      if (watching !== this.watching) return;
      const progress = detail.progress;
      const settled = SETTLED_STATES.has(detail.state) && (!progress || progress.stage === 'done' || progress.stage === 'failed');
      if (settled) break;
      if (progress) {
        const stage = STAGES[progress.stage] ?? progress.stage;
        const phase = progress.stage === 'checking' ? '质检' : '导入';
        const detailText =
          progress.stage === 'checking'
            ? `${stage}：规则 ${progress.layer ?? ''}（${progress.recordsRead}/${progress.recordsTotal ?? '?'}）`
            : progress.recordsTotal
              ? `${stage}${progress.layer ? ` ${progress.layer}` : ''}：${progress.recordsRead.toLocaleString('zh-CN')} / ${progress.recordsTotal.toLocaleString('zh-CN')} 条`
              : stage;
        this.setProgress(phase, `${detailText}（${progress.percent}%）`, progress.percent);
      } else {
        this.setProgress('导入', SUBMISSION_STATES[detail.state] ?? detail.state, null);
      }
      await sleep(POLL_MS);
    }
    this.setProgress('完成', `处理完成：${SUBMISSION_STATES[detail.state] ?? detail.state}`, 100);
    const run = detail.state === 'failed' ? null : await latestQualityRun(id).catch(() => null);
    if (watching !== this.watching) return;
    this.current = detail;
    await this.report.show(detail, run);
    void this.loadHistory();
  }
}
