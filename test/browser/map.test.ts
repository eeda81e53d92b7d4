// The map in a real Chromium (WebGL on SwiftShader) against the real app with the demo history on
// two small districts (宝山 310113 and 嘉定 310114, 1,500 parcels each, 2019 baseline and four
// years of change packages, every year frozen). What is drawn is checked in the screenshot's
// pixels: the 三调 palette, the farmland outline, a changed year, the change overlay, and what a
// district operator may see. No request may leave the server.
import fs from 'node:fs';
import proj4 from 'proj4';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { asSystem } from '../../server/db/context.ts';
import { createUser } from '../../server/modules/users/repository.ts';
import { seedDemoHistory } from '../../server/seed/demo-history.ts';
import { seedDemoPackages, type DemoPackage } from '../../server/seed/demo-packages.ts';
import { openTestApp, TestClient, type TestApp } from '../support/app.ts';
import { cityAdminActor, DEMO_PASSWORD } from '../support/data.ts';
import { moveSurvey } from '../../server/modules/submissions/lifecycle.ts';
import { tempDir } from '../support/packages.ts';
import {
  ARTIFACTS,
  blend,
  canRun,
  countNear,
  hexRgb,
  idleCount,
  launchChromium,
  listen,
  mapImage,
  shareChanged,
  shareUnlike,
  signIn,
  waitForMap,
  watchRequests,
  type Image,
  type Rgb,
} from './support.ts';

const SMALL: DemoPackage[] = [
  { districtCode: '310113', operator: 'auditor', parcels: 1500, seed: 2019 },
  { districtCode: '310114', operator: 'auditor', parcels: 1500, seed: 2019 },
];

const BACKGROUND = hexRgb('#eef1f4');
const FARMLAND = hexRgb('#0b6e4f');
const SELECTED = hexRgb('#00b8ff');
const CHANGE_COLOURS = { added: hexRgb('#1a9850'), changed: hexRgb('#f28e2b'), retired: hexRgb('#d62728') };

interface ChangeEntry {
  bsm: string;
  changes: Record<string, unknown>;
}

