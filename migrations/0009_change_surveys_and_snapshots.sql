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
-- in a later year.
CREATE FUNCTION guard_frozen_versions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  frozen date := frozen_through();
  effective date;
BEGIN
  IF frozen IS NULL THEN RETURN NEW; END IF;
  effective := CASE WHEN TG_OP = 'INSERT' THEN NEW.valid_from ELSE NEW.valid_to END;
  IF effective IS NOT NULL AND effective <= frozen THEN
    RAISE EXCEPTION 'snapshot frozen through %: a change dated % on % (BSM %) is refused', frozen, effective, TG_TABLE_NAME, NEW.bsm
      USING ERRCODE = 'LS004', HINT = 'Record the correction as a change in a year not yet frozen.';
  END IF;
  RETURN NEW;
END
$$;

CREATE FUNCTION guard_frozen_lineage() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  frozen date := frozen_through();
BEGIN
  IF frozen IS NOT NULL AND NEW.change_date <= frozen THEN
    RAISE EXCEPTION 'snapshot frozen through %: lineage dated % is refused', frozen, NEW.change_date USING ERRCODE = 'LS004';
  END IF;
  RETURN NEW;
END
$$;

-- Named to sort after the immutability triggers (triggers fire in name order).
CREATE TRIGGER land_use_parcels_zz_frozen BEFORE INSERT OR UPDATE ON land_use_parcels
  FOR EACH ROW EXECUTE FUNCTION guard_frozen_versions();
CREATE TRIGGER basic_farmland_parcels_zz_frozen BEFORE INSERT OR UPDATE ON basic_farmland_parcels
  FOR EACH ROW EXECUTE FUNCTION guard_frozen_versions();
CREATE TRIGGER ownership_parcels_zz_frozen BEFORE INSERT OR UPDATE ON ownership_parcels
  FOR EACH ROW EXECUTE FUNCTION guard_frozen_versions();
CREATE TRIGGER parcel_lineage_zz_frozen BEFORE INSERT ON parcel_lineage
  FOR EACH ROW EXECUTE FUNCTION guard_frozen_lineage();

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
