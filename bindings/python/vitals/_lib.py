"""Loading libvitals and describing its C API to ctypes.

Everything here mirrors include/vitals/*.h: the structures the binding
fills or reads (their layouts are checked against the C compiler by
tests/integration/test_python.py) and one prototype per function it
calls. Handles the C side keeps opaque (collector, entity, trace, batch,
schema, recorder) stay c_void_p.

The library is found, in this order:

1. the environment variable VITALS_LIBRARY: a path to the .so (or to a
   directory holding it);
2. beside the package: the package's own directory, then the library
   directory the install rule recorded in _install.py (relative to the
   package, so an installed tree can be moved), else the layout
   LIBDIR/python3/dist-packages/vitals -> LIBDIR;
3. ctypes.util.find_library("vitals"), then the dynamic loader's own
   search for libvitals.so.0 and libvitals.so (LD_LIBRARY_PATH, ld.so.cache).

It is loaded on first use, so importing the package never fails.
"""
import ctypes
import ctypes.util
import os
import threading
from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_int, c_int64, c_size_t,
                    c_uint, c_uint64, c_void_p)

# Status codes of common.h.
OK = 0
E_NOMEM = -1
E_IO = -2
E_INVAL = -3
E_NOTFOUND = -4
E_MISSING = -5
E_PARSE = -6
E_PERM = -7
E_UNSUPPORTED = -8

# enum vitals_metric_type
METRIC_INT = 0
METRIC_REAL = 1

# The C library's ABI (its SONAME is libvitals.so.0).
ABI_MAJOR = 0
NAMES = ("libvitals.so.0", "libvitals.so")

ERRBUF = 1024  # bytes of the err buffers handed to the C functions


