#!/usr/bin/env python3
"""Open-loop load of the 2030 workforce's real mix (issue #24). Python standard library only.

Requests ARRIVE at a fixed rate (a Poisson process: people clicking every 10 s on average, about
160 a second for the 1,541 people of the 2030 workforce plus the hotline and planners), whatever
the server does: a slow answer does not hold back the next request (unlike wrk, whose closed loop
waits, which hides queueing). Latency is measured from the moment a request was due to be sent
to its last byte, so a client that falls behind counts against the server, not for it.

    bench/loadmix.py --base http://127.0.0.1:PORT --accounts accounts.json \
        --rate 160 --seconds 60 [--server-pid PID] [--pg-db NAME] [--out results.json]

accounts.json: [{"user": "bench-w001", "password": "...", "role": "worker", "cases": ["uuid", ...]}, ...]
roles: worker, sup_etrap, sup_velayat, sup_national, provider, hotline, planner. Each simulated
person is one of the role's accounts, chosen at random per request (a few hundred accounts stand
for the 1,541 people: the server's cost per request does not depend on how many distinct
sessions there are beyond the session cache).

Reports per kind of page: requests, errors (non-2xx/3xx or no answer), p50/p95/p99 in ms; the
client's own lag; and the server's CPU per request (goldaw's process, plus the PostgreSQL
backends of the database with --pg-db), read from /proc.
"""

import argparse
import base64
import hashlib
import hmac
import struct
import asyncio
import json
import os
import random
import re
import sys
import time
import urllib.parse

# The 2030 workforce (issue #24): who clicks, how many of them.
HEADCOUNT = {
    "worker": 1000,  # social workers
    "sup_etrap": 180,  # etrap supervisors
    "sup_velayat": 50,
    "sup_national": 11,
    "provider": 300,  # provider staff
    "hotline": 20,
    "planner": 10,
}

# What each role clicks, with weights: (kind, method, path template).
MIX = {
    "worker": [
        (45, "case_page", "GET", "/cases/{case}"),
        (20, "tasks", "GET", "/tasks"),
        (5, "case_list", "GET", "/cases?show=mine"),
        (10, "search", "GET", "/people?q={name}"),
        (20, "note_write", "POST", "/cases/{case}/notes"),
    ],
    "sup_etrap": [
        (35, "tasks", "GET", "/tasks"),
        (15, "caseload", "GET", "/caseload"),
        (15, "case_list", "GET", "/cases?show=unallocated"),
        (30, "case_page", "GET", "/cases/{case}"),
        (5, "tasks_overdue", "GET", "/tasks?show=overdue"),
    ],
    "provider": [
        (70, "inbox", "GET", "/provider"),
        # {case} is one of the provider's started referrals (bench/loadmix.sh makes them).
        (20, "delivery_write", "POST", "/provider/referrals/{case}/delivery"),
        (10, "home", "GET", "/"),
    ],
    "hotline": [
        # The hotline does not browse the register (no ReadPeople): its national search is the
        # intake's check for the person already known, a POST of the intake form that answers
        # with the likely duplicates (and registers the call as a case only when there are none).
        (60, "intake_check", "POST", "/cases/new"),
        (40, "intake_form", "GET", "/cases/new"),
    ],
    "planner": [
        (100, "dashboard", "GET", "/statistics/dashboard"),
    ],
}
MIX["sup_velayat"] = MIX["sup_etrap"]
MIX["sup_national"] = MIX["sup_etrap"]

FAMILIES = ["Orazowa", "Annaýewa", "Myradowa", "Berdiýewa", "Hojaýewa"]
UNITS = ["TM-A-01", "TM-B-03", "TM-D-10", "TM-L-05", "TM-M-02"]
NAMES = ["Aýna", "Merdan", "Jeren", "Döwlet", "Maral", "Batyr", "Gülälek", "Serdar", "Ogulgerek", "Myrat"]


