-- The lives of surveys and submissions (issue 14), held by the database.
--
-- lifecycle_steps lists every allowed move, per survey kind and scope: from which state, by which
-- action, to which state, by whom (roles, at city level or in the object's own district), whether
-- it is a recorded decision and what it needs. server/modules/submissions reads this table to
-- offer the next steps and to check an actor before it writes; triggers on submissions and
-- surveys read the same table to refuse any other change of state, whoever makes it, owners
-- included. A decision step moves the state only together with its decision row (decisions),
-- written in the same transaction, whose own trigger checks the decider against the step.
-- Articles: 上海市土地调查实施办法 (../shared/domain/shanghai-land-survey-measures-2012.txt).

CREATE TABLE lifecycle_steps (
  object      varchar(16) NOT NULL CHECK (object IN ('submission', 'survey')),
  kind        survey_kind NOT NULL,
  scope       survey_scope NOT NULL,
  from_state  varchar(32) NOT NULL,
  action      varchar(32) NOT NULL,
  to_state    varchar(32) NOT NULL,
  -- who may take the step; empty: the platform itself (import, checks), running as the owner
  roles       text[] NOT NULL DEFAULT '{}',
  -- 'city': an actor of no district; 'district': an actor of the object's district;
  -- 'own': a city actor, or a district actor of the object's district
  level       varchar(8) NOT NULL DEFAULT 'city' CHECK (level IN ('city', 'district', 'own')),
  decision    boolean NOT NULL DEFAULT false,
  -- what the step needs: document (文号 and date of the approval or acceptance document),
  -- rectification (整改要求, for a return), frozen (the survey's day is in a frozen snapshot),
  -- settled (no package of the survey still on its way), city_published (the city published first)
  needs       text[] NOT NULL DEFAULT '{}',
  label_zh    varchar(40) NOT NULL,
  label_en    varchar(60) NOT NULL,
  article     varchar(40),
  PRIMARY KEY (object, kind, scope, from_state, action)
);
CREATE TRIGGER lifecycle_steps_append_only BEFORE UPDATE OR DELETE ON lifecycle_steps
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- The platform's own steps of a submission, the same for every kind: import and checks.
INSERT INTO lifecycle_steps (object, kind, scope, from_state, action, to_state, label_zh, label_en, article)
SELECT 'submission', k, s, f, a, t, zh, en, '第二十一条'
  FROM unnest(enum_range(NULL::survey_kind)) k, unnest(enum_range(NULL::survey_scope)) s,
       (VALUES ('received', 'import_start', 'importing', '开始导入', 'import started'),
               ('received', 'import_fail', 'failed', '导入失败', 'import failed'),
               ('importing', 'import_done', 'imported', '导入完成', 'imported'),
               ('importing', 'import_fail', 'failed', '导入失败', 'import failed'),
               ('imported', 'check_start', 'checking', '开始质检', 'check started'),
               ('checked', 'check_start', 'checking', '重新质检', 'checked again'),
               ('rejected', 'check_start', 'checking', '重新质检', 'checked again'),
               ('checking', 'check_pass', 'checked', '质检通过', 'passed its checks'),
               ('checking', 'check_block', 'rejected', '质检未通过', 'blocking findings'),
               ('checking', 'check_abort', 'imported', '质检中断', 'check interrupted'),
               ('imported', 'supersede', 'superseded', '被新成果替代', 'superseded'),
               ('checked', 'supersede', 'superseded', '被新成果替代', 'superseded'),
               ('rejected', 'supersede', 'superseded', '被新成果替代', 'superseded')) AS v(f, a, t, zh, en);
-- Sending a file again whose check failed (the engine, not the data): the district's upload
-- retires the earlier submission of that file (server/modules/ingest/submission-repository.ts).
INSERT INTO lifecycle_steps (object, kind, scope, from_state, action, to_state, roles, level, label_zh, label_en, article)
SELECT 'submission', k, s, 'imported', 'resend', 'superseded', ARRAY['city_admin', 'district_operator'], 'own', '重新上传替代', 'replaced by sending the file again', '第二十条'
  FROM unnest(enum_range(NULL::survey_kind)) k, unnest(enum_range(NULL::survey_scope)) s;

-- The decisions on a submission, by kind (art. 22 验收; art. 13 变更; art. 14 专项).
INSERT INTO lifecycle_steps (object, kind, scope, from_state, action, to_state, roles, level, decision, needs, label_zh, label_en, article)
-- 全国土地调查, 土地利用变更调查, 地籍变更调查: the city accepts, or returns for 整改; then it is applied.
SELECT 'submission', k, s, f, a, t, r, l, d, n, zh, en, art
  FROM unnest(ARRAY['national', 'land_use_change', 'cadastral_change']::survey_kind[]) k, unnest(enum_range(NULL::survey_scope)) s,
       (VALUES ('checked', 'accept', 'accepted', ARRAY['city_admin', 'city_auditor'], 'city', true, ARRAY[]::text[], '验收通过', 'accepted', '第二十二条'),
               ('checked', 'return', 'rejected', ARRAY['city_admin', 'city_auditor'], 'city', true, ARRAY['rectification'], '退回整改', 'returned for correction', '第二十二条'),
               ('accepted', 'return', 'rejected', ARRAY['city_admin', 'city_auditor'], 'city', true, ARRAY['rectification'], '退回整改', 'returned for correction', '第二十二条'),
               ('accepted', 'apply', 'applied', ARRAY['city_admin', 'district_operator'], 'own', false, ARRAY[]::text[], '入库', 'applied', '第二十三条'))
       AS v(f, a, t, r, l, d, n, zh, en, art)
UNION ALL
-- 全市土地专项调查: the district office 初步验收, then the city office 最终验收.
SELECT 'submission', 'special', 'city', f, a, t, r, l, d, n, zh, en, '第二十二条'
  FROM (VALUES ('checked', 'preliminary_accept', 'preliminary_accepted', ARRAY['district_office'], 'district', true, ARRAY[]::text[], '初步验收合格', 'preliminarily accepted'),
               ('checked', 'return', 'rejected', ARRAY['district_office'], 'district', true, ARRAY['rectification'], '初验不合格，退回整改', 'returned at preliminary acceptance'),
               ('preliminary_accepted', 'accept', 'accepted', ARRAY['leading_group_office'], 'city', true, ARRAY[]::text[], '最终验收通过', 'finally accepted'),
               ('preliminary_accepted', 'return', 'rejected', ARRAY['leading_group_office'], 'city', true, ARRAY['rectification'], '终验不合格，退回整改', 'returned at final acceptance'),
               ('accepted', 'apply', 'applied', ARRAY['city_admin'], 'city', false, ARRAY[]::text[], '入库', 'applied'))
       AS v(f, a, t, r, l, d, n, zh, en)
UNION ALL
-- 区(县)土地专项调查: the district office 验收, then 备案 with the city office, which may object.
SELECT 'submission', 'special', 'district', f, a, t, r, l, d, n, zh, en, '第二十二条'
  FROM (VALUES ('checked', 'accept', 'accepted', ARRAY['district_office'], 'district', true, ARRAY[]::text[], '区办验收通过', 'accepted by the district office'),
               ('checked', 'return', 'rejected', ARRAY['district_office'], 'district', true, ARRAY['rectification'], '验收不合格，退回整改', 'returned for correction'),
               ('accepted', 'file', 'filed', ARRAY['leading_group_office'], 'city', true, ARRAY[]::text[], '市办备案', 'filed with the city office'),
               ('accepted', 'object', 'rejected', ARRAY['leading_group_office'], 'city', true, ARRAY['rectification'], '备案有异议，退回整改', 'objected to at filing'),
               ('filed', 'apply', 'applied', ARRAY['city_admin', 'district_operator'], 'own', false, ARRAY[]::text[], '入库', 'applied'))
       AS v(f, a, t, r, l, d, n, zh, en);

-- The life of a survey (art. 12-14 its plan, 22 closing, 24 approval and publication).
INSERT INTO lifecycle_steps (object, kind, scope, from_state, action, to_state, roles, level, decision, needs, label_zh, label_en, article)
-- Opening and closing collection: the city for city surveys, the district bureau for its own.
SELECT 'survey', k, s, f, a, t,
       CASE WHEN s = 'city' THEN ARRAY['city_admin'] ELSE ARRAY['city_admin', 'district_operator'] END,
       CASE WHEN s = 'city' THEN 'city' ELSE 'own' END, true, ARRAY[]::text[], zh, en, art
  FROM unnest(enum_range(NULL::survey_kind)) k, unnest(enum_range(NULL::survey_scope)) s,
       (VALUES ('planned', 'open', 'collecting', '开始汇交', 'collection opened', '第二十条'),
               ('planned', 'close', 'closed', '结束汇交', 'collection closed', '第二十条'),
               ('collecting', 'close', 'closed', '结束汇交', 'collection closed', '第二十条')) AS v(f, a, t, zh, en, art)
 WHERE NOT (k = 'special' AND a = 'open')
UNION ALL
-- Special surveys open only on their plan: the city leading group approves it, or the district
-- leading group decides it and files it with the city office (art. 14).
SELECT 'survey', 'special', 'city', 'planned', 'approve_plan', 'collecting', ARRAY['leading_group_office'], 'city', true, ARRAY['document'],
       '市领导小组审议通过计划', 'plan approved by the city leading group', '第十四条'
UNION ALL
SELECT 'survey', 'special', 'district', 'planned', 'file_plan', 'collecting', ARRAY['district_office'], 'district', true, ARRAY['document'],
       '区领导小组决定并报市办备案', 'plan decided and filed with the city office', '第十四条'
UNION ALL
SELECT 'survey', 'special', 'district', s, 'receive_plan', s, ARRAY['leading_group_office'], 'city', true, ARRAY[]::text[],
       '市办收到计划备案', 'plan filing received by the city office', '第十四条'
  FROM unnest(ARRAY['collecting', 'closed']) s
UNION ALL
-- Approval by the government at the survey's level (art. 24): the State Council for the national
-- survey, the city or district government for a change survey, the city or district government
-- for a special survey, recorded with its document. A yearly result is approved once frozen.
SELECT 'survey', k, s, 'closed', 'approve', 'approved', r, l, true, n, zh, en, '第二十四条'
  FROM (VALUES ('national'::survey_kind, 'city'::survey_scope, ARRAY['city_admin', 'leading_group_office'], 'city', ARRAY['document', 'frozen'], '国务院批准', 'approved by the State Council'),
               ('land_use_change', 'city', ARRAY['city_admin', 'leading_group_office'], 'city', ARRAY['document', 'frozen'], '市政府批准', 'approved by the city government'),
               ('land_use_change', 'district', ARRAY['district_office', 'district_operator'], 'district', ARRAY['document', 'frozen'], '区政府批准', 'approved by the district government'),
               ('special', 'city', ARRAY['city_admin', 'leading_group_office'], 'city', ARRAY['document', 'settled'], '市政府批准', 'approved by the city government'),
               ('special', 'district', ARRAY['district_office'], 'district', ARRAY['document', 'settled'], '区政府批准', 'approved by the district government'))
       AS v(k, s, r, l, n, zh, en)
UNION ALL
-- Publication (公布) by the bureau of the survey's level, and its withdrawal; the national
-- survey's results are published by the city, then by each district (依次公布).
SELECT 'survey', k, s, f, a, t, r, l, true, n, zh, en, '第二十四条'
  FROM (VALUES ('national'::survey_kind, 'city'::survey_scope, 'approved', 'publish', 'published', ARRAY['city_admin'], 'city', ARRAY[]::text[], '市级公布', 'published by the city'),
               ('national', 'city', 'published', 'publish_district', 'published', ARRAY['district_operator'], 'district', ARRAY['city_published'], '区级依次公布', 'published by a district after the city'),
               ('national', 'city', 'published', 'withdraw_district', 'published', ARRAY['city_admin', 'district_operator'], 'own', ARRAY[]::text[], '撤回区级公布', 'a district publication withdrawn'),
               ('national', 'city', 'published', 'withdraw', 'approved', ARRAY['city_admin'], 'city', ARRAY[]::text[], '撤回公布', 'publication withdrawn'),
               ('land_use_change', 'city', 'approved', 'publish', 'published', ARRAY['city_admin'], 'city', ARRAY[]::text[], '市局公布', 'published by the city bureau'),
               ('land_use_change', 'city', 'published', 'withdraw', 'approved', ARRAY['city_admin'], 'city', ARRAY[]::text[], '撤回公布', 'publication withdrawn'),
               ('land_use_change', 'district', 'approved', 'publish', 'published', ARRAY['district_operator'], 'district', ARRAY[]::text[], '区局公布', 'published by the district bureau'),
               ('land_use_change', 'district', 'published', 'withdraw', 'approved', ARRAY['district_operator', 'city_admin'], 'own', ARRAY[]::text[], '撤回公布', 'publication withdrawn'),
               ('special', 'city', 'approved', 'publish', 'published', ARRAY['city_admin'], 'city', ARRAY[]::text[], '市局公布', 'published by the city bureau'),
               ('special', 'city', 'published', 'withdraw', 'approved', ARRAY['city_admin'], 'city', ARRAY[]::text[], '撤回公布', 'publication withdrawn'),
               ('special', 'district', 'approved', 'publish', 'published', ARRAY['district_operator'], 'district', ARRAY[]::text[], '区局公布', 'published by the district bureau'),
               ('special', 'district', 'published', 'withdraw', 'approved', ARRAY['district_operator', 'city_admin'], 'own', ARRAY[]::text[], '撤回公布', 'publication withdrawn'))
       AS v(k, s, f, a, t, r, l, n, zh, en);

GRANT SELECT ON lifecycle_steps TO lsp_app;

-- Correction rounds: a package sent after a rejection is the next round and names the one it
-- corrects; every round stays on record.
ALTER TABLE submissions
  ADD COLUMN round smallint NOT NULL DEFAULT 1 CHECK (round >= 1),
  ADD COLUMN corrects_submission_id uuid REFERENCES submissions(id);

-- A district leading-group office belongs to its district.
ALTER TABLE users ADD CONSTRAINT users_district_office_has_district
  CHECK (role <> 'district_office' OR district_code IS NOT NULL);

-- Files attached to decisions (验收报告, 批准文件: PDF or images), archived under their SHA-256
-- like uploads (art. 27).
CREATE TABLE attachments (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  sha256       char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  file_name    varchar(255) NOT NULL,
  media_type   varchar(64) NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg')),
  size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
  archive_path varchar(500) NOT NULL,
  uploaded_by  uuid NOT NULL REFERENCES users(id),
  uploaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER attachments_append_only BEFORE UPDATE OR DELETE ON attachments
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Every decision (审核意见) on a submission or a survey: never changed or removed (谁审核、谁负责).
CREATE TABLE decisions (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  object               varchar(16) NOT NULL CHECK (object IN ('submission', 'survey')),
  survey_id            uuid NOT NULL REFERENCES surveys(id),
  submission_id        uuid REFERENCES submissions(id),
  -- the district the decision concerns (a submission's, a district survey's, a district's publication)
  district_code        varchar(6) REFERENCES admin_units(code),
  round                smallint,
  action               varchar(32) NOT NULL,
  from_state           varchar(32) NOT NULL,
  to_state             varchar(32) NOT NULL,
  decided_by           uuid NOT NULL REFERENCES users(id),
  decider_role         varchar(32) NOT NULL,
  decider_organisation uuid REFERENCES organisations(id),
  decided_at           timestamptz NOT NULL DEFAULT now(),
  -- the transaction that wrote it: a state moves only with a decision of its own transaction
  written_in           bigint NOT NULL DEFAULT txid_current(),
  opinion              varchar(4000),
  -- 整改要求: [{"requirement": "...", "findings": [finding numbers]}]
  rectification        jsonb,
  -- the document decided under: {"number": "国土调查函〔2021〕12号", "date": "2021-06-30", "issuer": "..."}
  document             jsonb,
  attachment_ids       uuid[] NOT NULL DEFAULT '{}',
  detail               jsonb,
  CHECK ((object = 'submission') = (submission_id IS NOT NULL))
);
CREATE INDEX decisions_submission ON decisions (submission_id, decided_at);
CREATE INDEX decisions_survey ON decisions (survey_id, decided_at);
CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Whether the current user is the owner of the platform's tables (system work: import, checks,
-- the seed), not a request.
CREATE FUNCTION acting_as_owner() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'public.submissions'::regclass), 'USAGE')
$$;

-- The steps open from a state, as JSON for error details: [{"action": …, "to": …, "roles": […]}].
CREATE FUNCTION lifecycle_next_steps(p_object text, p_kind survey_kind, p_scope survey_scope, p_state text) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT coalesce(json_agg(json_build_object('action', action, 'to', to_state, 'roles', roles, 'label', label_zh) ORDER BY action), '[]'::json)
    FROM lifecycle_steps WHERE object = p_object AND kind = p_kind AND scope = p_scope AND from_state = p_state
$$;

-- A decision is checked against its step: the object is in the step's from-state, the decider
-- holds one of its roles at its level, is not who uploaded the package (谁审核、谁负责), and gave
-- what the step needs. Requests decide only as themselves; the platform (owner) names the
-- signed-in user it acts for, and that user's role and district are read here, not taken on trust.
CREATE FUNCTION guard_decision() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_survey record;
  v_submission record;
  v_step record;
  v_user record;
  v_state text;
  v_district varchar(6);
BEGIN
  SELECT * INTO v_survey FROM surveys WHERE id = NEW.survey_id;
  IF NEW.object = 'submission' THEN
    SELECT * INTO v_submission FROM submissions WHERE id = NEW.submission_id;
    IF NOT FOUND OR v_submission.survey_id <> NEW.survey_id THEN
      RAISE EXCEPTION 'submission % is not of survey %', NEW.submission_id, NEW.survey_id USING ERRCODE = 'LS160';
    END IF;
    v_state := v_submission.state::text;
    v_district := v_submission.district_code;
    NEW.round := v_submission.round;
  ELSE
    v_state := v_survey.state::text;
    v_district := coalesce(NEW.district_code, v_survey.district_code);
  END IF;
  NEW.district_code := v_district;
  SELECT * INTO v_step FROM lifecycle_steps s
   WHERE s.object = NEW.object AND s.kind = v_survey.kind AND s.scope = v_survey.scope AND s.from_state = v_state AND s.action = NEW.action;
  IF NOT FOUND OR NOT v_step.decision THEN
    RAISE EXCEPTION '% % is %: no decision "%" from there', NEW.object, coalesce(NEW.submission_id, NEW.survey_id), v_state, NEW.action
      USING ERRCODE = 'LS160', DETAIL = json_build_object('state', v_state, 'action', NEW.action,
        'allowed', lifecycle_next_steps(NEW.object, v_survey.kind, v_survey.scope, v_state))::text;
  END IF;
  IF NEW.from_state IS DISTINCT FROM v_state OR NEW.to_state IS DISTINCT FROM v_step.to_state THEN
    RAISE EXCEPTION 'decision % of % says % -> %, the step is % -> %', NEW.action, coalesce(NEW.submission_id, NEW.survey_id),
      NEW.from_state, NEW.to_state, v_state, v_step.to_state USING ERRCODE = 'LS160';
  END IF;
  IF NOT acting_as_owner() AND NEW.decided_by IS DISTINCT FROM actor_user_id() THEN
    RAISE EXCEPTION 'a decision is recorded only by its decider' USING ERRCODE = '42501';
  END IF;
  SELECT u.id, u.role::text AS role, u.district_code, u.organisation_id, u.disabled INTO v_user FROM users u WHERE u.id = NEW.decided_by;
  IF NOT FOUND OR v_user.disabled OR NOT (v_user.role = ANY (v_step.roles))
     OR (v_step.level = 'city' AND v_user.district_code IS NOT NULL)
     OR (v_step.level = 'district' AND v_user.district_code IS DISTINCT FROM v_district)
     OR (v_step.level = 'own' AND v_user.district_code IS NOT NULL AND v_user.district_code IS DISTINCT FROM v_district) THEN
    RAISE EXCEPTION 'user % (%, district %) may not take step "%" of % %', NEW.decided_by, coalesce(v_user.role, 'unknown'),
      coalesce(v_user.district_code, 'none'), NEW.action, NEW.object, coalesce(NEW.submission_id, NEW.survey_id)
      USING ERRCODE = 'LS161', DETAIL = json_build_object('state', v_state, 'action', NEW.action, 'roles', v_step.roles, 'level', v_step.level,
        'districtCode', v_district, 'allowed', lifecycle_next_steps(NEW.object, v_survey.kind, v_survey.scope, v_state))::text;
  END IF;
  -- Nested: PL/pgSQL evaluates both sides of AND, and v_submission is unassigned for a survey.
  IF NEW.object = 'submission' THEN
    IF v_submission.uploaded_by = NEW.decided_by THEN
      RAISE EXCEPTION 'user % uploaded submission % and cannot decide on it', NEW.decided_by, NEW.submission_id
        USING ERRCODE = 'LS162', DETAIL = json_build_object('state', v_state, 'action', NEW.action)::text;
    END IF;
  END IF;
  IF 'rectification' = ANY (v_step.needs) AND (NEW.rectification IS NULL OR jsonb_typeof(NEW.rectification) <> 'array' OR jsonb_array_length(NEW.rectification) = 0) THEN
    RAISE EXCEPTION 'step "%" needs the rectification requirements (整改要求)', NEW.action
      USING ERRCODE = 'LS163', DETAIL = json_build_object('needs', 'rectification', 'action', NEW.action)::text;
  END IF;
  IF 'document' = ANY (v_step.needs) AND (NEW.document IS NULL OR coalesce(NEW.document ->> 'number', '') = '' OR coalesce(NEW.document ->> 'date', '') = '') THEN
    RAISE EXCEPTION 'step "%" needs the document number and date', NEW.action
      USING ERRCODE = 'LS163', DETAIL = json_build_object('needs', 'document', 'action', NEW.action)::text;
  END IF;
  IF 'frozen' = ANY (v_step.needs) AND (frozen_through() IS NULL OR v_survey.time_point > frozen_through()) THEN
    RAISE EXCEPTION 'survey % describes %, which is not frozen yet', NEW.survey_id, v_survey.time_point
      USING ERRCODE = 'LS163', DETAIL = json_build_object('needs', 'frozen', 'action', NEW.action, 'timePoint', v_survey.time_point)::text;
  END IF;
  IF 'settled' = ANY (v_step.needs) AND EXISTS (
       SELECT 1 FROM submissions s WHERE s.survey_id = NEW.survey_id
          AND s.state NOT IN ('accepted', 'filed', 'applied', 'failed', 'superseded', 'rejected')) THEN
    RAISE EXCEPTION 'survey % still has packages on their way', NEW.survey_id
      USING ERRCODE = 'LS163', DETAIL = json_build_object('needs', 'settled', 'action', NEW.action)::text;
  END IF;
  IF 'city_published' = ANY (v_step.needs) AND NOT EXISTS (
       SELECT 1 FROM publications p WHERE p.survey_id = NEW.survey_id AND p.district_code IS NULL AND p.withdrawn_at IS NULL) THEN
    RAISE EXCEPTION 'survey % is not published by the city yet', NEW.survey_id
      USING ERRCODE = 'LS163', DETAIL = json_build_object('needs', 'city_published', 'action', NEW.action)::text;
  END IF;
  NEW.decider_role := v_user.role;
  NEW.decider_organisation := v_user.organisation_id;
  NEW.decided_at := now();
  NEW.written_in := txid_current();
  RETURN NEW;
END
$$;

-- A change of state is a step of the table, taken by the platform (its own steps) or with a
-- decision of the same transaction (decision steps); anything else is refused with the allowed
-- next steps.
CREATE FUNCTION guard_lifecycle_move() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_object text := CASE TG_TABLE_NAME WHEN 'submissions' THEN 'submission' ELSE 'survey' END;
  v_kind survey_kind;
  v_scope survey_scope;
  v_step record;
BEGIN
  IF v_object = 'submission' THEN
    SELECT kind, scope INTO v_kind, v_scope FROM surveys WHERE id = NEW.survey_id;
  ELSE
    v_kind := NEW.kind;
    v_scope := NEW.scope;
  END IF;
  SELECT * INTO v_step FROM lifecycle_steps s
   WHERE s.object = v_object AND s.kind = v_kind AND s.scope = v_scope AND s.from_state = OLD.state::text AND s.to_state = NEW.state::text
   ORDER BY s.decision LIMIT 1;
  IF NOT FOUND THEN
    RAISE EXCEPTION '% % is %: it cannot become %', v_object, NEW.id, OLD.state, NEW.state
      USING ERRCODE = 'LS160', DETAIL = json_build_object('state', OLD.state, 'to', NEW.state,
        'allowed', lifecycle_next_steps(v_object, v_kind, v_scope, OLD.state::text))::text;
  END IF;
  IF NOT v_step.decision THEN
    IF cardinality(v_step.roles) = 0 AND NOT acting_as_owner() THEN
      RAISE EXCEPTION '% % becomes % only by the platform''s own step "%"', v_object, NEW.id, NEW.state, v_step.action
        USING ERRCODE = 'LS161', DETAIL = json_build_object('state', OLD.state, 'action', v_step.action)::text;
    END IF;
    RETURN NEW;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM decisions d
                  WHERE d.written_in = txid_current() AND d.object = v_object
                    AND (CASE WHEN v_object = 'submission' THEN d.submission_id = NEW.id ELSE d.survey_id = NEW.id AND d.submission_id IS NULL END)
                    AND d.from_state = OLD.state::text AND d.to_state = NEW.state::text) THEN
    RAISE EXCEPTION '% % becomes % only with a recorded decision', v_object, NEW.id, NEW.state
      USING ERRCODE = 'LS160', DETAIL = json_build_object('state', OLD.state, 'to', NEW.state, 'needs', 'decision',
        'allowed', lifecycle_next_steps(v_object, v_kind, v_scope, OLD.state::text))::text;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER submissions_lifecycle BEFORE UPDATE OF state ON submissions
  FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM OLD.state) EXECUTE FUNCTION guard_lifecycle_move();
