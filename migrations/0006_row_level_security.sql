-- Row-level security. Every request runs its transaction as lsp_app with the setting app.session
-- holding the SHA-256 of its session token (see server/db/context.ts). The actor (user, role,
-- district) is derived here from that session, so code running in a request, even raw SQL on
-- its connection, can neither widen its district nor claim another role: it could only present
-- another live session's token hash, which it does not know.

CREATE TYPE actor AS (user_id uuid, role text, district_code varchar(6));

CREATE FUNCTION current_actor() RETURNS actor
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(
    (SELECT ROW(u.id, u.role::text, u.district_code)::actor
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = nullif(current_setting('app.session', true), '')
        AND s.expires_at > now()
        AND NOT u.disabled),
    ROW(NULL, 'public', NULL)::actor)
$$;

CREATE FUNCTION actor_user_id() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT (current_actor()).user_id $$;
CREATE FUNCTION actor_role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT (current_actor()).role $$;
CREATE FUNCTION actor_district() RETURNS varchar LANGUAGE sql STABLE AS $$ SELECT (current_actor()).district_code $$;
-- Policies call these as scalar sub-selects, (SELECT actor_role()), so each is evaluated once per
-- query rather than once per row. City-level roles read every district. Writers of district data
-- are the city administrator anywhere and a district operator in its own district (spelled out
-- in each policy, for the same once-per-query reason).
CREATE FUNCTION actor_sees_all_districts() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT (current_actor()).role IN ('city_admin', 'city_auditor', 'leading_group_office')
$$;

-- Reference data: readable by everyone, written only by migrations and the seed (table owner).
GRANT SELECT ON admin_units, code_lists TO lsp_app;

-- Organisations: visible to signed-in users, managed by the city administrator.
GRANT SELECT, INSERT, UPDATE ON organisations TO lsp_app;
ALTER TABLE organisations ENABLE ROW LEVEL SECURITY;
CREATE POLICY organisations_read ON organisations FOR SELECT TO lsp_app
  USING ((SELECT actor_role()) <> 'public');
CREATE POLICY organisations_write ON organisations FOR INSERT TO lsp_app
  WITH CHECK ((SELECT actor_role()) = 'city_admin');
CREATE POLICY organisations_update ON organisations FOR UPDATE TO lsp_app
  USING ((SELECT actor_role()) = 'city_admin') WITH CHECK ((SELECT actor_role()) = 'city_admin');

-- Users: the password hash and lock-out counters are never readable by requests; logging in
-- runs as the owner (server/modules/auth). The city sees every account, others only their own.
GRANT SELECT (id, username, display_name, role, organisation_id, district_code, disabled, created_at, locked_until)
  ON users TO lsp_app;
GRANT INSERT (username, display_name, role, organisation_id, district_code, password_hash) ON users TO lsp_app;
GRANT UPDATE (display_name, role, organisation_id, district_code, disabled) ON users TO lsp_app;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_read ON users FOR SELECT TO lsp_app
  USING ((SELECT actor_role()) IN ('city_admin', 'city_auditor') OR id = (SELECT actor_user_id()));
CREATE POLICY users_insert ON users FOR INSERT TO lsp_app
  WITH CHECK ((SELECT actor_role()) = 'city_admin');
CREATE POLICY users_update ON users FOR UPDATE TO lsp_app
  USING ((SELECT actor_role()) = 'city_admin') WITH CHECK ((SELECT actor_role()) = 'city_admin');

-- Surveys: city-wide surveys are visible to every signed-in user, district surveys to their district
-- and the city. The city creates surveys; a district may create its own district surveys.
GRANT SELECT, INSERT, UPDATE ON surveys TO lsp_app;
ALTER TABLE surveys ENABLE ROW LEVEL SECURITY;
CREATE POLICY surveys_read ON surveys FOR SELECT TO lsp_app
  USING ((SELECT actor_role()) <> 'public'
         AND (scope = 'city' OR (SELECT actor_sees_all_districts()) OR district_code = (SELECT actor_district())));
CREATE POLICY surveys_insert ON surveys FOR INSERT TO lsp_app
  WITH CHECK ((SELECT actor_role()) = 'city_admin' OR (scope = 'district' AND ((SELECT actor_role()) = 'city_admin' OR ((SELECT actor_role()) = 'district_operator' AND district_code = (SELECT actor_district())))));
