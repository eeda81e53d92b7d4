// The form of one lifecycle step, for a submission or a survey: the opinion (审核意见), the 整改
// requirements of a return (each may name findings of the latest quality run), the document
// (文号, date, issuer) where the step needs one, attachments (PDF or images, uploaded first to
// POST /api/attachments), and for a publication its layers and fields, for a district step the
// district. What a step needs comes from the step itself (GET …/record).
import { errorMessage } from './api';
import { button, h, showError, todayIso } from './dom';
import { parseDay } from './date-field';
import { fieldLabel, PUBLICATION_FIELDS, PUBLICATION_LAYERS } from './review-labels';
import { uploadAttachment, type DecisionBody, type Rectification, type Step } from './review-data';

/** Decision steps that record a document when one is given, though they do not require it. */
const DOCUMENT_OPTIONAL = new Set(['accept', 'preliminary_accept', 'file', 'publish', 'publish_district', 'withdraw', 'withdraw_district']);
const DISTRICT_STEPS = new Set(['publish_district', 'withdraw_district']);

export interface DecisionFormOptions {
  /** the districts a district step may name (code, name) */
  districts?: { code: string; name: string }[];
  /** the district chosen first (a district user's own) */
  defaultDistrict?: string | null;
  /** a line saying what taking the step means */
  note?: string;
}

function labelled(text: string, control: HTMLElement, id: string): HTMLElement {
  control.id = id;
  const label = h('label', '', text);
  label.htmlFor = id;
  return h('div', 'field', label, control);
}