CREATE TRIGGER surveys_lifecycle BEFORE UPDATE OF state ON surveys
  FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM OLD.state) EXECUTE FUNCTION guard_lifecycle_move();

-- A submission begins as received, in a survey that takes packages: not closed or beyond, and a
-- special survey only once its plan is approved or filed (art. 14). Before this only the upload
-- route asked (SURVEY_CLOSED).
CREATE FUNCTION guard_submission_start() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_survey record;
BEGIN
  SELECT kind, state INTO v_survey FROM surveys WHERE id = NEW.survey_id;
  IF NEW.state <> 'received' THEN
    RAISE EXCEPTION 'a submission begins as received, not %', NEW.state USING ERRCODE = 'LS160',
      DETAIL = json_build_object('state', NEW.state, 'allowed', '[]'::json)::text;
  END IF;
  IF v_survey.state NOT IN ('planned', 'collecting') OR (v_survey.kind = 'special' AND v_survey.state <> 'collecting') THEN
    RAISE EXCEPTION 'survey % is % and takes no packages', NEW.survey_id, v_survey.state
      USING ERRCODE = 'LS164', DETAIL = json_build_object('surveyId', NEW.survey_id, 'state', v_survey.state, 'kind', v_survey.kind)::text;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER submissions_start BEFORE INSERT ON submissions
  FOR EACH ROW EXECUTE FUNCTION guard_submission_start();

