#!/usr/bin/env python3
"""Check a goldaw-datagen output directory against shared/design/INTERCHANGE.md and the generator's promises.

    python3 bench/check_dataset.py DIR [--admin-units reference/admin_units.csv]

Reads every row with the csv module (RFC 4180), so it is meant for small runs (100,000 persons take a few
seconds; the national set works but needs a few GB of memory). Exits 1 and lists the first problems found.
"""
import argparse
import collections
import csv
import datetime as dt
import re
import sys

HEADERS = {
    "households.csv": "household_id,admin_unit,settlement,address",
    "persons.csv": "person_id,household_id,given_name,family_name,sex,birth_date,admin_unit,settlement,"
    "receives_benefits,wg_seeing,wg_hearing,wg_walking,wg_cognition,wg_selfcare,wg_communication,target_groups",
    "cases.csv": "case_id,person_id,admin_unit,opened_on,referral_source,priority,status,closed_on,worker_id",
    "service_episodes.csv": "episode_id,case_id,person_id,service_code,provider_id,started_on,ended_on,units",
}
TARGET_GROUPS = set(
    "child_disability child_no_parental_care child_at_risk_separation infant_in_care care_leaver youth_at_risk "
    "family_difficult large_family family_substance_use woman_gbv woman_unintended_pregnancy adult_disability "
    "older_alone chronic_illness".split()
)
REFERRALS = set(
    "benefits_list self outreach hotline police juvenile_inspectorate school health guardianship court mlsp ngo "
    "other".split()
)
STATUSES = "referred initial_assessment holistic_assessment support_plan active monitoring closed".split()
SECONDARY = {f"S{i:02}" for i in range(1, 13)} | {"ETRAP_SW"}
SERVICES = SECONDARY | {"HOTLINE", "RES_CARE", "U_EDU", "U_HOUSING", "U_BENEFIT", "U_EMPLOY", "U_HEALTH"}
AS_OF = dt.date(2025, 12, 31)

problems = []


def bad(msg):
    problems.append(msg)
    if len(problems) > 50:
        report_and_exit()


def report_and_exit():
    for p in problems[:50]:
        print("FAIL", p)
    print(f"{len(problems)} problem(s)" + (" (stopped at 50)" if len(problems) > 50 else ""))
    sys.exit(1)


def date(s, where):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        bad(f"{where}: not a YYYY-MM-DD date: {s!r}")
        return None
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        bad(f"{where}: invalid date {s!r}")
        return None


def rows(d, name):
    path = f"{d}/{name}"
    with open(path, encoding="utf-8", newline="") as f:
        raw_header = f.readline().rstrip("\r\n")
        if raw_header != HEADERS[name]:
            bad(f"{name}: header {raw_header!r} != {HEADERS[name]!r}")
        f.seek(0)
        r = csv.reader(f, strict=True)
        header = next(r)
        for i, row in enumerate(r, start=2):
            if len(row) != len(header):
                bad(f"{name}:{i}: {len(row)} fields, expected {len(header)}")
                continue
            yield i, dict(zip(header, row))


