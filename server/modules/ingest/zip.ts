// Reading an uploaded zip safely: its central directory is read first, so the size of every
// entry is known before a byte is inflated. A package is refused when an entry's path could
// escape the work folder, when it is encrypted, or when it inflates suspiciously (per-entry
// ratio) or too much in total (a zip bomb). yauzl checks while inflating that every entry
// produces exactly its declared size, so the declared sizes cannot lie.
import { promisify } from 'node:util';
import { pipeline, Transform, type Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { packageError } from './errors.ts';

export interface ZipLimits {
  /** total uncompressed bytes of all entries */
  maxUncompressedBytes: number;
  /** uncompressed ÷ compressed of any entry larger than 1 MiB */
  maxCompressionRatio: number;
  /** number of entries */
  maxEntries: number;
}

export interface ZipEntryInfo {
  /** normalised path inside the zip, '/'-separated */
  path: string;
  uncompressedSize: number;
  compressedSize: number;
  entry: yauzl.Entry;
}

export interface OpenedZip {
  entries: ZipEntryInfo[];
  open(entry: ZipEntryInfo): Promise<Readable>;
  close(): void;
}

const openZipFile = promisify<string, yauzl.Options, yauzl.ZipFile>(yauzl.open);

const UTF8_NAME_FLAG = 0x800;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const gbk = new TextDecoder('gbk', { fatal: true });

/** Zip tools on Chinese Windows write names in GBK without the UTF-8 flag. */
function decodeEntryName(raw: Buffer, flags: number): string {
  if (flags & UTF8_NAME_FLAG) return raw.toString('utf8');
  try {
    return utf8.decode(raw);
  } catch {
    try {
      return gbk.decode(raw);
    } catch {
      return raw.toString('latin1');
    }
  }
}

/** A path that stays inside the folder it is extracted to, or the reason it does not. */
function unsafePathReason(name: string): { zh: string; en: string } | null {
  if (name.includes('\0')) return { zh: '含空字符', en: 'NUL character' };
  const slashed = name.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[a-zA-Z]:/.test(slashed)) return { zh: '绝对路径', en: 'absolute path' };
  if (slashed.split('/').some((part) => part === '..')) return { zh: '含上级目录 ..', en: 'contains ..' };
  return null;
}

export async function openZip(filePath: string, uploadName: string, limits: ZipLimits): Promise<OpenedZip> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZipFile(filePath, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true });
  } catch (error) {
    throw packageError(
      'PACKAGE_NOT_ZIP',
      '上传的文件不是有效的 zip 压缩包',
      'The upload is not a readable zip archive',
      { file: uploadName },
      { reason: (error as Error).message },
    );
  }
  const entries: ZipEntryInfo[] = [];
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        try {
          const name = decodeEntryName(entry.fileName as unknown as Buffer, entry.generalPurposeBitFlag);
          const reason = unsafePathReason(name);
          if (reason) {
            throw packageError(
              'PACKAGE_UNSAFE_PATH',
              `压缩包内路径不安全（${reason.zh}），拒绝解压：${name}`,
              `Unsafe path inside the zip (${reason.en}), refused: ${name}`,
              { file: name },
            );
          }
          if (entries.length >= limits.maxEntries) {
            throw packageError('PACKAGE_TOO_MANY_FILES', `压缩包内文件超过 ${limits.maxEntries} 个`, `The zip holds more than ${limits.maxEntries} files`, { file: uploadName });
          }
          const path = name.replace(/\\/g, '/');
          if (!path.endsWith('/')) {
            if (entry.isEncrypted()) {
              throw packageError('PACKAGE_ENCRYPTED', '压缩包内文件已加密，无法读取', 'A file in the zip is encrypted', { file: path });
            }
            total += entry.uncompressedSize;
            const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
            if (entry.uncompressedSize > 1 << 20 && ratio > limits.maxCompressionRatio) {
              throw packageError(
                'PACKAGE_ZIP_BOMB',
                `压缩比异常（${Math.round(ratio)}:1，上限 ${limits.maxCompressionRatio}:1），疑似压缩炸弹`,
                `Suspicious compression ratio (${Math.round(ratio)}:1, limit ${limits.maxCompressionRatio}:1): possible zip bomb`,
                { file: path },
                { ratio: Math.round(ratio), limit: limits.maxCompressionRatio },
              );
            }
            if (total > limits.maxUncompressedBytes) {
              throw packageError(
                'PACKAGE_ZIP_BOMB',
                `解压后总大小超过上限 ${formatBytes(limits.maxUncompressedBytes)}，疑似压缩炸弹`,
                `Uncompressed size exceeds the limit of ${formatBytes(limits.maxUncompressedBytes)}: possible zip bomb`,
                { file: path },
                { limitBytes: limits.maxUncompressedBytes },
              );
            }
            entries.push({ path, uncompressedSize: entry.uncompressedSize, compressedSize: entry.compressedSize, entry });
          }
          zip.readEntry();
        } catch (error) {
          reject(error);
        }
      });
      zip.readEntry();
    });
  } catch (error) {
    zip.close();
    if ((error as { code?: string }).code?.startsWith('PACKAGE_')) throw error;
    throw packageError('PACKAGE_NOT_ZIP', 'zip 压缩包已损坏，无法读取目录', 'The zip archive is damaged: its directory cannot be read', { file: uploadName }, {
      reason: (error as Error).message,
    });
  }
  const openReadStream = promisify<yauzl.Entry, yauzl.ZipFileOptions, Readable>(zip.openReadStream.bind(zip));
  return {
    entries,
    async open(info) {
      try {
        if (info.entry.compressionMethod !== 8) return await openReadStream(info.entry, {});
        // Deflated entries are inflated here rather than by yauzl, in large chunks: inflating runs
        // on libuv's thread pool and keeps ahead of the reader instead of trickling 16 KiB at a time.
        return exactSize(pipeline(await openReadStream(info.entry, { decompress: false }), createInflateRaw({ chunkSize: 256 * 1024 }), () => undefined), info);
      } catch (error) {
        throw packageError('PACKAGE_ENTRY_UNREADABLE', '压缩包内文件无法读取', 'A file in the zip cannot be read', { file: info.path }, { reason: (error as Error).message });
      }
    },
    close: () => zip.close(),
  };
}

/** Fails the stream when it yields more or fewer bytes than the entry declares (zip bombs lie). */
function exactSize(inflated: Readable, info: ZipEntryInfo): Readable {
  let total = 0;
  const declared = info.uncompressedSize;
  const sizeError = () =>
    packageError('PACKAGE_ZIP_BOMB', '压缩包内文件的实际大小与声明不符', 'A file in the zip inflates to a size other than it declares', { file: info.path }, { declared, actual: total });
  const checked = new Transform({
    readableHighWaterMark: 1 << 20,
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      callback(total > declared ? sizeError() : null, chunk);
    },
    flush(callback) {
      callback(total !== declared ? sizeError() : null);
    },
  });
  inflated.on('error', (error) => checked.destroy(error));
  return inflated.pipe(checked);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} B`;
}