-- A survey begins planned; one that needs no plan decision may begin collecting at once.
CREATE FUNCTION guard_survey_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT (NEW.state = 'planned' OR (NEW.state = 'collecting' AND NEW.kind <> 'special')) THEN
    RAISE EXCEPTION 'a % survey begins planned%, not %', NEW.kind, CASE WHEN NEW.kind = 'special' THEN '' ELSE ' or collecting' END, NEW.state
      USING ERRCODE = 'LS160', DETAIL = json_build_object('state', NEW.state, 'allowed', '[]'::json)::text;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER surveys_start BEFORE INSERT ON surveys
  FOR EACH ROW EXECUTE FUNCTION guard_survey_start();

-- 公布: what was published (survey, day, layers, fields; the whole city or one district), by whom,
-- under which approval. A publication is withdrawn once, by a decision; it is never removed.
CREATE TABLE publications (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  survey_id            uuid NOT NULL REFERENCES surveys(id),
  -- null: published by the city for the whole city; else by (and for) one district
  district_code        varchar(6) REFERENCES admin_units(code),
  day                  date NOT NULL,
  layers               text[] NOT NULL CHECK (cardinality(layers) > 0 AND layers <@ ARRAY['land_use', 'basic_farmland']),
  fields               text[] NOT NULL DEFAULT '{}',
  decision_id          uuid NOT NULL REFERENCES decisions(id),
  approval_decision_id uuid NOT NULL REFERENCES decisions(id),
  published_by         uuid NOT NULL REFERENCES users(id),
  published_at         timestamptz NOT NULL DEFAULT now(),
  withdrawn_decision_id uuid REFERENCES decisions(id),
  withdrawn_at         timestamptz
);
CREATE UNIQUE INDEX publications_one_active ON publications (survey_id, coalesce(district_code, '')) WHERE withdrawn_at IS NULL;

