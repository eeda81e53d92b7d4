// Every way a package can be refused has a stable code, a message in Chinese and English, and
// the place in the package where it can be told (file, layer, record number, field).
import { AppError } from '../../errors.ts';

export interface IngestLocation {
  /** path of the file inside the package (or the upload's own name) */
  file?: string;
  /** layer name, e.g. DLTB */
  layer?: string;
  /** 1-based record (feature) number within the layer */
  record?: number;
  /** attribute field name as written in the file */
  field?: string;
}

export class IngestError extends AppError {
  constructor(
    statusCode: number,
    code: string,
    /** the message without its location, to re-locate the error */
    readonly bareZh: string,
    readonly bareEn: string,
    readonly location: IngestLocation = {},
    readonly extra: Record<string, unknown> = {},
  ) {
    super(statusCode, code, withPlace(bareZh, location, 'zh'), withPlace(bareEn, location, 'en'), { ...location, ...extra });
    this.name = 'IngestError';
  }

  /** The same error placed more precisely (a reader knows the record, its caller the file). */
  at(location: IngestLocation): IngestError {
    return new IngestError(this.statusCode, this.code, this.bareZh, this.bareEn, { ...location, ...this.location }, this.extra);
  }
}

function withPlace(message: string, at: IngestLocation, language: 'zh' | 'en'): string {
  const parts: string[] = [];
  if (language === 'zh') {
    if (at.file) parts.push(`文件 ${at.file}`);
    if (at.layer && !at.file?.includes(at.layer)) parts.push(`图层 ${at.layer}`);
    if (at.record !== undefined) parts.push(`第 ${at.record} 条记录`);
    if (at.field) parts.push(`字段 ${at.field}`);
    return parts.length ? `${message}（${parts.join('，')}）` : message;
  }
  if (at.file) parts.push(`file ${at.file}`);
  if (at.layer && !at.file?.includes(at.layer)) parts.push(`layer ${at.layer}`);
  if (at.record !== undefined) parts.push(`record ${at.record}`);
  if (at.field) parts.push(`field ${at.field}`);
  return parts.length ? `${message} (${parts.join(', ')})` : message;
}

/** A malformed or unacceptable package: 422 unless stated otherwise. */
export function packageError(code: string, zh: string, en: string, at: IngestLocation = {}, extra: Record<string, unknown> = {}): IngestError {
  return new IngestError(422, code, zh, en, at, extra);
}
