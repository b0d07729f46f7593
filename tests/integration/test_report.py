#!/usr/bin/python3
"""`vitals report` as a user meets it.

A real recording of a command that grows its memory steadily, with an
event, becomes one HTML file that holds everything itself (no script, no
link, no URL but the SVG namespace), shows the recording's host, kernel,
span and interval, an inline chart, the event, the leaking command among
the leak suspects at its rate, the top-process tables and the recorder's overhead.
Headless Chromium (Debian's, through npm playwright-core: tests/js/
report.mjs) then opens it with the network blocked, checks what a reader
sees and saves a screenshot. Bad input gets a clear error.

Prints one line per check, then "N passed, M failed".
"""
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile

VITALS = os.environ.get("VITALS_BIN", "")
SRC = os.environ.get("VITALS_SOURCE_DIR", "")
REPORT_JS = os.path.join(SRC, "tests", "js", "report.mjs")

results = {"passed": 0, "failed": 0}
tmp = tempfile.mkdtemp(prefix="vitals-report-")

# Paced on the clock, not by sleeps that a loaded machine stretches, and
# busy 10 ms of CPU time per step: a process that used CPU must be in the
# CPU table, and ticks of 10 ms would hardly see the allocations alone.
LEAKER = """
import sys, time
keep = []
sys.stdout.write("ready\\n"); sys.stdout.flush()
start = time.monotonic()
for i in range(200):
    keep.append(b"x" * 262144)   # 2.5 MiB/s, every page touched
    busy = time.process_time()
    while time.process_time() - busy < 0.01:
        pass
    time.sleep(max(0.0, start + (i + 1) * 0.1 - time.monotonic()))
"""


def report(ok, name, detail=""):
    results["passed" if ok else "failed"] += 1
    print("%s - %s%s" % ("ok" if ok else "FAIL", name, ": " + detail if detail else ""),
          flush=True)


