CREATE TYPE organisation_kind AS ENUM (
  'city_bureau',            -- 市国土资源部门 / 地籍事务部门
  'district_bureau',        -- 区国土资源部门
  'leading_group_office',   -- 市/区土地调查领导小组办公室
  'survey_unit',            -- 调查单位 (registered contractor)
  'agency'                  -- 获准机构 (approved agency)
);

CREATE TABLE organisations (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind          organisation_kind NOT NULL,
  name          varchar(200) NOT NULL UNIQUE,
  -- the district a district bureau or district leading-group office belongs to; null = city level
  district_code varchar(6) REFERENCES admin_units(code),
  -- 统一社会信用代码, for survey units and agencies
  credit_code   varchar(18) UNIQUE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'district_bureau' OR district_code IS NOT NULL)
);

CREATE TYPE user_role AS ENUM (
  'city_admin',            -- 市级管理员
  'city_auditor',          -- 市级审核员 (quality supervision, sampling)
  'district_operator',     -- 区级操作员
  'leading_group_office',  -- 领导小组办公室
  'surveyor',              -- 调查员 of a survey unit
  'agency'                 -- 获准机构
);

CREATE TABLE users (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username           varchar(64) NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
  display_name       varchar(100) NOT NULL,
  role               user_role NOT NULL,
  organisation_id    uuid REFERENCES organisations(id),
  -- the district whose rows the user may read and write; required for district roles
  district_code      varchar(6) REFERENCES admin_units(code),
  password_hash      text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  failed_login_count integer NOT NULL DEFAULT 0,
  locked_until       timestamptz,
  disabled           boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  CHECK (role NOT IN ('district_operator', 'surveyor') OR district_code IS NOT NULL)
);
CREATE INDEX users_district ON users (district_code);

-- Login sessions. The cookie holds a random token; only its SHA-256 is stored. The hash is also
-- what each request's transaction carries (app.session), from which row-level security derives
-- the actor: a request cannot claim a role or district, only present a session.
CREATE TABLE sessions (
  token_hash   char(64) PRIMARY KEY,
  user_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token   char(64) NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  client_ip    varchar(64),
  user_agent   varchar(300)
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
