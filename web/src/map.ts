// The MapLibre map: districts for everyone; for the roles that read parcels, the land-use and
// basic-farmland vector tiles (GET /tiles/{layer}/{z}/{x}/{y}.mvt, same origin, session cookie)
// as of the chosen day, the change overlay of a comparison and a quality run's findings.
import maplibregl, { type ExpressionSpecification, type GeoJSONSource, type LayerSpecification, type MapGeoJSONFeature, type VectorTileSource } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import type { Geometry } from 'geojson';
import type { Bbox } from './api-data';
import { districtCollection, DistrictLabels, type District } from './districts';
import { todayIso } from './dom';
import { baseStyle, CHANGE_LAYERS, DISTRICT_LAYERS, FARMLAND_LAYERS, FINDING_LAYERS, hatchImage, landUseLayers, SELECTED_LAYER } from './map-style';

/** Shanghai: the first view, and how far the map may be panned. */
export const SHANGHAI: Bbox = [120.85, 30.67, 122.0, 31.88];
const MAX_BOUNDS: Bbox = [119.3, 29.9, 123.6, 32.6];

export type Overlay = 'land_use' | 'basic_farmland' | 'districts' | 'findings' | 'changes';

/** A land-use parcel clicked; below zoom 14 the tiles carry no BSM or version id. */
export interface ParcelHit {
  versionId: number | null;
  bsm: string | null;
  lngLat: [number, number];
}

export interface FindingHit {
  findingNo: number;
  ruleId: string;
  severity: string;
  message: string;
  bsm: string | null;
}

const OVERLAY_LAYERS: Record<Overlay, string[]> = {
  land_use: ['land_use-fill', 'land_use-line'],
  basic_farmland: ['basic_farmland-hatch', 'basic_farmland-line'],
  districts: ['districts-line', 'districts-own'],
  findings: FINDING_LAYERS.map((layer) => layer.id),
  changes: CHANGE_LAYERS.map((layer) => layer.id),
};

function tileUrl(layer: string, query: Record<string, string> = {}): string {
  const params = new URLSearchParams(query).toString();
  // Absolute: the tiles are fetched by MapLibre's worker, which has no page URL to resolve against.
  return `${window.location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt${params ? `?${params}` : ''}`;
}

export class LandMap {
  readonly map: maplibregl.Map;
  readonly labels: DistrictLabels;
  private readonly loaded: Promise<void>;
  private dataOn = false;
  private asOf = todayIso();
  private compare: { from: string; to: string } | null = null;
  private runId: string | null = null;
  private readonly hidden = new Set<Overlay>();
  private readonly parcelListeners: ((hit: ParcelHit) => void)[] = [];
  private readonly idleListeners: (() => void)[] = [];
  private popup: maplibregl.Popup | null = null;
  /** Off for anonymous visitors: the parcel panel reads routes the public may not. */
  parcelClicks = true;

