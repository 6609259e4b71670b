#!/usr/bin/env python3
"""The case page's latency while 50 sign-ins arrive at once (bench/signin_burst.sh runs this).

Standard library only. PAGE_THREADS clients each fetch a random case page in a closed loop with
a signed-in session (keep-alive connections) and record every answer's latency. After a quiet
window (the baseline), BURST sign-ins (each: the form, then the right password) are released at
the same instant from a barrier; the burst window runs from that instant until the last sign-in
answered. This repeats ROUNDS times. Printed: one RESULT line with the case page's p50/p99/max in
the quiet windows and in the bursts, and how long the bursts took.

    signin_burst.py BASE READER READER_PASSWORD SIGNER SIGNER_PASSWORD CASE_IDS_FILE
"""

import http.client
import os
import random
import re
import sys
import threading
import time
import urllib.parse

PAGE_THREADS = int(os.environ.get("BENCH_PAGE_THREADS", "8"))
BURST = int(os.environ.get("BENCH_BURST", "50"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
QUIET = float(os.environ.get("BENCH_QUIET_SECONDS", "3"))


def sign_in(host, port, username, password):
    """The session cookie got through the sign-in form, or raises."""
    c = http.client.HTTPConnection(host, port, timeout=120)
    c.request("GET", "/login")
    r = c.getresponse()
    page = r.read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf": csrf, "username": username, "password": password})
    c.request(
        "POST",
        "/login",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"goldaw_login_csrf={csrf}",
        },
    )
    r = c.getresponse()
    r.read()
    c.close()
    if r.status != 303:
        raise RuntimeError(f"signing in as {username}: {r.status}")
    for name, value in r.getheaders():
        if name.lower() == "set-cookie" and value.startswith("goldaw_session="):
            return value.split(";")[0]
    raise RuntimeError(f"signing in as {username}: no session cookie")


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    base, reader, reader_pw, signer, signer_pw, ids_file = sys.argv[1:7]
    u = urllib.parse.urlparse(base)
    host, port = u.hostname, u.port
    cases = [line.strip() for line in open(ids_file) if line.strip()]
    cookie = sign_in(host, port, reader, reader_pw)

    samples = []  # (started, latency, status)
    lock = threading.Lock()
    stop = threading.Event()

    def pages():
        c = http.client.HTTPConnection(host, port, timeout=120)
        mine = []
        while not stop.is_set():
            path = "/cases/" + random.choice(cases)
            t0 = time.monotonic()
            try:
                c.request("GET", path, headers={"Cookie": cookie})
                r = c.getresponse()
                r.read()
                status = r.status
            except (OSError, http.client.HTTPException):
                status = 0
                c.close()
                c = http.client.HTTPConnection(host, port, timeout=120)
            mine.append((t0, time.monotonic() - t0, status))
        with lock:
            samples.extend(mine)

    workers = [threading.Thread(target=pages) for _ in range(PAGE_THREADS)]
    for w in workers:
        w.start()
    time.sleep(2)  # warm-up, not counted

    quiet, bursts, signin_latencies, burst_lengths = [], [], [], []
    for _ in range(ROUNDS):
        q0 = time.monotonic()
        time.sleep(QUIET)
        q1 = time.monotonic()
        quiet.append((q0, q1))
        barrier = threading.Barrier(BURST + 1)
        done = []

        def one_sign_in():
            barrier.wait()
            t0 = time.monotonic()
            sign_in(host, port, signer, signer_pw)
            with lock:
                done.append(time.monotonic() - t0)

        threads = [threading.Thread(target=one_sign_in) for _ in range(BURST)]
        for t in threads:
            t.start()
        b0 = time.monotonic()
        barrier.wait()
        for t in threads:
            t.join()
        b1 = time.monotonic()
        bursts.append((b0, b1))
        signin_latencies.extend(done)
        burst_lengths.append(b1 - b0)
    time.sleep(1)
    stop.set()
    for w in workers:
        w.join()

    def within(windows):
        return [lat for (t0, lat, _) in samples if any(a <= t0 < b for a, b in windows)]

    bad = sum(1 for (_, _, st) in samples if st != 200)
    q, b = within(quiet), within(bursts)
    ms = lambda v: f"{v * 1000:.1f}"
    print(
        "RESULT"
        f" quiet_pages={len(q)} quiet_p50_ms={ms(percentile(q, 50))} quiet_p99_ms={ms(percentile(q, 99))}"
        f" quiet_max_ms={ms(max(q) if q else float('nan'))}"
        f" burst_pages={len(b)} burst_p50_ms={ms(percentile(b, 50))} burst_p99_ms={ms(percentile(b, 99))}"
        f" burst_max_ms={ms(max(b) if b else float('nan'))}"
        f" burst_seconds_mean={sum(burst_lengths) / len(burst_lengths):.2f}"
        f" signin_p50_ms={ms(percentile(signin_latencies, 50))} signin_max_ms={ms(max(signin_latencies))}"
        f" non200={bad} rounds={ROUNDS} burst={BURST} page_threads={PAGE_THREADS}"
    )


if __name__ == "__main__":
    main()