-- Only the withdrawal may be written, once.
CREATE FUNCTION guard_publication_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.withdrawn_at IS NOT NULL OR NEW.withdrawn_decision_id IS NULL
     OR ROW(NEW.id, NEW.survey_id, NEW.district_code, NEW.day, NEW.layers, NEW.fields, NEW.decision_id, NEW.approval_decision_id, NEW.published_by, NEW.published_at)
        IS DISTINCT FROM ROW(OLD.id, OLD.survey_id, OLD.district_code, OLD.day, OLD.layers, OLD.fields, OLD.decision_id, OLD.approval_decision_id, OLD.published_by, OLD.published_at) THEN
    RAISE EXCEPTION 'a publication is only ever withdrawn, once' USING ERRCODE = 'LS001';
  END IF;
  NEW.withdrawn_at := now();
  RETURN NEW;
END
$$;
CREATE TRIGGER publications_withdraw_only BEFORE UPDATE OR DELETE ON publications
  FOR EACH ROW EXECUTE FUNCTION guard_publication_change();

-- Which parcels the public reads: the versions valid on a published day of a 公开 survey, in the
-- districts the publication covers (a city publication: every district). The national survey's
-- districts publish after the city (依次公布): their publications are recorded acts of their
-- own; what the public reads begins with the city's. The view runs with its owner's rights, so
-- policies may consult it for any caller.
CREATE VIEW published_parcel_days AS
SELECT DISTINCT l.layer, coalesce(p.district_code, a.code)::varchar(6) AS district_code, p.day
  FROM publications p
  JOIN surveys s ON s.id = p.survey_id
 CROSS JOIN LATERAL unnest(p.layers) AS l(layer)
  LEFT JOIN admin_units a ON p.district_code IS NULL AND a.level = 'district'
 WHERE p.withdrawn_at IS NULL AND s.secrecy = 'public'
   AND coalesce(p.district_code, a.code) IS NOT NULL;

