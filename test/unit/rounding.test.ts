import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../server/seed/generator/random.ts';
import {
  RoundingError,
  fitAndRoundMatrix,
  fitMatrix,
  largestRemainder,
  roundHalfUp,
  roundMatrix,
  roundTable,
  toUnits,
} from '../../server/modules/versions/rounding.ts';

// Seeded PRNG so the property tests are reproducible.
const prng = mulberry32;
const intBelow = (rand: () => number, n: number): number => Math.floor(rand() * n);
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
const rowSums = (m: readonly (readonly number[])[]): number[] => m.map(sum);
const colSums = (m: readonly (readonly number[])[], cols: number): number[] =>
  Array.from({ length: cols }, (_, j) => sum(m.map((row) => row[j]!)));

/** A random area in hundredths of m² (so the exact value is cents / 100 m²), spread over magnitudes. */
function randomCents(rand: () => number): bigint {
  if (rand() < 0.15) return 0n;
  const magnitude = 10 ** intBelow(rand, 11); // up to 10¹⁰ cents = 10⁸ m² per cell
  return BigInt(Math.floor(rand() * magnitude));
}
const centsToM2 = (cents: bigint): string => {
  const s = cents.toString().padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
};

describe('toUnits', () => {
  it('converts m² to hundredths of a hectare exactly', () => {
    expect(toUnits('10050', 'ha')).toBe(100.5);
    expect(toUnits(10050, 'ha')).toBe(100.5);
    expect(toUnits('0.01', 'ha')).toBe(0.0001);
    expect(toUnits('1e4', 'ha')).toBe(100);
    expect(toUnits('10000000000.00', 'ha')).toBe(1e8);
    expect(toUnits(0, 'ha')).toBe(0);
  });

  it('converts 666.67 m² to 1.000005 亩 = 100.0005 units, without float drift', () => {
    // The naive product drifts below the true value.
    expect(666.67 * 0.15).not.toBe(100.0005);
    expect(toUnits('666.67', 'mu')).toBe(100.0005);
    expect(toUnits(666.67, 'mu')).toBe(100.0005);
    // Exactly one 亩 is 10000/15 m²; a long decimal of it lands on 100 units.
    expect(toUnits('666.666666666666666666', 'mu')).toBeCloseTo(100, 12);
    expect(toUnits('10000', 'mu')).toBe(1500);
    expect(toUnits('10000000000.00', 'mu')).toBe(1.5e9);
    expect(roundHalfUp(toUnits('666.67', 'mu'))).toBe(100);
  });

  it('accepts signs, whitespace and exponents, and rejects what is not a decimal', () => {
    expect(toUnits(' -100 ', 'ha')).toBe(-1);
    expect(toUnits('-0', 'ha')).toBe(0);
    expect(toUnits('.5', 'mu')).toBe(0.075);
    expect(toUnits('2.5E-2', 'ha')).toBe(0.00025);
    for (const bad of ['', '.', 'abc', '1,000', '1.2.3', '--1', '1e']) {
      expect(() => toUnits(bad, 'ha'), bad).toThrow(RangeError);
    }
    expect(() => toUnits(Number.NaN, 'ha')).toThrow(RangeError);
    expect(() => toUnits(Number.POSITIVE_INFINITY, 'mu')).toThrow(RangeError);
    expect(() => toUnits('1', 'acre' as 'ha')).toThrow(/unknown area unit/);
  });

  it('matches exact integer arithmetic on 1,000 random 2-decimal areas', () => {
    const rand = prng(1);
    for (let k = 0; k < 1000; k += 1) {
      const cents = randomCents(rand);
      const m2 = centsToM2(cents);
      // ha-units = cents / 10⁴ and 亩-units = 15·cents / 10⁴, as exact decimals
      expect(toUnits(m2, 'ha')).toBe(Number(`${cents}e-4`));
      expect(toUnits(m2, 'mu')).toBe(Number(`${cents * 15n}e-4`));
    }
  });
});

describe('roundHalfUp', () => {
  it('rounds halves up, on the comparison grid', () => {
    expect(roundHalfUp(2.5)).toBe(3);
    expect(roundHalfUp(2.4999999999999996)).toBe(3); // 2.5 carried through floating point
    expect(roundHalfUp(2.4999)).toBe(2);
    expect(roundHalfUp(0)).toBe(0);
    expect(() => roundHalfUp(-1)).toThrow(RangeError);
  });
});

