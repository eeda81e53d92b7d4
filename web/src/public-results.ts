// What the public (anonymous visitors) is given: the published results (GET /api/publications),
// the map of a published day's land use and basic farmland (the database's row-level security
// lets an anonymous visitor's tiles carry only the parcels of a standing publication of a 公开
// survey), and that day's statistics and change-flow tables as pages and downloads. Nothing else:
// an unpublished day is not offered, and the API would refuse it (404 NOT_PUBLISHED).
import './workflow.css';
import { errorMessage } from './api';
import { getCodeList } from './api-data';
import { byId, formatDateTime, h, showError } from './dom';
import type { LandMap } from './map';
import { paletteExpression } from './map-style';
import { flowTable, listPublications, statisticsOn, type FlowTable, type Publication, type Statistics } from './workflow-api';

const LAYER_NAMES: Record<string, string> = { land_use: '地类图斑', basic_farmland: '永久基本农田' };
const KIND_NAMES: Record<string, string> = { national: '全国土地调查', land_use_change: '土地利用变更调查', cadastral_change: '地籍变更调查', special: '专项调查' };

const sideList = byId('public-results-list');
const daySelect = byId<HTMLSelectElement>('results-day');
const resultsError = byId('results-error');
const resultsNote = byId('results-note');
const statisticsBox = byId('results-statistics');
const flowBox = byId('results-flow');
const downloads = byId('results-downloads');

/** A published day and what was published on it. */
interface PublishedDay {
  day: string;
  publications: Publication[];
}

function byDay(publications: Publication[]): PublishedDay[] {
  const days = new Map<string, Publication[]>();
  for (const publication of publications) days.set(publication.day, [...(days.get(publication.day) ?? []), publication]);
  return [...days].map(([day, list]) => ({ day, publications: list })).sort((a, b) => b.day.localeCompare(a.day));
}

function link(label: string, href: string): HTMLAnchorElement {
  const a = h('a', 'download', label);
  a.href = href;
  a.setAttribute('download', '');
  return a;
}

function table(head: string[], rows: (string | number)[][], numericFrom = 2): HTMLTableElement {
  const thead = h('thead', '', h('tr', '', ...head.map((label, i) => {
    const th = h('th', i >= numericFrom ? 'num' : '', label);
    th.scope = 'col';
    return th;
  })));
  const tbody = h('tbody', '', ...rows.map((row) => h('tr', '', ...row.map((cell, i) => h('td', i >= numericFrom ? 'num' : '', String(cell))))));
  return h('table', 'compact-table results-table', thead, tbody);
}

function describe(publication: Publication): string {
  const where = publication.districtName ? `${publication.districtName}公布` : '全市公布';
  return `${publication.surveyTitle}（${KIND_NAMES[publication.surveyKind] ?? publication.surveyKind}，${where}）`;
}

export class PublicResults {
  private days: PublishedDay[] = [];
  private palette: ReturnType<typeof paletteExpression> | null = null;
  private active = false;

  constructor(
    private readonly landMap: LandMap,
    private readonly openTables: () => void,
  ) {
    daySelect.addEventListener('change', () => void this.showTables(daySelect.value));
  }

  /** An anonymous visitor: lists the published days and draws the latest on the map. */
  async enter(): Promise<void> {
    this.active = true;
    try {
      this.days = byDay(await listPublications());
    } catch (err) {
      sideList.replaceChildren(h('p', 'form-error', `无法加载已公布成果：${errorMessage(err)}`));
      return;
    }
    if (!this.active) return;
    this.renderSide();
    daySelect.replaceChildren(...this.days.map((entry) => new Option(`${entry.day}（${entry.publications.map((p) => p.surveyTitle).join('、')}）`, entry.day)));
    const latest = this.days[0];
    if (latest) await this.showOnMap(latest.day);
  }

  /** Signed in: the map is the reading roles' (or nothing); this panel goes. */
  leave(): void {
    this.active = false;
    this.landMap.parcelClicks = true;
  }

  /** The results page (#/results): the selected day's tables. */
  async enterTables(): Promise<void> {
    if (this.days.length === 0) this.days = byDay(await listPublications().catch(() => []));
    if (daySelect.options.length === 0) daySelect.replaceChildren(...this.days.map((entry) => new Option(entry.day, entry.day)));
    await this.showTables(daySelect.value);
  }

