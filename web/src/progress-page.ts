// 进度督导 (#/progress, art. 15-16). The city: the progress board (per survey and district the
// step reached, rounds, days late, the latest report), the deadlines editor (city
// administrator), and the 进度通报 list with downloads and 立即发布进度通报. A district: its
// deadlines and board rows, its progress report form and history, the bulletins sent to it.
// Row-level security decides which rows each one reads; this page only lays them out.
import './progress.css';
import { errorMessage, listDistricts, type AdminUnit, type User } from './api';
import { listSurveys, type Survey } from './api-data';
import { parseDay } from './date-field';
import { button, byId, formatDateTime, h, showError } from './dom';
import {
  addReport,
  bulletinXlsxUrl,
  deleteDeadline,
  issueBulletin,
  listBulletins,
  listDeadlines,
  listReports,
  progressBoard,
  reachedName,
  setDeadline,
  STEP_NAMES,
  type BoardRow,
} from './progress-api';

const CITY_ROLES = ['city_admin', 'city_auditor', 'leading_group_office'];
const DISTRICT_ROLES = ['district_operator', 'district_office'];

export function progressPageAllowed(user: User | null): boolean {
  return user !== null && [...CITY_ROLES, ...DISTRICT_ROLES].includes(user.role);
}

function table(headers: string[], rows: (string | Node)[][], className = 'queue-table'): HTMLTableElement {
  const head = h('thead', undefined, h('tr', undefined, ...headers.map((text) => h('th', undefined, text))));
  const body = h('tbody', undefined, ...rows.map((cells) => h('tr', undefined, ...cells.map((cell) => h('td', undefined, cell)))));
  if (rows.length === 0) body.append(h('tr', undefined, Object.assign(h('td', 'muted', '暂无'), { colSpan: headers.length })));
  return h('table', className, head, body);
}

function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  return h('label', 'field', h('span', undefined, text), control);
}

function select(options: [string, string][], value?: string): HTMLSelectElement {
  const el = h('select');
  for (const [key, label] of options) el.append(Object.assign(h('option', undefined, label), { value: key }));
  if (value !== undefined) el.value = value;
  return el;
}

function textInput(value = '', placeholder = ''): HTMLInputElement {
  return Object.assign(h('input'), { type: 'text', value, placeholder });
}

export class ProgressPage {
  private readonly view = byId('progress-view');
  private user: User | null = null;
  private surveys: Survey[] = [];
  private districts: AdminUnit[] = [];
  private surveyId = '';
  /** the board's day; null: the server's today (in Shanghai) */
  private asOf: string | null = null;
  private readonly error = Object.assign(h('p', 'form-error'), { hidden: true });

  async enter(user: User): Promise<void> {
    this.user = user;
    this.error.setAttribute('role', 'alert');
    try {
      [this.surveys, this.districts] = await Promise.all([listSurveys(), listDistricts()]);
      await this.render();
    } catch (err) {
      this.view.replaceChildren(this.error);
      showError(this.error, `无法加载进度数据：${errorMessage(err)}`);
    }
  }

  private isCity(): boolean {
    return this.user !== null && CITY_ROLES.includes(this.user.role);
  }

