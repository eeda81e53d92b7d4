import iconv from 'iconv-lite';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createFieldDecoder,
  detectEncoding,
  encodingFromCpg,
  encodingFromLdid,
  normaliseEncodingLabel,
} from '../../server/modules/ingest/encoding.ts';
import { refusal } from '../support/ingest.ts';

const gbk = (text: string) => iconv.encode(text, 'gbk');
const utf8 = (text: string) => Buffer.from(text, 'utf8');


/** A fixed-width DBF field: the bytes padded to width with the given filler. */
function field(bytes: Uint8Array, width: number, filler = 0x20): Buffer {
  const out = Buffer.alloc(width, filler);
  out.set(bytes.subarray(0, width));
  return out;
}

// Names as they appear in Shanghai third-survey layers: districts, towns, land classes.
const NAMES = ['崇明区', '浦东新区', '黄浦区', '朱家角镇', '水田', '旱地', '城镇住宅用地', '农村宅基地', '坑塘水面', '乔木林地', '沿海滩涂', '交通服务场站用地'];
// Short GBK strings whose bytes are valid UTF-8 too (水 = CB AE, 农业 = C5 A9 D2 B5 …)
const AMBIGUOUS = ['水', '农业', '庄园', '山', '沙'];

describe('encodingFromCpg', () => {
  it.each([
    ['936', 'gbk'], ['CP936', 'gbk'], ['cp936', 'gbk'], ['GBK', 'gbk'], ['GB2312', 'gbk'], ['ANSI 936', 'gbk'],
    ['GB18030', 'gb18030'], ['54936', 'gb18030'],
    ['UTF-8', 'utf-8'], ['UTF8', 'utf-8'], ['utf-8', 'utf-8'], ['65001', 'utf-8'],
    ['1252', 'windows-1252'], ['ANSI 1252', 'windows-1252'], ['ISO-8859-1', 'windows-1252'], ['88591', 'windows-1252'], ['ISO 88591', 'windows-1252'], ['LATIN1', 'windows-1252'],
    ['BIG5', 'big5'], ['950', 'big5'], ['Big5-HKSCS', 'big5'],
    ['\uFEFFUTF-8\r\n', 'utf-8'], ['  gbk  \n', 'gbk'], ['ASCII', 'utf-8'],
  ])('%j → %s', (label, encoding) => {
    expect(encodingFromCpg(label)).toBe(encoding);
  });

  it.each(['', 'OEM', 'klingon', 'UTF-16', '437'])('is null for %j', (label) => {
    expect(encodingFromCpg(label)).toBeNull();
  });
});

describe('normaliseEncodingLabel', () => {
  it.each([['gbk', 'gbk'], ['GB2312', 'gbk'], ['cp936', 'gbk'], ['utf8', 'utf-8'], ['UTF-8', 'utf-8'], ['gb18030', 'gb18030'], ['big5', 'big5'], ['latin1', 'windows-1252'], ['windows-1252', 'windows-1252']])(
    '%s → %s',
    (label, encoding) => expect(normaliseEncodingLabel(label)).toBe(encoding),
  );

  it('refuses an unknown label with 400 ENCODING_UNKNOWN', () => {
    const error = refusal(() => normaliseEncodingLabel('shift_jis'));
    expect(error).toMatchObject({ statusCode: 400, code: 'ENCODING_UNKNOWN' });
    expect(error.zh).toContain('shift_jis');
  });
});

describe('encodingFromLdid', () => {
  it.each([[0x4d, 'gbk'], [0x7a, 'gbk'], [0x4f, 'big5'], [0x78, 'big5'], [0x03, 'windows-1252']] as const)('LDID %i → %s', (byte, encoding) => {
    expect(encodingFromLdid(byte)).toBe(encoding);
  });

  it.each([0x00, 0x57, 0x01, 0x02, 0x13, 0x4e, 0xc9, 0xff])('cannot tell from LDID %i', (byte) => {
    expect(encodingFromLdid(byte)).toBeNull();
  });
});

