#!/usr/bin/python3
"""The Python binding (bindings/python/vitals) over the built libvitals.so.

What a user of the seeds' Python APIs relies on after changing an import:
log_process writes the seed's JSON lines fields and the labels land, the
logger stops even when the block raises, collect_system_snapshot reports
sane numbers about this very process, monitor_to_parquet records a file
`vitals inspect` and `vitals export` read with the samples on schedule and
survives Ctrl-C, the argparse helper parses --log-process, errors carry the
C library's message, the ctypes structures match the C headers, and an
installed package finds its library without help.

Uses VITALS_LIBRARY=$VITALS_BUILD_DIR/libvitals.so and the package from
$VITALS_SOURCE_DIR/bindings/python. Under VITALS_SANITIZED=1 every check is
skipped: an ASan-instrumented library cannot be loaded into a python that
was not started with the ASan runtime. Prints one line per check, then
"N passed, M failed"; exits 1 on any failure.
"""
import argparse
import csv
import datetime
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

VITALS = os.environ.get("VITALS_BIN", "")
SRC = os.environ.get("VITALS_SOURCE_DIR", "")
BUILD = os.environ.get("VITALS_BUILD_DIR", "")
CC = os.environ.get("VITALS_CC", "") or shutil.which("cc") or ""
SANITIZED = os.environ.get("VITALS_SANITIZED", "0") in ("1", "ON", "TRUE", "true")
PYDIR = os.path.join(SRC, "bindings", "python")
LIBRARY = os.path.join(BUILD, "libvitals.so")
TEST_DEADLINE = 60.0  # seconds for the whole test

started = time.monotonic()
results = {"passed": 0, "failed": 0}
tmp = tempfile.mkdtemp(prefix="vitals-python-")
vitals = None  # imported in main()


class CheckError(Exception):
    """A check could not be made: the reason is the failure."""


def report(ok, name, detail=""):
    results["passed" if ok else "failed"] += 1
    print("%s - %s%s" % ("ok" if ok else "FAIL", name, ": " + detail if detail else ""),
          flush=True)


def run(argv, timeout=30, **kw):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, **kw)


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def labels_of(records):
    """Every label of a log, in order: the seed's `label`, or vitals' `labels` when several."""
    out = []
    for r in records:
        out += r.get("labels") or ([r["label"]] if "label" in r else [])
    return out


def export_rows(trace):
    """The rows of TRACE through `vitals export` to CSV, as dicts."""
    out = trace + ".csv"
    res = run([VITALS, "export", trace, "-o", out])
    if res.returncode != 0:
        raise CheckError("vitals export failed: " + res.stderr.strip())
    with open(out, newline="") as f:
        return list(csv.DictReader(f))


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---- checks ----------------------------------------------------------------------------


def check_load():
    path, version = vitals.library_path(), vitals.library_version()
    res = run([VITALS, "--version"])
    if path != LIBRARY:
        return False, "loaded %s instead of VITALS_LIBRARY %s" % (path, LIBRARY)
    if version not in res.stdout + res.stderr:
        return False, "library %s, but vitals --version says %r" % (version, res.stdout)
    return True, "%s, version %s" % (path, version)


def check_layouts():
    """Every ctypes structure against the C compiler's sizeof and offsetof."""
    from vitals import _lib
    if not CC:
        return True, "skipped: no C compiler"
    lines = ["#include <stddef.h>", "#include <stdio.h>", "#include <vitals/vitals.h>",
             "int main(void) {"]
    for cname, cls in _lib.LAYOUTS.items():
        lines.append('printf("%s %%zu\\n", sizeof(struct %s));' % (cname, cname))
        for field, _ in cls._fields_:
            lines.append('printf("%s.%s %%zu\\n", offsetof(struct %s, %s));'
                         % (cname, field, cname, field))
    lines += ["return 0;", "}"]
    prog = os.path.join(tmp, "layout")
    with open(prog + ".c", "w") as f:
        f.write("\n".join(lines) + "\n")
    res = run([CC, "-I", os.path.join(SRC, "include"), "-o", prog, prog + ".c"], timeout=60)
    if res.returncode != 0:
        return False, "the layout program did not build: " + res.stderr.strip()[:300]
    want = dict(line.split() for line in run([prog]).stdout.splitlines())
    bad = []
    for cname, cls in _lib.LAYOUTS.items():
        if int(want[cname]) != __import__("ctypes").sizeof(cls):
            bad.append("sizeof %s" % cname)
        for field, _ in cls._fields_:
            if int(want["%s.%s" % (cname, field)]) != getattr(cls, field).offset:
                bad.append("%s.%s" % (cname, field))
    if bad:
        return False, "ctypes differs from the headers in " + ", ".join(bad)
    return True, "%d structures, %d fields" % (len(_lib.LAYOUTS),
                                              sum(len(c._fields_) for c in _lib.LAYOUTS.values()))


