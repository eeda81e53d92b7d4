-- PostGIS for geometry, btree_gist so version validity periods can be exclusion-constrained per BSM.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- The role every request runs under (SET LOCAL ROLE inside its transaction). It is neither
-- superuser nor table owner, so row-level security applies to it on both engines; owners and
-- superusers would bypass the policies. Roles are cluster-wide, hence the existence check.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lsp_app') THEN
    CREATE ROLE lsp_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;
-- The connecting (migrating) user must be able to switch to it.
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'lsp_app', 'MEMBER') THEN
    EXECUTE format('GRANT lsp_app TO %I', current_user);
  END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO lsp_app;
