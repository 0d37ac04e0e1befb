"""Build a HAOS server with N channels for test-moderation.sh, through the
client-server API with the mapping's shapes (seed_demo.py's builders).

    moderation_world.py URL NAME NCHANNELS  -> JSON on stdout:
    {"space": ID, "channels": {name: id}, "tokens": {user: token}}

Users alice (owner, 100), carol, dave and bob (all GUEST) join everything.
Passwords are "<user>-password".
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "homeserver"))
import seed_demo as sd  # noqa: E402

sd.log = lambda msg: None


def main():
    url, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    hs = "haos.test"
    users = {}
    for u in ("alice", "bob", "carol", "dave"):
        api, _ = sd.login_or_register(url, u, u + "-password", u.title())
        users[u] = api
    alice = users["alice"]
    sd.SERVER_NAME_DISPLAY = name
    space, _code, _alias, _avatar = sd.create_server(alice, hs)
    channels = {}
    for i in range(n):
        cname = "chan-%02d" % i
        channels[cname] = sd.create_channel(alice, hs, space, cname, "TEXT",
                                            "%04d" % i)
    for u in ("bob", "carol", "dave"):
        users[u].join(space)
        for cname, rid in channels.items():
            sd.join_channel(users[u], alice, rid, cname)
    json.dump({"space": space, "channels": channels,
               "tokens": {u: a.token for u, a in users.items()}},
              sys.stdout)


if __name__ == "__main__":
    main()
