// Dates as people here write them, whatever the browser's locale: a plain text field that shows
// and takes 2021-06-30, and also reads 2021年6月30日, 2021/6/30 and 20210630. (An
// <input type="date"> draws its value in the browser's locale: 06/30/2021 in an English one.)

/** The day a text names, as YYYY-MM-DD; null when it names no real day. */
export function parseDay(text: string): string | null {
  const value = text.trim();
  const match =
    /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(value) ??
    /^(\d{4})年(\d{1,2})月(\d{1,2})日?$/.exec(value) ??
    /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  // Date rolls 2021-02-30 over into March: a real day comes back as itself.
  if (year < 1 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** 2021-06-30 as 2021年6月30日. */
export function chineseDay(iso: string): string {
  const [year, month, day] = iso.split('-').map(Number);
  return `${year}年${month}月${day}日`;
}
