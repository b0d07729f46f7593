#!/usr/bin/python3
"""`vitals leaks` on real recordings and on process logs.

What a user relies on: a program leaking 100 KiB/s among 20 steady
siblings, recorded with `vitals record -- CMD` for a minute, is ranked
first, with its rate; none of the steady children is a suspect; JSON, CSV
and the table say the same; the seeds' process-logger log lines and
vitals' own .jsonl logs are read, with the heap verdict; bad input gets a
message naming the file and the right exit status.

Prints one line per check, then "N passed, M failed".
"""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

VITALS = os.environ.get("VITALS_BIN", "")
HELPERS = os.environ.get("VITALS_HELPERS", "")
SANITIZED = os.environ.get("VITALS_SANITIZED", "0") in ("1", "ON", "TRUE", "true")

results = {"passed": 0, "failed": 0}
tmp = tempfile.mkdtemp(prefix="vitals-leaks-")


def report(ok, name, detail=""):
    results["passed" if ok else "failed"] += 1
    print("%s - %s%s" % ("ok" if ok else "FAIL", name, ": " + detail if detail else ""),
          flush=True)


def vitals(*args, timeout=120):
    return subprocess.run([VITALS] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout, cwd=tmp)


def real_run():
    trace = os.path.join(tmp, "run.parquet")
    t0 = time.time()
    rec = vitals("record", "-o", trace, "--quiet", "--write-interval", "5", "--",
                 os.path.join(HELPERS, "leaker"), "20", "100", "60", timeout=180)
    report(rec.returncode == 0, "record the leaker and 20 steady children",
           "exit %d, %s" % (rec.returncode, rec.stderr.strip()[-300:]))
    if rec.returncode != 0:
        return
    out = vitals("leaks", trace, "--json", "--all")
    report(out.returncode == 0, "leaks --json exits 0", out.stderr.strip())
    if out.returncode != 0:
        return
    doc = json.loads(out.stdout)
    series = doc["series"]
    procs = [s for s in series if s["kind"] == "process"]
    # The traced command is the driver: the first "leaker" (its children came after it).
    leakers = [s for s in procs if s["name"] == "leaker" and s["pid"] is not None]
    driver = min(leakers, key=lambda s: s["start_time"] or 0)["pid"] if leakers else 0
    pids = {s["pid"] for s in leakers}
    first_proc = next((s for s in series if s["suspect"] and s["kind"] == "process"), {})
    report(first_proc.get("name") == "leakchild",
           "the leaking child is the fastest-growing process",
           json.dumps(first_proc)[:400])
    # The whole trace: a control group that holds the leaker grows as fast (a little
    # faster), yet the leaking process is named first, and such a group after it,
    # naming it. Only a group whose growth is not the leaker's (other work of this
    # machine: the cgroups are the whole machine's) may come before it.
    above = []
    for s in series:
        if s is first_proc or not s["suspect"]:
            break
        above.append(s)
    report(first_proc.get("name") == "leakchild" and
           all(s["kind"] == "cgroup" and s.get("explained_by") is None for s in above),
           "without --pid, nothing that grows with the leaking child is ranked above it",
           json.dumps([(s["kind"], s["id"], s["rate_per_second"]) for s in above]))
    at = series.index(first_proc) if first_proc in series else len(series)
    held = [i for i, s in enumerate(series)
            if first_proc and s.get("explained_by") == first_proc.get("pid")]
    report(all(series[i]["kind"] in ("cgroup", "subtree") for i in held) and
           all(i > at for i in held if series[i]["suspect"]),
           "the groups that hold it name it and come after it",
           json.dumps([(series[i]["kind"], series[i]["id"]) for i in held])[:300])
    # Within the run's own process tree (cgroups are the whole machine's), it is first.
    out = vitals("leaks", trace, "--json", "--pid", driver)
    doc2 = json.loads(out.stdout) if out.returncode == 0 else {"series": []}
    suspects = [s for s in doc2["series"] if s["suspect"]]
    first = suspects[0] if suspects else {}
    report(first.get("kind") == "process" and first.get("name") == "leakchild",
           "--pid of the traced command: the leaking child is ranked first",
           json.dumps(suspects[:3])[:600])
    rate = first.get("rate_per_second") or 0
    if SANITIZED:
        # AddressSanitizer's shadow memory and redzones make each 10 KiB
        # the helper allocates cost it more resident memory than that.
        report(0.8 * 100 * 1024 < rate < 1.8 * 100 * 1024,
               "its rate is 100 KiB/s (more under AddressSanitizer)", "%.0f B/s" % rate)
    else:
        report(abs(rate - 100 * 1024) < 0.2 * 100 * 1024, "its rate is 100 KiB/s within 20%",
               "%.0f B/s" % rate)
    report(first.get("confidence", 0) >= 0.99, "with confidence", str(first.get("confidence")))
    report(not [s for s in doc2["series"] if s["kind"] == "cgroup"],
           "--pid leaves the machine's cgroups out", "")
    report(len(leakers) >= 21, "the 21 processes of the run are analysed",
           "%d leaker processes" % len(leakers))
    bad = [s for s in leakers if s["suspect"]]
    report(not bad, "no steady child or the driver is a suspect", json.dumps(bad)[:400])
    tree = [s for s in suspects if s["kind"] == "subtree" and s["pid"] in pids]
    report(not tree, "the driver's subtree is not listed above its leaking child",
           json.dumps(tree)[:300])
    report(isinstance(doc.get("available_bytes"), (int, float)) and
           isinstance(first.get("projection_seconds"), (int, float)) and
           first["projection_seconds"] > 0, "a projection against available memory",
           str(first.get("projection_seconds")))

    out = vitals("leaks", trace, "--csv", "--pid", driver)
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    report(out.returncode == 0 and rows and rows[0]["name"] == "leakchild" and
           rows[0]["kind"] == "process" and rows[0]["suspect"] == "1",
           "--csv: the same first suspect", out.stdout[:300])
    out = vitals("leaks", trace, "--pid", driver)
    lines = out.stdout.splitlines()
    row1 = [ln for ln in lines if ln.split()[:2] == ["1", "process"]]
    report(out.returncode == 0 and row1 and "leakchild" in row1[0] and "KiB/s" in row1[0],
           "the table ranks it first", out.stdout[:600])
    print("real run took %.0f s" % (time.time() - t0))


