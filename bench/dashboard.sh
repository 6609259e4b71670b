#!/usr/bin/env bash
# Dashboard benchmark: the server time of `/statistics/dashboard` on the national data set for
# three accounts, the ministry (the nation), a velayat planner and an etrap social worker, made
# from the store (uncached) and served from the dashboard cache.
#
#   bench/dashboard.sh
#
# 1. builds goldaw and goldaw-datagen (release), generates the national set (as import.sh);
# 2. imports it into bench/out/dash.db (kept while its stamp matches), and, if
#    GOLDAW_BENCH_POSTGRES_URL is set, into the database goldaw_dash on that server (kept while it
#    has cases); creates the three accounts if missing;
# 3. BENCH_RUNS times: starts `goldaw serve`, signs the three accounts in through the login form,
#    then for each account asks for the dashboard twice: the first answer is made from the store
#    (a new process has an empty cache), the second comes from the cache. Per request it records
#    the wall time (curl's time_total on 127.0.0.1) and the server's CPU time (user + system of
#    the goldaw process from /proc; PostgreSQL's own backend CPU is not in it). The server logs
#    each table's time (GOLDAW_LOG, target goldaw_web::pages::statistics) to
#    bench/out/dash-server-<db>-<run>.log;
# 4. prints the medians per account and database, with the load average. Results:
#    bench/out/dashboard-results.txt.
#
# Restarting the server is the uncached view that works for any build (also one without
# GOLDAW_DASHBOARD_CACHE_SECONDS); the sign-in requests before the dashboard warm the pool.
#
# Environment: BENCH_RUNS (default 5), BENCH_PERSONS, BENCH_SEED, BENCH_FRESH=1 (re-import),
# BENCH_GOLDAW_BIN (time a goldaw binary built elsewhere, e.g. main's; no build then),
# GOLDAW_BENCH_POSTGRES_URL, GOLDAW_BENCH_POSTGRES_DB (default goldaw_dash), BENCH_ONLY=sqlite|postgres,
# CARGO_TARGET_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

RUNS="${BENCH_RUNS:-5}"
PERSONS="${BENCH_PERSONS:-7057841}"
SEED="${BENCH_SEED:-1}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="bench/out"
if [[ "$PERSONS" == 7057841 ]]; then NAME=national; else NAME="persons-$PERSONS"; fi
DATA="$OUT/$NAME"
STAMP="$OUT/$NAME.stamp"
RESULTS_FILE="$OUT/dashboard-results.txt"
PASSWORD="bench-dashboard-password-2026"
ONLY="${BENCH_ONLY:-}"
# account role scope
ACCOUNTS=(
    "bench-dash-nation ministry TM"
    "bench-dash-velayat planner TM-M"
    "bench-dash-etrap social_worker TM-A-02"
)

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive whole number"
[[ -z "$ONLY" || "$ONLY" == sqlite || "$ONLY" == postgres ]] || die "BENCH_ONLY is sqlite or postgres"
mkdir -p "$OUT"
for tool in curl sqlite3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed (apt-get install $tool)"
done

# --- 1. build and data ------------------------------------------------------------------------------
if [[ -n "${BENCH_GOLDAW_BIN:-}" ]]; then
    GOLDAW="$BENCH_GOLDAW_BIN"
    [[ -x "$GOLDAW" ]] || die "BENCH_GOLDAW_BIN=$GOLDAW is not an executable"
else
    say "building goldaw and goldaw-datagen (release)"
    cargo build --release -p goldaw
    GOLDAW="$TARGET/release/goldaw"
fi
DATAGEN="$TARGET/release/goldaw-datagen"
want_stamp="persons=$PERSONS seed=$SEED generator=$(cat bench/datagen/src/main.rs reference/admin_units.csv | sha256sum | cut -c1-16)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" && -f "$DATA/persons.csv" ]]; then
    say "reusing $DATA"
else
    say "generating $DATA ($PERSONS persons, seed $SEED)"
    [[ -x "$DATAGEN" ]] || cargo build --release -p goldaw-datagen
    rm -rf "$DATA.tmp" "$STAMP"
    "$DATAGEN" --out "$DATA.tmp" --persons "$PERSONS" --seed "$SEED" --admin-units reference/admin_units.csv
    rm -rf "$DATA"
    mv "$DATA.tmp" "$DATA"
    printf '%s\n' "$want_stamp" >"$STAMP"
