#!/usr/bin/python3
"""The dashboard's JSON API (docs/api.md) against a real `vitals dashboard`.

A server is started on 127.0.0.1 with --port 0 (it prints the port it got)
over a scratch data directory holding a hand-made CSV trace with a known
spike, plus a --datafile; then every endpoint is exercised as the web page
and scripts use it: series reduced to N buckets keep the spike (min/max),
events are added and imported all or nothing, tracing starts, streams
samples live, takes a snapshot and stops into a valid file; and what a
hostile client sends gets a 4xx JSON error: missing or wrong token, names
that escape the data directory, symbolic links, oversize bodies, malformed
JSON and CSV, path traversal on static files. The server must answer to
the end and exit 0 on SIGTERM.

Prints one line per check, then "N passed, M failed".
"""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

import dashserver
from dashserver import Results

VITALS = os.environ.get("VITALS_BIN", "")
TOKEN = "test-token-123"
results = Results(400)
report = results.report
tmp = tempfile.mkdtemp(prefix="vitals-dash-")
data = os.path.join(tmp, "data")
outside = os.path.join(tmp, "outside")
assets = os.path.join(tmp, "assets")
T0 = 1764547200000000  # 2025-12-01T00:00:00Z in microseconds


def Server(*args, env=None):
    return dashserver.Server(VITALS, *args, token=TOKEN, env=env)


def q(**params):
    return urllib.parse.urlencode(params, doseq=True)


def make_csv_trace(path):
    """1000 rows of cpu 'total' at 1 s: busy 10, one spike of 99 at row 500; disk sda ("main disk") at 20."""
    with open(path, "w") as f:
        f.write("time,kind,id,name,busy_percent\n")
        for i in range(1000):
            t = T0 + i * 1000000
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t // 1000000)) + "Z"
            f.write("%s,cpu,total,total,%s\n" % (stamp, "99" if i == 500 else "10"))
            f.write("%s,disk,sda,main disk,20\n" % stamp)


def is_error(doc, status):
    return (isinstance(doc, dict) and isinstance(doc.get("error"), dict)
            and doc["error"].get("status") == status and doc["error"].get("message"))


def check_basics(s):
    st, doc, _, _ = s.get("/api/health")
    report(st == 200 and doc == {"ok": True, "version": doc.get("version") if doc else None},
           "health answers ok", doc)
    st, doc, _, _ = s.get("/api/info")
    report(st == 200 and doc["data_dir"] == os.path.realpath(data) and doc["tracing"]["active"] is False
           and doc["limits"]["points"] == 10000, "info: data dir, limits, tracing off", doc)
    st, doc, _, _ = s.get("/api/files")
    ids = [f["id"] for f in doc["files"]] if doc else []
    report(st == 200 and ids == ["rec.parquet", "spike.csv", "datafile:0"],
           "files: the data dir's traces by name, then the datafile", ids)
    report(not any(f["id"] == "notes.txt" or f["id"].startswith("link") for f in doc["files"]),
           "files: no non-trace file, no symbolic link", ids)


