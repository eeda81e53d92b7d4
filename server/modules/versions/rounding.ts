// Rounding arithmetic for the published land statistics tables (公顷 / 亩, two decimals).
//
// Everything here is pure: no I/O, no imports. The printed tables must be additive — a total equals
// the sum of its printed parts, and a change-flow (transition) matrix's rows and columns sum exactly
// to the printed totals of the two years — so rounding is done once, in integer "units", by
// apportionment rather than cell by cell.
//
// Units. One unit is 0.01 ha or 0.01 亩, i.e. one printed hundredth:
//   1 ha = 10 000 m²           → units = m² / 100
//   1 亩 = 10 000 / 15 m²      → units = m² × 0.15   (亩 = m² × 0.0015, exactly)
//
// Number representation (the choice the brief asked to document). Unit counts are plain JS numbers,
// not bigint: the whole of Shanghai is ~6.3 × 10⁹ m² ≈ 9.5 × 10⁸ 亩-units (6.3 × 10⁷ ha-units), and
// even 10¹⁰ m² is 1.5 × 10⁹ 亩-units, far inside Number.MAX_SAFE_INTEGER (9.007 × 10¹⁵). Every
// integer this module returns is a safe integer, and it refuses totals that are not.
//
// Real (unrounded) unit values are compared on a fixed grid: each value is first snapped to a
// multiple of `quantum` (default 10⁻⁶ unit, i.e. 10⁻⁸ ha or 0.0000067 m² in 亩) and all floor /
// fractional-part / tie decisions are then made in exact integer (or bigint) arithmetic on the
// snapped value. Inputs summed from 2-decimal m² have fractional parts that are multiples of 10⁻⁴
// (ha) or 1.5 × 10⁻³ (亩) units, so they lie exactly on that grid and floating-point drift (e.g.
// 100.49999999999999 for 100.5) cannot change a floor, a half-up decision or a tie. The cost is a
// range limit: value / quantum must be a safe integer, i.e. real values up to ~9.007 × 10⁹ units
// with the default quantum (9 × 10⁷ ha or 9 × 10⁷ 亩 — about 9 × 10¹¹ m² resp. 6 × 10¹⁰ m²).
// Larger values throw a RangeError rather than round silently wrong.

/** Which printed unit: 公顷 or 亩. */
export type AreaUnit = 'ha' | 'mu';

/** Shared option: the grid on which real unit values are compared (see the header). */
export interface RoundingOptions {
  /** Grid step in units; 1/quantum must be an integer. Default 1e-6. */
  quantum?: number;
}

/** Thrown when the requested rounding or fitting is impossible (inconsistent totals, unreachable targets). */
export class RoundingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoundingError';
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Conversion
// ---------------------------------------------------------------------------------------------

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Square metres → real number of 0.01-units of `unit` (not rounded).
 *
 * The input is read as a decimal (strings as written, numbers by their shortest round-trip decimal
 * form, so 666.67 means 666.67 and not 666.6699999999999590727…). The conversion m² / 100 (ha) or
 * m² × 0.15 (亩) is then exact in decimal — both are terminating decimals — and the result is that
 * exact decimal converted once to the nearest double. Example: toUnits('666.67', 'mu') === 100.0005.
 */
