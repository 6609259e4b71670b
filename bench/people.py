#!/usr/bin/env python3
"""People benchmark (issue #19), driven by bench/people.sh against a running `goldaw serve`.

1. Name searches through the API, signed in, authorised and audited, at national, velayat and
   etrap scope: common, rare and absent names, a typo, Cyrillic, a full name given name first.
   Each query runs REPEAT times; p50/p95 per query and scope.
2. The bare index lookup of the same words on the same database, measured in the same run
   (SQLite: the FTS5 table, first 50 matches; PostgreSQL: the trigram index through psql).
3. The duplicate check's recall: PLANTED people drawn from persons.csv (seeded), each asked for
   in one variant (either order, Cyrillic, two typos, no family name with the birth date, a typo
   in each name with the household), through GET /api/v1/persons/likely-duplicates; recall =
   share whose record is among the items; false candidates = the other items; p95 of the calls.

4. The intake's check as the load mix asks it (bench/loadmix.py: a given name and a family name
   of its lists, an etrap, no birth date): INTAKE checks, p50/p95 and the people shown.

Usage: people.py BASE_URL TOKEN_NATIONAL TOKEN_VELAYAT TOKEN_ETRAP PERSONS_CSV BACKEND DB
(DB: the SQLite file, or the PostgreSQL URL.) Prints a table; no dependencies beyond Python 3.
PEOPLE_PARTS (environment; default "search,duplicates,intake,file") chooses the parts to run,
e.g. PEOPLE_PARTS=duplicates,intake for the duplicate check alone.
"""
import os
import csv
import json
import random
try:
    # A newer SQLite than the system's, when installed (`pip install pysqlite3-binary`): the name
    # index is contentless with contentless_delete (migration 0027), which SQLite 3.43 or later
    # reads; Debian 12's Python has 3.40 and reports the bare lookup as nan.
    import pysqlite3 as sqlite3
except ImportError:
    import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request

REPEAT = 20
PLANTED = 1000
INTAKE = 200
# bench/loadmix.py's intake check: these names, these etraps, no birth date.
MIX_FAMILIES = ["Orazowa", "Annaýewa", "Myradowa", "Berdiýewa", "Hojaýewa"]
MIX_UNITS = ["TM-A-01", "TM-B-03", "TM-D-10", "TM-L-05", "TM-M-02"]
MIX_NAMES = ["Aýna", "Merdan", "Jeren", "Döwlet", "Maral", "Batyr", "Gülälek", "Serdar", "Ogulgerek", "Myrat"]

LAT2CYR = {
    "a": "а", "b": "б", "ç": "ч", "d": "д", "e": "е", "ä": "а", "f": "ф", "g": "г", "h": "х",
    "i": "и", "j": "дж", "ž": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "ň": "н", "o": "о",
    "ö": "о", "p": "п", "r": "р", "s": "с", "ş": "ш", "t": "т", "u": "у", "ü": "у", "w": "в",
    "y": "ы", "ý": "й", "z": "з",
}


def cyrillic(name):
    out = "".join(LAT2CYR.get(c, LAT2CYR.get(c.lower(), c)) for c in name)
    return out[:1].upper() + out[1:]


def typo(name, rng):
    if len(name) < 4:
        return name
    i = rng.randrange(1, len(name) - 1)
    kind = rng.choice(["sub", "del", "swap"])
    if kind == "sub":
        return name[:i] + rng.choice("aeiouklmnrst") + name[i + 1:]
    if kind == "del":
        return name[:i] + name[i + 1:]
    return name[:i - 1] + name[i] + name[i - 1] + name[i + 1:]


