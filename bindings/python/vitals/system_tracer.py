"""The machine's state (collector.h) and recording it (record.h).

Mirrors system_monitor.system_tracer, so
`from system_monitor.system_tracer import collect_system_snapshot, monitor_to_parquet`
becomes `from vitals.system_tracer import ...` (or `from vitals import ...`).
"""
import ctypes
import datetime
import math
import os
import time
import warnings
from ctypes import byref, c_double, c_int64, c_void_p

from . import _lib
from ._lib import VitalsError

__all__ = ["collect_system_snapshot", "monitor_to_parquet", "VitalsError"]

# What the seed's flags turn on; "docker" containers are vitals' cgroup kind.
_OPTIONAL = (("gpu", "enable_gpu"), ("cgroup", "enable_docker"))
SNAPSHOT_INTERVAL = 0.25  # seconds between the two samples of a snapshot


class _Collector:
    """A vitals_collector, freed by close() or at the end of a with block."""

    def __init__(self, enable_gpu=False, enable_docker=False):
        dll = self.dll = _lib.lib()
        kinds = _lib.kinds()
        o = _lib.CollectorOptions()
        dll.vitals_collector_options_init(byref(o))
        flags = {"enable_gpu": enable_gpu, "enable_docker": enable_docker}
        self.optional = {}
        for kind, flag in _OPTIONAL:
            self.optional[kind] = flag if not flags[flag] else None
            if kind in kinds:
                if flags[flag]:
                    o.sources |= 1 << kinds[kind][0]
                else:  # on by default in the library: off unless asked for
                    o.sources &= ~(1 << kinds[kind][0])
        self.sources = o.sources
        handle, err = c_void_p(), _lib.errbuf()
        rc = dll.vitals_collector_new(byref(handle), byref(o), err, _lib.ERRBUF)
        if rc != _lib.OK:
            _lib.fail(rc, err)
        self.h = handle.value

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        if self.h:
            self.dll.vitals_collector_free(self.h)
            self.h = None

    def sample(self):
        rc = self.dll.vitals_collector_sample(self.h)
        if rc < 0:
            _lib.fail(rc, _lib.text(self.dll.vitals_collector_errmsg(self.h)))

    def wanted(self, kind):
        k = _lib.kinds()[kind][0]
        return bool(self.sources & (1 << k))

    def source(self, kind):
        """None when KIND's source runs, else the reason it does not."""
        if self.optional.get(kind):
            return "not requested (%s=False)" % self.optional[kind]
        reason = ctypes.c_char_p()
        rc = self.dll.vitals_collector_source_status(self.h, _lib.kinds()[kind][0],
                                                     byref(reason))
        return None if rc == _lib.OK else (_lib.text(reason.value) or _lib.strerror(rc))

    def entities(self, kind):
        """Every entity of KIND in the last sample, as dicts of id, name,
        attributes and metrics (None where missing)."""
        dll = self.dll
        k, metrics, attrs = _lib.kinds()[kind]
        real, whole = c_double(), c_int64()
        preal, pwhole = byref(real), byref(whole)
        value, integer = dll.vitals_entity_value, dll.vitals_entity_int
        out = []
        for i in range(dll.vitals_collector_count(self.h, k)):
            e = dll.vitals_collector_entity(self.h, k, i)
            if not e:
                continue
            d = {"id": _lib.text(dll.vitals_entity_id(e)),
                 "name": _lib.text(dll.vitals_entity_name(e))}
            for j, a in enumerate(attrs):
                d[a] = _lib.text(dll.vitals_entity_attr(e, j))
            for j, (m, is_int) in enumerate(metrics):
                if is_int:
                    rc, v = integer(e, j, pwhole), whole
                else:
                    rc, v = value(e, j, preal), real
                if rc == _lib.OK:
                    d[m] = v.value
                elif rc == _lib.E_MISSING:
                    d[m] = None
                else:
                    _lib.fail(rc, "%s %s: metric %s: %s" % (kind, d["id"], m, _lib.strerror(rc)))
            out.append(d)
        return out

    def host(self):
        return _lib.text(self.dll.vitals_collector_hostname(self.h))