def check_trace_and_series(s):
    st, doc, _, _ = s.get("/api/trace?" + q(file="spike.csv"))
    report(st == 200 and doc["first_time"] == T0 and doc["last_time"] == T0 + 999 * 1000000
           and "busy_percent" in doc["columns"], "trace: time span and columns", doc)
    st, doc, _, _ = s.get("/api/entities?" + q(file="spike.csv"))
    kinds = {k["kind"]: k for k in doc["kinds"]} if doc else {}
    report(st == 200 and set(kinds) == {"cpu", "disk"}
           and kinds["cpu"]["entities"][0]["id"] == "total" and kinds["cpu"]["entities"][0]["rows"] == 1000
           and any(m["name"] == "busy_percent" and m["unit"] == "percent" for m in kinds["cpu"]["metrics"]),
           "entities: kinds, ids, rows and metrics", doc)
    st, doc, _, _ = s.get("/api/entities?" + q(file="spike.csv", kind="cpu", **{"from": T0 + 100 * 1000000,
                                                                               "to": T0 + 199 * 1000000}))
    e = doc["kinds"][0]["entities"][0] if st == 200 and doc["kinds"] else {}
    report(e.get("rows") == 100 and e.get("first_time") == T0 + 100 * 1000000,
           "entities of a time range: only its rows", e)
    st, doc, _, _ = s.get("/api/series?" + q(file="spike.csv", kind="cpu", metric="busy_percent", points=10))
    ser = doc["series"][0] if doc and doc.get("series") else {}
    report(st == 200 and len(doc["series"]) == 1 and len(ser["t"]) == 10 and doc["bucket_us"] == 99900001
           and ser["t"][0] == T0 and all(b > a for a, b in zip(ser["t"], ser["t"][1:])),
           "series: 1000 rows reduced to 10 buckets of (span + 1 us) / 10", doc and {k: doc[k] for k in ("bucket_us", "points")})
    report(max(ser.get("max", [0])) == 99 and min(ser.get("min", [0])) == 10
           and ser["max"].count(99) == 1 and sum(ser["count"]) == 1000,
           "series: the one-row spike survives as a bucket's max; min stays 10", ser.get("max"))
    mean5 = ser["mean"][5] if ser else None
    report(mean5 is not None and abs(mean5 - (99 + 99 * 10) / 100) < 1e-9,
           "series: the spike's bucket mean is the mean of its 100 rows", mean5)
    frm, to = T0 + 100 * 1000000, T0 + 199 * 1000000
    st, doc, _, _ = s.get("/api/series?" + q(file="spike.csv", kind="cpu", metric="busy_percent",
                                              points=1000, **{"from": frm, "to": to}))
    ser = doc["series"][0] if doc and doc.get("series") else {}
    report(st == 200 and len(ser.get("t", [])) == 100 and ser["t"][0] == frm and ser["t"][-1] == to,
           "series: from/to select exactly the rows in the range", ser.get("t", [])[:3])
    # One entity: the whole range read once, then a zoom inside it from the points kept in memory.
    s.get("/api/series?" + q(file="spike.csv", kind="cpu", metric="busy_percent", id="total", points=7))
    st, zdoc, _, _ = s.get("/api/series?" + q(file="spike.csv", kind="cpu", metric="busy_percent", id="total",
                                               points=1000, **{"from": frm, "to": to}))
    zser = zdoc["series"][0] if zdoc and zdoc.get("series") else {}
    report(st == 200 and all(zser.get(k) == ser.get(k) for k in ("t", "min", "max", "mean", "count"))
           and zdoc["rows_read"] == 100,
           "series: a zoom served from the points of an earlier read equals the read", zdoc and zdoc.get("rows_read"))
    st, doc, _, _ = s.get("/api/series?" + q(file="spike.csv", kind="cpu", metric="busy_percent",
                                              **{"from": "2025-12-01T00:08:20Z", "to": "2025-12-01T00:08:20Z"}))
    ser = doc["series"][0] if doc and doc.get("series") else {}
    report(st == 200 and ser.get("max") == [99], "series: RFC 3339 times select the spike's second", ser)
    st, doc, _, _ = s.get("/api/series?" + q(file="spike.csv", kind="disk", metric="busy_percent", id=["sda", "nvme9"]))
    ids = [x["id"] for x in doc["series"]] if doc else []
    report(st == 200 and ids == ["sda", "nvme9"] and doc["series"][1]["t"] == [],
           "series: asked ids in order; an absent one is empty", ids)
    names = [x.get("name") for x in doc["series"]] if doc else []
    report(names == ["main disk", "nvme9"], "series: each names its entity (the id when the file has no name)", names)
    st, doc, _, _ = s.get("/api/series?" + q(file="datafile:0", kind="cpu", metric="busy_percent", id="total", points=50))
    ser = doc["series"][0] if doc and doc.get("series") else {}
    vals = [v for v in ser.get("max", []) if v is not None]
    report(st == 200 and len(ser.get("t", [])) >= 2 and all(0 <= v <= 100 for v in vals),
           "series of a recorded Parquet datafile: busy percent in 0..100", ser)