class Client:
    """HTTP/1.1 with keep-alive connections, as many as the open loop needs."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.idle = []

    async def request(self, method, path, cookie=None, form=None, timeout=30.0):
        if self.idle:
            reader, writer = self.idle.pop()
            try:
                return await self._send(reader, writer, method, path, cookie, form, timeout)
            except (ConnectionError, asyncio.IncompleteReadError):
                # The server closed this idle keep-alive connection (its idle timeout) before the
                # request reached it: send it again on a new connection, as a browser does.
                pass
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return await self._send(reader, writer, method, path, cookie, form, timeout)

    async def _send(self, reader, writer, method, path, cookie, form, timeout):
        body = b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept-Language: en"]
        if cookie:
            head.append(f"Cookie: {cookie}")
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            head.append("Content-Type: application/x-www-form-urlencoded")
            head.append("Origin: http://%s:%d" % (self.host, self.port))
        head.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        try:
            status, headers, data = await asyncio.wait_for(self._read(reader), timeout)
        except Exception:
            writer.close()
            raise
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append((reader, writer))
        return status, headers, data

    async def _read(self, reader):
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        status = int(line.split()[1])
        headers, cookies = {}, []
        while True:
            h = await reader.readline()
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.decode("latin-1").partition(":")
            k, v = k.strip().lower(), v.strip()
            if k == "set-cookie":
                cookies.append(v)
            headers[k] = v
        headers["set-cookie-all"] = cookies
        if "content-length" in headers:
            data = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await reader.readline()
                    break
                data += await reader.readexactly(size)
                await reader.readline()
        else:
            data = b""
        return status, headers, data


def cookie_of(headers, name):
    for c in headers["set-cookie-all"]:
        k, _, rest = c.partition("=")
        if k.strip() == name:
            return f"{name}={rest.split(';')[0]}"
    return None


CSRF = re.compile(rb'name="csrf" value="([^"]*)"')


SECRET = re.compile(rb'id="secret" readonly value="([A-Z2-7=]+)"')


def totp(secret_b32, at=None):
    """RFC 6238 code (SHA-1, 30 s, 6 digits), as an authenticator app gives it."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[off:off + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


async def sign_in(client, account, secrets):
    _, h, page = await client.request("GET", "/login")
    jar = [c.split(";")[0] for c in h["set-cookie-all"]]
    m = CSRF.search(page)
    form = {"username": account["user"], "password": account["password"]}
    if m:
        form["csrf"] = m.group(1).decode()
    status, h, _ = await client.request("POST", "/login", cookie="; ".join(jar), form=form)
    session = cookie_of(h, "goldaw_session")
    if not session:
        raise RuntimeError(f"signing in as {account['user']} failed ({status})")
    # Wide accounts (national scope) sign in with a second factor, set up at the first sign-in:
    # the enrolment page shows the secret, which is kept beside the accounts for the next run.
    where = h.get("location", "")
    if where in ("/login/enrol", "/login/totp"):
        _, _, page = await client.request("GET", where, cookie=session)
        m = SECRET.search(page)
        if m:
            secrets[account["user"]] = m.group(1).decode()
        secret = secrets.get(account["user"])
        if not secret:
            raise RuntimeError(f"{account['user']} has a second factor whose secret this run does not know")
        csrf = CSRF.search(page).group(1).decode()
        status, _, _ = await client.request("POST", where, cookie=session, form={"csrf": csrf, "code": totp(secret)})
        if status != 303:
            raise RuntimeError(f"second factor of {account['user']} refused ({status})")
    _, _, page = await client.request("GET", "/tasks" if account["role"] not in ("provider", "planner", "hotline") else "/", cookie=session)
    m = CSRF.search(page)
    account["cookie"] = session
    account["csrf"] = m.group(1).decode() if m else ""


def cpu_ticks(server_pid, pg_db):
    """CPU time (ticks) of goldaw and of the PostgreSQL backends of `pg_db`."""
    def ticks(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            return int(parts[11]) + int(parts[12])
        except OSError:
            return 0
    server = ticks(server_pid) if server_pid else 0
    db = 0
    if pg_db:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if cmd.startswith("postgres: ") and f" {pg_db} " in cmd:
                db += ticks(pid)
    return server, db


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]


