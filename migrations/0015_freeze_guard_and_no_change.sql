-- A year freezes only when its surveys are settled (issue 13, item 18). Before this, any past year
-- froze: 2024 with one district's change package in and 2025 with no survey at all, for good.
--
-- Year Y may be frozen when
--   * the year before it is frozen, unless nothing is frozen yet: freezing Y fixes every day up to
--     Y-12-31, so a skipped year would be frozen without its snapshot or its checks;
--   * no accepted package of a survey dated on or before Y-12-31 waits to be applied (it would be
--     shut out), as freezeYear already required;
--   * Y has a survey that describes it: a national survey (全国土地调查, the baseline year) or a
--     land-use change survey (土地利用变更调查) of year Y;
--   * every such survey is closed (state 'closed'): the city has ended its collection;
--   * in a change year, every district that has a baseline from before Y-12-31 has, for one of
--     Y's land-use change surveys, an applied package or a declaration of no change (本年度无变化).
-- Districts with no baseline yet have no parcels to change and are not counted; a baseline year
-- asks only that its national survey be closed (the city closes it when every baseline is in).
-- The rules live in freeze_blockers(), which the platform asks before freezing (to say what is
-- missing) and which a trigger on snapshots asks again, for every role, owners included.

-- 本年度无变化: a district's statement that it has no land-use change in a yearly change survey.
-- It stands in for a change package when the year is frozen, so it is never changed or removed.
CREATE TABLE no_change_declarations (
  district_code varchar(6) NOT NULL REFERENCES admin_units(code),
  survey_id     uuid NOT NULL REFERENCES surveys(id),
  declared_by   uuid REFERENCES users(id),
  declared_at   timestamptz NOT NULL DEFAULT now(),
  note          varchar(500),
  PRIMARY KEY (district_code, survey_id)
);
CREATE INDEX no_change_declarations_survey ON no_change_declarations (survey_id);
CREATE TRIGGER no_change_declarations_append_only BEFORE UPDATE OR DELETE ON no_change_declarations
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER no_change_declarations_no_truncate BEFORE TRUNCATE ON no_change_declarations
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- A declaration and a change package of one district and survey exclude each other. Both sides
-- take the district's apply lock (server/modules/versions/apply.ts) before looking at the other,
-- so a declaration and an apply of the same district never pass their checks side by side.
-- SECURITY DEFINER: the check must see the district's submissions whatever the caller may read.
CREATE FUNCTION guard_no_change_declaration() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  survey record;
  applied uuid;
BEGIN
  SELECT s.kind, s.scope, s.district_code, s.time_point, s.year INTO survey FROM surveys s WHERE s.id = NEW.survey_id;
  IF survey.kind IS DISTINCT FROM 'land_use_change' THEN
    RAISE EXCEPTION 'only a land-use change survey takes a declaration of no change (survey % is %)', NEW.survey_id, survey.kind
      USING ERRCODE = 'LS152', DETAIL = json_build_object('reason', 'survey_kind', 'kind', survey.kind)::text;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM admin_units a WHERE a.code = NEW.district_code AND a.level = 'district')
     OR (survey.scope = 'district' AND survey.district_code <> NEW.district_code) THEN
    RAISE EXCEPTION 'district % is not a district of survey %', NEW.district_code, NEW.survey_id
      USING ERRCODE = 'LS152', DETAIL = json_build_object('reason', 'district', 'districtCode', NEW.district_code)::text;
  END IF;
  IF survey.time_point <= frozen_through() THEN
    RAISE EXCEPTION 'snapshot frozen through %: the survey of % takes no more declarations', frozen_through(), survey.year
      USING ERRCODE = 'LS004';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('apply:' || NEW.district_code::text));
  SELECT s.id INTO applied FROM submissions s
   WHERE s.district_code = NEW.district_code AND s.survey_id = NEW.survey_id AND s.state = 'applied' LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'district % has an applied package (%) for survey %: it cannot declare no change', NEW.district_code, applied, NEW.survey_id
      USING ERRCODE = 'LS152', DETAIL = json_build_object('reason', 'applied', 'submissionId', applied, 'districtCode', NEW.district_code)::text;
  END IF;
  NEW.declared_at := now();
  RETURN NEW;
END
$$;
CREATE TRIGGER no_change_declarations_guard BEFORE INSERT ON no_change_declarations
  FOR EACH ROW EXECUTE FUNCTION guard_no_change_declaration();

