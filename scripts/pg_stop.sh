#!/usr/bin/env bash
# Stop the local PostgreSQL server started by scripts/pg_start.sh.
#   scripts/pg_stop.sh           stop it (its data stay for the next start)
#   scripts/pg_stop.sh --purge   stop it and delete its files (SEGMART_PG_DIR)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/pg_env.sh"

say() { echo "pg_stop: $*" >&2; }

if [[ -f "$PGDATA_DIR/postmaster.pid" ]] && find_pg_bin \
    && as_pg_user "$PG_BIN/pg_ctl" status --pgdata="$PGDATA_DIR" >/dev/null 2>&1; then
    as_pg_user "$PG_BIN/pg_ctl" stop --pgdata="$PGDATA_DIR" --mode=fast --wait >/dev/null
    say "stopped the server in $PGDATA_DIR"
else
    say "no server running in $PGDATA_DIR"
fi

if [[ "${1:-}" == "--purge" ]]; then
    rm -rf "$PG_DIR"
    if [[ "$PG_SOCKET_DIR" != "$PG_DIR"/* ]]; then
        rm -rf "$PG_SOCKET_DIR"
    fi
    say "deleted $PG_DIR"
fi
