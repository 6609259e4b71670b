#!/usr/bin/env bash
# Statistics benchmark: the service-users report by etrap x sex x age band x disability for 2025
# on the national data set, goldaw (SQLite, and PostgreSQL if given) against DuckDB running the
# same query on the same data loaded into its own tables.
#
#   bench/report.sh
#
# 1. builds goldaw and goldaw-datagen (release), generates the national set (as import.sh);
# 2. imports it into bench/out/load.db (shared with load.sh; kept while its stamp matches);
# 3. DuckDB (the Python package; installed with pip if missing): loads persons.csv and
#    service_episodes.csv into tables, then runs the query BENCH_RUNS times;
# 4. goldaw: `goldaw report service-users ... --min-cell 0 --timing` BENCH_RUNS times (the time
#    the report took inside the process: gather, count; and the process's wall time), then once
#    with suppression (k = 5) to time that too;
# 5. checks that goldaw and DuckDB give the same cells and counts, and prints the medians and the
#    ratio goldaw / DuckDB. Results: bench/out/report-results.txt.
#
# Environment: BENCH_RUNS (default 5), BENCH_PERSONS, BENCH_SEED, BENCH_FRESH=1 (re-import),
# GOLDAW_BENCH_POSTGRES_URL / GOLDAW_BENCH_POSTGRES_DB (as load.sh; default database goldaw_load),
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
RESULTS_FILE="$OUT/report-results.txt"
FROM=2025-01-01
TO=2025-12-31
BY=admin_unit,sex,age_band,disability

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive whole number"
mkdir -p "$OUT"

if ! python3 -c 'import duckdb' 2>/dev/null; then
    say "installing the duckdb Python package with pip"
    python3 -m pip install --quiet --user duckdb 2>/dev/null ||
        python3 -m pip install --quiet --user --break-system-packages duckdb ||
        die "cannot install duckdb with pip"
fi

say "building goldaw and goldaw-datagen (release)"
cargo build --release -p goldaw -p goldaw-datagen
GOLDAW="$TARGET/release/goldaw"
DATAGEN="$TARGET/release/goldaw-datagen"
want_stamp="persons=$PERSONS seed=$SEED generator=$(cat bench/datagen/src/main.rs reference/admin_units.csv | sha256sum | cut -c1-16)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" && -f "$DATA/persons.csv" ]]; then
    say "reusing $DATA"
else
    say "generating $DATA ($PERSONS persons, seed $SEED)"
    rm -rf "$DATA.tmp" "$STAMP"
    "$DATAGEN" --out "$DATA.tmp" --persons "$PERSONS" --seed "$SEED" --admin-units reference/admin_units.csv
    rm -rf "$DATA"
    mv "$DATA.tmp" "$DATA"
    printf '%s\n' "$want_stamp" >"$STAMP"
fi
LOAD_DB="$OUT/load.db"
if [[ "${BENCH_FRESH:-0}" != 1 && -f "$LOAD_DB" && -f "$LOAD_DB.stamp" && "$(cat "$LOAD_DB.stamp")" == "$want_stamp" ]]; then
    say "reusing $LOAD_DB"
else
    say "importing $DATA into $LOAD_DB"
    rm -f "$LOAD_DB" "$LOAD_DB-wal" "$LOAD_DB-shm" "$LOAD_DB.stamp"
    "$GOLDAW" --database-url "sqlite://$LOAD_DB" import "$DATA"
    printf '%s\n' "$want_stamp" >"$LOAD_DB.stamp"
fi

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# --- DuckDB ---------------------------------------------------------------------------------------
say "DuckDB: loading persons.csv and service_episodes.csv, then $RUNS runs of the query"
python3 - "$DATA" "$RUNS" "$FROM" "$TO" "$OUT/report-duckdb.csv" "$OUT/report-duckdb.times" <<'PY'
import sys, time, duckdb
data, runs, start, end, out_csv, out_times = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
con = duckdb.connect()
t = time.perf_counter()
con.execute(f"CREATE TABLE persons AS SELECT * FROM read_csv('{data}/persons.csv', header = true, all_varchar = false)")
con.execute(f"CREATE TABLE episodes AS SELECT * FROM read_csv('{data}/service_episodes.csv', header = true)")
print(f"   loaded in {time.perf_counter() - t:.1f} s", file=sys.stderr)
query = f"""
WITH users AS (
  SELECT DISTINCT e.person_id FROM episodes e
  WHERE e.service_code IN ('S01','S02','S03','S04','S05','S06','S07','S08','S09','S10','S11','S12','ETRAP_SW')
    AND e.started_on <= DATE '{end}' AND (e.ended_on IS NULL OR e.ended_on >= DATE '{start}')
)
SELECT p.admin_unit, p.sex,
  CASE WHEN p.birth_date IS NULL THEN 'unknown'
       WHEN date_sub('year', p.birth_date, DATE '{end}') < 18 THEN '0-17'
       WHEN date_sub('year', p.birth_date, DATE '{end}') < 60 THEN '18-59' ELSE '60+' END AS age_band,
  CASE WHEN greatest(coalesce(p.wg_seeing, 0), coalesce(p.wg_hearing, 0), coalesce(p.wg_walking, 0),
                     coalesce(p.wg_cognition, 0), coalesce(p.wg_selfcare, 0), coalesce(p.wg_communication, 0)) >= 3
       THEN 'true' ELSE 'false' END AS disability,
  count(*) AS count
FROM persons p JOIN users u USING (person_id)
GROUP BY ALL ORDER BY ALL
"""
times = []
for _ in range(runs):
    t = time.perf_counter()
    rows = con.execute(query).fetchall()
    times.append(time.perf_counter() - t)
