-- Validity is judged on the geometry as the package delivered it (what the surveyor drew, in its
-- own CRS), not only after the transform to EPSG:4490: the transform moves a vertex that lies on
-- or a fraction of a millimetre from another edge to one side of it, which makes some valid
-- parcels invalid and some invalid ones valid (a ring touching itself comes apart).
--
-- The importer tests every geometry with ST_IsValid in its delivered CRS and keeps the delivered
-- geometry (with its SRID) only where it is invalid: typically a few parcels in a thousand, so
-- staging does not grow by a second copy of every parcel. NULL means valid as delivered (or no
-- geometry) for packages imported since this migration; the import report says which layers were
-- judged this way (layers[].validityAsDelivered), so older staging is checked as before.
ALTER TABLE staged_land_use_parcels ADD COLUMN delivered_geom geometry;
ALTER TABLE staged_basic_farmland_parcels ADD COLUMN delivered_geom geometry;
ALTER TABLE staged_ownership_parcels ADD COLUMN delivered_geom geometry;
ALTER TABLE staged_district_boundaries ADD COLUMN delivered_geom geometry;

COMMENT ON COLUMN staged_land_use_parcels.delivered_geom IS
  'the geometry in the CRS the package delivered it in, kept only where it is invalid there (ST_IsValid); NULL otherwise';
COMMENT ON COLUMN staged_basic_farmland_parcels.delivered_geom IS
  'the geometry in the CRS the package delivered it in, kept only where it is invalid there (ST_IsValid); NULL otherwise';
COMMENT ON COLUMN staged_ownership_parcels.delivered_geom IS
  'the geometry in the CRS the package delivered it in, kept only where it is invalid there (ST_IsValid); NULL otherwise';
COMMENT ON COLUMN staged_district_boundaries.delivered_geom IS
  'the geometry in the CRS the package delivered it in, kept only where it is invalid there (ST_IsValid); NULL otherwise';