def check_quoting(d, name):
    """Every line must be exactly what a minimal RFC 4180 writer produces from its parsed fields."""
    with open(f"{d}/{name}", encoding="utf-8", newline="") as f:
        for i, line in enumerate(f, start=1):
            fields = next(csv.reader([line]))
            again = ",".join('"' + x.replace('"', '""') + '"' if any(c in x for c in ',"\r\n') else x for x in fields)
            if again + "\n" != line:
                bad(f"{name}:{i}: not minimal RFC 4180 quoting: {line!r}")
                return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--admin-units", default="reference/admin_units.csv")
    a = ap.parse_args()
    d = a.dir

    units = list(csv.DictReader(open(a.admin_units, encoding="utf-8", newline="")))
    parents = {u["parent_code"] for u in units}
    leaves = {u["code"] for u in units if u["code"] not in parents}

    for name in HEADERS:
        check_quoting(d, name)

    # households
    households = {}
    prev = 0
    for i, r in rows(d, "households.csv"):
        hid = r["household_id"]
        if not re.fullmatch(r"H\d{8}", hid):
            bad(f"households.csv:{i}: bad id {hid!r}")
        n = int(hid[1:])
        if n <= prev:
            bad(f"households.csv:{i}: ids not increasing/unique ({hid})")
        prev = n
        if r["admin_unit"] not in leaves:
            bad(f"households.csv:{i}: admin_unit {r['admin_unit']!r} is not a leaf unit")
        if r["settlement"] not in ("urban", "rural"):
            bad(f"households.csv:{i}: settlement {r['settlement']!r}")
        if r["admin_unit"].startswith("TM-S") and r["settlement"] != "urban":
            bad(f"households.csv:{i}: Ashgabat household not urban")
        if not r["address"]:
            bad(f"households.csv:{i}: empty address")
        households[hid] = (r["admin_unit"], r["settlement"])
    hh_size = collections.Counter()

    # persons
    persons = {}
    prev = 0
    c = collections.Counter()
    for i, r in rows(d, "persons.csv"):
        pid = r["person_id"]
        if not re.fullmatch(r"P\d{8}", pid):
            bad(f"persons.csv:{i}: bad id {pid!r}")
        n = int(pid[1:])
        if n <= prev:
            bad(f"persons.csv:{i}: ids not increasing/unique ({pid})")
        prev = n
        hid = r["household_id"]
        if hid:
            if hid not in households:
                bad(f"persons.csv:{i}: household {hid} not in households.csv")
            elif households[hid] != (r["admin_unit"], r["settlement"]):
                bad(f"persons.csv:{i}: admin_unit/settlement differ from household {hid}")
            hh_size[hid] += 1
        else:
            c["alone"] += 1
        if r["admin_unit"] not in leaves:
            bad(f"persons.csv:{i}: admin_unit {r['admin_unit']!r} is not a leaf unit")
        if not r["given_name"] or not r["family_name"]:
            bad(f"persons.csv:{i}: empty name")
        if r["sex"] not in ("F", "M"):
            bad(f"persons.csv:{i}: sex {r['sex']!r}")
        fam = r["family_name"]
        if (r["sex"] == "F") != fam.endswith("owa") or not fam.endswith(("ow", "owa")):
            bad(f"persons.csv:{i}: family name {fam!r} does not match sex {r['sex']}")
        b = date(r["birth_date"], f"persons.csv:{i}: birth_date")
        if b is None:
            continue
        if not (dt.date(1930, 1, 1) <= b <= dt.date(2024, 12, 31)):
            bad(f"persons.csv:{i}: birth_date {b} outside 1930..2024")
        age = AS_OF.year - b.year - ((AS_OF.month, AS_OF.day) < (b.month, b.day))
        if r["receives_benefits"] not in ("true", "false"):
            bad(f"persons.csv:{i}: receives_benefits {r['receives_benefits']!r}")
        wg = [r[k] for k in ("wg_seeing", "wg_hearing", "wg_walking", "wg_cognition", "wg_selfcare", "wg_communication")]
        if age < 5:
            if any(wg):
                bad(f"persons.csv:{i}: WG answered for a child under 5")
        elif not all(x in ("1", "2", "3", "4") for x in wg):
            bad(f"persons.csv:{i}: WG answers {wg}")
        disabled = any(x in ("3", "4") for x in wg)
        groups = [g for g in r["target_groups"].split(";")] if r["target_groups"] else []
        for g in groups:
            if g not in TARGET_GROUPS:
                bad(f"persons.csv:{i}: unknown target group {g!r}")
        if len(set(groups)) != len(groups):
            bad(f"persons.csv:{i}: repeated target group")
        if "child_disability" in groups and not (age < 18 and disabled):
            bad(f"persons.csv:{i}: child_disability for age {age}, WG {wg}")
        if "adult_disability" in groups and not (age >= 18 and disabled):
            bad(f"persons.csv:{i}: adult_disability for age {age}, WG {wg}")
        if "older_alone" in groups and age < 60:
            bad(f"persons.csv:{i}: older_alone at age {age}")
        if any(g.startswith("woman_") for g in groups) and r["sex"] != "F":
            bad(f"persons.csv:{i}: woman_* group for sex {r['sex']}")
        persons[pid] = (b, r["admin_unit"], age, r["sex"])
        c["n"] += 1
        c["F"] += r["sex"] == "F"
        c["u18"] += age < 18
        c["60+"] += age >= 60
        c["adults"] += age >= 18
        c["adults_disabled"] += age >= 18 and disabled
        c["benefits"] += r["receives_benefits"] == "true"
        c["groups"] += bool(groups)
        c["urban"] += r["settlement"] == "urban"
        c["nonascii_names"] += not (r["given_name"] + r["family_name"]).isascii()
    for hid in households:
        if not 1 <= hh_size[hid] <= 8:
            bad(f"households.csv: {hid} has {hh_size[hid]} members")

    # cases
    cases = {}
    prev = 0
    cc = collections.Counter()
    for i, r in rows(d, "cases.csv"):
        cid = r["case_id"]
        if not re.fullmatch(r"C\d{8}", cid):
            bad(f"cases.csv:{i}: bad id {cid!r}")
        n = int(cid[1:])
        if n <= prev:
            bad(f"cases.csv:{i}: ids not increasing/unique ({cid})")
        prev = n
        p = persons.get(r["person_id"])
        if p is None:
            bad(f"cases.csv:{i}: person {r['person_id']} not in persons.csv")
            continue
        if r["admin_unit"] != p[1]:
            bad(f"cases.csv:{i}: admin_unit differs from the person's")
        o = date(r["opened_on"], f"cases.csv:{i}: opened_on")
        if o is None:
            continue
        if not (dt.date(2021, 1, 1) <= o <= AS_OF):
            bad(f"cases.csv:{i}: opened_on {o} outside 2021..2025")
        if o <= p[0]:
            bad(f"cases.csv:{i}: opened_on {o} not after birth {p[0]}")
        if r["referral_source"] not in REFERRALS:
            bad(f"cases.csv:{i}: referral_source {r['referral_source']!r}")
        st = r["status"]
        if st not in STATUSES:
            bad(f"cases.csv:{i}: status {st!r}")
        pr = r["priority"]
        if st in ("referred", "initial_assessment"):
            if pr:
                bad(f"cases.csv:{i}: priority {pr!r} while {st}")
        elif pr not in ("critical", "support", "none"):
            bad(f"cases.csv:{i}: priority {pr!r} while {st}")
        cl = r["closed_on"]
        if (st == "closed") != bool(cl):
            bad(f"cases.csv:{i}: closed_on {cl!r} with status {st}")
        if cl:
            cd = date(cl, f"cases.csv:{i}: closed_on")
            if cd and not (o <= cd <= AS_OF):
                bad(f"cases.csv:{i}: closed_on {cd} before opened_on {o} or after {AS_OF}")
        if not re.fullmatch(r"W\d{5}", r["worker_id"]):
            bad(f"cases.csv:{i}: worker_id {r['worker_id']!r}")
        cases[cid] = (r["person_id"], o, r["referral_source"], pr, cl)
        cc[pr or "(unassessed)"] += 1
        cc["status:" + st] += 1
        cc["ref:" + r["referral_source"]] += 1
        cc[("worker", r["admin_unit"], r["worker_id"])] += 0  # noqa: keep the worker's unit
    workers_units = collections.defaultdict(set)
    for k in cc:
        if isinstance(k, tuple):
            workers_units[k[2]].add(k[1])
    for w, us in workers_units.items():
        if len(us) != 1:
            bad(f"cases.csv: worker {w} works in several units {sorted(us)}")

    # episodes
    prev = 0
    users_2025 = set()
    ec = collections.Counter()
    per_case = collections.Counter()
    providers = set()
    for i, r in rows(d, "service_episodes.csv"):
        eid = r["episode_id"]
        if not re.fullmatch(r"E\d{8}", eid):
            bad(f"service_episodes.csv:{i}: bad id {eid!r}")
        n = int(eid[1:])
        if n <= prev:
            bad(f"service_episodes.csv:{i}: ids not increasing/unique ({eid})")
        prev = n
        c_ = cases.get(r["case_id"])
        if c_ is None:
            bad(f"service_episodes.csv:{i}: case {r['case_id']} not in cases.csv")
            continue
        if r["person_id"] != c_[0]:
            bad(f"service_episodes.csv:{i}: person differs from the case's")
        p = persons.get(r["person_id"])
        if p is None:
            bad(f"service_episodes.csv:{i}: person {r['person_id']} not in persons.csv")
            continue
        s = r["service_code"]
        if s not in SERVICES:
            bad(f"service_episodes.csv:{i}: service_code {s!r}")
        if s == "RES_CARE" and c_[2] not in ("court", "mlsp"):
            bad(f"service_episodes.csv:{i}: RES_CARE on a case referred by {c_[2]}")
        if c_[3] not in ("critical", "support"):
            bad(f"service_episodes.csv:{i}: episode on a case with priority {c_[3]!r}")
        if not re.fullmatch(r"PR\d{4}", r["provider_id"]):
            bad(f"service_episodes.csv:{i}: provider_id {r['provider_id']!r}")
        providers.add(r["provider_id"])
        st = date(r["started_on"], f"service_episodes.csv:{i}: started_on")
        if st is None:
            continue
        if st < c_[1]:
            bad(f"service_episodes.csv:{i}: started_on {st} before the case opened {c_[1]}")
        if st < p[0]:
            bad(f"service_episodes.csv:{i}: started_on {st} before birth {p[0]}")
        if st > AS_OF:
            bad(f"service_episodes.csv:{i}: started_on {st} after {AS_OF}")
        en = None
        if r["ended_on"]:
            en = date(r["ended_on"], f"service_episodes.csv:{i}: ended_on")
            if en and en < st:
                bad(f"service_episodes.csv:{i}: ended_on {en} before started_on {st}")
        if c_[4] and (en is None or en > dt.date.fromisoformat(c_[4])):
            bad(f"service_episodes.csv:{i}: episode runs past the case's closure {c_[4]}")
        if not re.fullmatch(r"[1-9]\d*", r["units"]) or not 1 <= int(r["units"]) <= 200:
            bad(f"service_episodes.csv:{i}: units {r['units']!r}")
        if s in SECONDARY and st <= AS_OF and (en is None or en >= dt.date(2025, 1, 1)):
            users_2025.add(r["person_id"])
        ec[s] += 1
        per_case[r["case_id"]] += 1
    if per_case and not all(1 <= v <= 4 for v in per_case.values()):
        bad("service_episodes.csv: a case has more than 4 episodes")

    n = max(c["n"], 1)
    pct = lambda x, of=n: f"{100 * x / max(of, 1):.1f}%"
    print(f"households {len(households)}, mean size {sum(hh_size.values()) / max(len(households), 1):.2f}")
    print(
        f"persons {c['n']}: F {pct(c['F'])}, under 18 {pct(c['u18'])}, 60+ {pct(c['60+'])}, urban {pct(c['urban'])}, "
        f"alone {pct(c['alone'])}, benefits {pct(c['benefits'])}, adults disabled {pct(c['adults_disabled'], c['adults'])}, "
        f"some target group {pct(c['groups'])}, non-ASCII names {pct(c['nonascii_names'])}"
    )
    assessed = cc["critical"] + cc["support"] + cc["none"]
    print(
        f"cases {len(cases)} ({pct(len(cases))} of persons): critical {pct(cc['critical'], assessed)}, "
        f"support {pct(cc['support'], assessed)}, none {pct(cc['none'], assessed)} of assessed; "
        f"{len(workers_units)} workers ({len(cases) / max(len(workers_units), 1):.0f} cases each)"
    )
    print("  " + ", ".join(f"{s} {cc['status:' + s]}" for s in STATUSES))
    print("  " + ", ".join(f"{k[4:]} {v}" for k, v in sorted(cc.items(), key=lambda kv: -kv[1]) if isinstance(k, str) and k.startswith("ref:")))
    print(f"episodes {sum(ec.values())} on {len(per_case)} cases, {len(providers)} providers: " + ", ".join(f"{k} {v}" for k, v in sorted(ec.items())))
    print(f"service users 2025 (distinct persons, secondary episode overlapping 2025): {len(users_2025)}")
    if problems:
        report_and_exit()
    print("OK: all checks passed")


if __name__ == "__main__":
    main()
