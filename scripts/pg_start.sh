#!/usr/bin/env bash
# Start a local PostgreSQL server for the `postgres` target (idempotent).
#
#   scripts/pg_start.sh        initdb (first time), start on 127.0.0.1:$SEGMART_PG_PORT
#                              (default 5433), create the roles and the database
#   scripts/pg_stop.sh         stop it (--purge also deletes its files)
#
# What it sets up, matching profiles.yml's `postgres` output:
#   role SEGMART_PG_USER (segmart) / SEGMART_PG_PASSWORD (segmart): owns database
#     SEGMART_PG_DB (segmart); dbt builds and `segmart load` writes with it;
#   role SEGMART_PG_BI_USER (segmart_bi) / SEGMART_PG_BI_PASSWORD (segmart_bi):
#     read-only BI login; each build grants it SELECT on the marts without personal
#     data in schema main (macros/engines/postgres.sql) and nothing else.
# The superuser `postgres` connects only through a unix socket in a folder only the
# server's OS user can enter (trust); TCP logins need a password (scram-sha-256).
# A second run reuses the running server. As root, the server runs as the OS user
# `postgres` (initdb refuses root; the user is created when missing). Files live in
# SEGMART_PG_DIR (default .pg/ in the project); see scripts/pg_env.sh.
# It is a local server for development and CI: synchronous_commit is off.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/pg_env.sh"

PG_DB="${SEGMART_PG_DB:-segmart}"
PG_USER="${SEGMART_PG_USER:-segmart}"
PG_PASSWORD="${SEGMART_PG_PASSWORD:-segmart}"
PG_BI_USER="${SEGMART_PG_BI_USER:-segmart_bi}"
PG_BI_PASSWORD="${SEGMART_PG_BI_PASSWORD:-segmart_bi}"

say() { echo "pg_start: $*" >&2; }

if ! find_pg_bin; then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
        say "no PostgreSQL server binaries: installing Debian's postgresql package"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    fi
    find_pg_bin || {
        say "no PostgreSQL server binaries found (set SEGMART_PG_BIN)"
        exit 2
    }
fi

if [[ "$(id -u)" == "0" ]] && ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
    say "creating the OS user $PG_OS_USER to run the server"
    useradd --system --user-group --no-create-home --shell /bin/sh "$PG_OS_USER"
fi

mkdir -p "$PG_DIR" "$PG_SOCKET_DIR"
chmod 700 "$PG_DIR" "$PG_SOCKET_DIR"
if [[ "$(id -u)" == "0" ]]; then
    chown "$PG_OS_USER:" "$PG_DIR" "$PG_SOCKET_DIR"
fi
if ! as_pg_user test -w "$PG_DIR"; then
    say "the OS user $PG_OS_USER cannot write $PG_DIR: set SEGMART_PG_DIR"
    exit 1
fi

if [[ ! -f "$PGDATA_DIR/PG_VERSION" ]]; then
    say "initdb $PGDATA_DIR"
    # C.UTF-8: strings sort by code point, like DuckDB and Spark; lower/upper know
    # every script.
    as_pg_user "$PG_BIN/initdb" --pgdata="$PGDATA_DIR" --username=postgres \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 \
        --locale=C.UTF-8 >"$PG_DIR/initdb.log"
    as_pg_user tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null <<'CONF'

# segmart (scripts/pg_start.sh): a local server for development and CI
listen_addresses = '127.0.0.1'
synchronous_commit = off
jit = off
shared_buffers = 256MB
work_mem = 64MB
maintenance_work_mem = 256MB
max_wal_size = 2GB
timezone = 'UTC'
log_timezone = 'UTC'
CONF
fi

port_of_running_server() {
    if as_pg_user "$PG_BIN/pg_ctl" status --pgdata="$PGDATA_DIR" >/dev/null 2>&1; then
        sed -n 4p "$PGDATA_DIR/postmaster.pid"
    fi
}

running_port="$(port_of_running_server)"
if [[ -n "$running_port" && "$running_port" != "$PG_PORT" ]]; then
    say "running on port $running_port, restarting on $PG_PORT"
    as_pg_user "$PG_BIN/pg_ctl" stop --pgdata="$PGDATA_DIR" --mode=fast --wait >/dev/null
    running_port=""
fi
if [[ -z "$running_port" ]]; then
    if (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; then
        say "port $PG_PORT is taken by another program: set SEGMART_PG_PORT"
        exit 1
    fi
    say "starting PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')" \
        "on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
    as_pg_user touch "$PG_LOG"
    as_pg_user "$PG_BIN/pg_ctl" start --pgdata="$PGDATA_DIR" --log="$PG_LOG" \
        --wait --timeout=60 \
        -o "-c port=$PG_PORT -c unix_socket_directories='$PG_SOCKET_DIR'" >/dev/null
else
    say "already running on 127.0.0.1:$PG_PORT"
fi

psql_super() {
    as_pg_user "$PG_BIN/psql" --host="$PG_SOCKET_DIR" --port="$PG_PORT" \
        --username=postgres --no-psqlrc --quiet --set=ON_ERROR_STOP=1 "$@"
}

# Roles and database, idempotent (passwords are reset to the configured ones).
psql_super --dbname=postgres \
    --set=db="$PG_DB" --set=owner="$PG_USER" --set=owner_pw="$PG_PASSWORD" \
    --set=bi="$PG_BI_USER" --set=bi_pw="$PG_BI_PASSWORD" >/dev/null <<'SQL'
select format('create role %I', :'owner')
where not exists (select from pg_roles where rolname = :'owner') \gexec
select format('alter role %I login password %L', :'owner', :'owner_pw') \gexec
select format('create role %I', :'bi')
where not exists (select from pg_roles where rolname = :'bi') \gexec
select format(
    'alter role %I login nosuperuser nocreatedb nocreaterole password %L',
    :'bi', :'bi_pw'
) \gexec
select format('create database %I owner %I', :'db', :'owner')
where not exists (select from pg_database where datname = :'db') \gexec
select format('revoke all on database %I from public', :'db') \gexec
select format('grant connect, temporary on database %I to %I', :'db', :'bi') \gexec
SQL

say "ready: postgresql://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB" \
    "(read-only BI login: $PG_BI_USER)"