export function toUnits(m2: number | string, unit: AreaUnit): number {
  if (unit !== 'ha' && unit !== 'mu') throw new RangeError(`unknown area unit ${String(unit)}`);
  let text: string;
  if (typeof m2 === 'number') {
    if (!Number.isFinite(m2)) throw new RangeError(`area must be finite, got ${m2}`);
    text = String(m2);
  } else if (typeof m2 === 'string') {
    text = m2.trim();
  } else {
    throw new TypeError(`area must be a number or a decimal string, got ${typeof m2}`);
  }
  const match = DECIMAL.exec(text);
  const intPart = match?.[2] ?? '';
  const fracPart = match?.[3] ?? '';
  if (!match || intPart.length + fracPart.length === 0) {
    throw new RangeError(`not a decimal number: ${JSON.stringify(m2)}`);
  }
  const sign = match[1] === '-' ? '-' : '';
  const exponent = Number(match[4] ?? '0');
  if (!Number.isSafeInteger(exponent)) throw new RangeError(`exponent out of range: ${JSON.stringify(m2)}`);
  // value = digits × 10^(exponent − fracPart.length) m²
  let digits = BigInt(intPart + fracPart || '0');
  if (unit === 'mu') digits *= 15n; // m² × 15 / 100
  const power = exponent - fracPart.length - 2; // ÷ 100 for both units
  // The string below is the exact result; Number() rounds it once (correctly, up to 20 significant
  // digits, which covers any realistic input).
  const result = Number(`${sign}${digits}e${power}`);
  return Object.is(result, -0) ? 0 : result;
}

// ---------------------------------------------------------------------------------------------
// Helpers: the comparison grid
// ---------------------------------------------------------------------------------------------

const DEFAULT_SCALE = 1_000_000;

/** Grid points per unit (1/quantum), validated to be an integer. */
function gridScale(options: RoundingOptions | undefined): number {
  const quantum = options?.quantum;
  if (quantum === undefined) return DEFAULT_SCALE;
  if (!(quantum > 0 && quantum <= 1)) throw new RangeError(`quantum must be in (0, 1], got ${quantum}`);
  const scale = Math.round(1 / quantum);
  if (Math.abs(scale * quantum - 1) > 1e-9) throw new RangeError(`1/quantum must be an integer, got quantum ${quantum}`);
  return scale;
}

/** A non-negative real value as an integer number of grid steps. */
function toGrid(value: number, scale: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${what} must be a finite non-negative number, got ${value}`);
  }
  const steps = Math.round(value * scale);
  if (steps > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`${what} = ${value} units is beyond the supported range (${Number.MAX_SAFE_INTEGER / scale} units)`);
  }
  return steps;
}

function assertCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be a non-negative safe integer, got ${value}`);
  }
}

/** floor(steps / scale) and the remainder, exactly (steps is a safe integer, scale an integer). */
function splitGrid(steps: number, scale: number): [floor: number, remainder: number] {
  const remainder = steps % scale;
  return [(steps - remainder) / scale, remainder];
}

/**
 * Round a non-negative real number of units to the nearest integer, halves up, after snapping it to
 * the comparison grid (so 2.4999999999999996, which is 2.5 carried through floating point, gives 3).
 */
