#!/bin/sh
# One-shot (temporalio/admin-tools in docker-compose.yml; natively, `npm run cluster`): creates the Temporal databases
# `temporal` and `temporal_visibility` on PostgreSQL and brings both schemas to the versions shipped with the server.
# Safe to run again: `create` accepts an existing database, `setup-schema -v 0.0` keeps a newer version,
# `update-schema` applies only missing versions. Needs `temporal-sql-tool` on PATH; SCHEMA_DIR is the server's
# schema/postgresql/v12 directory (in the image, /etc/temporal/schema/postgresql/v12).
set -eu

: "${POSTGRES_SEEDS:=postgresql}"
: "${DB_PORT:=5432}"
: "${POSTGRES_USER:=temporal}"
: "${POSTGRES_PWD:=temporal}"
: "${SCHEMA_DIR:=/etc/temporal/schema/postgresql/v12}"

sql_tool() {
  SQL_PASSWORD="$POSTGRES_PWD" temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" \
    -u "$POSTGRES_USER" "$@"
}

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) versioned="$SCHEMA_DIR/temporal/versioned" ;;
    *) versioned="$SCHEMA_DIR/visibility/versioned" ;;
  esac
  echo "setup-postgres: database $db"
  sql_tool --db "$db" create
  sql_tool --db "$db" setup-schema -v 0.0
  sql_tool --db "$db" update-schema -d "$versioned"
done
echo 'setup-postgres: done'
