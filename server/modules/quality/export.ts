// Quality reports as files (CSV and XLSX, see server/export/spreadsheet.ts).
import { csvOf, xlsxOf } from '../../export/spreadsheet.ts';
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

function findingRows(findings: readonly FindingRow[]): (string | number | null)[][] {
  return [REPORT_COLUMNS.map((column) => column.header), ...findings.map((finding, index) => REPORT_COLUMNS.map((column) => column.value(finding, index)))];
}

export function findingsCsv(findings: readonly FindingRow[]): string {
  return csvOf(findingRows(findings));
}

export interface SummaryLine {
  ruleId: string;
  title: string;
  severity: string;
  findings: number;
}

/** A workbook with the findings (sheet 1) and the per-rule summary (sheet 2). */
export function findingsXlsx(findings: readonly FindingRow[], summary: readonly SummaryLine[]): Promise<Buffer> {
  const summaryRows = [['规则 Rule', '名称 Title', '严重程度 Severity', '问题数 Findings'], ...summary.map((line) => [line.ruleId, line.title, line.severity, line.findings])];
  return xlsxOf([
    { name: 'Findings', rows: findingRows(findings) },
    { name: 'Summary', rows: summaryRows },
  ]);
}