def check_bad_requests(s):
    cases = [
        ("/api/series?" + q(file="spike.csv", metric="busy_percent"), 400, "kind"),
        ("/api/series?" + q(file="spike.csv", kind="cpu"), 400, "metric"),
        ("/api/series?" + q(file="spike.csv", kind="nope", metric="x"), 400, "kind"),
        ("/api/series?" + q(file="spike.csv", kind="cpu", metric="busy_percent", points=0), 400, "points"),
        ("/api/series?" + q(file="spike.csv", kind="cpu", metric="busy_percent", points="1e3"), 400, "points"),
        ("/api/series?" + q(file="spike.csv", kind="cpu", metric="busy_percent", **{"from": "yesterday"}), 400, "from"),
        ("/api/series?" + q(file="spike.csv", kind="cpu", metric="busy_percent", **{"from": T0 + 5, "to": T0}), 400, "after"),
        ("/api/series?" + q(file="spike.csv", kind="cpu", metric="no_such_metric"), 400, "no_such_metric"),
        ("/api/series?" + q(file="spike.csv", kind="cpu", metric=["busy_percent"] * 2), 400, "repeated"),
        ("/api/series?" + q(kind="cpu", metric="busy_percent"), 400, "file"),
        ("/api/series?" + q(file="nope.csv", kind="cpu", metric="busy_percent"), 404, "nope.csv"),
        ("/api/trace?" + q(file="../outside/secret.csv"), 404, "no such file"),
        ("/api/trace?" + q(file="/etc/passwd"), 404, "no such file"),
        ("/api/trace?" + q(file="link-out.csv"), 404, "no such file"),
        ("/api/entities?" + q(file="spike.csv", kind="bogus"), 400, "kind"),
        ("/api/proctree?pid=abc", 400, "pid"),
        ("/api/proctree?pid=4194304", 404, "4194304"),
        ("/api/pids", 400, "q"),
        ("/api/pids?" + q(q="x" * 300), 400, "256"),
        ("/api/leaks?" + q(file="spike.csv", min_confidence=2), 400, "min_confidence"),
        ("/api/nothing", 404, "endpoint"),
        ("/api/live?pid=0", 400, "pid"),
    ]
    for path, status, word in cases:
        st, doc, _, _ = s.get(path)
        report(st == status and is_error(doc, status) and word in doc["error"]["message"],
               "GET %s -> %d naming %s" % (path[:70], status, word), (st, doc))
    st, doc, _, r = s.request("PUT", "/api/files")
    report(st == 405 and "GET" in (r.getheader("Allow") or ""), "PUT on a GET endpoint: 405 with Allow", st)
    st, doc, _, r = s.request("GET", "/api/tracing/start")
    report(st == 405 and r.getheader("Allow") == "POST", "GET on a POST endpoint: 405, Allow: POST", st)


