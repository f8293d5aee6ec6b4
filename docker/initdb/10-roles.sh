#!/bin/bash
# Runs once, when the db volume is first created (postgres image's /docker-entrypoint-initdb.d).
# Two roles besides the superuser (README, Production, "Database roles"):
#   mtss_owner: owns the tables and runs migrations; BYPASSRLS so data migrations see every row.
#   mtss_app:   the app's login; owns nothing, no BYPASSRLS, so row-level security binds it
#               even after RESET ROLE. It reaches the database through PgBouncer.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_password="$MTSS_OWNER_PASSWORD" -v app_password="$MTSS_APP_PASSWORD" <<'SQL'
CREATE ROLE mtss_owner LOGIN NOSUPERUSER BYPASSRLS PASSWORD :'owner_password';
CREATE ROLE mtss_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
SELECT format('ALTER DATABASE %I OWNER TO mtss_owner', current_database()) \gexec
ALTER SCHEMA public OWNER TO mtss_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO mtss_app;
SQL