  private renderSide(): void {
    if (this.days.length === 0) {
      sideList.replaceChildren(h('p', 'muted', '暂无已公布的调查成果。'));
      return;
    }
    sideList.replaceChildren(
      ...this.days.map((entry) => {
        const show = h('button', 'secondary', '在地图上查看');
        show.type = 'button';
        show.addEventListener('click', () => void this.showOnMap(entry.day));
        const tables = h('button', 'link', '统计表与流量表');
        tables.type = 'button';
        tables.addEventListener('click', () => {
          daySelect.value = entry.day;
          this.openTables();
        });
        const item = h(
          'div',
          'published-day',
          h('strong', '', `${entry.day} 时点`),
          ...entry.publications.map((p) => h('p', 'small', `${describe(p)}：${p.layers.map((layer) => LAYER_NAMES[layer] ?? layer).join('、')}；${formatDateTime(p.publishedAt)} 公布`)),
          h('div', 'actions', show, tables),
        );
        item.dataset.day = entry.day;
        return item;
      }),
    );
  }

  /** Draws the published day's parcels (the tiles as of that day, which the database limits to the published ones). */
  private async showOnMap(day: string): Promise<void> {
    try {
      this.palette ??= paletteExpression(await getCodeList('dlbm'));
    } catch (err) {
      this.landMap.setStatus(`无法加载地类配色：${errorMessage(err)}`);
      return;
    }
    if (!this.active) return;
    // The parcel panel reads routes the public may not: clicks on parcels do nothing here.
    this.landMap.parcelClicks = false;
    this.landMap.setAsOf(day);
    await this.landMap.setDataEnabled(true, this.palette);
    for (const item of sideList.querySelectorAll<HTMLElement>('.published-day')) item.classList.toggle('current', item.dataset.day === day);
  }

  private async showTables(day: string): Promise<void> {
    showError(resultsError, null);
    statisticsBox.replaceChildren();
    flowBox.replaceChildren();
    downloads.replaceChildren();
    if (!day) {
      resultsNote.textContent = '暂无已公布的调查成果。';
      return;
    }
    resultsNote.textContent = '';
    // A flow table needs both of its days published: the previous published day, if any.
    const earlier = this.days.map((entry) => entry.day).filter((other) => other < day).sort().pop() ?? null;
    downloads.append(
      link('现状统计表（XLSX）', `/api/statistics?asOf=${day}&format=xlsx`),
      link('现状统计表（CSV）', `/api/statistics?asOf=${day}&format=csv`),
    );
    if (earlier) {
      downloads.append(
        link('流量表（XLSX）', `/api/change-flows?from=${earlier}&to=${day}&level=1&format=xlsx`),
        link('流量表（CSV）', `/api/change-flows?from=${earlier}&to=${day}&level=1&format=csv`),
      );
    }
    try {
      const [statistics, flow] = await Promise.all([statisticsOn(day), earlier ? flowTable(earlier, day) : Promise.resolve(null)]);
      if (daySelect.value !== day) return;
      statisticsBox.replaceChildren(...this.statisticsTables(statistics));
      flowBox.replaceChildren(...(flow ? this.flowTable(flow) : [h('p', 'muted', '流量表须有前后两个已公布的时点，目前仅公布了这一个时点。')]));
    } catch (err) {
      showError(resultsError, `无法加载统计表：${errorMessage(err)}`);
    }
  }

  private statisticsTables(statistics: Statistics): HTMLElement[] {
    const classes = table(
      ['地类编码', '地类名称', '面积（公顷）', '面积（亩）', '图斑数'],
      [...statistics.city.classes.map((c) => [c.code, c.name, c.ha, c.mu, c.parcels]), ['', '合计', statistics.city.total.ha, statistics.city.total.mu, statistics.city.total.parcels]],
    );
    classes.id = 'results-classes';
    const districts = table(
      ['区代码', '区名', '面积（公顷）', '面积（亩）', '图斑数'],
      statistics.districts.map((d) => [d.districtCode, d.name, d.total.ha, d.total.mu, d.total.parcels]),
    );
    const farmland = table(
      ['区代码', '区名', '永久基本农田（公顷）', '永久基本农田（亩）', '图斑数'],
      [...statistics.basicFarmland.districts.map((d) => [d.districtCode, d.name, d.ha, d.mu, d.parcels]), ['', '合计', statistics.basicFarmland.total.ha, statistics.basicFarmland.total.mu, statistics.basicFarmland.total.parcels]],
    );
    return [h('h3', '', `土地利用现状（${statistics.asOf}，全市一级地类）`), classes, h('h3', '', '各区面积'), districts, h('h3', '', '永久基本农田'), farmland];
  }

  private flowTable(flow: FlowTable): HTMLElement[] {
    const rows = flow.rows.map((row) => [row.code, row.name, ...row.ha, row.total.ha]);
    const flows = table(['前期地类', '名称', ...flow.columns.map((c) => `${c.code} ${c.name}`), '前期合计'], [...rows, ['', '后期合计', ...flow.columnTotals.ha, flow.grandTotal.to.ha]]);
    flows.id = 'results-flow-table';
    return [h('h3', '', `土地利用变化流量表（${flow.from} → ${flow.to}，一级地类，公顷）`), flows];
  }
}
