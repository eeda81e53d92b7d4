// Text encodings of DBF attributes. Shapefiles from Chinese desktop GIS are usually GBK, newer
// ones UTF-8, and the file rarely says which: a .cpg may name it, the DBF header's language
// driver byte sometimes does, otherwise the bytes themselves have to tell. Whatever is chosen,
// decoding is strict: text that is not valid in the encoding is refused, never stored garbled.
import { IngestError, packageError, type IngestLocation } from './errors.ts';

/** WHATWG labels that Node's TextDecoder (full ICU) accepts. */
export type TextEncodingName = 'utf-8' | 'gbk' | 'gb18030' | 'big5' | 'windows-1252';

// Keys are lower-case labels with spaces, hyphens and underscores removed, so "ANSI 936",
// "cp_936", "UTF-8" and "utf8" all meet the same entry.
const LABELS: Record<string, TextEncodingName> = {};
const register = (encoding: TextEncodingName, labels: string[]) => labels.forEach((label) => (LABELS[label] = encoding));
register('gbk', ['gbk', '936', 'cp936', 'ansi936', 'windows936', 'ms936', 'xgbk', 'gb2312', 'gb231280', 'csgb2312', 'euccn', 'chinese', 'isoir58']);
register('gb18030', ['gb18030', '54936', 'cp54936', 'windows54936']);
// ASCII is a subset of UTF-8; decoding it strictly as UTF-8 refuses stray high bytes instead of
// guessing at them.
register('utf-8', ['utf8', '65001', 'cp65001', 'unicode11utf8', 'ascii', 'usascii', '20127']);
register('big5', ['big5', '950', 'cp950', 'ansi950', 'windows950', 'ms950', 'big5hkscs', 'csbig5', 'cnbig5', 'xxbig5']);
// WHATWG decodes ISO-8859-1 as windows-1252, which only differs in the C1 control range.
register('windows-1252', ['1252', 'cp1252', 'ansi1252', 'windows1252', 'iso88591', '88591', 'latin1', 'l1', 'cp819', 'ibm819', 'isoir100']);

function labelKey(label: string): string {
  return label.replace(/^\uFEFF/, '').trim().toLowerCase().replace(/[\s_-]+/g, '');
}

/** The encoding a .cpg names, or null for a label this module does not know (the caller warns). */
export function encodingFromCpg(content: string): TextEncodingName | null {
  // a .cpg holds one label; take the first line in case an editor added more
  const firstLine = content.replace(/^\uFEFF/, '').trim().split(/\r?\n/)[0] ?? '';
  return LABELS[labelKey(firstLine)] ?? null;
}

/** An encoding a user names explicitly (gbk, GB2312, utf8, cp936 …). */
export function normaliseEncodingLabel(label: string): TextEncodingName {
  const encoding = LABELS[labelKey(label)];
  if (encoding) return encoding;
  throw new IngestError(
    400,
    'ENCODING_UNKNOWN',
    `无法识别的字符编码"${label}"，可用：utf-8、gbk、gb18030、big5、windows-1252`,
    `Unknown text encoding "${label}"; use utf-8, gbk, gb18030, big5 or windows-1252`,
    {},
    { encoding: label },
  );
}

/**
 * DBF header byte 29, the language driver id. Sources: the dBase/FoxPro table in Free Pascal's
 * TDbf (dbf_lang.pas, LangId_To_CodePage) and ESRI's ArcPad code page list, which agree on:
 *   0x4D → 936 (dBase, Chinese PRC)       0x7A → 936 (FoxPro, Chinese PRC)
 *   0x4F → 950 (dBase, Chinese Taiwan)    0x78 → 950 (FoxPro, Chinese Taiwan/Hong Kong)
 *   0x03 → 1252 (Windows ANSI)
 * Deliberately null:
 *   0x00 → no driver recorded.
 *   0x57 → "ANSI": ESRI software writes it to mean the writer's system code page, which on a
 *          Chinese Windows is 936, though dBase tables list it as 1252.
 *   the DOS code pages (437, 850 …) and other scripts: no WHATWG decoder here, or not wanted.
 * A wrong 1252 guess would decode GBK bytes into Latin letters without any error, so only the
 * unambiguous id maps to it; everything else falls through to detection.
 */
const LDID: ReadonlyMap<number, TextEncodingName> = new Map([
  [0x4d, 'gbk'],
  [0x7a, 'gbk'],
  [0x4f, 'big5'],
  [0x78, 'big5'],
  [0x03, 'windows-1252'],
]);

export function encodingFromLdid(byte: number): TextEncodingName | null {
  return LDID.get(byte) ?? null;
}

// Node's ICU 'gbk' converter is Windows code page 936: it turns 0xFF and a few dozen codes into
// private-use characters (FE9F → U+E863 instead of 䶮) and refuses GB18030's four-byte
// sequences. WHATWG decodes the gbk label with the GB18030 decoder, a superset that yields the
// real characters and refuses 0xFF, so GBK is decoded with it here as well.
const DECODER_LABEL: Record<TextEncodingName, string> = {
  'utf-8': 'utf-8',
  gbk: 'gb18030',
  gb18030: 'gb18030',
  big5: 'big5',
  'windows-1252': 'windows-1252',
};

// CJK ideographs, radicals, CJK punctuation, compatibility ideographs, vertical and fullwidth forms
const CJK = /[\u2E80-\u9FFF\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF]/;
const NON_CJK_NON_ASCII = /[^\u0000-\u007F\u2E80-\u9FFF\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF]/;

