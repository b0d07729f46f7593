#!/usr/bin/python3
"""`vitals plot` as a user meets it.

A real three-second recording draws into a well-formed SVG (xmllint, and
Python's own XML parser) with the CPU, memory, disk and network panels and
its event as a marker whose text is escaped; --tz names the zone under the
axis and refuses a zone the system does not know; --metric, --pid and
--entity choose what is drawn and say clearly when the trace has none of
it; a 300,000-sample trace with one spike gives an SVG under 1 MB whose
axis still reaches the spike; a log of the seeds' process logger draws its
RSS and labels; --gnuplot writes the .dat and .plt files and, where gnuplot
is installed, the SVG it draws.

Prints one line per check, then "N passed, M failed".
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

VITALS = os.environ.get("VITALS_BIN", "")
SANITIZED = os.environ.get("VITALS_SANITIZED", "0") in ("1", "ON", "TRUE", "true")

results = {"passed": 0, "failed": 0}
tmp = tempfile.mkdtemp(prefix="vitals-plot-")
SVG_NS = "{http://www.w3.org/2000/svg}"


def report(ok, name, detail=""):
    results["passed" if ok else "failed"] += 1
    print("%s - %s%s" % ("ok" if ok else "FAIL", name, ": " + detail if detail else ""),
          flush=True)


def vitals(*args, timeout=120, tz=None):
    env = dict(os.environ)
    if tz:
        env["TZ"] = tz
    return subprocess.run([VITALS] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout, env=env)


def well_formed(path):
    """Whether PATH parses as XML, with xmllint when it is installed and with Python's parser."""
    if shutil.which("xmllint"):
        r = subprocess.run(["xmllint", "--noout", path], capture_output=True, text=True)
        if r.returncode != 0:
            return False, r.stderr[:300]
    try:
        ET.parse(path)
    except ET.ParseError as e:
        return False, str(e)
    return True, ""


def texts(path):
    root = ET.parse(path).getroot()
    return [("".join(t.itertext())) for t in root.iter(SVG_NS + "text")]


def markers(path):
    root = ET.parse(path).getroot()
    out = []
    for g in root.iter(SVG_NS + "g"):
        if g.get("class") == "marker":
            out.append(g.find(SVG_NS + "title").text)
    return out


