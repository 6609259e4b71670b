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
        # The imported worker's cases are mostly closed (2021-2025): she is also given 30 open,
        # unallocated cases of her etrap, so that her caseload is a working one (notes go on these).
        sql "$url" "UPDATE cases SET worker_user_id = (SELECT id FROM users WHERE username = '$user')
                    WHERE id IN (SELECT c.id FROM cases c JOIN persons p ON p.id = c.person_id
                                 WHERE c.admin_unit = '$unit' AND c.status <> 'closed' AND c.worker_user_id IS NULL
                                 AND NOT (c.sensitive OR p.sensitive OR p.named_in_sensitive_case)
                                 ORDER BY c.external_id LIMIT 30)" >/dev/null
        local open
        open=$(sql "$url" "SELECT $(uuid_text "$url" c.id) FROM cases c JOIN users u ON u.id = c.worker_user_id JOIN persons p ON p.id = c.person_id WHERE u.username = '$user' AND c.status <> 'closed' AND NOT (c.sensitive OR p.sensitive OR p.named_in_sensitive_case)" | sed 's/.*/"&"/' | paste -sd, -)
        ids=$(printf '%s,%s' "$open" "$ids" | tr ',' '\n' | grep -v '^$' | head -n 40 | paste -sd, -)
        entries+=("{\"user\": \"$user\", \"password\": \"$PASSWORD\", \"role\": \"worker\", \"cases\": [$ids], \"open\": [$open]}")
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
    # Provider staff: the import brings no provider register, so the bench makes one after the
    # server starts (provider_setup) and adds its account then.
    (IFS=,; printf '[%s]\n' "${entries[*]}") >"$accounts"
    # The accounts' cases moved (worker_user_id set behind goldaw's back): the next start
    # computes their due dates again only if told so.
    sql "$url" "DELETE FROM case_due_state" >/dev/null 2>&1 || true
}

# A provider in the register with an S04 offer in every etrap of the accounts, referrals to it from
# the workers' open cases (through the API, as the workers), accepted and started by the
# provider's staff: the inbox has work and the mix's deliveries have referrals to record on.
provider_setup() {
    local url="$1" base="$2" accounts="$3"
    grep -q '"mix-provider"' "$accounts" && return 0
    say "provider: register, offers, referrals from the workers' cases"
    add_user "$url" mix-admin admin TM
    local admin
    admin=$("$GOLDAW" --database-url "$url" user token mix-admin | tail -n 1)
    local pid
    pid=$(curl -fsS -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
        -d '{"external_id": "PR-MIX", "name": "Mix provider", "kind": "ngo"}' "$base/api/v1/providers" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    add_user "$url" mix-provider provider "provider:PR-MIX"
    local ptoken
    ptoken=$("$GOLDAW" --database-url "$url" user token mix-provider | tail -n 1)
    python3 - "$base" "$admin" "$pid" "$ptoken" "$accounts" "$url" "$GOLDAW" <<'PY'
import json, subprocess, sys, urllib.request
base, admin, pid, ptoken, accounts_path, db_url, goldaw = sys.argv[1:8]
def call(token, method, path, body=None):
    req = urllib.request.Request(base + "/api/v1" + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
accounts = json.load(open(accounts_path))
workers = [a for a in accounts if a["role"] == "worker"]
offers = {}
started = []
for w in workers[:60]:
    token = subprocess.run([goldaw, "--database-url", db_url, "user", "token", w["user"]],
                           capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    for case_id in w["cases"][:10]:
        s, case = call(token, "GET", f"/cases/{case_id}")
        if s != 200 or case.get("status") not in ("holistic_assessment", "support_plan", "active", "monitoring"):
            continue
        unit = case["admin_unit"]
        if unit not in offers:
            s, offer = call(admin, "PUT", f"/providers/{pid}/offers", {"service_code": "S04", "admin_unit": unit, "places": 100000})
            if s != 200:
                sys.exit(f"offer in {unit}: {s} {offer}")
            offers[unit] = offer["id"]
        s, ref = call(token, "POST", f"/cases/{case_id}/referrals",
                      {"person": case["person_id"], "service_code": "S04", "provider_service": offers[unit], "info": "Load test"})
        if s != 201:
            print(f"referral from {case_id}: {s} {ref}", file=sys.stderr)
            continue
        s, seen = call(ptoken, "GET", f"/provider/referrals/{ref['id']}")
        s, acc = call(ptoken, "POST", f"/provider/referrals/{ref['id']}/actions", {"action": "accept", "version": seen["version"]})
        if s == 200 and len(started) % 3 != 2:  # a third stay accepted, waiting to start
            s, st = call(ptoken, "POST", f"/provider/referrals/{ref['id']}/actions", {"action": "start", "version": acc["version"]})
            if s == 200:
                started.append(ref["id"])
        elif s == 200:
            started.append(None)
started = [r for r in started if r]
print(f"{len(offers)} offers, {len(started)} started referrals", file=sys.stderr)
accounts.append({"user": "mix-provider", "password": "bench-mix-password-2026", "role": "provider", "cases": started})
json.dump(accounts, open(accounts_path, "w"))
PY
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
    provider_setup "$url" "http://127.0.0.1:$port" "$accounts"
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
