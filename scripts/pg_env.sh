# Shared by scripts/pg_start.sh and scripts/pg_stop.sh (sourced, not run).
# Works out, the same way for both scripts:
#   PG_BIN      the PostgreSQL server binaries (SEGMART_PG_BIN, else the newest
#               /usr/lib/postgresql/*/bin, else `pg_config --bindir`, else PATH)
#   PG_OS_USER  the OS user that owns and runs the server: yourself, or, when you
#               are root (initdb refuses root), `postgres` (created if missing)
#   PG_DIR      where the server lives: SEGMART_PG_DIR, else .pg/ in the project
#               (ignored by git); when root and PG_OS_USER cannot reach .pg/ (a
#               checkout under /root), /tmp/segmart-pg-<hash of the project path>
#   PG_PORT     SEGMART_PG_PORT, default 5433 (the profile's `postgres` output)
# and the helpers as_pg_user (run a command as PG_OS_USER) and find_pg_bin.

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_PORT="${SEGMART_PG_PORT:-5433}"

find_pg_bin() {
    local candidate
    if [[ -n "${SEGMART_PG_BIN:-}" ]]; then
        PG_BIN="$SEGMART_PG_BIN"
        return 0
    fi
    candidate="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [[ -n "$candidate" && -x "$candidate/initdb" ]]; then
        PG_BIN="$candidate"
        return 0
    fi
    if command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/initdb" ]]; then
        PG_BIN="$(pg_config --bindir)"
        return 0
    fi
    if command -v initdb >/dev/null; then
        PG_BIN="$(dirname "$(command -v initdb)")"
        return 0
    fi
    PG_BIN=""
    return 1
}

if [[ "$(id -u)" == "0" ]]; then
    PG_OS_USER="${SEGMART_PG_OS_USER:-postgres}"
else
    PG_OS_USER="$(id -un)"
fi

as_pg_user() {
    if [[ "$(id -un)" == "$PG_OS_USER" ]]; then
        "$@"
    elif command -v runuser >/dev/null; then
        runuser -u "$PG_OS_USER" -- "$@"
    else
        su -s /bin/sh "$PG_OS_USER" -c "$(printf '%q ' "$@")"
    fi
}

# Can PG_OS_USER reach folder $1? (A user not created yet is "others".)
pg_user_can_enter() {
    local dir="$1"
    if id -u "$PG_OS_USER" >/dev/null 2>&1; then
        as_pg_user test -x "$dir"
        return
    fi
    while [[ "$dir" != "/" && -n "$dir" ]]; do
        [[ "$(stat -c %A "$dir" | cut -c10)" =~ [xt] ]] || return 1
        dir="$(dirname "$dir")"
    done
}

if [[ -n "${SEGMART_PG_DIR:-}" ]]; then
    PG_DIR="$SEGMART_PG_DIR"
else
    PG_DIR="$PROJECT_DIR/.pg"
    if [[ "$(id -u)" == "0" ]] && ! pg_user_can_enter "$PROJECT_DIR"; then
        PG_DIR="/tmp/segmart-pg-$(printf '%s' "$PROJECT_DIR" | md5sum | cut -c1-8)"
    fi
fi
PGDATA_DIR="$PG_DIR/data"
PG_SOCKET_DIR="$PG_DIR/run"
# A unix socket path must stay under ~107 bytes.
if (( ${#PG_SOCKET_DIR} > 80 )); then
    PG_SOCKET_DIR="/tmp/segmart-pg-run-$(printf '%s' "$PG_DIR" | md5sum | cut -c1-8)"
fi
PG_LOG="$PG_DIR/postgres.log"