def check_log_fields():
    path = os.path.join(tmp, "fields.jsonl")
    with vitals.log_process(0.1, path=path):
        vitals.add_message_to_queue("String of 1,048,576 bytes")
        s = " " * (1 << 20)
        time.sleep(0.35)
        del s
    recs = read_jsonl(path)
    if len(recs) < 3:
        return False, "%d records in 0.35 s at 0.1 s" % len(recs)
    for r in recs:
        datetime.datetime.strptime(r["timestamp"], "%Y-%m-%d %H:%M:%S.%f")
        if not (r["memory_info"]["rss"] > 0 and r["memory_info"]["vms"] > 0):
            return False, "memory_info %r" % r["memory_info"]
        if not isinstance(r["cpu_times"]["user"], (int, float)):
            return False, "cpu_times %r" % r["cpu_times"]
        if r["pid"] != os.getpid():
            return False, "pid %r, not this process %d" % (r["pid"], os.getpid())
    elapsed = [r["elapsed_time"] for r in recs]
    if elapsed != sorted(elapsed) or not 0.25 <= elapsed[-1] <= 2:
        return False, "elapsed_time %r" % elapsed
    got = [r.get("label") for r in recs if "label" in r]
    if got != ["String of 1,048,576 bytes"]:
        return False, "labels %r" % got
    return True, "%d records, rss %d bytes, label landed once" % (len(recs),
                                                                 recs[-1]["memory_info"]["rss"])


def check_labels_gauges():
    path = os.path.join(tmp, "gauges.jsonl")
    with vitals.log_process(0.1, path=path):
        for i in range(5):
            vitals.label("step %d" % i)
        vitals.gauge_set("/cache/items", 42)
        time.sleep(0.15)
        vitals.gauge_set("/cache/items", 43.5)
        vitals.gauge_set("/cache/bytes", 1 << 20)
        vitals.gauge_remove("/cache/bytes")
        time.sleep(0.15)
    recs = read_jsonl(path)
    got = labels_of(recs)
    if got != ["step %d" % i for i in range(5)]:
        return False, "labels %r" % got
    last = recs[-1].get("gauges", {})
    if last != {"/cache/items": 43.5}:
        return False, "last record's gauges %r" % last
    if not any(r.get("gauges", {}).get("/cache/items") == 42 for r in recs):
        return False, "no record with the first gauge value"
    return True, "5 labels in order, gauges updated and removed"


def check_exception_stops():
    path = os.path.join(tmp, "raise.jsonl")
    raised = False
    try:
        with vitals.log_process(0.1, path=path):
            time.sleep(0.05)
            vitals.label("just before the error")
            raise ValueError("boom")
    except ValueError:
        raised = True
    if not raised:
        return False, "the exception did not come out of the with block"
    if vitals.logger_running():
        return False, "the logger still runs after the block raised"
    recs = read_jsonl(path)
    if labels_of(recs) != ["just before the error"]:
        return False, "the last record lacks the label: %r" % labels_of(recs)
    # The logger can start again: the exception left nothing behind.
    with vitals.log_process(0.1, path=path):
        pass
    return True, "ValueError passed through, logger stopped after a last record"


def check_decorator():
    path = os.path.join(tmp, "decorated.jsonl")

    @vitals.log_process(0.1, path=path)
    def work(n):
        vitals.label("call %d" % n)
        return vitals.logger_running()

    if not (work(1) and work(2)):
        return False, "no logger ran inside the decorated function"
    if vitals.logger_running():
        return False, "the logger still runs after the call"
    got = labels_of(read_jsonl(path))
    if got != ["call 1", "call 2"]:
        return False, "labels %r" % got
    return True, "two calls, two loggers, both stopped"