def get(base, token, path, params):
    url = f"{base}/api/v1{path}?{urllib.parse.urlencode(params)}"
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req) as r:
        body = json.loads(r.read())
    return (time.perf_counter() - t0) * 1000, body


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    base, t_nat, t_vel, t_etr, persons_csv, backend, db = sys.argv[1:8]
    rng = random.Random(19)
    rows = []
    with open(persons_csv, newline="", encoding="utf-8") as f:
        for i, r in enumerate(csv.DictReader(f)):
            if r["admin_unit"].startswith("TM-A-"):
                rows.append(r)
            if len(rows) >= 200000:
                break
    families = {}
    for r in rows:
        families[r["family_name"]] = families.get(r["family_name"], 0) + 1
    common = max(families, key=families.get)
    rare = min(families, key=families.get)
    someone = rng.choice(rows)
    queries = [
        ("common family name", common),
        ("rare family name", rare),
        ("absent name", "Zzyzxow Qwertygül"),
        ("full name, given first", f"{someone['given_name']} {someone['family_name']}"),
        ("typo", typo(someone["family_name"], rng)),
        ("Cyrillic", cyrillic(someone["family_name"])),
    ]
    parts = os.environ.get("PEOPLE_PARTS", "search,duplicates,intake,file").split(",")
    if "search" in parts:
        search_part(base, t_nat, t_vel, t_etr, backend, db, queries, common, rare)
    planted = rng.sample([r for r in rows if r["birth_date"]], PLANTED)
    if "duplicates" in parts:
        duplicates_part(base, t_nat, backend, planted, rng)
    if "intake" in parts:
        intake_part(base, t_nat, backend)
    if "file" in parts:
        file_part(base, t_vel, backend, planted)


def search_part(base, t_nat, t_vel, t_etr, backend, db, queries, common, rare):
    print(f"## {backend}: name search through the API (ms, {REPEAT} runs each)")
    print("| query | scope | p50 | p95 | shown |")
    print("|---|---|---|---|---|")
    for label, q in queries:
        for scope, token in (("national", t_nat), ("velayat", t_vel), ("etrap", t_etr)):
            times, shown = [], 0
            for _ in range(REPEAT):
                ms, body = get(base, token, "/persons", {"name": q, "limit": 50})
                times.append(ms)
                shown = len(body["items"])
            print(f"| {label} | {scope} | {pct(times, 50):.1f} | {pct(times, 95):.1f} | {shown} |")
    print(f"\n## {backend}: bare index lookup, first 50 matches (ms, {REPEAT} runs)")
    print("| word | p50 | p95 |")
    print("|---|---|---|")
    for word in (common.lower().replace("ý", "y"), rare.lower().replace("ý", "y")):
        times = []
        for _ in range(REPEAT):
            if backend == "sqlite":
                con = sqlite3.connect(db)
                t0 = time.perf_counter()
                try:
                    con.execute(
                        "SELECT rowid FROM persons_name_index WHERE persons_name_index MATCH ? LIMIT 50",
                        (f'"{word}"',),
                    ).fetchall()
                except sqlite3.OperationalError:
                    # The index is contentless with contentless_delete (migration 0027): SQLite
                    # 3.43 or later reads it; an older one in Python cannot.
                    times.append(float("nan"))
                    con.close()
                    continue
                times.append((time.perf_counter() - t0) * 1000)
                con.close()
            else:
                out = subprocess.run(
                    ["psql", db, "-Atc", "\\timing on",
                     "-c", f"SELECT id FROM persons WHERE name_key LIKE '%{word}%' LIMIT 50"],
                    capture_output=True, text=True).stdout
                ms = [float(l.split()[1]) for l in out.splitlines() if l.startswith("Time:")]
                times.append(ms[-1] if ms else float("nan"))
        print(f"| {word} | {pct(times, 50):.2f} | {pct(times, 95):.2f} |")


