-- Progress supervision (issue 14; 上海市土地调查实施办法 art. 15 监督检查, art. 16 进度通报).
--
-- A survey plan sets per-district deadlines for the steps of its packages (progress_deadlines);
-- districts report their progress on long surveys (progress_reports, kept whole); the city
-- issues 进度通报 (progress_bulletins), frozen at issue time; and every user has an inbox
-- (notifications) that decisions, returned packages, packages reaching the city, passed
-- deadlines and bulletins write to. Notices are written here, by triggers and owner functions,
-- so no path that takes a decision can forget to tell the people concerned.

-- How far along its way a package is: the order of the states a deadline may name. A returned,
-- failed or replaced package has reached nothing (its next round must start over).
CREATE FUNCTION submission_state_rank(state text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE state
    WHEN 'received' THEN 1 WHEN 'importing' THEN 1 WHEN 'imported' THEN 1 WHEN 'checking' THEN 1
    WHEN 'checked' THEN 2 WHEN 'preliminary_accepted' THEN 3 WHEN 'accepted' THEN 4
    WHEN 'filed' THEN 5 WHEN 'applied' THEN 6 ELSE 0 END
$$;

-- A deadline: by due_date the district's package of the survey has reached step (received: 汇交,
-- checked, preliminary_accepted, accepted, filed, applied). Set and changed by the city.
CREATE TABLE progress_deadlines (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  survey_id     uuid NOT NULL REFERENCES surveys(id),
  district_code varchar(6) NOT NULL REFERENCES admin_units(code),
  step          varchar(32) NOT NULL CHECK (submission_state_rank(step) > 0 AND step NOT IN ('importing', 'imported', 'checking')),
  due_date      date NOT NULL,
  note          varchar(500),
  set_by        uuid REFERENCES users(id),
  set_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (survey_id, district_code, step)
);

-- The step must be one this survey's packages can reach, and the district one of the survey's.
CREATE FUNCTION guard_progress_deadline() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_survey record;
BEGIN
  SELECT kind, scope, district_code INTO v_survey FROM surveys WHERE id = NEW.survey_id;
  IF NOT FOUND THEN
    RETURN NEW; -- the foreign key answers
  END IF;
  IF NEW.step <> 'received' AND NOT EXISTS (
       SELECT 1 FROM lifecycle_steps s WHERE s.object = 'submission' AND s.kind = v_survey.kind AND s.scope = v_survey.scope AND s.to_state = NEW.step) THEN
    RAISE EXCEPTION 'a % % survey''s packages never become %', v_survey.scope, v_survey.kind, NEW.step
      USING ERRCODE = 'LS170', DETAIL = json_build_object('reason', 'step', 'step', NEW.step,
        'allowed', (SELECT json_agg(DISTINCT s.to_state) FROM lifecycle_steps s
                     WHERE s.object = 'submission' AND s.kind = v_survey.kind AND s.scope = v_survey.scope
                       AND submission_state_rank(s.to_state) > 1))::text;
  END IF;
  IF v_survey.scope = 'district' AND NEW.district_code <> v_survey.district_code
     OR NOT EXISTS (SELECT 1 FROM admin_units a WHERE a.code = NEW.district_code AND a.level = 'district') THEN
    RAISE EXCEPTION 'district % is not one of survey %', NEW.district_code, NEW.survey_id
      USING ERRCODE = 'LS170', DETAIL = json_build_object('reason', 'district', 'districtCode', NEW.district_code)::text;
  END IF;
  NEW.set_at := now();
  RETURN NEW;
END
$$;
CREATE TRIGGER progress_deadlines_guard BEFORE INSERT OR UPDATE ON progress_deadlines
  FOR EACH ROW EXECUTE FUNCTION guard_progress_deadline();

GRANT SELECT, INSERT, UPDATE, DELETE ON progress_deadlines TO lsp_app;
ALTER TABLE progress_deadlines ENABLE ROW LEVEL SECURITY;
CREATE POLICY progress_deadlines_read ON progress_deadlines FOR SELECT TO lsp_app
  USING ((SELECT actor_sees_all_districts()) OR district_code = (SELECT actor_district()));