def check_errors():
    details = []
    with vitals.log_process(0.1, path=os.path.join(tmp, "outer.jsonl")):
        try:
            with vitals.log_process(0.1, path=os.path.join(tmp, "inner.jsonl")):
                return False, "a second logger started"
        except vitals.VitalsError as e:
            if "already runs" not in str(e) or e.status != -3:
                return False, "second logger: %r (status %r)" % (str(e), e.status)
            details.append(str(e))
        if not vitals.logger_running():
            return False, "the refused second logger stopped the first"
    bad = os.path.join(tmp, "no-such-dir", "x.jsonl")
    try:
        with vitals.log_process(0.1, path=bad):
            return False, "a logger started in a missing directory"
    except vitals.VitalsError as e:
        if bad not in str(e):
            return False, "the message does not name the file: %r" % str(e)
        details.append(str(e))
    try:
        vitals.gauge_set("", 1)
        return False, "an empty gauge path was taken"
    except vitals.VitalsError as e:
        details.append(str(e))
    try:
        vitals.monitor_to_parquet(os.path.join(tmp, "no-such-dir", "t.parquet"), 0.1,
                                  duration=0.1)
        return False, "a recording started in a missing directory"
    except vitals.VitalsError as e:
        if "no-such-dir" not in str(e):
            return False, "the message does not name the directory: %r" % str(e)
        details.append(str(e))
    return True, " | ".join(details)


def check_default_path_and_off():
    cwd = os.getcwd()
    here = os.path.join(tmp, "cwd")
    os.makedirs(here, exist_ok=True)
    os.chdir(here)
    try:
        with vitals.log_process(0.1) as lp:
            pass
        with vitals.log_process(0):
            if vitals.logger_running():
                return False, "log_process(0) started a logger"
    finally:
        os.chdir(cwd)
    want = "vitals-%d.jsonl" % os.getpid()
    if lp.path != want or not read_jsonl(os.path.join(here, want)):
        return False, "expected %s, have %r and %r" % (want, lp.path, os.listdir(here))
    if os.listdir(here) != [want]:
        return False, "log_process(0) wrote something: %r" % os.listdir(here)
    return True, "%s written; interval 0 logs nothing" % want


def check_heap():
    h = vitals.heap_stats()
    if set(h) != {"in_use", "free", "mmapped", "arena", "releasable"} or h["in_use"] <= 0:
        return False, "heap_stats %r" % h
    before, after = vitals.release_memory()
    if not (before > 0 and after > 0):
        return False, "release_memory %r" % ((before, after),)
    return True, "in use %d bytes; rss %d -> %d" % (h["in_use"], before, after)


snapshot = {}


def get_snapshot():
    if not snapshot:
        t0 = time.monotonic()
        snapshot.update(vitals.collect_system_snapshot(enable_gpu=True, enable_docker=True))
        snapshot["_took"] = time.monotonic() - t0
    return snapshot


def check_snapshot_system():
    s = get_snapshot()
    sysm = s["system"]
    if list(sysm) != vitals.metric_names("system"):
        return False, "system keys %r" % list(sysm)
    if not (sysm["mem_total_bytes"] > 0 and
            0 < sysm["mem_available_bytes"] <= sysm["mem_total_bytes"]):
        return False, "memory %r / %r" % (sysm["mem_total_bytes"], sysm["mem_available_bytes"])
    age = (datetime.datetime.now(datetime.timezone.utc) - parse_time(s["timestamp"]))
    if abs(age.total_seconds()) > 60:
        return False, "timestamp %s is %s away" % (s["timestamp"], age)
    for k in ("host", "cpu", "disk", "net", "fs", "psi", "process", "sources"):
        if k not in s:
            return False, "no %r in the snapshot" % k
    if s["host"] != os.uname().nodename:
        return False, "host %r" % s["host"]
    return True, "mem_total_bytes %d, %s, took %.2f s" % (sysm["mem_total_bytes"],
                                                          s["timestamp"], s["_took"])


