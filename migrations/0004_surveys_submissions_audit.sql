CREATE TYPE survey_kind AS ENUM (
  'national',          -- 全国土地调查 (the baseline)
  'land_use_change',   -- 土地利用变更调查 (yearly)
  'cadastral_change',  -- 地籍变更调查 (parcel by parcel, any time)
  'special'            -- 专项调查 (a given area and time)
);
CREATE TYPE survey_scope AS ENUM ('city', 'district');
-- 秘密等级: results are public unless they must stay secret (art. 24-25).
CREATE TYPE secrecy_level AS ENUM ('public', 'internal', 'confidential', 'secret');
CREATE TYPE survey_state AS ENUM (
  'planned', 'collecting', 'checking',
  'preliminary_accepted',  -- 初验 by the districts (city-wide special surveys)
  'accepted',              -- 终验 / 验收
  'filed',                 -- 备案 with the city office (district special surveys)
  'approved',              -- approved by the government at that level
  'published',             -- 公布
  'closed'
);

CREATE TABLE surveys (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind                survey_kind NOT NULL,
  scope               survey_scope NOT NULL,
  -- for district-scope surveys, the district that runs it
  district_code       varchar(6) REFERENCES admin_units(code),
  year                smallint NOT NULL CHECK (year BETWEEN 1980 AND 2200),
  -- 统一时点: the date the survey's results describe (12月31日 for the yearly change survey)
  time_point          date NOT NULL,
  title               varchar(200) NOT NULL,
  description         text,
  secrecy             secrecy_level NOT NULL DEFAULT 'internal',
  state               survey_state NOT NULL DEFAULT 'planned',
  submission_deadline date,
  acceptance_deadline date,
  created_by          uuid REFERENCES users(id),
  created_at          timestamptz NOT NULL DEFAULT now(),
  CHECK ((scope = 'district') = (district_code IS NOT NULL)),
  CHECK (kind <> 'land_use_change' OR time_point = make_date(year, 12, 31))
);
CREATE INDEX surveys_year ON surveys (year, kind);

CREATE TYPE submission_state AS ENUM (
  'received', 'importing', 'imported', 'checking', 'checked',
  'rejected',    -- blocking quality findings: a corrected package must follow
  'accepted', 'applied', 'failed', 'superseded'
);

-- A district's upload (成果汇交). The file itself is archived unchanged under its SHA-256 (art. 27).
CREATE TABLE submissions (
  id               uuid NOT NULL DEFAULT gen_random_uuid(),
  district_code    varchar(6) NOT NULL REFERENCES admin_units(code),
  survey_id        uuid NOT NULL REFERENCES surveys(id),
  state            submission_state NOT NULL DEFAULT 'received',
  file_name        varchar(255) NOT NULL,
  sha256           char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes       bigint NOT NULL CHECK (size_bytes >= 0),
  archive_path     varchar(500) NOT NULL,
  format           varchar(32),
  uploaded_by      uuid REFERENCES users(id),
  -- the surveyor answerable for the content (art. 19)
  surveyor_id      uuid REFERENCES users(id),
  report           jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  -- district_code leads every key of district data: it is the distribution column for Citus.
  PRIMARY KEY (district_code, id),
  UNIQUE (id)
);
CREATE INDEX submissions_survey ON submissions (survey_id, district_code);
CREATE INDEX submissions_sha256 ON submissions (sha256);

-- Append-only audit log of who did what (art. 19, 25: every access is recorded).
CREATE TABLE audit_log (
  id            bigint GENERATED ALWAYS AS IDENTITY,
  at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_user_id uuid,
  actor_role    varchar(32) NOT NULL,
  district_code varchar(6),
  action        varchar(64) NOT NULL,
  object_type   varchar(64),
  object_id     varchar(128),
  detail        jsonb,
  client_ip     varchar(64),
  PRIMARY KEY (id)
);
CREATE INDEX audit_log_at ON audit_log USING brin (at);
CREATE INDEX audit_log_actor ON audit_log (actor_user_id, at);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'LS001', HINT = 'Record a new entry instead.';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
