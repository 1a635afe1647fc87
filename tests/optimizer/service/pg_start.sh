#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the service tests and print its URL.
#
#   export OPPORTUNE_TEST_PG_URL=$(bash tests/optimizer/service/pg_start.sh)
#
# Installs Debian's postgresql if no initdb is found (needs root), creates a cluster in a
# fresh temporary directory, starts it on a free loopback port as the postgres user
# (initdb refuses to run as root) with a random password, and prints the SQLAlchemy URL
# on stdout. The command that stops it is printed on stderr. fsync is off: the data is
# disposable.
set -euo pipefail

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
BIN=$(find_bin || true)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  BIN=$(find_bin)
fi

DIR=$(mktemp -d /tmp/opportune-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PW=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
printf '%s\n' "$PW" > "$DIR/pwfile"

if [ "$(id -u)" = 0 ]; then
  chown -R postgres:postgres "$DIR"
  as_pg() { su postgres -s /bin/sh -c "$1"; }
else
  as_pg() { sh -c "$1"; }
fi

as_pg "'$BIN/initdb' -D '$DIR/data' -U postgres --auth=scram-sha-256 --pwfile='$DIR/pwfile' -E UTF8 --no-instructions" >&2
rm -f "$DIR/pwfile"
as_pg "'$BIN/pg_ctl' -D '$DIR/data' -l '$DIR/server.log' -w -t 60 \
  -o \"-p $PORT -k '$DIR' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start" >&2

echo "stop it with: su postgres -s /bin/sh -c \"$BIN/pg_ctl -D $DIR/data stop -m fast\"" >&2
echo "postgresql+psycopg://postgres:${PW}@127.0.0.1:${PORT}/postgres"
