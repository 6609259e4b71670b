#!/usr/bin/env python3
"""The provider's inbox page, statement time on SQLite (issue #24): the old single ORDER BY over
the organisation's referrals (LIMIT 1000, sorted by a CASE on the status) against the new page
(one index range per status, each cut at the page's size, merged) on a synthetic
`service_referrals` with the indexes of migration 0026. Stdlib only.

    python3 bench/paging_lists.py [REFERRALS]   # default 200000 for one organisation

It measures the statement that picks a page's keys (the rows, consent facts and count are a page
each). Run it `nice -n 15`; figures in bench/README.md say at what scale and load.
"""
import os, random, sqlite3, sys, tempfile, time, uuid

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
STATUSES = [("completed", 0.55), ("declined", 0.15), ("cancelled", 0.05), ("started", 0.15),
            ("accepted", 0.04), ("sent", 0.04), ("waiting", 0.02)]
path = os.path.join(tempfile.mkdtemp(), "inbox.db")
db = sqlite3.connect(path)
db.executescript("""
CREATE TABLE service_referrals (id BLOB PRIMARY KEY, case_id BLOB, provider_id BLOB, status TEXT,
  sent_at TEXT, info BLOB);
CREATE INDEX service_referrals_provider ON service_referrals(provider_id, status, sent_at, id);
CREATE INDEX service_referrals_case ON service_referrals(case_id, sent_at, id);
""")
prov, other = uuid.uuid4().bytes, uuid.uuid4().bytes
rows = []
for i in range(N):
    r, acc = random.random(), 0.0
    for s, p in STATUSES:
        acc += p
        if r <= acc:
            break
    at = f"2026-{1 + i * 11 // N:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{i % 59:02d}.{i:09d}+00:00"
    rows.append((uuid.uuid4().bytes, uuid.uuid4().bytes, prov if i % 4 else other, s, at, os.urandom(64)))
db.executemany("INSERT INTO service_referrals VALUES (?,?,?,?,?,?)", rows)
db.commit()

OLD = """SELECT id FROM service_referrals r WHERE r.provider_id = ?
 ORDER BY CASE r.status WHEN 'waiting' THEN 0 WHEN 'sent' THEN 1 WHEN 'accepted' THEN 2
 WHEN 'started' THEN 3 ELSE 4 END, r.sent_at, r.id LIMIT 1000"""
RANKS = [["waiting"], ["sent"], ["accepted"], ["started"], ["declined", "completed", "cancelled"]]

def new(after=None, limit=51):
    members, args_key = [], False
    for rank, sts in enumerate(RANKS):
        if after and rank < after[0]:
            continue
        keyset = " AND (r.sent_at, r.id) > (?3, ?4)" if after and rank == after[0] else ""
        args_key |= bool(keyset)
        for s in sts:
            members.append(f"SELECT * FROM (SELECT r.id, {rank} AS rk, r.sent_at FROM service_referrals r "
                           f"WHERE r.provider_id = ?1 AND r.status = '{s}'{keyset} ORDER BY r.sent_at, r.id LIMIT ?2) m{len(members)}")
    sql = f"SELECT id, rk, sent_at FROM ({' UNION ALL '.join(members)}) k ORDER BY rk, sent_at, id LIMIT ?2"
    args = [prov, limit] + ([after[1], after[2]] if args_key else [])
    return db.execute(sql, args).fetchall()

def timed(f, n=20):
    f()
    t = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - t) / n * 1000

print(f"{N} referrals, {sum(1 for r in rows if r[2] == prov)} to the organisation; SQLite {sqlite3.sqlite_version}")
print(f"old statement (sort the organisation's referrals, 1000 rows): {timed(lambda: db.execute(OLD, [prov]).fetchall()):.2f} ms")
print(f"new first page (50):                                        {timed(lambda: new()):.2f} ms")
page = new()
for _ in range(40):
    last = page[49]
    page = new((last[1], last[2], last[0]))
print(f"new page 41, deep in the finished ones:                     {timed(lambda: new((page[49][1], page[49][2], page[49][0]))):.2f} ms")
