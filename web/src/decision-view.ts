// How a recorded decision reads on the district and office pages: the step, who took it (name,
// role, organisation), when, the opinion, the 整改 requirements with the findings they point at,
// the document and the attachments (downloadable).
import { formatDateTime, h } from './dom';
import { ROLE_NAMES } from './labels';
import type { Decision, Rectification } from './workflow-api';
import type { Finding } from './api-data';

export function roleName(role: string): string {
  return (ROLE_NAMES as Record<string, string>)[role] ?? role;
}

/** A rectification requirement, with the findings (of the round's latest run) it points at. */
export function rectificationItem(item: Rectification, findings: Map<number, Finding>): HTMLLIElement {
  const li = h('li', 'requirement', item.requirement);
  if (item.findings && item.findings.length > 0) {
    const list = h(
      'ul',
      'finding-refs',
      ...item.findings.map((no) => {
        const finding = findings.get(no);
        const ref = h('li', 'small', finding ? `问题 ${no} · ${finding.ruleId}：${finding.message.zh}${finding.bsm ? `（标识码 ${finding.bsm}）` : ''}` : `问题 ${no}`);
        ref.dataset.finding = String(no);
        return ref;
      }),
    );
    li.append(list);
  }
  return li;
}

export function decisionItem(decision: Decision, findings: Map<number, Finding> = new Map()): HTMLLIElement {
  const who = [decision.deciderName, roleName(decision.deciderRole), decision.organisationName].filter(Boolean).join('，');
  const li = h('li', 'decision', h('strong', '', decision.label), ` · ${formatDateTime(decision.decidedAt)} · ${who}`);
  li.dataset.action = decision.action;
  if (decision.opinion) li.append(h('p', 'small', `审核意见：${decision.opinion}`));
  if (decision.document) li.append(h('p', 'small', `文号：${decision.document.number}（${decision.document.date}）`));
  if (decision.rectification && decision.rectification.length > 0) {
    li.append(h('p', 'small', '整改要求：'), h('ol', 'rectification', ...decision.rectification.map((item) => rectificationItem(item, findings))));
  }
  if (decision.attachments.length > 0) {
    const links = decision.attachments.map((attachment) => {
      const a = h('a', '', attachment.fileName);
      a.href = `/api/attachments/${attachment.id}`;
      return a;
    });
    li.append(h('p', 'small', '附件：', ...links.flatMap((a, i) => (i === 0 ? [a] : ['、', a]))));
  }
  return li;
}
