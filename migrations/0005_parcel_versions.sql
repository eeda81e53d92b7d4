-- Versioned parcels. A parcel is its stable identifier (BSM); what it was at any time is one of
-- its versions, valid over [valid_from, valid_to). The state on date D is every version with
-- valid_from <= D < coalesce(valid_to, infinity); the year's snapshot is the state on 12月31日.
-- A version row is never changed: the only write after insert is closing it (setting valid_to,
-- once, from null) when a later version replaces or retires it. Triggers below enforce that
-- for every role, owners and superusers included.

-- One id space for the versions of all three layers, so lineage can name any version.
CREATE SEQUENCE parcel_version_id_seq AS bigint;

CREATE FUNCTION guard_parcel_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  closing_date date;
  closing_submission uuid;
BEGIN
  IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION 'parcel versions are immutable: % on % refused', TG_OP, TG_TABLE_NAME
      USING ERRCODE = 'LS002', HINT = 'Retire a parcel by closing its version (valid_to).';
  END IF;
  IF OLD.valid_to IS NOT NULL THEN
    RAISE EXCEPTION 'parcel version % (BSM %) is closed and cannot change', OLD.version_id, OLD.bsm
      USING ERRCODE = 'LS002';
  END IF;
  closing_date := NEW.valid_to;
  closing_submission := NEW.closed_by_submission_id;
  IF closing_date IS NULL OR closing_date <= OLD.valid_from THEN
    RAISE EXCEPTION 'parcel version % (BSM %) is immutable: only closing it with valid_to after % is allowed',
      OLD.version_id, OLD.bsm, OLD.valid_from USING ERRCODE = 'LS002';
  END IF;
  -- Every other column must be unchanged: compare the whole row with the closing columns put back.
  NEW.valid_to := OLD.valid_to;
  NEW.closed_by_submission_id := OLD.closed_by_submission_id;
  IF NEW IS DISTINCT FROM OLD THEN
    RAISE EXCEPTION 'parcel version % (BSM %) is immutable: only valid_to may be set', OLD.version_id, OLD.bsm
      USING ERRCODE = 'LS002';
  END IF;
  NEW.valid_to := closing_date;
  NEW.closed_by_submission_id := closing_submission;
  RETURN NEW;
END
$$;

-- 地类图斑 (DLTB): every field of the 三调 schema (fixtures/reference/layers.json).
CREATE TABLE land_use_parcels (
  version_id      bigint NOT NULL DEFAULT nextval('parcel_version_id_seq'),
  district_code   varchar(6) NOT NULL REFERENCES admin_units(code),
  bsm             varchar(18) NOT NULL,
  valid_from      date NOT NULL,
  valid_to        date,
  submission_id   uuid NOT NULL,
  closed_by_submission_id uuid,
  created_at      timestamptz NOT NULL DEFAULT now(),
  ysdm   varchar(10),  tbybh  varchar(18), tbbh   varchar(8),   dlbm   varchar(5),
  dlmc   varchar(60),  qsxz   varchar(2),  qsdwdm varchar(19),  qsdwmc varchar(255),
  zldwdm varchar(19),  zldwmc varchar(255),
  tbmj   numeric(15, 2),  -- recorded 图斑面积 as submitted
  kcdlbm varchar(5),   kcxs   numeric(6, 4), kcmj numeric(15, 2), tbdlmj numeric(15, 2),
  gdlx   varchar(2),   gdpdjb varchar(2),  xzdwkd numeric(5, 1), tbxhdm varchar(6),
  tbxhmc varchar(20),  zzsxdm varchar(6),  zzsxmc varchar(20),  gddb   smallint,
  frdbs  varchar(1),   czcsxm varchar(4),  sjnf   smallint,     mssm   varchar(2),
  hdmc   varchar(100), bz     varchar(255),
  geom            geometry(MultiPolygon, 4490) NOT NULL,
  -- ellipsoidal area on CGCS2000 computed by the platform on ingest (shared/domain/AREA.md)
  area_m2         numeric(15, 2) NOT NULL,
  PRIMARY KEY (district_code, version_id),
  FOREIGN KEY (district_code, submission_id) REFERENCES submissions (district_code, id),
  CHECK (valid_to IS NULL OR valid_to > valid_from),
  -- no two versions of one parcel overlap in time
  EXCLUDE USING gist (district_code WITH =, bsm WITH =, daterange(valid_from, valid_to, '[)') WITH &&)
);

