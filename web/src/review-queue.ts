// The city's review queue (审核队列): submissions waiting for a decision or for being applied,
// filterable by survey, district and state, the longest waiting first (GET /api/submissions,
// order=waiting). Each opens its submission page.
import { errorMessage } from './api';
import { listSurveys, type Survey } from './api-data';
import { formatDateTime, h } from './dom';
import { listQueue, WAITING_STATES, type QueueEntry } from './review-data';
import { daysSince, submissionStateName, SURVEY_KIND_NAMES, waitedText } from './review-labels';

const OTHER_STATES = ['rejected', 'applied'] as const;

export class ReviewQueuePage {
  private readonly survey: HTMLSelectElement;
  private readonly district: HTMLSelectElement;
  private readonly state: HTMLSelectElement;
  private readonly summary: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private surveys: Survey[] = [];
  private request = 0;

  constructor(private readonly root: HTMLElement) {
    this.survey = h('select', '');
    this.survey.id = 'queue-survey';
    this.district = h('select', '');
    this.district.id = 'queue-district';
    this.state = h('select', '');
    this.state.id = 'queue-state';
    this.state.append(new Option('全部待处理', 'waiting'), ...[...WAITING_STATES, ...OTHER_STATES].map((state) => new Option(submissionStateName(state), state)));
    for (const select of [this.survey, this.district, this.state]) select.addEventListener('change', () => void this.load());
    this.summary = h('p', 'muted');
    this.summary.id = 'queue-summary';
    const table = h('table', 'queue-table');
    table.id = 'queue-table';
    const head = table.createTHead().insertRow();
    for (const title of ['已等待', '区', '调查任务', '成果包', '轮次', '状态', '提交时间', '']) head.append(h('th', '', title));
    this.body = table.createTBody();
    const label = (text: string, control: HTMLElement) => {
      const el = h('label', '', text);
      el.htmlFor = control.id;
      return h('div', 'field', el, control);
    };
    root.replaceChildren(
      h('section', 'card', h('h2', '', '审核队列'), h('div', 'queue-filters', label('调查任务', this.survey), label('区', this.district), label('状态', this.state)), this.summary, table),
    );
  }

  async enter(districts: { code: string; name: string }[]): Promise<void> {
    if (this.district.options.length === 0) {
      this.district.append(new Option('全部区', ''), ...districts.map((d) => new Option(`${d.name}（${d.code}）`, d.code)));
    }
    try {
      this.surveys = await listSurveys();
    } catch {
      this.surveys = [];
    }
    const keep = this.survey.value;
    this.survey.replaceChildren(
      new Option('全部调查任务', ''),
      ...[...this.surveys].sort((a, b) => b.year - a.year).map((s) => new Option(`${s.title}（${SURVEY_KIND_NAMES[s.kind] ?? s.kind}）`, s.id)),
    );
    this.survey.value = keep;
    await this.load();
  }

  private async load(): Promise<void> {
    const request = ++this.request;
    const states = this.state.value === 'waiting' ? WAITING_STATES : [this.state.value];
    this.root.setAttribute('aria-busy', 'true');
    let entries: QueueEntry[];
    try {
      entries = await listQueue({ surveyId: this.survey.value || undefined, districtCode: this.district.value || undefined, states });
    } catch (err) {
      if (request === this.request) {
        this.summary.textContent = `无法加载审核队列：${errorMessage(err)}`;
        this.root.setAttribute('aria-busy', 'false');
      }
      return;
    }
    if (request !== this.request) return;
    this.render(entries);
    this.root.setAttribute('aria-busy', 'false');
  }

  private render(entries: QueueEntry[]): void {
    // The longest waiting first (the server orders so; kept here too for entries of equal age).
    const sorted = [...entries].sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
    this.summary.textContent = sorted.length ? `共 ${sorted.length} 项，最长已等待 ${waitedText(sorted[0]!.updatedAt)}` : '没有待处理的成果';
    this.body.replaceChildren(
      ...sorted.map((entry) => {
        const open = h('a', '', '审核');
        open.href = `#/submissions/${entry.id}`;
        const days = daysSince(entry.updatedAt);
        const tr = h(
          'tr',
          days >= 15 ? 'overdue' : '',
          h('td', 'num', waitedText(entry.updatedAt)),
          h('td', '', entry.districtName ?? entry.districtCode),
          h('td', '', entry.surveyTitle),
          h('td', '', entry.fileName),
          h('td', 'num', `第 ${entry.round} 轮`),
          h('td', '', submissionStateName(entry.state)),
          h('td', '', formatDateTime(entry.createdAt)),
          h('td', '', open),
        );
        tr.dataset.submission = entry.id;
        tr.dataset.state = entry.state;
        return tr;
      }),
    );
  }
}