CREATE POLICY progress_deadlines_insert ON progress_deadlines FOR INSERT TO lsp_app
  WITH CHECK ((SELECT actor_role()) = 'city_admin' AND set_by = (SELECT actor_user_id()));
CREATE POLICY progress_deadlines_update ON progress_deadlines FOR UPDATE TO lsp_app
  USING ((SELECT actor_role()) = 'city_admin') WITH CHECK ((SELECT actor_role()) = 'city_admin' AND set_by = (SELECT actor_user_id()));
CREATE POLICY progress_deadlines_delete ON progress_deadlines FOR DELETE TO lsp_app
  USING ((SELECT actor_role()) = 'city_admin');

-- A district's own account of its progress (art. 16: 定期报告工作进展), never changed: the
-- history is the record.
CREATE TABLE progress_reports (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  survey_id     uuid NOT NULL REFERENCES surveys(id),
  district_code varchar(6) NOT NULL REFERENCES admin_units(code),
  percent       smallint NOT NULL CHECK (percent BETWEEN 0 AND 100),
  note          varchar(2000),
  reported_by   uuid NOT NULL REFERENCES users(id),
  reported_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX progress_reports_survey ON progress_reports (survey_id, district_code, reported_at);
CREATE TRIGGER progress_reports_append_only BEFORE UPDATE OR DELETE ON progress_reports
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

GRANT SELECT, INSERT ON progress_reports TO lsp_app;
ALTER TABLE progress_reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY progress_reports_read ON progress_reports FOR SELECT TO lsp_app
  USING ((SELECT actor_sees_all_districts()) OR district_code = (SELECT actor_district()));
CREATE POLICY progress_reports_insert ON progress_reports FOR INSERT TO lsp_app
  WITH CHECK ((SELECT actor_role()) IN ('district_operator', 'district_office')
              AND district_code = (SELECT actor_district()) AND reported_by = (SELECT actor_user_id()));

-- 进度通报: what the board said when it was issued (content, frozen), the districts behind and
-- those named for 重点督导, addressed to those districts and the city.
CREATE TABLE progress_bulletins (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  number              integer GENERATED ALWAYS AS IDENTITY UNIQUE,
  -- null: every survey with deadlines
  survey_id           uuid REFERENCES surveys(id),
  as_of               date NOT NULL,
  issued_how          varchar(16) NOT NULL CHECK (issued_how IN ('on_demand', 'scheduled')),
  issued_by           uuid REFERENCES users(id),
  issued_at           timestamptz NOT NULL DEFAULT now(),
  title               varchar(200) NOT NULL,
  content             jsonb NOT NULL,
  behind_districts    varchar(6)[] NOT NULL DEFAULT '{}',
  supervised_districts varchar(6)[] NOT NULL DEFAULT '{}',
  CHECK ((issued_how = 'on_demand') = (issued_by IS NOT NULL))
);
-- One scheduled bulletin a day: a timer that fires twice, or two servers, issue it once.
CREATE UNIQUE INDEX progress_bulletins_one_scheduled ON progress_bulletins (as_of) WHERE issued_how = 'scheduled' AND survey_id IS NULL;
CREATE TRIGGER progress_bulletins_append_only BEFORE UPDATE OR DELETE ON progress_bulletins
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Issued on demand by the city (as itself) or by the platform's schedule (as the owner).
GRANT SELECT, INSERT ON progress_bulletins TO lsp_app;
ALTER TABLE progress_bulletins ENABLE ROW LEVEL SECURITY;
CREATE POLICY progress_bulletins_issue ON progress_bulletins FOR INSERT TO lsp_app
  WITH CHECK ((SELECT actor_role()) IN ('city_admin', 'leading_group_office') AND issued_by = (SELECT actor_user_id()) AND issued_how = 'on_demand');
CREATE POLICY progress_bulletins_read ON progress_bulletins FOR SELECT TO lsp_app
  USING ((SELECT actor_sees_all_districts()) OR (SELECT actor_district()) = ANY (behind_districts));

-- The inbox. Written by the triggers and functions below (as the owner), read and marked read by
-- its user only.
CREATE TABLE notifications (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES users(id),
  -- decision: a decision on a district's package or survey; returned: a return for 整改;
  -- submitted: a package awaiting the city; deadline_passed; bulletin
  kind          varchar(20) NOT NULL CHECK (kind IN ('decision', 'returned', 'submitted', 'deadline_passed', 'bulletin')),
  title         varchar(300) NOT NULL,
  body          text,
  -- a notice outlives what it tells of: a withdrawn package leaves its notices, unlinked
  survey_id     uuid REFERENCES surveys(id) ON DELETE SET NULL,
  submission_id uuid REFERENCES submissions(id) ON DELETE SET NULL,
  decision_id   uuid REFERENCES decisions(id),
  deadline_id   uuid REFERENCES progress_deadlines(id) ON DELETE SET NULL,
  bulletin_id   uuid REFERENCES progress_bulletins(id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  read_at       timestamptz
);
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC);
-- A passed deadline is told once to each person (the check runs again and again).
CREATE UNIQUE INDEX notifications_deadline_once ON notifications (user_id, deadline_id) WHERE kind = 'deadline_passed';

GRANT SELECT ON notifications TO lsp_app;
GRANT UPDATE (read_at) ON notifications TO lsp_app;
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY notifications_own ON notifications FOR SELECT TO lsp_app
  USING (user_id = (SELECT actor_user_id()));
CREATE POLICY notifications_mark_read ON notifications FOR UPDATE TO lsp_app
  USING (user_id = (SELECT actor_user_id())) WITH CHECK (user_id = (SELECT actor_user_id()));

-- The people of a district who answer for its packages: its bureau's operators and its office.
CREATE FUNCTION district_staff(p_district varchar) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id FROM users WHERE district_code = p_district AND role IN ('district_operator', 'district_office') AND NOT disabled
$$;

-- A decision reaches the district it concerns: a return for 整改 with its requirements, any other
-- decision with its opinion. The decider is not told of their own decision.
CREATE FUNCTION notify_decision() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_survey record;
  v_label text;
  v_returned boolean := NEW.to_state = 'rejected';
  v_requirements text;
BEGIN
  IF NEW.district_code IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT id, kind, scope, title INTO v_survey FROM surveys WHERE id = NEW.survey_id;
  SELECT label_zh INTO v_label FROM lifecycle_steps
   WHERE object = NEW.object AND kind = v_survey.kind AND scope = v_survey.scope AND from_state = NEW.from_state AND action = NEW.action;
  SELECT string_agg(format('%s. %s', r.n, r.item ->> 'requirement'), E'\n' ORDER BY r.n) INTO v_requirements
    FROM jsonb_array_elements(coalesce(NEW.rectification::jsonb, '[]'::jsonb)) WITH ORDINALITY AS r(item, n);
  INSERT INTO notifications (user_id, kind, title, body, survey_id, submission_id, decision_id)
  SELECT u, CASE WHEN v_returned THEN 'returned' ELSE 'decision' END,
         left(format('%s：%s%s', v_survey.title, coalesce(v_label, NEW.action),
                     CASE WHEN NEW.round IS NOT NULL THEN format('（第 %s 轮）', NEW.round) ELSE '' END), 300),
         nullif(concat_ws(E'\n', CASE WHEN NEW.opinion IS NOT NULL THEN '审核意见：' || NEW.opinion END,
                          CASE WHEN v_requirements IS NOT NULL THEN E'整改要求：\n' || v_requirements END), ''),
         NEW.survey_id, NEW.submission_id, NEW.id
    FROM district_staff(NEW.district_code) u
   WHERE u <> NEW.decided_by;
  RETURN NULL;
END
$$;
CREATE TRIGGER decisions_notify AFTER INSERT ON decisions
  FOR EACH ROW EXECUTE FUNCTION notify_decision();

-- A package reaches the city when its next decision is the city's (checked in a survey the city
-- accepts, 初验 done, accepted by a district office for 备案): the city roles that take that
-- decision are told. Whatever moved it (the checks, a district office's decision), the state
-- change is the one place to see it.
CREATE FUNCTION notify_submission_to_city() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_survey record;
  v_roles text[];
  v_district text;
BEGIN
  SELECT id, kind, scope, title INTO v_survey FROM surveys WHERE id = NEW.survey_id;
  SELECT array_agg(DISTINCT r) INTO v_roles
    FROM lifecycle_steps s CROSS JOIN LATERAL unnest(s.roles) r
   WHERE s.object = 'submission' AND s.kind = v_survey.kind AND s.scope = v_survey.scope
     AND s.from_state = NEW.state::text AND s.decision AND s.level = 'city' AND s.to_state <> 'rejected';
  IF v_roles IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT name INTO v_district FROM admin_units WHERE code = NEW.district_code;
  INSERT INTO notifications (user_id, kind, title, body, survey_id, submission_id)
  SELECT u.id, 'submitted', left(format('%s：%s报送的成果待市级审核（第 %s 轮）', v_survey.title, v_district, NEW.round), 300),
         format('成果包 %s 已到 %s 状态，等待市级决定。', NEW.file_name, NEW.state), NEW.survey_id, NEW.id
    FROM users u
   WHERE u.district_code IS NULL AND u.role::text = ANY (v_roles) AND NOT u.disabled;
  RETURN NULL;
END
$$;
CREATE TRIGGER submissions_notify_city AFTER UPDATE OF state ON submissions
  FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM OLD.state) EXECUTE FUNCTION notify_submission_to_city();