CREATE POLICY surveys_update ON surveys FOR UPDATE TO lsp_app
  USING ((SELECT actor_role()) = 'city_admin' OR (scope = 'district' AND ((SELECT actor_role()) = 'city_admin' OR ((SELECT actor_role()) = 'district_operator' AND district_code = (SELECT actor_district())))))
  WITH CHECK ((SELECT actor_role()) = 'city_admin' OR (scope = 'district' AND ((SELECT actor_role()) = 'city_admin' OR ((SELECT actor_role()) = 'district_operator' AND district_code = (SELECT actor_district())))));

-- District data: read by the city roles and the own district, written by the city administrator
-- and the own district's operator.
GRANT SELECT, INSERT, UPDATE, DELETE ON submissions TO lsp_app;
ALTER TABLE submissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY submissions_read ON submissions FOR SELECT TO lsp_app
  USING ((SELECT actor_sees_all_districts()) OR district_code = (SELECT actor_district()));
CREATE POLICY submissions_insert ON submissions FOR INSERT TO lsp_app
  WITH CHECK (((SELECT actor_role()) = 'city_admin' OR ((SELECT actor_role()) = 'district_operator' AND district_code = (SELECT actor_district()))));
CREATE POLICY submissions_update ON submissions FOR UPDATE TO lsp_app
  USING (((SELECT actor_role()) = 'city_admin' OR ((SELECT actor_role()) = 'district_operator' AND district_code = (SELECT actor_district())))) WITH CHECK (((SELECT actor_role()) = 'city_admin' OR ((SELECT actor_role()) = 'district_operator' AND district_code = (SELECT actor_district()))));
-- Only an upload that never got anywhere may be withdrawn; everything else stays on record.
CREATE POLICY submissions_withdraw ON submissions FOR DELETE TO lsp_app
  USING (((SELECT actor_role()) = 'city_admin' OR ((SELECT actor_role()) = 'district_operator' AND district_code = (SELECT actor_district()))) AND state IN ('received', 'failed'));

GRANT USAGE ON SEQUENCE parcel_version_id_seq TO lsp_app;
GRANT SELECT, INSERT, UPDATE (valid_to, closed_by_submission_id) ON land_use_parcels, basic_farmland_parcels, ownership_parcels TO lsp_app;
GRANT SELECT, INSERT ON parcel_lineage TO lsp_app;

ALTER TABLE land_use_parcels ENABLE ROW LEVEL SECURITY;
ALTER TABLE basic_farmland_parcels ENABLE ROW LEVEL SECURITY;
ALTER TABLE ownership_parcels ENABLE ROW LEVEL SECURITY;
ALTER TABLE parcel_lineage ENABLE ROW LEVEL SECURITY;
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['land_use_parcels', 'basic_farmland_parcels', 'ownership_parcels', 'parcel_lineage'] LOOP
    EXECUTE format($p$CREATE POLICY %1$s_read ON %1$I FOR SELECT TO lsp_app
      USING ((SELECT actor_sees_all_districts()) OR district_code = (SELECT actor_district()))$p$, t);
    EXECUTE format($p$CREATE POLICY %1$s_insert ON %1$I FOR INSERT TO lsp_app
      WITH CHECK (((SELECT actor_role()) = 'city_admin' OR ((SELECT actor_role()) = 'district_operator' AND district_code = (SELECT actor_district()))))$p$, t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['land_use_parcels', 'basic_farmland_parcels', 'ownership_parcels'] LOOP
    EXECUTE format($p$CREATE POLICY %1$s_close ON %1$I FOR UPDATE TO lsp_app
      USING (((SELECT actor_role()) = 'city_admin' OR ((SELECT actor_role()) = 'district_operator' AND district_code = (SELECT actor_district())))) WITH CHECK (((SELECT actor_role()) = 'city_admin' OR ((SELECT actor_role()) = 'district_operator' AND district_code = (SELECT actor_district()))))$p$, t);
  END LOOP;
END
$$;

-- Audit log: anyone may append, but only as themselves; the city reads all, a district its own.
GRANT SELECT, INSERT ON audit_log TO lsp_app;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_log_append ON audit_log FOR INSERT TO lsp_app
  WITH CHECK (actor_user_id IS NOT DISTINCT FROM (SELECT actor_user_id()) AND actor_role = (SELECT actor_role()));
CREATE POLICY audit_log_read ON audit_log FOR SELECT TO lsp_app
  USING ((SELECT actor_role()) IN ('city_admin', 'city_auditor')
         OR ((SELECT actor_role()) = 'district_operator' AND district_code = (SELECT actor_district())));