-- The days whose city-wide statistics are public: a city publication of a 公开 survey.
CREATE VIEW published_statistics_days AS
SELECT DISTINCT p.day FROM publications p JOIN surveys s ON s.id = p.survey_id
 WHERE p.withdrawn_at IS NULL AND p.district_code IS NULL AND s.secrecy = 'public';

GRANT SELECT ON published_parcel_days, published_statistics_days TO lsp_app;

-- Everyone (anonymous visitors too) reads the published versions, whatever else their role
-- allows. This replaces the public policies of migrations/0010, which admitted every version a
-- published survey's packages ever wrote, whatever its day, and only to anonymous visitors.
DROP POLICY land_use_parcels_public_read ON land_use_parcels;
DROP POLICY basic_farmland_parcels_public_read ON basic_farmland_parcels;
DO $$
DECLARE
  t text;
  l text;
BEGIN
  FOR t, l IN VALUES ('land_use_parcels', 'land_use'), ('basic_farmland_parcels', 'basic_farmland') LOOP
    EXECUTE format($p$CREATE POLICY %1$s_published ON %1$I FOR SELECT TO lsp_app
      USING (EXISTS (SELECT 1 FROM published_parcel_days d
                      WHERE d.layer = %2$L AND d.district_code = %1$I.district_code
                        AND d.day >= %1$I.valid_from AND (%1$I.valid_to IS NULL OR d.day < %1$I.valid_to)))$p$, t, l);
  END LOOP;
