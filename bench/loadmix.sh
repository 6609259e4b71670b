#!/usr/bin/env bash
# The load of the 2030 workforce's real mix (issue #24), open loop (bench/loadmix.py), on a
# national-shaped data set, SQLite and (with GOLDAW_BENCH_POSTGRES_URL) PostgreSQL.
#
#   bench/loadmix.sh
#
# 1. uses the goldaw binary BENCH_GOLDAW_BIN (or builds one, release) and a data set in
#    BENCH_DATA (interchange CSV, e.g. /work/national/csv), or generates one with goldaw-datagen
#    (BENCH_PERSONS persons, default the national 7,057,841);
# 2. imports it into BENCH_DIR/mix.db (kept between runs: delete it to import again);
# 3. makes the accounts (once): BENCH_WORKERS social workers, each given the cases of one imported
#    worker; an etrap supervisor for each of their etraps; a supervisor per velayat; a national
#    supervisor; a hotline operator and a planner at national scope; their case ids go to
#    BENCH_DIR/accounts.json;
# 4. starts `goldaw serve`, and runs bench/loadmix.py at each rate of BENCH_RATES (default
#    "160 480") for BENCH_SECONDS (default 30) after a 5-second warm-up;
# 5. the same against PostgreSQL if GOLDAW_BENCH_POSTGRES_URL is set (a database
#    GOLDAW_BENCH_POSTGRES_DB, default goldaw_mix, dropped and made again).
# Results: BENCH_DIR/mix-<backend>-<rate>.json and .txt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DIR="${BENCH_DIR:-$ROOT/bench/out/mix}"
RATES="${BENCH_RATES:-160 480}"
SECONDS_PER_RUN="${BENCH_SECONDS:-30}"
WORKERS="${BENCH_WORKERS:-120}"
PERSONS="${BENCH_PERSONS:-7057841}"
PASSWORD="bench-mix-password-2026"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
mkdir -p "$DIR"

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

if [[ -n "${BENCH_GOLDAW_BIN:-}" ]]; then
    GOLDAW="$(realpath "$BENCH_GOLDAW_BIN")"
else
    say "building goldaw (release)"
    nice -n 15 cargo build --release -p goldaw
    GOLDAW="$TARGET/release/goldaw"
fi
DATA="${BENCH_DATA:-}"
if [[ -z "$DATA" ]]; then
    DATA="$DIR/data-$PERSONS"
    if [[ ! -f "$DATA/cases.csv" ]]; then
        say "generating $PERSONS persons into $DATA"
        nice -n 15 cargo build --release -p goldaw-datagen
        nice -n 15 "$TARGET/release/goldaw-datagen" --out "$DATA" --persons "$PERSONS" --admin-units reference/admin_units.csv
    fi
fi
KEY_FILE="$DIR/mix.key"
[[ -s "$KEY_FILE" ]] || "$GOLDAW" key generate >"$KEY_FILE"
export GOLDAW_ENCRYPTION_KEY_FILE="$KEY_FILE"

sql() {
    case "$1" in
        sqlite://*) sqlite3 -separator '|' "${1#sqlite://}" "$2" ;;
        *) psql "$1" -X -q -At -F '|' -v ON_ERROR_STOP=1 -c "$2" ;;
    esac
}
uuid_text() {
    case "$1" in
        sqlite://*) echo "lower(substr(hex($2),1,8)||'-'||substr(hex($2),9,4)||'-'||substr(hex($2),13,4)||'-'||substr(hex($2),17,4)||'-'||substr(hex($2),21))" ;;
        *) echo "$2::text" ;;
    esac
}
add_user() { # url name role scope
    if [[ -z "$(sql "$1" "SELECT 1 FROM users WHERE username = '$2'")" ]]; then
        printf '%s\n' "$PASSWORD" | "$GOLDAW" --database-url "$1" user add --username "$2" --role "$3" --scope "$4" >/dev/null
    fi
}