def main():
    if not VITALS:
        print("VITALS_BIN is not set")
        return 1
    trace = os.path.join(tmp, "run.parquet")
    r = vitals("record", "-o", trace, "--duration", 3, "--sample-interval", 0.2)
    report(r.returncode == 0, "a short recording", r.stderr[:200])
    event = 'step <2> & "fast" it\'s \u00e9'
    r = vitals("event", trace, event)
    report(r.returncode == 0, "an event with XML specials", r.stderr[:200])

    svg = os.path.join(tmp, "run.svg")
    r = vitals("plot", trace, "-o", svg, "--tz", "UTC")
    report(r.returncode == 0 and os.path.exists(svg), "plot writes the SVG", r.stderr[:300])
    ok, why = well_formed(svg)
    report(ok, "the SVG is well-formed XML", why)
    t = texts(svg)
    for panel in ("CPU", "Memory", "Disk I/O", "Network"):
        report(panel in t, "panel %s is drawn" % panel)
    report(any(x.endswith("%") for x in t), "CPU ticks are percentages")
    report(any(re.search(r" (B|KiB|MiB|GiB)$", x) for x in t),
           "memory ticks use binary prefixes")
    report(markers(svg) == [event], "the event is a marker with its exact text",
           repr(markers(svg)))
    raw = open(svg, encoding="utf-8").read()
    report("step &lt;2&gt; &amp; &quot;fast&quot;" in raw, "the event text is escaped")
    report("Time (UTC)" in t, "the axis names the zone")
    report(len(re.findall(r'class="line"', raw)) >= 4, "lines are drawn")

    ny = os.path.join(tmp, "ny.svg")
    r = vitals("plot", trace, "-o", ny, "--tz", "America/New_York")
    t = texts(ny) if r.returncode == 0 else []
    report(any(x.startswith("Time (America/New_York, E") for x in t),
           "--tz America/New_York shows that zone", r.stderr[:200])
    # The trace's own zone (its metadata) is the default; --tz local is this machine's.
    tokyo = os.path.join(tmp, "tokyo.parquet")
    r = vitals("record", "-o", tokyo, "--duration", 1, "--sample-interval", 0.2, tz="Asia/Tokyo")
    ts = os.path.join(tmp, "tokyo.svg")
    r = vitals("plot", tokyo, "-o", ts, tz="UTC") if r.returncode == 0 else r
    t = texts(ts) if r.returncode == 0 else []
    report("Time (Asia/Tokyo, JST)" in t, "the trace's own zone is the default", repr(t[-3:]))
    r = vitals("plot", tokyo, "-o", ts, "--tz", "local", tz="UTC")
    t = texts(ts) if r.returncode == 0 else []
    report("Time (UTC)" in t, "--tz local shows this machine's zone", repr(t[-3:]))
    r = vitals("plot", trace, "-o", os.path.join(tmp, "x.svg"), "--tz", "Mars/Olympus")
    report(r.returncode == 2 and "Mars/Olympus" in r.stderr and "time zone" in r.stderr,
           "an unknown zone is refused", r.stderr[:200])

    # Choosing what to draw.
    m = os.path.join(tmp, "m.svg")
    r = vitals("plot", trace, "-o", m, "--metric", "load1,mem_available_bytes")
    t = texts(m) if r.returncode == 0 else []
    report("load1" in t and "mem_available_bytes" in t, "--metric draws one panel per column",
           r.stderr[:200])
    r = vitals("plot", trace, "-o", m, "--metric", "no_such_column")
    report(r.returncode == 2 and "no_such_column" in r.stderr and "run.parquet" in r.stderr,
           "a metric the trace lacks is named", r.stderr[:200])
    r = vitals("plot", trace, "-o", m, "--pid", os.getpid())
    t = texts(m) if r.returncode == 0 else []
    report("Resident memory (RSS)" in t and any("(%d)" % os.getpid() in x for x in t),
           "--pid draws that process (this test, recorded while it ran)", r.stderr[:200])
    r = vitals("plot", trace, "-o", m, "--pid", 4194000)
    report(r.returncode == 2 and "pid" in r.stderr, "a pid the trace lacks is said",
           r.stderr[:200])
    r = vitals("plot", trace, "-o", m, "--entity", "cpu:total")
    t = texts(m) if r.returncode == 0 else []
    report("CPU" in t and "Memory" not in t, "--entity cpu:total draws the CPU panel only",
           r.stderr[:200])
    r = vitals("plot", trace, "-o", m, "--from", "2100-01-01T00:00:00Z")
    report(r.returncode == 2 and "time range" in r.stderr, "an empty time range is said",
           r.stderr[:200])
    r = vitals("plot", trace, "-o", m, "--from", "2100-01-01T00:00:00Z", "--to",
               "2099-01-01T00:00:00Z")
    report(r.returncode == 2 and "--from is after --to" in r.stderr, "--from after --to",
           r.stderr[:200])
    r = vitals("plot", os.path.join(tmp, "missing.parquet"), "-o", m)
    report(r.returncode != 0 and "missing.parquet" in r.stderr, "a missing trace is named",
           r.stderr[:200])
    bad = os.path.join(tmp, "bad.parquet")
    with open(bad, "wb") as f:
        f.write(b"PAR1" + b"\0" * 100 + b"PAR1")
    r = vitals("plot", bad, "-o", m)
    report(r.returncode == 1 and "bad.parquet" in r.stderr and "Traceback" not in r.stderr,
           "a corrupt trace gets a clear error", r.stderr[:200])
    r = vitals("plot", trace)
    report(r.returncode == 2 and "-o" in r.stderr, "no output is a usage error", r.stderr[:200])

    # A --rotate segment set, drawn by its base name as one trace.
    segdir = os.path.join(tmp, "seg")
    os.mkdir(segdir)
    r = vitals("record", "-o", os.path.join(segdir, "s.parquet"), "--duration", 3.5,
               "--sample-interval", 0.2, "--write-interval", 0.5, "--rotate", "1s", "-q")
    segs = sorted(os.listdir(segdir))
    ssvg = os.path.join(tmp, "seg.svg")
    r = vitals("plot", os.path.join(segdir, "s.parquet"), "-o", ssvg, "--tz", "UTC")
    sub = [x for x in texts(ssvg) if "a sample every" in x] if r.returncode == 0 else []
    span = re.search(r"\(([\d.]+) s\)", sub[0]) if sub else None
    report(len(segs) >= 2 and span is not None and float(span.group(1)) >= 2.5,
           "a segment set draws as one trace", "%s %s %s" % (segs, sub, r.stderr[:200]))

    # Many points and one spike.
    n = 100000 if SANITIZED else 300000
    big = os.path.join(tmp, "big.csv")
    t0 = 1795341600 * 1000000
    with open(big, "w") as f:
        f.write("time,kind,id,name,mem_used_bytes\n")
        for i in range(n):
            v = 8 * 2**30 if i == n // 3 + 7 else 2**30 + (i % 97) * 2**20
            f.write("%d,system,system,host,%d\n" % (t0 + i * 1000000, v))
    bsvg = os.path.join(tmp, "big.svg")
    r = vitals("plot", big, "-o", bsvg, "--metric", "mem_used_bytes", "--tz", "UTC")
    size = os.path.getsize(bsvg) if r.returncode == 0 else -1
    report(0 < size < 1024 * 1024, "%d samples give an SVG under 1 MB" % n,
           "%d bytes %s" % (size, r.stderr[:200]))
    t = texts(bsvg) if size > 0 else []
    report("8 GiB" in t, "the axis reaches the one-sample spike", repr(t[:20]))
    # The spike's x: its sample is drawn at the top of the plot area.
    raw = open(bsvg).read() if size > 0 else ""
    ys = [float(y) for y in re.findall(r"[ML]?[\d.]+ ([\d.]+)", " ".join(
        re.findall(r'class="line"[^>]*d="([^"]*)"', raw)))]
    rects = re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" '
                       r'fill="#fff"', raw)
    top = float(rects[0][0]) if rects else -1
    report(ys and min(ys) <= top + 25, "the spike is drawn near the top of its panel",
           "min y %s, panel top %s" % (min(ys) if ys else None, top))

    # A log of the seeds' process logger.
    log = os.path.join(tmp, "process_C.log")
    with open(log, "w") as f:
        f.write("2019-10-31 14:09:50,000 - - 86611 - (MainThread) - INFO     - starting\n")
        for i in range(40):
            rss = 11898880 + i * 4000000
            label = ', "label": "String of %d bytes"' % (i * 1000) if i % 10 == 5 else ""
            f.write('2019-10-31 14:09:53,%03d - - 86611 - (ProcMon   ) - INFO     - '
                    'ProcessLoggingThread-JSON {"timestamp": "2019-10-31 14:09:%02d.%06d", '
                    '"memory_info": {"rss": %d, "vms": 4404228096, "pfaults": 3624, '
                    '"pageins": 0}, "cpu_times": {"user": %f, "system": 0.02, '
                    '"children_user": 0.0, "children_system": 0.0}, "elapsed_time": %f%s}\n'
                    % (i, 10 + i // 10, (i % 10) * 100000, rss, 0.07 + i * 0.05,
                       i * 0.1, label))
    lsvg = os.path.join(tmp, "log.svg")
    r = vitals("plot", log, "-o", lsvg)
    ok, why = well_formed(lsvg) if r.returncode == 0 else (False, r.stderr[:300])
    report(ok, "a process log draws", why)
    t = texts(lsvg) if ok else []
    report("Resident memory (RSS)" in t and "Virtual memory (VMS)" in t and "CPU" in t,
           "the log's panels are RSS, VMS and CPU", repr(t[:12]))
    report(markers(lsvg) == ["String of 5000 bytes", "String of 15000 bytes",
                             "String of 25000 bytes", "String of 35000 bytes"]
           if ok else False, "the log's labels are markers", repr(markers(lsvg) if ok else ""))

    # gnuplot.
    gdir = os.path.join(tmp, "gp")
    os.mkdir(gdir)
    r = vitals("plot", trace, "--gnuplot", gdir)
    report(r.returncode == 0, "--gnuplot runs", r.stderr[:300])
    dat = os.path.join(gdir, "run.parquet.dat")
    plt = os.path.join(gdir, "run.parquet.plt")
    report(os.path.exists(dat) and os.path.exists(plt), "--gnuplot writes .dat and .plt")
    if os.path.exists(dat):
        blocks = open(dat).read().split("\n\n\n")
        report(len(blocks) >= 4, "the data has one block per line", "%d blocks" % len(blocks))
    if os.path.exists(plt):
        script = open(plt).read()
        report("multiplot" in script and "'run.parquet.dat' index 0" in script,
               "the script plots the data")
    if shutil.which("gnuplot"):
        gsvg = os.path.join(gdir, "run.parquet.svg")
        ok, why = well_formed(gsvg) if os.path.exists(gsvg) else (False, "no SVG")
        report(ok, "gnuplot drew a well-formed SVG", why)
    else:
        print("note - gnuplot is not installed: its SVG is not checked")
    r = vitals("plot", trace, "--gnuplot", os.path.join(tmp, "nodir"))
    report(r.returncode == 2 and "nodir" in r.stderr, "a missing --gnuplot directory is refused",
           r.stderr[:200])

    # usage() and the manual page name the same options.
    src = os.environ.get("VITALS_SOURCE_DIR", "")
    for cmd in ("plot", "report"):
        r = vitals(cmd, "--help")
        usage = set(re.findall(r"^ +(?:-[a-z], )?(--[a-z][a-z-]*)", r.stdout, re.M))
        page = os.path.join(src, "docs", "man", "vitals-%s.1" % cmd)
        if not src or not os.path.exists(page):
            report(False, "the manual page of %s is found" % cmd, page)
            continue
        text = open(page).read()
        options = text[text.index(".SH OPTIONS"):]
        options = options[:options.index("\n.SH ", 1)]
        man = set("--" + o.replace("\\-", "-") for o in
                  re.findall(r"^\.B[IR]? .*?\\-\\-([a-z][a-z\\-]*)", options, re.M))
        report(r.returncode == 0 and r.stdout.startswith("usage: vitals %s" % cmd),
               "%s --help prints its usage" % cmd)
        report(usage == man, "%s: usage and manual page name the same options" % cmd,
               "usage only %s, manual only %s" % (sorted(usage - man), sorted(man - usage)))

    shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
