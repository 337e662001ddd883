#!/bin/sh
# PostgreSQL 15 from Debian with the interface of the official postgres/timescaledb images:
# POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB; data in $PGDATA; logs in /LOG/timescaledb.
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
PGDATA=${PGDATA:-/var/lib/postgresql/data}
LOG_DIR=${LOG_DIR:-/LOG/timescaledb}
BIN=/usr/lib/postgresql/15/bin
mkdir -p "$PGDATA" "$LOG_DIR" /run/postgresql
chown -R postgres:postgres "$PGDATA" "$LOG_DIR" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp); printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"; chown postgres "$pwfile"
  su postgres -s /bin/sh -c "$BIN/initdb -D '$PGDATA' -U postgres --pwfile='$pwfile' -A scram-sha-256" >/dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  su postgres -s /bin/sh -c "$BIN/pg_ctl -D '$PGDATA' -o '-c listen_addresses=' -w start" >/dev/null
  export PGPASSWORD="$POSTGRES_PASSWORD"
  if [ "$POSTGRES_USER" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -h /run/postgresql -U postgres -q \
      -c "CREATE ROLE \"$POSTGRES_USER\" LOGIN SUPERUSER PASSWORD '$POSTGRES_PASSWORD'"
  fi
  [ "$POSTGRES_DB" = postgres ] || psql -h /run/postgresql -U postgres -q -c "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\""
  unset PGPASSWORD
  su postgres -s /bin/sh -c "$BIN/pg_ctl -D '$PGDATA' -m fast -w stop" >/dev/null
fi
exec su postgres -s /bin/sh -c "exec $BIN/postgres -D '$PGDATA' -c listen_addresses='*' \
  -c shared_buffers=32MB -c max_connections=40 -c logging_collector=on \
  -c log_directory='$LOG_DIR' -c log_filename=postgresql.log $*"
