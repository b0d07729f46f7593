#!/usr/bin/env python3
"""Real control groups: the test makes its own, moves helpers in, and
watches their memory and CPU appear in `vitals snapshot` and their
processes mapped to the group.

It needs root and a writable cgroup file system (CI runs as root): a
group under the v2 mount (pure v2 at /sys/fs/cgroup, or the "unified"
mount of the hybrid layout when it has the memory controller) and under
the v1 memory and cpuacct controllers when they are mounted. Without
them it says why and passes: there is nothing to test.
"""
import json
import os
import subprocess
import sys
import time

BIN = os.environ.get("VITALS_BIN", "vitals")
HELPERS = os.environ.get("VITALS_HELPERS", "")
ROOT = "/sys/fs/cgroup"
NAME = "vitals-test-%d" % os.getpid()
MIB = 64

failures = 0


def check(name, cond, detail=""):
    global failures
    if cond:
        print("ok: " + name)
    else:
        failures += 1
        print("FAIL: " + name + ("\n    " + str(detail)[:2000] if detail else ""))


def hierarchies():
    """(label, directory, what it can show) of each place to make a group in."""
    found = []
    if os.path.exists(os.path.join(ROOT, "cgroup.controllers")):
        found.append(("v2", ROOT))
    else:
        uni = os.path.join(ROOT, "unified")
        if os.path.exists(os.path.join(uni, "cgroup.controllers")):
            found.append(("unified", uni))
        for ctl in ("memory", "cpuacct", "cpu,cpuacct"):
            d = os.path.join(ROOT, ctl)
            if os.path.isdir(d) and not os.path.islink(d) and \
                    os.path.exists(os.path.join(d, "cgroup.procs")):
                found.append((ctl, d))
    return found


def start(helper, groups, *args):
    """HELPER started inside GROUPS: it joins them before exec, so the memory it
    touches is charged to them (charges made before a move stay behind)."""
    def join():
        for path in groups:
            with open(os.path.join(path, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    p = subprocess.Popen([os.path.join(HELPERS, helper)] + list(args), stdout=subprocess.PIPE,
                         text=True, preexec_fn=join)
    line = p.stdout.readline()
    if "ready" not in line:
        p.kill()
        raise RuntimeError("%s did not start" % helper)
    return p


def main():
    if os.geteuid() != 0:
        print("skipped: not root, cannot make control groups")
        return 0
    places = hierarchies()
    made = []
    for label, d in places:
        path = os.path.join(d, NAME)
        try:
            os.mkdir(path)
            made.append((label, path))
        except OSError as e:
            print("note: cannot make a group in %s (%s): %s" % (label, d, e))
    if not made:
        print("skipped: no writable cgroup hierarchy under %s" % ROOT)
        return 0
    procs = []
    try:
        moved = [label for label, path in made]
        paths = [path for label, path in made]
        try:
            alloc = start("alloc", paths, str(MIB))
        except (OSError, subprocess.SubprocessError) as e:
            print("skipped: could not start a process inside the new groups: %s" % e)
            return 0
        busy = start("busy", paths)
        procs = [alloc, busy]
        print("groups in: " + ", ".join(moved))
        time.sleep(0.3)  # some CPU for the busy helper before the first reading
        r = subprocess.run([BIN, "snapshot", "--json", "--interval", "1", "--no-gpu"],
                           capture_output=True, text=True, timeout=60)
        check("snapshot exits 0", r.returncode == 0, r.stderr)
        d = json.loads(r.stdout)
        check("the cgroup source works", d["sources"]["cgroup"]["status"] == "ok",
              d["sources"]["cgroup"])
        g = {x["id"]: x for x in d["cgroup"]}.get("/" + NAME)
        check("the new group is listed", g is not None, sorted(x["id"] for x in d["cgroup"]))
        if g is None:
            return 1
        check("it holds the two helpers", g["processes"] == 2, g)
        # v2 has memory files only where the parent enabled the controller
        has_memory = "memory" in moved or any(
            os.path.exists(os.path.join(path, "memory.current")) for _, path in made)
        if has_memory:
            check("its memory covers the %d MiB the helper touched" % MIB,
                  g["memory_bytes"] is not None and g["memory_bytes"] >= MIB << 20, g)
            check("and most of it is anonymous",
                  g["memory_anon_bytes"] is not None and g["memory_anon_bytes"] >= (MIB - 8) << 20,
                  g)
        else:
            print("note: the new group has no memory controller: its memory is not checked")
        cpu_moved = any(l in moved for l in ("cpuacct", "cpu,cpuacct")) or any(
            os.path.exists(os.path.join(path, "cpu.stat")) for _, path in made)
        byp = {p["pid"]: p for p in d["process"]}
        if cpu_moved:
            # the busy helper spins; on a loaded machine it gets less than a core,
            # so the group is compared with what its processes used over the same time
            used = sum((byp.get(p.pid) or {}).get("cpu_percent") or 0 for p in procs)
            check("its CPU is its processes' CPU (the busy helper spinning)",
                  g["cpu_percent"] is not None and g["cpu_percent"] > 5 and used > 5
                  and abs(g["cpu_percent"] - used) <= 5 + 0.3 * used, (g["cpu_percent"], used))
        for p in procs:
            e = byp.get(p.pid)
            check("process %d is mapped to the group" % p.pid,
                  e is not None and e["cgroup"] == "/" + NAME, e)
    finally:
        for p in procs:
            p.kill()
            p.wait()
        time.sleep(0.1)
        for _, path in made:
            for _ in range(20):
                try:
                    os.rmdir(path)
                    break
                except OSError:
                    time.sleep(0.1)
    print("all passed" if not failures else "%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