describe('largestRemainder', () => {
  it('apportions 1.005 + 2.005 + 3.990 ha = 7.00 ha (naive rounding would print 7.01)', () => {
    const values = ['10050', '20050', '39900'].map((m2) => toUnits(m2, 'ha'));
    expect(values).toEqual([100.5, 200.5, 399]);
    expect(values.map((v) => roundHalfUp(v))).toEqual([101, 201, 399]); // sums to 701
    // The two .5 remainders tie; the larger value (2.005) gets the unit.
    expect(largestRemainder(values, 700)).toEqual([100, 201, 399]);
  });

  it('breaks ties by larger value, then lower index', () => {
    expect(largestRemainder([0.5, 0.5], 1)).toEqual([1, 0]);
    expect(largestRemainder([0.5, 1.5], 2)).toEqual([0, 2]);
    expect(largestRemainder([1.5, 0.5], 2)).toEqual([2, 0]);
    expect(largestRemainder([0.25, 0.75, 0.5, 0.5], 2)).toEqual([0, 1, 1, 0]);
  });

  it('is not fooled by floating-point drift in the fractional parts', () => {
    // 0.7 + 0.6 + 0.2 is 1.5 carried through floats (1.4999999999999998); it ties with 1.5, and
    // the tie goes to the lower index — a raw float comparison would give the unit to index 1.
    const drifted = 0.7 + 0.6 + 0.2;
    expect(drifted).toBeLessThan(1.5);
    expect(largestRemainder([drifted, 1.5], 3)).toEqual([2, 1]);
    expect(largestRemainder([1.5, drifted], 3)).toEqual([2, 1]);
  });

  it('scales proportionally when the total is out of reach of floors and ceilings', () => {
    expect(largestRemainder([1, 1, 1], 10)).toEqual([4, 3, 3]);
    expect(largestRemainder([2, 1], 4)).toEqual([3, 1]);
    expect(largestRemainder([5], 0)).toEqual([0]);
    expect(largestRemainder([0, 3, 0], 7)).toEqual([0, 7, 0]);
  });

  it('handles zeros and refuses to apportion over nothing', () => {
    expect(largestRemainder([0, 0, 0], 0)).toEqual([0, 0, 0]);
    expect(largestRemainder([], 0)).toEqual([]);
    expect(() => largestRemainder([0, 0], 3)).toThrow(RoundingError);
    expect(() => largestRemainder([], 1)).toThrow(RoundingError);
    expect(() => largestRemainder([1, -0.5], 1)).toThrow(RangeError);
    expect(() => largestRemainder([1, Number.NaN], 1)).toThrow(RangeError);
    expect(() => largestRemainder([1, 2], 2.5)).toThrow(RangeError);
    expect(() => largestRemainder([1e12], 1)).toThrow(/beyond the supported range/);
  });

  it('1,000 random cases: exact sum, floor/ceil when reachable, within one unit of the quota otherwise', () => {
    const rand = prng(2);
    for (let k = 0; k < 1000; k += 1) {
      const size = 1 + intBelow(rand, 25);
      const values = Array.from({ length: size }, () => (rand() < 0.2 ? 0 : rand() * 10 ** intBelow(rand, 7)));
      const floors = sum(values.map(Math.floor));
      const ceils = sum(values.map(Math.ceil));
      const reachable = floors + intBelow(rand, ceils - floors + 1);
      const rounded = largestRemainder(values, reachable);
      expect(sum(rounded)).toBe(reachable);
      rounded.forEach((r, i) => {
        if (r !== Math.floor(values[i]!) && r !== Math.ceil(values[i]!)) expect.fail(`case ${k}: ${r} for ${values[i]}`);
      });
      if (sum(values) === 0) continue;
      const total = intBelow(rand, 1_000_000);
      const apportioned = largestRemainder(values, total);
      expect(sum(apportioned)).toBe(total);
      const scale = total / sum(values);
      apportioned.forEach((r, i) => {
        expect(Math.abs(r - values[i]! * scale)).toBeLessThan(1 + 1e-6);
        expect(r).toBeGreaterThanOrEqual(0);
      });
    }
  });
});

