// Quality reports as files: CSV (UTF-8 with a byte-order mark, so Excel opens the Chinese text
// right) and XLSX (a minimal SpreadsheetML workbook with inline strings, written with yazl).
import yazl from 'yazl';
import type { FindingRow } from './repository.ts';

export const REPORT_COLUMNS: { header: string; value: (finding: FindingRow, index: number) => string | number | null }[] = [
  { header: '序号 No.', value: (_, index) => index + 1 },
  { header: '规则 Rule', value: (f) => f.ruleId },
  { header: '严重程度 Severity', value: (f) => f.severity },
  { header: '图层 Layer', value: (f) => f.layer },
  { header: '记录号 Record', value: (f) => f.recordNo },
  { header: '标识码 BSM', value: (f) => f.bsm },
  { header: '相关标识码 Other BSM', value: (f) => f.otherBsm },
  { header: '说明', value: (f) => f.message.zh },
  { header: 'Message', value: (f) => f.message.en },
  { header: '经度 Longitude', value: (f) => (f.bbox ? round7((f.bbox[0] + f.bbox[2]) / 2) : null) },
  { header: '纬度 Latitude', value: (f) => (f.bbox ? round7((f.bbox[1] + f.bbox[3]) / 2) : null) },
  { header: '详情 Details', value: (f) => (f.details ? JSON.stringify(f.details) : null) },
];

function round7(value: number): number {
  return Math.round(value * 1e7) / 1e7;
}

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function findingsCsv(findings: readonly FindingRow[]): string {
  const lines = [REPORT_COLUMNS.map((column) => csvCell(column.header)).join(',')];
  findings.forEach((finding, index) => lines.push(REPORT_COLUMNS.map((column) => csvCell(column.value(finding, index))).join(',')));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

function xml(text: string): string {
  // XML 1.0 forbids most control characters; drop them rather than write a file Excel refuses.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

function sheetXml(rows: (string | number | null)[][]): string {
  const body = rows
    .map((row, r) => {
      const cells = row
        .map((value, c) => {
          const ref = `${columnName(c)}${r + 1}`;
          if (value === null || value === '') return '';
          if (typeof value === 'number') return `<c r="${ref}"><v>${value}</v></c>`;
          return `<c r="${ref}" t="inlineStr"${r === 0 ? ' s="1"' : ''}><is><t xml:space="preserve">${xml(value)}</t></is></c>`;
        })
        .join('');
      return `<row r="${r + 1}">${cells}</row>`;
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>${body}</sheetData></worksheet>`;
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`;
const ROOT_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
const WORKBOOK = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Findings" sheetId="1" r:id="rId1"/><sheet name="Summary" sheetId="2" r:id="rId2"/></sheets></workbook>`;
const WORKBOOK_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`;
const STYLES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>`;

export interface SummaryLine {
  ruleId: string;
  title: string;
  severity: string;
  findings: number;
}

/** A workbook with the findings (sheet 1) and the per-rule summary (sheet 2). */
export function findingsXlsx(findings: readonly FindingRow[], summary: readonly SummaryLine[]): Promise<Buffer> {
  const rows = [REPORT_COLUMNS.map((column) => column.header), ...findings.map((finding, index) => REPORT_COLUMNS.map((column) => column.value(finding, index)))];
  const summaryRows = [['规则 Rule', '名称 Title', '严重程度 Severity', '问题数 Findings'], ...summary.map((line) => [line.ruleId, line.title, line.severity, line.findings])];
  const zip = new yazl.ZipFile();
  const add = (name: string, content: string) => zip.addBuffer(Buffer.from(content, 'utf8'), name, { mtime: new Date(0), compress: true });
  add('[Content_Types].xml', CONTENT_TYPES);
  add('_rels/.rels', ROOT_RELS);
  add('xl/workbook.xml', WORKBOOK);
  add('xl/_rels/workbook.xml.rels', WORKBOOK_RELS);
  add('xl/styles.xml', STYLES);
  add('xl/worksheets/sheet1.xml', sheetXml(rows));
  add('xl/worksheets/sheet2.xml', sheetXml(summaryRows));
  return zipToBuffer(zip);
}

/** Ends a yazl zip and collects it in memory (small files: reports, test packages). */
export function zipToBuffer(zip: yazl.ZipFile): Promise<Buffer> {
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}
