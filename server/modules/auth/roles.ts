import type { UserRole } from '../../db/schema.ts';

/** Every role, in the order the docs and the CLI list them. */
export const ALL_ROLES: readonly UserRole[] = [
  'city_admin',
  'city_auditor',
  'leading_group_office',
  'district_office',
  'district_operator',
  'surveyor',
  'agency',
];

/** Staff who work on submissions and read their reports; agencies and visitors are not among them. */
export const STAFF_READERS = ['city_admin', 'city_auditor', 'leading_group_office', 'district_office', 'district_operator', 'surveyor'] as const;

/** Roles bound to one district: the database refuses such an account without one. */
export const DISTRICT_ROLES: readonly UserRole[] = ['district_operator', 'district_office', 'surveyor'];
