#!/bin/sh
# Transaction pooling: a server connection serves one client transaction at a time.
# The app sets its district per transaction (mtss.tenancy), so this is safe.
set -eu
dir=/tmp/pgbouncer
mkdir -p "$dir"
printf '"mtss_app" "%s"\n' "$MTSS_APP_PASSWORD" >"$dir/userlist.txt"
cat >"$dir/pgbouncer.ini" <<INI
[databases]
mtss = host=${DB_HOST:-db} port=${DB_PORT:-5432} dbname=mtss

[pgbouncer]
listen_addr = 0.0.0.0
listen_port = 6432
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = ${POOL_SIZE:-20}
max_client_conn = ${MAX_CLIENT_CONN:-500}
server_reset_query =
ignore_startup_parameters = extra_float_digits
INI
exec pgbouncer "$dir/pgbouncer.ini"