def check_snapshot_process():
    s = get_snapshot()
    mine = [p for p in s["process"] if p["pid"] == os.getpid()]
    if len(mine) != 1:
        return False, "this process (%d) appears %d times" % (os.getpid(), len(mine))
    p = mine[0]
    for k in ["pid", "name", "cmdline", "user"] + vitals.metric_names("process"):
        if k not in p:
            return False, "no %r for a process" % k
    if not (p["rss_bytes"] > 0 and p["ppid"] == os.getppid()):
        return False, "rss %r, ppid %r" % (p["rss_bytes"], p["ppid"])
    if "test_python" not in p["cmdline"]:
        return False, "cmdline %r" % p["cmdline"]
    return True, "pid %d rss %d bytes, %d processes" % (p["pid"], p["rss_bytes"],
                                                       len(s["process"]))


def check_snapshot_rates():
    s = get_snapshot()
    total = [c for c in s["cpu"] if c["id"] == "total"]
    if not total or total[0]["busy_percent"] is None:
        return False, "no busy_percent for cpu total: %r" % total
    if not 0 <= total[0]["busy_percent"] <= 100:
        return False, "busy_percent %r" % total[0]["busy_percent"]
    if not 0.2 <= s["interval_seconds"] <= 2:
        return False, "interval between the samples %r s" % s["interval_seconds"]
    if s["system"]["context_switches_per_second"] is None:
        return False, "no context switch rate"
    return True, "cpu busy %.1f %% over %.2f s" % (total[0]["busy_percent"],
                                                   s["interval_seconds"])


def check_snapshot_sources():
    s = get_snapshot()
    src = s["sources"]
    if src.get("system") is not None or src.get("process") is not None:
        return False, "system/process sources say %r / %r" % (src.get("system"),
                                                              src.get("process"))
    for k in ("gpu", "cgroup"):
        if k not in s or not isinstance(s[k], list):
            return False, "asked for %s, no %r list in the snapshot" % (k, k)
        if s[k] == [] and not (isinstance(src.get(k), str) and src[k]):
            return False, "no %s entities and no reason: %r" % (k, src.get(k))
    plain = vitals.collect_system_snapshot()
    if "gpu" in plain or "not requested" not in (plain["sources"].get("gpu") or ""):
        return False, "without enable_gpu: %r" % plain["sources"].get("gpu")
    return True, "gpu: %s; cgroup: %s" % (src["gpu"], src["cgroup"])


def check_monitor():
    out = os.path.join(tmp, "trace.parquet")
    t0 = time.monotonic()
    # Writes (with their fsyncs) fall at 0.35 and 0.7 s, halfway between two samples.
    res = vitals.monitor_to_parquet(output_file=out, sample_interval=0.1, write_interval=0.35,
                                    duration=1)
    took = time.monotonic() - t0
    # 10 slots in 1 s; a sample that overran its slot (a loaded machine) skips one.
    if res["samples"] not in (9, 10) or res["interrupted"] or not 0.8 <= took <= 3:
        return False, "%r in %.2f s" % (res, took)
    if os.path.exists(out + ".journal"):
        return False, "the journal is left behind"
    ins = run([VITALS, "inspect", "--json", out])
    if ins.returncode != 0:
        return False, "vitals inspect: " + ins.stderr.strip()
    meta = json.loads(ins.stdout).get("metadata", {})
    for k in ("vitals.schema_version", "vitals.version", "vitals.host",
              "vitals.sample_interval_seconds", "vitals.timezone", "vitals.boot_id"):
        if not meta.get(k):
            return False, "no %s in the metadata: %r" % (k, meta)
    if meta["vitals.sample_interval_seconds"] != "0.1":
        return False, "sample interval %r" % meta["vitals.sample_interval_seconds"]
    rows = export_rows(out)
    times = sorted(parse_time(r["time"]) for r in rows if r["kind"] == "system")
    if len(times) != res["samples"]:
        return False, "%d system rows for %d samples" % (len(times), res["samples"])
    # On the schedule: samples within 30 ms of start + k * 100 ms (a loaded machine may
    # delay two), and the last one within 25 ms of its slot, where a drift would add up.
    off = [(t - times[0]).total_seconds() / 0.1 for t in times]
    late = sum(1 for o in off if abs(o - round(o)) * 0.1 > 0.03)
    span = (times[-1] - times[0]).total_seconds()
    if late > 2 or abs(off[-1] - round(off[-1])) * 0.1 > 0.025 or not 0.75 <= span <= 0.93:
        return False, "%d samples off the schedule, span %.3f s (drift?)" % (late, span)
    me = [r for r in rows if r["kind"] == "process" and r["id"] == str(os.getpid())]
    if len(me) != len(times):
        return False, "this process in %d of %d samples" % (len(me), len(times))
    return True, "%d samples over %.3f s, %d off the schedule, %d rows, %d bytes" % (
        len(times), span, late, len(rows), res["bytes"])


