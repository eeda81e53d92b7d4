// The content-addressed archive of uploads (art. 27: results are kept as delivered). A file is
// streamed to a temporary name while its SHA-256 is computed, then renamed to
// <archiveDir>/<first two hex digits>/<sha256>: a rename within one file system is atomic, so a
// path in the archive always holds a complete file, and the same content is stored once.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IngestError } from './errors.ts';
import { formatBytes } from './zip.ts';

export interface ArchivedFile {
  sha256: string;
  sizeBytes: number;
  /** absolute path of the archived copy */
  path: string;
  /** path relative to the archive folder, as recorded with the submission */
  relativePath: string;
}

export function uploadTooLarge(limit: number, fileName: string): IngestError {
  return new IngestError(
    413,
    'UPLOAD_TOO_LARGE',
    `上传文件超过大小上限 ${formatBytes(limit)}`,
    `The upload exceeds the size limit of ${formatBytes(limit)}`,
    { file: fileName },
    { limitBytes: limit },
  );
}

/** Streams `source` into the archive; on any failure (including the size limit) nothing is left behind. */
export async function archiveStream(source: Readable, options: { archiveDir: string; maxBytes: number; fileName: string }): Promise<ArchivedFile> {
  const incoming = path.join(options.archiveDir, 'incoming');
  fs.mkdirSync(incoming, { recursive: true });
  const temporary = path.join(incoming, `${randomUUID()}.part`);
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > options.maxBytes) {
        callback(uploadTooLarge(options.maxBytes, options.fileName));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, fs.createWriteStream(temporary, { flags: 'wx' }));
    // @fastify/multipart truncates instead of failing when its own limit is hit.
    if ((source as Readable & { truncated?: boolean }).truncated) throw uploadTooLarge(options.maxBytes, options.fileName);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    if (error instanceof IngestError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new IngestError(507, 'ARCHIVE_DISK_FULL', '服务器存储空间不足，上传未保存', 'The server is out of disk space: the upload was not kept', { file: options.fileName });
    }
    throw error;
  }
  const sha256 = hash.digest('hex');
  const relativePath = path.join(sha256.slice(0, 2), sha256);
  const finalPath = path.join(options.archiveDir, relativePath);
  fs.mkdirSync(path.dirname(finalPath), { recursive: true });
  if (fs.existsSync(finalPath)) fs.rmSync(temporary);
  else {
    fs.renameSync(temporary, finalPath);
    fs.chmodSync(finalPath, 0o444);
  }
  return { sha256, sizeBytes: size, path: finalPath, relativePath };
}