with open(out_csv, "w") as f:
    f.write("admin_unit,sex,age_band,disability,count\n")
    for r in rows:
        f.write(",".join(str(v) for v in r) + "\n")
with open(out_times, "w") as f:
    f.write("\n".join(f"{x:.4f}" for x in times) + "\n")
print(f"   {len(rows)} cells; runs (s): {' '.join(f'{x:.3f}' for x in times)}", file=sys.stderr)
PY
DUCK=$(median <"$OUT/report-duckdb.times")

RESULTS=("$(printf '%-28s median %8.1f ms  (query only, data in DuckDB tables)' "DuckDB" "$(awk -v s="$DUCK" 'BEGIN { print s * 1000 }')")")

# goldaw_runs LABEL URL
goldaw_runs() {
    local label="$1" url="$2" inner=() wall=()
    say "$label: $RUNS runs of goldaw report service-users --by $BY --min-cell 0"
    for _ in $(seq 1 "$RUNS"); do
        local t0 t1 err
        t0=$(date +%s.%N)
        err=$("$GOLDAW" --database-url "$url" report service-users --from "$FROM" --to "$TO" --by "$BY" \
            --format csv --min-cell 0 --timing 2>&1 >"$OUT/report-goldaw.csv") || { echo "$err" >&2; die "$label: report failed"; }
        t1=$(date +%s.%N)
        inner+=("$(sed -n 's/^report: .* in \([0-9.]*\) ms$/\1/p' <<<"$err")")
        wall+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')")
    done
    echo "   in-process ms: ${inner[*]}; process wall ms: ${wall[*]}" >&2
    diff -q "$OUT/report-goldaw.csv" "$OUT/report-duckdb.csv" >/dev/null ||
        { diff "$OUT/report-goldaw.csv" "$OUT/report-duckdb.csv" | head -20 >&2; die "$label and DuckDB disagree"; }
    echo "   same $(($(wc -l <"$OUT/report-goldaw.csv") - 1)) cells and counts as DuckDB" >&2
    local m w s
    m=$(printf '%s\n' "${inner[@]}" | median)
    w=$(printf '%s\n' "${wall[@]}" | median)
    local err
    err=$("$GOLDAW" --database-url "$url" report service-users --from "$FROM" --to "$TO" --by "$BY" \
        --format csv --timing 2>&1 >/dev/null) || { echo "$err" >&2; die "$label: suppressed report failed"; }
    s=$(sed -n 's/^report: .* in \([0-9.]*\) ms$/\1/p' <<<"$err")
    RESULTS+=("$(awk -v l="$label" -v m="$m" -v w="$w" -v s="$s" -v d="$DUCK" 'BEGIN {
        printf "%-28s median %8.1f ms  ratio %.3f  (process wall %.0f ms; with suppression k=5: %.0f ms)", l, m, m / (d * 1000), w, s }')")
}

goldaw_runs "goldaw on SQLite" "sqlite://$ROOT/$LOAD_DB"
if [[ -n "${GOLDAW_BENCH_POSTGRES_URL:-}" ]]; then
    PG_URL="$GOLDAW_BENCH_POSTGRES_URL"
    PG_DB="${GOLDAW_BENCH_POSTGRES_DB:-goldaw_load}"
    [[ "$PG_URL" =~ ^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$ ]] || die "GOLDAW_BENCH_POSTGRES_URL should look like postgres://user@host:port/db"
    NEW_URL="${BASH_REMATCH[1]}/$PG_DB${BASH_REMATCH[4]}"
    if [[ "$(psql "$NEW_URL" -X -At -c "SELECT count(*) FROM persons" 2>/dev/null || echo 0)" == 0 ]]; then
        say "PostgreSQL: importing $DATA into $PG_DB"
        psql "$PG_URL" -X -q -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" || die "cannot create $PG_DB"
        "$GOLDAW" --database-url "$NEW_URL" import "$DATA"
        psql "$NEW_URL" -X -q -c "VACUUM ANALYZE" || true
    fi
    goldaw_runs "goldaw on PostgreSQL" "$NEW_URL"
fi

{
    printf '\nReport benchmark: service users %s..%s by %s, %s (%s cores), %s runs each\n' "$FROM" "$TO" "$BY" \
        "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$RUNS"
    printf '%s\n' "${RESULTS[@]}"
    echo "ratio = goldaw's in-process time / DuckDB's query time (goal: 0.2 or less)."
} | tee "$RESULTS_FILE"
