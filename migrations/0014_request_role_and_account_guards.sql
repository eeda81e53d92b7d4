-- Guards that must hold whatever SQL a request connection runs (issue 13, items 10, 11, 14).

-- 1. The login role of request connections on a server (server/db/engine.ts). Until now requests
-- connected as the owner and switched to lsp_app with SET LOCAL ROLE, which RESET ROLE, SET
-- SESSION AUTHORIZATION or set_config('role', 'none', true) undid. lsp_request holds lsp_app's
-- rights and nothing else: it is not superuser, owns nothing and is a member of no owner, so
-- whatever role it switches back to is still under row-level security. It logs in without a
-- password where the server trusts the address (CI, a local socket); production gives it one
-- (ALTER ROLE lsp_request PASSWORD …) and names it in REQUEST_DATABASE_URL (docs/security.md).
-- Roles are cluster-wide: every database of a cluster shares this one, hence the checks.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lsp_request') THEN
    CREATE ROLE lsp_request LOGIN INHERIT NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
  END IF;
  IF NOT pg_has_role('lsp_request', 'lsp_app', 'MEMBER') THEN
    GRANT lsp_app TO lsp_request;
  END IF;
  -- A role made elsewhere under this name must not carry more than that.
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lsp_request' AND (rolsuper OR rolbypassrls))
     OR pg_has_role('lsp_request', current_user, 'MEMBER') THEN
    RAISE EXCEPTION 'role lsp_request is superuser, bypasses row-level security or is a member of the owner %', current_user
      USING HINT = 'Requests must not be able to leave row-level security: drop or alter that role.';
  END IF;
END
$$;

-- 2. An audit entry's identity comes from the session, not from what the inserting SQL claims.
-- The policy audit_log_append refused another user or role, but the district and the time were
-- taken on trust, so a district operator could label an entry with another district. For rows
-- inserted by anyone but the owner (requests, as lsp_app or lsp_request) the database now fills
-- user, role and district from the session (app.session) where the row leaves them out, refuses
-- a row that names another, and stamps the time. A district-bound actor's entries carry its own
-- district; a city-level actor, who may act on any district, may name the district its action
-- concerned. The owner (login bookkeeping, seed, CLI) writes the names it knows; it could
-- disable this trigger anyway, requests cannot.
CREATE FUNCTION audit_identity_from_session() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  session_actor actor;
BEGIN
  IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
    RETURN NEW;
  END IF;
  session_actor := current_actor();
  NEW.at := clock_timestamp();
  NEW.actor_user_id := coalesce(NEW.actor_user_id, session_actor.user_id);
  NEW.actor_role := coalesce(NEW.actor_role, session_actor.role);
  IF session_actor.role NOT IN ('city_admin', 'city_auditor', 'leading_group_office') THEN
    NEW.district_code := coalesce(NEW.district_code, session_actor.district_code);
    IF NEW.district_code IS DISTINCT FROM session_actor.district_code THEN
      RAISE EXCEPTION 'audit entry names district %, the session''s is %', NEW.district_code, coalesce(session_actor.district_code, 'none')
        USING ERRCODE = '42501';
    END IF;
  END IF;
  IF NEW.actor_user_id IS DISTINCT FROM session_actor.user_id OR NEW.actor_role IS DISTINCT FROM session_actor.role THEN
    RAISE EXCEPTION 'audit entry names user % (%), the session''s is % (%)', NEW.actor_user_id, NEW.actor_role,
      coalesce(session_actor.user_id::text, 'anonymous'), session_actor.role
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_log_identity BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_identity_from_session();

-- 3. A changed password or a disabled account ends the account's sessions, whoever makes the
-- change (the API, the CLI, SQL by hand): deleted rather than hidden, so re-enabling the account
-- brings none back. The delete moves the session generation (0011), so cached lookups go too.
CREATE FUNCTION end_sessions_of_account() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  DELETE FROM sessions WHERE user_id = NEW.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER users_end_sessions AFTER UPDATE OF password_hash, disabled ON users
  FOR EACH ROW WHEN (NEW.password_hash IS DISTINCT FROM OLD.password_hash OR (NEW.disabled AND NOT OLD.disabled))
  EXECUTE FUNCTION end_sessions_of_account();

-- The city administrator resets another account's password (and with it the lock-out) as a
-- request; the policy users_update admits only city_admin to these columns as to the others.
GRANT UPDATE (password_hash, password_changed_at, failed_login_count, locked_until) ON users TO lsp_app;
