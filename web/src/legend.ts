// The legend: the land-use classes in the 三调 palette (those drawn in the view, or all of them),
// basic farmland and district boundaries, and the change and finding colours when shown.
import type { CodeEntry } from './api-data';
import { button, h } from './dom';
import { CHANGE_KINDS, SEVERITIES, SEVERITY_COLORS } from './labels';
import { DISTRICT_COLOR, FARMLAND_COLOR } from './map-style';

export interface LegendState {
  /** DLBM codes drawn in the view; null before any tile is drawn */
  visible: Set<string> | null;
  comparing: { from: string; to: string; counts: { added: number; changed: number; retired: number } | null } | null;
  findings: boolean;
}

function swatch(color: string, kind: 'fill' | 'line' | 'hatch' | 'dot' = 'fill'): HTMLElement {
  const el = h('span', `swatch swatch-${kind}`);
  if (kind === 'line') el.style.borderColor = color;
  else if (kind === 'hatch') el.style.setProperty('--hatch', color);
  else el.style.background = color;
  return el;
}

function row(sample: HTMLElement, label: string, code?: string): HTMLElement {
  const item = h('li', '', sample, h('span', 'legend-label', label));
  if (code) item.dataset.code = code;
  return item;
}

export class Legend {
  private classes: CodeEntry[] = [];
  private groups = new Map<string, string>();
  private showAll = false;
  private state: LegendState = { visible: null, comparing: null, findings: false };

  constructor(private readonly root: HTMLElement) {}

  setClasses(classes: CodeEntry[], groups: CodeEntry[]): void {
    this.classes = classes.filter((entry) => entry.color);
    this.groups = new Map(groups.map((group) => [group.code, group.name]));
    this.render();
  }

  update(state: Partial<LegendState>): void {
    this.state = { ...this.state, ...state };
    this.render();
  }

  private render(): void {
    const parts: HTMLElement[] = [];
    const { visible } = this.state;
    const shown = this.showAll || !visible ? this.classes : this.classes.filter((entry) => visible.has(entry.code));
    const heading = h('div', 'legend-heading', h('span', '', this.showAll || !visible ? '地类（全部）' : `地类（当前视图 ${shown.length} 类）`));
    const toggle = button(this.showAll ? '仅当前视图' : '显示全部', 'link');
    toggle.addEventListener('click', () => {
      this.showAll = !this.showAll;
      this.render();
    });
    if (visible) heading.append(toggle);
    parts.push(heading);

    const list = h('ul', 'legend-list legend-classes');
    let lastGroup: string | null = null;
    for (const entry of shown) {
      const group = entry.parentCode ?? '';
      // A 一级类 with no 二级 classes (09 特殊用地) is its own only class: its row names it, with no
      // heading of the same words above it.
      if (group !== lastGroup && this.groups.has(group) && entry.code !== group) list.append(h('li', 'legend-group', `${group} ${this.groups.get(group)}`));
      lastGroup = group;
      list.append(row(swatch(entry.color!), `${entry.code} ${entry.name}`, entry.code));
    }
    if (shown.length === 0) list.append(h('li', 'muted', visible ? '当前视图中没有地类图斑' : '暂无地类'));
    parts.push(list);

    const others = h('ul', 'legend-list');
    others.append(row(swatch(FARMLAND_COLOR, 'hatch'), '永久基本农田'), row(swatch(DISTRICT_COLOR, 'line'), '区界'));
    parts.push(h('div', 'legend-heading', '其他要素'), others);

    const { comparing } = this.state;
    if (comparing) {
      const changes = h('ul', 'legend-list legend-changes');
      for (const [kind, { label, color }] of Object.entries(CHANGE_KINDS)) {
        const count = comparing.counts?.[kind as keyof typeof CHANGE_KINDS];
        changes.append(row(swatch(color), count === undefined ? label : `${label}（${count.toLocaleString('zh-CN')}）`));
      }
      parts.push(h('div', 'legend-heading', `变化 ${comparing.from} → ${comparing.to}`), changes);
    }
    if (this.state.findings) {
      const findings = h('ul', 'legend-list');
      for (const [severity, label] of Object.entries(SEVERITIES)) findings.append(row(swatch(SEVERITY_COLORS[severity]!, 'dot'), `质检问题：${label}`));
      parts.push(h('div', 'legend-heading', '质检问题'), findings);
    }
    this.root.replaceChildren(...parts);
  }
}
