#!/bin/bash
# Runs once, when the db volume is first created, as the superuser. The extensions the
# student search needs (students/migrations/0007_search.py): the migration creates them
# too (they are trusted extensions and mtss_owner owns the database), so this is only a
# belt for a cluster where the migration role may not create extensions.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;
SQL
