#!/usr/bin/python3
"""The dashboard never follows a symbolic link out of its data directory.

A data directory holds t.csv, a small recorded trace; another directory holds
secret.csv, a trace whose process is named SECRETPROC. While clients ask
every endpoint that reads t.csv (trace, entities, series, leaks, events)
and add events to it, t.csv is swapped again and again between the
regular file and a symbolic link to secret.csv -- the link can appear
between the moment the server lists the directory and the moment it
opens the file. What must hold: no answer ever carries the secret
trace's data, and secret.csv is never written; the regular file is
served; a link that stays is not listed and is answered 404; tracing
into a name that is a link is refused.

Prints one line per check, then "N passed, M failed".
"""
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from dashserver import Results, Server

VITALS = os.environ.get("VITALS_BIN", "")
SANITIZED = os.environ.get("VITALS_SANITIZED", "") in ("1", "ON", "TRUE", "true")
TOKEN = "paths-token-0123"
results = Results(600)
report = results.report
tmp = tempfile.mkdtemp(prefix="vitals-paths-")


def write_secret(path):
    """A trace whose every row and a column name carry SECRETPROC: a process whose rss
    grows by 1 MiB a second for two minutes (a leak suspect), and the system."""
    with open(path, "w") as f:
        f.write("time,kind,id,name,mem_used_bytes,rss_bytes,SECRETPROC_bytes\n")
        for i in range(120):
            t = "2026-01-01T00:%02d:%02d.000000Z" % (i // 60, i % 60)
            f.write("%s,system,system,SECRETPROC,%d,,1\n" % (t, 1000000 + i))
            f.write("%s,process,4242,SECRETPROC,,%d,1\n" % (t, 777000000 + i * 1048576))


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    if not VITALS:
        print("VITALS_BIN is not set")
        return 1
    data = os.path.join(tmp, "data")
    other = os.path.join(tmp, "elsewhere")
    os.makedirs(data)
    os.makedirs(other)
    master = os.path.join(tmp, "inside.csv")  # t.csv is a hard link to it, swapped back in
    secret = os.path.join(other, "secret.csv")
    r = subprocess.run([VITALS, "record", "-o", master, "--duration", "1", "--sample-interval", "0.2",
                        "--processes", "none", "--no-containers", "--no-gpu", "-q"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    report(r.returncode == 0, "a small trace is recorded", r.stderr[:300])
    write_secret(secret)
    secret_sum = sha(secret)
    target = os.path.join(data, "t.csv")
    os.link(master, target)

    srv = Server(VITALS, "--data-dir", data, "--token", TOKEN)
    port = srv.port

    def call(method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers={"X-Vitals-Token": TOKEN, "Content-Type": "application/json"})
        r = c.getresponse()
        raw = r.read()
        c.close()
        return r.status, raw

    asks = ["/api/trace?file=t.csv",
            "/api/entities?file=t.csv&kind=process",
            "/api/series?file=t.csv&kind=system&metric=mem_used_bytes&points=50",
            "/api/series?file=t.csv&kind=process&metric=rss_bytes&id=4242&points=50",
            "/api/leaks?file=t.csv&all=1",
            "/api/events?file=t.csv"]
    try:
        st, raw = call("GET", "/api/files")
        report(st == 200 and b'"t.csv"' in raw, "t.csv is listed", raw[:300])
        st, raw = call("GET", asks[2])
        report(st == 200 and b'"mean":[' in raw and b'"series":[]' not in raw,
               "t.csv is served while a regular file", raw[:300])

        stop = threading.Event()
        swaps = [0]

        def swapper():
            link = os.path.join(data, ".link")
            reg = os.path.join(data, ".reg")
            while not stop.is_set():
                for p_ in (link, reg):
                    try:
                        os.unlink(p_)
                    except FileNotFoundError:
                        pass
                os.symlink(secret, link)
                os.rename(link, target)  # t.csv is now a link out of the directory
                time.sleep(0.0005)
                os.link(master, reg)
                os.rename(reg, target)  # and a regular file again
                time.sleep(0.0005)
                swaps[0] += 1

        leaked, statuses = [], {}

        def client(k):
            n = 0
            while not stop.is_set():
                path = asks[(k + n) % len(asks)]
                n += 1
                try:
                    if n % 7 == 0:
                        st, raw = call("POST", "/api/events?file=t.csv", {"text": "ev%d" % n})
                    else:
                        st, raw = call("GET", path)
                except (OSError, http.client.HTTPException) as e:
                    st, raw = "no answer: %s" % type(e).__name__, b""
                statuses[st] = statuses.get(st, 0) + 1
                if b"SECRETPROC" in raw:
                    leaked.append((path, st, raw[:200]))

        threads = [threading.Thread(target=swapper, daemon=True)]
        threads += [threading.Thread(target=client, args=(k,), daemon=True) for k in range(4)]
        for t in threads:
            t.start()
        # 5 s and 60 answers at least (an answer takes seconds under AddressSanitizer).
        t0 = time.time()
        while time.time() - t0 < 120 and (time.time() - t0 < 5 or sum(statuses.values()) < 60):
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        print("swaps %d, answers by status %s" % (swaps[0], statuses))
        report(swaps[0] > 100 and sum(statuses.values()) > 50,
               "t.csv was swapped with a link while the endpoints were asked", (swaps[0], statuses))
        report(not leaked, "no answer carried the data of the file the link points to", leaked[:3])
        report(statuses.get(200, 0) > 0, "the regular file was served in between", statuses)
        report(all(isinstance(k, int) for k in statuses), "every request was answered", statuses)
        report(sha(secret) == secret_sum, "the file the link points to was never written")

        os.unlink(target)
        os.symlink(secret, target)
        st, raw = call("GET", "/api/files")
        report(st == 200 and b'"t.csv"' not in raw, "a link in the data directory is not listed", raw[:300])
        bad = []
        for path in asks:
            st, raw = call("GET", path)
            if st != 404 or b"SECRETPROC" in raw:
                bad.append((path, st, raw[:200]))
        report(not bad, "every endpoint answers 404 for a link", bad)
        st, raw = call("POST", "/api/tracing/start", {"output": "t.csv", "sample_interval": 0.5, "gpu": False})
        report(st == 409 and sha(secret) == secret_sum, "tracing into a link is refused", (st, raw[:300]))
    finally:
        rc = srv.stop()
    report(rc == 0, "the server exits 0", srv.stderr_tail())
    shutil.rmtree(tmp, ignore_errors=True)
    return results.summary()


if __name__ == "__main__":
    sys.exit(main())