  private async render(): Promise<void> {
    const title = h('h2', undefined, this.isCity() ? '进度督导：各区调查进度' : `本区调查进度（${this.user?.districtName ?? ''}）`);
    title.id = 'progress-title';
    const surveyChoice = select([['', '全部调查任务'], ...this.surveys.map((s): [string, string] => [s.id, s.title])], this.surveyId);
    surveyChoice.id = 'progress-survey';
    const day = textInput(this.asOf ?? '', '今天');
    day.id = 'progress-as-of';
    const refresh = button('刷新');
    refresh.addEventListener('click', () => {
      const parsed = day.value.trim() === '' ? null : parseDay(day.value);
      if (parsed === null && day.value.trim() !== '') return showError(this.error, '统计日期无效，请输入如 2026-06-30 的日期');
      this.surveyId = surveyChoice.value;
      this.asOf = parsed;
      void this.render();
    });
    surveyChoice.addEventListener('change', () => refresh.click());
    const filters = h('div', 'queue-filters', labelled('调查任务', surveyChoice), labelled('统计截至', day), refresh);
    const sections: HTMLElement[] = [h('section', 'card', title, filters, this.error)];
    const surveyId = this.surveyId || undefined;
    const [board, deadlines, bulletins, reports] = await Promise.all([
      progressBoard(this.asOf ?? undefined, surveyId),
      listDeadlines(surveyId),
      listBulletins(),
      this.isCity() ? Promise.resolve([]) : listReports(surveyId),
    ]);
    day.value = board.asOf;
    sections.push(this.boardCard(board.asOf, board.rows));
    if (this.isCity()) {
      sections.push(this.bulletinCard(bulletins));
      if (this.user?.role === 'city_admin') sections.push(this.deadlineEditor(deadlines));
    } else {
      sections.push(
        h('section', 'card', h('h3', undefined, '本区截止日期'), table(['调查任务', '环节', '截止日期', '说明'], deadlines.map((d) => [d.surveyTitle, STEP_NAMES[d.step] ?? d.step, d.dueDate, d.note ?? '']))),
        this.reportCard(reports),
        this.bulletinCard(bulletins),
      );
    }
    this.view.replaceChildren(...sections);
  }

  private boardCard(asOf: string, rows: BoardRow[]): HTMLElement {
    const tableEl = table(
      ['调查任务', '区', '已到环节', '轮次', '下一环节', '截止日期', '逾期天数', '自报进度'],
      rows.map((row) => [row.surveyTitle, row.districtName, reachedName(row.reached), String(row.rounds), row.nextStep ? (STEP_NAMES[row.nextStep] ?? row.nextStep) : '已完成', row.nextDue ?? '—', row.daysLate > 0 ? `逾期 ${row.daysLate} 天` : '未逾期', row.percent === null ? '—' : `${row.percent}%`]),
    );
    tableEl.id = 'progress-board';
    rows.forEach((row, index) => {
      if (row.daysLate > 0) tableEl.tBodies[0]!.rows[index]!.classList.add('overdue');
    });
    return h('section', 'card', h('h3', undefined, `进度看板（截至 ${asOf}）`), tableEl);
  }

  private bulletinCard(bulletins: Awaited<ReturnType<typeof listBulletins>>): HTMLElement {
    const names = new Map(this.districts.map((d) => [d.code, d.name]));
    const card = h('section', 'card', h('h3', undefined, '进度通报'));
    if (this.user && ['city_admin', 'leading_group_office'].includes(this.user.role)) {
      const issue = button('立即发布进度通报', 'primary');
      issue.id = 'issue-bulletin';
      const notice = Object.assign(h('p', 'muted'), { hidden: true });
      notice.setAttribute('role', 'status');
      issue.addEventListener('click', async () => {
        issue.disabled = true;
        try {
          const bulletin = await issueBulletin(this.surveyId ? { surveyId: this.surveyId } : {});
          await this.render();
          const status = this.view.querySelector<HTMLElement>('#bulletin-status');
          if (status) showError(status, `已发布第 ${bulletin.number} 期进度通报，已送达滞后各区和市级。`);
        } catch (err) {
          showError(this.error, `发布失败：${errorMessage(err)}`);
          issue.disabled = false;
        }
      });
      notice.id = 'bulletin-status';
      card.append(h('div', 'step-buttons', issue), notice);
    }
    const list = table(
      ['期号', '通报', '发布方式', '发布时间', '进度滞后', '重点督导', '下载'],
      bulletins.map((b) => {
        const link = Object.assign(h('a', undefined, 'XLSX'), { href: bulletinXlsxUrl(b.id) });
        link.setAttribute('download', '');
        const named = (codes: string[]) => codes.map((code) => names.get(code) ?? code).join('、') || '无';
        return [`第 ${b.number} 期`, b.title, b.issuedHow === 'scheduled' ? '定期发布' : '即时发布', formatDateTime(b.issuedAt), named(b.behindDistricts), named(b.supervisedDistricts), link];
      }),
    );
    list.id = 'bulletin-list';
    card.append(list);
    return card;
  }

