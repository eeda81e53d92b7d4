import './style.css';
import {
  ApiError,
  getHealth,
  getSession,
  listDistricts,
  login,
  logout,
  type AdminUnit,
  type Health,
  type Role,
  type User,
} from './api';

const ROLE_NAMES: Record<Role, string> = {
  city_admin: '市级管理员',
  city_auditor: '市级审核员',
  district_operator: '区级操作员',
  leading_group_office: '领导小组办公室',
  surveyor: '调查员',
  agency: '获准机构',
};

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`页面缺少元素 #${id}`);
  return el as T;
}

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className) el.className = className;
  el.append(...children);
  return el;
}

function errorMessage(err: unknown): string {
  return err instanceof ApiError ? err.messageZh : '发生未知错误，请稍后再试';
}

const accountTitle = byId('account-title');
const loginForm = byId<HTMLFormElement>('login-form');
const usernameInput = byId<HTMLInputElement>('username');
const passwordInput = byId<HTMLInputElement>('password');
const loginSubmit = byId<HTMLButtonElement>('login-submit');
const loginError = byId('login-error');
const currentUser = byId('current-user');
const logoutButton = byId<HTMLButtonElement>('logout');
const logoutError = byId('logout-error');
const healthBox = byId('health');
const districtBody = byId<HTMLTableElement>('district-table').tBodies[0]!;
const districtCount = byId('district-count');

// ---- 系统状态 ----

function healthRows(health: Health): [string, string][] {
  const { applied, pending, latest } = health.migrations;
  let migrations = `已应用 ${applied} 个`;
  migrations += pending.length > 0 ? `，待执行 ${pending.length} 个：${pending.join('、')}` : '，无待执行';
  if (latest) migrations += `（最新：${latest}）`;
  return [
    ['数据库引擎', health.engine === 'server' ? '服务器 PostgreSQL' : '内嵌 PGlite'],
    ['PostgreSQL 版本', health.postgres],
    ['PostGIS 版本', health.postgis],
    ['迁移', migrations],
    ['矢量瓦片编码', health.capabilities.mvt ? '数据库 ST_AsMVT' : '应用内编码'],
  ];
}

function renderHealth(health: Health): void {
  const ok = health.status === 'ok';
  const facts = h('dl', 'facts');
  for (const [term, value] of healthRows(health)) facts.append(h('dt', '', term), h('dd', '', value));
  healthBox.replaceChildren(h('p', `badge ${ok ? 'badge-ok' : 'badge-warn'}`, ok ? '运行正常' : '部分功能降级'), facts);
}

function renderHealthFailure(err: unknown): void {
  const retry = h('button', 'secondary', '重试');
  retry.type = 'button';
  retry.addEventListener('click', () => void loadHealth());
  const children: Node[] = [h('p', 'badge badge-error', '无法连接服务器')];
  // Reachable-but-failing is worth distinguishing from a dead connection.
  if (err instanceof ApiError && err.status !== 0) children.push(h('p', 'muted', errorMessage(err)));
  healthBox.replaceChildren(...children, retry);
}

async function loadHealth(): Promise<void> {
  healthBox.setAttribute('aria-busy', 'true');
  try {
    renderHealth(await getHealth());
  } catch (err) {
    renderHealthFailure(err);
  } finally {
    healthBox.removeAttribute('aria-busy');
  }
}

// ---- 行政区 ----

function formatHectares(m2: number): string {
  return (Number(m2) / 10_000).toFixed(2);
}

function renderDistrictMessage(text: string): void {
  const cell = h('td', 'muted', text);
  cell.colSpan = 3;
  districtBody.replaceChildren(h('tr', '', cell));
  districtCount.textContent = '';
}

function renderDistricts(units: AdminUnit[]): void {
  if (units.length === 0) return renderDistrictMessage('暂无行政区数据');
  districtBody.replaceChildren(
    ...units.map((unit) =>
      h('tr', '', h('td', 'code', unit.code), h('td', '', unit.name), h('td', 'num', formatHectares(unit.controlAreaM2))),
    ),
  );
  districtCount.textContent = `共 ${units.length} 个`;
}

async function loadDistricts(): Promise<void> {
  try {
    renderDistricts(await listDistricts());
  } catch (err) {
    renderDistrictMessage(`无法加载行政区数据：${errorMessage(err)}`);
  }
}

// ---- 登录 ----

function setField(name: string, value: string | null): void {
  const el = currentUser.querySelector(`[data-field="${name}"]`);
  if (el) el.textContent = value || '—';
}

function renderSession(user: User | null): void {
  loginForm.hidden = user !== null;
  currentUser.hidden = user === null;
  accountTitle.textContent = user ? '当前用户' : '用户登录';
  setField('displayName', user && `${user.displayName}（${user.username}）`);
  setField('role', user && (ROLE_NAMES[user.role] ?? user.role));
  setField('organisationName', user?.organisationName ?? null);
  setField('districtName', user?.districtName ?? null);
}

function showError(target: HTMLElement, message: string | null): void {
  target.textContent = message ?? '';
  target.hidden = message === null;
}

async function loadSession(): Promise<void> {
  try {
    renderSession((await getSession()).user);
  } catch {
    // The health panel already reports connectivity; stay anonymous until login is attempted.
    renderSession(null);
  }
}

loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const username = usernameInput.value.trim();
  const password = passwordInput.value;
  if (!username || !password) {
    showError(loginError, '请输入用户名和密码');
    (username ? passwordInput : usernameInput).focus();
    return;
  }

  showError(loginError, null);
  loginSubmit.disabled = true;
  loginSubmit.textContent = '正在登录…';
  try {
    const user = await login(username, password);
    loginForm.reset();
    renderSession(user);
    void loadDistricts();
  } catch (err) {
    showError(loginError, errorMessage(err));
    passwordInput.select();
  } finally {
    loginSubmit.disabled = false;
    loginSubmit.textContent = '登录';
  }
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
  renderSession(null);
  usernameInput.focus();
  void loadSession();
  void loadDistricts();
});

void loadHealth();
void loadSession();
void loadDistricts();
