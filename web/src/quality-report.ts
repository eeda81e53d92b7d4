// A submission's quality report: the import report in brief, the summary per rule, and the
// findings list (paged), each finding opening the map on its place with the run's findings shown.
import { errorMessage } from './api';
import { listFindings, type Finding, type QualityRun, type Severity, type SubmissionDetail } from './api-data';
import { button, formatCount, h } from './dom';
import { CATEGORIES, SEVERITIES, SUBMISSION_STATES } from './labels';

const PAGE = 50;

const LAYER_NAMES: Record<string, string> = { DLTB: '地类图斑', YJJBNTTB: '永久基本农田图斑', XZQ: '行政区', ZD: '宗地' };

export type FindingAction = (run: QualityRun, finding: Finding) => void;

interface LayerLine {
  code?: string;
  name?: string;
  records?: number;
  crs?: { epsg?: number; name?: string };
  encoding?: { name?: string } | null;
  warnings?: string[];
}

function importSummary(submission: SubmissionDetail): HTMLElement | null {
  const report = submission.report;
  if (!report) return null;
  const error = report.error as { message?: { zh?: string }; code?: string } | undefined;
  if (error) return h('p', 'form-error', `导入失败：${error.message?.zh ?? error.code ?? '未知错误'}`);
  const layers = (report.layers as LayerLine[] | undefined) ?? [];
  const list = h('ul', 'import-layers');
  for (const layer of layers) {
    const crs = layer.crs?.epsg ? `EPSG:${layer.crs.epsg}` : '坐标系未知';
    const encoding = layer.encoding?.name ? `，编码 ${layer.encoding.name}` : '';
    list.append(h('li', '', `${layer.code ?? ''} ${LAYER_NAMES[layer.code ?? ''] ?? layer.name ?? ''}：${formatCount(layer.records ?? 0)} 条记录，${crs}${encoding}`));
  }
  return h('div', 'import-summary', h('h3', '', '导入结果'), list);
}

