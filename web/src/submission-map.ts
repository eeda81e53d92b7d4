// The submission page's map: the current parcels (the land-use tiles of today, in the 三调
// palette) with the package's own parcels as sent (GET /api/submissions/:id/parcels, its
// staging) drawn over them in magenta, before the city decides and applies. Made when first
// needed: a second WebGL map only for those who open a submission.
import type { GeoJSONSource } from 'maplibre-gl';
import { getCodeList } from './api-data';
import { errorMessage } from './api';
import type { District } from './districts';
import { h } from './dom';
import { LandMap } from './map';
import { paletteExpression } from './map-style';
import { stagedParcels } from './review-data';

/** The colour of the submitted parcels (no class of the 三调 palette uses it). */
export const SUBMITTED_COLOR = '#d01c8b';

export class SubmissionMap {
  readonly element: HTMLElement;
  private readonly container: HTMLElement;
  private readonly status: HTMLElement;
  private readonly note: HTMLElement;
  private landMap: LandMap | null = null;
  private request = 0;

  constructor() {
    this.container = h('div', 'submission-map');
    this.container.id = 'submission-map';
    this.container.setAttribute('aria-label', '送审图斑与现状图斑');
    this.status = h('p', 'map-status');
    this.status.hidden = true;
    this.note = h('p', 'muted small');
    this.note.id = 'submission-map-note';
    const legend = h(
      'p',
      'submission-map-legend small',
      h('span', 'swatch submitted', ''),
      ' 本次送审的图斑（入库前）  ',
      h('span', 'swatch current', ''),
      ' 现状图斑（按地类着色）',
    );
    this.element = h('section', 'card', h('h2', '', '送审图斑与现状对比'), legend, h('div', 'submission-map-wrap', this.container, this.status), this.note);
  }

  /** Draws the submission's parcels over today's; `element` must be in the page and shown. */
  async show(submissionId: string, districts: readonly District[], districtCode: string): Promise<void> {
    const request = ++this.request;
    this.container.dataset.submission = submissionId;
    delete this.container.dataset.submittedFeatures;
    const landMap = await this.ensureMap();
    landMap.resize();
    await landMap.showDistricts(districts, districtCode);
    this.note.textContent = '正在加载送审图斑…';
    try {
      const { features, extent } = await stagedParcels(submissionId);
      if (request !== this.request) return;
      (landMap.map.getSource('submitted') as GeoJSONSource).setData({ type: 'FeatureCollection', features });
      this.container.dataset.submittedFeatures = String(features.length);
      this.note.textContent = features.length ? `送审图斑 ${features.length.toLocaleString('zh-CN')} 个（品红色轮廓），底图为现状图斑` : '该成果包中没有可绘制的地类图斑';
      const own = districts.find((d) => d.unit.code === districtCode);
      if (extent) landMap.fitBbox(extent, 17);
      else if (own) landMap.fitBbox(own.bbox, 13);
    } catch (err) {
      if (request === this.request) this.note.textContent = `无法加载送审图斑：${errorMessage(err)}`;
    }
  }

  private async ensureMap(): Promise<LandMap> {
    if (this.landMap) return this.landMap;
    const landMap = new LandMap(this.container, this.status);
    this.landMap = landMap;
    await landMap.whenLoaded();
    const classes = await getCodeList('dlbm').catch(() => []);
    await landMap.setDataEnabled(true, classes.length ? paletteExpression(classes) : '#cccccc');
    landMap.map.addSource('submitted', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    landMap.map.addLayer({ id: 'submitted-fill', type: 'fill', source: 'submitted', paint: { 'fill-color': SUBMITTED_COLOR, 'fill-opacity': 0.25 } });
    landMap.map.addLayer({ id: 'submitted-line', type: 'line', source: 'submitted', paint: { 'line-color': SUBMITTED_COLOR, 'line-width': 2.5 } });
    return landMap;
  }
}