def check_token_and_names(s):
    body = {"output": "x.parquet"}
    st, doc, _, _ = s.request("POST", "/api/tracing/start", body)
    report(st == 401 and is_error(doc, 401) and "missing" in doc["error"]["message"], "start without the token: 401", doc)
    st, doc, _, _ = s.request("POST", "/api/tracing/start", body, headers={"X-Vitals-Token": "wrong-token"})
    report(st == 401 and "wrong" in doc["error"]["message"], "start with a wrong token: 401", doc)
    st, doc, _, _ = s.request("POST", "/api/events?" + q(file="spike.csv"), {"text": "x"})
    report(st == 401, "adding an event needs the token", st)
    st, _, _, _ = s.request("POST", "/api/tracing/stop", {}, headers={"Authorization": "Bearer " + TOKEN})
    report(st == 409, "Authorization: Bearer is taken (stop while not tracing: 409)", st)
    st, _, _, _ = s.request("POST", "/api/tracing/snapshot?" + q(token=TOKEN), {})
    report(st == 409, "?token= is taken (snapshot while not tracing: 409)", st)
    for name, status in [("../escape.parquet", 400), ("/tmp/abs.parquet", 400), ("sub/x.parquet", 400),
                         (".hidden.parquet", 400), ("trace.txt", 400), ("", 400), ("a" * 300 + ".csv", 400),
                         ("nul\u0000.csv", 400), ("link-out.csv", 409), ("adir.parquet", 409)]:
        st, doc, _, _ = s.request("POST", "/api/tracing/start", {"output": name}, token=True)
        report(st == status and is_error(doc, status), "start with output %r: %d" % (name[:40], status), (st, doc))
    report(not os.path.exists(os.path.join(tmp, "escape.parquet")) and not os.path.exists("/tmp/abs.parquet")
           and open(os.path.join(outside, "secret.csv")).read() == "keep\n",
           "nothing was written outside the data directory")
    for body, word in [({"output": "a.parquet", "sample_interval": 0}, "sample_interval"),
                       ({"output": "a.parquet", "sample_interval": "1"}, "sample_interval"),
                       ({"output": "a.parquet", "sample_interval": 2, "write_interval": 1}, "write_interval"),
                       ({"output": "a.parquet", "gpu": 1}, "gpu"),
                       ({"output": "a.parquet", "colour": "red"}, "colour"),
                       ([1, 2], "object")]:
        st, doc, _, _ = s.request("POST", "/api/tracing/start", body, token=True)
        report(st == 400 and word in doc["error"]["message"], "start with %s: 400 naming %s" % (json.dumps(body)[:60], word), doc)
    st, doc, _, _ = s.request("POST", "/api/tracing/start", "{\"output\": ", token=True,
                              headers={"Content-Type": "application/json"})
    report(st == 400 and "not JSON" in doc["error"]["message"], "truncated JSON: 400", doc)
    st, doc, _, _ = s.request("POST", "/api/tracing/start", "output=a.parquet", token=True,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    report(st == 415, "a form body: 415", st)
    big = json.dumps({"output": "a.parquet", "pad": "x" * 70000})
    st, doc, _, _ = s.request("POST", "/api/tracing/start", big, token=True, headers={"Content-Type": "application/json"})
    report(st == 413 and is_error(doc, 413), "a 70 KB JSON body: 413", st)
    ans = raw_exchange(s, ("POST /api/events/import?file=spike.csv HTTP/1.1\r\nHost: x\r\nX-Vitals-Token: %s\r\n"
                           "Content-Type: text/csv\r\nContent-Length: 5000000\r\n\r\n" % TOKEN).encode() + b"x" * 65536)
    report(ans.startswith(b"HTTP/1.1 413"), "a 5 MB CSV: 413 before the body is read", ans[:60])
    chunks = b"".join(b"%x\r\n%s\r\n" % (60000, b"y" * 60000) for _ in range(80)) + b"0\r\n\r\n"
    ans = raw_exchange(s, ("POST /api/events/import?file=spike.csv HTTP/1.1\r\nHost: x\r\nX-Vitals-Token: %s\r\n"
                           "Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n" % TOKEN).encode() + chunks)
    report(ans.startswith(b"HTTP/1.1 413"), "a 4.8 MB chunked CSV (no length): 413", ans[:60])
    deep = "[" * 100 + "]" * 100
    st, doc, _, _ = s.request("POST", "/api/events?" + q(file="spike.csv"), deep, token=True,
                              headers={"Content-Type": "application/json"})
    report(st == 400 and "deep" in doc["error"]["message"], "JSON nested 100 deep: 400", doc)


def events_of(s, fid):
    st, doc, _, _ = s.get("/api/events?" + q(file=fid))
    return doc["events"] if st == 200 else None


def check_events(s):
    st, doc, _, _ = s.request("POST", "/api/events?" + q(file="rec.parquet"),
                              {"text": "deploy\tv2", "time": "2025-12-01T00:01:00Z", "fields": {"by": "ops"}}, token=True)
    report(st == 201 and doc == {"added": 1, "file": "rec.parquet"}, "add an event: 201", doc)
    st, doc, _, _ = s.request("POST", "/api/events?" + q(file="spike.csv"), {"text": "x"}, token=True)
    report(st == 422 and "spike.csv" in doc["error"]["message"],
           "an event into a trace of other columns: 422 naming the file", doc)
    ev = events_of(s, "rec.parquet")
    report(ev == [{"time": T0 + 60000000, "source": "api", "text": "deploy v2", "fields": {"by": "ops"}}],
           "the event is in the file, tab made a space, with its fields", ev)
    for body, word in [({"time": 5}, "text"), ({"text": ""}, "text"), ({"text": "x", "time": "noon"}, "time"),
                       ({"text": "x", "fields": {"a": 1}}, "fields"), ({"text": "x", "when": 1}, "when")]:
        st, doc, _, _ = s.request("POST", "/api/events?" + q(file="rec.parquet"), body, token=True)
        report(st == 400 and word in doc["error"]["message"], "event %s: 400 naming %s" % (json.dumps(body), word), doc)
    good = "timestamp,event\n2025-12-01T00:02:00Z,first\n%d,\"second, quoted \"\"x\"\"\"\n" % (T0 + 180000000)
    st, doc, _, _ = s.request("POST", "/api/events/import?" + q(file="rec.parquet"), good, token=True,
                              headers={"Content-Type": "text/csv"})
    report(st == 201 and doc["added"] == 2, "import 2 events: 201", doc)
    ev = events_of(s, "rec.parquet") or []
    report([e["text"] for e in ev] == ["deploy v2", "first", 'second, quoted "x"'] and ev[1]["source"] == "import",
           "imported events in time order, quotes read as CSV", ev)
    bad = "event,timestamp\nok,2025-12-01T00:03:00Z\nbad,yesterday\nok2,2025-12-01T00:04:00Z\n"
    st, doc, _, _ = s.request("POST", "/api/events/import?" + q(file="rec.parquet"), bad, token=True,
                              headers={"Content-Type": "text/csv"})
    report(st == 400 and doc["error"].get("line") == 3 and "line 3" in doc["error"]["message"]
           and "nothing was imported" in doc["error"]["message"], "a bad line 3: 400 naming line 3", doc)
    report(len(events_of(s, "rec.parquet") or []) == 3, "all or nothing: no event of the bad CSV was added")
    st, doc, _, _ = s.request("POST", "/api/events/import?" + q(file="rec.parquet"), "when,what\n1,x\n", token=True,
                              headers={"Content-Type": "text/csv"})
    report(st == 400 and doc["error"].get("line") == 1, "a CSV without event,timestamp header: 400 line 1", doc)


def read_sse(s, n_samples, timeout=20, pid=None):
    """Read server-sent events until N samples came; returns the list of (event, data)."""
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=timeout)
    c.request("GET", "/api/live" + ("?pid=%d" % pid if pid else ""))
    r = c.getresponse()
    out, ev, data, samples = [], None, [], 0
    deadline = time.time() + timeout
    ctype = r.getheader("Content-Type")
    while samples < n_samples and time.time() < deadline:
        line = r.fp.readline().decode()
        if not line:
            break
        line = line.rstrip("\n")
        if line.startswith("event: "):
            ev = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and ev:
            out.append((ev, json.loads("".join(data))))
            samples += ev == "sample"
            ev, data = None, []
    c.close()
    return ctype, out


