-- Administrative units: city, districts, and room for towns and villages. Codes are the national
-- administrative division codes (310000 city, 3101xx districts, 9-digit towns, 12-digit villages).
CREATE TYPE admin_level AS ENUM ('city', 'district', 'town', 'village');

CREATE TABLE admin_units (
  code            varchar(12) PRIMARY KEY CHECK (code ~ '^[0-9]{6}([0-9]{3}([0-9]{3})?)?$'),
  level           admin_level NOT NULL,
  parent_code     varchar(12) REFERENCES admin_units(code),
  name            varchar(100) NOT NULL,
  boundary        geometry(MultiPolygon, 4490),
  -- 控制面积: the official area the district's parcels must add up to (m², ellipsoidal).
  control_area_m2 numeric(16, 2) CHECK (control_area_m2 IS NULL OR control_area_m2 > 0),
  -- Units are merged and re-coded over time (闸北 into 静安, 崇明县 to 崇明区): keep it as data.
  valid_from      date NOT NULL DEFAULT DATE '1949-10-01',
  valid_to        date CHECK (valid_to IS NULL OR valid_to > valid_from),
  note            text,
  CHECK ((level = 'city') = (parent_code IS NULL))
);
CREATE INDEX admin_units_boundary_gist ON admin_units USING gist (boundary);
CREATE INDEX admin_units_parent ON admin_units (parent_code);

-- Code lists from fixtures/reference/codes.json: one source for validation, legends, statistics.
-- list: dlbm (三调工作分类, the codes DLBM holds), dlbm_group (its 一级类), gbt21010, gbt21010_group,
-- qsxz, gdlx, gdpdjb, zzsxdm, tbxhdm, czcsxm.
CREATE TABLE code_lists (
  list        varchar(32) NOT NULL,
  code        varchar(8) NOT NULL,
  name        varchar(100) NOT NULL,
  parent_code varchar(8),
  sort_order  integer NOT NULL,
  -- fill colour of the 三调 palette as #rrggbb, for land-use classes
  color       char(7) CHECK (color IS NULL OR color ~ '^#[0-9a-f]{6}$'),
  verified    boolean NOT NULL,
  PRIMARY KEY (list, code)
);

-- Which reference file was loaded, so start-up can skip reloading an unchanged one.
CREATE TABLE reference_loads (
  source     varchar(64) PRIMARY KEY,
  sha256     char(64) NOT NULL,
  loaded_at  timestamptz NOT NULL DEFAULT now()
);