def duplicates_part(base, t_nat, backend, planted, rng):
    """The duplicate check's recall on planted variants."""
    kinds = ["either order", "Cyrillic", "two typos", "no family name", "typos + household"]
    found = {k: [0, 0] for k in kinds}
    per_kind = {k: [] for k in kinds}
    false_candidates, times = 0, []
    for i, r in enumerate(planted):
        kind = kinds[i % len(kinds)]
        _, match = get(base, t_nat, "/persons", {"external_id": r["person_id"], "limit": 1})
        if not match["items"]:
            continue
        target = match["items"][0]["id"]
        g, fam = r["given_name"], r["family_name"]
        p = {"admin_unit": r["admin_unit"]}
        if kind == "either order":
            p.update(given_name=fam, family_name=g, birth_date=r["birth_date"])
        elif kind == "Cyrillic":
            p.update(given_name=cyrillic(g), family_name=cyrillic(fam), birth_date=r["birth_date"])
        elif kind == "two typos":
            p.update(given_name=typo(g, rng), family_name=typo(fam, rng), birth_date=r["birth_date"])
        elif kind == "no family name":
            p.update(given_name=g, birth_date=r["birth_date"])
        else:
            p.update(given_name=typo(g, rng), family_name=typo(fam, rng))
            if r["household_id"]:
                p["household_id"] = r["household_id"]
            else:
                p["birth_date"] = r["birth_date"]
        ms, body = get(base, t_nat, "/persons/likely-duplicates", p)
        times.append(ms)
        per_kind[kind].append(ms)
        ids = [c["id"] for c in body["items"]]
        found[kind][1] += 1
        if target in ids:
            found[kind][0] += 1
        false_candidates += len([x for x in ids if x != target])
    total = sum(v[1] for v in found.values())
    hits = sum(v[0] for v in found.values())
    print(f"\n## {backend}: duplicate check on {total} planted duplicates")
    print("| variant | found | asked | recall | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|")
    for k, (h, n) in found.items():
        ts = per_kind[k] or [float("nan")]
        print(f"| {k} | {h} | {n} | {h / max(n, 1):.3f} | {pct(ts, 50):.1f} | {pct(ts, 95):.1f} |")
    print(f"| all | {hits} | {total} | {hits / max(total, 1):.3f} | {pct(times, 50):.1f} | {pct(times, 95):.1f} |")
    print(f"\nfalse candidates shown: {false_candidates} ({false_candidates / max(total, 1):.2f} per check); "
          f"check p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms")


def intake_part(base, t_nat, backend):
    """The intake's check as the load mix asks it: a name of its lists in an etrap, no date."""
    rng = random.Random(24)
    times, shown = [], 0
    for _ in range(INTAKE):
        p = {"given_name": rng.choice(MIX_NAMES), "family_name": rng.choice(MIX_FAMILIES),
             "admin_unit": rng.choice(MIX_UNITS)}
        ms, body = get(base, t_nat, "/persons/likely-duplicates", p)
        times.append(ms)
        shown += len(body["items"])
    print(f"\n## {backend}: the intake's check as the load mix asks it ({INTAKE} checks): "
          f"p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms, p99 {pct(times, 99):.1f} ms, "
          f"{shown / INTAKE:.1f} shown per check")


def file_part(base, t_vel, backend, planted):
    """The person's page data (GET /persons/{id}/file) and the supervisor's probable duplicates."""
    times = []
    for r in planted[:REPEAT]:
        _, match = get(base, t_vel, "/persons", {"external_id": r["person_id"], "limit": 1})
        if match["items"]:
            ms, _ = get(base, t_vel, f"/persons/{match['items'][0]['id']}/file", {})
            times.append(ms)
    if times:
        print(f"\n## {backend}: a person's file (velayat scope, {len(times)} people): "
              f"p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms")
    print(f"\n## {backend}: probable duplicates, first pages (ms)")
    print("| scope | page | ms | pairs |")
    print("|---|---|---|---|")
    for scope, params in (("etrap TM-A-01", {"admin_unit": "TM-A-01"}), ("velayat TM-A", {})):
        after = None
        for page in range(1, 4):
            q = dict(params, limit=50)
            if after:
                q["after"] = after
            ms, body = get(base, t_vel, "/persons/probable-duplicates", q)
            print(f"| {scope} | {page} | {ms:.0f} | {len(body['items'])} |")
            after = body.get("next")
            if not after:
                break


if __name__ == "__main__":
    main()
