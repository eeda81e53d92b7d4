// The surveys (#/surveys) and a survey's page (#/surveys/<id>): its state and the steps open to
// the signed-in user (开始/结束汇交, 批准 with its document and attachment, 公布 with its layers and
// fields, 依次公布 per district, 撤回), the year's freeze with what still keeps it from being
// frozen and a confirmation naming the day, what is published, and the decisions on record.
import { errorMessage, type User } from './api';
import { listSurveys, type Survey } from './api-data';
import type { District } from './districts';
import { button, formatDateTime, h } from './dom';
import { decisionItem } from './round-history';
import { decideOnSurvey, freezeBlockers, freezeYear, surveyRecord, type FreezeBlocker, type Publication, type SurveyRecord } from './review-data';
import { fieldLabel, PUBLICATION_LAYERS, SECRECY_NAMES, submissionStateName, SURVEY_KIND_NAMES } from './review-labels';
import { SURVEY_STATES, surveyStateLabel } from './labels';
import { stepPanel } from './step-panel';

const FREEZABLE_KINDS = new Set(['national', 'land_use_change']);

function blockerText(blocker: FreezeBlocker, districtName: (code: string) => string): (Node | string)[] {
  switch (blocker.reason) {
    case 'skipped':
      return [`${blocker.subject} 年度尚未冻结：年度须依次冻结`];
    case 'pending': {
      const link = h('a', '', '查看');
      link.href = `#/submissions/${blocker.subject}`;
      return [`${districtName(blocker.name ?? '')} 有已验收但未入库的成果 `, link];
    }
    case 'no_survey':
      return ['该年度没有土地利用变更调查或全国土地调查'];
    case 'open':
      return [`调查任务“${blocker.name}”尚未结束汇交（${SURVEY_STATES[blocker.state ?? ''] ?? blocker.state}）`];
    case 'district':
      return [`${blocker.name}（${blocker.subject}）既没有已入库的本年度变更成果，也未声明本年度无变化`];
  }
}

export class SurveyListPage {
  constructor(private readonly root: HTMLElement) {}

  async enter(): Promise<void> {
    let surveys: Survey[];
    try {
      surveys = await listSurveys();
    } catch (err) {
      this.root.replaceChildren(h('section', 'card', h('h2', '', '调查任务'), h('p', 'form-error', `无法加载调查任务：${errorMessage(err)}`)));
      return;
    }
    const table = h('table', 'survey-table');
    table.id = 'survey-table';
    const head = table.createTHead().insertRow();
    for (const title of ['调查任务', '类型', '年度', '范围', '密级', '状态', '']) head.append(h('th', '', title));
    const body = table.createTBody();
    for (const survey of [...surveys].sort((a, b) => b.year - a.year || a.title.localeCompare(b.title))) {
      const open = h('a', '', '查看');
      open.href = `#/surveys/${survey.id}`;
      const tr = h(
        'tr',
        '',
        h('td', '', survey.title),
        h('td', '', SURVEY_KIND_NAMES[survey.kind] ?? survey.kind),
        h('td', 'num', String(survey.year)),
        h('td', '', survey.scope === 'city' ? '全市' : `区（${survey.districtCode}）`),
        h('td', '', SECRECY_NAMES[(survey as Survey & { secrecy?: string }).secrecy ?? ''] ?? ''),
        h('td', '', surveyStateLabel(survey)),
        h('td', '', open),
      );
      tr.dataset.survey = survey.id;
      body.append(tr);
    }
    this.root.replaceChildren(h('section', 'card', h('h2', '', '调查任务'), table));
  }
}

export class SurveyPage {
  private readonly header: HTMLElement;
  private readonly steps: HTMLElement;
  private readonly message: HTMLElement;
  private readonly freeze: HTMLElement;
  private readonly publications: HTMLElement;
  private readonly decisions: HTMLElement;
  private readonly dialog: HTMLDialogElement;
  private id: string | null = null;
  private user: User | null = null;
  private districts: readonly District[] = [];

  constructor(root: HTMLElement) {
    this.header = h('section', 'card');
    this.header.id = 'survey-head';
    this.message = h('p', 'notice');
    this.message.id = 'survey-message';
    this.message.setAttribute('role', 'status');
    this.message.hidden = true;
    this.steps = h('div', '');
    this.steps.id = 'survey-steps';
    this.freeze = h('section', 'card');
    this.freeze.id = 'survey-freeze';
    this.publications = h('div', '');
    this.publications.id = 'survey-publications';
    this.decisions = h('div', '');
    this.decisions.id = 'survey-decisions';
    this.dialog = h('dialog', 'confirm-dialog');
    this.dialog.id = 'freeze-dialog';
    const back = h('a', '', '← 全部调查任务');
    back.href = '#/surveys';
    root.replaceChildren(
      h('p', '', back),
      this.header,
      h('section', 'card', h('h2', '', '调查任务的下一步'), this.message, this.steps),
      this.freeze,
      h('section', 'card', h('h2', '', '公布情况'), this.publications),
      h('section', 'card', h('h2', '', '决定记录'), this.decisions),
      this.dialog,
    );
  }

