#!/usr/bin/env bash
# The whole test suite, on SQLite and on PostgreSQL 15, from a clean machine.
#
# Installs what is missing (Debian packages: PostgreSQL 15, Chromium and its driver), starts a
# throwaway PostgreSQL cluster on 127.0.0.1 owned by an unprivileged user, runs every test with
# it, then stops the cluster and removes it, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*" >&2; }

need_packages=()
PG_BIN=/usr/lib/postgresql/15/bin
[ -x "$PG_BIN/initdb" ] || need_packages+=(postgresql-15)
command -v chromium >/dev/null 2>&1 || need_packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_packages+=(chromium-driver)
# npm fetches the pinned axe-core the public pages' accessibility audit runs (scripts/axe.sh).
command -v npm >/dev/null 2>&1 || need_packages+=(npm)
# A venv for the pinned schemathesis of the API check (scripts/api-check.sh).
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_packages+=(python3-venv)
if [ ${#need_packages[@]} -gt 0 ]; then
    log "installing ${need_packages[*]}"
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >/dev/null
fi

# PostgreSQL refuses to run as root: run the throwaway cluster as `postgres` when we are root.
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

PGTMP=$(mktemp -d /tmp/goldaw-test-pg.XXXXXX)
chmod 755 "$PGTMP"
[ "$(id -u)" -eq 0 ] && chown postgres "$PGTMP"
cleanup() {
    as_pg "$PG_BIN/pg_ctl" -D "$PGTMP/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PGTMP"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log "starting a throwaway PostgreSQL 15 on 127.0.0.1:$PORT"
as_pg "$PG_BIN/initdb" -D "$PGTMP/data" -U goldaw --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$PGTMP/initdb.log" 2>&1 \
    || { cat "$PGTMP/initdb.log" >&2; exit 1; }
as_pg "$PG_BIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGTMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { cat "$PGTMP/server.log" >&2; exit 1; }
export GOLDAW_TEST_POSTGRES_URL="postgres://goldaw@127.0.0.1:$PORT/postgres"

GOLDAW_AXE_JS=$(scripts/axe.sh) && export GOLDAW_AXE_JS || log "axe-core not fetched: the public pages' accessibility audit is skipped"
log "running the test suite (SQLite and PostgreSQL)"
cargo test --workspace --locked -- --test-threads="${GOLDAW_TEST_THREADS:-4}"

log "checking the API against its OpenAPI document (schemathesis, every role)"
API_CHECK_EXAMPLES="${API_CHECK_EXAMPLES:-10}" scripts/api-check.sh
