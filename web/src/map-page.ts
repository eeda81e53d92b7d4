// The map page for the roles that read parcels: the day shown (a frozen year's snapshot, today or
// any date), the comparison of two years, the layers, a quality run's findings, search by BSM,
// the legend, the parcel panel and the cursor's coordinates.
import { ApiError, errorMessage } from './api';
import {
  changeCounts,
  featuresIn,
  getCodeList,
  getParcel,
  latestQualityRun,
  listSnapshots,
  listSubmissions,
  type Bbox,
  type ParcelVersion,
  type Snapshot,
  type Submission,
} from './api-data';
import { describePosition } from './coords';
import { byId, formatDateTime, h, showError, todayIso } from './dom';
import { SUBMISSION_STATES } from './labels';
import { Legend } from './legend';
import { inside, type District } from './districts';
import type { LandMap, Overlay, ParcelHit } from './map';
import { paletteExpression } from './map-style';
import { parseDay } from './date-field';
import { ParcelPanel, versionOn } from './parcel-panel';

const asOfSelect = byId<HTMLSelectElement>('as-of-select');
const asOfDate = byId<HTMLInputElement>('as-of-date');
const asOfDateError = byId('as-of-date-error');
const compareToggle = byId<HTMLInputElement>('compare-toggle');
const compareFields = byId('compare-fields');
const compareFrom = byId<HTMLSelectElement>('compare-from');
const compareTo = byId<HTMLSelectElement>('compare-to');
const compareNote = byId('compare-note');
const runSelect = byId<HTMLSelectElement>('run-select');
const runNote = byId('run-note');
const searchForm = byId<HTMLFormElement>('search-form');
const searchInput = byId<HTMLInputElement>('bsm-search');
const searchError = byId('search-error');
const coords = byId('coords');
const districtZoom = byId<HTMLSelectElement>('district-zoom');

function option(value: string, label: string): HTMLOptionElement {
  const el = h('option', '', label);
  el.value = value;
  return el;
}

export class MapPage {
  private readonly legend: Legend;
  private readonly panel: ParcelPanel;
  private snapshots: Snapshot[] = [];
  private districtNames = new Map<string, string>();
  private paletteLoaded = false;
  private palette: ReturnType<typeof paletteExpression> = '#cccccc';
  private selection = 0;

  constructor(private readonly landMap: LandMap) {
    this.legend = new Legend(byId('legend'));
    this.panel = new ParcelPanel(byId('parcel-panel'), {
      zoomTo: (bbox) => landMap.fitBbox(bbox),
      select: (version) => void this.outline(version),
      open: (bsm) => void this.search(bsm),
    });
    landMap.onParcelClick((hit) => void this.openAt(hit));
    landMap.onIdle(() => this.legend.update({ visible: landMap.visibleClasses() }));
    this.wireControls();
    this.wireCoordinates();
  }

  /** The districts to zoom to, and their names for the run selector. */
  setDistricts(districts: readonly District[]): void {
    this.districtNames = new Map(districts.map((d) => [d.unit.code, d.unit.name]));
    districtZoom.replaceChildren(option('', '选择行政区…'), ...districts.map((d) => option(d.unit.code, `${d.unit.name}（${d.unit.code}）`)));
    districtZoom.onchange = () => {
      const district = districts.find((d) => d.unit.code === districtZoom.value);
      if (district) this.landMap.fitBbox(district.bbox, 13);
    };
  }

  /** Signed in with a reading role: load the palette, the years and the runs; show the parcels. */
  async enter(): Promise<void> {
    if (!this.paletteLoaded) {
      const [classes, groups] = await Promise.all([getCodeList('dlbm'), getCodeList('dlbm_group').catch(() => [])]);
      this.legend.setClasses(classes, groups);
      this.palette = paletteExpression(classes);
      this.paletteLoaded = true;
    }
    await this.landMap.setDataEnabled(true, this.palette);
    await Promise.all([this.loadSnapshots(), this.loadRuns()]);
  }

  /** Signed out: the parcel layers and everything about them go. */
  async leave(): Promise<void> {
    this.panel.clear();
    compareToggle.checked = false;
    compareFields.hidden = true;
    runSelect.value = '';
    this.legend.update({ comparing: null, findings: false, visible: null });
    await this.landMap.setDataEnabled(false);
  }

  /** Shows a run's findings and zooms to one (from the upload page's report). */
  async showFinding(runId: string, submission: Submission | null, bbox: Bbox | null): Promise<void> {
    if (submission && ![...runSelect.options].some((o) => o.value === submission.id)) runSelect.append(this.runOption(submission));
    if (submission) runSelect.value = submission.id;
    runSelect.dataset.runId = runId;
    this.landMap.setOverlayVisible('findings', true);
    byId<HTMLInputElement>('layer-findings').checked = true;
    this.landMap.setFindingsRun(runId);
    this.legend.update({ findings: true });
    if (bbox) this.landMap.fitBbox(bbox, 16);
  }