  async enter(id: string, user: User, districts: readonly District[]): Promise<void> {
    if (id !== this.id) this.message.hidden = true;
    this.id = id;
    this.user = user;
    this.districts = districts;
    await this.load();
  }

  leave(): void {
    this.id = null;
    if (this.dialog.open) this.dialog.close();
  }

  private districtName = (code: string): string => this.districts.find((d) => d.unit.code === code)?.unit.name ?? code;

  private say(text: string): void {
    this.message.textContent = text;
    this.message.hidden = false;
  }

  private async load(): Promise<void> {
    const id = this.id;
    if (!id) return;
    let survey: Survey | undefined;
    let record: SurveyRecord;
    try {
      [survey, record] = await Promise.all([listSurveys().then((all) => all.find((s) => s.id === id)), surveyRecord(id)]);
    } catch (err) {
      this.header.replaceChildren(h('h2', '', '调查任务'), h('p', 'form-error', `无法加载该调查任务：${errorMessage(err)}`));
      return;
    }
    if (id !== this.id || !survey) return;
    this.renderHeader(survey, record);
    this.renderSteps(survey, record);
    this.renderPublications(survey, record.publications);
    this.decisions.replaceChildren(
      record.decisions.length ? h('ol', 'decisions', ...[...record.decisions].reverse().map((d) => decisionItem(d, this.districtName))) : h('p', 'muted', '尚无决定记录'),
    );
    await this.renderFreeze(survey);
  }

  private renderHeader(survey: Survey, record: SurveyRecord): void {
    const state = h('span', 'badge badge-warn', surveyStateLabel(survey));
    state.id = 'survey-state';
    state.dataset.state = record.state;
    state.dataset.frozen = String(survey.frozen);
    const secrecy = (survey as Survey & { secrecy?: string }).secrecy;
    this.header.replaceChildren(
      h('h2', '', survey.title),
      h('p', '', state),
      h(
        'dl',
        'facts',
        h('dt', '', '类型'),
        h('dd', '', `${SURVEY_KIND_NAMES[survey.kind] ?? survey.kind}（${survey.scope === 'city' ? '全市' : `区 ${this.districtName(survey.districtCode ?? '')}`}）`),
        h('dt', '', '调查时点'),
        h('dd', '', survey.timePoint),
        h('dt', '', '密级'),
        h('dd', '', secrecy ? (SECRECY_NAMES[secrecy] ?? secrecy) : ''),
        h('dt', '', '汇交截止'),
        h('dd', '', survey.submissionDeadline ?? '未设定'),
      ),
    );
  }

  private renderSteps(survey: Survey, record: SurveyRecord): void {
    const active = record.publications.filter((p) => !p.withdrawnAt && p.districtCode);
    // A district's publication is withdrawn only where one stands; a district publishes once.
    const own = this.user?.districtCode ?? null;
    const steps = record.steps.filter((step) =>
      step.action === 'withdraw_district' ? active.some((p) => !own || p.districtCode === own)
      : step.action === 'publish_district' && own ? !active.some((p) => p.districtCode === own)
      : true);
    stepPanel(this.steps, steps, {
      none: '当前没有您可进行的操作。',
      hint: (step) => (step.needs.includes('frozen') && !survey.frozen ? `须先冻结 ${survey.year} 年度快照` : null),
      form: (step) => {
        if (step.action === 'withdraw_district') {
          return { districts: active.filter((p) => !own || p.districtCode === own).map((p) => ({ code: p.districtCode!, name: p.districtName ?? p.districtCode! })), note: '撤回该区的依次公布。' };
        }
        if (step.action === 'publish_district') {
          return { districts: this.districts.filter((d) => !own || d.unit.code === own).map((d) => ({ code: d.unit.code, name: d.unit.name })), defaultDistrict: own, note: '市级公布之后，各区依次公布本区的成果。' };
        }
        if (step.action === 'publish') return { note: `公布 ${survey.timePoint} 的调查成果；${(survey as Survey & { secrecy?: string }).secrecy === 'public' ? '该调查密级为公开，公众可在地图上查看。' : '该调查密级非公开，公众看不到公布的成果。'}` };
        if (step.action === 'withdraw') return { note: '撤回后公众不再能看到该调查的成果（撤回本身作为一项决定记录在案）。' };
        return {};
      },
      send: async (body) => {
        const outcome = await decideOnSurvey(survey.id, body);
        const step = record.steps.find((s) => s.action === body.action);
        this.say(`已完成“${step?.labelZh ?? body.action}”，当前状态：${SURVEY_STATES[outcome.state] ?? outcome.state}`);
        await this.load();
      },
    });
  }

