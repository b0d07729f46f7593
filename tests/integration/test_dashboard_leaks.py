#!/usr/bin/python3
"""/api/leaks says what `vitals leaks --json` says, notes included.

Records (`vitals record --sample-interval 0.2`) a command that grows its
memory and keeps a sleeping child, then asks the dashboard's /api/leaks
with all=1 and runs `vitals leaks --all --json` on the same file. What
must hold: the same series in the same order; each one's explained_by
and heap verdict as the CLI's; each has a note, a string or null, and a
subtree's note counts its processes (and names the process whose growth
it is when explained_by says so); the leaking command is a suspect.

Prints one line per check, then "N passed, M failed".
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

from dashserver import Results, Server

VITALS = os.environ.get("VITALS_BIN", "")
results = Results(600)
report = results.report
tmp = tempfile.mkdtemp(prefix="vitals-leaksapi-")

LEAKER = """
import subprocess, sys, time
child = subprocess.Popen(["sleep", "60"])
keep = []
for i in range(600):
    keep.append(b"x" * 262144)   # 2.5 MiB/s, every page touched
    time.sleep(0.1)
"""


def main():
    if not VITALS:
        print("VITALS_BIN is not set")
        return 1
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    leaker = os.path.join(tmp, "growleaker.py")
    with open(leaker, "w") as f:
        f.write(LEAKER)
    trace = os.path.join(data, "leaky.parquet")
    r = subprocess.run([VITALS, "record", "-o", trace, "--duration", "4", "--sample-interval", "0.2",
                        "-q", "--no-gpu", "--", sys.executable, leaker],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    report(os.path.exists(trace), "a trace of a growing command is recorded", r.stderr[:300])
    cli = subprocess.run([VITALS, "leaks", trace, "--all", "--json"], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=120)
    try:
        want = json.loads(cli.stdout)["series"]
    except (ValueError, KeyError) as e:
        report(False, "vitals leaks --json answers", (e, cli.stdout[:300], cli.stderr[:300]))
        want = []

    srv = Server(VITALS, "--data-dir", data)
    port = srv.port
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/api/leaks?file=leaky.parquet&all=1" % port,
                                    timeout=120) as resp:
            items = json.load(resp)["items"]
        report(len(items) == len(want) and len(items) > 0,
               "/api/leaks lists the series vitals leaks lists (%d)" % len(items), (len(items), len(want)))
        pairs = list(zip(items, want))
        report(all((a["kind"], a["id"]) == (b["kind"], b["id"]) for a, b in pairs),
               "in the same order", [((a["kind"], a["id"]), (b["kind"], b["id"])) for a, b in pairs][:5])
        report(all("explained_by" in a and a["explained_by"] == b["explained_by"] for a, b in pairs),
               "each one's explained_by is the CLI's",
               [(a["id"], a.get("explained_by"), b["explained_by"]) for a, b in pairs][:8])
        report(all(a["heap"] == b["heap"] for a, b in pairs), "each one's heap verdict is the CLI's")
        report(all("note" in a and "heap_rate" in a and "explained_start_time" in a
                   and (a["note"] is None or isinstance(a["note"], str) and a["note"]) for a in items),
               "each has a note (a string or null), heap_rate and explained_start_time", items[:2])
        bad = []
        for a in items:
            if a["kind"] == "subtree" and not (a["note"] or "").startswith("%d processes" % a["members"]):
                bad.append(a)
            if a["explained_by"] is not None and "grows with process %d" % a["explained_by"] not in (a["note"] or ""):
                bad.append(a)
            if a["explained_by"] is None and a["kind"] != "subtree" and a["heap"] is None and a["note"]:
                bad.append(a)
        report(not bad, "the notes say the subtree's size and the process that explains a growth",
               [(a["kind"], a["id"], a["note"], a["explained_by"]) for a in bad][:4])
        sub = [a for a in items if a["kind"] == "subtree"]
        print("notes: %s" % [(a["kind"], a["name"], a["note"]) for a in items if a["note"]][:6])
        report(any(a["suspect"] and a["kind"] in ("process", "subtree") and "python" in (a["name"] or "")
                   for a in items), "the growing command is a suspect",
               [(a["kind"], a["name"], a["suspect"]) for a in items][:8])
        report(not sub or all(a["note"] for a in sub), "every subtree has a note", sub[:2])
    finally:
        rc = srv.stop()
    report(rc == 0, "the server exits 0", srv.stderr_tail())
    shutil.rmtree(tmp, ignore_errors=True)
    return results.summary()


if __name__ == "__main__":
    sys.exit(main())