export class QualityReport {
  private run: QualityRun | null = null;
  private offset = 0;
  private severity: Severity | '' = '';
  private ruleId = '';
  private request = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly onFinding: FindingAction,
  ) {}

  clear(): void {
    this.run = null;
    this.root.replaceChildren();
    this.root.hidden = true;
  }

  async show(submission: SubmissionDetail, run: QualityRun | null): Promise<void> {
    this.run = run;
    this.offset = 0;
    this.severity = '';
    this.ruleId = '';
    this.root.hidden = false;
    const state = SUBMISSION_STATES[submission.state] ?? submission.state;
    const parts: HTMLElement[] = [
      h('h2', '', `质检报告 · ${submission.fileName}`),
      h('p', `badge ${submission.state === 'checked' || submission.state === 'applied' || submission.state === 'accepted' ? 'badge-ok' : submission.state === 'rejected' || submission.state === 'failed' ? 'badge-error' : 'badge-warn'}`, state),
    ];
    const imported = importSummary(submission);
    if (imported) parts.push(imported);
    if (!run) {
      if (submission.state !== 'failed') parts.push(h('p', 'muted', '尚无质检结果'));
      this.root.replaceChildren(...parts);
      return;
    }
    if (run.state === 'failed') parts.push(h('p', 'form-error', '质检运行失败，请联系管理员'));
    const { error, warning, info } = run.bySeverity;
    parts.push(
      h(
        'p',
        'run-totals',
        `共发现 ${formatCount(run.findings ?? 0)} 个问题：错误 ${formatCount(error)} 个（须更正），警告 ${formatCount(warning)} 个，提示 ${formatCount(info)} 个`,
      ),
      this.summaryTable(run),
      h('h3', '', '问题清单'),
      this.filters(run),
      h('div', 'findings-holder'),
    );
    this.root.replaceChildren(...parts);
    await this.loadPage();
  }

  private summaryTable(run: QualityRun): HTMLElement {
    const table = h('table', 'rule-summary');
    const head = table.createTHead().insertRow();
    for (const title of ['规则', '名称', '类别', '严重程度', '问题数']) head.append(h('th', title === '问题数' ? 'num' : '', title));
    const body = table.createTBody();
    const entries = [...(run.summary ?? [])].sort((a, b) => b.findings - a.findings || a.ruleId.localeCompare(b.ruleId));
    for (const entry of entries) {
      const tr = body.insertRow();
      tr.className = entry.findings > 0 ? `has-findings severity-${entry.severity}` : 'muted';
      tr.dataset.rule = entry.ruleId;
      tr.append(
        h('td', 'code', entry.ruleId),
        h('td', '', entry.title.zh),
        h('td', '', CATEGORIES[entry.category] ?? entry.category),
        h('td', '', h('span', `sev sev-${entry.severity}`, SEVERITIES[entry.severity] ?? entry.severity)),
        h('td', 'num', formatCount(entry.findings)),
      );
      if (entry.findings > 0) {
        tr.tabIndex = 0;
        tr.title = '只看该规则的问题';
        tr.addEventListener('click', () => this.filterRule(entry.ruleId));
      }
    }
    return table;
  }

  private filters(run: QualityRun): HTMLElement {
    const severity = h('select', '');
    severity.id = 'finding-severity';
    severity.append(new Option('全部严重程度', ''));
    for (const [value, label] of Object.entries(SEVERITIES)) severity.append(new Option(label, value));
    severity.addEventListener('change', () => {
      this.severity = severity.value as Severity | '';
      this.offset = 0;
      void this.loadPage();
    });
    const rule = h('select', '');
    rule.id = 'finding-rule';
    rule.append(new Option('全部规则', ''));
    for (const entry of run.summary ?? []) if (entry.findings > 0) rule.append(new Option(`${entry.ruleId} ${entry.title.zh}`, entry.ruleId));
    rule.addEventListener('change', () => {
      this.ruleId = rule.value;
      this.offset = 0;
      void this.loadPage();
    });
    return h('div', 'finding-filters', severity, rule);
  }

  private filterRule(ruleId: string): void {
    const select = this.root.querySelector<HTMLSelectElement>('#finding-rule');
    if (select) select.value = ruleId;
    this.ruleId = ruleId;
    this.offset = 0;
    void this.loadPage();
  }

  private async loadPage(): Promise<void> {
    const run = this.run;
    const holder = this.root.querySelector<HTMLElement>('.findings-holder');
    if (!run || !holder) return;
    const request = ++this.request;
    holder.setAttribute('aria-busy', 'true');
    try {
      const page = await listFindings(run.id, { limit: PAGE, offset: this.offset, severity: this.severity, ruleId: this.ruleId });
      if (request !== this.request) return;
      holder.replaceChildren(this.findingList(run, page.findings), this.pager(page.total));
    } catch (err) {
      if (request === this.request) holder.replaceChildren(h('p', 'form-error', `无法加载问题清单：${errorMessage(err)}`));
    } finally {
      if (request === this.request) holder.setAttribute('aria-busy', 'false');
    }
  }

  private findingList(run: QualityRun, findings: Finding[]): HTMLElement {
    if (findings.length === 0) return h('p', 'muted', '没有问题');
    const list = h('ol', 'findings');
    for (const finding of findings) {
      const item = h(
        'li',
        `finding sev-border-${finding.severity}`,
        h('span', `sev sev-${finding.severity}`, SEVERITIES[finding.severity] ?? finding.severity),
        h('span', 'code', `#${finding.findingNo} ${finding.ruleId}`),
        h('span', 'finding-message', finding.message.zh),
        h('span', 'muted', finding.bsm ? `标识码 ${finding.bsm}${finding.otherBsm ? ` / ${finding.otherBsm}` : ''}` : finding.recordNo !== null ? `记录 ${finding.recordNo}` : ''),
      );
      item.dataset.findingNo = String(finding.findingNo);
      if (finding.bbox) {
        item.tabIndex = 0;
        item.classList.add('clickable');
        item.title = '在地图上查看';
        const open = () => this.onFinding(run, finding);
        item.addEventListener('click', open);
        item.addEventListener('keydown', (event) => event.key === 'Enter' && open());
      }
      list.append(item);
    }
    return list;
  }

  private pager(total: number): HTMLElement {
    const from = total === 0 ? 0 : this.offset + 1;
    const to = Math.min(total, this.offset + PAGE);
    const previous = button('上一页');
    previous.disabled = this.offset === 0;
    previous.addEventListener('click', () => {
      this.offset = Math.max(0, this.offset - PAGE);
      void this.loadPage();
    });
    const next = button('下一页');
    next.disabled = to >= total;
    next.addEventListener('click', () => {
      this.offset += PAGE;
      void this.loadPage();
    });
    return h('div', 'pager', h('span', 'muted', `第 ${formatCount(from)}–${formatCount(to)} 个，共 ${formatCount(total)} 个`), previous, next);
  }
}
