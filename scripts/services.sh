#!/usr/bin/env bash
# Project-local PostGIS cluster and Redis (data under var/, own ports on 127.0.0.1).
# Skipped when DATABASE_URL / CELERY_BROKER_URL point elsewhere.  Usage: services.sh start|stop|status
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PG_BIN=/usr/lib/postgresql/15/bin
PG_PORT=${IRBIS_PG_PORT:-54329}
REDIS_PORT=${IRBIS_REDIS_PORT:-63799}
mkdir -p var/run var/log

as_pg() {
  # PostgreSQL refuses to run as root: as root, run it as the postgres system user.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_home() {
  # The cluster lives in var/pg, unless (as root) the postgres user cannot reach the
  # checkout (e.g. a clone under a 0700 directory): then in a per-checkout directory in /var/tmp.
  local dir="$ROOT/var/pg"
  if [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      dir="/var/tmp/irbis-pg-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
      mkdir -p "$dir"
      chown postgres:postgres "$dir"
    fi
  else
    mkdir -p "$dir"
  fi
  echo "$dir"
}

pg_start() {
  if [ -n "${DATABASE_URL:-}" ]; then echo "services: DATABASE_URL is set, not starting a local PostGIS"; return; fi
  local home; home=$(pg_home)
  local data="$home/data"
  if [ ! -f "$data/PG_VERSION" ]; then
    echo "services: creating PostGIS cluster in $data"
    printf 'irbis\n' > "$home/pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$home/pwfile"
    as_pg "$PG_BIN/initdb" -D "$data" -U irbis --pwfile="$home/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$home/initdb.log"
    rm -f "$home/pwfile"
  fi
  if as_pg "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    echo "services: PostGIS already running on 127.0.0.1:$PG_PORT"
  else
    as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$home/postgres.log" -w -t 60 \
      -o "-p $PG_PORT -k $home -c listen_addresses=127.0.0.1 -c fsync=${IRBIS_PG_FSYNC:-on}" start >/dev/null
    echo "services: PostGIS started on 127.0.0.1:$PG_PORT (data: $data)"
  fi
  if ! as_pg "$PG_BIN/../bin/psql" -h "$home" -p "$PG_PORT" -U irbis -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='irbis'" | grep -q 1; then
    as_pg /usr/lib/postgresql/15/bin/createdb -h "$home" -p "$PG_PORT" -U irbis irbis
  fi
  PGOPTIONS="-c client_min_messages=warning" as_pg /usr/lib/postgresql/15/bin/psql -q -h "$home" -p "$PG_PORT" -U irbis -d irbis \
    -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
}

pg_stop() {
  [ -n "${DATABASE_URL:-}" ] && return
  local home; home=$(pg_home)
  if as_pg "$PG_BIN/pg_ctl" -D "$home/data" status >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$home/data" -m fast -w stop >/dev/null && echo "services: PostGIS stopped"
  fi
}

redis_start() {
  if [ -n "${CELERY_BROKER_URL:-}" ]; then echo "services: CELERY_BROKER_URL is set, not starting a local Redis"; return; fi
  mkdir -p var/redis
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    echo "services: Redis already running on 127.0.0.1:$REDIS_PORT"
    return
  fi
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$ROOT/var/redis" \
    --pidfile "$ROOT/var/run/redis.pid" --logfile "$ROOT/var/log/redis.log" --save "" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "services: Redis started on 127.0.0.1:$REDIS_PORT"
}

redis_stop() {
  [ -n "${CELERY_BROKER_URL:-}" ] && return
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 && echo "services: Redis stopped" || true
}

app_stop() {
  for name in web worker; do
    if [ -f "var/run/$name.pid" ]; then
      kill "$(cat "var/run/$name.pid")" 2>/dev/null && echo "services: $name stopped" || true
      rm -f "var/run/$name.pid"
    fi
  done
}

case "${1:-}" in
  start) pg_start; redis_start ;;
  stop) app_stop; redis_stop; pg_stop ;;
  status)
    home=$(pg_home); as_pg "$PG_BIN/pg_ctl" -D "$home/data" status || true
    redis-cli -p "$REDIS_PORT" ping || true ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
