// The inbox (#/inbox) of every signed-in user, and the unread count in the header: decisions on
// the district's packages, returns for 整改, packages awaiting the city, passed deadlines and
// 进度通报 (the database writes them; each user reads only their own).
import './progress.css';
import { errorMessage } from './api';
import { button, byId, formatDateTime, h, showError } from './dom';
import { bulletinXlsxUrl, listInbox, markAllRead, markRead, unreadCount, type Notice } from './progress-api';

const KIND_NAMES: Record<string, string> = { decision: '审核决定', returned: '退回整改', submitted: '待审核成果', deadline_passed: '截止日期已过', bulletin: '进度通报' };
const POLL_MS = 60_000;

export class Inbox {
  private timer: number | null = null;
  private readonly view = byId('inbox-view');
  private readonly badge = byId('inbox-count');

  /** Keeps the header's count fresh while someone is signed in. */
  follow(signedIn: boolean): void {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    if (!signedIn) {
      this.setCount(0);
      return;
    }
    void this.refreshCount();
    this.timer = window.setInterval(() => void this.refreshCount(), POLL_MS);
  }

  private setCount(unread: number): void {
    this.badge.textContent = String(unread);
    this.badge.hidden = unread === 0;
    this.badge.setAttribute('aria-label', `${unread} 条未读消息`);
  }

  async refreshCount(): Promise<void> {
    try {
      this.setCount((await unreadCount()).unread);
    } catch {
      // the count is a hint; the inbox page says what went wrong
    }
  }

  async enter(): Promise<void> {
    const error = h('p', 'form-error');
    error.setAttribute('role', 'alert');
    error.hidden = true;
    const list = h('ul', 'inbox-list');
    const readAll = button('全部标为已读');
    const title = h('h2', undefined, '我的消息');
    title.id = 'inbox-title';
    this.view.replaceChildren(h('section', 'card', title, h('div', 'step-buttons', readAll), error, list));
    readAll.addEventListener('click', async () => {
      readAll.disabled = true;
      try {
        await markAllRead();
        await this.load(list, error);
      } catch (err) {
        showError(error, `操作失败：${errorMessage(err)}`);
      } finally {
        readAll.disabled = false;
      }
    });
    await this.load(list, error);
  }

  private async load(list: HTMLElement, error: HTMLElement): Promise<void> {
    try {
      const inbox = await listInbox();
      this.setCount(inbox.unread);
      list.replaceChildren(...(inbox.notices.length ? inbox.notices.map((notice) => this.item(notice, list, error)) : [h('li', 'muted', '暂无消息')]));
      showError(error, null);
    } catch (err) {
      showError(error, `无法加载消息：${errorMessage(err)}`);
    }
  }

  private item(notice: Notice, list: HTMLElement, error: HTMLElement): HTMLElement {
    const item = h('li', notice.readAt ? 'notice read' : 'notice unread');
    item.dataset.kind = notice.kind;
    item.append(
      h('div', 'notice-head', h('span', 'notice-kind', KIND_NAMES[notice.kind] ?? notice.kind), h('strong', 'notice-title', notice.title), h('span', 'muted', formatDateTime(notice.createdAt))),
    );
    if (notice.body) item.append(h('p', 'notice-body', notice.body));
    const actions = h('div', 'step-buttons');
    if (notice.bulletinId) {
      const link = h('a', undefined, '下载通报（XLSX）');
      link.href = bulletinXlsxUrl(notice.bulletinId);
      link.setAttribute('download', '');
      actions.append(link);
    }
    if (notice.submissionId && notice.kind === 'submitted') {
      const link = h('a', undefined, '查看成果');
      link.href = `#/submissions/${notice.submissionId}`;
      actions.append(link);
    }
    if (!notice.readAt) {
      const mark = button('标为已读');
      mark.addEventListener('click', async () => {
        mark.disabled = true;
        try {
          await markRead(notice.id);
          await this.load(list, error);
        } catch (err) {
          showError(error, `操作失败：${errorMessage(err)}`);
          mark.disabled = false;
        }
      });
      actions.append(mark);
    }
    if (actions.childElementCount) item.append(actions);
    return item;
  }
}
