"""Start/stop the test homeserver and talk to it: a tiny, stable helper API.

    hs = Homeserver(data_dir=None, args=())   # spawns server.py on 127.0.0.1
    hs.url                                     # "http://127.0.0.1:PORT"
    hs.restart()                               # same port, same --data
    hs.stop()

    c = Client(hs.url, token=None)
    status, headers, body = c.request("GET", "/_matrix/client/v3/sync",
                                      query={"timeout": "0"})
    # body is parsed JSON for application/json answers, else bytes

    user_id, token, device_id = register(hs.url, "alice", "pw")
    user_id, token, device_id = login(hs.url, "alice", "pw")

Python 3 standard library only.
"""

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "server.py")
SERVER_NAME = "haos.test"


def _drain(pipe):
    """Read the server's stdout until it exits, then close the pipe."""
    try:
        pipe.read()
    finally:
        pipe.close()


class Homeserver:
    """A server.py subprocess; the first stdout line gives its URL."""

    def __init__(self, data_dir=None, args=(), port=0,
                 server_name=SERVER_NAME):
        self.data_dir = data_dir
        self.args = list(args)
        self.server_name = server_name
        self.port = port
        self.proc = None
        self.url = None
        self._start()

    def _start(self):
        cmd = [sys.executable, SERVER, "--port", str(self.port),
               "--server-name", self.server_name]
        if self.data_dir:
            cmd += ["--data", self.data_dir]
        cmd += self.args
        # The port of a just-stopped server may linger briefly: retry.
        deadline = time.monotonic() + 10
        while True:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                         stdin=subprocess.DEVNULL, text=True)
            line = self.proc.stdout.readline()
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                break
            self.proc.wait()
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start: %r" % line)
            time.sleep(0.1)
        self.url = m.group(1).rstrip("/")
        self.port = int(self.url.rsplit(":", 1)[1])
        threading.Thread(target=_drain, args=(self.proc.stdout,),
                         daemon=True).start()

    def stop(self):
        """Stop the server (SIGTERM; it flushes --data first)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self):
        """Stop and start again on the same port with the same data."""
        self.stop()
        self._start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Client:
    """Minimal JSON client; one connection per request."""

    def __init__(self, url, token=None, timeout=60):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(self, method, path, body=None, query=None, headers=None):
        """Return (status, headers dict lower-cased, JSON or bytes)."""
        u = urllib.parse.urlsplit(self.url)
        if query:
            path += ("&" if "?" in path else "?") + urllib.parse.urlencode(
                {k: (json.dumps(v) if isinstance(v, (dict, list)) else v)
                 for k, v in query.items()})
        hdrs = {}
        if self.token:
            hdrs["Authorization"] = "Bearer " + self.token
        data = None
        if body is not None:
            if isinstance(body, (bytes, bytearray)):
                data = bytes(body)
                hdrs.setdefault("Content-Type", "application/octet-stream")
            else:
                data = json.dumps(body).encode()
                hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        if data is not None:
            hdrs["Content-Length"] = str(len(data))
        conn = http.client.HTTPConnection(u.hostname, u.port,
                                          timeout=self.timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            raw = resp.read()
            rh = {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()
        if rh.get("content-type", "").startswith("application/json"):
            try:
                return resp.status, rh, json.loads(raw)
            except ValueError:
                pass
        return resp.status, rh, raw

    def get(self, path, **query):
        return self.request("GET", path, query=query or None)

    def post(self, path, body=None):
        return self.request("POST", path, body if body is not None else {})

    def put(self, path, body=None):
        return self.request("PUT", path, body if body is not None else {})


def register(url, localpart, password, device_id=None):
    """Register through the m.login.dummy flow; (user_id, token, device_id)."""
    c = Client(url)
    body = {"username": localpart, "password": password}
    if device_id:
        body["device_id"] = device_id
    st, _, r = c.request("POST", "/_matrix/client/v3/register", body)
    if st == 401:
        body["auth"] = {"type": "m.login.dummy", "session": r["session"]}
        st, _, r = c.request("POST", "/_matrix/client/v3/register", body)
    if st != 200:
        raise RuntimeError("register %s: %s %r" % (localpart, st, r))
    return r["user_id"], r["access_token"], r["device_id"]


def login(url, localpart, password, device_id=None):
    """Password login; (user_id, token, device_id)."""
    body = {"type": "m.login.password", "password": password,
            "identifier": {"type": "m.id.user", "user": localpart}}
    if device_id:
        body["device_id"] = device_id
    st, _, r = Client(url).request("POST", "/_matrix/client/v3/login", body)
    if st != 200:
        raise RuntimeError("login %s: %s %r" % (localpart, st, r))
    return r["user_id"], r["access_token"], r["device_id"]
