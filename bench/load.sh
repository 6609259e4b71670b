#!/usr/bin/env bash
# Load benchmark: the case page and the worker's task list, signed in, authorised and audited,
# at 64 connections against the national data set.
#
#   bench/load.sh
#
# 1. builds goldaw and goldaw-datagen (release) and generates the national data set (as import.sh);
# 2. SQLite: imports it into bench/out/load.db (kept between runs while bench/out/load.db.stamp
#    matches), creates BENCH_USERS social-worker accounts, one per imported worker with the most
#    cases, and gives each the cases of that worker (the import keeps the worker's id; it does not
#    know accounts, so this is plain SQL);
# 3. starts `goldaw serve` on 127.0.0.1, signs every account in through the login form (a real
#    session cookie each), and runs wrk: each request is one random account's page — the case page
#    of one of its cases, or its task list — for BENCH_SECONDS each;
# 4. checks that every answer was 200 and that the audit log grew by at least one event per page
#    served, then `goldaw audit verify`;
# 5. PostgreSQL, only if GOLDAW_BENCH_POSTGRES_URL is set: the same against a fresh database there.
# Results: bench/out/load-results.txt.
#
# Environment:
#   BENCH_CONNECTIONS             open connections (default 64)
#   BENCH_THREADS                 wrk threads (default 2)
#   BENCH_SECONDS                 seconds per measured run (default 20, after a 5-second warm-up)
#   BENCH_USERS                   signed-in accounts (default 64)
#   BENCH_PERSONS, BENCH_SEED     the data set (default: the national one, seed 1)
#   BENCH_FRESH=1                 re-import even if the stamp matches
#   GOLDAW_BENCH_POSTGRES_URL     postgres://user@host:port/db — a role that may CREATE DATABASE
#   GOLDAW_BENCH_POSTGRES_DB      scratch database, dropped and created (default goldaw_load)
#   BENCH_GOLDAW_BIN=PATH         run this goldaw binary instead of building one (to compare builds
#                                 side by side)
#   BENCH_SQLITE=0                skip the SQLite run (PostgreSQL only)
#   CARGO_TARGET_DIR              honoured (default ./target)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
SECONDS_PER_RUN="${BENCH_SECONDS:-20}"
USERS="${BENCH_USERS:-64}"
PERSONS="${BENCH_PERSONS:-7057841}"
SEED="${BENCH_SEED:-1}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="bench/out"
if [[ "$PERSONS" == 7057841 ]]; then NAME=national; else NAME="persons-$PERSONS"; fi
DATA="$OUT/$NAME"
STAMP="$OUT/$NAME.stamp"
RESULTS_FILE="$OUT/load-results.txt"
PASSWORD="bench-load-password-2026"

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
for v in CONNECTIONS THREADS SECONDS_PER_RUN USERS PERSONS SEED; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive whole number, got '${!v}'"
done
mkdir -p "$OUT"

# --- tools ------------------------------------------------------------------------------------------
as_root() { if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [[ -n "${GOLDAW_BENCH_POSTGRES_URL:-}" ]] && ! command -v psql >/dev/null 2>&1; then
    missing+=(postgresql-client)
fi
if ((${#missing[@]})); then
    say "installing ${missing[*]} with apt-get"
    as_root apt-get update -qq || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" || die "cannot install ${missing[*]}"
fi

# --- 1. build and data ------------------------------------------------------------------------------
DATAGEN="$TARGET/release/goldaw-datagen"
if [[ -n "${BENCH_GOLDAW_BIN:-}" ]]; then
    GOLDAW="$(realpath "$BENCH_GOLDAW_BIN")"
    [[ -x "$GOLDAW" ]] || die "BENCH_GOLDAW_BIN=$BENCH_GOLDAW_BIN is not an executable"
    say "using $GOLDAW"
else
    say "building goldaw and goldaw-datagen (release)"
    cargo build --release -p goldaw -p goldaw-datagen
    GOLDAW="$TARGET/release/goldaw"
fi
want_stamp="persons=$PERSONS seed=$SEED generator=$(cat bench/datagen/src/main.rs reference/admin_units.csv | sha256sum | cut -c1-16)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" && -f "$DATA/persons.csv" ]]; then
    say "reusing $DATA ($want_stamp)"
else
    say "generating $DATA ($PERSONS persons, seed $SEED)"
    rm -rf "$DATA.tmp" "$STAMP"
    [[ -x "$DATAGEN" ]] || cargo build --release -p goldaw-datagen
    "$DATAGEN" --out "$DATA.tmp" --persons "$PERSONS" --seed "$SEED" --admin-units reference/admin_units.csv
    rm -rf "$DATA"
    mv "$DATA.tmp" "$DATA"
    printf '%s\n' "$want_stamp" >"$STAMP"
fi

KEY_FILE="$OUT/load.key"
[[ -s "$KEY_FILE" ]] || "$GOLDAW" key generate >"$KEY_FILE"
export GOLDAW_ENCRYPTION_KEY_FILE="$ROOT/$KEY_FILE"

# --- helpers per backend ----------------------------------------------------------------------------
# sql URL QUERY: prints rows as `a|b|c` lines.
sql() {
    case "$1" in
        sqlite://*) sqlite3 -separator '|' "${1#sqlite://}" "$2" ;;
        *) psql "$1" -X -q -At -F '|' -v ON_ERROR_STOP=1 -c "$2" ;;
    esac
}
# The id of a row as text, in the form the URLs use.
uuid_text() {
    case "$1" in
        sqlite://*) echo "lower(substr(hex($2),1,8)||'-'||substr(hex($2),9,4)||'-'||substr(hex($2),13,4)||'-'||substr(hex($2),17,4)||'-'||substr(hex($2),21))" ;;
        *) echo "$2::text" ;;
    esac
}