/** Reads "3, 7，12" as finding numbers; null when something in it is no number. */
function findingNumbers(text: string): number[] | null {
  const parts = text.split(/[\s,，、]+/).filter(Boolean);
  const numbers = parts.map((part) => Number(part.replace(/^#/, '')));
  return numbers.every((n) => Number.isInteger(n) && n > 0) ? numbers : null;
}

export class DecisionForm {
  readonly root: HTMLFormElement;
  private readonly error: HTMLElement;
  private readonly submit: HTMLButtonElement;
  private readonly opinion: HTMLTextAreaElement | null = null;
  private readonly requirements: HTMLElement | null = null;
  private readonly document: { number: HTMLInputElement; date: HTMLInputElement; issuer: HTMLInputElement } | null = null;
  private readonly files: HTMLInputElement | null = null;
  private readonly district: HTMLSelectElement | null = null;
  private readonly layers: HTMLInputElement[] = [];
  private readonly fields: HTMLInputElement[] = [];

  constructor(
    readonly step: Step,
    private readonly send: (body: DecisionBody) => Promise<void>,
    onCancel: () => void,
    options: DecisionFormOptions = {},
  ) {
    this.root = h('form', 'card decision-form');
    this.root.noValidate = true;
    this.root.dataset.action = step.action;
    const parts: HTMLElement[] = [h('h3', '', `${step.labelZh}${step.article ? `（${step.article}）` : ''}`)];
    if (options.note) parts.push(h('p', 'muted', options.note));
    if (DISTRICT_STEPS.has(step.action)) {
      const select = h('select', '');
      for (const district of options.districts ?? []) select.append(new Option(`${district.name}（${district.code}）`, district.code));
      if (options.defaultDistrict) select.value = options.defaultDistrict;
      this.district = select;
      parts.push(labelled('区', select, 'decision-district'));
    }
    if (step.action === 'publish' || step.action === 'publish_district') parts.push(this.publicationFields());
    if (step.decision) {
      const opinion = h('textarea', '');
      opinion.rows = 3;
      opinion.maxLength = 4000;
      opinion.placeholder = '填写审核意见';
      this.opinion = opinion;
      parts.push(labelled('审核意见', opinion, 'decision-opinion'));
    }
    if (step.needs.includes('rectification')) {
      this.requirements = h('div', 'requirements');
      const add = button('添加一条整改要求');
      add.addEventListener('click', () => this.addRequirement());
      parts.push(h('fieldset', 'rectification', h('legend', '', '整改要求（至少一条）'), this.requirements, add));
      this.addRequirement();
    }
    const needsDocument = step.needs.includes('document');
    if (needsDocument || (step.decision && DOCUMENT_OPTIONAL.has(step.action))) {
      const number = h('input', '');
      number.placeholder = '如 沪府〔2027〕12号';
      const date = h('input', '');
      date.placeholder = 'YYYY-MM-DD';
      date.inputMode = 'numeric';
      date.value = needsDocument ? todayIso() : '';
      const issuer = h('input', '');
      issuer.placeholder = '发文机关（可选）';
      this.document = { number, date, issuer };
      parts.push(
        h(
          'fieldset',
          'document',
          h('legend', '', needsDocument ? '批准或验收文件（必填）' : '文件（可选）'),
          labelled('文号', number, 'decision-document-number'),
          labelled('日期', date, 'decision-document-date'),
          labelled('发文机关', issuer, 'decision-document-issuer'),
        ),
      );
    }
    if (step.decision) {
      const files = h('input', '');
      files.type = 'file';
      files.multiple = true;
      files.accept = '.pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg';
      this.files = files;
      parts.push(labelled('附件（验收报告、批准文件等，PDF 或图片）', files, 'decision-files'));
    }
    this.error = h('p', 'form-error');
    this.error.id = 'decision-error';
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;
    this.submit = h('button', '', `确认${step.labelZh}`);
    this.submit.type = 'submit';
    this.submit.id = 'decision-submit';
    const cancel = button('取消');
    cancel.addEventListener('click', onCancel);
    parts.push(this.error, h('div', 'form-actions', this.submit, cancel));
    this.root.append(...parts);
    this.root.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.take();
    });
  }

  private publicationFields(): HTMLElement {
    const box = h('fieldset', 'publication', h('legend', '', '公布内容'));
    for (const [layer, name] of Object.entries(PUBLICATION_LAYERS)) {
      const layerBox = h('input', '');
      layerBox.type = 'checkbox';
      layerBox.checked = true;
      layerBox.value = layer;
      layerBox.dataset.layer = layer;
      this.layers.push(layerBox);
      const fieldBoxes = PUBLICATION_FIELDS[layer]!.map((field) => {
        const input = h('input', '');
        input.type = 'checkbox';
        input.checked = true;
        input.value = field;
        input.dataset.layer = layer;
        this.fields.push(input);
        return h('label', 'check', input, ` ${fieldLabel(field)}（${field}）`);
      });
      box.append(h('div', 'publication-layer', h('label', 'check strong', layerBox, ` ${name}`), h('div', 'publication-fields', ...fieldBoxes)));
    }
    return box;
  }

  private addRequirement(): void {
    const text = h('textarea', '');
    text.rows = 2;
    text.placeholder = '整改要求，如：地类图斑 0101 与 0702 重叠处按实地核实后更正';
    text.className = 'requirement-text';
    const findings = h('input', '');
    findings.className = 'requirement-findings';
    findings.placeholder = '关联质检问题编号（可选），如 3, 7';
    this.requirements!.append(h('div', 'requirement', text, findings));
  }

  focus(): void {
    (this.opinion ?? this.submit).focus();
  }

  /** The body of the step, or a message saying what is missing. */
  private body(): DecisionBody | string {
    const body: DecisionBody = { action: this.step.action };
    const opinion = this.opinion?.value.trim();
    if (opinion) body.opinion = opinion;
    if (this.district) body.districtCode = this.district.value;
    if (this.requirements) {
      const items: Rectification[] = [];
      for (const row of this.requirements.querySelectorAll('.requirement')) {
        const requirement = row.querySelector<HTMLTextAreaElement>('.requirement-text')!.value.trim();
        const findingsText = row.querySelector<HTMLInputElement>('.requirement-findings')!.value.trim();
        if (!requirement) continue;
        const findings = findingsText ? findingNumbers(findingsText) : [];
        if (findings === null) return `“${findingsText}”不是质检问题编号，请填写数字，以逗号分隔`;
        items.push(findings.length ? { requirement, findings } : { requirement });
      }
      if (items.length === 0) return '退回整改须至少填写一条整改要求';
      body.rectification = items;
    }
    if (this.document) {
      const number = this.document.number.value.trim();
      const dateText = this.document.date.value.trim();
      const needed = this.step.needs.includes('document');
      if (number || needed) {
        if (!number) return '请填写文号';
        const date = parseDay(dateText);
        if (!date) return `“${dateText}”不是有效日期，请按 年-月-日 填写`;
        body.document = { number, date, ...(this.document.issuer.value.trim() ? { issuer: this.document.issuer.value.trim() } : {}) };
      }
    }
    if (this.layers.length) {
      const layers = this.layers.filter((box) => box.checked).map((box) => box.value);
      if (layers.length === 0) return '请至少选择一个公布的图层';
      body.layers = layers;
      body.fields = [...new Set(this.fields.filter((box) => box.checked && layers.includes(box.dataset.layer!)).map((box) => box.value))];
    }
    return body;
  }

  private async take(): Promise<void> {
    showError(this.error, null);
    const body = this.body();
    if (typeof body === 'string') return showError(this.error, body);
    this.submit.disabled = true;
    try {
      const files = [...(this.files?.files ?? [])];
      if (files.length) {
        this.submit.textContent = '正在上传附件…';
        body.attachmentIds = [];
        for (const file of files) body.attachmentIds.push((await uploadAttachment(file)).id);
      }
      this.submit.textContent = '正在提交…';
      await this.send(body);
    } catch (err) {
      showError(this.error, `${this.step.labelZh}未成功：${errorMessage(err)}`);
    } finally {
      this.submit.disabled = false;
      this.submit.textContent = `确认${this.step.labelZh}`;
    }
  }
}
