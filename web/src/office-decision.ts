// The decision form of a step (初验, 验收, 备案, 终验, a plan's approval, a 备案 receipt, an
// objection): the opinion (审核意见), the 整改 requirements when the step returns the submission
// (one a line; a line may name the findings it points at, “问题 3,5”), the document (文号 and
// date) when the step needs one, and attachments (验收报告, 批准文件: PDF, PNG, JPEG), uploaded
// first through POST /api/attachments and then named in the decision.
import { errorMessage } from './api';
import { h, showError, todayIso } from './dom';
import { uploadAttachment, type DecisionInput, type Rectification, type Step } from './workflow-api';

let formCount = 0;

/** “消除碎图斑 问题 3,5” → { requirement: '消除碎图斑', findings: [3, 5] }. */
export function parseRequirement(line: string): Rectification | null {
  const text = line.trim();
  if (!text) return null;
  const match = /^(.*?)[\s；;，,]*问题\s*([\d\s,，、]+)$/.exec(text);
  if (!match) return { requirement: text };
  const findings = match[2]!.split(/[\s,，、]+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  return { requirement: match[1]!.trim() || text, findings };
}

function field(label: string, control: HTMLElement): HTMLLabelElement[] {
  const id = `decision-${++formCount}`;
  control.id = id;
  const el = h('label', '', label);
  el.htmlFor = id;
  return [el, control as HTMLLabelElement];
}

/** A form for one step; `submit` takes the decision and answers the new state. */
export function decisionForm(step: Step, submit: (input: DecisionInput) => Promise<{ state: string }>, done: (message: string) => void): HTMLFormElement {
  const form = h('form', 'decision-form');
  form.noValidate = true;
  form.dataset.action = step.action;
  const opinion = h('textarea');
  opinion.name = 'opinion';
  opinion.maxLength = 4000;
  form.append(h('strong', '', `${step.labelZh}${step.article ? `（${step.article}）` : ''}`), ...field('审核意见', opinion));

  const needsRectification = step.needs.includes('rectification');
  const rectification = h('textarea');
  rectification.name = 'rectification';
  rectification.placeholder = '每行一条整改要求；可在行末注明涉及的质检问题编号，如“消除碎图斑 问题 3,5”';
  if (needsRectification) form.append(...field('整改要求（必填）', rectification));

  const needsDocument = step.needs.includes('document');
  const number = h('input');
  number.name = 'documentNumber';
  number.placeholder = '如 沪土调〔2026〕1号';
  const date = h('input');
  date.name = 'documentDate';
  date.placeholder = 'YYYY-MM-DD';
  date.value = todayIso();
  if (needsDocument) form.append(...field('文号（必填）', number), ...field('文件日期', date));

  const files = h('input');
  files.type = 'file';
  files.name = 'attachments';
  files.multiple = true;
  files.accept = '.pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg';
  form.append(...field('附件（验收报告、批准文件等，PDF 或图片）', files));

  const error = h('p', 'form-error');
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const send = h('button', '', `确认：${step.labelZh}`);
  send.type = 'submit';
  form.append(error, send);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      showError(error, null);
      const input: DecisionInput = { action: step.action };
      if (opinion.value.trim()) input.opinion = opinion.value.trim();
      if (needsRectification) {
        const items = rectification.value.split('\n').map(parseRequirement).filter((item): item is Rectification => item !== null);
        if (items.length === 0) return showError(error, '请填写至少一条整改要求');
        input.rectification = items;
      }
      if (needsDocument) {
        if (!number.value.trim()) return showError(error, '请填写批准或备案文件的文号');
        if (!/^\d{4}-\d{2}-\d{2}$/.test(date.value.trim())) return showError(error, '文件日期请按 年-月-日 填写，如 2026-03-31');
        input.document = { number: number.value.trim(), date: date.value.trim() };
      }
      send.disabled = true;
      try {
        const attachments = [];
        for (const file of files.files ?? []) attachments.push(await uploadAttachment(file));
        if (attachments.length > 0) input.attachmentIds = attachments.map((a) => a.id);
        const outcome = await submit(input);
        done(`已记录：${step.labelZh}${attachments.length > 0 ? `（附件 ${attachments.length} 个）` : ''}`);
        form.dataset.state = outcome.state;
      } catch (err) {
        showError(error, `未能记录：${errorMessage(err)}`);
      } finally {
        send.disabled = false;
      }
    })();
  });
  return form;
}