  constructor(
    private readonly container: HTMLElement,
    private readonly status: HTMLElement,
  ) {
    this.map = new maplibregl.Map({
      container,
      style: baseStyle(),
      bounds: SHANGHAI,
      maxBounds: MAX_BOUNDS,
      minZoom: 6,
      maxZoom: 19,
      attributionControl: { compact: true, customAttribution: '区界为演示用近似边界' },
      dragRotate: false,
      pitchWithRotate: false,
    });
    this.map.touchZoomRotate.disableRotation();
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    this.map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
    this.labels = new DistrictLabels(this.map);
    this.loaded = new Promise((resolve) => this.map.once('load', () => resolve()));
    void this.loaded.then(() => {
      this.map.addImage('farmland-hatch', hatchImage());
      this.map.addSource('districts', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
      for (const layer of DISTRICT_LAYERS) this.map.addLayer(layer);
      this.map.addSource('selection', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
      this.map.addLayer(SELECTED_LAYER);
    });

    container.setAttribute('aria-busy', 'true');
    this.map.on('dataloading', () => container.setAttribute('aria-busy', 'true'));
    let idles = 0;
    let failed = false;
    const drawn = () => {
      // A notice of failed tiles stays until a later drawing loads without failures.
      if (!failed) this.setStatus(null);
      failed = false;
      container.setAttribute('aria-busy', 'false');
      container.dataset.idle = String(++idles);
      // What is drawn now: the tests and the legend wait for this.
      container.dataset.drawn = this.describe();
      for (const listener of this.idleListeners) listener();
    };
    this.map.on('idle', drawn);
    // MapLibre now and then finishes loading without a further 'idle' event: while busy, the map
    // is also checked twice a second, and once loaded and still it is drawn once more and counts
    // as drawn then.
    let poll: ReturnType<typeof setInterval> | undefined;
    const check = () => {
      if (container.getAttribute('aria-busy') !== 'true') {
        clearInterval(poll);
        poll = undefined;
        return;
      }
      if (!this.map.loaded() || !this.map.areTilesLoaded() || this.map.isMoving()) return;
      this.map.once('render', () => {
        if (container.getAttribute('aria-busy') === 'true' && this.map.loaded()) drawn();
      });
      this.map.triggerRepaint();
    };
    this.map.on('dataloading', () => {
      poll ??= setInterval(check, 500);
    });
    this.map.on('error', (event) => {
      failed = true;
      const status = (event.error as { status?: number } | undefined)?.status;
      this.setStatus(status === 401 || status === 403 ? '没有权限查看部分图层数据' : `部分地图数据加载失败${status ? `（HTTP ${status}）` : ''}`);
    });
    this.map.on('click', (event) => this.click(event.point));
    for (const layer of ['land_use-fill', 'findings-circle', 'findings-fill']) {
      this.map.on('mouseenter', layer, () => (this.map.getCanvas().style.cursor = 'pointer'));
      this.map.on('mouseleave', layer, () => (this.map.getCanvas().style.cursor = ''));
    }
  }

  whenLoaded(): Promise<void> {
    return this.loaded;
  }

  /** A short description of the state, e.g. "asOf=2023;compare=;run=": set on the container when drawn. */
  describe(): string {
    const compare = this.compare ? `${this.compare.from}..${this.compare.to}` : '';
    return `data=${this.dataOn ? 1 : 0};asOf=${this.asOf};compare=${compare};run=${this.runId ?? ''}`;
  }

  setStatus(message: string | null): void {
    this.status.textContent = message ?? '';
    this.status.hidden = message === null;
  }

  onParcelClick(listener: (hit: ParcelHit) => void): void {
    this.parcelListeners.push(listener);
  }

  onIdle(listener: () => void): void {
    this.idleListeners.push(listener);
  }

  async showDistricts(districts: readonly District[], ownCode: string | null): Promise<void> {
    await this.loaded;
    (this.map.getSource('districts') as GeoJSONSource).setData(districtCollection(districts));
    this.map.setFilter('districts-own', ['==', ['get', 'code'], ownCode ?? '']);
    this.labels.show(districts, ownCode);
  }

  /** Adds the parcel layers (signed in, a reading role) or takes them away (signed out). */
  async setDataEnabled(enabled: boolean, palette: ExpressionSpecification | string = '#cccccc'): Promise<void> {
    await this.loaded;
    if (enabled === this.dataOn) {
      if (enabled) this.map.setPaintProperty('land_use-fill', 'fill-color', palette);
      return;
    }
    this.setStatus(null);
    if (!enabled) {
      this.setCompare(null);
      this.setFindingsRun(null);
      this.select(null);
      this.removeGroup('land_use', landUseLayers(palette));
      this.removeGroup('basic_farmland', FARMLAND_LAYERS);
      this.dataOn = false;
      return;
    }
    this.dataOn = true;
    this.addGroup('land_use', tileUrl('land_use', { asOf: this.asOf }), landUseLayers(palette), 'districts-line');
    this.addGroup('basic_farmland', tileUrl('basic_farmland', { asOf: this.asOf }), FARMLAND_LAYERS, 'districts-line');
    this.applyVisibility();
  }

  getAsOf(): string {
    return this.asOf;
  }

  /** Shows the parcels as of a day (YYYY-MM-DD) or a year's snapshot (YYYY). */
  setAsOf(asOf: string): void {
    this.asOf = asOf;
    if (!this.dataOn) return;
    // Comparing, the land use shows the later day under the change overlay.
    const day = this.compare?.to ?? asOf;
    (this.map.getSource('land_use') as VectorTileSource | undefined)?.setTiles([tileUrl('land_use', { asOf: day })]);
    (this.map.getSource('basic_farmland') as VectorTileSource | undefined)?.setTiles([tileUrl('basic_farmland', { asOf: day })]);
    this.container.dataset.drawn = '';
  }

  /** Highlights what changed between two days (null: no comparison). */
  setCompare(compare: { from: string; to: string } | null): void {
    this.compare = compare;
    if (!this.dataOn) return;
    this.removeGroup('changes', CHANGE_LAYERS);
    if (compare) this.addGroup('changes', tileUrl('changes', compare), CHANGE_LAYERS, 'districts-line');
    if (this.map.getLayer('land_use-fill')) this.map.setPaintProperty('land_use-fill', 'fill-opacity', compare ? 0.3 : 0.9);
    this.setAsOf(this.asOf);
    this.applyVisibility();
  }

  getFindingsRun(): string | null {
    return this.runId;
  }

  /** Shows a quality run's findings (null: none). */
  setFindingsRun(runId: string | null): void {
    this.runId = runId;
    if (!this.dataOn) return;
    this.popup?.remove();
    this.removeGroup('findings', FINDING_LAYERS);
    if (runId) this.addGroup('findings', tileUrl('findings', { runId }), FINDING_LAYERS);
    this.container.dataset.drawn = '';
    this.applyVisibility();
  }

  setOverlayVisible(overlay: Overlay, visible: boolean): void {
    if (visible) this.hidden.delete(overlay);
    else this.hidden.add(overlay);
    this.applyVisibility();
  }

  /** Outlines the parcel shown in the panel (null: none). */
  select(geometry: Geometry | null): void {
    const source = this.map.getSource('selection') as GeoJSONSource | undefined;
    source?.setData({ type: 'FeatureCollection', features: geometry ? [{ type: 'Feature', geometry, properties: {} }] : [] });
  }

  fitBbox(bbox: Bbox, maxZoom = 17): void {
    const [minLon, minLat, maxLon, maxLat] = bbox;
    this.map.fitBounds(
      [
        [minLon, minLat],
        [maxLon, maxLat],
      ],
      { padding: 60, maxZoom, duration: 0 },
    );
  }

  /** DLBM codes of the land-use parcels in the loaded tiles of the view. */
  visibleClasses(): Set<string> {
    const classes = new Set<string>();
    if (!this.dataOn || !this.map.getLayer('land_use-fill')) return classes;
    for (const feature of this.map.queryRenderedFeatures({ layers: ['land_use-fill'] })) {
      const dlbm = feature.properties.dlbm;
      if (typeof dlbm === 'string') classes.add(dlbm);
    }
    return classes;
  }

  resize(): void {
    this.map.resize();
  }

  private addGroup(source: string, url: string, layers: LayerSpecification[], before?: string): void {
    this.map.addSource(source, { type: 'vector', tiles: [url], minzoom: 0, maxzoom: 16 });
    for (const layer of layers) this.map.addLayer(layer, before && this.map.getLayer(before) ? before : undefined);
  }

  private removeGroup(source: string, layers: LayerSpecification[]): void {
    for (const layer of layers) if (this.map.getLayer(layer.id)) this.map.removeLayer(layer.id);
    if (this.map.getSource(source)) this.map.removeSource(source);
  }

  private applyVisibility(): void {
    for (const [overlay, ids] of Object.entries(OVERLAY_LAYERS) as [Overlay, string[]][]) {
      for (const id of ids) {
        if (this.map.getLayer(id)) this.map.setLayoutProperty(id, 'visibility', this.hidden.has(overlay) ? 'none' : 'visible');
      }
    }
  }

  private click(point: maplibregl.PointLike): void {
    if (!this.dataOn || !this.parcelClicks) return;
    const layers = ['findings-circle', 'findings-fill', 'land_use-fill'].filter((id) => this.map.getLayer(id) && this.map.getLayoutProperty(id, 'visibility') !== 'none');
    const hits: MapGeoJSONFeature[] = layers.length > 0 ? this.map.queryRenderedFeatures(point, { layers }) : [];
    const finding = hits.find((feature) => feature.layer.id.startsWith('findings'));
    if (finding) {
      this.showFinding(finding, this.map.unproject(point));
      return;
    }
    const parcel = hits.find((feature) => feature.layer.id === 'land_use-fill');
    if (!parcel) return;
    const { id, bsm } = parcel.properties;
    const at = this.map.unproject(point);
    const hit: ParcelHit = { versionId: typeof id === 'number' ? id : null, bsm: typeof bsm === 'string' && bsm ? bsm : null, lngLat: [at.lng, at.lat] };
    for (const listener of this.parcelListeners) listener(hit);
  }

  private showFinding(feature: MapGeoJSONFeature, at: maplibregl.LngLat): void {
    const p = feature.properties;
    const hit: FindingHit = {
      findingNo: Number(p.finding_no),
      ruleId: String(p.rule_id),
      severity: String(p.severity),
      message: String(p.message ?? ''),
      bsm: p.bsm ? String(p.bsm) : null,
    };
    const content = document.createElement('div');
    content.className = 'finding-popup';
    const title = document.createElement('strong');
    title.textContent = `问题 ${hit.findingNo} · ${hit.ruleId}`;
    const message = document.createElement('p');
    message.textContent = hit.message;
    content.append(title, message);
    if (hit.bsm) {
      const bsm = document.createElement('p');
      bsm.className = 'muted';
      bsm.textContent = `标识码 ${hit.bsm}`;
      content.append(bsm);
    }
    this.popup?.remove();
    this.popup = new maplibregl.Popup({ maxWidth: '320px' }).setLngLat(at).setDOMContent(content).addTo(this.map);
  }
}
