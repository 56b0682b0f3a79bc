#!/usr/bin/env bash
# PostgreSQL for the engine tier: Debian's server binaries, a throw-away cluster on loopback.
#   install  apt-get install postgresql when no server binaries are on the machine
#   start    initdb + pg_ctl start on 127.0.0.1:${DRIVERLAB_PG_PORT:-54329}; prints DRIVERLAB_PG_URL=…
#   stop     stops the server and removes the cluster
set -euo pipefail
port="${DRIVERLAB_PG_PORT:-54329}"
state="${TMPDIR:-/tmp}/driverlab-ci-postgres-${port}"

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

# initdb and postgres refuse to run as root: run them as the postgres account Debian creates.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  install)
    if ! bindir >/dev/null; then
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    fi
    bindir >/dev/null || { echo "postgres.sh: no PostgreSQL server binaries after installing postgresql" >&2; exit 1; }
    ;;
  start)
    bin=$(bindir) || { echo "postgres.sh: no PostgreSQL server binaries; run '$0 install' first" >&2; exit 1; }
    "$0" stop >/dev/null 2>&1 || true
    mkdir -p "$state"
    [ "$(id -u)" = 0 ] && chown postgres "$state"
    as_owner "$bin/initdb" -D "$state/data" -U driverlab -A trust --no-sync >&2
    as_owner "$bin/pg_ctl" -D "$state/data" -l "$state/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $state -c fsync=off -c max_connections=200" start >&2
    echo "DRIVERLAB_PG_URL=postgres://driverlab@127.0.0.1:${port}/postgres"
    ;;
  stop)
    if bin=$(bindir) && [ -d "$state/data" ]; then
      as_owner "$bin/pg_ctl" -D "$state/data" -m fast -w stop >&2 || true
    fi
    rm -rf "$state"
    ;;
  *)
    echo "usage: $0 install|start|stop" >&2
    exit 2
    ;;
esac
