#!/usr/bin/env bash
# Import benchmark: `goldaw import` of the national data set against the database's own bulk loader.
#
#   bench/import.sh
#
# 1. builds goldaw and goldaw-datagen (release);
# 2. generates the data set into bench/out/national (kept while bench/out/national.stamp matches);
# 3. SQLite: times `sqlite3 .import` of persons.csv into a fresh 16-TEXT-column table, then
#    `goldaw --database-url sqlite://bench/out/import.db import bench/out/national` (fresh database);
# 4. PostgreSQL, only if GOLDAW_BENCH_POSTGRES_URL is set: psql `\copy` of persons.csv into a same-columns
#    table, then `goldaw import` into a freshly created database on that server;
# then prints rows, seconds, peak RSS and ratios, and saves the table to bench/out/import-results.txt.
#
# Environment:
#   BENCH_PERSONS                 persons to generate (default 7057841, the 2022 census). Other sizes go to
#                                 bench/out/persons-N so the national set is not regenerated.
#   BENCH_SEED                    generator seed (default 1)
#   BENCH_SKIP_GOLDAW=1           build and time only the baselines (datagen + sqlite3 / psql), not goldaw
#   BENCH_GOLDAW_BIN=PATH         time this goldaw binary instead of building one (goldaw-datagen is still built)
#   GOLDAW_BENCH_POSTGRES_URL     postgres://user:pass@host:port/db - a role that may CREATE DATABASE
#   GOLDAW_BENCH_POSTGRES_DB      scratch database created (dropped first) on that server (default goldaw_bench)
#   GOLDAW_BENCH_POSTGRES_FRESH=0 use the database of the URL as it is instead (you make sure it is empty)
#   CARGO_TARGET_DIR              honoured (default ./target)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PERSONS="${BENCH_PERSONS:-7057841}"
SEED="${BENCH_SEED:-1}"
SKIP_GOLDAW="${BENCH_SKIP_GOLDAW:-0}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="bench/out"
if [[ "$PERSONS" == 7057841 ]]; then NAME=national; else NAME="persons-$PERSONS"; fi
DATA="$OUT/$NAME"
STAMP="$OUT/$NAME.stamp"   # outside DATA: goldaw import reads the directory
RESULTS_FILE="$OUT/import-results.txt"

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

[[ "$PERSONS" =~ ^[0-9]+$ ]] || die "BENCH_PERSONS must be a whole number, got '$PERSONS'"
[[ "$SEED" =~ ^[0-9]+$ ]] || die "BENCH_SEED must be a whole number, got '$SEED'"
mkdir -p "$OUT"

# --- tools ------------------------------------------------------------------------------------------
as_root() { if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
apt_install() {
    say "installing $* with apt-get"
    as_root apt-get update -qq || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" || die "cannot install $*"
}
missing=()
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
[[ -x /usr/bin/time ]] || missing+=(time)
if [[ -n "${GOLDAW_BENCH_POSTGRES_URL:-}" ]] && ! command -v psql >/dev/null 2>&1; then
    missing+=(postgresql-client)
fi
if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
SQLITE_VERSION=$(sqlite3 -version | cut -d' ' -f1)
[[ "$(printf '%s\n' 3.32.0 "$SQLITE_VERSION" | sort -V | head -n 1)" == 3.32.0 ]] ||
    die "sqlite3 $SQLITE_VERSION is too old for .import --skip (needs 3.32)"

# --- 1. build ---------------------------------------------------------------------------------------
if [[ "$SKIP_GOLDAW" == 1 ]]; then
    say "building goldaw-datagen (release; BENCH_SKIP_GOLDAW=1: goldaw is not built or timed)"
    cargo build --release -p goldaw-datagen
elif [[ -n "${BENCH_GOLDAW_BIN:-}" ]]; then
    say "building goldaw-datagen (release; goldaw is BENCH_GOLDAW_BIN=$BENCH_GOLDAW_BIN)"
    cargo build --release -p goldaw-datagen
else
    say "building goldaw and goldaw-datagen (release)"
    cargo build --release -p goldaw -p goldaw-datagen
fi
DATAGEN="$TARGET/release/goldaw-datagen"
GOLDAW="${BENCH_GOLDAW_BIN:-$TARGET/release/goldaw}"
[[ -x "$DATAGEN" ]] || die "$DATAGEN not found after the build"
[[ "$SKIP_GOLDAW" == 1 || -x "$GOLDAW" ]] || die "$GOLDAW not found after the build"

# --- 2. data set ------------------------------------------------------------------------------------
# The stamp names what produced the files: size, seed and a hash of the generator and the admin units.
want_stamp="persons=$PERSONS seed=$SEED generator=$(cat bench/datagen/src/main.rs reference/admin_units.csv | sha256sum | cut -c1-16)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" && -f "$DATA/persons.csv" ]]; then
    say "reusing $DATA ($want_stamp)"