  /** The day the parcels are drawn as of (the later year while comparing). */
  private shownDay(): string {
    return this.compareDays()?.to ?? this.landMap.getAsOf();
  }

  /** Opens the clicked parcel; below zoom 14 the tiles name none, so the API finds it at the point. */
  private async openAt(hit: ParcelHit): Promise<void> {
    let { bsm, versionId } = hit;
    if (!bsm) {
      const [lon, lat] = hit.lngLat;
      const d = 1e-6;
      try {
        const found = (await featuresIn([lon - d, lat - d, lon + d, lat + d], this.shownDay())).find((feature) => {
          const g = feature.geometry;
          const polygons = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
          return polygons.some((rings) => inside([lon, lat], rings));
        });
        if (!found) return;
        bsm = found.properties.bsm;
        versionId = found.id;
      } catch (err) {
        this.landMap.setStatus(`无法查询该位置的图斑：${errorMessage(err)}`);
        return;
      }
    }
    await this.panel.show(bsm, versionId, this.shownDay());
  }

  /** Outlines a version on the map, its geometry read from the API (valid on its first day). */
  private async outline(version: ParcelVersion | null): Promise<void> {
    const request = ++this.selection;
    if (!version) return this.landMap.select(null);
    try {
      const feature = (await featuresIn(version.bbox, version.validFrom, 1000)).find((f) => f.id === version.versionId);
      if (request === this.selection) this.landMap.select(feature?.geometry ?? null);
    } catch {
      if (request === this.selection) this.landMap.select(null);
    }
  }

  // ---- 时点与对比 ----

  private async loadSnapshots(): Promise<void> {
    try {
      this.snapshots = (await listSnapshots()).sort((a, b) => b.year - a.year);
    } catch {
      this.snapshots = [];
    }
    const current = asOfSelect.value || 'today';
    asOfSelect.replaceChildren(
      option('today', `现状（${todayIso()}）`),
      ...this.snapshots.map((s) => option(String(s.year), `${s.year}年 年度快照（${s.snapshotDate}）`)),
      option('date', '指定日期…'),
    );
    asOfSelect.value = [...asOfSelect.options].some((o) => o.value === current) ? current : 'today';
    const years = this.snapshots.map((s) => String(s.year));
    for (const select of [compareFrom, compareTo]) select.replaceChildren(...years.map((year) => option(year, `${year}年`)));
    if (years.length >= 2) {
      compareFrom.value = years[1]!;
      compareTo.value = years[0]!;
    }
    compareToggle.disabled = years.length < 2;
    compareNote.hidden = years.length >= 2;
    this.applyAsOf();
  }

  /** The day the selector stands for: YYYY for a snapshot, YYYY-MM-DD otherwise. */
  private selectedDay(): string {
    if (asOfSelect.value === 'today') return todayIso();
    if (asOfSelect.value === 'date') return parseDay(asOfDate.value) ?? todayIso();
    return asOfSelect.value;
  }

  private compareDays(): { from: string; to: string } | null {
    if (!compareToggle.checked || !compareFrom.value || !compareTo.value) return null;
    return { from: compareFrom.value, to: compareTo.value };
  }

  private applyAsOf(): void {
    asOfDate.hidden = asOfSelect.value !== 'date';
    if (asOfDate.hidden) showError(asOfDateError, null);
    this.landMap.setAsOf(this.selectedDay());
    this.panel.showDay(this.shownDay());
  }

  /** The typed day, shown as YYYY-MM-DD once it reads as one; a text that names no day is said so. */
  private applyTypedDay(): void {
    const day = parseDay(asOfDate.value);
    if (!day) {
      showError(asOfDateError, `“${asOfDate.value.trim()}”不是有效日期，请按 年-月-日 填写，如 2021-06-30`);
      return;
    }
    showError(asOfDateError, null);
    asOfDate.value = day;
    this.applyAsOf();
  }

  private async applyCompare(): Promise<void> {
    let days = this.compareDays();
    compareFields.hidden = !compareToggle.checked;
    asOfSelect.disabled = days !== null;
    asOfDate.disabled = days !== null;
    if (days && Number(days.from) > Number(days.to)) days = { from: days.to, to: days.from };
    if (days && days.from === days.to) {
      showError(compareNote, '请选择两个不同的年度');
      days = null;
    } else if (compareToggle.disabled === false) {
      showError(compareNote, null);
    }
    this.landMap.setCompare(days);
    this.panel.showDay(this.shownDay());
    this.legend.update({ comparing: days ? { ...days, counts: null } : null });
    if (!days) return;
    try {
      const { counts } = await changeCounts(days.from, days.to);
      if (JSON.stringify(this.compareDays()) === JSON.stringify(days)) this.legend.update({ comparing: { ...days, counts } });
    } catch {
      // The counts are a courtesy; the overlay is drawn from the tiles either way.
    }
  }

