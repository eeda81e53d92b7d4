-- Change surveys (变更调查) and the yearly 12月31日 snapshot (art. 11-14, 20 of the measures).
--
-- A change package is a survey package whose records are the new versions of changed parcels.
-- Three fields beyond the 三调 schema say what changed; the importer keeps them, as every field
-- the schema does not know, in extra_attributes under the name the file gives them:
--   BGQBSM  变更前标识码: the predecessor BSMs, separated by , ; / 、 or spaces
--   BGRQ    变更日期: the change date (DBF date, or text YYYY-MM-DD / YYYYMMDD)
--   BGLX    变更类型: free text, except 灭失 (a record retiring the parcel named by its BSM, no
--           geometry needed) and 界线调整 (a declared boundary change: area need not be conserved)

-- The value of a change field, whatever case the file wrote its name in.
CREATE FUNCTION change_attr(extra jsonb, name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT nullif(btrim(e.value), '') FROM jsonb_each_text(extra) e WHERE upper(e.key) = upper(name) LIMIT 1
$$;

-- BGRQ as a date, or null when absent or not a date (the checks report it; nothing raises). No
-- exception block: a subtransaction would make the function unsafe in parallel plans.
CREATE FUNCTION change_date(extra jsonb) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  -- CASE branches are tried in order, so no cast or make_date sees a value that would raise.
  SELECT CASE
           WHEN d.digits IS NULL OR d.digits !~ '^\d{8}$' THEN NULL
           WHEN d.raw LIKE '%-%' AND d.raw !~ '^\d{4}-\d{2}-\d{2}$' THEN NULL
           WHEN substr(d.digits, 1, 4)::int < 1 OR substr(d.digits, 5, 2)::int NOT BETWEEN 1 AND 12 THEN NULL
           -- make_date refuses 2021-02-30 (to_date would roll it over to March): check the day first.
           WHEN substr(d.digits, 7, 2)::int NOT BETWEEN 1 AND extract(day FROM
                  make_date(substr(d.digits, 1, 4)::int, substr(d.digits, 5, 2)::int, 1) + interval '1 month - 1 day')::int THEN NULL
           ELSE make_date(substr(d.digits, 1, 4)::int, substr(d.digits, 5, 2)::int, substr(d.digits, 7, 2)::int)
         END
    FROM (SELECT r.raw, replace(r.raw, '-', '') AS digits
            FROM (SELECT replace(change_attr(extra, 'BGRQ'), '/', '-') AS raw) r) d
$$;

-- The predecessor BSMs a record names (empty for a parcel that is new).
CREATE FUNCTION change_predecessors(extra jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT p) FILTER (WHERE p <> ''), ARRAY[]::text[])
    FROM regexp_split_to_table(coalesce(change_attr(extra, 'BGQBSM'), ''), '[,;/、，；\s]+') AS p
$$;

