// Parameter schemas shared by the routes, each with its bounds: a value outside them is a 400 from
// the schema, before any code or SQL sees it.
import { Type } from 'typebox';

/** Years the platform can hold: surveys start in 1980; PostgreSQL dates go far wider. */
export const YEAR_MIN = 1900;
export const YEAR_MAX = 2999;
const YEAR = '(19[0-9]{2}|2[0-9]{3})';
const MONTH_DAY = '(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])';

/** A day (YYYY-MM-DD) or a year (YYYY: its snapshot day, 12月31日). */
export const DayParam = Type.String({
  pattern: `^${YEAR}(-${MONTH_DAY})?$`,
  maxLength: 10,
  description: `YYYY-MM-DD, or YYYY for that year’s snapshot day (12月31日); years ${YEAR_MIN}-${YEAR_MAX}`,
});

/** A calendar date, YYYY-MM-DD. */
export const DateString = Type.String({ format: 'date', pattern: `^${YEAR}-${MONTH_DAY}$`, maxLength: 10 });

export const YearParam = Type.Integer({ minimum: 1980, maximum: 2200 });

/** A district's six-digit code (310151 崇明区). */
export const DistrictCodeParam = Type.String({ pattern: '^[0-9]{6}$', maxLength: 6 });

/** A row id or paging key: a positive bigint JavaScript can hold exactly. */
export const RowIdParam = (description?: string, minimum = 1) =>
  Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER, ...(description ? { description } : {}) });