export function roundHalfUp(value: number, options?: RoundingOptions): number {
  const scale = gridScale(options);
  const [floor, remainder] = splitGrid(toGrid(value, scale, 'value'), scale);
  return floor + (2 * remainder >= scale ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// 2. Largest remainder (Hamilton)
// ---------------------------------------------------------------------------------------------

/**
 * Apportion the integer `total` over non-negative real `values` (Hamilton / largest-remainder).
 *
 * Quotas: when `total` can be reached by rounding every value to its own floor or ceiling
 * (Σ⌊v⌋ ≤ total ≤ Σ⌈v⌉ — the normal case, e.g. parts of a rounded group total), the quotas are the
 * values themselves, so every result is ⌊v⌋ or ⌈v⌉. Otherwise the values are first scaled
 * proportionally to sum to `total` (quota = v × total / Σv, computed exactly in bigint).
 * Then: floor every quota, and hand the remaining units one each to the largest fractional parts;
 * ties go to the larger value, then to the lower index. The result always sums to `total`.
 * Throws a RoundingError if total > 0 and every value is 0.
 */
export function largestRemainder(values: readonly number[], total: number, options?: RoundingOptions): number[] {
  assertCount(total, 'total');
  const scale = gridScale(options);
  const steps = values.map((v, i) => toGrid(v, scale, `values[${i}]`));
  let sumFloor = 0;
  let fractional = 0;
  for (const s of steps) {
    const [floor, remainder] = splitGrid(s, scale);
    sumFloor += floor;
    if (remainder > 0) fractional += 1;
  }
  let numerators: bigint[];
  let denominator: bigint;
  if (sumFloor <= total && total <= sumFloor + fractional) {
    numerators = steps.map((s) => BigInt(s));
    denominator = BigInt(scale);
  } else {
    const sum = steps.reduce((acc, s) => acc + BigInt(s), 0n);
    if (sum === 0n) {
      throw new RoundingError(`cannot apportion ${total} units over ${values.length} values that are all zero`);
    }
    const t = BigInt(total);
    numerators = steps.map((s) => BigInt(s) * t);
    denominator = sum;
  }
  const result = numerators.map((n) => Number(n / denominator));
  const remainders = numerators.map((n) => n % denominator);
  let remaining = total - result.reduce((a, b) => a + b, 0);
  const order = steps.map((_, i) => i);
  order.sort((a, b) => {
    const ra = remainders[a]!;
    const rb = remainders[b]!;
    if (ra !== rb) return ra > rb ? -1 : 1;
    if (steps[a] !== steps[b]) return steps[b]! - steps[a]!;
    return a - b;
  });
  // remaining < number of non-zero remainders (both branches guarantee it), so only cells with a
  // fractional part are raised.
  for (let k = 0; remaining > 0; k += 1, remaining -= 1) {
    const index = order[k]!;
    result[index]! += 1;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// 3. Two-level table (groups → items)
// ---------------------------------------------------------------------------------------------

/** One group of a two-level table: e.g. a district (key) and its real unit values per class (cells). */
export interface TableRowInput {
  key: string;
  cells: readonly number[];
}

export interface RoundedTableRow {
  key: string;
  /** Integer units; they sum exactly to `total`, and each is ⌊cell⌋ or ⌈cell⌉. */
  cells: number[];
  /** The group total: Σ real cells rounded half up. */
  total: number;
}

export interface RoundedTable {
  rows: RoundedTableRow[];
  /** Per column (item), the sum of the rounded cells — what the printed column adds up to. */
  columnTotals: number[];
  /** Sum of the rounded group totals (= Σ columnTotals). */
  grandTotal: number;
}

/**
 * Round a groups × items table of real unit values (e.g. district × land class).
 *
 * Each group's total is the exact sum of its cells rounded half up; its cells are then apportioned
 * by largestRemainder so that they sum to that total (each cell stays ⌊v⌋ or ⌈v⌉). The grand total
 * is the sum of the rounded group totals, and the column totals are the sums of the rounded cells,
 * so the printed table adds up in both directions. Column totals are therefore not independently
 * rounded — a column total can differ from round(Σ real column) by more than 0.5 when many groups
 * round the same way; use fitMatrix + roundMatrix when both margins are prescribed.
 * All rows must have the same number of cells. Throws RangeError on negative / non-finite values.
 */
export function roundTable(rows: readonly TableRowInput[], options?: RoundingOptions): RoundedTable {
  const scale = gridScale(options);
  const width = rows[0]?.cells.length ?? 0;
  const columnTotals: number[] = new Array<number>(width).fill(0);
  let grandTotal = 0;
  const out: RoundedTableRow[] = rows.map((row, r) => {
    if (row.cells.length !== width) {
      throw new RangeError(`row ${r} (${row.key}) has ${row.cells.length} cells, expected ${width}`);
    }
    let sum = 0n;
    row.cells.forEach((v, c) => {
      sum += BigInt(toGrid(v, scale, `rows[${r}] (${row.key}) cell ${c}`));
    });
    const big = BigInt(scale);
    const remainder = sum % big;
    const totalBig = sum / big + (2n * remainder >= big ? 1n : 0n);
    const total = Number(totalBig);
    assertCount(total, `total of row ${r} (${row.key})`);
    const cells = largestRemainder(row.cells, total, options);
    cells.forEach((v, c) => {
      columnTotals[c]! += v;
    });
    grandTotal += total;
    return { key: row.key, cells, total };
  });
  return { rows: out, columnTotals, grandTotal };
}

// ---------------------------------------------------------------------------------------------
// 4. Iterative proportional fitting (RAS)
// ---------------------------------------------------------------------------------------------

export interface FitMatrixOptions {
  /** Stop when every margin is within this relative error of its target. Default 1e-9. */
  tolerance?: number;
  /** Stop after this many row+column sweeps even if not converged. Default 10 000. */
  maxIterations?: number;
}

export interface FitMatrixResult {
  /** The fitted matrix (a new array; the input is not modified). */
  matrix: number[][];
  /** Row+column sweeps done. */
  iterations: number;
  /** Whether every margin reached the tolerance. Columns are exact after the last sweep; rows may lag. */
  converged: boolean;
  /** max over margins of |sum − target| / target (Infinity while a zero-target margin still has mass). */
  maxRelativeError: number;
}

function assertMatrix(matrix: readonly (readonly number[])[], rows: number, cols: number, what: string): void {
  if (matrix.length !== rows) throw new RangeError(`${what} has ${matrix.length} rows, expected ${rows}`);
  matrix.forEach((row, i) => {
    if (row.length !== cols) throw new RangeError(`${what} row ${i} has ${row.length} cells, expected ${cols}`);
    row.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new RangeError(`${what}[${i}][${j}] must be a finite non-negative number, got ${v}`);
      }
    });
  });
}

function assertMargins(values: readonly number[], what: string): void {
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`${what}[${i}] must be a finite non-negative number, got ${v}`);
    }
  });
}

