#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL and Redis on loopback for tests and CI.
#   scripts/services.sh start   -> prints the export lines for DATABASE_URL and REDIS_URL
#   scripts/services.sh stop
# State lives in $MTSS_RUN (default: var/run); nothing outside it is touched.
set -euo pipefail
RUN=${MTSS_RUN:-$(pwd)/var/run}
PG_PORT=${PG_PORT:-5433}
REDIS_PORT=${REDIS_PORT:-6380}

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
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
      --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log"
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/mtss"
  echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

stop() {
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
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