prepare() {
    local url="$1" accounts="$2"
    say "accounts: $WORKERS social workers with the cases of one imported worker each, their supervisors"
    local workers i=0 entries=() units=()
    workers=$(sql "$url" "SELECT worker_id, admin_unit FROM cases WHERE worker_id IS NOT NULL
                          GROUP BY worker_id, admin_unit ORDER BY count(*) DESC, worker_id LIMIT $WORKERS")
    while IFS='|' read -r worker unit; do
        i=$((i + 1))
        local user
        user=$(printf 'mix-w%03d' "$i")
        add_user "$url" "$user" social_worker "$unit"
        sql "$url" "UPDATE cases SET worker_user_id = (SELECT id FROM users WHERE username = '$user')
                    WHERE worker_id = '$worker' AND admin_unit = '$unit'" >/dev/null
        local ids
        ids=$(sql "$url" "SELECT $(uuid_text "$url" id) FROM cases WHERE worker_id = '$worker' AND admin_unit = '$unit' LIMIT 40" | sed 's/.*/"&"/' | paste -sd, -)
        entries+=("{\"user\": \"$user\", \"password\": \"$PASSWORD\", \"role\": \"worker\", \"cases\": [$ids]}")
        units+=("$unit")
    done <<<"$workers"
    # Supervisors: each etrap of those workers, each velayat, the nation.
    local etraps velayats
    etraps=$(printf '%s\n' "${units[@]}" | sort -u)
    velayats=$(printf '%s\n' "${units[@]}" | cut -d- -f1-2 | sort -u)
    for scope in $etraps; do
        # Usernames are lower case; scopes are codes like TM-A-01.
        local name="mix-se-${scope,,}"
        add_user "$url" "$name" supervisor "$scope"
        local ids
        ids=$(sql "$url" "SELECT $(uuid_text "$url" id) FROM cases WHERE admin_unit = '$scope' AND status <> 'closed' LIMIT 40" | sed 's/.*/"&"/' | paste -sd, -)
        entries+=("{\"user\": \"$name\", \"password\": \"$PASSWORD\", \"role\": \"sup_etrap\", \"cases\": [$ids]}")
    done
    for scope in $velayats; do
        local name="mix-sv-${scope,,}"
        add_user "$url" "$name" supervisor "$scope"
        local ids
        ids=$(sql "$url" "SELECT $(uuid_text "$url" id) FROM cases WHERE admin_unit >= '$scope' AND admin_unit < '$scope.' AND status <> 'closed' LIMIT 40" | sed 's/.*/"&"/' | paste -sd, -)
        entries+=("{\"user\": \"$name\", \"password\": \"$PASSWORD\", \"role\": \"sup_velayat\", \"cases\": [$ids]}")
    done
    add_user "$url" mix-sn supervisor TM
    local ids
    ids=$(sql "$url" "SELECT $(uuid_text "$url" id) FROM cases WHERE status <> 'closed' LIMIT 40" | sed 's/.*/"&"/' | paste -sd, -)
    entries+=("{\"user\": \"mix-sn\", \"password\": \"$PASSWORD\", \"role\": \"sup_national\", \"cases\": [$ids]}")
    add_user "$url" mix-hotline hotline TM
    entries+=("{\"user\": \"mix-hotline\", \"password\": \"$PASSWORD\", \"role\": \"hotline\"}")
    add_user "$url" mix-planner planner TM
    entries+=("{\"user\": \"mix-planner\", \"password\": \"$PASSWORD\", \"role\": \"planner\"}")
    # Provider staff need a provider in the register; the import brings none, so the mix has
    # provider staff only when one exists.
    local provider
    provider=$(sql "$url" "SELECT external_id FROM providers ORDER BY external_id LIMIT 1" 2>/dev/null || true)
    if [[ -n "$provider" ]]; then
        add_user "$url" mix-provider provider "provider:$provider"
        entries+=("{\"user\": \"mix-provider\", \"password\": \"$PASSWORD\", \"role\": \"provider\"}")
    fi
    (IFS=,; printf '[%s]\n' "${entries[*]}") >"$accounts"
    # The accounts' cases moved (worker_user_id set behind goldaw's back): the next start
    # computes their due dates again only if told so.
    sql "$url" "DELETE FROM case_due_state" >/dev/null 2>&1 || true
}

SERVER_PID=""
stop_server() { [[ -z "$SERVER_PID" ]] || { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }; }
trap stop_server EXIT

run_backend() {
    local backend="$1" url="$2" pgdb="${3:-}"
    local accounts="$DIR/accounts-$backend.json"
    [[ -s "$accounts" ]] || prepare "$url" "$accounts"
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    RUST_LOG=warn "$GOLDAW" --database-url "$url" serve --listen "127.0.0.1:$port" >"$DIR/server-$backend.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 3000); do
        curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DIR/server-$backend.log" >&2; die "goldaw serve exited"; }
        sleep 0.2
    done
    for rate in $RATES; do
        say "$backend at $rate requests a second"
        python3 bench/loadmix.py --base "http://127.0.0.1:$port" --accounts "$accounts" --rate "$rate" \
            --seconds "$SECONDS_PER_RUN" --server-pid "$SERVER_PID" --pg-db "$pgdb" \
            --out "$DIR/mix-$backend-$rate.json" | tee "$DIR/mix-$backend-$rate.txt"
    done
    stop_server
}

SQLITE_DB="$DIR/mix.db"
if [[ ! -f "$SQLITE_DB" ]]; then
    say "importing $DATA into $SQLITE_DB"
    nice -n 15 "$GOLDAW" --database-url "sqlite://$SQLITE_DB" import "$DATA"
fi
[[ "${BENCH_SQLITE:-1}" == 0 ]] || run_backend sqlite "sqlite://$SQLITE_DB"

if [[ -n "${GOLDAW_BENCH_POSTGRES_URL:-}" ]]; then
    PGDB="${GOLDAW_BENCH_POSTGRES_DB:-goldaw_mix}"
    PG_URL="${GOLDAW_BENCH_POSTGRES_URL%/*}/$PGDB"
    if [[ "${BENCH_PG_FRESH:-1}" == 1 ]]; then
        psql "$GOLDAW_BENCH_POSTGRES_URL" -X -q -c "DROP DATABASE IF EXISTS $PGDB" -c "CREATE DATABASE $PGDB"
        rm -f "$DIR/accounts-postgres.json"
        say "importing $DATA into $PG_URL"
        nice -n 15 "$GOLDAW" --database-url "$PG_URL" import "$DATA"
    fi
    run_backend postgres "$PG_URL" "$PGDB"
fi
