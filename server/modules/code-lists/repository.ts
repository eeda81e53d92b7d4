import type { Queryable } from '../../db/context.ts';

export interface CodeEntry {
  code: string;
  name: string;
  parentCode: string | null;
  color: string | null;
  verified: boolean;
}

export async function listCodeLists(db: Queryable): Promise<{ list: string; entries: number }[]> {
  const rows = await db
    .selectFrom('code_lists')
    .select(['list', (eb) => eb.fn.countAll<number>().as('entries')])
    .groupBy('list')
    .orderBy('list')
    .execute();
  return rows.map((row) => ({ list: row.list, entries: Number(row.entries) }));
}

export function getCodeList(db: Queryable, list: string): Promise<CodeEntry[]> {
  return db
    .selectFrom('code_lists')
    .select(['code', 'name', 'parent_code as parentCode', 'color', 'verified'])
    .where('list', '=', list)
    .orderBy('sort_order')
    .execute();
}
