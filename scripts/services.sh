#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL, its streaming replica, Redis and (when
# installed) PgBouncer on loopback for tests and CI.
#   scripts/services.sh start   -> prints the export lines for DATABASE_URL,
#                                  MIGRATE_DATABASE_URL, REDIS_URL, PGBOUNCER_URL
#                                  and REPLICA_DATABASE_URL
#   scripts/services.sh stop
# The app logs in as `mtss_app` (owns no table, no superuser, no BYPASSRLS);
# migrations and the test database's set-up log in as the owner `postgres`
# (README, Production, "Database roles"). PgBouncer runs in transaction mode with
# ONE server connection per database and user: the harshest pooling for the
# tenancy tests that `make test` runs through it.
# The replica (README, Production, "Read replica") is a hot standby made with
# `pg_basebackup -R` from the primary on loopback, streaming through a physical
# replication slot as the REPLICATION role `mtss_replicator`; MTSS_REPLICA=0 skips it.
# State lives in $MTSS_RUN (default: var/run); nothing outside it is touched.
set -euo pipefail
RUN=${MTSS_RUN:-$(pwd)/var/run}
PG_PORT=${PG_PORT:-5433}
REDIS_PORT=${REDIS_PORT:-6380}
PGBOUNCER_PORT=${PGBOUNCER_PORT:-$((PG_PORT + 990))}
REPLICA_PORT=${REPLICA_PORT:-$((PG_PORT + 20))}
APP_ROLE=mtss_app
REPLICATION_ROLE=mtss_replicator
REPLICATION_SLOT=mtss_replica

start() {
  mkdir -p "$RUN"
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  if [ ! -d "$RUN/pg/data" ]; then
    install -d -o postgres -g postgres "$RUN/pg"
    su postgres -c "$PGBIN/initdb -D $RUN/pg/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 -N" >/dev/null
  fi
  if ! su postgres -c "$PGBIN/pg_ctl -D $RUN/pg/data status" >/dev/null 2>&1; then
    su postgres -c "$PGBIN/pg_ctl -D $RUN/pg/data -l $RUN/pg/log -w start -o '-h 127.0.0.1 -p $PG_PORT -k $RUN/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off'" >/dev/null
  fi
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='mtss'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE mtss"
  # The app's login role: not the owner, not a superuser, no BYPASSRLS.
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$APP_ROLE') THEN
        CREATE ROLE $APP_ROLE LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
      ELSE
        ALTER ROLE $APP_ROLE LOGIN NOSUPERUSER NOBYPASSRLS;
      END IF; END \$\$;"
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
      --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log"
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "export DATABASE_URL=postgres://$APP_ROLE@127.0.0.1:$PG_PORT/mtss"
  echo "export MIGRATE_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/mtss"
  echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
  if [ "${MTSS_REPLICA:-1}" != 0 ]; then
    start_replica
    echo "export REPLICA_DATABASE_URL=postgres://$APP_ROLE@127.0.0.1:$REPLICA_PORT/mtss"
  fi
  if command -v pgbouncer >/dev/null 2>&1; then
    start_pgbouncer
    echo "export PGBOUNCER_URL=postgres://$APP_ROLE@127.0.0.1:$PGBOUNCER_PORT/mtss"
  fi
}

start_replica() {
  local data="$RUN/pg/replica"
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$REPLICATION_ROLE') THEN
        CREATE ROLE $REPLICATION_ROLE LOGIN REPLICATION NOSUPERUSER;
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$REPLICATION_SLOT') THEN
        PERFORM pg_create_physical_replication_slot('$REPLICATION_SLOT');
      END IF; END \$\$;"
  if [ ! -d "$data" ]; then
    # -R writes primary_conninfo and standby.signal: the copy starts as a hot standby.
    su postgres -c "$PGBIN/pg_basebackup -h 127.0.0.1 -p $PG_PORT -U $REPLICATION_ROLE -D $data -R -X stream -S $REPLICATION_SLOT --checkpoint=fast"
  fi
  if ! su postgres -c "$PGBIN/pg_ctl -D $data status" >/dev/null 2>&1; then
    su postgres -c "$PGBIN/pg_ctl -D $data -l $RUN/pg/replica.log -w start -o '-h 127.0.0.1 -p $REPLICA_PORT -k $RUN/pg -c hot_standby=on -c fsync=off -c full_page_writes=off'" >/dev/null
  fi
}

start_pgbouncer() {
  local dir="$RUN/pgbouncer"
  [ -n "$RUN" ] || { echo "no run directory" >&2; exit 1; }
  if [ -f "$dir/pgbouncer.pid" ] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null; then
    return
  fi
  install -d -o postgres -g postgres "$dir"
  # auth_type trust like the throwaway cluster; PgBouncer still wants the users listed.
  printf '"postgres" ""\n"%s" ""\n' "$APP_ROLE" >"$dir/userlist.txt"
  {
    echo "[databases]"
    echo "* = host=127.0.0.1 port=$PG_PORT"
    echo "[pgbouncer]"
    echo "listen_addr = 127.0.0.1"
    echo "listen_port = $PGBOUNCER_PORT"
    echo "unix_socket_dir = $dir"
    echo "auth_type = trust"
    echo "auth_file = $dir/userlist.txt"
    echo "admin_users = postgres"
    echo "pool_mode = transaction"
    echo "default_pool_size = 1"
    echo "max_client_conn = 100"
    echo "server_reset_query ="
    echo "ignore_startup_parameters = extra_float_digits"
    echo "pidfile = $dir/pgbouncer.pid"
    echo "logfile = $dir/pgbouncer.log"
  } >"$dir/pgbouncer.ini"
  chown postgres:postgres "$dir/userlist.txt" "$dir/pgbouncer.ini"
  su postgres -c "pgbouncer -q -d $dir/pgbouncer.ini"
  for _ in $(seq 50); do
    psql -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U postgres -d pgbouncer -tAc "SHOW VERSION" >/dev/null 2>&1 && break
    sleep 0.1
  done
}

stop() {
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  if [ -f "$RUN/pgbouncer/pgbouncer.pid" ]; then
    kill "$(cat "$RUN/pgbouncer/pgbouncer.pid")" 2>/dev/null || true
    rm -f "$RUN/pgbouncer/pgbouncer.pid"
  fi
  if [ -d "$RUN/pg/replica" ]; then
    su postgres -c "$PGBIN/pg_ctl -D $RUN/pg/replica -m fast stop" >/dev/null 2>&1 || true
  fi
  if [ -d "$RUN/pg/data" ]; then
    su postgres -c "$PGBIN/pg_ctl -D $RUN/pg/data -m fast stop" >/dev/null 2>&1 || true
  fi
  if [ -f "$RUN/redis.pid" ]; then
    kill "$(cat "$RUN/redis.pid")" 2>/dev/null || true
    rm -f "$RUN/redis.pid"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