  // ---- 质检问题 ----

  private runOption(submission: Submission): HTMLOptionElement {
    const district = this.districtNames.get(submission.districtCode) ?? submission.districtCode;
    const state = SUBMISSION_STATES[submission.state] ?? submission.state;
    return option(submission.id, `${district} · ${submission.fileName} · ${formatDateTime(submission.createdAt)} · ${state}`);
  }

  private async loadRuns(): Promise<void> {
    let submissions: Submission[] = [];
    try {
      submissions = await listSubmissions();
    } catch (err) {
      // A surveyor or office may not list submissions: the selector simply stays empty.
      if (!(err instanceof ApiError && err.status === 403)) showError(runNote, `无法加载成果列表：${errorMessage(err)}`);
    }
    const keep = runSelect.value;
    const checked = submissions
      .filter((s) => !['received', 'importing', 'failed'].includes(s.state))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    runSelect.replaceChildren(option('', checked.length > 0 ? '不显示' : '暂无质检记录'), ...checked.map((s) => this.runOption(s)));
    runSelect.value = [...runSelect.options].some((o) => o.value === keep) ? keep : '';
  }

  private async applyRun(): Promise<void> {
    showError(runNote, null);
    const submissionId = runSelect.value;
    if (!submissionId) {
      this.landMap.setFindingsRun(null);
      this.legend.update({ findings: false });
      return;
    }
    try {
      const run = await latestQualityRun(submissionId);
      if (!run) {
        showError(runNote, '该成果尚未质检');
        this.landMap.setFindingsRun(null);
        return;
      }
      runSelect.dataset.runId = run.id;
      this.landMap.setFindingsRun(run.id);
      this.legend.update({ findings: true });
      runNote.textContent = `共 ${run.findings ?? 0} 个问题，其中错误 ${run.bySeverity.error} 个`;
      runNote.hidden = false;
      runNote.className = 'muted';
    } catch (err) {
      runNote.className = 'form-error';
      showError(runNote, `无法加载质检结果：${errorMessage(err)}`);
    }
  }

  // ---- 查询 ----

  /** Finds a parcel by BSM, zooms to it and opens its panel. */
  async search(bsm: string): Promise<void> {
    showError(searchError, null);
    const wanted = bsm.trim();
    if (!wanted) {
      showError(searchError, '请输入标识码');
      return;
    }
    searchInput.value = wanted;
    try {
      const history = await getParcel(wanted);
      const version = versionOn(history.versions, this.shownDay());
      // Not there on the day shown: zoom to where it last was; the panel says it is not there.
      const place = version ?? history.versions[history.versions.length - 1];
      if (place) this.landMap.fitBbox(place.bbox);
      await this.panel.show(wanted, version?.versionId ?? null, this.shownDay());
    } catch (err) {
      showError(searchError, err instanceof ApiError && err.status === 404 ? `未找到标识码为 ${wanted} 的图斑` : errorMessage(err));
    }
  }

  private wireControls(): void {
    asOfSelect.addEventListener('change', () => {
      if (asOfSelect.value === 'date' && !asOfDate.value) asOfDate.value = todayIso();
      this.applyAsOf();
    });
    asOfDate.addEventListener('change', () => this.applyTypedDay());
    asOfDate.addEventListener('keydown', (event) => event.key === 'Enter' && this.applyTypedDay());
    compareToggle.addEventListener('change', () => void this.applyCompare());
    compareFrom.addEventListener('change', () => void this.applyCompare());
    compareTo.addEventListener('change', () => void this.applyCompare());
    runSelect.addEventListener('change', () => void this.applyRun());
    for (const overlay of ['land_use', 'basic_farmland', 'districts', 'findings'] as Overlay[]) {
      const box = byId<HTMLInputElement>(`layer-${overlay}`);
      box.addEventListener('change', () => {
        this.landMap.setOverlayVisible(overlay, box.checked);
        if (overlay === 'districts') this.landMap.labels.setVisible(box.checked);
      });
    }
    searchForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.search(searchInput.value);
    });
  }

  private wireCoordinates(): void {
    const hint = '移动鼠标查看坐标（CGCS2000）';
    coords.textContent = hint;
    this.landMap.map.on('mousemove', (event) => {
      const { geographic, projected } = describePosition(event.lngLat.lng, event.lngLat.lat);
      coords.replaceChildren(h('span', '', geographic), h('span', '', projected));
    });
    this.landMap.map.getCanvasContainer().addEventListener('mouseleave', () => (coords.textContent = hint));
  }
}
