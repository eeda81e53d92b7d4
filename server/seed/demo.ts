// Demo organisations, one account per role, and the first surveys: what `npm start` shows a new user.
// The passwords are public (printed and in the README): never seed the demo on a real deployment.
import { asSystem, type Tx } from '../db/context.ts';
import type { Database } from '../db/engine.ts';
import type { OrganisationKind, UserRole } from '../db/schema.ts';
import { createUser } from '../modules/users/repository.ts';

export const DEMO_PASSWORD = 'demo-password-2026';

export interface DemoAccount {
  username: string;
  displayName: string;
  role: UserRole;
  districtCode: string | null;
  organisation: string;
}

const CITY_BUREAU = '上海市规划和自然资源局（演示）';
const OFFICE = '上海市土地调查领导小组办公室（演示）';
const SURVEY_UNIT = '示范测绘地理信息有限公司（演示）';
const AGENCY = '示范城市规划研究院（演示）';
const districtBureau = (name: string) => `${name}规划和自然资源局（演示）`;
const districtOffice = (name: string) => `${name}土地调查领导小组办公室（演示）`;
/** The demo's districts: their operators upload, their leading-group offices accept special surveys. */
const DEMO_DISTRICTS = [
  { code: '310151', name: '崇明区' },
  { code: '310115', name: '浦东新区' },
] as const;

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { username: 'admin', displayName: '市局管理员', role: 'city_admin', districtCode: null, organisation: CITY_BUREAU },
  { username: 'auditor', displayName: '市局质检审核员', role: 'city_auditor', districtCode: null, organisation: CITY_BUREAU },
  { username: 'chongming', displayName: '崇明区操作员', role: 'district_operator', districtCode: '310151', organisation: districtBureau('崇明区') },
  { username: 'pudong', displayName: '浦东新区操作员', role: 'district_operator', districtCode: '310115', organisation: districtBureau('浦东新区') },
  { username: 'office', displayName: '领导小组办公室', role: 'leading_group_office', districtCode: null, organisation: OFFICE },
  { username: 'chongming-office', displayName: '崇明区领导小组办公室', role: 'district_office', districtCode: '310151', organisation: districtOffice('崇明区') },
  { username: 'pudong-office', displayName: '浦东新区领导小组办公室', role: 'district_office', districtCode: '310115', organisation: districtOffice('浦东新区') },
  { username: 'surveyor', displayName: '调查员（崇明）', role: 'surveyor', districtCode: '310151', organisation: SURVEY_UNIT },
  { username: 'agency', displayName: '获准机构用户', role: 'agency', districtCode: null, organisation: AGENCY },
];

async function ensureOrganisation(tx: Tx, name: string, kind: OrganisationKind, districtCode: string | null): Promise<string> {
  const existing = await tx.selectFrom('organisations').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) return existing.id;
  const created = await tx
    .insertInto('organisations')
    .values({ name, kind, district_code: districtCode, credit_code: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return created.id;
}

async function ensureOrganisations(tx: Tx): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  ids.set(CITY_BUREAU, await ensureOrganisation(tx, CITY_BUREAU, 'city_bureau', null));
  ids.set(OFFICE, await ensureOrganisation(tx, OFFICE, 'leading_group_office', null));
  ids.set(SURVEY_UNIT, await ensureOrganisation(tx, SURVEY_UNIT, 'survey_unit', null));
  ids.set(AGENCY, await ensureOrganisation(tx, AGENCY, 'agency', null));
  const districts = await tx.selectFrom('admin_units').select(['code', 'name']).where('level', '=', 'district').execute();
  for (const district of districts) {
    const name = districtBureau(district.name);
    ids.set(name, await ensureOrganisation(tx, name, 'district_bureau', district.code));
  }
  for (const district of DEMO_DISTRICTS) {
    const name = districtOffice(district.name);
    ids.set(name, await ensureOrganisation(tx, name, 'leading_group_office', district.code));
  }
  return ids;
}

async function ensureSurveys(tx: Tx, createdBy: string | null): Promise<void> {
  const surveys = [
    // All open for uploads: the demo's history (demo-history.ts) fills 2019-2023 and closes each
    // survey before its year is frozen, as the city would; 2024 stays open. 2023 is 公开: the
    // history approves and publishes it, so an anonymous visitor sees a published year.
    { kind: 'national', year: 2019, title: '第三次全国国土调查（上海市）', state: 'collecting', secrecy: 'internal' },
    ...[2020, 2021, 2022].map((year) => ({ kind: 'land_use_change', year, title: `${year}年度土地利用变更调查`, state: 'collecting', secrecy: 'internal' }) as const),
    { kind: 'land_use_change', year: 2023, title: '2023年度土地利用变更调查', state: 'collecting', secrecy: 'public' },
    { kind: 'land_use_change', year: 2024, title: '2024年度土地利用变更调查', state: 'collecting', secrecy: 'internal' },
  ] as const;
  for (const survey of surveys) {
    const existing = await tx
      .selectFrom('surveys')
      .select('id')
      .where('kind', '=', survey.kind)
      .where('year', '=', survey.year)
      .where('scope', '=', 'city')
      .executeTakeFirst();
    if (existing) continue;
    await tx
      .insertInto('surveys')
      .values({
        ...survey,
        scope: 'city',
        district_code: null,
        time_point: `${survey.year}-12-31`,
        submission_deadline: null,
        created_by: createdBy,
      })
      .execute();
  }
}

/** Creates what is missing; existing accounts keep their passwords. Returns the demo accounts. */
export function seedDemo(db: Database): Promise<readonly DemoAccount[]> {
  return asSystem(db, async (tx) => {
    const organisations = await ensureOrganisations(tx);
    for (const account of DEMO_ACCOUNTS) {
      const exists = await tx.selectFrom('users').select('id').where('username', '=', account.username).executeTakeFirst();
      if (exists) continue;
      await createUser(tx, { ...account, password: DEMO_PASSWORD, organisationId: organisations.get(account.organisation) ?? null });
    }
    const admin = await tx.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirst();
    await ensureSurveys(tx, admin?.id ?? null);
    return DEMO_ACCOUNTS;
  });
}