# prepare URL: accounts for the BENCH_USERS busiest imported workers, their cases assigned.
prepare() {
    local url="$1"
    say "accounts: $USERS social workers, each given the cases of one imported worker"
    local workers
    workers=$(sql "$url" "SELECT worker_id, admin_unit FROM cases WHERE worker_id IS NOT NULL
                          GROUP BY worker_id, admin_unit ORDER BY count(*) DESC, worker_id LIMIT $USERS")
    [[ -n "$workers" ]] || die "the database has no cases with a worker"
    local i=0
    : >"$OUT/load-users.txt"
    while IFS='|' read -r worker unit; do
        i=$((i + 1))
        local user
        user=$(printf 'bench-w%03d' "$i")
        if [[ -z "$(sql "$url" "SELECT 1 FROM users WHERE username = '$user'")" ]]; then
            printf '%s\n' "$PASSWORD" | "$GOLDAW" --database-url "$url" user add --username "$user" \
                --role social_worker --scope "$unit" >/dev/null
        fi
        sql "$url" "UPDATE cases SET worker_user_id = (SELECT id FROM users WHERE username = '$user')
                    WHERE worker_id = '$worker' AND admin_unit = '$unit'" >/dev/null
        printf '%s %s %s\n' "$user" "$worker" "$unit" >>"$OUT/load-users.txt"
    done <<<"$workers"
}

PORT=""
SERVER_PID=""
CLOCK_TICKS=$(getconf CLK_TCK)
# server_cpu: the CPU time goldaw serve has used so far, in clock ticks (0 if unknown).
server_cpu() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0; }
stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
trap stop_server EXIT

# db_cpu URL: CPU ticks used so far by the PostgreSQL backends serving URL's database, when the
# server runs on this machine (0 for SQLite or a remote server): the live backends of that
# database, plus what the postmaster has collected from backends that ended. goldaw's pool closes
# a connection whose query was cancelled (wrk drops its requests in flight at the end of a run),
# and without the second part such a backend's CPU would drop out of the difference. Backends of
# other databases that end during a run are counted too: run nothing else on the server meanwhile.
db_cpu() {
    case "$1" in
        sqlite://*) echo 0; return ;;
    esac
    local db="${1##*/}" total=0 pid t postmaster=""
    db="${db%%\?*}"
    for pid in $(pgrep -f "^postgres: [^ ]+ $db " 2>/dev/null); do
        t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null) && total=$((total + t))
        [[ -n "$postmaster" ]] || postmaster=$(awk '{ print $4 }' "/proc/$pid/stat" 2>/dev/null)
    done
    if [[ -n "$postmaster" ]]; then
        t=$(awk '{ print $16 + $17 }' "/proc/$postmaster/stat" 2>/dev/null) && total=$((total + t))
    fi
    echo "$total"
}

start_server() {
    local url="$1"
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    RUST_LOG=warn "$GOLDAW" --database-url "$url" serve --listen "127.0.0.1:$PORT" >"$OUT/load-server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/load-server.log" >&2; die "goldaw serve exited"; }
        sleep 0.2
    done
    die "goldaw serve did not answer /health within a minute"
}