def file_id(p):
    """What changes when P is rewritten or replaced: inode, size, mtime; None if absent."""
    try:
        st = os.stat(p)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def check_tracing(s):
    st, doc, _, _ = s.request("POST", "/api/tracing/start",
                              {"output": "live.parquet", "sample_interval": 0.2, "write_interval": 1,
                               "gpu": False, "containers": False}, token=True)
    report(st == 201 and doc["active"] and doc["file"] == "live.parquet" and doc["sample_interval"] == 0.2,
           "start tracing: 201 with the status", doc)
    st, doc, _, _ = s.request("POST", "/api/tracing/start", {"output": "other.parquet"}, token=True)
    report(st == 409 and "already" in doc["error"]["message"], "a second start: 409", doc)
    ctype, msgs = read_sse(s, 4, pid=os.getpid())
    samples = [d for e, d in msgs if e == "sample"]
    report(ctype.startswith("text/event-stream") and msgs and msgs[0][0] == "hello"
           and msgs[0][1]["tracing"]["active"], "live stream: text/event-stream, hello with the status", msgs[:1])
    times = [d["time"] for d in samples]
    report(len(samples) == 4 and times == sorted(times) and len(set(times)) == 4
           and all(0.1e6 < b - a < 0.5e6 for a, b in zip(times, times[1:])),
           "live stream: 4 samples about 0.2 s apart", times)
    ents = samples[-1]["entities"] if samples else []
    cpu = [e for e in ents if e["kind"] == "cpu" and e["id"] == "total"]
    me = [e for e in ents if e["kind"] == "process" and e["id"] == str(os.getpid())]
    report(cpu and 0 <= cpu[0]["values"]["busy_percent"] <= 100 and me and me[0]["values"]["rss_bytes"] > 1e6,
           "live sample: cpu total busy percent and the asked process's RSS", (cpu, me))
    st, doc, _, _ = s.request("POST", "/api/events?" + q(file="live.parquet"), {"text": "while tracing"}, token=True)
    report(st == 201, "an event into the file being traced: 201", doc)
    series_q = "/api/series?" + q(file="live.parquet", kind="system", metric="mem_used_bytes", points=10000)
    time.sleep(1.2)
    # The tracer rewrites the file every second: the two requests must fall
    # between two writes (the file's identity unchanged around them), else
    # they are asked again; a loaded machine may need a few tries.
    live = os.path.join(data, "live.parquet")
    for tries in range(1, 21):
        before = file_id(live)
        st, doc, _, _ = s.get(series_q)
        st2, doc2, _, _ = s.get(series_q)
        same = before is not None and file_id(live) == before
        if same:
            break
    n1 = sum(doc["series"][0]["count"]) if st == 200 and doc["series"] else 0
    report(st == 200 and st2 == 200 and doc2 == doc and same,
           "the same series request twice on an unchanged file: the same answer",
           "%d tries" % tries)
    ents_q = "/api/entities?" + q(file="live.parquet", kind="system")
    st, doc, _, _ = s.get(ents_q)
    e1 = doc["kinds"][0]["entities"][0]["rows"] if st == 200 and doc["kinds"] else 0
    st, doc, _, _ = s.request("POST", "/api/tracing/snapshot", {}, token=True)
    report(st == 200 and doc["active"] and doc["rows_written"] > 0 and doc["last_write"],
           "snapshot now: the file is written at once", doc)
    st, doc, _, _ = s.get(ents_q)
    e2 = doc["kinds"][0]["entities"][0]["rows"] if st == 200 and doc["kinds"] else 0
    report(e1 > 0 and e2 > e1, "entities are read again once the file changed (%d, then %d rows)" % (e1, e2))
    st, doc, _, _ = s.get(series_q)
    n2 = sum(doc["series"][0]["count"]) if st == 200 and doc["series"] else 0
    report(n1 > 0 and n2 > n1, "after the file changed the series has the new samples (%d, then %d)" % (n1, n2))
    st, doc, _, _ = s.get("/api/series?" + q(file="live.parquet", kind="system", metric="mem_used_bytes"))
    report(st == 200 and len(doc["series"]) == 1 and len(doc["series"][0]["t"]) >= 4,
           "the file being traced is readable while tracing", doc and doc.get("series"))
    st, doc, _, _ = s.get("/api/files")
    rec = [f for f in doc["files"] if f["id"] == "live.parquet"]
    report(rec and rec[0]["recording"] is True, "files: the traced file is marked recording", rec)
    time.sleep(0.5)
    st, doc, _, _ = s.request("POST", "/api/tracing/stop", {}, token=True)
    report(st == 200 and doc["active"] is False and doc["samples"] >= 5, "stop: 200, inactive", doc)
    st, doc, _, _ = s.request("POST", "/api/tracing/stop", {}, token=True)
    report(st == 409, "stop again: 409", st)
    ev = events_of(s, "live.parquet") or []
    report(any(e["text"] == "while tracing" and e["source"] == "api" for e in ev),
           "the event sent while tracing is in the file", ev)
    st, doc, _, _ = s.get("/api/trace?" + q(file="live.parquet"))
    report(st == 200 and doc["meta"].get("vitals.command") == "vitals dashboard" and doc["sample_interval"] == 0.2
           and doc["host"], "the traced file carries its metadata", doc and doc.get("meta"))
    r = subprocess.run([VITALS, "inspect", os.path.join(data, "live.parquet")], capture_output=True, text=True)
    report(r.returncode == 0 and not os.path.exists(os.path.join(data, "live.parquet.journal")),
           "the stopped trace is valid (vitals inspect) and its journal is gone", r.stderr[-300:])
    st, doc, _, _ = s.get("/api/leaks?" + q(file="live.parquet"))
    report(st == 200 and isinstance(doc["items"], list) and doc["analysed"] >= 0, "leaks of the traced file: 200", doc)