END
$$;
-- The same rule for the owner functions that find tile keys through the spatial index (0010).
CREATE OR REPLACE FUNCTION parcel_read_rule(layer text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '((SELECT actor_sees_all_districts()) OR t.district_code = (SELECT actor_district())'
      || CASE WHEN layer = 'ownership' THEN ''
              ELSE format(' OR EXISTS (SELECT 1 FROM published_parcel_days d WHERE d.layer = %L AND d.district_code = t.district_code'
                          ' AND d.day >= t.valid_from AND (t.valid_to IS NULL OR d.day < t.valid_to))', layer) END
      || ')'
$$;
DROP FUNCTION public_submission_ids();

-- A publication or its withdrawal changes what the public's tiles hold.
CREATE TRIGGER publications_tile_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON publications
  FOR EACH STATEMENT EXECUTE FUNCTION bump_tile_generation('parcels');

CREATE POLICY snapshots_published ON snapshots FOR SELECT TO lsp_app
  USING (snapshot_date IN (SELECT day FROM published_statistics_days));

-- Surveys that are published are public facts; publications of 公开 surveys are public.
CREATE POLICY surveys_published ON surveys FOR SELECT TO lsp_app
  USING (secrecy = 'public' AND state = 'published');
GRANT SELECT ON publications TO lsp_app;
ALTER TABLE publications ENABLE ROW LEVEL SECURITY;
CREATE POLICY publications_read ON publications FOR SELECT TO lsp_app
  USING ((SELECT actor_role()) <> 'public'
         OR (withdrawn_at IS NULL AND EXISTS (SELECT 1 FROM surveys s WHERE s.id = survey_id AND s.secrecy = 'public')));

-- Decisions and attachments: written by the platform (owner) for the signed-in decider, or by a
-- request as itself (the guard checks either way); read by the city and the district concerned.
GRANT SELECT, INSERT ON decisions TO lsp_app;
ALTER TABLE decisions ENABLE ROW LEVEL SECURITY;
CREATE POLICY decisions_read ON decisions FOR SELECT TO lsp_app
  USING ((SELECT actor_sees_all_districts()) OR district_code = (SELECT actor_district()));
CREATE POLICY decisions_insert ON decisions FOR INSERT TO lsp_app
  WITH CHECK (decided_by = (SELECT actor_user_id()));
CREATE TRIGGER decisions_guard BEFORE INSERT ON decisions
  FOR EACH ROW EXECUTE FUNCTION guard_decision();

GRANT SELECT ON attachments TO lsp_app;
ALTER TABLE attachments ENABLE ROW LEVEL SECURITY;
CREATE POLICY attachments_read ON attachments FOR SELECT TO lsp_app
  USING ((SELECT actor_sees_all_districts()) OR uploaded_by = (SELECT actor_user_id())
         OR EXISTS (SELECT 1 FROM decisions d WHERE attachments.id = ANY (d.attachment_ids)));

-- The freeze guard (migrations/0015) counted a survey as settled only while 'closed'; approval
-- and publication come after closing and keep it settled.
CREATE OR REPLACE FUNCTION freeze_blockers(y integer)
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
   WHERE s.state IN ('accepted', 'filed') AND v.time_point <= day.d AND v.kind <> 'special'
  UNION ALL
  SELECT 'no_survey', NULL, NULL, NULL WHERE NOT EXISTS (SELECT 1 FROM year_surveys)
  UNION ALL
  SELECT 'open', s.id::text, s.title::text, s.state::text FROM year_surveys s WHERE s.state NOT IN ('closed', 'approved', 'published')
  UNION ALL
  SELECT 'district', a.code::text, a.name::text, NULL
    FROM with_baseline w JOIN admin_units a ON a.code = w.district_code
   WHERE EXISTS (SELECT 1 FROM change_surveys)
     AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.district_code = w.district_code AND s.state = 'applied' AND s.survey_id IN (SELECT id FROM change_surveys))
     AND NOT EXISTS (SELECT 1 FROM no_change_declarations n WHERE n.district_code = w.district_code AND n.survey_id IN (SELECT id FROM change_surveys))
  ORDER BY 1, 2
$$;
