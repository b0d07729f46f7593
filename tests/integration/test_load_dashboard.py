#!/usr/bin/python3
"""The dashboard under load: wrk (Debian) with 100 connections on the
series endpoint for 30 s (10 s in a sanitized build) while the same
server traces at 0.1 s.

What must hold: wrk sees no error (no non-2xx answer, no socket error, no
timeout); every sample the tracer took is in the trace file and reached a
live stream opened before the load; the sampling schedule kept up; the
server's resident memory stays bounded. Then 100 connections of distinct
series requests (nothing cached) for 10 s on a two-hour trace of 300 processes:
what the server cannot compute within its 5 s bound is answered 503 with
Retry-After and a JSON error, and no answer takes much longer than that,
while an answer in the cache, asked again, comes back at once.
Without wrk the test says so and checks nothing else.

Prints one line per check, then "N passed, M failed".
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from dashserver import Results, Server

VITALS = os.environ.get("VITALS_BIN", "")
SANITIZED = os.environ.get("VITALS_SANITIZED", "") in ("1", "ON", "TRUE", "true")
# 30 s as the issue asks; 10 s under AddressSanitizer, where each answer over a
# file that grows for 30 s costs enough that a few of 100 connections get a 503.
SECONDS = int(os.environ.get("VITALS_LOAD_SECONDS", "10" if SANITIZED else "30"))
# The distinct requests: every turn is taken within a second; longer adds nothing.
DISTINCT_SECONDS = int(os.environ.get("VITALS_LOAD_DISTINCT_SECONDS", str(min(SECONDS, 10))))
TOKEN = "load-token-123"
results = Results(600)
report = results.report
tmp = tempfile.mkdtemp(prefix="vitals-load-")


def ahead():
    """nice -10 when this test may ask for it (root), else nothing: the server
    and wrk both run above the rest of a loaded CI machine, so the latencies
    measured are the server's under wrk's load, not the host's."""
    if shutil.which("nice") and subprocess.run(["nice", "-n", "-10", "true"],
                                               capture_output=True).returncode == 0:
        return ["nice", "-n", "-10"]
    return []


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


DISTINCT_LUA = r"""
-- Every request distinct (nothing the answer cache holds): a random process
-- and a random one-hour window of a two-hour trace.
local counter = 0
math.randomseed(os.time())
request = function()
  counter = counter + 1
  local id = 1000 + math.random(0, 299)
  local from = FIRST + math.random(0, 3600) * 1000000 + counter
  return wrk.format("GET", "/api/series?file=day.parquet&kind=process&metric=rss_bytes&id=" .. id ..
                    "&from=" .. string.format("%d", from) .. "&to=" ..
                    string.format("%d", from + 3600 * 1000000) .. "&points=1000")
end
-- Each thread has its own state: what is wrong is printed as it is seen.
local seen503 = false
response = function(status, headers, body)
  if status == 503 then
    if not headers["Retry-After"] or not body:find('"status":503', 1, true) then
      io.write("bad503\n")
    elseif not seen503 then
      seen503 = true
      io.write("a503 Retry-After: " .. headers["Retry-After"] .. "\n")
    end
  elseif status ~= 200 then
    io.write("other " .. status .. "\n")
  end
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d\nnon2xx %d\ntimeouts %d\nmaxms %.0f\np50ms %.0f\n",
                         summary.requests, summary.errors.status, summary.errors.timeout,
                         latency.max / 1000, latency:percentile(50) / 1000))
end
"""


