-- The session cache (server/modules/auth/session-cache.ts). Every request resolves its session
-- cookie to a user; the platform keeps what it found in memory and uses it again as long as this
-- generation has not moved. It moves with every statement that may change what a lookup returns:
-- a session ended (logout, sweep), a user's name, role, district, organisation or disabled flag,
-- an organisation's or a district's name. New sessions need no move: a token not in the cache is
-- looked up. As for the tile generations (0010), the writer holds a shared advisory lock until it
-- ends, and a lookup is cached only if no such writer was open when it ran.
CREATE SEQUENCE session_generation AS bigint;
SELECT nextval('session_generation');

CREATE FUNCTION session_generation_lock() RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 732150104::bigint
$$;

CREATE FUNCTION bump_session_generation() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(session_generation_lock());
  PERFORM nextval('session_generation');
  RETURN NULL;
END
$$;

-- Sessions are deleted at every login (the sweep of expired ones), mostly none: only a delete
-- that removed rows moves the generation, or every login would empty everyone's cache.
CREATE FUNCTION bump_session_generation_on_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM gone) THEN
    PERFORM pg_advisory_xact_lock_shared(session_generation_lock());
    PERFORM nextval('session_generation');
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER sessions_session_generation_delete AFTER DELETE ON sessions
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION bump_session_generation_on_delete();
CREATE TRIGGER sessions_session_generation AFTER UPDATE OR TRUNCATE ON sessions
  FOR EACH STATEMENT EXECUTE FUNCTION bump_session_generation();
-- Only the columns a lookup returns: a login's reset of the failed-login count moves nothing.
CREATE TRIGGER users_session_generation AFTER UPDATE OF username, display_name, role, district_code, organisation_id, disabled
  OR DELETE OR TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION bump_session_generation();
CREATE TRIGGER organisations_session_generation AFTER UPDATE OF name OR DELETE OR TRUNCATE ON organisations
  FOR EACH STATEMENT EXECUTE FUNCTION bump_session_generation();
CREATE TRIGGER admin_units_session_generation AFTER UPDATE OF name OR DELETE OR TRUNCATE ON admin_units
  FOR EACH STATEMENT EXECUTE FUNCTION bump_session_generation();