function tryDecode(encoding: string, bytes: Uint8Array): string | null {
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * The encoding of a sample of text-field bytes. certain is false when the bytes fit more than
 * one candidate (pure ASCII, or short GBK that happens to be valid UTF-8 too).
 */
export function detectEncoding(sample: Uint8Array, at: IngestLocation = {}): { encoding: TextEncodingName; certain: boolean } {
  if (sample.every((byte) => byte < 0x80)) return { encoding: 'utf-8', certain: false };

  const asUtf8 = tryDecode('utf-8', sample);
  const asGbk = tryDecode(DECODER_LABEL.gbk, sample);
  if (asUtf8 !== null) {
    // Every Chinese character is three bytes in UTF-8; GBK bytes rarely line up into those.
    if (CJK.test(asUtf8)) return { encoding: 'utf-8', certain: true };
    // Only two-byte sequences (Latin, Greek, Cyrillic, Hebrew …): GBK pairs such as 农业 (C5A9
    // D2B5) look exactly like that, so Chinese text decoded as GBK wins.
    const gbkLooksChinese = asGbk !== null && CJK.test(asGbk) && !NON_CJK_NON_ASCII.test(asGbk);
    if (gbkLooksChinese) return { encoding: 'gbk', certain: false };
    return { encoding: 'utf-8', certain: true };
  }
  if (asGbk !== null) return { encoding: hasFourByteSequence(sample) ? 'gb18030' : 'gbk', certain: true };
  throw packageError(
    'ENCODING_UNDETERMINED',
    '无法判断属性文本的字符编码（既不是 UTF-8 也不是 GBK/GB18030），请附上 .cpg 文件或在提交时指定编码',
    'The text encoding of the attributes cannot be told (neither UTF-8 nor GBK/GB18030); add a .cpg file or name the encoding when submitting',
    at,
  );
}

/** Whether bytes already known to be valid GB18030 use its four-byte form, which GBK lacks. */
function hasFourByteSequence(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; ) {
    const byte = bytes[i]!;
    if (byte < 0x81 || byte === 0xff) i++;
    else if ((bytes[i + 1] ?? 0) >= 0x30 && (bytes[i + 1] ?? 0) <= 0x39) return true;
    else i += 2;
  }
  return false;
}

// Node's 'big5' is code page 950 as well, not WHATWG's Big5-HKSCS: bytes it cannot place (0xFF,
// HKSCS codes, the 950 user-defined rows) come out as private-use or C1 control characters
// instead of errors, so those count as undecodable.
const UNPLACED: Partial<Record<TextEncodingName, RegExp>> = { big5: /[\u0080-\u009F\uE000-\uF8FF]/ };

export type FieldDecoder = (bytes: Uint8Array, start: number, end: number, at?: IngestLocation) => string;

const CACHE_LIMIT = 100_000;

/**
 * A decoder for fixed-width DBF text fields in one encoding. DBF text repeats heavily (class
 * names, village names), so non-ASCII values are decoded once and then served from a cache.
 */
/** Bytes as latin1 text, one character per byte (for ASCII values and as cache keys). */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // latin1Slice is Buffer's undocumented fast path behind toString('latin1'), without its argument checks.
  return (buffer as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, Math.min(end, buffer.length));
}

export function createFieldDecoder(encoding: TextEncodingName): FieldDecoder {
  const decoder = new TextDecoder(DECODER_LABEL[encoding], { fatal: true });
  const unplaced = UNPLACED[encoding];
  const cache = new Map<string, string>();

  return (bytes, start, end, at) => {
    // Byte loops over the typed array: a million records of 30 padded fields pass through here,
    // and building a string per field before trimming it cost more than everything else.
    if (end > bytes.length) end = bytes.length;
    let stop = end;
    while (stop > start && (bytes[stop - 1] === 0x20 || bytes[stop - 1] === 0)) stop--;
    let first = start;
    while (first < stop && bytes[first] === 0x20) first++;
    let ascii = true;
    for (let i = first; i < stop; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) ascii = false;
      else if (byte === 0) {
        // A NUL ends the value: writers pad with it, bytes after it are left over from their
        // buffers, and PostgreSQL text cannot hold it anyway.
        stop = i;
        while (stop > first && bytes[stop - 1] === 0x20) stop--;
        break;
      }
    }
    if (first >= stop) return '';
    const raw = latin1(bytes, first, stop);
    if (ascii) return raw;
    const cached = cache.get(raw);
    if (cached !== undefined) return cached;
    let text: string | null;
    try {
      text = decoder.decode(bytes.subarray(first, stop));
    } catch {
      text = null;
    }
    if (text === null || unplaced?.test(text)) {
      const hex = Buffer.from(raw, 'latin1').toString('hex');
      throw packageError(
        'TEXT_UNDECODABLE',
        `文本不是有效的 ${encoding} 编码（字节 ${hex}），可能编码声明有误或字段宽度截断了汉字；请检查 .cpg 或在提交时指定编码`,
        `The text is not valid ${encoding} (bytes ${hex}); the declared encoding may be wrong or the field width may cut a character; check the .cpg or name the encoding when submitting`,
        at ?? {},
        { encoding, bytes: hex },
      );
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(raw, text);
    return text;
  };
}