-- 永久基本农田图斑 (YJJBNTTB)
CREATE TABLE basic_farmland_parcels (
  version_id      bigint NOT NULL DEFAULT nextval('parcel_version_id_seq'),
  district_code   varchar(6) NOT NULL REFERENCES admin_units(code),
  bsm             varchar(18) NOT NULL,
  valid_from      date NOT NULL,
  valid_to        date,
  submission_id   uuid NOT NULL,
  closed_by_submission_id uuid,
  created_at      timestamptz NOT NULL DEFAULT now(),
  ysdm   varchar(10),  xzqdm  varchar(12), xzqmc  varchar(100), yjjbnttbbh varchar(8),
  tbbh   varchar(8),   dlbm   varchar(5),  dlmc   varchar(60),  qsxz   varchar(2),
  qsdwdm varchar(19),  qsdwmc varchar(255), zldwdm varchar(19), zldwmc varchar(255),
  yjjbnttbmj numeric(15, 2), kcdlbm varchar(5), kcxs numeric(6, 4), kcmj numeric(15, 2),
  yjjbntmj   numeric(15, 2), gdlx varchar(2), gdpdjb varchar(2), tbxhdm varchar(6),
  tbxhmc varchar(20),  zzsxdm varchar(6),  zzsxmc varchar(20),  gddb smallint,
  frdbs  varchar(1),   sjnf   smallint,    bz     varchar(255),
  geom            geometry(MultiPolygon, 4490) NOT NULL,
  area_m2         numeric(15, 2) NOT NULL,
  PRIMARY KEY (district_code, version_id),
  FOREIGN KEY (district_code, submission_id) REFERENCES submissions (district_code, id),
  CHECK (valid_to IS NULL OR valid_to > valid_from),
  EXCLUDE USING gist (district_code WITH =, bsm WITH =, daterange(valid_from, valid_to, '[)') WITH &&)
);

-- 宗地 (ownership parcels, 地籍调查). Field set reconstructed from the cadastral database
-- standard; fields a package carries beyond these are kept in extra_attributes.
CREATE TABLE ownership_parcels (
  version_id      bigint NOT NULL DEFAULT nextval('parcel_version_id_seq'),
  district_code   varchar(6) NOT NULL REFERENCES admin_units(code),
  bsm             varchar(18) NOT NULL,
  valid_from      date NOT NULL,
  valid_to        date,
  submission_id   uuid NOT NULL,
  closed_by_submission_id uuid,
  created_at      timestamptz NOT NULL DEFAULT now(),
  ysdm   varchar(10),
  zddm   varchar(19),   -- 宗地代码
  bdcdyh varchar(28),   -- 不动产单元号
  qsxz   varchar(2),    -- 权属性质
  qllx   varchar(3),    -- 权利类型
  qlrmc  varchar(255),  -- 权利人名称
  zl     varchar(255),  -- 坐落
  tdyt   varchar(5),    -- 土地用途 (land-use class code)
  zdmj   numeric(15, 2),-- recorded 宗地面积
  bz     varchar(255),
  extra_attributes jsonb,
  geom            geometry(MultiPolygon, 4490) NOT NULL,
  area_m2         numeric(15, 2) NOT NULL,
  PRIMARY KEY (district_code, version_id),
  FOREIGN KEY (district_code, submission_id) REFERENCES submissions (district_code, id),
  CHECK (valid_to IS NULL OR valid_to > valid_from),
  EXCLUDE USING gist (district_code WITH =, bsm WITH =, daterange(valid_from, valid_to, '[)') WITH &&)
);

