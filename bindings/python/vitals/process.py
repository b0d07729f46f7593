"""The in-process logger (logger.h): a program logs its own resource use.

Mirrors TotalDepth.common.process, so `from TotalDepth.common import process`
becomes `from vitals import process`:

    with process.log_process(0.1):
        process.add_message_to_queue("loading the index")
        ...

The logging runs on a C thread inside the process (it never takes the GIL),
writing one JSON object per sample to a .jsonl file (the seed's fields:
timestamp, memory_info, cpu_times, elapsed_time, label; and vitals' own),
or a trace to a .parquet or .csv file.
"""
import contextlib
import ctypes
import os

from . import _lib
from ._lib import VitalsError

__all__ = ["log_process", "add_message_to_queue", "label", "gauge_set", "gauge_remove",
           "heap_stats", "release_memory", "logger_running", "add_log_process_argument",
           "VitalsError"]


class log_process(contextlib.ContextDecorator):
    """Log this process's resource use while the block (or function) runs.

    interval: seconds between samples; 0 or None turns logging off (the block
        runs without a logger), so `with log_process(args.log_process):` needs
        no test of the option's value.
    path: the log, by extension .jsonl, .parquet or .csv; None for the C
        default, vitals-PID.jsonl in the current directory.
    children: also sample the process's descendants.
    system: also sample the machine (CPU, memory, disks, network...).
    write_interval: Parquet and CSV only, seconds between rewrites (None: 10).

    The logger is stopped on exit, exception or not: a last sample is taken
    and everything is written. Only one logger runs per process: entering a
    second one raises VitalsError. Usable as a decorator too.
    """

    def __init__(self, interval=1.0, path=None, children=False, system=False,
                 write_interval=None):
        self.interval = interval
        self.path = path
        self.children = children
        self.system = system
        self.write_interval = write_interval
        self._started = False

    def __enter__(self):
        if not self.interval:
            return self
        dll = _lib.lib()
        o = _lib.LoggerOptions()
        dll.vitals_logger_options_init(ctypes.byref(o))
        path = _lib.encode(self.path)  # kept alive until start returns (C copies it)
        o.path = path
        o.interval = float(self.interval)
        if self.write_interval is not None:
            o.write_interval = float(self.write_interval)
        o.children = 1 if self.children else 0
        o.system = 1 if self.system else 0
        rc = dll.vitals_logger_start(ctypes.byref(o))
        if rc != _lib.OK:
            _lib.fail(rc, _lib.text(dll.vitals_logger_errmsg()))
        self._started = True
        if self.path is None:
            self.path = "vitals-%d.jsonl" % os.getpid()
        return self

    def __exit__(self, exc_type, exc, tb):
        if not self._started:
            return False
        self._started = False
        dll = _lib.lib()
        rc = dll.vitals_logger_stop()
        if rc != _lib.OK and exc_type is None:
            _lib.fail(rc, _lib.text(dll.vitals_logger_errmsg()))
        return False


def label(text):
    """A label (event) for the next record; ignored when no logger runs."""
    _lib.lib().vitals_label(_lib.encode(text))


def add_message_to_queue(text):
    """The seed's name for label(): TEXT lands in the next record's "label"."""
    label(text)


def gauge_set(path, value):
    """Set the gauge PATH ("/scene/textures") to VALUE; later records carry it."""
    dll = _lib.lib()
    rc = dll.vitals_gauge_set(_lib.encode(path), float(value))
    if rc != _lib.OK:
        why = {_lib.E_INVAL: "the path is empty",
               _lib.E_NOMEM: "out of memory, or past 4096 gauges"}.get(rc, _lib.strerror(rc))
        _lib.fail(rc, "gauge %r: %s" % (path, why))


def gauge_remove(path):
    """Forget the gauge PATH: later records no longer carry it."""
    _lib.lib().vitals_gauge_remove(_lib.encode(path))


def heap_stats():
    """The allocator's view of the heap (glibc mallinfo2), in bytes:
    {'in_use', 'free', 'mmapped', 'arena', 'releasable'}."""
    h = _lib.HeapStats()
    rc = _lib.lib().vitals_heap_stats(ctypes.byref(h))
    if rc != _lib.OK:
        _lib.fail(rc, "heap statistics: %s" % _lib.strerror(rc))
    return {name: getattr(h, name) for name, _ in _lib.HeapStats._fields_}


def release_memory():
    """Give free heap memory back to the system (malloc_trim); returns
    (rss_before, rss_after) in bytes. Logged as a label when a logger runs."""
    before, after = ctypes.c_uint64(0), ctypes.c_uint64(0)
    rc = _lib.lib().vitals_release_memory(ctypes.byref(before), ctypes.byref(after))
    if rc != _lib.OK:
        _lib.fail(rc, "release memory: %s" % _lib.strerror(rc))
    return before.value, after.value


def logger_running():
    """Whether a logger runs in this process."""
    return bool(_lib.lib().vitals_logger_running())


def add_log_process_argument(parser):
    """Add the seed's `--log-process SECONDS` option (a float, default 0 =
    off) to an argparse parser; returns the parser. Then:

        args = parser.parse_args()
        with vitals.log_process(args.log_process):   # 0: no logging
            ...
    """
    parser.add_argument("--log-process", type=float, default=0.0, metavar="SECONDS",
                        help="log this process's memory and CPU use every SECONDS "
                             "seconds (default 0: no logging)")
    return parser

