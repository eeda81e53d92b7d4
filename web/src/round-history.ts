// The record of decisions as the review pages show it: each round of a submission with the
// decisions taken on it (who, as what, for which organisation, when, the opinion, the 整改
// requirements and the findings they name, the document, the attachments), and a survey's own.
import { formatBytes, formatDateTime, h } from './dom';
import { roleName, submissionStateName, waitedText } from './review-labels';
import type { Decision, QueueEntry } from './review-data';

export function decisionItem(decision: Decision, districtName?: (code: string) => string): HTMLElement {
  const who = [decision.deciderName ?? '', roleName(decision.deciderRole), decision.organisationName ?? ''].filter(Boolean).join(' · ');
  const item = h(
    'li',
    `decision decision-${decision.action}`,
    h('div', 'decision-head', h('strong', 'decision-label', decision.label), h('span', 'muted', `${formatDateTime(decision.decidedAt)} · ${who}`)),
  );
  item.dataset.action = decision.action;
  if (decision.districtCode && districtName) item.append(h('p', 'muted', `区：${districtName(decision.districtCode)}`));
  if (decision.opinion) item.append(h('p', 'decision-opinion', `审核意见：${decision.opinion}`));
  if (decision.rectification?.length) {
    const list = h('ol', 'rectification-list');
    for (const entry of decision.rectification) {
      list.append(h('li', '', entry.requirement, entry.findings?.length ? h('span', 'muted', `（质检问题 ${entry.findings.map((n) => `#${n}`).join('、')}）`) : ''));
    }
    item.append(h('div', '', h('span', '', '整改要求：'), list));
  }
  if (decision.document) {
    const doc = decision.document;
    item.append(h('p', 'decision-document', `文件：${doc.number}（${doc.date}${doc.issuer ? `，${doc.issuer}` : ''}）`));
  }
  if (decision.attachments.length) {
    const files = h('ul', 'attachments');
    for (const file of decision.attachments) {
      const link = h('a', '', file.fileName);
      link.href = `/api/attachments/${file.id}`;
      files.append(h('li', '', link, h('span', 'muted', `（${formatBytes(file.sizeBytes)}）`)));
    }
    item.append(h('div', '', h('span', '', '附件：'), files));
  }
  return item;
}

/** Every round of the chain, newest first, each with its decisions; the shown one is marked. */
export function roundHistory(rounds: QueueEntry[], decisions: Decision[], currentId: string): HTMLElement {
  const list = h('ol', 'round-history');
  for (const round of [...rounds].sort((a, b) => b.round - a.round || b.createdAt.localeCompare(a.createdAt))) {
    const title = h('span', '', `第 ${round.round} 轮 · ${round.fileName} · 提交于 ${formatDateTime(round.createdAt)} · ${submissionStateName(round.state)}`);
    const head = h('div', 'round-head', title);
    if (round.id !== currentId) {
      const open = h('a', '', '查看');
      open.href = `#/submissions/${round.id}`;
      head.append(open);
    } else {
      head.append(h('span', 'badge badge-warn', `当前 · 已等待 ${waitedText(round.updatedAt)}`));
    }
    const own = decisions.filter((decision) => decision.submissionId === round.id);
    const body = own.length ? h('ol', 'decisions', ...own.map((d) => decisionItem(d))) : h('p', 'muted', '尚无审核决定');
    const item = h('li', `round${round.id === currentId ? ' current' : ''}`, head, body);
    item.dataset.submission = round.id;
    item.dataset.round = String(round.round);
    list.append(item);
  }
  return list;
}