def request_of(kind, method, template, account, rng):
    """The path and form of one click of `kind` by `account`."""
    cases = account.get("cases") or []
    if kind == "note_write":
        # A note goes on an open case (a closed one refuses it, rightly): the open ones, if known.
        cases = account.get("open") or cases
    if "{case}" in template and not cases:
        kind, method, template = "tasks", "GET", "/tasks"
    path = template.format(
        case=rng.choice(cases) if cases else "",
        name=urllib.parse.quote(rng.choice(NAMES)),
    )
    form = None
    if kind == "delivery_write":
        form = {"csrf": account["csrf"], "units": "1"}
    elif kind == "intake_check":
        form = {"csrf": account["csrf"], "given_name": rng.choice(NAMES), "family_name": rng.choice(FAMILIES),
                "sex": "F", "admin_unit": rng.choice(UNITS), "referral_source": "hotline",
                "concern": "Caller asks for help (load test)."}
    elif method == "POST":
        form = {"csrf": account["csrf"], "kind": "phone_call", "text": "Called about the appointment (load test)."}
    return kind, method, path, form


async def profile(args, client, by_role, roles, rng):
    """One request at a time, `--profile N` of each role's kinds: what each kind of page costs the
    server (CPU ms per request, from /proc) and how long it takes alone. The open loop's queueing
    is left out, so this is the profile to fix in order of cost (share = CPU x the mix's weight)."""
    hz = os.sysconf("SC_CLK_TCK")
    rows = []
    for role in roles:
        for weight, kind, method, template in MIX[role]:
            lat = []
            t0 = cpu_ticks(args.server_pid, args.pg_db)
            statuses = {}
            for _ in range(args.profile):
                account = rng.choice(by_role[role])
                k, m, path, form = request_of(kind, method, template, account, rng)
                t = time.perf_counter()
                status, _, _ = await client.request(m, path, cookie=account["cookie"], form=form, timeout=args.timeout)
                lat.append((time.perf_counter() - t) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
            t1 = cpu_ticks(args.server_pid, args.pg_db)
            cpu = ((t1[0] - t0[0]) + (t1[1] - t0[1])) * 1000 / hz / args.profile
            lat.sort()
            share = cpu * weight * HEADCOUNT[role] / 100
            rows.append((share, role, kind, cpu, percentile(lat, 50), percentile(lat, 95), statuses))
    total = sum(r[0] for r in rows)
    print(f"{'role':<13}{'kind':<16}{'cpu ms':>8}{'p50 ms':>8}{'p95 ms':>8}{'share':>7}  statuses")
    for share, role, kind, cpu, p50, p95, statuses in sorted(rows, reverse=True):
        print(f"{role:<13}{kind:<16}{cpu:>8.2f}{p50:>8.1f}{p95:>8.1f}{100 * share / max(total, 1e-9):>6.1f}%  {statuses}")


async def run(args):
    url = urllib.parse.urlparse(args.base)
    client = Client(url.hostname, url.port or 80)
    with open(args.accounts) as f:
        accounts = json.load(f)
    by_role = {}
    for a in accounts:
        by_role.setdefault(a["role"], []).append(a)
    sem = asyncio.Semaphore(8)
    secrets_path = args.accounts + ".totp.json"
    secrets = json.load(open(secrets_path)) if os.path.exists(secrets_path) else {}

    async def one(a):
        async with sem:
            await sign_in(client, a, secrets)

    t = time.time()
    try:
        await asyncio.gather(*(one(a) for a in accounts))
    finally:
        with open(secrets_path, "w") as f:
            json.dump(secrets, f)
    print(f"signed in {len(accounts)} accounts in {time.time() - t:.1f} s", file=sys.stderr)

    roles = [r for r in HEADCOUNT if r in by_role]
    weights = [HEADCOUNT[r] for r in roles]
    rng = random.Random(args.seed)
    if args.profile:
        await profile(args, client, by_role, roles, rng)
        return
    results = {}  # kind -> list of (latency ms, ok)
    failures = {}  # kind -> {status code or exception name: count}
    lags = []
    pending = set()

    async def fire(due, role, kind, method, path, account, form):
        lag = time.perf_counter() - due
        lags.append(lag)
        ok = False
        why = None
        try:
            status, _, _ = await client.request(method, path, cookie=account["cookie"], form=form, timeout=args.timeout)
            ok = 200 <= status < 400
            why = None if ok else str(status)
        except Exception as e:  # no answer: the reason is the exception's name
            ok = False
            why = type(e).__name__
        latency = (time.perf_counter() - due) * 1000
        if due >= measure_from:
            results.setdefault(kind, []).append((latency, ok))
            if why is not None:
                counts = failures.setdefault(kind, {})
                counts[why] = counts.get(why, 0) + 1

    start = time.perf_counter()
    measure_from = start + args.warmup
    end = measure_from + args.seconds
    cpu0 = None
    due = start
    while due < end:
        due += rng.expovariate(args.rate)
        now = time.perf_counter()
        if cpu0 is None and now >= measure_from:
            cpu0 = cpu_ticks(args.server_pid, args.pg_db)
        if due > now:
            await asyncio.sleep(due - now)
        role = rng.choices(roles, weights)[0]
        account = rng.choice(by_role[role])
        mix = MIX[role]
        _, kind, method, template = rng.choices(mix, [m[0] for m in mix])[0]
        kind, method, path, form = request_of(kind, method, template, account, rng)
        task = asyncio.ensure_future(fire(due, role, kind, method, path, account, form))
        pending.add(task)
        task.add_done_callback(pending.discard)
    cpu1 = cpu_ticks(args.server_pid, args.pg_db)
    if pending:
        await asyncio.wait(pending, timeout=args.timeout + 5)
    cpu0 = cpu0 or cpu1
    hz = os.sysconf("SC_CLK_TCK")
    total = sum(len(v) for v in results.values())
    server_cpu = (cpu1[0] - cpu0[0]) / hz
    db_cpu = (cpu1[1] - cpu0[1]) / hz
    report = {
        "rate": args.rate,
        "seconds": args.seconds,
        "requests": total,
        "achieved_rps": total / args.seconds,
        "server_cpu_s": server_cpu,
        "db_cpu_s": db_cpu,
        "cpu_ms_per_request": (server_cpu + db_cpu) * 1000 / max(total, 1),
        "client_lag_p99_ms": percentile(sorted(lags), 99) * 1000,
        "kinds": {},
    }
    for kind, values in sorted(results.items()):
        lat = sorted(v[0] for v in values)
        report["kinds"][kind] = {
            "n": len(values),
            "errors": sum(1 for v in values if not v[1]),
            "failures": failures.get(kind, {}),
            "p50": percentile(lat, 50),
            "p95": percentile(lat, 95),
            "p99": percentile(lat, 99),
        }
    print(f"rate {args.rate}/s for {args.seconds} s: {total} requests ({report['achieved_rps']:.0f}/s), "
          f"server CPU {server_cpu:.1f} s + db {db_cpu:.1f} s = {report['cpu_ms_per_request']:.2f} ms/request, "
          f"client lag p99 {report['client_lag_p99_ms']:.1f} ms")
    print(f"{'kind':<16}{'n':>7}{'err':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for kind, k in report["kinds"].items():
        why = ", ".join(f"{w}: {n}" for w, n in sorted(k["failures"].items()))
        print(f"{kind:<16}{k['n']:>7}{k['errors']:>6}{k['p50']:>10.1f}{k['p95']:>10.1f}{k['p99']:>10.1f}"
              + (f"   ({why})" if why else ""))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", required=True)
    p.add_argument("--accounts", required=True)
    p.add_argument("--rate", type=float, default=160.0, help="requests a second (default 160)")
    p.add_argument("--seconds", type=float, default=60.0, help="measured seconds (default 60)")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring (default 5)")
    p.add_argument("--timeout", type=float, default=30.0, help="a request not answered by then is an error")
    p.add_argument("--server-pid", type=int, default=0)
    p.add_argument("--pg-db", default="")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default="")
    p.add_argument("--profile", type=int, default=0,
                   help="instead of the open loop: N requests of each kind, one at a time, and what each costs")
    args = p.parse_args()
    if args.rate <= 0 or args.seconds <= 0:
        p.error("--rate and --seconds must be positive")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
