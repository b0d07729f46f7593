#!/usr/bin/python3
"""/metrics of `vitals dashboard` as Prometheus sees it.

The exposition passes `promtool check metrics` (Debian's prometheus
package); every sample belongs to a family with HELP and TYPE; values are
sane (memory total as /proc/meminfo says, CPU ratios in 0..1, one series per
core and the total); per-process series appear only for --metrics-pid /
--metrics-match, and then only for that scope. Then a real Prometheus,
started on 127.0.0.1 with a scratch configuration, scrapes the dashboard
every second, and its HTTP API returns vitals' series with the same sane
values. Everything is bounded to about 30 s; without promtool or
prometheus those checks are skipped with a message.

Prints one line per check, then "N passed, M failed".
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

VITALS = os.environ.get("VITALS_BIN", "")
results = {"passed": 0, "failed": 0}
tmp = tempfile.mkdtemp(prefix="vitals-prom-")


def report(ok, name, detail=""):
    results["passed" if ok else "failed"] += 1
    print("%s - %s%s" % ("ok" if ok else "FAIL", name, ": " + str(detail)[:500] if detail and not ok else ""),
          flush=True)


def start(*args):
    p = subprocess.Popen([VITALS, "dashboard", "--port", "0", "--quiet"] + list(args), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    port = urllib.parse.urlsplit(line.strip().split(" on ")[-1]).port
    return p, port


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        return -9


def fetch(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def parse(text):
    """Families {name: (type, help)} and samples [(name, labels, value)]."""
    fam, samples = {}, []
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, h = line[7:].partition(" ")
            fam.setdefault(name, [None, None])[1] = h
        elif line.startswith("# TYPE "):
            name, _, t = line[7:].partition(" ")
            fam.setdefault(name, [None, None])[0] = t
        elif line and not line.startswith("#"):
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$', line)
            if not m:
                samples.append((None, line, None))
                continue
            labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            samples.append((m.group(1), labels, float(m.group(3))))
    return fam, samples


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def mem_total():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def check_exposition():
    p, port = start("--metrics-pid", str(os.getpid()))
    try:
        st, ctype, text = fetch("http://127.0.0.1:%d/metrics" % port)
    finally:
        rc = stop(p)
    report(st == 200 and ctype.startswith("text/plain; version=0.0.4"), "/metrics: 200, text format 0.0.4", ctype)
    fam, samples = parse(text)
    report(all(n is not None for n, _, _ in samples), "every sample line parses",
           [l for n, l, _ in samples if n is None][:3])
    report(all(n.startswith("vitals_") for n in fam), "every family is vitals_*", [n for n in fam if not n.startswith("vitals_")])
    report(all(fam.get(n, [None, None])[0] in ("gauge", "counter") and fam[n][1] for n, _, _ in samples if n),
           "every sample has a family with HELP and TYPE")
    report(all(n.endswith("_total") == (fam[n][0] == "counter") for n in fam),
           "counters, and only counters, end in _total")
    report(not any(re.search(r"_(percent|ms|mhz|kb|per_second)(_|$)", n) for n in fam),
           "names carry base units (no percent, ms, MHz, per second)", [n for n in fam if "percent" in n])
    busy = {l["cpu"]: v for n, l, v in samples if n == "vitals_cpu_busy_ratio"}
    ncpu = os.cpu_count()
    report(len(busy) == ncpu + 1 and "total" in busy and all(0 <= v <= 1 for v in busy.values()),
           "vitals_cpu_busy_ratio: one per core and the total, in 0..1", busy)
    mt = [v for n, _, v in samples if n == "vitals_system_mem_total_bytes"]
    report(mt and abs(mt[0] - mem_total()) <= 0.01 * mem_total(), "memory total is /proc/meminfo's", mt)
    pids = {l["pid"] for n, l, v in samples if n.startswith("vitals_process_")}
    report(pids == {str(os.getpid()), str(p.pid)},
           "--metrics-pid: this process and its descendant (the server), nothing else", sorted(pids)[:10])
    rss = [v for n, l, v in samples if n == "vitals_process_rss_bytes" and l["pid"] == str(os.getpid())]
    report(rss and rss[0] > 1e6, "the scoped process's RSS in bytes", rss)
    report(rc == 0, "the server exits 0")
    if shutil.which("promtool"):
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
        report(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
               "promtool check metrics: no problem", (r.returncode, r.stdout[-400:], r.stderr[-400:]))
    else:
        print("skipped: promtool is not installed (Debian package prometheus)")

    marker = os.path.join(tmp, "marker-7f3a")
    os.symlink(shutil.which("sleep"), marker)
    child = subprocess.Popen([marker, "30"])
    p, port = start("--metrics-match", "marker-7F3A")
    try:
        st, _, text = fetch("http://127.0.0.1:%d/metrics" % port)
    finally:
        stop(p)
        child.kill()
        child.wait()
    fam, samples = parse(text)
    pids = {l["pid"] for n, l, v in samples if n and n.startswith("vitals_process_")}
    report(pids == {str(child.pid), str(p.pid)},
           "--metrics-match (any case): the matching process and the server whose command line has it",
           (sorted(pids), child.pid, p.pid))
    p, port = start()
    st, _, text = fetch("http://127.0.0.1:%d/metrics" % port)
    stop(p)
    report("vitals_process_" not in text and "vitals_cpu_busy_ratio" in text,
           "no scope: machine series only, no process series")


def check_prometheus():
    prom = shutil.which("prometheus")
    if not prom:
        print("skipped: prometheus is not installed (Debian package prometheus); the scrape test did not run")
        return
    p, port = start()
    pport = free_port()
    conf = os.path.join(tmp, "prometheus.yml")
    with open(conf, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "scrape_configs:\n  - job_name: vitals\n    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % port)
    log = open(os.path.join(tmp, "prometheus.log"), "w")
    pr = subprocess.Popen([prom, "--config.file=" + conf, "--storage.tsdb.path=" + os.path.join(tmp, "tsdb"),
                           "--web.listen-address=127.0.0.1:%d" % pport, "--log.level=warn"],
                          stdin=subprocess.DEVNULL, stdout=log, stderr=log)

    def query(expr):
        try:
            st, _, body = fetch("http://127.0.0.1:%d/api/v1/query?%s" % (pport, urllib.parse.urlencode({"query": expr})),
                                timeout=5)
            doc = json.loads(body)
            return doc["data"]["result"] if doc.get("status") == "success" else None
        except (OSError, ValueError, KeyError):
            return None

    try:
        deadline = time.time() + 30
        got = None
        while time.time() < deadline:
            got = query("vitals_system_mem_total_bytes")
            if got:
                break
            time.sleep(0.5)
        report(bool(got), "Prometheus scraped vitals within 30 s", got)
        if got:
            v = float(got[0]["value"][1])
            report(abs(v - mem_total()) <= 0.01 * mem_total(), "Prometheus: memory total as /proc/meminfo says", v)
            up = query('up{job="vitals"}')
            report(up and up[0]["value"][1] == "1", "Prometheus: the vitals target is up", up)
            busy = query('vitals_cpu_busy_ratio{cpu="total"}')
            report(busy and 0 <= float(busy[0]["value"][1]) <= 1, "Prometheus: CPU busy ratio in 0..1", busy)
            n = query("count(vitals_cpu_busy_ratio)")
            report(n and int(float(n[0]["value"][1])) == os.cpu_count() + 1,
                   "Prometheus: one CPU series per core and the total", n)
            # Two scrapes of a counter give a rate.
            deadline = time.time() + 10
            rate = None
            while time.time() < deadline:
                rate = query("sum(rate(vitals_network_rx_bytes_total[5s]))")
                if rate:
                    break
                time.sleep(1)
            report(rate and float(rate[0]["value"][1]) >= 0, "Prometheus: rate() over a vitals counter", rate)
    finally:
        pr.send_signal(signal.SIGTERM)
        try:
            pr.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pr.kill()
        log.close()
        report(stop(p) == 0, "the scraped server exits 0")
    if results["failed"]:
        with open(os.path.join(tmp, "prometheus.log")) as f:
            print(f.read()[-2000:])


def main():
    if not VITALS:
        print("VITALS_BIN is not set")
        return 1
    check_exposition()
    check_prometheus()
    shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