def check_live_machine(s):
    st, doc, _, _ = s.get("/api/proctree?pid=%d" % os.getppid())
    pids = [p["pid"] for p in doc["processes"]] if doc else []
    report(st == 200 and pids and pids[0] == os.getppid() and os.getpid() in pids and s.p.pid in pids,
           "proctree under our parent holds this test and the server", pids[:10])
    st, doc, _, _ = s.get("/api/proctree?pid=%d&depth=0" % os.getppid())
    report(st == 200 and doc["count"] == 1 and doc["processes"][0]["subtree_processes"] >= 3,
           "proctree depth 0: the process alone, with its subtree totals", doc)
    me = [p for p in (doc or {}).get("processes", [])]
    st, doc, _, _ = s.get("/api/pids?" + q(q="test_dashboard_api"))
    found = [m["pid"] for m in doc["matches"]] if doc else []
    report(st == 200 and os.getpid() in found, "PID finder finds this test by its command line", found)
    st, doc, _, _ = s.get("/api/pids?" + q(q=str(s.p.pid)))
    report(st == 200 and s.p.pid in [m["pid"] for m in doc["matches"]], "PID finder finds a pid", doc)
    st, _, raw, r = s.get("/metrics")
    report(st == 200 and r.getheader("Content-Type").startswith("text/plain; version=0.0.4")
           and b"# TYPE vitals_cpu_busy_ratio gauge" in raw and b"vitals_process_" not in raw,
           "/metrics: exposition format, no process series without a scope", raw[:200])
    del me