  private renderPublications(survey: Survey, publications: Publication[]): void {
    if (publications.length === 0) {
      this.publications.replaceChildren(h('p', 'muted', survey.state === 'approved' || survey.state === 'published' ? '尚未公布' : '成果批准后方可公布'));
      return;
    }
    const table = h('table', 'publication-table');
    table.id = 'publication-table';
    const head = table.createTHead().insertRow();
    for (const title of ['范围', '时点', '图层', '字段', '公布时间', '状态']) head.append(h('th', '', title));
    const body = table.createTBody();
    for (const p of publications) {
      const tr = h(
        'tr',
        p.withdrawnAt ? 'muted' : '',
        h('td', '', p.districtCode ? (p.districtName ?? p.districtCode) : '全市'),
        h('td', '', p.day),
        h('td', '', p.layers.map((layer) => PUBLICATION_LAYERS[layer] ?? layer).join('、')),
        h('td', '', p.fields.map(fieldLabel).join('、')),
        h('td', '', formatDateTime(p.publishedAt)),
        h('td', '', p.withdrawnAt ? `已于 ${formatDateTime(p.withdrawnAt)} 撤回` : '公布中'),
      );
      tr.dataset.publication = p.id;
      tr.dataset.district = p.districtCode ?? '';
      body.append(tr);
    }
    this.publications.replaceChildren(table);
  }

  /** The year's freeze: what is missing, and the button with its confirmation. */
  private async renderFreeze(survey: Survey): Promise<void> {
    const canFreeze = this.user?.role === 'city_admin';
    if (!FREEZABLE_KINDS.has(survey.kind) || survey.scope !== 'city' || !['city_admin', 'city_auditor', 'leading_group_office'].includes(this.user?.role ?? '')) {
      this.freeze.hidden = true;
      return;
    }
    this.freeze.hidden = false;
    const title = h('h2', '', `${survey.year} 年度快照`);
    if (survey.frozen) {
      this.freeze.replaceChildren(title, h('p', '', `已冻结：${survey.year} 年 12月31日 的图斑状态不可再修改。`));
      return;
    }
    let blockers: FreezeBlocker[];
    try {
      blockers = await freezeBlockers(survey.year);
    } catch (err) {
      this.freeze.replaceChildren(title, h('p', 'form-error', `无法查询冻结条件：${errorMessage(err)}`));
      return;
    }
    const open = button(`冻结 ${survey.year} 年度快照…`, '');
    open.id = 'freeze-open';
    open.disabled = blockers.length > 0 || !canFreeze;
    open.addEventListener('click', () => this.confirmFreeze(survey));
    const list = h('ul', 'freeze-blockers');
    list.id = 'freeze-blockers';
    for (const blocker of blockers) {
      const item = h('li', '', ...blockerText(blocker, this.districtName));
      item.dataset.reason = blocker.reason;
      list.append(item);
    }
    this.freeze.replaceChildren(
      title,
      blockers.length ? h('p', '', `尚不能冻结，还缺 ${blockers.length} 项：`) : h('p', '', '冻结条件已满足：各区成果均已入库或已声明本年度无变化，调查任务已结束汇交。'),
      ...(blockers.length ? [list] : []),
      canFreeze ? open : h('p', 'muted', '冻结由市级管理员进行。'),
    );
  }

  private confirmFreeze(survey: Survey): void {
    const day = `${survey.year} 年 12月31日`;
    const error = h('p', 'form-error');
    error.hidden = true;
    const confirm = button('确认冻结', '');
    confirm.id = 'freeze-confirm';
    const cancel = button('取消');
    cancel.addEventListener('click', () => this.dialog.close());
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      try {
        const snapshot = await freezeYear(survey.year);
        this.dialog.close();
        this.say(`已冻结 ${survey.year} 年度快照（${snapshot.snapshotDate}，校验值 ${snapshot.checksum.slice(0, 12)}…）`);
        await this.load();
      } catch (err) {
        error.textContent = `冻结未成功：${errorMessage(err)}`;
        error.hidden = false;
      } finally {
        confirm.disabled = false;
      }
    });
    this.dialog.replaceChildren(
      h('h3', '', `冻结 ${day} 快照`),
      h('p', '', `冻结后，${day} 的图斑状态（${submissionStateName('applied')}的全部成果）成为不可更改的年度快照，之后该日期及以前的图斑不能再变更。`),
      error,
      h('div', 'form-actions', confirm, cancel),
    );
    this.dialog.showModal();
  }
}