fi

KEY_FILE="$OUT/dash.key"
[[ -s "$KEY_FILE" ]] || "$GOLDAW" key generate >"$KEY_FILE"
export GOLDAW_ENCRYPTION_KEY_FILE="$ROOT/$KEY_FILE"

sql() {
    case "$1" in
        sqlite://*) sqlite3 -separator '|' "${1#sqlite://}" "$2" ;;
        *) psql "$1" -X -q -At -F '|' -v ON_ERROR_STOP=1 -c "$2" ;;
    esac
}

accounts() {
    local url="$1" user role scope
    for a in "${ACCOUNTS[@]}"; do
        read -r user role scope <<<"$a"
        if [[ -z "$(sql "$url" "SELECT 1 FROM users WHERE username = '$user'")" ]]; then
            printf '%s\n' "$PASSWORD" | "$GOLDAW" --database-url "$url" user add --username "$user" \
                --role "$role" --scope "$scope" >/dev/null || die "cannot create $user"
        fi
    done
}

# --- 3. measuring -----------------------------------------------------------------------------------
PORT=""
SERVER_PID=""
CLOCK_TICKS=$(getconf CLK_TCK)
server_cpu() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0; }
stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
trap stop_server EXIT

start_server() {
    local url="$1" log="$2"
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    GOLDAW_LOG="warn,goldaw_web::pages::statistics=debug" "$GOLDAW" --database-url "$url" serve \
        --listen "127.0.0.1:$PORT" >"$log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; die "goldaw serve exited"; }
        sleep 0.2
    done
    die "goldaw serve did not answer /health within a minute"
}

