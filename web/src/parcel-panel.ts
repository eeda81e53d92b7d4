// The parcel panel: a clicked (or searched) parcel's attributes with their 三调 field labels, its
// area in m² and 亩, its versions and the lineage around it (GET /api/parcels/{bsm}).
import { errorMessage } from './api';
import { getCodeList, getParcel, type Bbox, type ParcelHistory, type ParcelVersion } from './api-data';
import { button, formatArea, formatMu, h } from './dom';
import { CODED_FIELDS, DLTB_FIELDS, LINEAGE_KINDS } from './labels';

export interface PanelActions {
  zoomTo(bbox: Bbox): void;
  /** outline a version on the map (null: none) */
  select(version: ParcelVersion | null): void;
  /** open another parcel of the lineage */
  open(bsm: string): void;
}

let codeNames: Promise<Map<string, Map<string, string>>> | null = null;

/** Names of the coded attributes (权属性质 …), loaded once. */
function loadCodeNames(): Promise<Map<string, Map<string, string>>> {
  codeNames ??= Promise.all(
    [...new Set(Object.values(CODED_FIELDS))].map(async (list) => {
      const entries = await getCodeList(list).catch(() => []);
      return [list, new Map(entries.map((entry) => [entry.code, entry.name]))] as const;
    }),
  ).then((lists) => new Map(lists));
  return codeNames;
}

/** A day as the map takes it (YYYY: that year's snapshot day) as YYYY-MM-DD. */
export function dayOf(asOf: string): string {
  return /^\d{4}$/.test(asOf) ? `${asOf}-12-31` : asOf;
}

/** The version valid on a day (YYYY or YYYY-MM-DD); none when the parcel did not exist that day. */
export function versionOn(versions: readonly ParcelVersion[], asOf: string): ParcelVersion | undefined {
  const day = dayOf(asOf);
  return versions.find((v) => v.validFrom <= day && (v.validTo === null || day < v.validTo));
}

function period(version: ParcelVersion): string {
  return `${version.validFrom} 至 ${version.validTo ?? '今'}`;
}

function displayValue(key: string, value: unknown, names: Map<string, Map<string, string>>): string {
  if (value === null || value === undefined || value === '') return '—';
  const text = String(value);
  const list = CODED_FIELDS[key];
  const name = list ? names.get(list)?.get(text) : undefined;
  return name ? `${text}（${name}）` : text;
}

