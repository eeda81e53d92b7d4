// Files attached to decisions (验收报告, 批准文件): PDF, PNG or JPEG, recognised by their first
// bytes (not their name), archived under their SHA-256 with the uploads (art. 27).
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Queryable } from '../../db/context.ts';
import { AppError } from '../../errors.ts';
import { archiveStream } from '../ingest/archive.ts';

export const ATTACHMENT_MAX_BYTES = 50 * 1024 * 1024;

const SIGNATURES: { mediaType: 'application/pdf' | 'image/png' | 'image/jpeg'; bytes: number[] }[] = [
  { mediaType: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  { mediaType: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { mediaType: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
];

function mediaTypeOf(filePath: string): (typeof SIGNATURES)[number]['mediaType'] | null {
  const head = Buffer.alloc(8);
  const fd = fs.openSync(filePath, 'r');
  try {
    fs.readSync(fd, head, 0, 8, 0);
  } finally {
    fs.closeSync(fd);
  }
  return SIGNATURES.find((signature) => signature.bytes.every((byte, i) => head[i] === byte))?.mediaType ?? null;
}

export interface StoredAttachment {
  id: string;
  sha256: string;
  fileName: string;
  mediaType: string;
  sizeBytes: number;
}

export async function storeAttachment(db: Queryable, archiveDir: string, source: Readable, fileName: string, uploadedBy: string): Promise<StoredAttachment> {
  const archived = await archiveStream(source, { archiveDir, maxBytes: ATTACHMENT_MAX_BYTES, fileName });
  const mediaType = mediaTypeOf(archived.path);
  if (!mediaType) {
    throw new AppError(415, 'ATTACHMENT_TYPE', `附件“${fileName}”不是 PDF、PNG 或 JPEG 文件`, `The attachment ${fileName} is not a PDF, PNG or JPEG file`, { file: fileName });
  }
  const row = await db
    .insertInto('attachments')
    .values({ sha256: archived.sha256, file_name: path.basename(fileName).slice(0, 255), media_type: mediaType, size_bytes: archived.sizeBytes, archive_path: archived.relativePath, uploaded_by: uploadedBy })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, sha256: archived.sha256, fileName, mediaType, sizeBytes: archived.sizeBytes };
}

/** An attachment the caller may read (row-level security decides), with the path of its file. */
export async function findAttachment(db: Queryable, archiveDir: string, id: string) {
  const row = await db.selectFrom('attachments').select(['id', 'file_name', 'media_type', 'size_bytes', 'sha256', 'archive_path']).where('id', '=', id).executeTakeFirst();
  return row ? { ...row, path: path.join(archiveDir, row.archive_path) } : undefined;
}