-- The progress of every (survey, district) with a deadline or a package, as of a day: the step
-- its latest package has reached, its rounds, the next deadline it has not met and how many days
-- late it is, and its latest own report. Runs with the caller's rights: row-level security
-- leaves a district its own rows and the city all of them.
CREATE FUNCTION progress_board(p_as_of date, p_survey uuid DEFAULT NULL)
RETURNS TABLE (survey_id uuid, survey_title text, survey_kind text, district_code varchar, district_name text,
               reached text, submission_id uuid, rounds integer, next_step text, next_due date, days_late integer,
               deadlines json, percent integer, reported_at timestamptz)
LANGUAGE sql STABLE AS $$
  WITH pairs AS (
    SELECT d.survey_id, d.district_code FROM progress_deadlines d WHERE p_survey IS NULL OR d.survey_id = p_survey
    UNION
    SELECT s.survey_id, s.district_code FROM submissions s WHERE p_survey IS NULL OR s.survey_id = p_survey
  ),
  latest AS (
    SELECT DISTINCT ON (s.survey_id, s.district_code) s.survey_id, s.district_code, s.id, s.state::text AS state,
           max(s.round) OVER (PARTITION BY s.survey_id, s.district_code) AS rounds
      FROM submissions s
     WHERE s.state <> 'superseded' AND (p_survey IS NULL OR s.survey_id = p_survey)
     ORDER BY s.survey_id, s.district_code, s.round DESC, s.created_at DESC
  )
  SELECT p.survey_id, v.title::text, v.kind::text, p.district_code, a.name::text,
         l.state, l.id, coalesce(l.rounds, 0)::integer,
         n.step::text, n.due_date,
         CASE WHEN n.due_date < p_as_of THEN (p_as_of - n.due_date) ELSE 0 END,
         (SELECT json_agg(json_build_object('id', d.id, 'step', d.step, 'dueDate', d.due_date, 'met', submission_state_rank(coalesce(l.state, '')) >= submission_state_rank(d.step))
                          ORDER BY d.due_date, submission_state_rank(d.step))
            FROM progress_deadlines d WHERE d.survey_id = p.survey_id AND d.district_code = p.district_code),
         r.percent::integer, r.reported_at
    FROM pairs p
    JOIN surveys v ON v.id = p.survey_id
    JOIN admin_units a ON a.code = p.district_code
    LEFT JOIN latest l ON l.survey_id = p.survey_id AND l.district_code = p.district_code
    LEFT JOIN LATERAL (
      SELECT d.step, d.due_date FROM progress_deadlines d
       WHERE d.survey_id = p.survey_id AND d.district_code = p.district_code
         AND submission_state_rank(d.step) > submission_state_rank(coalesce(l.state, ''))
       ORDER BY d.due_date, submission_state_rank(d.step) LIMIT 1) n ON true
    LEFT JOIN LATERAL (
      SELECT r.percent, r.reported_at FROM progress_reports r
       WHERE r.survey_id = p.survey_id AND r.district_code = p.district_code
       ORDER BY r.reported_at DESC LIMIT 1) r ON true
   ORDER BY v.title, p.survey_id, p.district_code