export class ParcelPanel {
  private history: ParcelHistory | null = null;
  private names = new Map<string, Map<string, string>>();
  /** the day the map shows: the panel shows the version valid on it */
  private day = '';
  private request = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly actions: PanelActions,
  ) {}

  clear(): void {
    this.request++;
    this.history = null;
    this.root.hidden = true;
    this.root.replaceChildren();
    this.actions.select(null);
  }

  /** Loads and shows a parcel; the version shown is versionId, else the one valid on asOf. */
  async show(bsm: string, versionId: number | null, asOf: string): Promise<ParcelHistory | null> {
    const request = ++this.request;
    this.day = asOf;
    this.root.hidden = false;
    this.root.setAttribute('aria-busy', 'true');
    this.root.replaceChildren(this.header(bsm), h('p', 'muted', '正在加载图斑信息…'));
    try {
      const [history, names] = await Promise.all([getParcel(bsm), loadCodeNames()]);
      if (request !== this.request) return null;
      this.history = history;
      this.names = names;
      this.render(history.versions.find((v) => v.versionId === versionId) ?? versionOn(history.versions, asOf) ?? null);
      return history;
    } catch (err) {
      if (request === this.request) this.root.replaceChildren(this.header(bsm), h('p', 'form-error', `无法加载图斑：${errorMessage(err)}`));
      return null;
    } finally {
      if (request === this.request) this.root.setAttribute('aria-busy', 'false');
    }
  }

  /** The map now shows another day: show the parcel's version valid on it (its history stays). */
  showDay(asOf: string): void {
    if (asOf === this.day) return;
    this.day = asOf;
    if (this.history && !this.root.hidden) this.render(versionOn(this.history.versions, asOf) ?? null);
  }

  private header(bsm: string): HTMLElement {
    const close = button('×', 'icon');
    close.title = '关闭';
    close.setAttribute('aria-label', '关闭图斑信息');
    close.addEventListener('click', () => this.clear());
    return h('div', 'panel-header', h('h2', '', `图斑 ${bsm}`), close);
  }

  private render(version: ParcelVersion | null): void {
    const history = this.history!;
    const names = this.names;
    this.actions.select(version);
    this.root.dataset.versionId = version ? String(version.versionId) : '';
    if (!version) {
      // Not there on the day shown (not yet created, or already replaced or retired): say so, and
      // keep its versions at hand.
      this.root.replaceChildren(
        this.header(history.bsm),
        h('p', 'notice parcel-absent', `${dayOf(this.day)} 该图斑无有效版本（尚未产生，或已被替代、灭失）`),
        h('h3', '', `历史版本（${history.versions.length}）`),
        this.versionList(null),
        h('h3', '', `谱系（${history.graph.edges.length} 条变更关系）`),
        this.lineage(),
      );
      return;
    }
    const area = h(
      'p',
      'parcel-area',
      h('span', 'area-value', `${formatArea(version.areaM2)} m²`),
      h('span', 'area-mu', `${formatMu(version.areaM2)} 亩`),
    );
    const zoom = button('缩放至图斑');
    zoom.addEventListener('click', () => this.actions.zoomTo(version.bbox));
    const summary = h('dl', 'facts compact');
    summary.append(
      h('dt', '', '地类'),
      h('dd', 'parcel-class', `${displayValue('dlbm', version.attributes.dlbm, names)} ${String(version.attributes.dlmc ?? '')}`),
      h('dt', '', '有效期'),
      h('dd', '', period(version)),
      h('dt', '', '版本号'),
      h('dd', '', String(version.versionId)),
      h('dt', '', '椭球面积'),
      h('dd', '', area),
    );

    const attributes = h('table', 'attributes');
    const body = attributes.createTBody();
    for (const field of DLTB_FIELDS) {
      const value = field.key === 'bsm' ? version.bsm : version.attributes[field.key];
      const tr = body.insertRow();
      tr.append(h('th', '', field.label), h('td', value === null || value === undefined || value === '' ? 'muted' : '', displayValue(field.key, value, names)));
      tr.title = field.name;
    }

    this.root.replaceChildren(
      this.header(history.bsm),
      summary,
      h('div', 'panel-actions', zoom),
      h('h3', '', '属性'),
      attributes,
      h('h3', '', `历史版本（${history.versions.length}）`),
      this.versionList(version),
      h('h3', '', `谱系（${history.graph.edges.length} 条变更关系）`),
      this.lineage(),
    );
  }

  private versionList(shown: ParcelVersion | null): HTMLElement {
    const list = h('ol', 'versions');
    for (const version of this.history!.versions) {
      const item = h(
        'li',
        version.versionId === shown?.versionId ? 'current' : '',
        h('span', 'period', period(version)),
        h('span', '', `${String(version.attributes.dlbm ?? '')} ${String(version.attributes.dlmc ?? '')}`),
        h('span', 'muted', `${formatArea(version.areaM2)} m²`),
      );
      item.tabIndex = 0;
      item.title = '查看此版本';
      const open = () => this.render(version);
      item.addEventListener('click', open);
      item.addEventListener('keydown', (event) => event.key === 'Enter' && open());
      list.append(item);
    }
    return list;
  }

  private lineage(): HTMLElement {
    const { nodes, edges } = this.history!.graph;
    if (edges.length === 0) return h('p', 'muted', '自基础调查以来无分割、合并或变更记录');
    const byId = new Map(nodes.map((node) => [node.versionId, node]));
    const own = this.history!.bsm;
    const link = (versionId: number) => {
      const node = byId.get(versionId);
      if (!node) return h('span', 'muted', `#${versionId}`);
      const label = `${node.bsm}（${String(node.attributes.dlbm ?? '')}，${node.validFrom}起）`;
      if (node.bsm === own) return h('span', 'own', label);
      const anchor = button(label, 'link');
      anchor.addEventListener('click', () => this.actions.open(node.bsm));
      return anchor;
    };
    const list = h('ul', 'lineage');
    for (const edge of edges) {
      list.append(
        h(
          'li',
          '',
          h('span', 'period', edge.changeDate),
          h('span', 'kind', LINEAGE_KINDS[edge.kind] ?? edge.kind),
          link(edge.predecessorVersionId),
          h('span', 'arrow', '→'),
          link(edge.successorVersionId),
        ),
      );
    }
    return list;
  }
}
