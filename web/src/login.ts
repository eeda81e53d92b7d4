// What an anonymous visitor sees beside the public district map: the login form, the districts
// with their control areas, and the system status.
import { ApiError, errorMessage, getHealth, login, type AdminUnit, type Health, type User } from './api';
import { button, byId, h, showError } from './dom';

const loginForm = byId<HTMLFormElement>('login-form');
const usernameInput = byId<HTMLInputElement>('username');
const passwordInput = byId<HTMLInputElement>('password');
const loginSubmit = byId<HTMLButtonElement>('login-submit');
const loginError = byId('login-error');
const healthBox = byId('health');
const districtBody = byId<HTMLTableElement>('district-table').tBodies[0]!;
const districtCount = byId('district-count');

// ---- 系统状态 ----

function healthRows(health: Health): [string, string][] {
  // Only signed-in city roles are told the engine and its versions.
  if (!health.migrations || !health.capabilities) return [];
  const { applied, pending, latest } = health.migrations;
  let migrations = `已应用 ${applied} 个`;
  migrations += pending.length > 0 ? `，待执行 ${pending.length} 个：${pending.join('、')}` : '，无待执行';
  if (latest) migrations += `（最新：${latest}）`;
  return [
    ['数据库引擎', health.engine === 'server' ? '服务器 PostgreSQL' : '内嵌 PGlite'],
    ['PostgreSQL 版本', health.postgres ?? '—'],
    ['PostGIS 版本', health.postgis ?? '—'],
    ['迁移', migrations],
    ['矢量瓦片编码', health.capabilities.mvt ? '数据库 ST_AsMVT' : '应用内编码'],
  ];
}

export async function loadHealth(): Promise<void> {
  healthBox.setAttribute('aria-busy', 'true');
  try {
    const health = await getHealth();
    const ok = health.status === 'ok';
    const label = ok ? '运行正常' : health.status === 'down' ? '数据库无响应' : '部分功能降级';
    const facts = h('dl', 'facts');
    for (const [term, value] of healthRows(health)) facts.append(h('dt', '', term), h('dd', '', value));
    healthBox.replaceChildren(h('p', `badge ${ok ? 'badge-ok' : 'badge-warn'}`, label), facts);
  } catch (err) {
    const retry = button('重试');
    retry.addEventListener('click', () => void loadHealth());
    const children: Node[] = [h('p', 'badge badge-error', '无法连接服务器')];
    // Reachable-but-failing is worth distinguishing from a dead connection.
    if (err instanceof ApiError && err.status !== 0) children.push(h('p', 'muted', errorMessage(err)));
    healthBox.replaceChildren(...children, retry);
  } finally {
    healthBox.removeAttribute('aria-busy');
  }
}

// ---- 行政区 ----

export function renderDistricts(units: AdminUnit[] | string, onPick: (code: string) => void): void {
  if (typeof units === 'string' || units.length === 0) {
    const cell = h('td', 'muted', typeof units === 'string' ? units : '暂无行政区数据');
    cell.colSpan = 3;
    districtBody.replaceChildren(h('tr', '', cell));
    districtCount.textContent = '';
    return;
  }
  districtBody.replaceChildren(
    ...units.map((unit) => {
      const tr = h('tr', 'clickable', h('td', 'code', unit.code), h('td', '', unit.name), h('td', 'num', unit.controlAreaM2 === null ? '—' : (unit.controlAreaM2 / 10_000).toFixed(2)));
      tr.title = `在地图上查看${unit.name}`;
      tr.addEventListener('click', () => onPick(unit.code));
      return tr;
    }),
  );
  districtCount.textContent = `共 ${units.length} 个`;
}

// ---- 登录 ----

export function wireLogin(onLogin: (user: User) => void): void {
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
      onLogin(user);
    } catch (err) {
      showError(loginError, errorMessage(err));
      passwordInput.select();
    } finally {
      loginSubmit.disabled = false;
      loginSubmit.textContent = '登录';
    }
  });
}

export function focusLogin(): void {
  usernameInput.focus();
}
