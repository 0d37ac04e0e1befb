"""An account with many rooms, for the first-start test of check_net.c.

    first_start_world.py URL ALICE_TOKEN BOB_TOKEN NROOMS  -> JSON on stdout:
    {"rooms": [{"id": ID, "unread": N, "highlight": H, "messages": M}...]}

Alice creates NROOMS public rooms ("fs-0000"...), Bob joins each and sends
M messages there, some of them with Alice's display name (highlights).  Most rooms
have a few messages; every LONG_EVERY-th has LONG_MESSAGES, more than one
/messages page, so that filling leaves a gap below what it fetched.
Alice reads none of them: unread counts are Bob's messages, as the server
counts them.  Requests go over one kept-alive connection per user.
"""

import http.client
import json
import sys
import urllib.parse

LONG_EVERY = 40
LONG_MESSAGES = 70


class Conn:
    def __init__(self, url, token):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.token = u.hostname, u.port, token
        self.c = None
        self.txn = 0

    def call(self, method, path, body):
        data = json.dumps(body).encode() if body is not None else b""
        hdrs = {"Authorization": "Bearer " + self.token,
                "Content-Length": str(len(data))}
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port,
                                                    timeout=60)
            try:
                self.c.request(method, path, body=data, headers=hdrs)
                r = self.c.getresponse()
                raw = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = None
                if attempt == 2:
                    raise
        if r.status != 200:
            raise SystemExit("%s %s: %d %s" % (method, path, r.status, raw))
        return json.loads(raw)

    def send(self, room, text):
        self.txn += 1
        path = "/_matrix/client/v3/rooms/%s/send/m.room.message/fs%d" % (
            urllib.parse.quote(room, safe=""), self.txn)
        return self.call("PUT", path, {"msgtype": "m.text", "body": text})


def main():
    url, atok, btok, n = sys.argv[1], sys.argv[2], sys.argv[3], \
        int(sys.argv[4])
    alice, bob = Conn(url, atok), Conn(url, btok)
    me = alice.call("GET", "/_matrix/client/v3/account/whoami",
                    None)["user_id"]
    name = alice.call("GET", "/_matrix/client/v3/profile/%s" %
                      urllib.parse.quote(me, safe=""),
                      None).get("displayname") or me
    rooms = []
    for i in range(n):
        rid = alice.call("POST", "/_matrix/client/v3/createRoom",
                         {"name": "fs-%04d" % i,
                          "preset": "public_chat"})["room_id"]
        bob.call("POST", "/_matrix/client/v3/join/%s" %
                 urllib.parse.quote(rid, safe=""), {})
        m = LONG_MESSAGES if i % LONG_EVERY == 0 else i % 4
        hl = 0
        for k in range(m):
            if k % 5 == 4:
                bob.send(rid, "%s: look at %d in fs-%04d" % (name, k, i))
                hl += 1
            else:
                bob.send(rid, "message %d in fs-%04d" % (k, i))
        rooms.append({"id": rid, "unread": m, "highlight": hl,
                      "messages": m})
    json.dump({"rooms": rooms}, sys.stdout)


if __name__ == "__main__":
    main()
