-- Imported packages land in staging, one partition per submission and layer, before the quality
-- checks read them and an accepted package is applied as parcel versions. Staging keeps what the
-- file said (recorded areas, codes as written, geometry faults) so the checks can report on it;
-- only the coordinates are already transformed to EPSG:4490, with the ellipsoidal area beside the
-- recorded one.
--
-- Why partitions: an import builds its rows in a scratch table in schema import_work (short
-- transactions, so the embedded engine's single connection is not held for minutes), indexes it
-- in bulk, then attaches it here in one final transaction. Until that commit nothing is visible;
-- a failed or killed import leaves only a scratch table, which is dropped at once or at the next
-- start. Withdrawing a submission's staging is a DROP, not a million-row DELETE.

CREATE SCHEMA import_work;

-- Columns every staged layer starts with.
--   record_no        1-based record number in the source layer (error and finding locations)
--   geom             null when the record had no usable geometry (see geometry_issues)
--   area_m2          ellipsoidal area on CGCS2000 (shared/domain/AREA.md), computed on import
--   geometry_issues  faults found while reading that PostGIS cannot hold (ring not closed,
--                    too few points), for the quality checks to report
--   extra_attributes fields the package carries beyond the layer's schema

CREATE TABLE staged_land_use_parcels (
  submission_id   uuid NOT NULL,
  district_code   varchar(6) NOT NULL,
  record_no       integer NOT NULL,
  bsm    varchar(18),  ysdm   varchar(10), tbybh  varchar(18), tbbh   varchar(8),   dlbm   varchar(5),
  dlmc   varchar(60),  qsxz   varchar(2),  qsdwdm varchar(19), qsdwmc varchar(255), zldwdm varchar(19),
  zldwmc varchar(255), tbmj   numeric(15, 2), kcdlbm varchar(5), kcxs numeric(6, 4), kcmj numeric(15, 2),
  tbdlmj numeric(15, 2), gdlx varchar(2), gdpdjb varchar(2), xzdwkd numeric(5, 1), tbxhdm varchar(6),
  tbxhmc varchar(20),  zzsxdm varchar(6),  zzsxmc varchar(20), gddb smallint, frdbs varchar(1),
  czcsxm varchar(4),   sjnf   smallint,    mssm   varchar(2),  hdmc varchar(100), bz varchar(255),
  extra_attributes jsonb,
  geom            geometry(MultiPolygon, 4490),
  area_m2         numeric(15, 2),
  geometry_issues jsonb
) PARTITION BY LIST (submission_id);

CREATE TABLE staged_basic_farmland_parcels (
  submission_id   uuid NOT NULL,
  district_code   varchar(6) NOT NULL,
  record_no       integer NOT NULL,
  bsm    varchar(18),  ysdm   varchar(10), xzqdm  varchar(12), xzqmc  varchar(100), yjjbnttbbh varchar(8),
  tbbh   varchar(8),   dlbm   varchar(5),  dlmc   varchar(60), qsxz   varchar(2),   qsdwdm varchar(19),
  qsdwmc varchar(255), zldwdm varchar(19), zldwmc varchar(255), yjjbnttbmj numeric(15, 2),
  kcdlbm varchar(5),   kcxs numeric(6, 4), kcmj numeric(15, 2), yjjbntmj numeric(15, 2), gdlx varchar(2),
  gdpdjb varchar(2),   tbxhdm varchar(6),  tbxhmc varchar(20), zzsxdm varchar(6), zzsxmc varchar(20),
  gddb smallint,       frdbs varchar(1),   sjnf smallint,      bz varchar(255),
  extra_attributes jsonb,
  geom            geometry(MultiPolygon, 4490),
  area_m2         numeric(15, 2),
  geometry_issues jsonb
) PARTITION BY LIST (submission_id);

CREATE TABLE staged_ownership_parcels (
  submission_id   uuid NOT NULL,
  district_code   varchar(6) NOT NULL,
  record_no       integer NOT NULL,
  bsm    varchar(18),  ysdm varchar(10), zddm varchar(19), bdcdyh varchar(28), qsxz varchar(2),
  qllx   varchar(3),   qlrmc varchar(255), zl varchar(255), tdyt varchar(5), zdmj numeric(15, 2),
  bz     varchar(255),
  extra_attributes jsonb,
  geom            geometry(MultiPolygon, 4490),
  area_m2         numeric(15, 2),
  geometry_issues jsonb
) PARTITION BY LIST (submission_id);

-- 行政区 (XZQ) as the package draws it: the quality checks compare it with the official boundary.
CREATE TABLE staged_district_boundaries (
  submission_id   uuid NOT NULL,
  district_code   varchar(6) NOT NULL,
  record_no       integer NOT NULL,
  bsm    varchar(18),  ysdm varchar(10), xzqdm varchar(12), xzqmc varchar(100),
  kzmj   numeric(18, 2),  -- 控制面积
  dcmj   numeric(18, 2),  -- 调查面积
  mssm   varchar(2),   bz varchar(255),
  extra_attributes jsonb,
  geom            geometry(MultiPolygon, 4490),
  area_m2         numeric(18, 2),
  geometry_issues jsonb
) PARTITION BY LIST (submission_id);

-- Readers see their own district's staging (the city sees all); only the importer (the owner) writes.
GRANT SELECT ON staged_land_use_parcels, staged_basic_farmland_parcels, staged_ownership_parcels,
  staged_district_boundaries TO lsp_app;
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['staged_land_use_parcels', 'staged_basic_farmland_parcels',
                           'staged_ownership_parcels', 'staged_district_boundaries'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY %1$s_read ON %1$I FOR SELECT TO lsp_app
      USING ((SELECT actor_sees_all_districts()) OR district_code = (SELECT actor_district()))$p$, t);
  END LOOP;
END
$$;

-- What an import found, kept with the submission: encoding override asked for, the import's
-- stage while it runs (progress itself lives in memory), and when it finished.
ALTER TABLE submissions
  ADD COLUMN encoding_override varchar(32),
  ADD COLUMN declared_epsg integer,
  ADD COLUMN import_started_at timestamptz,
  ADD COLUMN import_finished_at timestamptz;
-- The same file for the same survey and district is the same submission (unless it failed).
CREATE INDEX submissions_same_file ON submissions (survey_id, district_code, sha256);
