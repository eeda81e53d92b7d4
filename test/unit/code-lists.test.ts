import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODES_FILE, codeListRows } from '../../server/seed/reference.ts';

const rows = codeListRows(JSON.parse(fs.readFileSync(CODES_FILE, 'utf8')));
const list = (name: string) => rows.filter((row) => row.list === name);

describe('code lists from codes.json', () => {
  it('splits the 三调 work classification into 一级 groups and the codes DLBM holds', () => {
    expect(list('dlbm_group').map((row) => row.code)).toEqual(['00', '01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12']);
    expect(list('dlbm').find((row) => row.code === '0201K')).toMatchObject({ name: '可调整果园', parent_code: '02' });
    // 09 特殊用地 is both a group and a class: separate lists keep both.
    expect(list('dlbm').find((row) => row.code === '09')).toMatchObject({ parent_code: '09' });
  });

  it('gives every 三调 class its palette colour as #rrggbb', () => {
    expect(list('dlbm').find((row) => row.code === '0101')?.color).toBe('#f8d072');
    expect(list('dlbm').filter((row) => row.color === null).map((row) => row.code)).toEqual([]);
    expect(list('gbt21010').every((row) => row.color === null)).toBe(true);
  });

  it('keeps the flat lists with their verification flag', () => {
    expect(list('qsxz').map((row) => row.code)).toContain('30');
    expect(list('gdpdjb').every((row) => row.verified === false)).toBe(true);
    expect(list('czcsxm').map((row) => row.code)).toEqual(['201', '201A', '202', '202A', '203', '203A', '204', '205']);
    for (const name of ['gdlx', 'zzsxdm', 'tbxhdm']) expect(list(name).length).toBeGreaterThan(1);
  });

  it('has no duplicate (list, code) pair', () => {
    const keys = rows.map((row) => `${row.list}/${row.code}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
