// The web app: one map for everyone (public district boundaries for anonymous visitors; the
// parcel layers for the roles that read them, scoped by the database to a district operator's
// district), for a district operator the upload page, for the city roles the review pages
// (city-pages.ts). Pages are chosen by the URL hash: #/map, #/upload, #/review,
// #/submissions/<id>, #/surveys, #/surveys/<id>, #/accounts.
import './style.css';
import './map.css';
import './upload.css';
import './review.css';
import { ApiError, errorMessage, getSession, logout, type User } from './api';
import { loadDistricts, type District } from './districts';
import { CityPages, cityNavRoute, cityPageAllowed, cityPageFor, type CityPage } from './city-pages';
import { byId, showError } from './dom';
import { READER_ROLES, ROLE_NAMES } from './labels';
import { focusLogin, loadHealth, renderDistricts, wireLogin } from './login';
import { LandMap, SHANGHAI } from './map';
import { MapPage } from './map-page';
import { UploadPage } from './upload';
import { PublicResults } from './public-results';
import { DistrictPage } from './district-page';
import { OfficeQueue } from './office-queue';
import { ProgressPage, progressPageAllowed } from './progress-page';
import { Inbox } from './inbox';

type Page = 'map' | 'upload' | 'results' | 'district' | 'office' | 'progress' | 'inbox' | CityPage;

const nav = byId('nav');
const currentUser = byId('current-user');
const logoutButton = byId<HTMLButtonElement>('logout');
const logoutError = byId('logout-error');
const mapView = byId('map-view');
const uploadView = byId('upload-view');
const resultsView = byId('results-view');
const districtView = byId('district-view');
const officeView = byId('office-view');
const officeLink = nav.querySelector<HTMLAnchorElement>('[data-route="office"]')!;
const districtLink = nav.querySelector<HTMLAnchorElement>('[data-route="district"]')!;
const anonymousSide = byId('anonymous-side');
const readerSide = byId('reader-side');
const noDataNote = byId('no-data-note');
const uploadLink = nav.querySelector<HTMLAnchorElement>('[data-route="upload"]')!;

const landMap = new LandMap(byId('map'), byId('map-status'));
const mapPage = new MapPage(landMap);
const uploadPage = new UploadPage((run, finding, submission) => {
  window.location.hash = '#/map';
  showPage('map');
  void mapPage.showFinding(run.id, submission, finding.bbox);
});

// The city's review pages (#/review, #/submissions/<id>, #/surveys, #/surveys/<id>).
const cityPages = new CityPages(() => districts, (run, finding, submission) => {
  window.location.hash = '#/map';
  void mapPage.showFinding(run.id, submission, finding.bbox);
});
const OWN_PAGES: readonly string[] = ['map', 'upload', 'results', 'district', 'office', 'progress', 'inbox'];
const isCityPage = (p: Page): p is CityPage => !OWN_PAGES.includes(p);

const publicResults = new PublicResults(landMap, () => (window.location.hash = '#/results'));

const districtPage = new DistrictPage((correction) => {
  uploadPage.prepareCorrection(correction);
  window.location.hash = '#/upload';
});

const officeQueue = new OfficeQueue();

// 进度督导 (#/progress) and the inbox (#/inbox, its unread count in the header).
const progressPage = new ProgressPage();
const inbox = new Inbox();
const progressView = byId('progress-view');
const inboxView = byId('inbox-view');
const progressLink = nav.querySelector<HTMLAnchorElement>('[data-route="progress"]')!;
const inboxLink = nav.querySelector<HTMLAnchorElement>('[data-route="inbox"]')!;

let user: User | null = null;
let districts: District[] = [];
let page: Page | null = null;

function canUpload(): boolean {
  return user?.role === 'district_operator';
}

function isOffice(): boolean {
  return user?.role === 'leading_group_office' || user?.role === 'district_office';
}

function isReader(): boolean {
  return user !== null && READER_ROLES.includes(user.role);
}

function setField(name: string, value: string | null): void {
  const el = currentUser.querySelector(`[data-field="${name}"]`);
  if (el) el.textContent = value ?? '';
}

function renderHeader(): void {
  // Anonymous visitors have no menu: the published results are reached from their side panel.
  nav.hidden = user === null;
  currentUser.hidden = user === null;
  uploadLink.hidden = !canUpload();
  for (const link of nav.querySelectorAll<HTMLAnchorElement>('[data-city]')) link.hidden = !(user && cityPageAllowed(link.dataset.city as CityPage, user.role));
  districtLink.hidden = !canUpload();
  officeLink.hidden = !isOffice();
  progressLink.hidden = !progressPageAllowed(user);
  inboxLink.hidden = user === null;
  setField('displayName', user && `${user.displayName}（${user.username}）`);
  setField('role', user && (ROLE_NAMES[user.role] ?? user.role));
  setField('districtName', user?.districtName ?? null);
  setField('organisationName', user?.organisationName ?? null);
  document.body.dataset.role = user?.role ?? 'anonymous';
}