describe('roundTable', () => {
  it('rounds group totals half up and apportions the items to them', () => {
    const table = roundTable([
      { key: '黄浦区', cells: [100.5, 200.5, 399] }, // 7.00 ha
      { key: '徐汇区', cells: [0.5, 0.5, 0.4] }, // 1.4 → 1
      { key: '长宁区', cells: [0, 0, 0] }, // a zero row
      { key: '静安区', cells: [0.25, 0.25, 0] }, // 0.5 → 1 (half up)
    ]);
    expect(table.rows).toEqual([
      { key: '黄浦区', cells: [100, 201, 399], total: 700 },
      { key: '徐汇区', cells: [1, 0, 0], total: 1 },
      { key: '长宁区', cells: [0, 0, 0], total: 0 },
      { key: '静安区', cells: [1, 0, 0], total: 1 },
    ]);
    expect(table.columnTotals).toEqual([102, 201, 399]);
    expect(table.grandTotal).toBe(702);
  });

  it('handles an empty table and refuses ragged rows', () => {
    expect(roundTable([])).toEqual({ rows: [], columnTotals: [], grandTotal: 0 });
    expect(() => roundTable([{ key: 'a', cells: [1, 2] }, { key: 'b', cells: [1] }])).toThrow(/expected 2/);
    expect(() => roundTable([{ key: 'a', cells: [1, -2] }])).toThrow(RangeError);
  });

  it('1,000 random district × class tables from 2-decimal m²: every printed total adds up', () => {
    const rand = prng(3);
    for (let k = 0; k < 1000; k += 1) {
      const unit = rand() < 0.5 ? 'ha' : 'mu';
      const factor = unit === 'ha' ? 1n : 15n; // units = factor · cents / 10⁴
      const groups = 1 + intBelow(rand, 25);
      const items = 1 + intBelow(rand, 25);
      const cents = Array.from({ length: groups }, () => Array.from({ length: items }, () => randomCents(rand)));
      const table = roundTable(
        cents.map((row, g) => ({ key: `g${g}`, cells: row.map((c) => toUnits(centsToM2(c), unit)) })),
      );
      const columnTotals = new Array<number>(items).fill(0);
      table.rows.forEach((row, g) => {
        // Exact reference: the group total is round-half-up of Σ cents · factor / 10⁴.
        const exact = cents[g]!.reduce((a, c) => a + c, 0n) * factor;
        expect(row.total).toBe(Number((exact + 5000n) / 10000n));
        expect(sum(row.cells)).toBe(row.total);
        row.cells.forEach((r, i) => {
          const scaled = cents[g]![i]! * factor;
          const floor = Number(scaled / 10000n);
          const ceil = floor + (scaled % 10000n === 0n ? 0 : 1);
          if (r !== floor && r !== ceil) expect.fail(`case ${k}: group ${g} item ${i} = ${r}, not ${floor} or ${ceil}`);
          columnTotals[i]! += r;
        });
      });
      expect(table.columnTotals).toEqual(columnTotals);
      expect(table.grandTotal).toBe(sum(table.rows.map((r) => r.total)));
      expect(sum(table.columnTotals)).toBe(table.grandTotal);
    }
  });
});