# sign_in USER: prints the session cookie `goldaw_session=…` got through the login form.
sign_in() {
    local jar csrf
    jar=$(mktemp)
    csrf=$(curl -fs -c "$jar" -b "$jar" "http://127.0.0.1:$PORT/login" |
        sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
    [[ -n "$csrf" ]] || die "no CSRF field on the login page"
    curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" \
        --data-urlencode "username=$1" --data-urlencode "password=$PASSWORD" "http://127.0.0.1:$PORT/login" ||
        die "signing in as $1 failed"
    local session
    session=$(awk '$6 == "goldaw_session" { print $7 }' "$jar")
    rm -f "$jar"
    [[ -n "$session" ]] || die "signing in as $1 gave no session cookie"
    printf 'goldaw_session=%s' "$session"
}

# write_script URL: the wrk Lua script with every account's cookie and case ids.
write_script() {
    local url="$1" script="$OUT/load.lua"
    {
        echo "-- generated by bench/load.sh"
        echo "local users = {"
        while read -r user worker unit; do
            local cookie ids
            cookie=$(sign_in "$user")
            ids=$(sql "$url" "SELECT $(uuid_text "$url" id) FROM cases WHERE worker_id = '$worker' AND admin_unit = '$unit'" |
                awk '{ printf "\"%s\",", $1 }')
            [[ -n "$ids" ]] || die "$user has no cases"
            printf '  { cookie = "%s", cases = { %s } },\n' "$cookie" "$ids"
        done <"$OUT/load-users.txt"
        echo "}"
        cat <<'LUA'
local page = os.getenv("BENCH_PAGE") or "case"
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
  bad = 0
  first_bad = ""
end
function request()
  local u = users[math.random(#users)]
  local path = "/tasks"
  if page == "case" then
    path = "/cases/" .. u.cases[math.random(#u.cases)]
  end
  return wrk.format("GET", path, { ["Cookie"] = u.cookie, ["Accept-Language"] = "tk" })
end
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if first_bad == "" then first_bad = tostring(status) end
  end
end
function done(summary, latency, requests)
  local bad_total, first = 0, ""
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    if first == "" then first = t:get("first_bad") end
  end
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non200=%d first_non200=%s errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, bad_total, first,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
    } >"$script"
    echo "$script"
}

RESULTS=()
# run_backend LABEL URL
run_backend() {
    local label="$1" url="$2"
    prepare "$url"
    start_server "$url"
    local script
    script=$(write_script "$url")
    for page in case tasks; do
        say "$label: warm-up, $page pages"
        BENCH_PAGE=$page wrk -t "$THREADS" -c "$CONNECTIONS" -d 5s -s "$script" "http://127.0.0.1:$PORT" >/dev/null
        local before after out result
        before=$(sql "$url" "SELECT seq FROM audit_head WHERE id = 1")
        local cpu_before db_before
        cpu_before=$(server_cpu)
        db_before=$(db_cpu "$url")
        say "$label: $page pages, $CONNECTIONS connections, ${SECONDS_PER_RUN}s"
        # wrk's own CPU time too: it runs on the same cores, so it bounds the rate as well.
        out=$(BENCH_PAGE=$page /usr/bin/time -f 'WRKCPU %U %S' wrk -t "$THREADS" -c "$CONNECTIONS" -d "${SECONDS_PER_RUN}s" --latency -s "$script" "http://127.0.0.1:$PORT" 2>&1)
        after=$(sql "$url" "SELECT seq FROM audit_head WHERE id = 1")
        local cpu_after db_after
        cpu_after=$(server_cpu)
        db_after=$(db_cpu "$url")
        result=$(grep '^RESULT ' <<<"$out") || { echo "$out" >&2; die "wrk printed no result"; }
        local requests_done cpu_us
        requests_done=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$result")
        # goldaw's own CPU time per page (user + system), steadier than the rate on shared cores.
        cpu_us=$(((cpu_after - cpu_before) * 1000000 / CLOCK_TICKS / (requests_done > 0 ? requests_done : 1)))
        result="$result server_cpu_us=$cpu_us"
        if [[ "$url" != sqlite://* ]]; then
            result="$result db_cpu_us=$(((db_after - db_before) * 1000000 / CLOCK_TICKS / (requests_done > 0 ? requests_done : 1)))"
        fi
        local wrk_us
        wrk_us=$(awk -v n="$requests_done" '$1 == "WRKCPU" && n > 0 { printf "%d", ($2 + $3) * 1e6 / n }' <<<"$out")
        result="$result wrk_cpu_us=${wrk_us:-0}"
        # The server's CPU (with PostgreSQL's backends) per unit of wrk's: wrk does the same work
        # for every page, so this ratio takes out how fast the shared machine ran at the time.
        local db_us
        db_us=$(sed -n 's/.* db_cpu_us=\([0-9]*\).*/\1/p' <<<"$result")
        result="$result cpu_per_wrk=$(awk -v s="$cpu_us" -v d="${db_us:-0}" -v w="${wrk_us:-0}" 'BEGIN { if (w > 0) printf "%.2f", (s + d) / w; else print "n/a" }')"
        echo "   $result audit_events=$((after - before))" >&2
        local requests non200 errors
        requests=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$result")
        non200=$(sed -n 's/.* non200=\([0-9]*\).*/\1/p' <<<"$result")
        errors=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<<"$result")
        [[ "$non200" == 0 && "$errors" == 0 ]] || die "$label $page: $non200 answers were not 200, $errors socket errors"
        # wrk counts only completed responses; requests in flight at the end were audited too.
        ((after - before >= requests)) || die "$label $page: $requests pages served but only $((after - before)) audit events"
        RESULTS+=("$(printf '%-10s %-6s %s audit_events=%d' "$label" "$page" "${result#RESULT }" "$((after - before))")")
    done
    stop_server
    say "$label: goldaw audit verify"
    "$GOLDAW" --database-url "$url" audit verify >&2 || die "$label: the audit chain does not verify"
}

# --- 2-4. SQLite --------------------------------------------------------------------------------------
LOAD_DB="$OUT/load.db"
if [[ "${BENCH_SQLITE:-1}" == 0 ]]; then
    say "skipping SQLite (BENCH_SQLITE=0)"
elif [[ "${BENCH_FRESH:-0}" != 1 && -f "$LOAD_DB" && -f "$LOAD_DB.stamp" && "$(cat "$LOAD_DB.stamp")" == "$want_stamp" ]]; then
    say "reusing $LOAD_DB (BENCH_FRESH=1 re-imports)"
else
    say "importing $DATA into $LOAD_DB"
    rm -f "$LOAD_DB" "$LOAD_DB-wal" "$LOAD_DB-shm" "$LOAD_DB.stamp"
    "$GOLDAW" --database-url "sqlite://$LOAD_DB" import "$DATA"
    printf '%s\n' "$want_stamp" >"$LOAD_DB.stamp"
fi
[[ "${BENCH_SQLITE:-1}" == 0 ]] || run_backend SQLite "sqlite://$ROOT/$LOAD_DB"

# --- 5. PostgreSQL ----------------------------------------------------------------------------------
if [[ -n "${GOLDAW_BENCH_POSTGRES_URL:-}" ]]; then
    PG_URL="$GOLDAW_BENCH_POSTGRES_URL"
    PG_DB="${GOLDAW_BENCH_POSTGRES_DB:-goldaw_load}"
    [[ "$PG_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "GOLDAW_BENCH_POSTGRES_DB must be a plain lower-case name"
    [[ "$PG_URL" =~ ^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$ ]] ||
        die "GOLDAW_BENCH_POSTGRES_URL should look like postgres://user@host:port/db"
    [[ "${BASH_REMATCH[3]}" != "/$PG_DB" ]] || die "GOLDAW_BENCH_POSTGRES_URL must name another database than $PG_DB"
    NEW_URL="${BASH_REMATCH[1]}/$PG_DB${BASH_REMATCH[4]}"
    exists=$(psql "$PG_URL" -X -At -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")
    if [[ "${BENCH_FRESH:-0}" == 1 || "$exists" != 1 ]] ||
        [[ "$(psql "$NEW_URL" -X -At -c "SELECT count(*) FROM cases" 2>/dev/null || echo 0)" == 0 ]]; then
        say "PostgreSQL: importing $DATA into a fresh database $PG_DB"
        PGOPTIONS="-c client_min_messages=warning" psql "$PG_URL" -X -q -v ON_ERROR_STOP=1 \
            -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" || die "cannot recreate $PG_DB"
        "$GOLDAW" --database-url "$NEW_URL" import "$DATA"
        psql "$NEW_URL" -X -q -c "VACUUM ANALYZE" || true
    else
        say "PostgreSQL: reusing database $PG_DB (BENCH_FRESH=1 re-imports)"
    fi
    run_backend PostgreSQL "$NEW_URL"
fi

# --- results ----------------------------------------------------------------------------------------
{
    printf '\nLoad benchmark: %s, %s connections, %s wrk threads, %s s per run, %s accounts, %s, %s cores\n' \
        "$DATA" "$CONNECTIONS" "$THREADS" "$SECONDS_PER_RUN" "$USERS" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)"
    printf '%s\n' "${RESULTS[@]}"
    echo "Each request: a session cookie checked, the page's permission and scope checked, the page read"
    echo "and rendered, one audit event committed (group commit) before the answer. wrk runs on the same cores."
} | tee "$RESULTS_FILE"
