// The documents and maps of a results package (文字成果, 图件成果, 表格成果, 栅格成果): kept in the
// archived package as delivered and listed in the import report, so a reviewer sees the 验收
// report, the 技术报告 and the maps that came with the parcels (art. 22, 27).
import path from 'node:path';

export const DOCUMENT_CATEGORIES = ['text', 'map', 'table', 'raster', 'other'] as const;
export type DocumentCategory = (typeof DOCUMENT_CATEGORIES)[number];

export const DOCUMENT_CATEGORY_NAMES: Record<DocumentCategory, string> = {
  text: '文字成果',
  map: '图件成果',
  table: '表格成果',
  raster: '栅格成果',
  other: '其他文件',
};

export interface PackageDocument {
  /** the member's path in the zip, the key for downloading it */
  path: string;
  category: DocumentCategory;
  sizeBytes: number;
}

// 三调 delivery folders are named for what they hold; the folder decides before the extension
// (a PDF under 图件成果 is a map, not a report).
const FOLDER_CATEGORIES: [RegExp, DocumentCategory][] = [
  [/文字/, 'text'],
  [/图件|专题图|地图/, 'map'],
  [/表格|统计/, 'table'],
  [/栅格|影像|dom/i, 'raster'],
];

const EXTENSION_CATEGORIES: Record<string, DocumentCategory> = {
  '.pdf': 'text', '.doc': 'text', '.docx': 'text', '.txt': 'text', '.wps': 'text', '.ofd': 'text', '.rtf': 'text', '.md': 'text',
  '.jpg': 'map', '.jpeg': 'map', '.png': 'map', '.bmp': 'map', '.svg': 'map', '.mxd': 'map', '.dwg': 'map', '.dxf': 'map',
  '.xls': 'table', '.xlsx': 'table', '.csv': 'table', '.et': 'table',
  '.tif': 'raster', '.tiff': 'raster', '.img': 'raster', '.tfw': 'raster',
};

export function documentCategory(memberPath: string): DocumentCategory {
  const folders = memberPath.split('/').slice(0, -1);
  for (const folder of folders) {
    for (const [pattern, category] of FOLDER_CATEGORIES) if (pattern.test(folder)) return category;
  }
  return EXTENSION_CATEGORIES[path.posix.extname(memberPath).toLowerCase()] ?? 'other';
}