describe('fitMatrix', () => {
  it('fits a uniform matrix to the product of its margins', () => {
    const fit = fitMatrix([[1, 1], [1, 1]], [3, 1], [2, 2]);
    expect(fit.converged).toBe(true);
    expect(fit.matrix[0]![0]).toBeCloseTo(1.5, 12);
    expect(fit.matrix[0]![1]).toBeCloseTo(1.5, 12);
    expect(fit.matrix[1]![0]).toBeCloseTo(0.5, 12);
    expect(fit.matrix[1]![1]).toBeCloseTo(0.5, 12);
  });

  it('does not modify its input and keeps zero cells at zero', () => {
    const input = [[4, 0, 1], [2, 3, 0]];
    const fit = fitMatrix(input, [6, 4], [5, 3, 2]);
    expect(input).toEqual([[4, 0, 1], [2, 3, 0]]);
    expect(fit.converged).toBe(true);
    expect(fit.matrix[0]![1]).toBe(0);
    expect(fit.matrix[1]![2]).toBe(0);
    rowSums(fit.matrix).forEach((s, i) => expect(s).toBeCloseTo([6, 4][i]!, 8));
    colSums(fit.matrix, 3).forEach((s, j) => expect(s).toBeCloseTo([5, 3, 2][j]!, 8));
  });

  it('puts the mass of a zero row / column on the diagonal of a square matrix', () => {
    const fit = fitMatrix([[0, 0], [1, 1]], [2, 2], [3, 1]);
    expect(fit.converged).toBe(true);
    expect(fit.matrix[0]![0]).toBeCloseTo(2, 9);
    expect(fit.matrix[0]![1]).toBe(0);
    expect(fit.matrix[1]![0]).toBeCloseTo(1, 9);
    expect(fit.matrix[1]![1]).toBeCloseTo(1, 9);
    const byColumn = fitMatrix([[1, 0], [1, 0]], [1, 3], [1, 3]);
    expect(byColumn.matrix[1]![1]).toBeCloseTo(3, 9);
    expect(byColumn.matrix[0]![1]).toBe(0);
  });

  it('throws clear errors for unreachable targets', () => {
    expect(() => fitMatrix([[1, 1]], [2], [1, 2])).toThrow(/row targets sum to 2 but column targets sum to 3/);
    expect(() => fitMatrix([[0, 0, 0], [1, 1, 1]], [3, 3], [2, 2, 2])).toThrow(/row 0 is all zero.*not square/);
    expect(() => fitMatrix([[0, 0], [1, 1]], [1, 2], [0, 3])).toThrow(/diagonal column 0 has target 0/);
    expect(() => fitMatrix([[1, 0], [0, 1]], [1, 1], [2, 0])).toThrow(/row 1 cannot reach its target/);
    expect(() => fitMatrix([[1, -1]], [0], [0, 0])).toThrow(RangeError);
    expect(() => fitMatrix([[1, 1]], [2, 0], [1, 1])).toThrow(/expected 2/);
  });

  it('reports non-convergence when the solution lies on the boundary', () => {
    // Row 1 only has column 0, so x[1][0] = 3 = column 0's target and x[0][0] must tend to 0.
    const fit = fitMatrix([[1, 1], [1, 0]], [1, 3], [3, 1], { maxIterations: 50 });
    expect(fit.converged).toBe(false);
    expect(fit.iterations).toBe(50);
    expect(fit.maxRelativeError).toBeGreaterThan(1e-9);
  });

  it('returns all zeros for zero targets', () => {
    const fit = fitMatrix([[1, 2], [3, 4]], [0, 0], [0, 0]);
    expect(fit.matrix).toEqual([[0, 0], [0, 0]]);
    expect(fit.converged).toBe(true);
  });
});

/** A random transition matrix (units), every row and column with at least one positive cell. */
function randomMatrix(rand: () => number): number[][] {
  const rows = 1 + intBelow(rand, 25);
  const cols = 1 + intBelow(rand, 25);
  const magnitude = 10 ** intBelow(rand, 7);
  const density = 0.3 + 0.7 * rand();
  const m = Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => (rand() < density ? Math.round(rand() * magnitude * 1e4) / 1e4 : 0)),
  );
  for (let i = 0; i < Math.max(rows, cols); i += 1) {
    const row = m[i % rows]!;
    const j = i % cols;
    if (row[j] === 0) row[j] = Math.round((0.5 + rand()) * magnitude * 1e4) / 1e4;
  }
  return m;
}

/** Integer targets near the matrix's own margins, with equal sums. */
function integerMargins(m: number[][]): [number[], number[]] {
  const rows = rowSums(m).map((s) => roundHalfUp(s));
  const cols = colSums(m, m[0]!.length).map((s) => roundHalfUp(s));
  const diff = sum(rows) - sum(cols);
  if (diff > 0) cols[cols.indexOf(Math.max(...cols))]! += diff;
  if (diff < 0) rows[rows.indexOf(Math.max(...rows))]! -= diff;
  return [rows, cols];
}

function expectExactMargins(result: number[][], rows: number[], cols: number[]): void {
  expect(result.length).toBe(rows.length);
  const bad = result.flatMap((row, i) =>
    row.length !== cols.length
      ? [`row ${i} has ${row.length} cells`]
      : row.flatMap((v, j) => (Number.isSafeInteger(v) && v >= 0 ? [] : [`(${i},${j}) = ${v}`])),
  );
  expect(bad).toEqual([]);
  expect(rowSums(result)).toEqual(rows);
  expect(colSums(result, cols.length)).toEqual(cols);
}

