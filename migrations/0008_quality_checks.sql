-- Quality checks (质检, art. 19 and 21): each run of the rule set over a submission's staged
-- layers, and what it found. Runs are kept (the history of a submission's checks); a run's
-- findings are written while it runs and become its report when it finishes. A submission with
-- blocking findings is 'rejected' and cannot go forward until a corrected package replaces it.

-- error: blocking (阻断), the package must be corrected; warning: to be reviewed; info: noted.
CREATE TYPE qc_severity AS ENUM ('error', 'warning', 'info');
-- running; finished (the report is complete); failed (the engine itself failed: no report).
CREATE TYPE qc_run_state AS ENUM ('running', 'finished', 'failed');

CREATE TABLE qc_runs (
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  district_code  varchar(6) NOT NULL REFERENCES admin_units(code),
  submission_id  uuid NOT NULL,
  state          qc_run_state NOT NULL DEFAULT 'running',
  started_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at    timestamptz,
  -- null when the platform started it after an import
  started_by     uuid REFERENCES users(id),
  -- the effective rule set of this run: id, severity and parameters of every rule
  rules          jsonb NOT NULL,
  -- per rule: findings by severity, and the time it took
  summary        jsonb,
  findings       integer,
  blocking       integer,
  error          jsonb,
  PRIMARY KEY (district_code, id),
  UNIQUE (id),
  FOREIGN KEY (district_code, submission_id) REFERENCES submissions (district_code, id)
);
CREATE INDEX qc_runs_submission ON qc_runs (submission_id, started_at);

CREATE TABLE qc_findings (
  district_code  varchar(6) NOT NULL,
  run_id         uuid NOT NULL,
  finding_no     integer NOT NULL,
  rule_id        varchar(48) NOT NULL,
  severity       qc_severity NOT NULL,
  -- the 三调 layer code (DLTB, YJJBNTTB, …) and the record in the file (1-based)
  layer          varchar(16) NOT NULL,
  record_no      integer,
  bsm            varchar(18),
  -- the other parcel of a pairwise finding (overlap, duplicate BSM, a gap's neighbour)
  other_bsm      varchar(18),
  message_zh     text NOT NULL,
  message_en     text NOT NULL,
  details        jsonb,
  -- where to look: the fault's point, or the area in question (overlap, gap, sliver)
  geom           geometry(Geometry, 4490),
  PRIMARY KEY (district_code, run_id, finding_no),
  FOREIGN KEY (district_code, run_id) REFERENCES qc_runs (district_code, id)
);
CREATE INDEX qc_findings_rule ON qc_findings (run_id, rule_id, severity);
CREATE INDEX qc_findings_bsm ON qc_findings (run_id, bsm);
CREATE INDEX qc_findings_geom ON qc_findings USING gist (geom);

-- Rules and thresholds per survey: a row overrides the rule's defaults for that survey.
CREATE TABLE qc_rule_settings (
  survey_id   uuid NOT NULL REFERENCES surveys(id),
  rule_id     varchar(48) NOT NULL,
  enabled     boolean NOT NULL DEFAULT true,
  severity    qc_severity,
  params      jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_by  uuid REFERENCES users(id),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (survey_id, rule_id)
);

-- Runs and findings are written by the platform (the owner); requests read their district's.
GRANT SELECT ON qc_runs, qc_findings TO lsp_app;
ALTER TABLE qc_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE qc_findings ENABLE ROW LEVEL SECURITY;
CREATE POLICY qc_runs_read ON qc_runs FOR SELECT TO lsp_app
  USING ((SELECT actor_sees_all_districts()) OR district_code = (SELECT actor_district()));
CREATE POLICY qc_findings_read ON qc_findings FOR SELECT TO lsp_app
  USING ((SELECT actor_sees_all_districts()) OR district_code = (SELECT actor_district()));

-- Settings: read by every signed-in user, set by the city administrator.
GRANT SELECT, INSERT, UPDATE, DELETE ON qc_rule_settings TO lsp_app;
ALTER TABLE qc_rule_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY qc_rule_settings_read ON qc_rule_settings FOR SELECT TO lsp_app
  USING ((SELECT actor_role()) <> 'public');
CREATE POLICY qc_rule_settings_write ON qc_rule_settings FOR ALL TO lsp_app
  USING ((SELECT actor_role()) = 'city_admin') WITH CHECK ((SELECT actor_role()) = 'city_admin');

-- A submission goes forward (accepted, then applied) only when its latest quality run finished
-- without a blocking finding: enforced here, for every path and role, not only in code.
CREATE FUNCTION guard_submission_checked() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  latest record;
BEGIN
  IF NEW.state IN ('accepted', 'applied') AND OLD.state NOT IN ('accepted', 'applied') THEN
    SELECT state, blocking INTO latest FROM qc_runs
     WHERE district_code = NEW.district_code AND submission_id = NEW.id
     ORDER BY started_at DESC LIMIT 1;
    IF NOT FOUND OR latest.state <> 'finished' OR latest.blocking > 0 THEN
      RAISE EXCEPTION 'submission % cannot go forward: %', NEW.id,
        CASE WHEN NOT FOUND THEN 'it has not been checked'
             WHEN latest.state <> 'finished' THEN 'its latest quality run did not finish'
             ELSE format('its latest quality run has %s blocking findings', latest.blocking) END
        USING ERRCODE = 'LS003', HINT = 'Upload a corrected package, or check again.';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER submissions_checked_before_acceptance BEFORE UPDATE OF state ON submissions
  FOR EACH ROW EXECUTE FUNCTION guard_submission_checked();
