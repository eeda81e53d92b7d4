// The documents and maps delivered in a package (文字成果, 图件成果, 表格成果 …), listed by
// GET /api/submissions/:id/documents and downloaded as delivered from …/documents/file?path=.
import { apiGet, errorMessage } from './api';
import { formatBytes, h } from './dom';

export interface PackageDocument {
  path: string;
  category: 'text' | 'map' | 'table' | 'raster' | 'other';
  sizeBytes: number;
}

const CATEGORY_NAMES: Record<PackageDocument['category'], string> = {
  text: '文字成果',
  map: '图件成果',
  table: '表格成果',
  raster: '栅格成果',
  other: '其他文件',
};

export function documentUrl(submissionId: string, path: string): string {
  return `/api/submissions/${encodeURIComponent(submissionId)}/documents/file?path=${encodeURIComponent(path)}`;
}

export class SubmissionDocuments {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private request = 0;

  constructor() {
    this.body = h('div', '');
    this.body.id = 'submission-documents';
    this.element = h('section', 'card', h('h2', '', '成果包中的文字与图件成果'), this.body);
  }

  async show(submissionId: string): Promise<void> {
    const request = ++this.request;
    this.body.replaceChildren(h('p', 'muted', '正在加载…'));
    let documents: PackageDocument[];
    try {
      documents = (await apiGet<{ documents: PackageDocument[] }>(`/api/submissions/${encodeURIComponent(submissionId)}/documents`)).documents;
    } catch (err) {
      if (request === this.request) this.body.replaceChildren(h('p', 'form-error', `无法加载成果包文件：${errorMessage(err)}`));
      return;
    }
    if (request !== this.request) return;
    if (documents.length === 0) {
      this.body.replaceChildren(h('p', 'muted', '成果包中没有文字、图件或表格成果。'));
      return;
    }
    const table = h('table', 'documents-table');
    const head = table.createTHead().insertRow();
    for (const title of ['类别', '文件', '大小']) head.append(h('th', '', title));
    const rows = table.createTBody();
    const order = Object.keys(CATEGORY_NAMES);
    for (const document of [...documents].sort((a, b) => order.indexOf(a.category) - order.indexOf(b.category) || a.path.localeCompare(b.path))) {
      const link = h('a', '', document.path);
      link.href = documentUrl(submissionId, document.path);
      link.download = document.path.split('/').pop() ?? document.path;
      const tr = h('tr', '', h('td', '', CATEGORY_NAMES[document.category] ?? document.category), h('td', '', link), h('td', 'num', formatBytes(document.sizeBytes)));
      tr.dataset.path = document.path;
      rows.append(tr);
    }
    this.body.replaceChildren(h('p', 'muted', `共 ${documents.length} 个文件，点击下载（原样取自归档的成果包）。`), table);
  }
}