def vitals(*args, timeout=120):
    return subprocess.run([VITALS] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


class Page(html.parser.HTMLParser):
    """The tags, ids, attributes with URLs and the text of a page."""

    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.urls, self.text = [], set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k == "id":
                self.ids.add(v)
            if k in ("src", "href", "xlink:href", "action") or (v and "://" in v):
                self.urls.append("%s=%s" % (k, v))

    def handle_data(self, data):
        self.text.append(data)


def main():
    if not VITALS:
        print("VITALS_BIN is not set")
        return 1
    trace = os.path.join(tmp, "leak.parquet")
    leaker = os.path.join(tmp, "leaker.py")
    with open(leaker, "w") as f:
        f.write(LEAKER)
    r = vitals("record", "-o", trace, "--duration", 4, "--sample-interval", 0.2, "-q", "--",
               sys.executable, leaker)
    report(r.returncode == 0 and os.path.exists(trace), "a recording of a leaking command",
           r.stderr[:300])
    event = "phase <two> & \"load\""
    r = vitals("event", trace, event)
    report(r.returncode == 0, "an event is added", r.stderr[:200])

    out = os.path.join(tmp, "report.html")
    r = vitals("report", trace, "-o", out, "--tz", "UTC")
    report(r.returncode == 0 and os.path.exists(out), "report writes the HTML", r.stderr[:300])
    if r.returncode != 0:
        return finish()
    text = open(out, encoding="utf-8").read()
    page = Page()
    page.feed(text)
    body = " ".join(page.text)
    report("script" not in page.tags and "link" not in page.tags and "img" not in page.tags,
           "no script, link or image tag", repr(sorted(set(page.tags))))
    urls = [u for u in page.urls if "http://www.w3.org/2000/svg" not in u]
    report(not urls, "no URL to fetch", repr(urls[:5]))
    report("default-src 'none'" in text, "a Content-Security-Policy forbids fetches")
    for sid in ("summary", "charts", "events", "leaks", "top", "overhead"):
        report(sid in page.ids, "section %s is there" % sid)
    report("svg" in page.tags and text.count("<svg") >= 1, "inline SVG charts")
    host = os.uname().nodename
    report(host in body and os.uname().release in body, "host and kernel are shown")
    report("Sample interval" in body and "0.2 s" in body, "the sample interval is shown")
    report("phase &lt;two&gt; &amp; &quot;load&quot;" in text and event in body,
           "the event is listed, escaped")
    m = re.search(r'id="leaks-table".*?<tbody>(.*?)</tbody>', text, re.S)
    rows = [re.sub(r"<[^>]+>", "|", row) for row in
            re.findall(r"<tr>(.*?)</tr>", m.group(1), re.S)] if m else []
    leaker_row = [row for row in rows if "|process|" in row and "python" in row]
    report(bool(leaker_row), "the leaking command is a leak suspect", repr(rows)[:300])
    # Its rate: 256 KiB every 0.1 s, 2.5 MiB/s (the interpreter's own pages aside).
    rate = re.search(r"\|([\d.]+) MiB/s\|", leaker_row[0]) if leaker_row else None
    report(rate is not None and 2.0 <= float(rate.group(1)) <= 3.2,
           "its growth rate is about 2.5 MiB/s", leaker_row[0][:200] if leaker_row else "")
    report(re.search(r'id="overhead-share">[\d.]+%<', text) is not None,
           "the recorder's overhead is shown as a share of one core")
    report(re.search(r'id="top-mem".*?python', text, re.S) is not None,
           "the leaking command is in the memory table")

    # Headless Chromium with the network blocked.
    chromium = shutil.which("chromium")
    node = shutil.which("node")
    pw = os.path.join(SRC, "tests", "js", "node_modules", "playwright-core")
    if chromium and node and os.path.isdir(pw):
        shot = os.path.join(os.environ.get("VITALS_BUILD_DIR", tmp), "report-screenshot.png")
        b = subprocess.run([node, REPORT_JS, out, shot, "--event", event, "--leak", "python"],
                           capture_output=True, text=True, timeout=120)
        for line in b.stdout.splitlines():
            if line.startswith("ok - ") or line.startswith("FAIL - "):
                report(line.startswith("ok"), line.split(" - ", 1)[1])
        report(b.returncode == 0 and os.path.getsize(shot) > 10000,
               "the browser check ran and saved %s" % shot, b.stderr[-500:])
    elif os.environ.get("CI"):
        report(False, "the browser check needs chromium, node and playwright-core",
               "chromium=%s node=%s playwright-core=%s" % (chromium, node, os.path.isdir(pw)))
    else:
        print("note - chromium, node or playwright-core missing: the browser check is skipped")

    # A recording of the whole machine adds a chart of its largest and busiest processes.
    whole = os.path.join(tmp, "whole.parquet")
    r = vitals("record", "-o", whole, "--duration", 2, "--sample-interval", 0.2)
    wout = os.path.join(tmp, "whole.html")
    r2 = vitals("report", whole, "-o", wout) if r.returncode == 0 else r
    text = open(wout, encoding="utf-8").read() if r2.returncode == 0 else ""
    m = re.search(r'id="process-chart">(.*?)</div>', text, re.S)
    report(m is not None and "Resident memory of the largest processes" in m.group(1)
           and re.search(r'class="legend">[^<]+ \(\d+\)<', m.group(1)) is not None,
           "a whole-machine report charts its largest processes", r2.stderr[:200])

    # A log of the seeds' process logger: its RSS chart, labels and CPU from its CPU seconds.
    log = os.path.join(tmp, "process_C.log")
    with open(log, "w") as f:
        for i in range(30):
            label = ', "label": "phase %d"' % i if i % 10 == 0 else ""
            f.write('2019-10-31 14:09:53,000 - - 86611 - (ProcMon   ) - INFO     - '
                    'ProcessLoggingThread-JSON {"timestamp": "2019-10-31 14:10:%02d.000000", '
                    '"memory_info": {"rss": %d, "vms": 4404228096}, "cpu_times": {"user": %f, '
                    '"system": 0.0}, "elapsed_time": %d%s}\n'
                    % (i, 10000000 + i * 100000, i * 0.5, i, label))
    lout = os.path.join(tmp, "log.html")
    r = vitals("report", log, "-o", lout)
    text = open(lout, encoding="utf-8").read() if r.returncode == 0 else ""
    report("Resident memory (RSS)" in text and text.count("phase ") >= 6,
           "a process log reports its chart and labels", r.stderr[:200])
    m = re.search(r'id="top-cpu".*?<td class="num">86611</td><td class="num">([^<]*)</td>'
                  r'<td class="num">([^<]*)</td>', text, re.S)
    report(m is not None and m.group(1) == "14.5 s" and m.group(2) == "50%",
           "its CPU time and mean come from the CPU seconds", repr(m.groups() if m else None))
    report("not written by" in text, "the report says a log does not tell the overhead")

    # Bad input.
    r = vitals("report", os.path.join(tmp, "nope.parquet"), "-o", out)
    report(r.returncode != 0 and "nope.parquet" in r.stderr, "a missing trace is named",
           r.stderr[:200])
    hdr = os.path.join(tmp, "header.csv")
    with open(hdr, "w") as f:
        f.write("time,kind,id,name\n")
    r = vitals("report", hdr, "-o", out)
    report(r.returncode == 2 and "header.csv: nothing to report" in r.stderr,
           "a trace with nothing in it is said", r.stderr[:200])
    r = vitals("report", trace)
    report(r.returncode == 2 and "-o" in r.stderr, "no output is a usage error", r.stderr[:200])
    r = vitals("report", trace, "-o", os.path.join(tmp, "no", "dir", "r.html"))
    report(r.returncode == 1 and "r.html" in r.stderr, "an unwritable output is named",
           r.stderr[:200])
    return finish()


def finish():
    shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
