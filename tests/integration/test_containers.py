#!/usr/bin/env python3
"""GPUs and containers through the CLI.

- A test server speaking the Docker API's container list on a unix socket:
  snapshot and proctree name containers from it, ask it once and cache the
  answer; an absent socket, garbage and a server that never answers leave
  ids without names, in bounded time.
- The fake NVML (tests/fakes/fake_nvml.c) through VITALS_NVML_LIBRARY:
  snapshot shows the GPUs, --sources says why they are absent when they
  are, and a GPU lost while recording drops its rows while recording goes on.
"""
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.environ.get("VITALS_BIN", "vitals")
HELPERS = os.environ.get("VITALS_HELPERS", "")
FIXTURES = os.environ.get("VITALS_FIXTURES", "tests/fixtures")
CGV2 = os.path.join(FIXTURES, "cgroup-v2")
DOCKER_ID = "0123456789abcdef" * 4
PODMAN_ID = "fedcba9876543210" * 4
FAKE_NVML = os.path.join(HELPERS, "libfake_nvml.so")

failures = 0


def check(name, cond, detail=""):
    global failures
    if cond:
        print("ok: " + name)
    else:
        failures += 1
        print("FAIL: " + name + ("\n    " + str(detail)[:2000] if detail else ""))


class DockerServer:
    """Answers every connection with MODE: 'list', 'garbage' or 'silent'."""

    def __init__(self, path, mode="list"):
        self.path, self.mode, self.requests = path, mode, []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        self.sock.settimeout(0.1)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                req = b""
                try:
                    while b"\r\n\r\n" not in req:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        req += chunk
                except OSError:
                    continue
                self.requests.append(req.split(b"\r\n")[0].decode(errors="replace"))
                if self.mode == "silent":
                    time.sleep(1.5)
                    continue
                if self.mode == "garbage":
                    body = b"{not json"
                else:
                    body = json.dumps([
                        {"Id": DOCKER_ID, "Names": ["/web"], "Image": "nginx:1.25",
                         "Labels": {"com.example": "x"}, "State": "running",
                         "Ports": [{"PrivatePort": 80, "Type": "tcp"}]},
                        {"Id": PODMAN_ID, "Names": ["/db"], "Image": "postgres:16"},
                    ]).encode()
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def close(self):
        self.stop = True
        self.sock.close()
        self.thread.join(2)


def run(args, env=None, timeout=30):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([BIN] + args, capture_output=True, text=True, env=e, timeout=timeout)


def snapshot_json(extra, env=None):
    r = run(["snapshot", "--json", "--interval", "0.1", "--top", "1"] + extra, env)
    if r.returncode != 0:
        return None, r
    return json.loads(r.stdout), r


def groups(d):
    return {g["id"]: g for g in d["cgroup"]}