def check_static(s):
    st, _, raw, r = s.get("/")
    report(st == 200 and raw == b"<html>page</html>\n" and r.getheader("Content-Type").startswith("text/html"),
           "/ serves the assets' index.html as text/html", raw[:100])
    st, _, raw, r = s.get("/js/app.js")
    report(st == 200 and r.getheader("Content-Type").startswith("text/javascript"), "a .js file as JavaScript", st)
    for path in ["/../outside/secret.csv", "/%2e%2e/outside/secret.csv", "/js/../../outside/secret.csv",
                 "/leak.txt", "/js/.hidden", "/a\\b", "/missing.css", "/x" * 20]:
        st, doc, raw, _ = s.get(path)
        report(st in (400, 404) and b"keep" not in raw, "static %s refused (%d)" % (path[:40], st), raw[:80])


def raw_exchange(s, raw):
    import socket
    so = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    ans = b""
    try:
        so.sendall(raw)
    except OSError:
        pass
    try:
        while len(ans) < 4096:
            b = so.recv(4096)
            if not b:
                break
            ans += b
            if b"\r\n\r\n" in ans:
                break
    except OSError:
        pass
    so.close()
    return ans


def check_robust(s):
    for raw in [b"GET /api/health HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"a" * 200000 + b"\r\n\r\n",
                b"GARBAGE\r\n\r\n", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                b"POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"]:
        import socket
        so = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        try:
            so.sendall(raw)
            ans = so.recv(200)
        except OSError:
            ans = b""
        so.close()
        report(not ans or ans.startswith(b"HTTP/1.1 4"), "malformed request %r...: a 4xx or a closed connection" % raw[:20],
               ans[:60])
    st, _, _, _ = s.get("/api/health")
    report(st == 200, "the server still answers after malformed requests", st)
    # Live streams are capped at 16; a stream whose client left is freed within seconds.
    import socket
    socks = []
    for _ in range(16):
        so = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        so.sendall(b"GET /api/live HTTP/1.1\r\nHost: x\r\n\r\n")
        socks.append((so, so.recv(64)))
    report(all(a.startswith(b"HTTP/1.1 200") for _, a in socks), "16 live streams open")
    st, doc, _, _ = s.get("/api/live")
    report(st == 503 and is_error(doc, 503), "a 17th live stream: 503", st)
    for so, _ in socks:
        so.close()
    ok = False
    deadline = time.time() + 15
    while time.time() < deadline and not ok:
        time.sleep(1)
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        c.request("GET", "/api/live")
        r = c.getresponse()
        ok = r.status == 200
        c.close()
    report(ok, "streams of clients that left are freed: a new stream opens again")