def distinct(wrk, port):
    """100 connections of distinct series requests on a costly trace: nobody waits
    much past the server's 5 s bound; what cannot be served in time is a 503 with
    Retry-After and a JSON error, never a timeout."""
    gen = os.path.join(os.environ.get("VITALS_BUILD_DIR", ""), "bench", "leaks")
    if not os.access(gen, os.X_OK):
        print("distinct requests skipped: no %s" % gen)
        return
    day = os.path.join(tmp, "day.parquet")
    g = subprocess.run([gen, "--generate", day, "--hours", "2", "--procs", "300"],
                       capture_output=True, text=True, timeout=300)
    if g.returncode != 0:
        report(False, "a two-hour trace of 300 processes is made", g.stderr)
        return
    with urllib.request.urlopen("http://127.0.0.1:%d/api/trace?file=day.parquet" % port,
                                timeout=60) as r:
        first = json.load(r)["first_time"]
    script = os.path.join(tmp, "distinct.lua")
    with open(script, "w") as f:
        f.write(DISTINCT_LUA.replace("FIRST", str(first)))
    # One answer in the cache before the load: asked again while every turn is
    # taken by a computation, it comes from the cache without waiting for one.
    cached_url = "http://127.0.0.1:%d/api/series?file=day.parquet&kind=process&metric=rss_bytes&id=1000&points=300" % port
    with urllib.request.urlopen(cached_url, timeout=60) as r:
        cached_body = r.read()
    cached = []

    def ask_cached():
        # Asked every 0.2 s from the start: the distinct answers of the load push
        # out of the cache (32 answers) one that is not asked again for a while.
        for _ in range(int(DISTINCT_SECONDS / 0.25)):
            t = time.time()
            try:
                with urllib.request.urlopen(cached_url, timeout=30) as r:
                    cached.append((r.status, time.time() - t, r.read() == cached_body))
            except urllib.error.HTTPError as e:
                cached.append((e.code, time.time() - t, False))
            time.sleep(0.2)

    asker = threading.Thread(target=ask_cached, daemon=True)
    asker.start()
    w = subprocess.run(ahead() + [wrk, "-t2", "-c100", "-d%ds" % DISTINCT_SECONDS, "--timeout", "30s", "-s", script,
                        "http://127.0.0.1:%d/" % port],
                       capture_output=True, text=True, timeout=DISTINCT_SECONDS + 90)
    asker.join(timeout=60)
    out = w.stdout
    print(out.strip())

    def field(name, default):
        m = re.search(r"^%s (.*)$" % name, out, re.M)
        return m.group(1) if m else default

    requests = int(field("requests", "0"))
    non2xx = int(field("non2xx", "-1"))
    maxms = float(field("maxms", "inf"))
    wrong = re.findall(r"^(?:bad503|other \d+)$", out, re.M)
    report(w.returncode == 0 and requests > non2xx >= 0, "distinct requests: some are served",
           (requests, non2xx))
    report(not wrong and field("timeouts", "") == "0" and "Socket errors" not in out,
           "distinct requests: the rest (%d) are 503 with Retry-After and a JSON error, no "
           "timeout" % non2xx, (wrong[:5], re.findall(r"Socket errors.*", out)))
    # The wait is bounded at 5 s; the answer's own computation comes on top (slower
    # under AddressSanitizer).
    bound = 15000 if SANITIZED else 7000
    report(maxms < bound, "distinct requests: no answer took much past 5 s (%.0f ms at most)"
           % maxms)
    # Waiting for a turn behind the distinct requests takes as long as they do
    # (their median is most of a second here); an answer from the cache only
    # waits for the two busy cores, which now and then means a few hundred ms.
    times = sorted(c[1] for c in cached) or [float("inf")]
    median, slowest = times[len(times) // 2], times[-1]
    slow = sum(1 for t in times if t > (2 if SANITIZED else 0.5))
    report(len(cached) >= DISTINCT_SECONDS * 2 and all(c[0] == 200 and c[2] for c in cached)
           and median < (0.5 if SANITIZED else 0.1) and slow * 10 <= len(times) and slowest < 4,
           "a cached answer asked again under that load is answered at once, without a turn "
           "(median %.0f ms, %d of %d slow, %.0f ms at most)"
           % (median * 1000, slow, len(times), slowest * 1000), cached)


def main():
    if not VITALS:
        print("VITALS_BIN is not set")
        return 1
    wrk = shutil.which("wrk")
    if not wrk:
        print("skipped: wrk is not installed (Debian package wrk)")
        print("0 passed, 0 failed")
        return 0
    srv = Server(VITALS, "--data-dir", tmp, "--token", TOKEN, prefix=ahead())
    port = srv.port

    def call(method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers={"X-Vitals-Token": TOKEN, "Content-Type": "application/json"})
        r = c.getresponse()
        doc = json.loads(r.read() or b"null")
        c.close()
        return r.status, doc

    live = {"samples": [], "lost": 0}

    def listen():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=SECONDS + 60)
        c.request("GET", "/api/live")
        r = c.getresponse()
        ev = None
        while True:
            line = r.fp.readline().decode()
            if not line:
                break
            if line.startswith("event: "):
                ev = line[7:].strip()
            elif line.startswith("id: ") and ev == "sample":
                live["samples"].append(int(line[4:]))
            elif line.startswith("data: ") and ev == "lost":
                live["lost"] += json.loads(line[6:])["samples"]
            elif line.startswith("data: ") and ev == "status" and not json.loads(line[6:])["active"]:
                break

    try:
        st, doc = call("POST", "/api/tracing/start", {"output": "load.parquet", "sample_interval": 0.1,
                                                      "write_interval": 1, "gpu": False})
        report(st == 201, "tracing at 0.1 s starts", doc)
        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        time.sleep(1.5)
        rss0 = rss_kib(srv.p.pid)
        url = "http://127.0.0.1:%d/api/series?%s" % (port, urllib.parse.urlencode(
            {"file": "load.parquet", "kind": "cpu", "metric": "busy_percent", "points": 500}))
        st, _ = call("GET", url[url.index("/api/"):])
        report(st == 200, "the series endpoint answers before the load", st)
        peak = [rss0]
        stop_watch = threading.Event()

        def watch():
            while not stop_watch.wait(0.5):
                peak[0] = max(peak[0], rss_kib(srv.p.pid))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        t0 = time.time()
        w = subprocess.run(ahead() + [wrk, "-t2", "-c100", "-d%ds" % SECONDS, "--timeout", "10s", "--latency", url],
                           capture_output=True, text=True, timeout=SECONDS + 60)
        stop_watch.set()
        watcher.join()
        out = w.stdout
        print(out.strip())
        reqs = re.search(r"(\d+) requests in", out)
        n = int(reqs.group(1)) if reqs else 0
        report(w.returncode == 0 and n > 0, "wrk ran %d s with 100 connections: %d requests" % (SECONDS, n), w.stderr)
        report("Socket errors" not in out, "no socket error (connect, read, write, timeout)",
               re.findall(r"Socket errors.*", out))
        report("Non-2xx" not in out, "every answer was 2xx", re.findall(r"Non-2xx.*", out))
        st, doc = call("POST", "/api/tracing/stop")
        elapsed = time.time() - t0 + 1.5
        report(st == 200, "tracing stops after the load", doc)
        samples = doc["samples"] if st == 200 else 0
        expected = elapsed / 0.1
        report(samples >= 0.5 * expected, "the sampling schedule kept up (at least half): %d samples in %.1f s (%.0f%%)" % (
            samples, elapsed, 100.0 * samples / expected))
        st, doc = call("GET", "/api/series?" + urllib.parse.urlencode(
            {"file": "load.parquet", "kind": "system", "metric": "mem_used_bytes", "points": 10000}))
        rows = sum(doc["series"][0]["count"]) if st == 200 and doc["series"] else -1
        report(rows == samples, "no lost sample: %d system rows in the file for %d samples" % (rows, samples))
        listener.join(timeout=20)
        got = live["samples"]
        report(got and got == list(range(got[0], got[0] + len(got))) and got[-1] == samples and live["lost"] == 0,
               "the live stream got every sample in order, none lost (%d)" % len(got),
               (got[:3], got[-3:], live["lost"]))
        limit = 1024 * 1024 if SANITIZED else 150 * 1024
        report(peak[0] < limit, "server RSS bounded: %d KiB before, %d KiB peak (limit %d)" % (rss0, peak[0], limit))
        distinct(wrk, port)
    finally:
        rc = srv.stop()
    report(rc == 0, "the server exits 0", srv.stderr_tail())
    shutil.rmtree(tmp, ignore_errors=True)
    return results.summary()


if __name__ == "__main__":
    sys.exit(main())
