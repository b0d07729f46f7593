"""vitals: a Python binding of libvitals (ctypes, standard library only).

The seeds' Python APIs, over the C library:

    import vitals

    with vitals.log_process(0.5):                  # TotalDepth.common.process
        vitals.add_message_to_queue("loading")
        ...

    snap = vitals.collect_system_snapshot()        # system_monitor.system_tracer
    vitals.monitor_to_parquet("trace.parquet", sample_interval=2, write_interval=10)

Submodules with the seeds' names: `vitals.process` (the in-process logger)
and `vitals.system_tracer` (snapshot and recording). Every failure of the C
library raises VitalsError with its message. The library is found through
VITALS_LIBRARY, beside the package, or the dynamic loader (see _lib.py).
"""
from ._lib import VitalsError, library_path
from . import _lib
from .process import (add_log_process_argument, add_message_to_queue, gauge_remove, gauge_set,
                      heap_stats, label, log_process, logger_running, release_memory)
from .system_tracer import collect_system_snapshot, monitor_to_parquet

__version__ = "0.1.0"
VitalsError.__module__ = "vitals"  # shown as vitals.VitalsError in tracebacks

__all__ = ["VitalsError", "library_path", "library_version", "log_process",
           "add_message_to_queue", "label", "gauge_set", "gauge_remove", "heap_stats",
           "release_memory", "logger_running", "add_log_process_argument",
           "collect_system_snapshot", "monitor_to_parquet", "metric_names"]


def library_version():
    """The loaded libvitals's version, "MAJOR.MINOR.PATCH"."""
    return _lib.text(_lib.lib().vitals_version())


def metric_names(kind):
    """The metric names of KIND ("system", "process"...), in the trace's column order."""
    table = _lib.kinds()
    if kind not in table:
        raise ValueError("unknown kind %r (known: %s)" % (kind, ", ".join(table)))
    return [name for name, _ in table[kind][1]]
