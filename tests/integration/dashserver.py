"""What the dashboard tests share: a `vitals dashboard` started on an
ephemeral port of 127.0.0.1 (its URL read from the line it prints), asked
over HTTP, and stopped with SIGTERM; and the tally of checks they print.
"""
import http.client
import json
import os
import signal
import subprocess
import urllib.parse


class Results:
    """Checks passed and failed, each printed as it is made."""

    def __init__(self, width=400):
        self.passed = 0
        self.failed = 0
        self.width = width

    def report(self, ok, name, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print("%s - %s%s" % ("ok" if ok else "FAIL", name,
                             ": " + str(detail)[:self.width] if detail and not ok else ""), flush=True)

    def summary(self):
        """Prints the tally; the exit status of the test."""
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


class Server:
    """`VITALS dashboard --port 0 --quiet ARGS`, run after PREFIX (a command
    such as chrt that runs it), with ENV added to the environment."""

    def __init__(self, vitals, *args, token=None, env=None, prefix=()):
        e = dict(os.environ)
        e.update(env or {})
        self.token = token
        self.p = subprocess.Popen(list(prefix) + [vitals, "dashboard", "--port", "0", "--quiet"] + list(args),
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=e)
        self.line = self.p.stdout.readline()
        self.url = self.line.strip().split(" on ")[-1]
        self.port = urllib.parse.urlsplit(self.url).port

    def request(self, method, path, body=None, headers=None, token=False, timeout=30):
        """(status, JSON document or None, raw bytes, response); TOKEN: send the server's token."""
        h = dict(headers or {})
        if token:
            h["X-Vitals-Token"] = self.token
        if body is not None and isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        raw = r.read()
        c.close()
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = None
        return r.status, doc, raw, r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def stop(self):
        """SIGTERM, then its exit status (-9 when it had to be killed after 30 s)."""
        self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return -9

    def stderr_tail(self, n=500):
        return self.p.stderr.read()[-n:]
