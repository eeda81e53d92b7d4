// The city's accounts page (#/accounts): every account with its role, district and state; the city
// administrator creates accounts (district bureaus, district and city leading-group offices,
// surveyors, agencies), resets a password and disables or re-enables an account. The city auditor
// reads the list. What may be done is the server's decision; the page only offers it.
import { apiGet, apiPatch, apiPost, errorMessage, type Role, type User } from './api';
import type { District } from './districts';
import { button, h, showError } from './dom';
import { ROLE_NAMES } from './labels';

interface Account {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  districtCode: string | null;
  organisationId: string | null;
  disabled: boolean;
}

/** Roles whose accounts belong to one district (a district leading-group office too). */
const DISTRICT_ROLES: readonly Role[] = ['district_operator', 'surveyor'];

export class AccountsPage {
  private readonly list = h('tbody');
  private readonly status = h('p', 'muted');
  private readonly error = h('p', 'form-error');
  private readonly form = h('form', 'accounts-form');
  private districts: District[] = [];
  private user: User | null = null;

  constructor(root: HTMLElement) {
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;
    const table = h('table', 'compact-table accounts-table');
    table.append(h('thead', undefined, h('tr', undefined, ...['用户名', '姓名', '角色', '所属区', '状态', '操作'].map((title) => h('th', undefined, title)))), this.list);
    root.append(
      h('section', 'card', h('h2', undefined, '账户管理'), this.status, this.error, table),
      h('section', 'card', h('h2', undefined, '新建账户'), this.form),
    );
  }

  setDistricts(districts: District[]): void {
    this.districts = districts;
  }

  async enter(user: User): Promise<void> {
    this.user = user;
    this.form.parentElement!.hidden = user.role !== 'city_admin';
    if (user.role === 'city_admin') this.renderForm();
    await this.load();
  }

  private districtName(code: string | null): string {
    if (!code) return '全市';
    return this.districts.find((district) => district.unit.code === code)?.unit.name ?? code;
  }

  private async load(): Promise<void> {
    this.status.textContent = '正在加载…';
    try {
      const accounts = await apiGet<Account[]>('/api/users');
      this.status.textContent = `共 ${accounts.length} 个账户`;
      this.list.replaceChildren(...accounts.map((account) => this.row(account)));
      showError(this.error, null);
    } catch (err) {
      this.status.textContent = '';
      showError(this.error, `无法加载账户：${errorMessage(err)}`);
    }
  }

  private row(account: Account): HTMLTableRowElement {
    const actions = h('td');
    if (this.user?.role === 'city_admin') {
      const toggle = button(account.disabled ? '启用' : '停用');
      toggle.disabled = account.id === this.user.id;
      toggle.addEventListener('click', () => void this.act(() => apiPatch(`/api/users/${account.id}`, { disabled: !account.disabled }), `${account.username} 已${account.disabled ? '启用' : '停用'}`));
      const reset = button('重置密码');
      reset.addEventListener('click', () => {
        const password = window.prompt(`为 ${account.displayName}（${account.username}）设置新密码（至少 12 位）：`);
        if (password) void this.act(() => apiPost(`/api/users/${account.id}/password`, { newPassword: password }), `${account.username} 的密码已重置，其登录会话已全部结束`);
      });
      actions.append(toggle, ' ', reset);
    }
    const row = h(
      'tr',
      account.disabled ? 'disabled-account' : undefined,
      h('td', undefined, account.username),
      h('td', undefined, account.displayName),
      h('td', undefined, ROLE_NAMES[account.role] ?? account.role),
      h('td', undefined, this.districtName(account.districtCode)),
      h('td', undefined, account.disabled ? '已停用' : '正常'),
      actions,
    );
    row.dataset.username = account.username;
    return row;
  }

  private async act(work: () => Promise<unknown>, done: string): Promise<void> {
    try {
      await work();
      await this.load();
      this.status.textContent = done;
    } catch (err) {
      showError(this.error, errorMessage(err));
    }
  }

  private renderForm(): void {
    const field = (label: string, input: HTMLElement) => h('label', undefined, label, input);
    const username = h('input');
    username.name = 'username';
    username.required = true;
    const displayName = h('input');
    displayName.name = 'displayName';
    displayName.required = true;
    const role = h('select');
    role.name = 'role';
    for (const [value, name] of Object.entries(ROLE_NAMES)) role.append(new Option(name, value));
    const district = h('select');
    district.name = 'districtCode';
    district.append(new Option('全市（不属于某区）', ''), ...this.districts.map((d) => new Option(d.unit.name, d.unit.code)));
    const password = h('input');
    password.name = 'password';
    password.type = 'password';
    password.autocomplete = 'new-password';
    password.required = true;
    const submit = h('button', undefined, '创建账户');
    submit.type = 'submit';
    const formError = h('p', 'form-error');
    formError.setAttribute('role', 'alert');
    formError.hidden = true;
    const hint = h('p', 'muted', '区局操作员、调查员须选择所属区；区领导小组办公室选择其区，市领导小组办公室选择“全市”。');
    this.form.replaceChildren(field('用户名', username), field('姓名', displayName), field('角色', role), field('所属区', district), field('初始密码', password), hint, formError, submit);
    this.form.onsubmit = async (event) => {
      event.preventDefault();
      if (DISTRICT_ROLES.includes(role.value as Role) && !district.value) {
        showError(formError, `${ROLE_NAMES[role.value as Role]}须选择所属区`);
        return;
      }
      submit.disabled = true;
      try {
        const created = await apiPost<Account>('/api/users', {
          username: username.value.trim(),
          displayName: displayName.value.trim(),
          role: role.value,
          password: password.value,
          districtCode: district.value || null,
        });
        showError(formError, null);
        this.form.reset();
        await this.load();
        this.status.textContent = `已创建账户 ${created.username}`;
      } catch (err) {
        showError(formError, errorMessage(err));
      } finally {
        submit.disabled = false;
      }
    };
  }
}
