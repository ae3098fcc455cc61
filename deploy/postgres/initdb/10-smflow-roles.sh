#!/usr/bin/env bash
# Creates smflow's two database roles (checklist key db.least-privilege). The official postgres
# image runs this once, as the superuser, on the first start of an empty data volume
# (/docker-entrypoint-initdb.d); Tests/DeploymentTests runs it against a throwaway cluster.
#
#   owner role  owns the database and the public schema, runs the migrations
#               (`smflow migrate`, the compose `migrate` service); never used by the app.
#   app role    what `serve` connects as: CONNECT, USAGE on the schema and
#               SELECT/INSERT/UPDATE/DELETE on the tables, today's and (default privileges)
#               every table the owner creates later. It cannot CREATE, DROP, ALTER, TRUNCATE,
#               use temporary tables or read pg_authid; neither role is a superuser or may
#               create databases or roles.
#
# Passwords come from files (Docker secrets), never from arguments or this file, and reach
# psql through its environment (\getenv), so they appear in no process list.
#
# Environment: POSTGRES_USER, POSTGRES_DB (set by the image), SMF_DB_OWNER_PASSWORD_FILE,
# SMF_DB_APP_PASSWORD_FILE, optionally SMF_DB_OWNER_ROLE (smflow_owner), SMF_DB_APP_ROLE
# (smflow_app), and the usual PG* variables for the connection.
set -Eeuo pipefail

read_secret() {
    local file=$1 value
    value=$(<"$file")
    # Trailing newlines from `echo >file` are not part of the password.
    value=${value%%$'\n'}
    [[ -n $value ]] || { echo "10-smflow-roles.sh: $file is empty" >&2; return 1; }
    printf '%s' "$value"
}

SMF_DB_OWNER_PASSWORD=$(read_secret "${SMF_DB_OWNER_PASSWORD_FILE:?path of the owner role password file}")
SMF_DB_APP_PASSWORD=$(read_secret "${SMF_DB_APP_PASSWORD_FILE:?path of the app role password file}")
export SMF_DB_OWNER_PASSWORD SMF_DB_APP_PASSWORD
# Local connections need a password too (scram-sha-256 in pg_hba.conf): the superuser's, which
# the image's entrypoint has read from POSTGRES_PASSWORD_FILE into POSTGRES_PASSWORD.
export PGPASSWORD="${PGPASSWORD:-${POSTGRES_PASSWORD:-}}"

psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 \
    --username "${POSTGRES_USER:?}" --dbname "${POSTGRES_DB:?}" \
    -v db_name="$POSTGRES_DB" \
    -v owner_role="${SMF_DB_OWNER_ROLE:-smflow_owner}" \
    -v app_role="${SMF_DB_APP_ROLE:-smflow_app}" <<'SQL'
\getenv owner_password SMF_DB_OWNER_PASSWORD
\getenv app_password SMF_DB_APP_PASSWORD
SET password_encryption = 'scram-sha-256';

BEGIN;
CREATE ROLE :"owner_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'owner_password';
CREATE ROLE :"app_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT
    PASSWORD :'app_password';

-- The database: only the two roles (and the superuser) may connect; nobody but the owner may
-- create schemas or temporary tables (PUBLIC has CONNECT and TEMPORARY by default).
ALTER DATABASE :"db_name" OWNER TO :"owner_role";
REVOKE ALL ON DATABASE :"db_name" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db_name" TO :"app_role";

-- The schema belongs to the owner; the app may only use what is in it.
ALTER SCHEMA public OWNER TO :"owner_role";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app_role";

-- Data access only, for the tables that exist (after a restore) and every one the owner
-- creates from now on (migrations).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public
    REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- A fixed search path: no schema the app could be tricked into resolving names in.
ALTER ROLE :"app_role" IN DATABASE :"db_name" SET search_path = public;
ALTER ROLE :"owner_role" IN DATABASE :"db_name" SET search_path = public;
COMMIT;
SQL