def docker_tests(tmp):
    sock = os.path.join(tmp, "docker.sock")
    srv = DockerServer(sock)
    try:
        d, r = snapshot_json(["--cgroup-root", CGV2, "--docker-socket", sock, "--no-gpu"])
        check("snapshot with a Docker socket exits 0", d is not None, r.stderr)
        if d:
            g = groups(d)
            web = g.get("/system.slice/docker-%s.scope" % DOCKER_ID, {})
            db = g.get("/machine.slice/libpod-%s.scope" % PODMAN_ID, {})
            check("the Docker group is named by the daemon",
                  web.get("name") == "web" and web.get("container") == "web"
                  and web.get("image") == "nginx:1.25" and web.get("runtime") == "docker",
                  web)
            check("the Podman group is named from the same list",
                  db.get("name") == "db" and db.get("image") == "postgres:16", db)
        check("the daemon was asked for the container list",
              srv.requests[:1] == ["GET /containers/json?all=1 HTTP/1.0"], srv.requests)

        # names are cached: four refreshes, one request
        n0 = len(srv.requests)
        r = run(["snapshot", "--json", "--watch", "0.1", "--count", "4", "--interval", "0.1",
                 "--top", "1", "--cgroup-root", CGV2, "--docker-socket", sock, "--no-gpu"])
        check("--watch with a Docker socket exits 0", r.returncode == 0, r.stderr)
        check("the list is asked once, not every sample", len(srv.requests) - n0 == 1,
              srv.requests[n0:])

        # proctree: a process in a Docker group shows the container's name
        tree = os.path.join(tmp, "tree")
        scope = os.path.join(tree, "system.slice", "docker-%s.scope" % DOCKER_ID)
        os.makedirs(scope)
        open(os.path.join(tree, "cgroup.controllers"), "w").write("memory\n")
        open(os.path.join(tree, "cgroup.procs"), "w").write("")
        child = subprocess.Popen(["sleep", "30"])
        try:
            open(os.path.join(scope, "cgroup.procs"), "w").write("%d\n" % child.pid)
            r = run(["proctree", str(os.getpid()), "--cgroup-root", tree,
                     "--docker-socket", sock, "--interval", "0.05"])
            line = [l for l in r.stdout.splitlines() if (" %d sleep" % child.pid) in l]
            check("proctree shows the container of a process",
                  r.returncode == 0 and line and "<web>" in line[0], r.stdout + r.stderr)
            r = run(["proctree", "--find", "sleep", "--json", "--cgroup-root", tree,
                     "--docker-socket", sock])
            m = [p for p in json.loads(r.stdout)["matches"] if p["pid"] == child.pid] \
                if r.returncode == 0 else []
            check("proctree --json gives each process's cgroup and container",
                  m and m[0]["container"] == "web"
                  and m[0]["cgroup"] == "/system.slice/docker-%s.scope" % DOCKER_ID, m)
        finally:
            child.kill()
            child.wait()
    finally:
        srv.close()

    # no socket: ids without names, not an error
    d, r = snapshot_json(["--cgroup-root", CGV2, "--docker-socket",
                          os.path.join(tmp, "absent.sock"), "--no-gpu"])
    web = groups(d).get("/system.slice/docker-%s.scope" % DOCKER_ID, {}) if d else {}
    check("without a daemon the container keeps its short id",
          d is not None and web.get("name") == DOCKER_ID[:12] and web.get("image") is None
          and d["sources"]["cgroup"]["status"] == "ok", (web, r.stderr))

    for mode in ("garbage", "silent"):
        path = os.path.join(tmp, mode + ".sock")
        srv = DockerServer(path, mode)
        try:
            t0 = time.monotonic()
            d, r = snapshot_json(["--cgroup-root", CGV2, "--docker-socket", path, "--no-gpu"])
            took = time.monotonic() - t0
            web = groups(d).get("/system.slice/docker-%s.scope" % DOCKER_ID, {}) if d else {}
            check("a daemon answering %s leaves the short id, in bounded time" % mode,
                  d is not None and web.get("name") == DOCKER_ID[:12] and took < 3,
                  (web, took, r.stderr if r else ""))
        finally:
            srv.close()


