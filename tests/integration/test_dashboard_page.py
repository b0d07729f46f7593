#!/usr/bin/python3
"""The dashboard's page as a user meets it, in a real browser.

Records a trace of a command that grows its memory (`vitals record
--duration 3 --sample-interval 0.2`) into a data directory and a small CSV
trace elsewhere, starts the real `vitals dashboard` on 127.0.0.1 with an
ephemeral port on both, and drives its page in headless Chromium
(Debian's, through npm playwright-core: tests/js/dashboard_page.mjs) with
every request outside 127.0.0.1 refused: the charts are drawn from the
trace; display time zones move the tick labels by their offsets; drag
zooms every chart and a double-click resets; an added event is a marker
on every chart; the theme switches and is remembered; the leaking command
is a suspect whose memory is charted on a click; the PID finder and the
process tree (text and graph) show a live process and its child; the CSV
recorded elsewhere opens; Start tracing asks for the token once and makes
the live charts grow; the page fits a phone-width screen.

Screenshots are kept in the build tree (dashboard-screenshots/).
Prints one line per check, then "N passed, M failed".
"""
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
PAGE_JS = os.path.join(SRC, "tests", "js", "dashboard_page.mjs")
TOKEN = "page-test-token-0123"

results = {"passed": 0, "failed": 0}
tmp = tempfile.mkdtemp(prefix="vitals-page-")

LEAKER = """
import time
keep = []
for i in range(600):
    keep.append(b"x" * 262144)   # 2.5 MiB/s, every page touched
    time.sleep(0.1)
"""


def report(ok, name, detail=""):
    results["passed" if ok else "failed"] += 1
    print("%s - %s%s" % ("ok" if ok else "FAIL", name, ": " + detail if detail else ""),
          flush=True)


def vitals(*args, timeout=60):
    return subprocess.run([VITALS] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def finish():
    shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


def start_dashboard(data, offline):
    """The real server on an ephemeral port; returns (process, base URL)."""
    proc = subprocess.Popen([VITALS, "dashboard", "--data-dir", data, "--datafile", offline,
                             "--port", "0", "--token", TOKEN, "--quiet"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    url = line.split()[-1] if line else ""
    base = url.split("?")[0].rstrip("/")
    return proc, base


def main():
    if not VITALS:
        print("VITALS_BIN is not set")
        return 1
    chromium = shutil.which("chromium")
    node = shutil.which("node")
    pw = os.path.join(SRC, "tests", "js", "node_modules", "playwright-core")
    if not (chromium and node and os.path.isdir(pw)):
        what = "chromium=%s node=%s playwright-core=%s" % (chromium, node, os.path.isdir(pw))
        if os.environ.get("CI"):
            report(False, "the page test needs chromium, node and playwright-core", what)
        else:
            print("note - skipped: %s (scripts/install-deps.sh, scripts/install-js.sh)" % what)
        return finish()
    assets = os.path.join(BUILD, "web", "dist", "index.html")
    report(os.path.isfile(assets), "the build put the page together in web/dist", assets)

    data = os.path.join(tmp, "data")
    other = os.path.join(tmp, "elsewhere")
    os.makedirs(data)
    os.makedirs(other)
    leaker = os.path.join(tmp, "leaker.py")
    with open(leaker, "w") as f:
        f.write(LEAKER)
    trace = os.path.join(data, "recorded.parquet")
    r = vitals("record", "-o", trace, "--duration", 3, "--sample-interval", 0.2, "-q", "--",
               sys.executable, leaker)
    report(r.returncode == 0 and os.path.exists(trace), "a trace is recorded for the page",
           r.stderr[:300])
    offline = os.path.join(other, "elsewhere.csv")
    r = vitals("record", "-o", offline, "--duration", 1.2, "--sample-interval", 0.2,
               "--processes", "none", "--no-containers", "-q")
    report(r.returncode == 0 and os.path.exists(offline), "a CSV trace is recorded elsewhere",
           r.stderr[:300])

    # A live process with a child, for the PID finder and the tree.
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess; subprocess.Popen(['sleep', '120']).wait()",
                               "page-tree-marker"], stdin=subprocess.DEVNULL)
    child = None
    for _ in range(100):
        try:
            with open("/proc/%d/task/%d/children" % (parent.pid, parent.pid)) as f:
                kids = f.read().split()
        except OSError:
            kids = []
        if kids:
            child = kids[0]
            break
        time.sleep(0.05)
    report(child is not None, "a process with a child runs for the tree")

    server, base = start_dashboard(data, offline)
    report(base.startswith("http://127.0.0.1:") and not base.endswith(":8050"),
           "vitals dashboard prints its URL on an ephemeral port", base)
    shots = os.path.join(BUILD or tmp, "dashboard-screenshots")
    os.makedirs(shots, exist_ok=True)
    try:
        if base:
            args = [node, PAGE_JS, base, TOKEN, shots, "--leak", "python3",
                    "--offline", "elsewhere.csv"]
            if child:
                args += ["--pid", str(parent.pid), "--child", child, "--name", "page-tree-marker"]
            b = subprocess.run(args, capture_output=True, text=True, timeout=100,
                               cwd=os.path.dirname(PAGE_JS))
            if b.returncode == 77:
                print("note - skipped: " + b.stdout.strip())
            else:
                for line in b.stdout.splitlines():
                    if line.startswith("ok - ") or line.startswith("FAIL - "):
                        report(line.startswith("ok"), line.split(" - ", 1)[1])
                report(b.returncode == 0, "the page test ran to its end",
                       (b.stdout[-300:] + b.stderr[-700:]) if b.returncode else "")
                for name in ("light", "dark", "live", "tree", "leaks", "phone"):
                    path = os.path.join(shots, "dashboard-%s.png" % name)
                    report(os.path.isfile(path) and os.path.getsize(path) > 10000,
                           "screenshot %s kept" % path)
    finally:
        if child:
            try:
                os.kill(int(child), signal.SIGTERM)
            except OSError:
                pass
        parent.kill()
        parent.wait()
        server.send_signal(signal.SIGTERM)
        try:
            _, err = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            _, err = server.communicate()
        report(server.returncode == 0, "the dashboard stops cleanly on SIGTERM",
               "status %s: %s" % (server.returncode, err[-500:]))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