  private deadlineEditor(deadlines: Awaited<ReturnType<typeof listDeadlines>>): HTMLElement {
    const survey = select(this.surveys.map((s): [string, string] => [s.id, s.title]), this.surveyId || this.surveys[0]?.id);
    const district = select(this.districts.map((d): [string, string] => [d.code, d.name]));
    const step = select(Object.entries(STEP_NAMES));
    const due = textInput('', 'YYYY-MM-DD');
    const note = textInput('', '可选');
    const save = button('保存截止日期', 'primary');
    const form = h('form', 'queue-filters', labelled('调查任务', survey), labelled('区', district), labelled('环节', step), labelled('截止日期', due), labelled('说明', note), save);
    form.id = 'deadline-form';
    save.type = 'submit';
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const dueDate = parseDay(due.value);
      if (!dueDate) return showError(this.error, '截止日期无效，请输入如 2026-06-30 的日期');
      save.disabled = true;
      try {
        await setDeadline({ surveyId: survey.value, districtCode: district.value, step: step.value, dueDate, note: note.value.trim() || null });
        await this.render();
      } catch (err) {
        showError(this.error, `保存失败：${errorMessage(err)}`);
        save.disabled = false;
      }
    });
    const rows = deadlines.map((d) => {
      const remove = button('删除');
      remove.addEventListener('click', async () => {
        if (!window.confirm(`删除 ${d.districtName}“${STEP_NAMES[d.step] ?? d.step}”的截止日期 ${d.dueDate}？`)) return;
        try {
          await deleteDeadline(d.id);
          await this.render();
        } catch (err) {
          showError(this.error, `删除失败：${errorMessage(err)}`);
        }
      });
      return [d.surveyTitle, d.districtName, STEP_NAMES[d.step] ?? d.step, d.dueDate, d.note ?? '', remove];
    });
    return h('section', 'card', h('h3', undefined, '截止日期（同一调查、区和环节再次保存即修改）'), form, table(['调查任务', '区', '环节', '截止日期', '说明', ''], rows));
  }

  private reportCard(reports: Awaited<ReturnType<typeof listReports>>): HTMLElement {
    const survey = select(this.surveys.map((s): [string, string] => [s.id, s.title]), this.surveyId || this.surveys[0]?.id);
    const percent = Object.assign(h('input'), { type: 'number', min: '0', max: '100', step: '1', required: true });
    const note = textInput('', '工作进展说明');
    const submit = button('报告进度', 'primary');
    submit.type = 'submit';
    const form = h('form', 'queue-filters', labelled('调查任务', survey), labelled('完成百分比', percent), labelled('说明', note), submit);
    form.id = 'report-form';
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const value = Number(percent.value);
      if (!Number.isInteger(value) || value < 0 || value > 100) return showError(this.error, '完成百分比须为 0 到 100 的整数');
      submit.disabled = true;
      try {
        await addReport({ surveyId: survey.value, percent: value, note: note.value.trim() || null });
        await this.render();
      } catch (err) {
        showError(this.error, `报告失败：${errorMessage(err)}`);
        submit.disabled = false;
      }
    });
    const titles = new Map(this.surveys.map((s) => [s.id, s.title]));
    const history = table(['调查任务', '完成百分比', '说明', '报告人', '时间'], reports.map((r) => [titles.get(r.surveyId) ?? r.surveyId, `${r.percent}%`, r.note ?? '', r.reportedBy, formatDateTime(r.reportedAt)]));
    history.id = 'report-history';
    return h('section', 'card', h('h3', undefined, '报告本区进度'), form, history);
  }
}