class VitalsError(Exception):
    """A libvitals call failed. `status` is the C status code (negative), or
    None when the failure happened before reaching C (no library)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


# ---- structures (include/vitals/*.h) ------------------------------------------------


class LoggerOptions(Structure):
    """struct vitals_logger_options (logger.h)."""
    _fields_ = [("path", c_char_p), ("interval", c_double), ("write_interval", c_double),
                ("children", c_int), ("system", c_int)]


class HeapStats(Structure):
    """struct vitals_heap_stats (logger.h)."""
    _fields_ = [("in_use", c_uint64), ("free", c_uint64), ("mmapped", c_uint64),
                ("arena", c_uint64), ("releasable", c_uint64)]


class Metric(Structure):
    """struct vitals_metric (collector.h)."""
    _fields_ = [("name", c_char_p), ("unit", c_char_p), ("help", c_char_p), ("type", c_int),
                ("flags", c_uint)]


class Scope(Structure):
    """struct vitals_scope (collector.h); pid_t is a 32-bit int on Linux."""
    _fields_ = [("pid", c_int), ("depth", c_int), ("match", c_char_p),
                ("threshold_kb", c_uint64)]


class CollectorOptions(Structure):
    """struct vitals_collector_options (collector.h)."""
    _fields_ = [("proc_root", c_char_p), ("sys_root", c_char_p), ("sources", c_uint),
                ("scope", Scope), ("cmdline_max", c_size_t), ("all_disks", c_int),
                ("all_filesystems", c_int), ("subtree_only", c_int),
                ("cgroup_root", c_char_p), ("docker_socket", c_char_p)]


class SampleCost(Structure):
    """struct vitals_sample_cost (record.h)."""
    _fields_ = [("cpu_seconds", c_double), ("seconds", c_double)]


class KV(Structure):
    """struct vitals_kv (store.h)."""
    _fields_ = [("key", c_char_p), ("value", c_char_p)]


class WriteOptions(Structure):
    """struct vitals_write_options (store.h)."""
    _fields_ = [("codec", c_int), ("level", c_int), ("row_group_rows", c_size_t),
                ("page_bytes", c_size_t), ("dictionary", c_int), ("dictionary_bytes", c_size_t),
                ("meta", POINTER(KV)), ("meta_count", c_size_t)]


class RecorderOptions(Structure):
    """struct vitals_recorder_options (record.h)."""
    _fields_ = [("write", WriteOptions), ("seal_rows", c_size_t), ("seal_bytes", c_uint64),
                ("no_journal", c_int), ("no_follow", c_int)]


# C struct name -> ctypes class, for the layout check of the tests.
LAYOUTS = {
    "vitals_logger_options": LoggerOptions,
    "vitals_heap_stats": HeapStats,
    "vitals_metric": Metric,
    "vitals_scope": Scope,
    "vitals_collector_options": CollectorOptions,
    "vitals_sample_cost": SampleCost,
    "vitals_kv": KV,
    "vitals_write_options": WriteOptions,
    "vitals_recorder_options": RecorderOptions,
}

# ---- prototypes ---------------------------------------------------------------------

_vp = c_void_p
_err = POINTER(c_char)  # a create_string_buffer() for the C side's message
PROTOTYPES = {
    # common.h
    "vitals_strerror": (c_char_p, [c_int]),
    "vitals_version": (c_char_p, []),
    # logger.h
    "vitals_logger_options_init": (None, [POINTER(LoggerOptions)]),
    "vitals_logger_start": (c_int, [POINTER(LoggerOptions)]),
    "vitals_logger_stop": (c_int, []),
    "vitals_logger_running": (c_int, []),
    "vitals_logger_errmsg": (c_char_p, []),
    "vitals_label": (None, [c_char_p]),
    "vitals_gauge_set": (c_int, [c_char_p, c_double]),
    "vitals_gauge_remove": (None, [c_char_p]),
    "vitals_heap_stats": (c_int, [POINTER(HeapStats)]),
    "vitals_release_memory": (c_int, [POINTER(c_uint64), POINTER(c_uint64)]),
    # collector.h
    "vitals_kind_name": (c_char_p, [c_int]),
    "vitals_kind_from_name": (c_int, [c_char_p]),
    "vitals_metric_list": (POINTER(Metric), [c_int, POINTER(c_size_t)]),
    "vitals_attr_list": (POINTER(c_char_p), [c_int, POINTER(c_size_t)]),
    "vitals_collector_options_init": (None, [POINTER(CollectorOptions)]),
    "vitals_collector_new": (c_int, [POINTER(_vp), POINTER(CollectorOptions), _err, c_size_t]),
    "vitals_collector_free": (None, [_vp]),
    "vitals_collector_sample": (c_int, [_vp]),
    "vitals_collector_errmsg": (c_char_p, [_vp]),
    "vitals_collector_time": (c_int64, [_vp]),
    "vitals_collector_interval": (c_double, [_vp]),
    "vitals_collector_source_status": (c_int, [_vp, c_int, POINTER(c_char_p)]),
    "vitals_collector_count": (c_size_t, [_vp, c_int]),
    "vitals_collector_entity": (_vp, [_vp, c_int, c_size_t]),
    "vitals_collector_all_processes": (c_size_t, [_vp]),
    "vitals_collector_hostname": (c_char_p, [_vp]),
    "vitals_collector_kernel": (c_char_p, [_vp]),
    "vitals_collector_boot_id": (c_char_p, [_vp]),
    "vitals_collector_boot_time": (c_int64, [_vp]),
    "vitals_entity_id": (c_char_p, [_vp]),
    "vitals_entity_name": (c_char_p, [_vp]),
    "vitals_entity_attr": (c_char_p, [_vp, c_size_t]),
    "vitals_entity_value": (c_int, [_vp, c_size_t, POINTER(c_double)]),
    "vitals_entity_int": (c_int, [_vp, c_size_t, POINTER(c_int64)]),
    # table.h
    "vitals_batch_new": (c_int, [POINTER(_vp), _vp]),
    "vitals_batch_free": (None, [_vp]),
    "vitals_batch_clear": (None, [_vp]),
    # record.h
    "vitals_trace_new": (c_int, [POINTER(_vp)]),
    "vitals_trace_free": (None, [_vp]),
    "vitals_trace_schema": (_vp, [_vp]),
    "vitals_trace_add_sample": (c_int, [_vp, _vp, _vp, c_int, POINTER(SampleCost)]),
    "vitals_recorder_options_init": (None, [POINTER(RecorderOptions)]),
    "vitals_recorder_open": (c_int, [POINTER(_vp), c_char_p, _vp, POINTER(RecorderOptions),
                                     POINTER(c_int64), _err, c_size_t]),
    "vitals_recorder_add": (c_int, [_vp, _vp]),
    "vitals_recorder_write": (c_int, [_vp]),
    "vitals_recorder_close": (c_int, [_vp, _err, c_size_t]),
    "vitals_recorder_abort": (None, [_vp]),
    "vitals_recorder_set_max_pending": (None, [_vp, c_size_t]),
    "vitals_recorder_errmsg": (c_char_p, [_vp]),
    "vitals_recorder_file_bytes": (c_uint64, [_vp]),
    "vitals_recorder_rows_written": (c_int64, [_vp]),
    "vitals_recorder_rows_dropped": (c_int64, [_vp]),
    "vitals_recorder_held_values": (c_int64, [_vp]),
}

# ---- finding and loading ------------------------------------------------------------

_lock = threading.Lock()
_loaded = None  # (CDLL, path)


def _package_dir():
    return os.path.dirname(os.path.abspath(__file__))


def candidates(environ=None):
    """The places the library is looked for, in order, as (how, path-or-name)."""
    env = os.environ if environ is None else environ
    found = []
    explicit = env.get("VITALS_LIBRARY")
    if explicit:
        if os.path.isdir(explicit):
            found += [("VITALS_LIBRARY", os.path.join(explicit, n)) for n in NAMES]
        else:
            found.append(("VITALS_LIBRARY", explicit))
        # An explicit choice is the only one: never fall back behind the user's back.
        return found
    here = _package_dir()
    dirs = [here]
    try:
        from . import _install  # written by the install rule (CMakeLists.txt)
        dirs.append(os.path.normpath(os.path.join(here, _install.LIBDIR_FROM_PACKAGE)))
    except ImportError:
        pass
    # LIBDIR/python3/dist-packages/vitals -> LIBDIR
    dirs.append(os.path.normpath(os.path.join(here, "..", "..", "..")))
    seen = set()
    for d in dirs:
        if d in seen:
            continue
        seen.add(d)
        found += [("beside the package", os.path.join(d, n)) for n in NAMES]
    name = ctypes.util.find_library("vitals")
    if name:
        found.append(("ctypes.util.find_library", name))
    found += [("the dynamic loader", n) for n in NAMES]
    return found


def _bind(dll, path):
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            fn = getattr(dll, name)
        except AttributeError:
            raise VitalsError("%s has no %s(): it is not a libvitals this binding knows "
                              "(built from another version?)" % (path, name)) from None
        fn.restype = restype
        fn.argtypes = argtypes
    version = dll.vitals_version().decode()
    try:
        major = int(version.split(".")[0])
    except ValueError:
        major = -1
    if major != ABI_MAJOR:
        raise VitalsError("%s is libvitals %s; this binding speaks version %d.x"
                          % (path, version, ABI_MAJOR))


def lib():
    """The loaded library (a ctypes.CDLL), loading it on first use."""
    global _loaded
    if _loaded is not None:
        return _loaded[0]
    with _lock:
        if _loaded is not None:
            return _loaded[0]
        tried = []
        for how, path in candidates():
            is_path = os.sep in path
            if is_path and not os.path.exists(path):
                tried.append("%s (%s): no such file" % (path, how))
                continue
            try:
                dll = ctypes.CDLL(path)
            except OSError as e:
                tried.append("%s (%s): %s" % (path, how, e))
                continue
            _bind(dll, path)
            _loaded = (dll, getattr(dll, "_name", path))
            return dll
        raise VitalsError("libvitals not found; tried:\n  " + "\n  ".join(tried) +
                          "\nSet VITALS_LIBRARY to the path of libvitals.so "
                          "(e.g. build/libvitals.so).")


def library_path():
    """The path or name the library was loaded from (loading it if needed)."""
    lib()
    return _loaded[1]


# ---- helpers ------------------------------------------------------------------------


def text(b):
    """A C string (bytes or None) as str or None."""
    return None if b is None else b.decode("utf-8", "replace")


def encode(s):
    """A Python value as a C string."""
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    return os.fsencode(s) if isinstance(s, os.PathLike) else str(s).encode("utf-8")


def strerror(status):
    return text(lib().vitals_strerror(status))


def fail(status, message=None):
    """Raise VitalsError for STATUS with MESSAGE (the C side's, when it left one)."""
    if isinstance(message, (bytes, bytearray)):
        message = message.split(b"\0", 1)[0].decode("utf-8", "replace")
    if isinstance(message, ctypes.Array):
        message = message.value.decode("utf-8", "replace")
    if not message:
        message = strerror(status)
    raise VitalsError(message, status)


def errbuf():
    return ctypes.create_string_buffer(ERRBUF)


# Per kind: (number, [(metric name, is_int)], [attribute names]); read once from the library.
_kinds = None


def kinds():
    """{kind name: (kind number, [(metric, is_int)...], [attribute...])} from the library."""
    global _kinds
    if _kinds is not None:
        return _kinds
    dll = lib()
    table = {}
    for k in range(64):
        name = dll.vitals_kind_name(k)
        if name is None:
            break
        n = c_size_t(0)
        mlist = dll.vitals_metric_list(k, ctypes.byref(n))
        metrics = [(mlist[i].name.decode(), mlist[i].type == METRIC_INT)
                   for i in range(n.value)] if mlist else []
        n = c_size_t(0)
        alist = dll.vitals_attr_list(k, ctypes.byref(n))
        attrs = [alist[i].decode() for i in range(n.value)] if alist else []
        table[name.decode()] = (k, metrics, attrs)
    _kinds = table
    return table
