#!/usr/bin/env bash
# Sign-in burst benchmark (issue #16, item 11): the case page's latency while 50 sign-ins arrive
# at once. Each sign-in verifies an argon2id hash (19 MiB, 2 passes); this shows whether those
# hashes hold up the pages served meanwhile.
#
#   bench/signin_burst.sh [LABEL=GOLDAW_BINARY ...]
#
# For each binary given (default: one built from this tree, label "this-tree"), on fresh demo
# data (`goldaw demo` in a scratch folder, SQLite): starts `goldaw serve`, signs a supervisor of
# Ashgabat in, keeps BENCH_PAGE_THREADS clients reading its case pages, and BENCH_ROUNDS times
# releases BENCH_BURST sign-ins of a social worker at once (bench/signin_burst.py, standard-library
# Python). Prints the case page's p50/p99/max in the quiet windows and during the bursts.
# Compare two builds, e.g. one without the fix:
#
#   git archive COMMIT | tar -x -C /tmp/goldaw-before && (cd /tmp/goldaw-before && cargo build -p goldaw)
#   bench/signin_burst.sh before=/tmp/goldaw-before/target/debug/goldaw after=target/debug/goldaw
#
# Environment:
#   BENCH_PAGE_THREADS   case page clients (default 8)
#   BENCH_BURST          sign-ins released at once (default 50)
#   BENCH_ROUNDS         bursts per binary (default 5)
#   BENCH_QUIET_SECONDS  quiet window before each burst (default 3)
#   BENCH_PROFILE        cargo profile of the default build (default dev: dependencies, argon2
#                        among them, are optimised in it; release for absolute figures)
#   CARGO_TARGET_DIR     honoured (default ./target)
# Results: bench/out/signin-burst-results.txt
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="bench/out"
mkdir -p "$OUT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PROFILE="${BENCH_PROFILE:-dev}"
READER_PASSWORD="Köpetdag okaýjy 2026"
SIGNER_PASSWORD="Garagum giriş 2026"

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
for v in BENCH_PAGE_THREADS BENCH_BURST BENCH_ROUNDS; do
    [[ -z "${!v:-}" || "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive whole number, got '${!v}'"
done
command -v sqlite3 >/dev/null 2>&1 || die "sqlite3 is needed (apt-get install sqlite3)"
command -v python3 >/dev/null 2>&1 || die "python3 is needed"
command -v curl >/dev/null 2>&1 || die "curl is needed"

BINARIES=("$@")
if ((${#BINARIES[@]} == 0)); then
    say "building goldaw ($PROFILE)"
    cargo build --profile "$PROFILE" -p goldaw
    dir="$PROFILE"
    [[ "$PROFILE" == dev ]] && dir=debug
    BINARIES=("this-tree=$TARGET/$dir/goldaw")
fi

SERVER_PID=""
SCRATCH=""
stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
    if [[ -n "$SCRATCH" ]]; then
        rm -rf "$SCRATCH"
        SCRATCH=""
    fi
}
trap stop_server EXIT

RESULTS=()
for entry in "${BINARIES[@]}"; do
    label="${entry%%=*}"
    bin="${entry#*=}"
    [[ "$label" != "$entry" ]] || die "give binaries as LABEL=PATH, got '$entry'"
    bin="$(realpath "$bin")"
    [[ -x "$bin" ]] || die "$bin is not an executable"
    SCRATCH="$(mktemp -d)"
    say "$label: demo data in $SCRATCH"
    (cd "$SCRATCH" && "$bin" demo >/dev/null)
    "$bin" key generate >"$SCRATCH/key"
    db="$SCRATCH/goldaw-data/goldaw.db"
    printf '%s\n' "$READER_PASSWORD" | "$bin" --database-url "sqlite://$db" user add \
        --username bench-reader --role supervisor --scope TM-S >/dev/null
    printf '%s\n' "$SIGNER_PASSWORD" | "$bin" --database-url "sqlite://$db" user add \
        --username bench-signer --role social_worker --scope TM-S-02 >/dev/null
    sqlite3 "$db" "SELECT lower(substr(hex(id),1,8)||'-'||substr(hex(id),9,4)||'-'||substr(hex(id),13,4)||'-'||substr(hex(id),17,4)||'-'||substr(hex(id),21))
                   FROM cases WHERE admin_unit LIKE 'TM-S%'" >"$SCRATCH/cases.txt"
    [[ -s "$SCRATCH/cases.txt" ]] || die "the demo has no cases in Ashgabat"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    (cd "$SCRATCH" && GOLDAW_ENCRYPTION_KEY_FILE="$SCRATCH/key" RUST_LOG=warn \
        "$bin" --database-url "sqlite://$db" serve --listen "127.0.0.1:$port" >"$SCRATCH/server.log" 2>&1) &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SCRATCH/server.log" >&2; die "goldaw serve exited"; }
        sleep 0.2
    done
    say "$label: $(wc -l <"$SCRATCH/cases.txt") case pages, bursts of ${BENCH_BURST:-50} sign-ins"
    result=$(python3 bench/signin_burst.py "http://127.0.0.1:$port" bench-reader "$READER_PASSWORD" \
        bench-signer "$SIGNER_PASSWORD" "$SCRATCH/cases.txt" | grep '^RESULT ') || die "$label: no result"
    echo "   $result" >&2
    RESULTS+=("$(printf '%-12s %s' "$label" "${result#RESULT }")")
    stop_server
done

{
    printf '\nSign-in burst benchmark: %s, %s cores, load average %s\n' \
        "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%s\n' "${RESULTS[@]}"
    echo "quiet_*: case pages started outside the bursts; burst_*: started while a burst was being answered."
} | tee -a "$OUT/signin-burst-results.txt"