-- Indexes for the queries the platform asks: features in a box as of a date (space and time
-- together), current state, statistics by class per district, and a submission's rows.
CREATE INDEX land_use_parcels_asof_gist ON land_use_parcels
  USING gist (geom, daterange(valid_from, valid_to, '[)'));
CREATE INDEX land_use_parcels_current_gist ON land_use_parcels USING gist (geom) WHERE valid_to IS NULL;
CREATE INDEX land_use_parcels_class ON land_use_parcels (district_code, dlbm, valid_from);
CREATE INDEX land_use_parcels_submission ON land_use_parcels (submission_id);
CREATE INDEX basic_farmland_parcels_asof_gist ON basic_farmland_parcels
  USING gist (geom, daterange(valid_from, valid_to, '[)'));
CREATE INDEX basic_farmland_parcels_submission ON basic_farmland_parcels (submission_id);
CREATE INDEX ownership_parcels_asof_gist ON ownership_parcels
  USING gist (geom, daterange(valid_from, valid_to, '[)'));
CREATE INDEX ownership_parcels_zddm ON ownership_parcels (district_code, zddm);
CREATE INDEX ownership_parcels_submission ON ownership_parcels (submission_id);

CREATE TRIGGER land_use_parcels_immutable BEFORE UPDATE OR DELETE ON land_use_parcels
  FOR EACH ROW EXECUTE FUNCTION guard_parcel_version();
CREATE TRIGGER land_use_parcels_no_truncate BEFORE TRUNCATE ON land_use_parcels
  FOR EACH STATEMENT EXECUTE FUNCTION guard_parcel_version();
CREATE TRIGGER basic_farmland_parcels_immutable BEFORE UPDATE OR DELETE ON basic_farmland_parcels
  FOR EACH ROW EXECUTE FUNCTION guard_parcel_version();
CREATE TRIGGER basic_farmland_parcels_no_truncate BEFORE TRUNCATE ON basic_farmland_parcels
  FOR EACH STATEMENT EXECUTE FUNCTION guard_parcel_version();
CREATE TRIGGER ownership_parcels_immutable BEFORE UPDATE OR DELETE ON ownership_parcels
  FOR EACH ROW EXECUTE FUNCTION guard_parcel_version();
CREATE TRIGGER ownership_parcels_no_truncate BEFORE TRUNCATE ON ownership_parcels
  FOR EACH STATEMENT EXECUTE FUNCTION guard_parcel_version();

-- Lineage: which versions a version came from, and how.
CREATE TYPE parcel_layer AS ENUM ('land_use', 'basic_farmland', 'ownership');
CREATE TYPE change_kind AS ENUM (
  'split', 'merge', 'reclassification', 'boundary_change', 'ownership_change', 'attribute_change'
);

CREATE TABLE parcel_lineage (
  district_code             varchar(6) NOT NULL REFERENCES admin_units(code),  -- the successor's
  layer                     parcel_layer NOT NULL,
  predecessor_version_id    bigint NOT NULL,
  predecessor_district_code varchar(6) NOT NULL REFERENCES admin_units(code),
  successor_version_id      bigint NOT NULL,
  change_kind               change_kind NOT NULL,
  change_date               date NOT NULL,
  submission_id             uuid NOT NULL,
  PRIMARY KEY (district_code, successor_version_id, predecessor_version_id),
  FOREIGN KEY (district_code, submission_id) REFERENCES submissions (district_code, id),
  CHECK (predecessor_version_id <> successor_version_id)
);
CREATE INDEX parcel_lineage_predecessor ON parcel_lineage (predecessor_district_code, predecessor_version_id);

CREATE TRIGGER parcel_lineage_append_only BEFORE UPDATE OR DELETE ON parcel_lineage
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER parcel_lineage_no_truncate BEFORE TRUNCATE ON parcel_lineage
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