function wantedPage(): Page {
  const city = cityPageFor(window.location.hash, user);
  if (city) return city;
  if (window.location.hash === '#/results') return 'results';
  if (window.location.hash === '#/progress' && progressPageAllowed(user)) return 'progress';
  if (window.location.hash === '#/inbox' && user) return 'inbox';
  if (window.location.hash === '#/district' && canUpload()) return 'district';
  if (window.location.hash === '#/office' && isOffice()) return 'office';
  return window.location.hash === '#/upload' && canUpload() ? 'upload' : 'map';
}

function showPage(next: Page): void {
  const changed = next !== page;
  page = next;
  mapView.hidden = next !== 'map';
  uploadView.hidden = next !== 'upload';
  resultsView.hidden = next !== 'results';
  districtView.hidden = next !== 'district';
  officeView.hidden = next !== 'office';
  progressView.hidden = next !== 'progress';
  inboxView.hidden = next !== 'inbox';
  cityPages.show(isCityPage(next) ? next : null, user);
  const route = isCityPage(next) ? cityNavRoute(next) : next;
  for (const link of nav.querySelectorAll<HTMLAnchorElement>('[data-route]')) {
    if (link.dataset.route === route) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (next === 'map') landMap.resize();
  if (changed && next === 'upload' && user) void uploadPage.enter(user);
  if (changed && next !== 'upload') uploadPage.leave();
  if (changed && next === 'results') void publicResults.enterTables();
  if (changed && next === 'district' && user) void districtPage.enter(user);
  if (changed && next === 'office' && user) void officeQueue.enter(user);
  if (changed && next === 'progress' && user) void progressPage.enter(user);
  if (changed && next === 'inbox' && user) void inbox.enter();
  else if (changed && user) void inbox.refreshCount();
}

function ownDistrict(): District | undefined {
  return user?.role === 'district_operator' || user?.role === 'surveyor' ? districts.find((d) => d.unit.code === user?.districtCode) : undefined;
}

/** Shows what the user (or an anonymous visitor) may see. */
async function applyUser(): Promise<void> {
  renderHeader();
  inbox.follow(user !== null);
  anonymousSide.hidden = user !== null;
  readerSide.hidden = user === null;
  noDataNote.hidden = user === null || isReader();
  readerSide.querySelector<HTMLElement>('.controls')!.hidden = !isReader();
  const own = ownDistrict();
  await landMap.showDistricts(districts, own?.unit.code ?? null);
  landMap.fitBbox(own?.bbox ?? SHANGHAI, 12);
  showPage(wantedPage());
  if (user && isReader()) {
    try {
      await mapPage.enter();
    } catch (err) {
      landMap.setStatus(`无法加载地图数据：${errorMessage(err)}`);
    }
  } else {
    await mapPage.leave();
  }
  if (user) publicResults.leave();
  else await publicResults.enter();
}

wireLogin((signedIn) => {
  user = signedIn;
  if (!window.location.hash) window.location.hash = '#/map';
  void applyUser();
});

logoutButton.addEventListener('click', async () => {
  logoutButton.disabled = true;
  try {
    await logout();
  } catch (err) {
    // 401 means the session had already ended, which is the outcome we wanted anyway.
    if (!(err instanceof ApiError && err.status === 401)) {
      showError(logoutError, `退出登录失败：${errorMessage(err)}`);
      return;
    }
  } finally {
    logoutButton.disabled = false;
  }
  showError(logoutError, null);
  user = null;
  window.location.hash = '';
  await applyUser();
  focusLogin();
});

window.addEventListener('hashchange', () => showPage(wantedPage()));

async function start(): Promise<void> {
  void loadHealth();
  const [session, loaded] = await Promise.allSettled([getSession(), loadDistricts()]);
  user = session.status === 'fulfilled' ? session.value.user : null;
  if (loaded.status === 'fulfilled') {
    districts = loaded.value.districts;
    mapPage.setDistricts(districts);
    renderDistricts(loaded.value.units, (code) => {
      const district = districts.find((d) => d.unit.code === code);
      if (district) landMap.fitBbox(district.bbox, 13);
    });
  } else {
    renderDistricts(`无法加载行政区数据：${errorMessage(loaded.reason)}`, () => undefined);
  }
  await applyUser();
}

void start();
