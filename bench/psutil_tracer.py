#!/usr/bin/python3
"""The psutil way: what a Python tracer like the seed's does each sample.

Every sample walks psutil.process_iter() over the fields the seed records per
process (pid, ppid, name, cmdline, username, status, nice, num_threads,
memory_info, cpu_times, cpu_percent, num_fds, io_counters, create_time) and
builds one row per process, plus the system memory and swap. One warm-up
sample, then samples back to back; prints the line bench/run.sh parses:

  bench=psutil samples=N processes=P us_per_sample=X us_per_process=Y

Usage: psutil_tracer.py [--seconds S] [--min-samples N]
"""
import argparse
import resource
import time

import psutil

ATTRS = ["pid", "ppid", "name", "cmdline", "username", "status", "nice", "num_threads",
         "memory_info", "cpu_times", "cpu_percent", "num_fds", "io_counters", "create_time"]


def sample():
    rows = []
    for p in psutil.process_iter(attrs=ATTRS, ad_value=None):
        info = p.info
        mem = info["memory_info"]
        cpu = info["cpu_times"]
        io = info["io_counters"]
        rows.append({
            "pid": info["pid"],
            "ppid": info["ppid"],
            "name": info["name"],
            "cmdline": " ".join(info["cmdline"] or []),
            "username": info["username"],
            "status": info["status"],
            "nice": info["nice"],
            "num_threads": info["num_threads"],
            "rss": mem.rss if mem else None,
            "vms": mem.vms if mem else None,
            "shared": mem.shared if mem else None,
            "cpu_user": cpu.user if cpu else None,
            "cpu_system": cpu.system if cpu else None,
            "cpu_percent": info["cpu_percent"],
            "num_fds": info["num_fds"],
            "read_bytes": io.read_bytes if io else None,
            "write_bytes": io.write_bytes if io else None,
            "create_time": info["create_time"],
        })
    vm = psutil.virtual_memory()
    sw = psutil.swap_memory()
    system = {"total": vm.total, "available": vm.available, "used": vm.used,
              "swap_total": sw.total, "swap_used": sw.used}
    return rows, system


def cpu_us():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return (ru.ru_utime + ru.ru_stime) * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--min-samples", type=int, default=3)
    args = parser.parse_args()

    sample()  # warm-up: fills psutil's process cache and cpu_percent baselines
    n = 0
    processes = 0
    cpu0 = cpu_us()
    t0 = time.monotonic()
    while n < args.min_samples or time.monotonic() - t0 < args.seconds:
        rows, _ = sample()
        processes += len(rows)
        n += 1
    cpu = cpu_us() - cpu0
    per_sample = cpu / n
    procs = processes / n
    print("bench=psutil samples=%d processes=%.0f us_per_sample=%.1f us_per_process=%.3f" %
          (n, procs, per_sample, per_sample / procs if procs else 0))


if __name__ == "__main__":
    main()