# sign_in USER: the session cookie got through the login form.
sign_in() {
    local jar csrf session
    jar=$(mktemp)
    csrf=$(curl -fs -c "$jar" -b "$jar" "http://127.0.0.1:$PORT/login" |
        sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
    [[ -n "$csrf" ]] || die "no CSRF field on the login page"
    curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" \
        --data-urlencode "username=$1" --data-urlencode "password=$PASSWORD" "http://127.0.0.1:$PORT/login" ||
        die "signing in as $1 failed"
    session=$(awk '$6 == "goldaw_session" { print $7 }' "$jar")
    rm -f "$jar"
    [[ -n "$session" ]] || die "signing in as $1 gave no session cookie"
    printf 'goldaw_session=%s' "$session"
}

# view COOKIE: one dashboard request; prints "wall_ms cpu_ms".
view() {
    local before after out code wall
    before=$(server_cpu)
    out=$(curl -s -o "$OUT/dash-page.html" -w '%{http_code} %{time_total}' -H "Cookie: $1" \
        "http://127.0.0.1:$PORT/statistics/dashboard")
    after=$(server_cpu)
    read -r code wall <<<"$out"
    [[ "$code" == 200 ]] || { head -c 2000 "$OUT/dash-page.html" >&2; die "the dashboard answered $code"; }
    grep -q 'stat-dashboard\|<svg' "$OUT/dash-page.html" || die "the answer is not a dashboard"
    awk -v w="$wall" -v c="$((after - before))" -v t="$CLOCK_TICKS" 'BEGIN { printf "%.1f %.0f\n", w * 1000, c * 1000 / t }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

RESULTS=()
run_backend() {
    local label="$1" url="$2" tag="$3"
    accounts "$url"
    declare -A cold_wall cold_cpu warm_wall warm_cpu
    local run user role scope cookie a
    for run in $(seq 1 "$RUNS"); do
        start_server "$url" "$OUT/dash-server-$tag-$run.log"
        local cookies=()
        for a in "${ACCOUNTS[@]}"; do
            read -r user role scope <<<"$a"
            cookies+=("$(sign_in "$user")")
        done
        local i=0
        for a in "${ACCOUNTS[@]}"; do
            read -r user role scope <<<"$a"
            local cold warm
            cold=$(view "${cookies[$i]}")
            warm=$(view "${cookies[$i]}")
            cold_wall[$scope]+="${cold% *} "
            cold_cpu[$scope]+="${cold#* } "
            warm_wall[$scope]+="${warm% *} "
            warm_cpu[$scope]+="${warm#* } "
            i=$((i + 1))
        done
        stop_server
        echo "   run $run: $(uptime | sed 's/.*load average/load average/')" >&2
    done
    for a in "${ACCOUNTS[@]}"; do
        read -r user role scope <<<"$a"
        echo "   $label $scope uncached wall ms: ${cold_wall[$scope]}; cpu ms: ${cold_cpu[$scope]}" >&2
        RESULTS+=("$(printf '%-10s %-9s %-8s uncached %8.1f ms (cpu %5.0f ms)   cached %6.1f ms (cpu %3.0f ms)' \
            "$label" "$role" "$scope" \
            "$(tr ' ' '\n' <<<"${cold_wall[$scope]}" | grep . | median)" \
            "$(tr ' ' '\n' <<<"${cold_cpu[$scope]}" | grep . | median)" \
            "$(tr ' ' '\n' <<<"${warm_wall[$scope]}" | grep . | median)" \
            "$(tr ' ' '\n' <<<"${warm_cpu[$scope]}" | grep . | median)")")
    done
}

# --- 2. databases -----------------------------------------------------------------------------------
DASH_DB="$OUT/dash.db"
if [[ "$ONLY" != postgres ]]; then
    if [[ "${BENCH_FRESH:-0}" != 1 && -f "$DASH_DB" && -f "$DASH_DB.stamp" && "$(cat "$DASH_DB.stamp")" == "$want_stamp" ]]; then
        say "reusing $DASH_DB"
    else
        say "importing $DATA into $DASH_DB"
        rm -f "$DASH_DB" "$DASH_DB-wal" "$DASH_DB-shm" "$DASH_DB.stamp"
        "$GOLDAW" --database-url "sqlite://$DASH_DB" import "$DATA"
        printf '%s\n' "$want_stamp" >"$DASH_DB.stamp"
    fi
    say "SQLite: $RUNS runs"
    run_backend SQLite "sqlite://$ROOT/$DASH_DB" sqlite
fi
if [[ -n "${GOLDAW_BENCH_POSTGRES_URL:-}" && "$ONLY" != sqlite ]]; then
    command -v psql >/dev/null 2>&1 || die "psql is needed (apt-get install postgresql-client)"
    PG_URL="$GOLDAW_BENCH_POSTGRES_URL"
    PG_DB="${GOLDAW_BENCH_POSTGRES_DB:-goldaw_dash}"
    [[ "$PG_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "GOLDAW_BENCH_POSTGRES_DB must be a plain lower-case name"
    [[ "$PG_URL" =~ ^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$ ]] ||
        die "GOLDAW_BENCH_POSTGRES_URL should look like postgres://user@host:port/db"
    [[ "${BASH_REMATCH[3]}" != "/$PG_DB" ]] || die "GOLDAW_BENCH_POSTGRES_URL must name another database than $PG_DB"
    NEW_URL="${BASH_REMATCH[1]}/$PG_DB${BASH_REMATCH[4]}"
    if [[ "${BENCH_FRESH:-0}" == 1 ]] ||
        [[ "$(psql "$NEW_URL" -X -At -c "SELECT count(*) FROM cases" 2>/dev/null || echo 0)" == 0 ]]; then
        say "PostgreSQL: importing $DATA into a fresh database $PG_DB"
        PGOPTIONS="-c client_min_messages=warning" psql "$PG_URL" -X -q -v ON_ERROR_STOP=1 \
            -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" || die "cannot recreate $PG_DB"
        "$GOLDAW" --database-url "$NEW_URL" import "$DATA"
        psql "$NEW_URL" -X -q -c "VACUUM ANALYZE" || true
    else
        say "PostgreSQL: reusing database $PG_DB"
    fi
    say "PostgreSQL: $RUNS runs"
    run_backend PostgreSQL "$NEW_URL" postgres
fi

{
    printf '\nDashboard benchmark: %s, %s runs, %s (%s cores), load average %s\n' "$DATA" "$RUNS" \
        "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%s\n' "${RESULTS[@]}"
    echo "Medians. uncached = first view after a server start (made from the store); cached = the next view."
    echo "ms = curl's time_total on 127.0.0.1; cpu = the goldaw process's user + system time for the request."
} | tee "$RESULTS_FILE"