def check_monitor_csv_no_processes():
    out = os.path.join(tmp, "trace.csv")
    res = vitals.monitor_to_parquet(out, sample_interval=0.1, duration=0.3, processes=False)
    rows = export_rows(out)
    kinds = {r["kind"] for r in rows}
    if res["samples"] not in (2, 3) or "process" in kinds or "system" not in kinds:
        return False, "%r, kinds %r" % (res, kinds)
    # A second run continues the same file.
    more = vitals.monitor_to_parquet(out, sample_interval=0.1, duration=0.2, processes=False)
    n = sum(1 for r in export_rows(out) if r["kind"] == "system")
    if n != res["samples"] + more["samples"] or more["samples"] < 1:
        return False, "%d system rows after %d + %d samples" % (n, res["samples"],
                                                                 more["samples"])
    return True, "kinds %s; continued to %d samples" % (",".join(sorted(kinds)), n)


def check_interrupt():
    out = os.path.join(tmp, "interrupted.parquet")
    code = ("import sys, vitals; r = vitals.monitor_to_parquet(sys.argv[1], sample_interval=0.1,"
            " write_interval=10); print(r['samples'], r['interrupted'])")
    proc = subprocess.Popen([sys.executable, "-c", code, out], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(out + ".journal"):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise CheckError("no journal appeared (exit %r)" % proc.poll())
            time.sleep(0.02)
        time.sleep(0.45)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    words = stdout.split()
    if proc.returncode != 0 or len(words) != 2 or words[1] != "True":
        return False, "exit %d, out %r, err %r" % (proc.returncode, stdout, stderr[-300:])
    if os.path.exists(out + ".journal"):
        return False, "the journal is left behind"
    n = sum(1 for r in export_rows(out) if r["kind"] == "system")
    if n != int(words[0]) or n < 3:
        return False, "%d system rows in the file, %s samples taken" % (n, words[0])
    return True, "SIGINT after %d samples: exit 0, file complete, journal removed" % n


def check_missing_library():
    env = dict(os.environ, VITALS_LIBRARY=os.path.join(tmp, "nowhere", "libvitals.so"))
    res = run([sys.executable, "-c", "import vitals; vitals.heap_stats()"], env=env)
    if res.returncode == 0 or "VitalsError" not in res.stderr or \
            env["VITALS_LIBRARY"] not in res.stderr:
        return False, "exit %d, %r" % (res.returncode, res.stderr[-300:])
    # Importing alone needs no library (argparse helpers work without it).
    res = run([sys.executable, "-c", "import vitals, argparse; "
               "vitals.add_log_process_argument(argparse.ArgumentParser())"], env=env)
    if res.returncode != 0:
        return False, "import without the library failed: " + res.stderr[-300:]
    return True, "VitalsError naming %s; import alone works" % env["VITALS_LIBRARY"]


def check_argparse():
    parser = vitals.add_log_process_argument(argparse.ArgumentParser(prog="tool"))
    if parser.parse_args(["--log-process", "0.5"]).log_process != 0.5:
        return False, "--log-process 0.5 did not parse to 0.5"
    if parser.parse_args([]).log_process != 0.0:
        return False, "the default is not 0"
    saved = sys.stderr
    sys.stderr = open(os.devnull, "w")
    try:
        parser.parse_args(["--log-process", "soon"])
        return False, "--log-process soon was accepted"
    except SystemExit:
        pass
    finally:
        sys.stderr.close()
        sys.stderr = saved
    return True, "--log-process 0.5 -> 0.5, default 0.0, 'soon' refused"


def check_installed():
    prefix = os.path.join(tmp, "prefix")
    res = run(["cmake", "--install", BUILD, "--prefix", prefix], timeout=120)
    if res.returncode != 0:
        return False, "cmake --install: " + res.stderr.strip()[-300:]
    inits = glob.glob(os.path.join(prefix, "**", "vitals", "__init__.py"), recursive=True)
    if len(inits) != 1:
        return False, "installed packages: %r" % inits
    site = os.path.dirname(os.path.dirname(inits[0]))
    env = {k: v for k, v in os.environ.items()
           if k not in ("VITALS_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH")}
    env["PYTHONPATH"] = site
    res = run([sys.executable, "-c", "import vitals; print(vitals.__file__); "
               "print(vitals.library_path()); print(vitals.heap_stats()['in_use'] > 0)"],
              env=env, cwd=tmp)
    lines = res.stdout.split()
    if res.returncode != 0 or len(lines) != 3:
        return False, "exit %d: %s" % (res.returncode, res.stderr.strip()[-300:])
    if not lines[0].startswith(site) or not lines[1].startswith(prefix) or lines[2] != "True":
        return False, "package %s, library %s" % (lines[0], lines[1])
    return True, "%s loads %s" % (os.path.relpath(site, prefix),
                                  os.path.relpath(lines[1], prefix))


CHECKS = [
    ("the library loads from VITALS_LIBRARY", check_load),
    ("ctypes structures match the C headers", check_layouts),
    ("log_process writes the seed's JSON fields and the label lands", check_log_fields),
    ("labels land once in order; gauges set, updated, removed", check_labels_gauges),
    ("an exception in the with block stops the logger", check_exception_stops),
    ("log_process as a decorator", check_decorator),
    ("errors raise VitalsError with the C message", check_errors),
    ("default log path vitals-PID.jsonl; interval 0 is off", check_default_path_and_off),
    ("heap_stats and release_memory", check_heap),
    ("collect_system_snapshot: the system", check_snapshot_system),
    ("collect_system_snapshot: this process", check_snapshot_process),
    ("collect_system_snapshot: rates from two samples", check_snapshot_rates),
    ("collect_system_snapshot: enable_gpu/enable_docker say why absent", check_snapshot_sources),
    ("monitor_to_parquet: 10 samples at 0.1 s, read back by vitals", check_monitor),
    ("monitor_to_parquet: CSV without processes, continued", check_monitor_csv_no_processes),
    ("monitor_to_parquet: Ctrl-C closes the file cleanly", check_interrupt),
    ("a missing library: a clear VitalsError", check_missing_library),
    ("add_log_process_argument parses --log-process 0.5", check_argparse),
    ("the installed package finds libvitals from its own place", check_installed),
]


def run_check(name, fn):
    """Run one check; a CheckError or a crash fails it."""
    if time.monotonic() - started > TEST_DEADLINE:
        report(False, name, "skipped: the test ran out of time")
        return
    try:
        ok, detail = fn()
    except CheckError as e:
        ok, detail = False, str(e)
    except Exception as e:  # a bug in one check must not hide the others
        ok, detail = False, "%s: %s" % (type(e).__name__, e)
    report(ok, name, detail)


def main():
    global vitals
    if SANITIZED:
        # An ASan-instrumented .so needs the ASan runtime loaded first, which a plain
        # python3 does not have: loading it fails, so every check is skipped.
        why = ("libvitals.so is built with AddressSanitizer, whose runtime a plain python3 "
               "does not load first")
        for name, _ in CHECKS:
            print("skip - %s: %s" % (name, why))
        print("0 passed, 0 failed (%d skipped: sanitized build)" % len(CHECKS))
        return 0
    for what, path in (("VITALS_BIN", VITALS), ("libvitals.so in VITALS_BUILD_DIR", LIBRARY),
                       ("the package in VITALS_SOURCE_DIR", os.path.join(PYDIR, "vitals"))):
        if not os.path.exists(path):
            print("FAIL - setup: no %s (%r)" % (what, path))
            print("0 passed, 1 failed")
            return 1
    os.environ["VITALS_LIBRARY"] = LIBRARY
    # No __pycache__ in the source tree, from this process or its python children.
    sys.dont_write_bytecode = True
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    os.environ["PYTHONPATH"] = PYDIR  # for the checks' own python subprocesses
    sys.path.insert(0, PYDIR)
    import vitals as module
    vitals = module
    for name, fn in CHECKS:
        run_check(name, fn)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    status = 1
    try:
        status = main()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(status)