def gpu_tests(tmp):
    if not os.path.exists(FAKE_NVML):
        check("the fake NVML library is built", False, FAKE_NVML)
        return
    env = {"VITALS_NVML_LIBRARY": FAKE_NVML, "FAKE_NVML_DEVICES": "2"}
    r = run(["snapshot", "--sources"], env)
    check("--sources shows the GPU source working",
          r.returncode == 0 and any(l.split()[:2] == ["gpu", "ok"] for l in r.stdout.splitlines()),
          r.stdout)
    d, r = snapshot_json(["--no-containers"], env)
    check("snapshot --json lists the GPUs",
          d is not None and [g["id"] for g in d["gpu"]] == ["0", "1"]
          and d["gpu"][1]["name"] == "Fake GPU 1" and d["gpu"][0]["temperature_celsius"] == 50
          and d["gpu"][1]["fan_percent"] is None, d["gpu"] if d else r.stderr)
    r = run(["snapshot", "--interval", "0.1", "--top", "1", "--no-containers"], env)
    check("the text summary has a GPU table",
          r.returncode == 0 and any(l.startswith("0") and "Fake GPU 0" in l
                                    for l in r.stdout.splitlines()), r.stdout)

    for extra, word, why in (({"FAKE_NVML_FAIL": "init"}, "absent", "nvmlInit failed"),
                             ({"FAKE_NVML_DEVICES": "0"}, "absent", "no NVIDIA GPU"),
                             ({"VITALS_NVML_LIBRARY": os.path.join(tmp, "none.so")}, "absent",
                              "cannot load"),
                             ({"FAKE_NVML_LOST_AFTER": "0", "FAKE_NVML_DEVICES": "1"}, "error",
                              "GPUs lost")):
        e = dict(env)
        e.update(extra)
        r = run(["snapshot", "--sources"], e)
        line = [l for l in r.stdout.splitlines() if l.startswith("gpu ")]
        check("--sources says the GPU source is %s: %s" % (word, why),
              r.returncode == 0 and line and line[0].split()[1] == word and why in line[0],
              r.stdout + r.stderr)

    # in a pid namespace NVML's host pids are not ours: nothing is attributed, and it is said
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare, "--pid", "--fork", "--mount-proc", "true"],
                           capture_output=True) if unshare and os.geteuid() == 0 else None
    if probe is None or probe.returncode != 0:
        print("note: no pid namespace here (needs root and unshare): that check is skipped")
    else:
        e = dict(os.environ)
        e.update(env)
        e["FAKE_NVML_PROCS"] = "1:0:4096"  # pid 1 in the namespace is vitals itself
        r = subprocess.run([unshare, "--pid", "--fork", "--mount-proc", BIN, "snapshot",
                            "--json", "--interval", "0.1", "--no-containers"],
                           capture_output=True, text=True, env=e, timeout=30)
        d = json.loads(r.stdout) if r.returncode == 0 else None
        me = [p for p in d["process"] if p["pid"] == 1] if d else []
        check("in a pid namespace, host pids from NVML are not given to processes",
              d is not None and me and me[0]["gpu_memory_bytes"] is None
              and "pid namespace" in d["sources"]["gpu"]["reason"]
              and d["gpu"][0]["gpu_processes"] == 1,
              (r.stderr, d["sources"]["gpu"] if d else None, me))
        r = subprocess.run([BIN, "snapshot", "--json", "--interval", "0.1", "--no-containers",
                            "--pid", "1", "--depth", "0"],
                           capture_output=True, text=True, env=e, timeout=30)
        d = json.loads(r.stdout) if r.returncode == 0 else None
        check("outside a namespace the same pid gets its GPU memory",
              d is not None and d["process"][0]["gpu_memory_bytes"] == 4096
              and d["process"][0]["gpu_index"] == 0, d["process"] if d else r.stderr)

    # a GPU lost while recording: its rows stop, the recording goes on
    out = os.path.join(tmp, "gpu.csv")
    e = dict(env)
    e.update({"FAKE_NVML_LOST_AFTER": "4", "FAKE_NVML_LOST_DEVICE": "1"})
    r = run(["record", "-o", out, "--sample-interval", "0.1", "--write-interval", "0.3",
             "--duration", "1.5", "--processes", "none", "--no-containers", "-q"], e, timeout=60)
    rows = list(csv.DictReader(open(out))) if r.returncode == 0 and os.path.exists(out) else []
    times = sorted({x["time"] for x in rows if x["kind"] == "system"})
    gpu0 = [x for x in rows if x["kind"] == "gpu" and x["id"] == "0"]
    gpu1 = [x for x in rows if x["kind"] == "gpu" and x["id"] == "1"]
    check("recording goes on after a GPU is lost",
          len(times) >= 8 and len(gpu0) == len(times) and 1 <= len(gpu1) <= 4
          and max(x["time"] for x in gpu1) < times[-1],
          (r.returncode, r.stderr, len(times), len(gpu0), len(gpu1)))
    check("gpu rows carry their columns",
          gpu0 and gpu0[0]["memory_total_bytes"] == str(16 << 30)
          and gpu0[0]["uuid"].startswith("GPU-") and gpu0[0]["power_watts"] == "123.456",
          gpu0[:1])


def bad_input_tests(tmp):
    r = run(["snapshot", "--cgroup-root", os.path.join(tmp, "nowhere")])
    check("--cgroup-root on a missing directory: exit 2, the directory named",
          r.returncode == 2 and "--cgroup-root" in r.stderr and "nowhere" in r.stderr, r.stderr)
    r = run(["proctree", "--docker-socket", ""])
    check("--docker-socket with an empty path: exit 2", r.returncode == 2
          and "--docker-socket" in r.stderr, r.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="vitals-containers-")
    try:
        docker_tests(tmp)
        gpu_tests(tmp)
        bad_input_tests(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%s" % ("all passed" if not failures else "%d failed" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