describe('detectEncoding', () => {
  it('calls pure ASCII UTF-8 without being certain', () => {
    expect(detectEncoding(utf8('DLBM 0101 Shanghai'))).toEqual({ encoding: 'utf-8', certain: false });
    expect(detectEncoding(new Uint8Array())).toEqual({ encoding: 'utf-8', certain: false });
  });

  it.each([...NAMES, ...AMBIGUOUS, '田', '区'])('is certain of UTF-8 %s', (name) => {
    expect(detectEncoding(utf8(name))).toEqual({ encoding: 'utf-8', certain: true });
  });

  it.each(NAMES)('is certain of GBK %s', (name) => {
    expect(detectEncoding(gbk(name))).toEqual({ encoding: 'gbk', certain: true });
  });

  it.each(AMBIGUOUS)('prefers GBK for %s, whose GBK bytes are also valid UTF-8', (name) => {
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(gbk(name))).not.toThrow();
    expect(detectEncoding(gbk(name))).toEqual({ encoding: 'gbk', certain: false });
  });

  it('reads mixed ASCII and Chinese either way', () => {
    const text = '0101 水田 310151 崇明区 ZJ-农业 3';
    expect(detectEncoding(utf8(text))).toEqual({ encoding: 'utf-8', certain: true });
    expect(detectEncoding(gbk(text))).toEqual({ encoding: 'gbk', certain: true });
    expect(detectEncoding(gbk('A农业 12 '))).toEqual({ encoding: 'gbk', certain: false });
  });

  it('joins a sample of many fields the way the reader does', () => {
    const sample = Buffer.concat(NAMES.flatMap((name) => [field(gbk(name), 30), Buffer.from(' ')]));
    expect(detectEncoding(sample)).toEqual({ encoding: 'gbk', certain: true });
    const ambiguous = Buffer.concat(AMBIGUOUS.flatMap((name) => [field(gbk(name), 10), Buffer.from(' ')]));
    expect(detectEncoding(ambiguous).encoding).toBe('gbk');
  });

  it('keeps UTF-8 for non-Chinese text that GBK cannot read', () => {
    // Ω… is CE A9 E2 80 A6: the last byte is a GBK lead without its trail
    expect(detectEncoding(utf8('Ω…'))).toEqual({ encoding: 'utf-8', certain: true });
  });

  it('leans to GBK when two-byte UTF-8 Latin text also reads as Chinese GBK (the bias this data wants)', () => {
    expect(detectEncoding(utf8('Café'))).toEqual({ encoding: 'gbk', certain: false });
  });

  it('tells GB18030 four-byte characters, which Node\'s GBK decoder refuses', () => {
    const bytes = iconv.encode('㐀村 朱家角镇', 'gb18030');
    expect(() => new TextDecoder('gbk', { fatal: true }).decode(bytes)).toThrow();
    expect(detectEncoding(bytes)).toEqual({ encoding: 'gb18030', certain: true });
  });

  it('refuses bytes that are none of them', () => {
    const error = refusal(() => detectEncoding(new Uint8Array([0x41, 0xff, 0xfe, 0x80, 0x20])));
    expect(error).toMatchObject({ statusCode: 422, code: 'ENCODING_UNDETERMINED' });
    expect(error.zh).toContain('.cpg');
  });
});