def main():
    if not VITALS:
        print("VITALS_BIN is not set")
        return 1
    os.makedirs(data)
    os.makedirs(outside)
    os.makedirs(os.path.join(assets, "js"))
    os.makedirs(os.path.join(data, "adir.parquet"))
    make_csv_trace(os.path.join(data, "spike.csv"))
    with open(os.path.join(data, "notes.txt"), "w") as f:
        f.write("not a trace\n")
    with open(os.path.join(outside, "secret.csv"), "w") as f:
        f.write("keep\n")
    os.symlink(os.path.join(outside, "secret.csv"), os.path.join(data, "link-out.csv"))
    with open(os.path.join(assets, "index.html"), "w") as f:
        f.write("<html>page</html>\n")
    with open(os.path.join(assets, "js", "app.js"), "w") as f:
        f.write("console.log(1);\n")
    with open(os.path.join(assets, "js", ".hidden"), "w") as f:
        f.write("keep\n")
    os.symlink(os.path.join(outside, "secret.csv"), os.path.join(assets, "leak.txt"))
    rec = os.path.join(outside, "recorded.parquet")
    r = subprocess.run([VITALS, "record", "-o", rec, "--quiet", "--sample-interval", "0.25", "--duration", "1.5",
                        "--processes", "none", "--no-containers", "--no-gpu"], capture_output=True, text=True, timeout=60)
    report(r.returncode == 0, "a datafile recorded by vitals record", r.stderr[-300:])
    shutil.copy(rec, os.path.join(data, "rec.parquet"))

    s = Server("--data-dir", data, "--datafile", rec, "--token", TOKEN, env={"VITALS_ASSETS": assets})
    report(s.port and s.line.startswith("vitals dashboard on http://127.0.0.1:") and "token=" + TOKEN in s.line,
           "prints its URL with the chosen port and the token", s.line)
    try:
        check_basics(s)
        check_trace_and_series(s)
        check_bad_requests(s)
        check_token_and_names(s)
        check_events(s)
        check_tracing(s)
        check_live_machine(s)
        check_static(s)
        check_robust(s)
    finally:
        rc = s.stop()
        err = s.p.stderr.read()
    report(rc == 0, "SIGTERM: exits 0", err[-500:])
    report("ERROR: AddressSanitizer" not in err and "runtime error" not in err, "no sanitizer report", err[-500:])

    # Without --token a token is generated and printed; without --data-dir tracing is refused.
    s2 = Server()
    tok = urllib.parse.parse_qs(urllib.parse.urlsplit(s2.url).query).get("token", [""])[0]
    report(len(tok) >= 16, "a generated token is printed in the URL", s2.line)
    st, doc, _, _ = s2.request("POST", "/api/tracing/start", {"output": "x.parquet"}, headers={"X-Vitals-Token": tok})
    report(st == 409 and "--data-dir" in doc["error"]["message"], "tracing without --data-dir: 409 saying so", doc)
    st, _, raw, _ = s2.get("/")
    report(st == 200 and b"not installed" in raw or b"<html" in raw, "/ answers a page with or without assets", raw[:80])
    report(s2.stop() == 0, "second server exits 0")
    r = subprocess.run([VITALS, "dashboard", "--port", "70000"], capture_output=True, text=True, timeout=10)
    report(r.returncode == 2 and "--port" in r.stderr, "a bad --port: exit 2 naming it", r.stderr)
    r = subprocess.run([VITALS, "dashboard", "--token", "short"], capture_output=True, text=True, timeout=10)
    report(r.returncode == 2 and "--token" in r.stderr, "a short --token: exit 2", r.stderr)
    r = subprocess.run([VITALS, "dashboard", "--datafile", "notes.txt"], capture_output=True, text=True, timeout=10)
    report(r.returncode == 2 and "notes.txt" in r.stderr, "a --datafile that is not a trace: exit 2 naming it", r.stderr)
    r = subprocess.run([VITALS, "dashboard", "--trace", "x.parquet"], capture_output=True, text=True, timeout=10)
    report(r.returncode == 2 and "--data-dir" in r.stderr, "--trace without --data-dir: exit 2", r.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    return results.summary()


if __name__ == "__main__":
    sys.exit(main())