else
    say "generating $DATA ($PERSONS persons, seed $SEED)"
    rm -rf "$DATA.tmp" "$STAMP"
    "$DATAGEN" --out "$DATA.tmp" --persons "$PERSONS" --seed "$SEED" --admin-units reference/admin_units.csv
    rm -rf "$DATA"
    mv "$DATA.tmp" "$DATA"
    printf '%s\n' "$want_stamp" >"$STAMP"
fi
for f in households persons cases service_episodes; do
    [[ -f "$DATA/$f.csv" ]] || die "$DATA/$f.csv is missing"
done
# Data rows (no field of the generated files contains a line break, so lines - 1 is exact).
rows_of() { echo $(($(wc -l <"$1") - 1)); }
PERSON_ROWS=$(rows_of "$DATA/persons.csv")
ALL_ROWS=0
for f in households persons cases service_episodes; do ALL_ROWS=$((ALL_ROWS + $(rows_of "$DATA/$f.csv"))); done
HEADER=$(head -n 1 "$DATA/persons.csv" | tr -d '\r')
IFS=, read -r -a COLS <<<"$HEADER"
((${#COLS[@]} == 16)) || die "persons.csv has ${#COLS[@]} columns, expected 16"
COLUMNS_SQL=$(printf '%s TEXT, ' "${COLS[@]}")
COLUMNS_SQL="${COLUMNS_SQL%, }"

# --- measuring --------------------------------------------------------------------------------------
# measure LABEL ROWS COMMAND... : runs COMMAND under /usr/bin/time -v, records wall seconds and peak RSS.
LABELS=() ROWS=() SECS=() RSS=() CPU=()
measure() {
    local label="$1" rows="$2"
    shift 2
    local tf
    tf=$(mktemp)
    say "timing: $label"
    printf '   $ %s\n' "$*" >&2
    if ! /usr/bin/time -v -o "$tf" "$@"; then
        sed 's/^/   /' "$tf" >&2
        rm -f "$tf"
        die "$label failed"
    fi
    local secs kb
    # "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.35"
    secs=$(awk '/Elapsed \(wall clock\)/ { sub(/.*: /, ""); n = split($0, p, ":");
                s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$tf")
    kb=$(awk '/Maximum resident set size/ { sub(/.*: /, ""); print }' "$tf")
    # CPU time of the process (user + system): moves less than wall time on a shared machine.
    cpu=$(awk '/User time \(seconds\)|System time \(seconds\)/ { sub(/.*: /, ""); s += $0 } END { printf "%.2f", s }' "$tf")
    rm -f "$tf"
    [[ -n "$secs" && -n "$kb" ]] || die "could not read /usr/bin/time output for $label"
    LABELS+=("$label") ROWS+=("$rows") SECS+=("$secs") RSS+=("$kb") CPU+=("$cpu")
    printf '   %s rows in %s s, peak RSS %s MB\n' "$rows" "$secs" "$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')" >&2
}

# --- 3. SQLite ----------------------------------------------------------------------------------------
RAW_DB="$OUT/raw-sqlite.db"
rm -f "$RAW_DB" "$RAW_DB-journal" "$RAW_DB-wal" "$RAW_DB-shm"
sqlite3 "$RAW_DB" "CREATE TABLE persons ($COLUMNS_SQL);"
measure "sqlite3 .import persons.csv" "$PERSON_ROWS" \
    sqlite3 "$RAW_DB" ".mode csv" ".import --skip 1 $DATA/persons.csv persons"
got=$(sqlite3 "$RAW_DB" "SELECT count(*) FROM persons;")
[[ "$got" == "$PERSON_ROWS" ]] || die "sqlite3 .import loaded $got rows, expected $PERSON_ROWS"
BASE_SQLITE=$((${#LABELS[@]} - 1))

if [[ "$SKIP_GOLDAW" != 1 ]]; then
    IMPORT_DB="$OUT/import.db"
    rm -f "$IMPORT_DB" "$IMPORT_DB-journal" "$IMPORT_DB-wal" "$IMPORT_DB-shm"
    measure "goldaw import -> SQLite" "$ALL_ROWS" \
        "$GOLDAW" --database-url "sqlite://$IMPORT_DB" import "$DATA"
fi

# --- 4. PostgreSQL --------------------------------------------------------------------------------
BASE_PG=""
if [[ -n "${GOLDAW_BENCH_POSTGRES_URL:-}" ]]; then
    PG_URL="$GOLDAW_BENCH_POSTGRES_URL"
    if [[ "${GOLDAW_BENCH_POSTGRES_FRESH:-1}" != 0 ]]; then
        PG_DB="${GOLDAW_BENCH_POSTGRES_DB:-goldaw_bench}"
        [[ "$PG_DB" =~ ^[a-z_][a-z0-9_]*$ ]] || die "GOLDAW_BENCH_POSTGRES_DB must be a plain lower-case name"
        [[ "$PG_URL" =~ ^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$ ]] ||
            die "GOLDAW_BENCH_POSTGRES_URL should look like postgres://user:pass@host:port/db"
        [[ "${BASH_REMATCH[3]}" != "/$PG_DB" ]] ||
            die "GOLDAW_BENCH_POSTGRES_URL must name another database than $PG_DB (e.g. /postgres): $PG_DB is dropped"
        NEW_URL="${BASH_REMATCH[1]}/$PG_DB${BASH_REMATCH[4]}"
        say "PostgreSQL: recreating scratch database $PG_DB (set GOLDAW_BENCH_POSTGRES_FRESH=0 to use the URL's database)"
        PGOPTIONS="-c client_min_messages=warning" psql "$PG_URL" -X -q -v ON_ERROR_STOP=1 \
            -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" ||
            die "cannot recreate database $PG_DB (the role needs CREATEDB)"
        PG_URL="$NEW_URL"
    fi
    PGOPTIONS="-c client_min_messages=warning" psql "$PG_URL" -X -q -v ON_ERROR_STOP=1 \
        -c "DROP TABLE IF EXISTS bench_raw_persons" -c "CREATE TABLE bench_raw_persons ($COLUMNS_SQL)" ||
        die "cannot create bench_raw_persons in $PG_URL"
    measure "psql \\copy persons.csv" "$PERSON_ROWS" \
        psql "$PG_URL" -X -q -v ON_ERROR_STOP=1 \
        -c "\\copy bench_raw_persons FROM '$ROOT/$DATA/persons.csv' WITH (FORMAT csv, HEADER true)"
    got=$(psql "$PG_URL" -X -At -c "SELECT count(*) FROM bench_raw_persons")
    [[ "$got" == "$PERSON_ROWS" ]] || die "\\copy loaded $got rows, expected $PERSON_ROWS"
    BASE_PG=$((${#LABELS[@]} - 1))
    if [[ "$SKIP_GOLDAW" != 1 ]]; then
        measure "goldaw import -> PostgreSQL" "$ALL_ROWS" "$GOLDAW" --database-url "$PG_URL" import "$DATA"
    fi
fi

# --- results ----------------------------------------------------------------------------------------
{
    printf '\nImport benchmark: %s (%s persons, seed %s), %s, %s\n' "$DATA" "$PERSON_ROWS" "$SEED" \
        "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc) cores"
    printf '%-30s %10s %9s %12s %13s %8s %11s %8s\n' "run" "rows" "seconds" "rows/second" "peak RSS MB" "x time" "x per row" "cpu s"
    for i in "${!LABELS[@]}"; do
        base=$BASE_SQLITE
        [[ "${LABELS[$i]}" == *PostgreSQL* || "${LABELS[$i]}" == psql* ]] && base=$BASE_PG
        awk -v l="${LABELS[$i]}" -v r="${ROWS[$i]}" -v s="${SECS[$i]}" -v k="${RSS[$i]}" -v c="${CPU[$i]}" \
            -v br="${ROWS[$base]}" -v bs="${SECS[$base]}" 'BEGIN {
            s1 = (s > 0 ? s : 0.01); b1 = (bs > 0 ? bs : 0.01)
            printf "%-30s %10d %9.2f %12.0f %13.1f %8.2f %11.2f %8.2f\n", l, r, s, r / s1, k / 1024, s1 / b1, (s1 / r) / (b1 / br), c
        }'
    done
    echo "x time = seconds / the same database's baseline seconds; x per row = the same per row (goldaw loads"
    echo "all four files, $ALL_ROWS rows, with validation; the baselines load persons.csv only, as text)."
    echo "cpu s = the process's user + system CPU seconds (for psql and goldaw -> PostgreSQL: the client's only)."
    [[ -n "$BASE_PG" ]] && echo "psql's RSS is the client's; the server's memory is not measured."
    true
} | tee "$RESULTS_FILE"
echo "(saved to $RESULTS_FILE)" >&2
