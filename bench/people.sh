#!/usr/bin/env bash
# People benchmark (issue #19): import a data set (timed), then bench/people.py: name searches
# through the API at national, velayat and etrap scope against the bare index lookup, and the
# recall of the duplicate check on 1,000 planted duplicates.
#
#   BENCH_GOLDAW_BIN=target/release/goldaw bench/people.sh
#
#   BENCH_PEOPLE_DATA   the interchange CSV directory (default /work/national/csv)
#   BENCH_PEOPLE_DIR    where the databases go (default /work/bench-people)
#   GOLDAW_BENCH_POSTGRES_URL  postgres://... a role that may CREATE DATABASE: PostgreSQL too
# Run it `nice -n 15` on a shared machine. Results: $BENCH_PEOPLE_DIR/people-results.md
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GOLDAW="$(realpath "${BENCH_GOLDAW_BIN:?set BENCH_GOLDAW_BIN to a goldaw binary}")"
DATA="${BENCH_PEOPLE_DATA:-/work/national/csv}"
DIR="${BENCH_PEOPLE_DIR:-/work/bench-people}"
PASSWORD="bench-people-password-2026"
mkdir -p "$DIR"
RESULTS="$DIR/people-results.md"
: >"$RESULTS"
[[ -s "$DIR/key" ]] || "$GOLDAW" key generate >"$DIR/key"
export GOLDAW_ENCRYPTION_KEY_FILE="$DIR/key"
SERVER=""
trap '[[ -n "$SERVER" ]] && kill "$SERVER" 2>/dev/null; true' EXIT

run() { # run LABEL URL DB
    local label="$1" url="$2" db="$3"
    local t0 t1
    t0=$(date +%s.%N)
    "$GOLDAW" --database-url "$url" import "$DATA" >"$DIR/$label-import.log" 2>&1
    t1=$(date +%s.%N)
    printf '## %s: import of %s: %.1f s\n\n' "$label" "$DATA" "$(echo "$t1 - $t0" | bc)" | tee -a "$RESULTS"
    local tokens=()
    for who in "nat:supervisor:TM" "vel:supervisor:TM-A" "etr:social_worker:TM-A-01"; do
        IFS=: read -r name role scope <<<"$who"
        printf '%s\n' "$PASSWORD" | "$GOLDAW" --database-url "$url" user add --username "bench-$name" \
            --role "$role" --scope "$scope" >/dev/null
        tokens+=("$("$GOLDAW" --database-url "$url" user token "bench-$name" | tail -n 1)")
    done
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    RUST_LOG=warn "$GOLDAW" --database-url "$url" serve --listen "127.0.0.1:$port" >"$DIR/$label-server.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
    python3 "$ROOT/bench/people.py" "http://127.0.0.1:$port" "${tokens[@]}" "$DATA/persons.csv" "$label" "$db" | tee -a "$RESULTS"
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
}

rm -f "$DIR/people.db" "$DIR/people.db-wal" "$DIR/people.db-shm"
run sqlite "sqlite://$DIR/people.db" "$DIR/people.db"
if [[ -n "${GOLDAW_BENCH_POSTGRES_URL:-}" ]]; then
    psql "$GOLDAW_BENCH_POSTGRES_URL" -Xqc "DROP DATABASE IF EXISTS goldaw_bench_people" -c "CREATE DATABASE goldaw_bench_people"
    PG="${GOLDAW_BENCH_POSTGRES_URL%/*}/goldaw_bench_people"
    run postgres "$PG" "$PG"
fi