-- Whether a record retires its parcel (灭失) rather than describing a new version.
CREATE FUNCTION change_retires(extra jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(upper(change_attr(extra, 'BGLX')) IN ('灭失', '注销', 'RETIRED', 'RETIRE'), false)
$$;

-- Whether a record declares a change of the district boundary (area need not be conserved).
CREATE FUNCTION change_moves_boundary(extra jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(upper(change_attr(extra, 'BGLX')) IN ('界线调整', '界线变更', '行政区界线调整', 'BOUNDARY'), false)
$$;

-- Snapshot Y: the state of every parcel on Y-12-31, frozen. Its checksum covers the content of
-- every version valid that day; its statistics are stored so the year's tables never need the
-- parcels again. A snapshot row is never changed or removed.
CREATE TABLE snapshots (
  year          smallint PRIMARY KEY CHECK (year BETWEEN 1980 AND 2200),
  snapshot_date date NOT NULL UNIQUE,
  frozen_at     timestamptz NOT NULL DEFAULT now(),
  frozen_by     uuid REFERENCES users(id),
  -- SHA-256 (hex) over the versions valid on snapshot_date, in (layer, district, BSM) order
  checksum      char(64) NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
  -- versions valid on snapshot_date per layer: {"land_use": n, …}
  parcel_counts jsonb NOT NULL,
  -- exact m² by district and class, and farmland by district (see server/modules/versions)
  statistics    jsonb NOT NULL,
  CHECK (snapshot_date = make_date(year, 12, 31))
);
CREATE TRIGGER snapshots_append_only BEFORE UPDATE OR DELETE ON snapshots
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER snapshots_no_truncate BEFORE TRUNCATE ON snapshots
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The last frozen day: nothing on or before it may change any more.
CREATE FUNCTION frozen_through() RETURNS date
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT max(snapshot_date) FROM snapshots
$$;

-- Years freeze in order: freezing a year behind a frozen one would freeze nothing new.
CREATE FUNCTION guard_snapshot_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.snapshot_date <= frozen_through() THEN
    RAISE EXCEPTION 'snapshot % comes after the frozen % and cannot be frozen now', NEW.year, frozen_through()
      USING ERRCODE = 'LS004';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER snapshots_in_order BEFORE INSERT ON snapshots
  FOR EACH ROW EXECUTE FUNCTION guard_snapshot_order();

-- A frozen snapshot never changes: a version may begin, and an open version may be closed, only
-- after the last frozen day. (The state on a day D is the versions with valid_from <= D <
-- valid_to; with both writes refused on or before a frozen day, that set is fixed for every
-- frozen D.) Enforced here for every role, owners included; a late correction becomes a change
-- in a later year. Checked once per statement over the rows it wrote (transition tables): a
-- change package writes 100,000 rows, and a per-row trigger cost seconds.
CREATE FUNCTION guard_frozen_versions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  frozen date := frozen_through();
  refused record;
BEGIN
  IF frozen IS NULL THEN RETURN NULL; END IF;
  IF TG_OP = 'INSERT' THEN
    SELECT bsm, valid_from AS effective INTO refused FROM written WHERE valid_from <= frozen LIMIT 1;
  ELSE
    SELECT bsm, valid_to AS effective INTO refused FROM written WHERE valid_to IS NOT NULL AND valid_to <= frozen LIMIT 1;
  END IF;
  IF FOUND THEN
    RAISE EXCEPTION 'snapshot frozen through %: a change dated % on % (BSM %) is refused', frozen, refused.effective, TG_TABLE_NAME, refused.bsm
      USING ERRCODE = 'LS004', HINT = 'Record the correction as a change in a year not yet frozen.';
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION guard_frozen_lineage() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  frozen date := frozen_through();
  refused date;
BEGIN
  IF frozen IS NULL THEN RETURN NULL; END IF;
  SELECT change_date INTO refused FROM written WHERE change_date <= frozen LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'snapshot frozen through %: lineage dated % is refused', frozen, refused USING ERRCODE = 'LS004';
  END IF;
  RETURN NULL;
END
$$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['land_use_parcels', 'basic_farmland_parcels', 'ownership_parcels'] LOOP
    EXECUTE format('CREATE TRIGGER %1$s_frozen_insert AFTER INSERT ON %1$I REFERENCING NEW TABLE AS written
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_frozen_versions()', t);
    EXECUTE format('CREATE TRIGGER %1$s_frozen_close AFTER UPDATE ON %1$I REFERENCING NEW TABLE AS written
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_frozen_versions()', t);
  END LOOP;
END
$$;
CREATE TRIGGER parcel_lineage_frozen AFTER INSERT ON parcel_lineage REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION guard_frozen_lineage();

-- The immutability guard of migrations/0005, made cheap for the one update it allows: the
-- trigger's WHEN clause (plain expressions, no PL/pgSQL call) lets through closing an open version
-- with every other column unchanged, and calls guard_parcel_version, which refuses, for anything
-- else. The column list is read from the catalogue here; a migration adding a column to these
-- tables must recreate the trigger the same way.
DO $$
DECLARE
  t text;
  same text;
BEGIN
  FOREACH t IN ARRAY ARRAY['land_use_parcels', 'basic_farmland_parcels', 'ownership_parcels'] LOOP
    SELECT format('ROW(%s) IS NOT DISTINCT FROM ROW(%s)',
                  string_agg(format('NEW.%I', attname), ', ' ORDER BY attnum), string_agg(format('OLD.%I', attname), ', ' ORDER BY attnum))
      INTO same
      FROM pg_attribute
     WHERE attrelid = t::regclass AND attnum > 0 AND NOT attisdropped AND attname NOT IN ('valid_to', 'closed_by_submission_id');
    EXECUTE format('DROP TRIGGER %1$s_immutable ON %1$I', t);
    EXECUTE format('CREATE TRIGGER %1$s_immutable BEFORE UPDATE ON %1$I FOR EACH ROW
                    WHEN (NOT (OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL AND NEW.valid_to > OLD.valid_from AND %2$s))
                    EXECUTE FUNCTION guard_parcel_version()', t, same);
    EXECUTE format('CREATE TRIGGER %1$s_no_delete BEFORE DELETE ON %1$I FOR EACH ROW EXECUTE FUNCTION guard_parcel_version()', t);
  END LOOP;
END
$$;

-- Statistics by district and class read land_use_parcels_asof_stats (below); this one only cost
-- every write.
DROP INDEX land_use_parcels_class;

-- No two versions of one parcel overlap in time. migrations/0005 said it with a GiST exclusion
-- constraint on (district_code, bsm, daterange); with one district code per district that index
-- cannot tell parcels apart near its root, and checking it cost about a millisecond per written
-- row on a million parcels (a minute per change package). The same rule, by B-tree: at most one
-- open version per parcel (a unique partial index, which a closing leaves), and, once per
-- statement, no inserted version overlapping another version of its parcel (closing only ever
-- shortens a period, so updates need no check).
CREATE FUNCTION guard_version_overlap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  clash record;
BEGIN
  EXECUTE format(
    'SELECT w.bsm, w.valid_from, v.version_id FROM written w JOIN %I v ON v.bsm = w.bsm AND v.district_code = w.district_code
      WHERE v.version_id <> w.version_id AND v.valid_from < coalesce(w.valid_to, ''infinity'') AND w.valid_from < coalesce(v.valid_to, ''infinity'')
      LIMIT 1', TG_TABLE_NAME) INTO clash;
  IF clash IS NOT NULL AND clash.bsm IS NOT NULL THEN
    RAISE EXCEPTION 'a version of parcel % from % overlaps version % of the same parcel in %', clash.bsm, clash.valid_from, clash.version_id, TG_TABLE_NAME
      USING ERRCODE = 'exclusion_violation';
  END IF;
  RETURN NULL;
END
$$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['land_use_parcels', 'basic_farmland_parcels', 'ownership_parcels'] LOOP
    EXECUTE format('ALTER TABLE %1$I DROP CONSTRAINT %1$s_district_code_bsm_daterange_excl', t);
    EXECUTE format('CREATE UNIQUE INDEX %1$s_one_current ON %1$I (district_code, bsm) WHERE valid_to IS NULL', t);
    EXECUTE format('CREATE TRIGGER %1$s_no_overlap AFTER INSERT ON %1$I REFERENCING NEW TABLE AS written
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_version_overlap()', t);
  END LOOP;
END
$$;

-- Statistics as of any date read this index alone (an index-only scan of a few bytes per
-- version instead of the parcels' geometry): the versions valid that day, by district and class.
CREATE INDEX land_use_parcels_asof_stats ON land_use_parcels (valid_from)
  INCLUDE (valid_to, district_code, dlbm, area_m2);
CREATE INDEX basic_farmland_parcels_asof_stats ON basic_farmland_parcels (valid_from)
  INCLUDE (valid_to, district_code, area_m2);
-- A parcel's history by BSM, and the current version of a BSM when a change names it.
CREATE INDEX land_use_parcels_bsm ON land_use_parcels (bsm, valid_from);
CREATE INDEX basic_farmland_parcels_bsm ON basic_farmland_parcels (bsm, valid_from);
CREATE INDEX ownership_parcels_bsm ON ownership_parcels (bsm, valid_from);
CREATE INDEX parcel_lineage_successor ON parcel_lineage (successor_version_id);
CREATE INDEX parcel_lineage_predecessor_version ON parcel_lineage (predecessor_version_id);

-- Snapshots are public facts about the frozen years: every signed-in user reads them; the
-- platform (the owner) freezes.
GRANT SELECT ON snapshots TO lsp_app;
ALTER TABLE snapshots ENABLE ROW LEVEL SECURITY;
CREATE POLICY snapshots_read ON snapshots FOR SELECT TO lsp_app USING ((SELECT actor_role()) <> 'public');

-- Who accepted (验收) and applied a submission, and when.
ALTER TABLE submissions
  ADD COLUMN accepted_at timestamptz,
  ADD COLUMN accepted_by uuid REFERENCES users(id),
  ADD COLUMN applied_at  timestamptz,
  ADD COLUMN applied_by  uuid REFERENCES users(id);

-- What changed between two days: versions that ended in between (by valid_to) and versions that
-- began in between (by valid_from, the statistics index above).
CREATE INDEX land_use_parcels_ended ON land_use_parcels (valid_to) WHERE valid_to IS NOT NULL;
CREATE INDEX basic_farmland_parcels_ended ON basic_farmland_parcels (valid_to) WHERE valid_to IS NOT NULL;
CREATE INDEX ownership_parcels_ended ON ownership_parcels (valid_to) WHERE valid_to IS NOT NULL;
CREATE INDEX ownership_parcels_began ON ownership_parcels (valid_from);