$$;
GRANT EXECUTE ON FUNCTION progress_board(date, uuid) TO lsp_app;

-- Every deadline passed by p_as_of and not met is told, once, to the district's staff and the
-- city administrators. Run by the platform's schedule (server/modules/progress/schedule.ts).
CREATE FUNCTION notify_passed_deadlines(p_as_of date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_count integer;
BEGIN
  WITH passed AS (
    SELECT d.id, d.survey_id, d.district_code, d.step, d.due_date, v.title, a.name AS district_name
      FROM progress_deadlines d
      JOIN surveys v ON v.id = d.survey_id
      JOIN admin_units a ON a.code = d.district_code
     WHERE d.due_date < p_as_of
       AND NOT EXISTS (SELECT 1 FROM submissions s
                        WHERE s.survey_id = d.survey_id AND s.district_code = d.district_code AND s.state <> 'superseded'
                          AND submission_state_rank(s.state::text) >= submission_state_rank(d.step))
  ),
  told AS (
    INSERT INTO notifications (user_id, kind, title, body, survey_id, deadline_id)
    SELECT u.id, 'deadline_passed',
           left(format('%s：%s 未在 %s 前达到“%s”', p.title, p.district_name, p.due_date, p.step), 300),
           format('截止日期 %s 已过，%s 的成果尚未达到要求的环节。', p.due_date, p.district_name), p.survey_id, p.id
      FROM passed p
      JOIN users u ON NOT u.disabled AND (u.id IN (SELECT district_staff(p.district_code)) OR u.role = 'city_admin')
    ON CONFLICT (user_id, deadline_id) WHERE kind = 'deadline_passed' DO NOTHING
    RETURNING 1
  )
  SELECT count(*) INTO v_count FROM told;
  RETURN v_count;
END
$$;

-- A bulletin in the inboxes of its addressees: the districts behind and the city's supervisors.
CREATE FUNCTION notify_bulletin() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO notifications (user_id, kind, title, body, survey_id, bulletin_id)
  SELECT u.id, 'bulletin', NEW.title,
         CASE WHEN cardinality(NEW.supervised_districts) > 0
              THEN '重点督导：' || (SELECT string_agg(a.name, '、' ORDER BY a.code) FROM admin_units a WHERE a.code = ANY (NEW.supervised_districts))
              ELSE '各区进度均未滞后。' END,
         NEW.survey_id, NEW.id
    FROM users u
   WHERE NOT u.disabled
     AND (u.role IN ('city_admin', 'city_auditor', 'leading_group_office')
          OR (u.role IN ('district_operator', 'district_office') AND u.district_code = ANY (NEW.behind_districts)));
  RETURN NULL;
END
$$;
CREATE TRIGGER progress_bulletins_notify AFTER INSERT ON progress_bulletins
  FOR EACH ROW EXECUTE FUNCTION notify_bulletin();

-- Owner-only: who the staff of a district are, and the deadline round, are not a request's to
-- call (the triggers and the platform's round run as the owner).
REVOKE EXECUTE ON FUNCTION district_staff(varchar) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION notify_passed_deadlines(date) FROM PUBLIC;