def logs():
    # The seeds' process logger: a log line prefix, then the JSON, among other lines.
    path = os.path.join(tmp, "process_C.log")
    with open(path, "w") as f:
        f.write("2019-10-31 14:09:53,700 - - 86611 - (MainThread) - INFO     - start\n")
        for i in range(120):
            rss = 50 * 2**20 + i * 64 * 1024
            sec = 53 + i
            f.write("2019-10-31 14:%02d:%02d,000 - - 86611 - (ProcMon   ) - INFO     - "
                    "ProcessLoggingThread-JSON {\"timestamp\": \"2019-10-31 14:%02d:%02d."
                    "000000\", \"memory_info\": {\"rss\": %d, \"vms\": 4404228096, "
                    "\"pfaults\": 3624, \"pageins\": 0}, \"cpu_times\": {\"user\": 0.1, "
                    "\"system\": 0.02, \"children_user\": 0.0, \"children_system\": 0.0}, "
                    "\"elapsed_time\": %d.0}\n"
                    % (9 + sec // 60, sec % 60, 9 + sec // 60, sec % 60, rss, i))
    out = vitals("leaks", path, "--json")
    doc = json.loads(out.stdout) if out.returncode == 0 else {"series": []}
    s = doc["series"][0] if doc["series"] else {}
    report(out.returncode == 0 and doc.get("source") == "log" and s.get("pid") == 86611 and
           abs(s.get("rate_per_second", 0) - 65536) < 1000,
           "a seeds' process log: its pid and 64 KiB/s", out.stdout[:400] + out.stderr)

    # vitals' own log: RSS grows, the heap in use does not.
    path = os.path.join(tmp, "app.jsonl")
    t0 = 1795000000000000
    with open(path, "w") as f:
        for i in range(200):
            f.write(json.dumps({
                "timestamp": "2026-11-18 00:00:00.000000",
                "memory_info": {"rss": 30 * 2**20 + i * 8192, "vms": 1, "pfaults": 0,
                                "pageins": 0},
                "elapsed_time": i * 0.5, "time_us": t0 + i * 500000, "pid": 4242,
                "heap": {"in_use": 5 * 2**20, "free": i * 8192, "mmapped": 0, "arena": 0},
                "gauges": {"/cache/items": 100 + i}}) + "\n")
    out = vitals("leaks", path, "--json", "--path", "/cache")
    doc = json.loads(out.stdout) if out.returncode == 0 else {"series": []}
    proc = [s for s in doc["series"] if s["kind"] == "process"]
    gauges = [s for s in doc["series"] if s["kind"] == "gauge"]
    report(proc and proc[0]["heap"] == "retention", "a vitals log: RSS growth is retention",
           out.stdout[:500] + out.stderr)
    report(gauges and gauges[0]["id"] == "/cache/items" and
           abs(gauges[0]["rate_per_second"] - 2) < 0.01, "its gauge grows 2 a second",
           json.dumps(gauges)[:300])
    out = vitals("leaks", path)
    report(out.returncode == 0 and "retention" in out.stdout and
           "vitals_release_memory" in out.stdout, "the table suggests vitals_release_memory()",
           out.stdout[:600])


def segments():
    # A --rotate recording is read as one trace, by the name given to -o.
    seg = os.path.join(tmp, "seg.parquet")
    rec = vitals("record", "-o", seg, "--quiet", "--sample-interval", "0.5",
                 "--write-interval", "1", "--rotate", "3s", "--",
                 os.path.join(HELPERS, "leaker"), "2", "200", "6", timeout=60)
    parts = [f for f in os.listdir(tmp) if f.startswith("seg-") and f.endswith(".parquet")]
    report(rec.returncode == 0 and len(parts) >= 2, "a recording in segments",
           "%s %s" % (parts, rec.stderr.strip()[-200:]))
    out = vitals("leaks", seg, "--json", "--all")
    doc = json.loads(out.stdout) if out.returncode == 0 else {}
    kids = [s for s in doc.get("series", []) if s["name"] == "leakchild"]
    report(out.returncode == 0 and doc.get("source") == "segments" and kids and
           kids[0]["points"] >= 10, "leaks reads the segments as one trace",
           out.stdout[:300] + out.stderr)


def errors():
    out = vitals("leaks", os.path.join(tmp, "missing.parquet"))
    report(out.returncode == 1 and "missing.parquet" in out.stderr and
           "no such file" in out.stderr, "a missing trace: exit 1, named", out.stderr.strip())
    with open(os.path.join(tmp, "junk.parquet"), "wb") as f:
        f.write(b"PAR1 this is not parquet PAR1")
    out = vitals("leaks", os.path.join(tmp, "junk.parquet"))
    report(out.returncode == 1 and "junk.parquet" in out.stderr, "a corrupt trace: exit 1, named",
           out.stderr.strip())
    with open(os.path.join(tmp, "notes.txt"), "w") as f:
        f.write("nothing here\n")
    out = vitals("leaks", os.path.join(tmp, "notes.txt"))
    report(out.returncode == 1 and "no process log records" in out.stderr,
           "a text file without records: exit 1, says why", out.stderr.strip())
    out = vitals("leaks", "x.parquet", "--skip", "ten")
    report(out.returncode == 2 and "--skip" in out.stderr, "a bad --skip: exit 2",
           out.stderr.strip())
    out = vitals("leaks", "x.parquet", "--json", "--csv")
    report(out.returncode == 2, "--json with --csv: exit 2", out.stderr.strip())
    out = vitals("leaks", "--help")
    report(out.returncode == 0 and "usage: vitals leaks" in out.stdout, "--help", "")


def main():
    if not VITALS or not HELPERS:
        print("VITALS_BIN and VITALS_HELPERS must be set")
        return 1
    try:
        errors()
        logs()
        segments()
        real_run()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
