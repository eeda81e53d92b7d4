-- States and a role the lifecycle of issue 14 needs (migrations/0018 uses them). A new enum value
-- cannot be used in the transaction that adds it, hence a migration of its own.

-- 初验: a city-wide special survey's package preliminarily accepted by its district's office.
ALTER TYPE submission_state ADD VALUE IF NOT EXISTS 'preliminary_accepted' BEFORE 'accepted';
-- 备案: a district special survey's package, accepted by the district office, filed with the city.
ALTER TYPE submission_state ADD VALUE IF NOT EXISTS 'filed' AFTER 'accepted';

-- 区土地调查领导小组办公室: the district leading-group office (初验, district 验收, district
-- approvals). The existing leading_group_office is the city's.
ALTER TYPE user_role ADD VALUE IF NOT EXISTS 'district_office' AFTER 'leading_group_office';