def _iso_utc(us):
    t = datetime.datetime.fromtimestamp(us // 1000000, tz=datetime.timezone.utc)
    return t.replace(microsecond=us % 1000000).isoformat()


def collect_system_snapshot(enable_gpu=False, enable_docker=False):
    """A dict of the machine now, from two samples SNAPSHOT_INTERVAL apart
    (so rates and percentages are real):

      'timestamp'  ISO 8601 UTC time of the second sample
      'host', 'kernel', 'boot_id', 'interval_seconds'
      'system'     {metric: value}
      'cpu', 'psi', 'disk', 'net', 'fs'
                   [{'id', 'name', attributes..., metrics...}]
      'process'    [{'pid', 'name', 'cmdline', 'user', 'state', metrics...}]
      'gpu', 'cgroup'  the same, only when enable_gpu / enable_docker asks
      'sources'    {kind: None when its source runs, else the reason it does not}

    Metric keys are the names of vitals_metric_list() (docs/schema.md), with
    their units in them ('rss_bytes', 'cpu_percent'); a value that is not
    known is None, never 0.
    """
    with _Collector(enable_gpu, enable_docker) as c:
        c.sample()
        time.sleep(SNAPSHOT_INTERVAL)
        c.sample()
        dll = c.dll
        snap = {
            "timestamp": _iso_utc(dll.vitals_collector_time(c.h)),
            "host": c.host(),
            "kernel": _lib.text(dll.vitals_collector_kernel(c.h)),
            "boot_id": _lib.text(dll.vitals_collector_boot_id(c.h)),
            "interval_seconds": dll.vitals_collector_interval(c.h),
        }
        sources = {}
        for kind in _lib.kinds():
            optional = kind in c.optional
            if not c.wanted(kind) and not optional:
                continue
            sources[kind] = c.source(kind)
            if not c.wanted(kind):
                continue
            rows = c.entities(kind)
            if kind == "system":
                system = rows[0] if rows else {}
                system.pop("id", None)
                system.pop("name", None)
                snap[kind] = system
            elif kind == "process":
                procs = []
                for p in rows:
                    d = {"pid": int(p.pop("id"))}
                    d.update(p)
                    procs.append(d)
                snap[kind] = procs
            else:
                snap[kind] = rows
        snap["sources"] = sources
    return snap


# ---- recording ------------------------------------------------------------------------


def _local_zone():
    """The IANA name of the local zone, as `vitals record` finds it."""
    tz = os.environ.get("TZ")
    if tz:
        return tz[1:] if tz.startswith(":") else tz
    try:
        link = os.readlink("/etc/localtime")
        if "zoneinfo/" in link:
            return link.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    try:
        with open("/etc/timezone") as f:
            zone = f.readline().strip()
            if zone:
                return zone
    except OSError:
        pass
    return "UTC"


def monitor_to_parquet(output_file="vitals.parquet", sample_interval=2, write_interval=10,
                       duration=None, processes=True, enable_gpu=False, enable_docker=False,
                       stop=None):
    """Record the machine like `vitals record` into OUTPUT_FILE (.parquet,
    .csv or .jsonl): a sample every SAMPLE_INTERVAL seconds on a steady
    schedule (a slow sample skips a slot, never shifts the ones after), the
    file rewritten atomically every WRITE_INTERVAL seconds, each sample in a
    journal beside it in between (a crash loses at most one sample). An
    existing file is continued.

    Runs for DURATION seconds (DURATION / SAMPLE_INTERVAL samples, the first
    at once), or, with None, until KeyboardInterrupt or until STOP (a
    threading.Event) is set; either way it writes the file, removes the
    journal and returns {'output_file', 'samples', 'bytes', 'interrupted'}.
    PROCESSES=False leaves out the per-process rows; ENABLE_GPU and
    ENABLE_DOCKER ask for the gpu and cgroup sources (absent in this build).
    """
    sample_interval = float(sample_interval)
    write_interval = float(write_interval)
    if not (sample_interval > 0 and math.isfinite(sample_interval)):
        raise ValueError("sample_interval must be a positive number of seconds")
    if not (write_interval > 0 and math.isfinite(write_interval)):
        raise ValueError("write_interval must be a positive number of seconds")
    if duration is not None and not float(duration) > 0:
        raise ValueError("duration must be a positive number of seconds, or None")
    dll = _lib.lib()
    path = os.fspath(output_file)
    trace, batch, rec = c_void_p(), c_void_p(), None
    result = {"output_file": path, "samples": 0, "bytes": 0, "interrupted": False}
    with _Collector(enable_gpu, enable_docker) as col:
        try:
            rc = dll.vitals_trace_new(byref(trace))
            if rc == _lib.OK:
                rc = dll.vitals_batch_new(byref(batch), dll.vitals_trace_schema(trace))
            if rc != _lib.OK:
                _lib.fail(rc, "%s: %s" % (path, _lib.strerror(rc)))
            rec = _open_recorder(dll, col, path, trace, sample_interval, write_interval)
            _record(dll, col, rec, trace, batch, sample_interval, write_interval,
                    None if duration is None else float(duration), processes, stop, result)
            err = _lib.errbuf()
            rc = dll.vitals_recorder_close(rec, err, _lib.ERRBUF)
            rec = None
            if rc != _lib.OK:
                _lib.fail(rc, err)
            result["bytes"] = os.path.getsize(path)
        finally:
            if rec:
                # Only on an error: the journal stays, and the next open folds it in.
                dll.vitals_recorder_abort(rec)
            dll.vitals_batch_free(batch)
            dll.vitals_trace_free(trace)
    return result


def _open_recorder(dll, col, path, trace, sample_interval, write_interval):
    host = col.host() or ""
    kernel = _lib.text(dll.vitals_collector_kernel(col.h)) or ""
    boot = _lib.text(dll.vitals_collector_boot_id(col.h)) or ""
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    meta = [("vitals.schema_version", "1"),
            ("vitals.version", _lib.text(dll.vitals_version())),
            ("vitals.host", host),
            ("vitals.kernel", kernel),
            ("vitals.boot_id", boot),
            ("vitals.timezone", _local_zone()),
            ("vitals.sample_interval_seconds", "%g" % sample_interval),
            ("vitals.started", started),
            ("vitals.command", "")]
    kvs = (_lib.KV * len(meta))(*[_lib.KV(k.encode(), v.encode()) for k, v in meta])
    o = _lib.RecorderOptions()
    dll.vitals_recorder_options_init(byref(o))
    o.write.meta = kvs
    o.write.meta_count = len(meta)
    rec, recovered, err = c_void_p(), c_int64(0), _lib.errbuf()
    rc = dll.vitals_recorder_open(byref(rec), _lib.encode(path), dll.vitals_trace_schema(trace),
                                  byref(o), byref(recovered), err, _lib.ERRBUF)
    if rc != _lib.OK:
        _lib.fail(rc, err)
    # Never more than two write intervals of samples in memory while the journal fails.
    dll.vitals_recorder_set_max_pending(
        rec, 2 * math.ceil(write_interval / sample_interval) *
        (dll.vitals_collector_all_processes(col.h) + 64))
    if recovered.value > 0:
        warnings.warn("folded %d rows from %s.journal, left by a recording that did not "
                      "finish, back into %s" % (recovered.value, path, path), RuntimeWarning,
                      stacklevel=3)
    return rec.value


def _record(dll, col, rec, trace, batch, sample_interval, write_interval, duration,
            processes, stop, result):
    cost = _lib.SampleCost()
    failing = False  # a write failure is said once, until a write works again

    def write():
        nonlocal failing
        if dll.vitals_recorder_write(rec) < 0:
            if not failing:
                warnings.warn(_lib.text(dll.vitals_recorder_errmsg(rec)), RuntimeWarning,
                              stacklevel=4)
            failing = True
        else:
            failing = False

    start = last_write = time.monotonic()
    try:
        while True:
            t0, c0 = time.monotonic(), time.process_time()
            col.sample()
            cost.seconds = time.monotonic() - t0
            cost.cpu_seconds = time.process_time() - c0
            dll.vitals_batch_clear(batch)
            rc = dll.vitals_trace_add_sample(trace, batch, col.h, 1 if processes else 0,
                                             byref(cost))
            if rc < 0:
                _lib.fail(rc, "a sample's rows: %s" % _lib.strerror(rc))
            if dll.vitals_recorder_add(rec, batch) < 0 and not failing:
                # The rows stay in memory for the next write; say so once.
                warnings.warn(_lib.text(dll.vitals_recorder_errmsg(rec)), RuntimeWarning,
                              stacklevel=3)
            result["samples"] += 1
            # The next slot of the steady schedule; slots missed by a slow sample are skipped.
            now = time.monotonic()
            nxt = start + (math.floor((now - start) / sample_interval) + 1) * sample_interval
            if duration is not None and nxt - start >= duration - 1e-9:
                break
            while True:
                if stop is not None and stop.is_set():
                    return
                now = time.monotonic()
                if now - last_write >= write_interval - 1e-9:
                    last_write = now
                    write()
                    continue
                left = nxt - now
                if left <= 0:
                    break
                left = min(left, write_interval - (now - last_write))
                if stop is not None:
                    stop.wait(left)
                else:
                    time.sleep(left)
            if stop is not None and stop.is_set():
                return
    except KeyboardInterrupt:
        result["interrupted"] = True