function sumOf(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/**
 * Fit a non-negative matrix to target real margins by iterative proportional fitting (RAS): scale
 * rows to their targets, then columns, until every margin is within `tolerance` (relative) or
 * `maxIterations` sweeps have run. Zero cells stay zero.
 *
 * Σ rowTotals must equal Σ colTotals within a relative 1e-9, else RoundingError. A row (column)
 * that is entirely zero but has a positive target is given its mass on the diagonal when the matrix
 * is square (a class that "did not change"); that needs the matching column (row) target to be
 * positive. Otherwise — non-square, diagonal target zero, or a margin whose every non-zero cell is
 * forced to zero by a zero target on the other side — a RoundingError explains which margin is
 * unreachable. Other structurally infeasible patterns show up as converged: false.
 */
export function fitMatrix(
  matrix: readonly (readonly number[])[],
  rowTotals: readonly number[],
  colTotals: readonly number[],
  options: FitMatrixOptions = {},
): FitMatrixResult {
  const tolerance = options.tolerance ?? 1e-9;
  const maxIterations = options.maxIterations ?? 10_000;
  if (!(tolerance > 0)) throw new RangeError(`tolerance must be positive, got ${tolerance}`);
  if (!Number.isSafeInteger(maxIterations) || maxIterations < 1) {
    throw new RangeError(`maxIterations must be a positive integer, got ${maxIterations}`);
  }
  const n = rowTotals.length;
  const m = colTotals.length;
  assertMargins(rowTotals, 'rowTotals');
  assertMargins(colTotals, 'colTotals');
  assertMatrix(matrix, n, m, 'matrix');
  const sumRows = sumOf(rowTotals);
  const sumCols = sumOf(colTotals);
  if (Math.abs(sumRows - sumCols) > 1e-9 * Math.max(sumRows, sumCols)) {
    throw new RoundingError(`row targets sum to ${sumRows} but column targets sum to ${sumCols}`);
  }
  const x = matrix.map((row) => row.slice());

  // Zero rows / columns with a positive target: seed the diagonal (square matrices only).
  for (let i = 0; i < n; i += 1) {
    if (rowTotals[i]! > 0 && sumOf(x[i]!) === 0) {
      if (n !== m) {
        throw new RoundingError(`row ${i} is all zero but its target is ${rowTotals[i]}; the matrix is not square, so there is no diagonal to put it on`);
      }
      if (!(colTotals[i]! > 0)) {
        throw new RoundingError(`row ${i} is all zero but its target is ${rowTotals[i]}, and its diagonal column ${i} has target 0`);
      }
      x[i]![i] = rowTotals[i]!;
    }
  }
  for (let j = 0; j < m; j += 1) {
    let s = 0;
    for (let i = 0; i < n; i += 1) s += x[i]![j]!;
    if (colTotals[j]! > 0 && s === 0) {
      if (n !== m) {
        throw new RoundingError(`column ${j} is all zero but its target is ${colTotals[j]}; the matrix is not square, so there is no diagonal to put it on`);
      }
      if (!(rowTotals[j]! > 0)) {
        throw new RoundingError(`column ${j} is all zero but its target is ${colTotals[j]}, and its diagonal row ${j} has target 0`);
      }
      x[j]![j] = colTotals[j]!;
    }
  }

  const measure = (): number => {
    let worst = 0;
    const relative = (s: number, t: number): number => (t > 0 ? Math.abs(s - t) / t : s > 0 ? Infinity : 0);
    for (let i = 0; i < n; i += 1) worst = Math.max(worst, relative(sumOf(x[i]!), rowTotals[i]!));
    for (let j = 0; j < m; j += 1) {
      let s = 0;
      for (let i = 0; i < n; i += 1) s += x[i]![j]!;
      worst = Math.max(worst, relative(s, colTotals[j]!));
    }
    return worst;
  };

  let iterations = 0;
  let error = measure();
  while (error > tolerance && iterations < maxIterations) {
    iterations += 1;
    for (let i = 0; i < n; i += 1) {
      const row = x[i]!;
      const s = sumOf(row);
      const t = rowTotals[i]!;
      if (s === 0) {
        if (t > 0) {
          throw new RoundingError(`row ${i} cannot reach its target ${t}: every non-zero cell lies in a column whose target is 0`);
        }
        continue;
      }
      const f = t / s;
      for (let j = 0; j < m; j += 1) row[j] = row[j]! * f;
    }
    for (let j = 0; j < m; j += 1) {
      let s = 0;
      for (let i = 0; i < n; i += 1) s += x[i]![j]!;
      const t = colTotals[j]!;
      if (s === 0) {
        if (t > 0) {
          throw new RoundingError(`column ${j} cannot reach its target ${t}: every non-zero cell lies in a row whose target is 0`);
        }
        continue;
      }
      const f = t / s;
      for (let i = 0; i < n; i += 1) x[i]![j] = x[i]![j]! * f;
    }
    error = measure();
  }
  return { matrix: x, iterations, converged: error <= tolerance, maxRelativeError: error };
}

// ---------------------------------------------------------------------------------------------
// 5. Controlled rounding of a matrix
// ---------------------------------------------------------------------------------------------

/**
 * Controlled rounding: an integer matrix whose rows sum exactly to the integer `rowTotals` and
 * columns to the integer `colTotals` (Σ rowTotals must equal Σ colTotals, else RoundingError).
 *
 * Each cell is ⌊v⌋ or ⌈v⌉ of its real value whenever any such matrix exists; that is guaranteed when
 * the real matrix already has (up to fitting error) the integer margins — run fitMatrix to the
 * integer totals first (see fitAndRoundMatrix). Method, all deterministic:
 *  1. every cell starts at ⌊v⌋ (values on the comparison grid; integers stay fixed);
 *  2. greedy: cells in order of largest fractional part (then larger value, then row-major index)
 *     are raised to ⌈v⌉ while both their row and column still need units;
 *  3. remaining imbalance is moved along augmenting paths row → column → row … in the residual
 *     graph of the bounds [⌊v⌋, ⌈v⌉] — a max-flow, so it finds a floor/ceil solution if one exists;
 *  4. only if none exists, paths may use steps outside the bounds (never below 0); each path is the
 *     one with the fewest such steps (0-1 BFS), and moves as many units as its bottleneck allows.
 * Cells are never negative; termination is guaranteed (each augmentation reduces the imbalance).
 */
export function roundMatrix(
  matrix: readonly (readonly number[])[],
  rowTotals: readonly number[],
  colTotals: readonly number[],
  options?: RoundingOptions,
): number[][] {
  const scale = gridScale(options);
  const n = rowTotals.length;
  const m = colTotals.length;
  rowTotals.forEach((t, i) => assertCount(t, `rowTotals[${i}]`));
  colTotals.forEach((t, j) => assertCount(t, `colTotals[${j}]`));
  assertMatrix(matrix, n, m, 'matrix');
  const sumRows = sumOf(rowTotals);
  const sumCols = sumOf(colTotals);
  if (!Number.isSafeInteger(sumRows) || sumRows !== sumCols) {
    throw new RoundingError(`row totals sum to ${sumRows} but column totals sum to ${sumCols}`);
  }

  const steps: number[][] = [];
  const lo: number[][] = [];
  const hi: number[][] = [];
  const y: number[][] = [];
  const rowNeed = rowTotals.slice(); // target − current: > 0 needs more, < 0 needs less
  const colNeed = colTotals.slice();
  for (let i = 0; i < n; i += 1) {
    steps.push([]);
    lo.push([]);
    hi.push([]);
    y.push([]);
    for (let j = 0; j < m; j += 1) {
      const s = toGrid(matrix[i]![j]!, scale, `matrix[${i}][${j}]`);
      const [floor, remainder] = splitGrid(s, scale);
      steps[i]!.push(s);
      lo[i]!.push(floor);
      hi[i]!.push(remainder > 0 ? floor + 1 : floor);
      y[i]!.push(floor);
      rowNeed[i]! -= floor;
      colNeed[j]! -= floor;
    }
  }

  // 2. Greedy by largest fractional part.
  const candidates: Array<[number, number]> = [];
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < m; j += 1) if (hi[i]![j]! > lo[i]![j]!) candidates.push([i, j]);
  }
  candidates.sort(([ai, aj], [bi, bj]) => {
    const fa = steps[ai]![aj]! % scale;
    const fb = steps[bi]![bj]! % scale;
    if (fa !== fb) return fb - fa;
    const va = steps[ai]![aj]!;
    const vb = steps[bi]![bj]!;
    if (va !== vb) return vb - va;
    return ai !== bi ? ai - bi : aj - bj;
  });
  for (const [i, j] of candidates) {
    if (rowNeed[i]! > 0 && colNeed[j]! > 0) {
      y[i]![j]! += 1;
      rowNeed[i]! -= 1;
      colNeed[j]! -= 1;
    }
  }

  // 3 + 4. Augmenting paths. Nodes: rows 0..n−1, columns n..n+m−1. Moving along row i → column j
  // raises y[i][j]; along column j → row i lowers it. Sources: rows needing more, columns with too
  // much. Sinks: columns needing more, rows with too much.
  const nodes = n + m;
  const dist = new Array<number>(nodes);
  const parent = new Array<number>(nodes);
  const deque = new Int32Array(2 * nodes * (nodes + 1) + 2);
  const isSource = (v: number): boolean => (v < n ? rowNeed[v]! > 0 : colNeed[v - n]! < 0);
  const isSink = (v: number): boolean => (v < n ? rowNeed[v]! < 0 : colNeed[v - n]! > 0);
  const excess = (v: number): number => (v < n ? rowNeed[v]! : -colNeed[v - n]!);
  const deficit = (v: number): number => (v < n ? -rowNeed[v]! : colNeed[v - n]!);

  // Residual capacity and cost (0 inside the floor/ceil bounds, 1 outside) of the arc u → v.
  const arc = (u: number, v: number): [capacity: number, cost: number] => {
    if (u < n) {
      const i = u;
      const j = v - n;
      const cur = y[i]![j]!;
      return cur < hi[i]![j]! ? [hi[i]![j]! - cur, 0] : [Infinity, 1];
    }
    const i = v;
    const j = u - n;
    const cur = y[i]![j]!;
    if (cur > lo[i]![j]!) return [cur - lo[i]![j]!, 0];
    return cur > 0 ? [cur, 1] : [0, 1];
  };

  let imbalance = 0;
  for (let v = 0; v < nodes; v += 1) if (isSource(v)) imbalance += excess(v);
  while (imbalance > 0) {
    dist.fill(Infinity);
    parent.fill(-1);
    // 0-1 BFS from all sources at once (circular deque).
    const size = deque.length;
    let head = 0;
    let tail = 0;
    for (let v = 0; v < nodes; v += 1) {
      if (isSource(v)) {
        dist[v] = 0;
        deque[tail] = v;
        tail = (tail + 1) % size;
      }
    }
    while (head !== tail) {
      const u = deque[head]!;
      head = (head + 1) % size;
      const du = dist[u]!;
      const first = u < n ? n : 0;
      const last = u < n ? nodes : n;
      for (let v = first; v < last; v += 1) {
        const [capacity, cost] = arc(u, v);
        if (capacity <= 0) continue;
        const dv = du + cost;
        if (dv < dist[v]!) {
          dist[v] = dv;
          parent[v] = u;
          if (cost === 0) {
            head = (head - 1 + size) % size;
            deque[head] = v;
          } else {
            deque[tail] = v;
            tail = (tail + 1) % size;
          }
        }
      }
    }
    let sink = -1;
    for (let v = 0; v < nodes; v += 1) {
      if (isSink(v) && dist[v]! < Infinity && (sink < 0 || dist[v]! < dist[sink]!)) sink = v;
    }
    if (sink < 0) {
      // Cannot happen for n, m ≥ 1 with equal sums (a raise arc always exists); kept as a guard.
      throw new RoundingError('controlled rounding found no augmenting path');
    }
    // Bottleneck along the path.
    let amount = deficit(sink);
    let v = sink;
    while (parent[v]! >= 0) {
      const u = parent[v]!;
      amount = Math.min(amount, arc(u, v)[0]);
      v = u;
    }
    amount = Math.min(amount, excess(v));
    // Apply.
    v = sink;
    while (parent[v]! >= 0) {
      const u = parent[v]!;
      if (u < n) y[u]![v - n]! += amount;
      else y[v]![u - n]! -= amount;
      v = u;
    }
    const source = v;
    if (source < n) rowNeed[source]! -= amount;
    else colNeed[source - n]! += amount;
    if (sink < n) rowNeed[sink]! += amount;
    else colNeed[sink - n]! -= amount;
    imbalance -= amount;
  }
  return y;
}

/**
 * fitMatrix to the integer totals, then roundMatrix: the transition-matrix pipeline. Because the
 * fitted matrix has the integer margins, a floor/ceil rounding exists and roundMatrix finds it.
 * Throws what fitMatrix throws; a fit that does not converge is still rounded (margins stay exact).
 */
export function fitAndRoundMatrix(
  matrix: readonly (readonly number[])[],
  rowTotals: readonly number[],
  colTotals: readonly number[],
  options?: FitMatrixOptions & RoundingOptions,
): number[][] {
  rowTotals.forEach((t, i) => assertCount(t, `rowTotals[${i}]`));
  colTotals.forEach((t, j) => assertCount(t, `colTotals[${j}]`));
  const fitted = fitMatrix(matrix, rowTotals, colTotals, options);
  return roundMatrix(fitted.matrix, rowTotals, colTotals, options);
}