-- The other side: a package of a district that declared no change for its survey is not applied.
CREATE FUNCTION guard_apply_after_declaration() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('apply:' || NEW.district_code::text));
  IF EXISTS (SELECT 1 FROM no_change_declarations d WHERE d.district_code = NEW.district_code AND d.survey_id = NEW.survey_id) THEN
    RAISE EXCEPTION 'district % declared no change for survey %: its package % is not applied', NEW.district_code, NEW.survey_id, NEW.id
      USING ERRCODE = 'LS152', DETAIL = json_build_object('reason', 'declared', 'districtCode', NEW.district_code, 'submissionId', NEW.id)::text;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER submissions_not_after_declaration BEFORE UPDATE OF state ON submissions
  FOR EACH ROW WHEN (NEW.state = 'applied' AND OLD.state IS DISTINCT FROM 'applied')
  EXECUTE FUNCTION guard_apply_after_declaration();

-- What keeps year y from being frozen, one row per obstacle (none: it may be frozen):
--   skipped    a year between the last frozen one and y is not frozen (subject: the first such year)
--   pending    an accepted package not applied (subject: submission id, name: district code)
--   no_survey  no national or land-use change survey of the year
--   open       a survey of the year not closed (subject: survey id, name: its title, state: its state)
--   district   a district with a baseline but neither an applied change package nor a
--              declaration of no change (subject: district code, name: district name)
CREATE FUNCTION freeze_blockers(y integer)
RETURNS TABLE (reason text, subject text, name text, state text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH day AS (SELECT make_date(y, 12, 31) AS d),
       year_surveys AS (
         SELECT s.* FROM surveys s WHERE s.year = y AND s.kind IN ('national', 'land_use_change')
       ),
       change_surveys AS (SELECT id FROM year_surveys WHERE kind = 'land_use_change'),
       with_baseline AS (
         SELECT DISTINCT b.district_code FROM submissions b JOIN surveys v ON v.id = b.survey_id, day
          WHERE b.state = 'applied' AND v.kind = 'national' AND v.time_point < day.d
       )
  SELECT 'skipped', (extract(year FROM frozen_through())::int + 1)::text, NULL, NULL
   WHERE extract(year FROM frozen_through())::int + 1 < y
  UNION ALL
  SELECT 'pending', s.id::text, s.district_code::text, s.state::text
    FROM submissions s JOIN surveys v ON v.id = s.survey_id, day
   WHERE s.state = 'accepted' AND v.time_point <= day.d
  UNION ALL
  SELECT 'no_survey', NULL, NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM year_surveys)
  UNION ALL
  SELECT 'open', s.id::text, s.title::text, s.state::text FROM year_surveys s WHERE s.state <> 'closed'
  UNION ALL
  SELECT 'district', a.code::text, a.name::text, NULL
    FROM with_baseline w JOIN admin_units a ON a.code = w.district_code
   WHERE EXISTS (SELECT 1 FROM change_surveys)
     AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.district_code = w.district_code AND s.state = 'applied' AND s.survey_id IN (SELECT id FROM change_surveys))
     AND NOT EXISTS (SELECT 1 FROM no_change_declarations n WHERE n.district_code = w.district_code AND n.survey_id IN (SELECT id FROM change_surveys))
  ORDER BY 1, 2
$$;

CREATE FUNCTION guard_snapshot_freezable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  blockers json;
BEGIN
  SELECT json_agg(json_build_object('reason', b.reason, 'subject', b.subject, 'name', b.name, 'state', b.state)) INTO blockers FROM freeze_blockers(NEW.year) b;
  IF blockers IS NOT NULL THEN
    RAISE EXCEPTION 'snapshot % cannot be frozen: %', NEW.year, blockers::text
      USING ERRCODE = 'LS151', DETAIL = json_build_object('year', NEW.year, 'blockers', blockers)::text;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER snapshots_freezable BEFORE INSERT ON snapshots
  FOR EACH ROW EXECUTE FUNCTION guard_snapshot_freezable();

-- Requests read the declarations of the districts they see, and a district operator declares for
-- its own district (the city administrator for any), always as itself.
GRANT SELECT, INSERT ON no_change_declarations TO lsp_app;
ALTER TABLE no_change_declarations ENABLE ROW LEVEL SECURITY;
CREATE POLICY no_change_declarations_read ON no_change_declarations FOR SELECT TO lsp_app
  USING ((SELECT actor_sees_all_districts()) OR district_code = (SELECT actor_district()));
CREATE POLICY no_change_declarations_insert ON no_change_declarations FOR INSERT TO lsp_app
  WITH CHECK (declared_by = (SELECT actor_user_id())
              AND ((SELECT actor_role()) = 'city_admin' OR ((SELECT actor_role()) = 'district_operator' AND district_code = (SELECT actor_district()))));
GRANT EXECUTE ON FUNCTION freeze_blockers(integer) TO lsp_app;
