-- GET /api/features (server/modules/versions/queries.ts featuresInBox): the versions in a box,
-- found through the spatial index. As for the tiles (0010, tile_parcel_keys): under row-level
-- security PostGIS's && cannot be an index condition, so a box read as lsp_app scanned every
-- version of the layer (seconds at a million parcels, for the web map's click on one point). This
-- function runs as the owner, applies the same read rule as the policies (parcel_read_rule, 0010) (so a page holds as
-- many rows as the policies let the actor read, and reveals nothing more), and returns only keys,
-- by version id after `after`, at most max_rows; the caller reads the rows by primary key as
-- lsp_app, where row-level security applies again.
CREATE FUNCTION feature_keys(layer text, bounds geometry, as_of date, district varchar, after bigint, max_rows integer)
RETURNS TABLE (district_code varchar, version_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  versions text := CASE layer WHEN 'land_use' THEN 'land_use_parcels' WHEN 'basic_farmland' THEN 'basic_farmland_parcels'
                              WHEN 'ownership' THEN 'ownership_parcels' END;
BEGIN
  IF versions IS NULL THEN
    RAISE EXCEPTION 'not a versioned layer: %', layer USING ERRCODE = '22023';
  END IF;
  RETURN QUERY EXECUTE format(
    $q$SELECT t.district_code, t.version_id FROM %I t
        WHERE t.geom && $1 AND ST_Intersects(t.geom, $1) AND daterange(t.valid_from, t.valid_to, '[)') @> $2
          AND ($3::varchar IS NULL OR t.district_code = $3) AND t.version_id > $4
          AND %s
        ORDER BY t.version_id LIMIT $5$q$,
    versions, parcel_read_rule(layer))
  USING bounds, as_of, district, after, max_rows;
END
$$;
REVOKE ALL ON FUNCTION feature_keys(text, geometry, date, varchar, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION feature_keys(text, geometry, date, varchar, bigint, integer) TO lsp_app;