describe('createFieldDecoder', () => {
  afterEach(() => vi.restoreAllMocks());

  it('trims trailing blanks, NUL padding and leading blanks', () => {
    const decode = createFieldDecoder('utf-8');
    expect(decode(field(utf8('  0101  '), 12), 0, 12)).toBe('0101');
    expect(decode(field(utf8('0101'), 12, 0), 0, 12)).toBe('0101');
    expect(decode(Buffer.from('DLMC \0\0  '), 0, 10)).toBe('DLMC');
    expect(decode(field(utf8(''), 8), 0, 8)).toBe('');
    expect(decode(field(utf8(''), 8, 0), 0, 8)).toBe('');
    expect(decode(Buffer.alloc(0), 0, 0)).toBe('');
  });

  it('stops at a NUL, since what follows is leftover buffer', () => {
    expect(createFieldDecoder('gbk')(Buffer.concat([gbk('水田'), Buffer.from([0, 0xff, 0x41])]), 0, 7)).toBe('水田');
  });

  it.each(['gbk', 'utf-8'] as const)('decodes %s fields inside a record buffer', (encoding) => {
    const encode = encoding === 'gbk' ? gbk : utf8;
    const record = Buffer.concat([Buffer.from(' '), field(encode('城镇住宅用地'), 40), field(encode('崇明区'), 20), field(utf8('0701'), 4)]);
    // a view into a larger buffer, as the DBF reader hands records over, and a plain Uint8Array
    const host = Buffer.concat([Buffer.from('xx'), record]).subarray(2);
    const decode = createFieldDecoder(encoding);
    for (const bytes of [host, new Uint8Array(host.buffer, host.byteOffset, host.length)]) {
      expect(decode(bytes, 1, 41)).toBe('城镇住宅用地');
      expect(decode(bytes, 41, 61)).toBe('崇明区');
      expect(decode(bytes, 61, 65)).toBe('0701');
    }
  });

  it('decodes Big5, windows-1252 and GB18030', () => {
    expect(createFieldDecoder('big5')(field(iconv.encode('臺北市', 'big5'), 10), 0, 10)).toBe('臺北市');
    expect(createFieldDecoder('windows-1252')(field(iconv.encode('Café Müller', 'win1252'), 16), 0, 16)).toBe('Café Müller');
    expect(createFieldDecoder('gb18030')(field(iconv.encode('㐀村', 'gb18030'), 10), 0, 10)).toBe('㐀村');
  });

  it('refuses Big5 bytes that Node\'s decoder can only turn into private-use or control characters', () => {
    const decode = createFieldDecoder('big5');
    for (const bytes of [[0xa4, 0xa4, 0xff], [0x88, 0x40], [0xa4, 0xa4, 0x80]]) {
      expect(refusal(() => decode(Buffer.from(bytes), 0, bytes.length)).code).toBe('TEXT_UNDECODABLE');
    }
  });

  it('decodes GBK with the GB18030 decoder, so no private-use stand-ins and no 0xFF', () => {
    // 䶮 is FE 9F; Node's own 'gbk' (code page 936) would give U+E863
    const name = Buffer.from('c1f5fe9f', 'hex');
    expect(new TextDecoder('gbk').decode(name)).toBe('刘\ue863');
    expect(createFieldDecoder('gbk')(field(name, 10), 0, 10)).toBe('刘䶮');
    expect(refusal(() => createFieldDecoder('gbk')(Buffer.from([0xcb, 0xae, 0xff]), 0, 3)).code).toBe('TEXT_UNDECODABLE');
  });

  it('decodes ASCII without TextDecoder and repeated values once', () => {
    const spy = vi.spyOn(TextDecoder.prototype, 'decode');
    const decode = createFieldDecoder('gbk');
    const ascii = field(utf8('0101'), 10);
    const paddy = field(gbk('水田'), 20);
    for (let i = 0; i < 1000; i++) {
      expect(decode(ascii, 0, 10)).toBe('0101');
      expect(decode(paddy, 0, 20)).toBe('水田');
    }
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('bounds the cache by clearing it when full', () => {
    const spy = vi.spyOn(TextDecoder.prototype, 'decode');
    const decode = createFieldDecoder('gbk');
    const value = (i: number) => Buffer.concat([Buffer.from(String(i)), gbk('村')]);
    for (let i = 0; i < 100_000; i++) decode(value(i), 0, value(i).length);
    expect(spy).toHaveBeenCalledTimes(100_000);
    decode(value(0), 0, value(0).length);
    expect(spy).toHaveBeenCalledTimes(100_000); // still cached: the map is full but not over
    decode(value(100_000), 0, value(100_000).length); // clears, then caches this one
    decode(value(1), 0, value(1).length);
    expect(spy).toHaveBeenCalledTimes(100_002);
  });

  it('refuses bytes that are not valid in the encoding, with the location', () => {
    const location = { file: 'DLTB.dbf', layer: 'DLTB', record: 3, field: 'QSDWMC' };
    const error = refusal(() => createFieldDecoder('utf-8')(field(gbk('城镇住宅用地'), 20), 0, 20, location));
    expect(error).toMatchObject({ statusCode: 422, code: 'TEXT_UNDECODABLE' });
    expect(error.details).toMatchObject({ ...location, encoding: 'utf-8', bytes: gbk('城镇住宅用地').toString('hex') });
    expect(error.zh).toContain('第 3 条记录');
    expect(error.en).toContain('field QSDWMC');
  });

  it('refuses a GBK value cut in the middle of a character by the field width', () => {
    const cut = gbk('城镇住宅用地').subarray(0, 11);
    const error = refusal(() => createFieldDecoder('gbk')(cut, 0, 11));
    expect(error.code).toBe('TEXT_UNDECODABLE');
    expect(error.details).toMatchObject({ bytes: cut.toString('hex') });
  });
});