const isFloorOrCeil = (r: number, v: number): boolean => Math.abs(r - v) < 1;

describe('roundMatrix', () => {
  it('rounds a simple matrix to floor/ceil cells with exact margins', () => {
    expect(roundMatrix([[0.5, 0.5], [0.5, 0.5]], [1, 1], [1, 1])).toEqual([[1, 0], [0, 1]]);
    expect(roundMatrix([[2, 0], [1, 3]], [2, 4], [3, 3])).toEqual([[2, 0], [1, 3]]);
    expect(roundMatrix([], [], [])).toEqual([]);
    expect(roundMatrix([[], []], [0, 0], [])).toEqual([[], []]);
  });

  it('repairs a greedy dead end with an augmenting path', () => {
    // Greedy by fractional part raises (0,0), (0,1), (1,0) and then row 2 and column 2 both still
    // need a unit that no floor/ceil cell joins; the path row 2 → col → row → col 2 fixes it.
    const x = [[0.8, 0.6, 0.6], [0.6, 0, 0.4], [0.6, 0.4, 0]];
    const result = roundMatrix(x, [2, 1, 1], [2, 1, 1]);
    expectExactMargins(result, [2, 1, 1], [2, 1, 1]);
    result.forEach((row, i) => row.forEach((r, j) => expect(isFloorOrCeil(r, x[i]![j]!)).toBe(true)));
    expect(roundMatrix(x, [2, 1, 1], [2, 1, 1])).toEqual(result); // deterministic
  });

  it('moves a cell by more than the rounding when no floor/ceil solution exists', () => {
    // Row 0's only fractional cell is in column 0, whose target is 0.
    const result = roundMatrix([[0.5, 0], [0, 0.5]], [1, 0], [0, 1]);
    expect(result).toEqual([[0, 1], [0, 0]]);
  });

  it('fills a zero matrix and fixes floors that already exceed a target', () => {
    const zero = roundMatrix([[0, 0], [0, 0]], [300, 200], [100, 400]);
    expectExactMargins(zero, [300, 200], [100, 400]);
    const over = roundMatrix([[5, 5], [0, 0]], [4, 6], [5, 5]);
    expectExactMargins(over, [4, 6], [5, 5]);
  });

  it('refuses inconsistent or non-integer totals', () => {
    expect(() => roundMatrix([[1, 1]], [2], [1, 2])).toThrow(RoundingError);
    expect(() => roundMatrix([[1, 1]], [2.5], [1, 1.5])).toThrow(RangeError);
    expect(() => roundMatrix([[1, -1]], [0], [0, 0])).toThrow(RangeError);
    expect(() => roundMatrix([[1, 1]], [2], [2])).toThrow(/expected 1/);
  });

  it('1,000 random matrices fitted to integer totals first: exact margins and every cell floor or ceil', () => {
    const rand = prng(4);
    let notConverged = 0;
    for (let k = 0; k < 1000; k += 1) {
      const m = randomMatrix(rand);
      const [rows, cols] = integerMargins(m);
      const fit = fitMatrix(m, rows, cols);
      if (!fit.converged) notConverged += 1;
      const result = roundMatrix(fit.matrix, rows, cols);
      expectExactMargins(result, rows, cols);
      result.forEach((row, i) =>
        row.forEach((r, j) => {
          const v = fit.matrix[i]![j]!;
          if (!isFloorOrCeil(r, v)) expect.fail(`case ${k}: cell (${i},${j}) = ${r} for real ${v}`);
        }),
      );
      expect(fitAndRoundMatrix(m, rows, cols)).toEqual(result);
    }
    expect(notConverged).toBeLessThan(10);
  });

  it('1,000 random matrices rounded directly: exact margins, non-negative, nearly all cells floor or ceil', () => {
    const rand = prng(5);
    let cells = 0;
    let off = 0;
    for (let k = 0; k < 1000; k += 1) {
      const m = randomMatrix(rand);
      const [rows, cols] = integerMargins(m);
      const result = roundMatrix(m, rows, cols);
      expectExactMargins(result, rows, cols);
      result.forEach((row, i) =>
        row.forEach((r, j) => {
          cells += 1;
          if (!isFloorOrCeil(r, m[i]![j]!)) off += 1;
        }),
      );
    }
    expect(off / cells).toBeLessThan(0.002); // measured: ~0.02 %
  });
});