describe.skipIf(!canRun)('the map in Chromium', { timeout: 180_000 }, () => {
  let test: TestApp;
  let browser: Browser;
  let base: string;
  /** the 三调 palette's colours (several classes share one), as a 90 % fill draws them */
  let colours: { rgb: Rgb; codes: string[] }[];
  /** a 宝山 parcel reclassified between 2019 and 2023 */
  let reclassified: string;
  /** one reclassified in place (same shape), with its class on 2019-12-31 and today */
  let inPlace: { bsm: string; versions: { versionId: number; validFrom: string; validTo: string | null; attributes: { dlbm: string } }[] };
  /** what every page asked of the network; pages are closed after each test (SwiftShader is heavy) */
  const requests: ReturnType<typeof watchRequests>[] = [];
  let pages: Page[] = [];

  beforeAll(async () => {
    test = await openTestApp('embedded', { ARCHIVE_DIR: tempDir('lsp-archive-'), IMPORT_WORK_DIR: tempDir('lsp-work-') });
    await seedDemoPackages(test.app, SMALL);
    const log: string[] = [];
    await seedDemoHistory(test.app, { info: (message) => log.push(message) }, SMALL);
    expect(log.filter((message) => !/applied and frozen/.test(message))).toEqual([]);
    // The history publishes 2023 (公开): its parcels, current ones included, are then everyone's.
    // District isolation is about unpublished results, so the city withdraws that publication.
    const admin = await cityAdminActor(test.db);
    await asSystem(test.db, async (tx) => {
      const published = await tx.selectFrom('surveys').select('id').where('state', '=', 'published').execute();
      for (const survey of published) await moveSurvey(tx, survey.id, 'withdraw', admin, { opinion: '测试区级隔离' });
    });
    await asSystem(test.db, (tx) => createUser(tx, { username: 'baoshan', displayName: '宝山区操作员', role: 'district_operator', districtCode: '310113', password: DEMO_PASSWORD, organisationId: null }));

    const client = new TestClient(test.app);
    expect((await client.login('auditor', DEMO_PASSWORD)).statusCode).toBe(200);
    const byColour = new Map<string, string[]>();
    for (const entry of (await client.get('/api/code-lists/dlbm')).json<{ code: string; color: string | null }[]>()) {
      if (entry.color) byColour.set(entry.color, [...(byColour.get(entry.color) ?? []), entry.code]);
    }
    // Colours that could be mistaken for the background, the labels or the lines are not counted.
    const confusable = [BACKGROUND, hexRgb('#ffffff'), hexRgb('#37474f'), hexRgb('#3a3a3a')];
    colours = [...byColour]
      .map(([hex, codes]) => ({ rgb: blend(hexRgb(hex), BACKGROUND, 0.9), codes }))
      .filter(({ rgb }) => confusable.every((other) => Math.max(...rgb.map((c, i) => Math.abs(c - other[i]!))) > 30))
      // Greys (roads, railways, bare land) look like anti-aliased lines and text: colourful ones only.
      .filter(({ rgb }) => Math.max(...rgb) - Math.min(...rgb) >= 30);
    const diff = (await client.get('/api/changes?from=2019&to=2023&districtCode=310113')).json<{ changed: ChangeEntry[] }>();
    reclassified = diff.changed.find((entry) => 'dlbm' in entry.changes)!.bsm;
    const samePlace = diff.changed.find((entry) => 'dlbm' in entry.changes && !('geometry' in entry.changes))!.bsm;
    inPlace = (await client.get(`/api/parcels/${samePlace}`)).json();

    base = await listen(test);
    browser = await launchChromium();
  }, 900_000);

  afterEach(async () => {
    for (const page of pages) await page.close();
    pages = [];
  });

  afterAll(async () => {
    await browser?.close();
    await test?.drop();
  });

  async function open(username: string | null, locale?: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, ...(locale ? { locale } : {}) });
    pages.push(page);
    requests.push(watchRequests(page, base));
    await page.goto(base);
    await waitForMap(page, 0, 'data=0');
    if (username) {
      const before = await idleCount(page);
      await signIn(page, username);
      await waitForMap(page, before, 'data=1');
    }
    return page;
  }

  /** Does something that moves or redraws the map and waits until it is drawn again. */
  async function redraw(page: Page, action: () => Promise<unknown>, state = ''): Promise<void> {
    const before = await idleCount(page);
    await action();
    try {
      await waitForMap(page, before, state);
    } catch (error) {
      const seen = requests[pages.indexOf(page) - pages.length + requests.length];
      throw new Error(`${(error as Error).message}; page errors: ${seen?.errors.join(' | ')}; requests still open: ${[...(seen?.pending ?? [])].join(' ')}; tiles asked: ${seen?.tiles.slice(-14).join(' ')}`, { cause: error });
    }
  }

  /** The palette colours drawn: at least `min` pixels of each, as a land-use fill draws it. */
  function classesDrawn(image: Image, min = 60): { rgb: Rgb; codes: string[] }[] {
    return colours.filter(({ rgb }) => countNear(image, rgb, 6) >= min);
  }

  /** The part of the map image around a district's name (well inside the district). */
  async function aroundLabel(page: Page, image: Image, code: string, size = 240): Promise<Image> {
    const map = (await page.locator('#map').boundingBox())!;
    const label = (await page.locator(`.district-label[data-code="${code}"]`).boundingBox())!;
    const x0 = Math.max(0, Math.round(label.x + label.width / 2 - map.x - size / 2));
    const y0 = Math.max(0, Math.round(label.y + label.height / 2 - map.y - size / 2));
    const width = Math.min(size, image.width - x0);
    const height = Math.min(size, image.height - y0);
    const data = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) data.set(image.data.subarray(((y0 + y) * image.width + x0) * 4, ((y0 + y) * image.width + x0 + width) * 4), y * width * 4);
    return { width, height, data };
  }

  it('shows an anonymous visitor the login form and the public district boundaries, and no parcels', async () => {
    const page = await open(null);
    expect(await page.isVisible('#login-form')).toBe(true);
    expect(await page.isHidden('#reader-side')).toBe(true);
    expect(await page.locator('.district-label:not([hidden])').count()).toBeGreaterThanOrEqual(9);
    expect(await page.locator('.district-label').count()).toBe(16);
    expect(await page.locator('#district-table tbody tr').count()).toBe(16);
    const image = await mapImage(page, 'anonymous');
    // District lines and labels only: little but not nothing differs from the background.
    const drawn = shareUnlike(image, BACKGROUND);
    expect(drawn).toBeGreaterThan(0.003);
    expect(drawn).toBeLessThan(0.08);
    expect(classesDrawn(image)).toEqual([]);
    // No parcel tile is even asked for.
    expect(requests.at(-1)!.tiles).toEqual([]);
  });

  it('draws a city auditor the land use in the 三调 palette with the farmland and a legend of the classes in view', async () => {
    const page = await open('auditor');
    expect(await page.isVisible('#reader-side')).toBe(true);
    expect(await page.isHidden('[data-route="upload"]')).toBe(true);
    await redraw(page, () => page.selectOption('#district-zoom', '310113'));
    const image = await mapImage(page, 'auditor-baoshan');
    expect(shareUnlike(image, BACKGROUND)).toBeGreaterThan(0.3);
    const classes = classesDrawn(image);
    expect(classes.length).toBeGreaterThanOrEqual(4);
    // The farmland outline in its own colour.
    expect(countNear(image, FARMLAND, 20)).toBeGreaterThan(200);
    // Every colour covering a good part of the view is a class the legend lists.
    const legend = await page.$$eval('#legend li[data-code]', (items) => items.map((item) => (item as HTMLElement).dataset.code!));
    const large = classesDrawn(image, image.width * image.height * 0.005);
    expect(large.length).toBeGreaterThanOrEqual(3);
    for (const { codes } of large) expect(codes.some((code) => legend.includes(code)), codes.join()).toBe(true);
  });

  it('finds a parcel by BSM, and clicking it shows its attributes, area in m² and 亩, and its history', async () => {
    const page = await open('auditor');
    await redraw(page, async () => {
      await page.fill('#bsm-search', reclassified);
      await page.click('#search-submit');
    });
    await page.waitForSelector('#parcel-panel[aria-busy="false"] table.attributes');
    expect(await page.textContent('#parcel-panel h2')).toContain(reclassified);
    // The search zoomed to the parcel and outlined it.
    expect(countNear(await mapImage(page, 'search-selected'), SELECTED, 20)).toBeGreaterThan(30);

    await page.click('#parcel-panel button[aria-label="关闭图斑信息"]');
    expect(await page.isHidden('#parcel-panel')).toBe(true);
    const box = (await page.locator('#map').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForSelector('#parcel-panel[aria-busy="false"] table.attributes');
    const panel = (await page.textContent('#parcel-panel'))!;
    expect(panel).toContain(`图斑 ${reclassified}`);
    for (const label of ['标识码', '地类编码', '地类名称', '权属性质', '坐落单位名称', '图斑面积（m²）', '历史版本', '谱系']) expect(panel).toContain(label);
    const m2 = Number((await page.textContent('.area-value'))!.replace(/[^\d.]/g, ''));
    const mu = Number((await page.textContent('.area-mu'))!.replace(/[^\d.]/g, ''));
    expect(m2).toBeGreaterThan(0);
    expect(Math.abs(mu - (m2 * 15) / 10_000)).toBeLessThan(0.006);
    // Reclassified since the baseline: two versions at least, the 2019 one among them.
    expect(await page.locator('#parcel-panel ol.versions li').count()).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('#parcel-panel ol.versions')).toContain('2019-12-31 至');
  });

  it('draws another year when the year changes, and the same year alike', async () => {
    const page = await open('auditor');
    await redraw(page, async () => {
      await page.fill('#bsm-search', reclassified);
      await page.click('#search-submit');
    });
    await page.click('#parcel-panel button[aria-label="关闭图斑信息"]');
    // Out a little, so the neighbours' changes count too.
    await redraw(page, () => page.click('.maplibregl-ctrl-zoom-out'));
    await redraw(page, () => page.selectOption('#as-of-select', '2019'), 'asOf=2019;');
    const y2019 = await mapImage(page, 'year-2019');
    await redraw(page, () => page.selectOption('#as-of-select', '2023'), 'asOf=2023;');
    const y2023 = await mapImage(page, 'year-2023');
    await redraw(page, () => page.selectOption('#as-of-select', '2019'), 'asOf=2019;');
    const again = await mapImage(page, 'year-2019-again');
    expect(shareChanged(y2019, y2023)).toBeGreaterThan(0.005);
    expect(shareChanged(y2019, again)).toBeLessThan(0.0005);
    const seen = requests.at(-1)!;
    expect(seen.tiles.some((url) => url.startsWith('/tiles/land_use/') && url.includes('asOf=2019'))).toBe(true);
    expect(seen.tiles.some((url) => url.startsWith('/tiles/land_use/') && url.includes('asOf=2023'))).toBe(true);

    // A free date: 2019-12-31, the day of the 2019 snapshot, is drawn as the snapshot is.
    await redraw(page, async () => {
      await page.selectOption('#as-of-select', 'date');
      await page.fill('#as-of-date', '2019-12-31');
      await page.dispatchEvent('#as-of-date', 'change');
    }, 'asOf=2019-12-31;');
    expect(shareChanged(y2019, await mapImage(page, 'date-2019-12-31'))).toBeLessThan(0.0005);
  });

  it('shows in the parcel panel the version valid on the 时点 selected, searched or clicked', async () => {
    const on = (day: string) => inPlace.versions.find((v) => v.validFrom <= day && (v.validTo === null || day < v.validTo))!;
    const [of2019, current] = [on('2019-12-31'), inPlace.versions.at(-1)!];
    expect(of2019.attributes.dlbm).not.toBe(current.attributes.dlbm);
    const page = await open('auditor');
    // 地类, the panel's first fact
    const panelClass = () => page.$eval('#parcel-panel dl.facts dd', (el) => el.textContent ?? '');
    const panelVersion = () => page.$eval('#parcel-panel', (el) => (el as HTMLElement).dataset.versionId);
    await redraw(page, async () => {
      await page.fill('#bsm-search', inPlace.bsm);
      await page.click('#search-submit');
    });
    await page.waitForSelector('#parcel-panel[aria-busy="false"] dl.facts');
    expect(await panelClass()).toContain(current.attributes.dlbm);
    // The map goes back to 2019: so does the open panel, its history still listed.
    await redraw(page, () => page.selectOption('#as-of-select', '2019'), 'asOf=2019;');
    expect(await panelClass()).toContain(of2019.attributes.dlbm);
    expect(await panelVersion()).toBe(String(of2019.versionId));
    expect(await page.textContent('#parcel-panel ol.versions li.current')).toContain(`${of2019.validFrom} 至`);
    expect(await page.locator('#parcel-panel ol.versions li').count()).toBe(inPlace.versions.length);
    // Clicked on the map drawn as of 2019, the parcel opens as it was then.
    await page.click('#parcel-panel button[aria-label="关闭图斑信息"]');
    const box = (await page.locator('#map').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForSelector('#parcel-panel[aria-busy="false"] dl.facts');
    expect(await page.textContent('#parcel-panel h2')).toContain(inPlace.bsm);
    expect(await panelClass()).toContain(of2019.attributes.dlbm);
    expect(await panelVersion()).toBe(String(of2019.versionId));
    // A day before the baseline: the panel says the parcel was not there.
    await redraw(page, async () => {
      await page.selectOption('#as-of-select', 'date');
      await page.fill('#as-of-date', '2019-06-30');
      await page.press('#as-of-date', 'Enter');
    }, 'asOf=2019-06-30;');
    expect(await page.textContent('#parcel-panel .parcel-absent')).toContain('2019-06-30 该图斑无有效版本');
  });

  it('lists each class once in the legend, and takes and shows dates as 2021-06-30 in an English-language browser', async () => {
    const page = await open('auditor', 'en-US');
    const toggle = page.locator('#legend button', { hasText: '显示全部' });
    if (await toggle.count()) await toggle.click();
    const rows = await page.$$eval('#legend li', (items) => items.map((item) => item.textContent?.trim() ?? ''));
    expect(rows.filter((text) => text === '09 特殊用地')).toHaveLength(1);
    expect(rows.filter((text) => text === '01 耕地')).toHaveLength(1);

    await page.selectOption('#as-of-select', 'date');
    expect(await page.getAttribute('#as-of-date', 'type')).not.toBe('date');
    await redraw(page, async () => {
      await page.fill('#as-of-date', '2021年6月30日');
      await page.press('#as-of-date', 'Enter');
    }, 'asOf=2021-06-30;');
    expect(await page.inputValue('#as-of-date')).toBe('2021-06-30');
    // Not a day: said so, and the map stays on the day it shows.
    await page.fill('#as-of-date', '2021-02-30');
    await page.press('#as-of-date', 'Enter');
    expect(await page.textContent('#as-of-date-error')).toContain('不是有效日期');
    expect(await page.$eval('#map', (el) => (el as HTMLElement).dataset.drawn)).toContain('asOf=2021-06-30;');
  });

  it('compares two years: the added, changed and retired parcels in their colours, with counts', async () => {
    const page = await open('auditor');
    await redraw(page, () => page.selectOption('#district-zoom', '310113'));
    const plain = await mapImage(page, 'compare-off');
    await redraw(page, async () => {
      await page.check('#compare-toggle');
      await page.selectOption('#compare-from', '2019');
      await page.selectOption('#compare-to', '2023');
    }, 'compare=2019..2023');
    await page.waitForFunction(() => /新增（\d/.test(document.querySelector('.legend-changes')?.textContent ?? ''));
    const compared = await mapImage(page, 'compare-2019-2023');
    expect(shareChanged(plain, compared)).toBeGreaterThan(0.2);
    for (const [kind, rgb] of Object.entries(CHANGE_COLOURS)) expect(countNear(compared, rgb, 40), kind).toBeGreaterThan(20);
    expect(await page.isDisabled('#as-of-select')).toBe(true);
  });

  it('shows the cursor position in CGCS2000 degrees and Gauss-Kruger zone 40 metres', async () => {
    const page = await open('auditor');
    await redraw(page, () => page.selectOption('#district-zoom', '310113'));
    const box = (await page.locator('#map').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const text = (await page.textContent('#coords'))!;
    const geographic = /经度 (\d+\.\d{6})° 纬度 (\d+\.\d{6})°/.exec(text);
    const projected = /第 (\d+) 带 EPSG:(\d+)\s+X（北）([\d ]+\.\d{2}) m\s+Y（东）([\d ]+\.\d{2}) m/.exec(text);
    expect(geographic, text).not.toBeNull();
    expect(projected, text).not.toBeNull();
    const [lon, lat] = [Number(geographic![1]), Number(geographic![2])];
    expect(lon).toBeGreaterThan(121.1);
    expect(lon).toBeLessThan(121.7);
    expect(projected![1]).toBe('40');
    expect(projected![2]).toBe('4528');
    // As PROJ would put it (EPSG:4528: zone 40, false easting 40 500 000 m).
    const [east, north] = proj4('+proj=longlat +ellps=GRS80 +no_defs', '+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=40500000 +y_0=0 +ellps=GRS80 +units=m +no_defs', [lon, lat]);
    expect(Math.abs(Number(projected![3]!.replace(/ /g, '')) - north)).toBeLessThan(0.25);
    expect(Math.abs(Number(projected![4]!.replace(/ /g, '')) - east)).toBeLessThan(0.25);
    expect(projected![4]).toMatch(/^40 \d{3} \d{3}\.\d{2}$/);
  });

  it('shows a district operator its own district’s parcels and not another’s, and its upload page', async () => {
    const page = await open('baoshan');
    expect(await page.isVisible('[data-route="upload"]')).toBe(true);
    expect(await page.textContent('.district-label.own')).toBe('宝山区');
    await redraw(page, () => page.selectOption('#district-zoom', '310113'));
    expect(classesDrawn(await aroundLabel(page, await mapImage(page, 'operator-own'), '310113')).length).toBeGreaterThanOrEqual(4);
    // 嘉定 is another district's: nothing in it, where the auditor sees its parcels.
    await redraw(page, () => page.selectOption('#district-zoom', '310114'));
    expect(classesDrawn(await aroundLabel(page, await mapImage(page, 'operator-other'), '310114'))).toEqual([]);
    const auditor = await open('auditor');
    await redraw(auditor, () => auditor.selectOption('#district-zoom', '310114'));
    expect(classesDrawn(await aroundLabel(auditor, await mapImage(auditor, 'auditor-jiading'), '310114')).length).toBeGreaterThanOrEqual(4);
  });

  it('logs out back to the public map', async () => {
    const page = await open('auditor');
    await redraw(page, () => page.click('#logout'), 'data=0');
    expect(await page.isVisible('#login-form')).toBe(true);
    expect(classesDrawn(await mapImage(page, 'logged-out'))).toEqual([]);
  });

  it('makes the documentation screenshot: 宝山区 with a parcel open', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    pages.push(page);
    requests.push(watchRequests(page, base));
    await page.goto(base);
    await signIn(page, 'auditor');
    await redraw(page, () => page.selectOption('#district-zoom', '310113'), 'data=1');
    await redraw(page, () => page.click('.maplibregl-ctrl-zoom-in'));
    const box = (await page.locator('#map').boundingBox())!;
    await redraw(page, () => page.mouse.click(box.x + box.width * 0.42, box.y + box.height * 0.6));
    await page.waitForSelector('#parcel-panel[aria-busy="false"] table.attributes');
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.6);
    await page.screenshot({ path: `${ARTIFACTS}/screenshot.png` });
    // `UPDATE_DOCS_SCREENSHOT=1 npx vitest run test/browser/map.test.ts` refreshes the README's picture.
    if (process.env.UPDATE_DOCS_SCREENSHOT) fs.copyFileSync(`${ARTIFACTS}/screenshot.png`, 'docs/screenshot.png');
  });

  it('asked nothing of any other host, and nothing failed on the server', () => {
    expect(requests.length).toBeGreaterThanOrEqual(9);
    for (const seen of requests) {
      expect(seen.foreign).toEqual([]);
      expect(seen.failed).toEqual([]);
    }
  });
});
