// What may not appear in the Chinese text of a message: English words and machine timestamps.
// Codes, identifiers, numbers, units and proper names may (EPSG:4490, BSM, DLTB, districtCode,
// x-csrf-token, /api/users, m², GeoJSON, Gauss-Kruger, and whatever is set in `backticks`).

/** Latin words allowed in Chinese text although they look like plain words: names and units. */
const ALLOWED_WORDS = new Set([
  // proper names and formats
  'Gauss', 'Kruger', 'Shapefile', 'GeoPackage', 'GeoJSON', 'Excel', 'Web', 'Mercator', 'PostGIS', 'PostgreSQL', 'Swagger',
  'multipart', 'form', 'data', // multipart/form-data, a media type
  'zip', 'shp', 'shx', 'dbf', 'prj', 'cpg', 'gpkg', 'geojson', 'csv', 'xlsx', 'json', 'mvt', // file extensions
  // units
  'mm', 'cm', 'km', 'ha', 'mu', 'ms', 'kB', 'MB', 'GB', 'GiB', 'MiB', 'KiB',
]);

/** ISO 8601 date-times as machines write them (2026-12-04T13:12:11.561Z). */
const ISO_TIMESTAMP = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/**
 * The problems of a Chinese message: each English word (a token of lower-case letters, perhaps
 * capitalised, that is no identifier, code, path or allowed name) and each ISO timestamp.
 */
export function messageLeaks(zh: string): string[] {
  const found: string[] = [];
  // `…` sets the API's own names and values (parameter names, allowed values): code, not words.
  zh = zh.replace(/`[^`\n]*`/g, ' ');
  // “…” quotes what users entered (a survey's name, a file's name): their data, in their words.
  zh = zh.replace(/“[^”\n]*”/g, ' ');
  const timestamp = ISO_TIMESTAMP.exec(zh);
  if (timestamp) found.push(`ISO timestamp ${timestamp[0]}`);
  // Tokens are runs of the characters identifiers, paths, codes and numbers are made of.
  for (const token of zh.match(/[A-Za-z0-9_.\/:\-{}$'"=<>+²]+/g) ?? []) {
    // Paths, media types and dotted or hyphenated identifiers are names, not words.
    if (/[\/_{}$=:<>]/.test(token) && !/^[A-Za-z]+:$/.test(token)) continue;
    if (/^[a-z0-9]+(-[a-z0-9]+)+$/.test(token)) continue; // header and parameter names: x-csrf-token
    for (const part of token.split(/[.\-'"+]/)) {
      if (!/^[A-Z]?[a-z]{2,}$/.test(part)) continue; // codes (EPSG, BSM), camelCase, numbers, single letters
      if (ALLOWED_WORDS.has(part)) continue;
      found.push(`English word "${part}"`);
    }
  }
  return found;
}
