-- Vector tiles (GET /tiles/{layer}/{z}/{x}/{y}.mvt, server/modules/tiles): what the tile cache is
-- keyed by, what anonymous visitors may read, and the SQL both tile encoders share.

-- Data generations. Every statement that changes tile-relevant rows takes a number from its
-- source's sequence; the platform reads the current numbers per request and keys its in-memory
-- tile cache by them, so a cached tile is never served once the data under it has changed.
-- A sequence moves before the writing transaction commits, so the trigger also holds a shared
-- advisory lock (one key per source) until the writer ends: a tile computed while a writer of
-- its source is still open is served but not cached (the platform asks writers_quiet, and caches
-- only when it says so). Writers never wait for each other: the locks are shared.
CREATE SEQUENCE tile_generation_parcels AS bigint;
CREATE SEQUENCE tile_generation_findings AS bigint;
CREATE SEQUENCE tile_generation_reference AS bigint;
-- From 1 on (a fresh sequence's last_value is 1 both before and after its first nextval).
SELECT nextval('tile_generation_parcels'), nextval('tile_generation_findings'), nextval('tile_generation_reference');

-- The advisory lock key of a source.
CREATE FUNCTION tile_source_lock(source text) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE source WHEN 'parcels' THEN 732150101 WHEN 'findings' THEN 732150102 WHEN 'reference' THEN 732150103 END::bigint
$$;

-- Whether no writer holding `key` shared is open: taken exclusively and given back at once. A
-- reader that finds it so sees, in its following statements, every change whose generation number
-- it read before (the tile cache here; the session cache, migrations/0011).
CREATE FUNCTION writers_quiet(key bigint) RETURNS boolean LANGUAGE sql VOLATILE AS $$
  SELECT CASE WHEN pg_try_advisory_lock(key) THEN pg_advisory_unlock(key) ELSE false END
$$;

CREATE FUNCTION bump_tile_generation() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- The lock first: a reader that sees the new number must also see this writer as running.
  PERFORM pg_advisory_xact_lock_shared(tile_source_lock(TG_ARGV[0]));
  PERFORM nextval(format('tile_generation_%s', TG_ARGV[0]));
  RETURN NULL;
END
$$;

-- parcels: the parcel layers and the change overlay; surveys (their publication decides what the
-- public reads) and snapshots. findings: the quality findings. reference: the district outlines.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES ('land_use_parcels', 'parcels'), ('basic_farmland_parcels', 'parcels'), ('surveys', 'parcels'),
                                 ('snapshots', 'parcels'), ('qc_findings', 'findings'), ('admin_units', 'reference')) AS v (tbl, source) LOOP
    EXECUTE format('CREATE TRIGGER %1$s_tile_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %1$I
                      FOR EACH STATEMENT EXECUTE FUNCTION bump_tile_generation(%2$L)', t.tbl, t.source);
  END LOOP;
END
$$;

-- Published results (公布, art. 24) are public unless secret: anonymous visitors read the parcel
-- versions whose submission belongs to a survey that is published and of secrecy 'public'.
CREATE FUNCTION public_submission_ids() RETURNS uuid[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(s.id ORDER BY s.id), ARRAY[]::uuid[])
    FROM submissions s JOIN surveys v ON v.id = s.survey_id
   WHERE v.state = 'published' AND v.secrecy = 'public'
$$;
CREATE POLICY land_use_parcels_public_read ON land_use_parcels FOR SELECT TO lsp_app
  USING ((SELECT actor_role()) = 'public' AND submission_id = ANY ((SELECT public_submission_ids())::uuid[]));
CREATE POLICY basic_farmland_parcels_public_read ON basic_farmland_parcels FOR SELECT TO lsp_app
  USING ((SELECT actor_role()) = 'public' AND submission_id = ANY ((SELECT public_submission_ids())::uuid[]));

-- The read rule of the parcel-version policies (0006 and the public ones above) as a condition on
-- a version aliased t, for the owner functions below that find keys through the spatial index:
-- they must admit exactly the rows the policies do, so that a limit counts readable rows only.
-- 宗地 (ownership) have no public policy.
CREATE FUNCTION parcel_read_rule(layer text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '((SELECT actor_sees_all_districts()) OR t.district_code = (SELECT actor_district())'
      || CASE WHEN layer = 'ownership' THEN ''
              ELSE ' OR ((SELECT actor_role()) = ''public'' AND t.submission_id = ANY ((SELECT public_submission_ids())::uuid[]))' END
      || ')'
$$;

-- The parcels of a tile, found through the spatial index. Under row-level security PostgreSQL
-- cannot use a non-leakproof operator such as PostGIS's && as an index condition (it must apply
-- the policy first), so a tile read as lsp_app would scan the whole table. These functions run as
-- the owner, apply the same read rules as the policies (so they reveal nothing more), and return
-- only keys; the tile query then reads the rows by primary key as lsp_app, where row-level
-- security applies again. With max_features, the largest parcels come first (the smallest are
-- dropped as needed to keep a tile small).
CREATE FUNCTION tile_parcel_keys(layer text, bounds geometry, as_of date, district varchar, min_area numeric, max_features integer)
RETURNS TABLE (district_code varchar, version_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  versions text := CASE layer WHEN 'land_use' THEN 'land_use_parcels' WHEN 'basic_farmland' THEN 'basic_farmland_parcels' END;
BEGIN
  IF versions IS NULL THEN
    RAISE EXCEPTION 'not a parcel layer: %', layer USING ERRCODE = '22023';
  END IF;
  RETURN QUERY EXECUTE format(
    $q$SELECT t.district_code, t.version_id FROM %I t
        WHERE t.geom && $1 AND daterange(t.valid_from, t.valid_to, '[)') @> $2
          AND ($3::varchar IS NULL OR t.district_code = $3) AND t.area_m2 >= $4
          AND %s
        %s$q$,
    versions, parcel_read_rule(layer), CASE WHEN max_features IS NULL THEN '' ELSE 'ORDER BY t.area_m2 DESC, t.version_id LIMIT $5' END)
  USING bounds, as_of, district, min_area, max_features;
END
$$;

-- The land-use versions of the change overlay between two days: those that began after from_day
-- and are valid on to_day (began), and those valid on from_day that ended by to_day.
CREATE FUNCTION tile_change_keys(bounds geometry, from_day date, to_day date, district varchar, min_area numeric, max_features integer)
RETURNS TABLE (district_code varchar, version_id bigint, began boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    $q$SELECT t.district_code, t.version_id, t.valid_from > $2 FROM land_use_parcels t
        WHERE t.geom && $1 AND daterange(t.valid_from, t.valid_to, '[)') && daterange($2, $3, '[]')
          AND ((t.valid_from > $2 AND t.valid_from <= $3 AND (t.valid_to IS NULL OR t.valid_to > $3))
               OR (t.valid_from <= $2 AND t.valid_to > $2 AND t.valid_to <= $3))
          AND ($4::varchar IS NULL OR t.district_code = $4) AND t.area_m2 >= $5
          AND %s
        %s$q$,
    parcel_read_rule('land_use'), CASE WHEN max_features IS NULL THEN '' ELSE 'ORDER BY t.area_m2 DESC, t.version_id LIMIT $6' END)
  USING bounds, from_day, to_day, district, min_area, max_features;
END
$$;
REVOKE ALL ON FUNCTION tile_parcel_keys(text, geometry, date, varchar, numeric, integer), tile_change_keys(geometry, date, date, varchar, numeric, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tile_parcel_keys(text, geometry, date, varchar, numeric, integer), tile_change_keys(geometry, date, date, varchar, numeric, integer) TO lsp_app;

-- A geometry in the integer coordinates of a tile, for the engine without ST_AsMVTGeom (the
-- embedded PostGIS has no protobuf-c; the tile is then encoded in JS). The steps of ST_AsMVTGeom:
-- scale the EPSG:3857 geometry to 0..extent with y down and snap it to the integer grid, drop the
-- points left on straight lines, clip to the tile and its buffer (and snap again: cuts end between
-- grid points), and orient polygons as MVT wants them (exterior rings of positive area in tile
-- coordinates, clockwise as drawn). Null when nothing is left. The caller simplifies beforehand,
-- on both engines alike (server/modules/tiles/sql.ts).
CREATE FUNCTION mvt_prepare(geom geometry, bounds geometry, extent integer, buffer integer)
RETURNS geometry LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  sx float8 := extent / (ST_XMax(bounds) - ST_XMin(bounds));
  sy float8 := extent / (ST_YMax(bounds) - ST_YMin(bounds));
  g geometry := geom;
BEGIN
  IF g IS NULL OR ST_IsEmpty(g) THEN RETURN NULL; END IF;
  g := ST_SnapToGrid(ST_Affine(g, sx, 0, 0, -sy, -sx * ST_XMin(bounds), sy * ST_YMax(bounds)), 1);
  IF g IS NOT NULL AND NOT ST_IsEmpty(g) AND ST_Dimension(g) > 0 THEN
    g := ST_Simplify(g, 0);
  END IF;
  IF g IS NULL OR ST_IsEmpty(g) THEN RETURN NULL; END IF;
  g := ST_SnapToGrid(ST_ClipByBox2D(g, ST_MakeBox2D(ST_Point(-buffer, -buffer), ST_Point(extent + buffer, extent + buffer))), 1);
  IF g IS NULL OR ST_IsEmpty(g) THEN RETURN NULL; END IF;
  RETURN ST_ForcePolygonCCW(g);
END
$$;
