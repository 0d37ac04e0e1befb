"""seed_demo.py against a fresh test homeserver, checked through the API.

Starts server.py, runs ``seed_demo.py URL`` as a subprocess, then verifies as
alice, bob and carol: the Acme space and its four channels (types, order,
io.haos.* content, join rules), power levels 100/50/0 everywhere, the message
relations (edit, redaction, reactions, reply, thread), the DM with m.direct on
both sides, that a second run is idempotent, and that --chatter posts.

Run:  python3 -m unittest discover -s tests/homeserver -t tests/homeserver -v
"""

import os
import subprocess
import sys
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hsclient  # noqa: E402
import seed_demo  # noqa: E402

SEED = os.path.join(HERE, "seed_demo.py")


def q(s):
    return urllib.parse.quote(s, safe="")


def run_seed(url, *extra, timeout=120):
    return subprocess.run([sys.executable, SEED, url] + list(extra), capture_output=True,
                          text=True, timeout=timeout)


class SeedDemoTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.hs = hsclient.Homeserver()
        cls.first = run_seed(cls.hs.url)
        cls.users = {}
        if cls.first.returncode == 0:
            for lp, info in seed_demo.USERS.items():
                uid, token, _dev = hsclient.login(cls.hs.url, lp, info["password"])
                cls.users[lp] = (uid, hsclient.Client(cls.hs.url, token))

    @classmethod
    def tearDownClass(cls):
        cls.hs.stop()

    # helpers ----------------------------------------------------------------
    def setUp(self):
        self.assertEqual(self.first.returncode, 0,
                         "seed_demo failed:\nSTDOUT:\n%s\nSTDERR:\n%s" %
                         (self.first.stdout, self.first.stderr))

    def api(self, who, method, path, body=None, query=None, ok=200):
        _uid, c = self.users[who]
        st, _h, resp = c.request(method, path, body, query=query)
        if ok is not None:
            self.assertEqual(st, ok, "%s %s as %s -> %s %r" % (method, path, who, st, resp))
        return resp

    def uid(self, who):
        return self.users[who][0]

    def state(self, who, room):
        evs = self.api(who, "GET", "/_matrix/client/v3/rooms/%s/state" % q(room))
        return {(e["type"], e.get("state_key")): e for e in evs}

    def world(self):
        if hasattr(self.__class__, "_world"):
            return self.__class__._world
        rooms = self.api("alice", "GET", "/_matrix/client/v3/joined_rooms")["joined_rooms"]
        space = None
        for r in rooms:
            st = self.state("alice", r)
            create = st.get(("m.room.create", ""), {}).get("content", {})
            name = st.get(("m.room.name", ""), {}).get("content", {}).get("name")
            if create.get("type") == "m.space" and name == "Acme":
                self.assertIsNone(space, "two Acme spaces")
                space = (r, st)
        self.assertIsNotNone(space, "no Acme space among alice's rooms %s" % rooms)
        space_id, sst = space
        children = sorted(
            (e["content"].get("order"), key[1], e["content"])
            for key, e in sst.items() if key[0] == "m.space.child" and e["content"].get("via"))
        channels = []
        for order, rid, content in children:
            cst = self.state("alice", rid)
            channels.append({"id": rid, "order": order, "child": content, "state": cst,
                             "name": cst[("m.room.name", "")]["content"]["name"]})
        self.__class__._world = {"space": space_id, "state": sst, "channels": channels,
                                 "rooms": rooms}
        return self.__class__._world

    def timeline(self, who, room):
        out = []
        frm = None
        for _ in range(20):
            query = {"dir": "b", "limit": "100"}
            if frm:
                query["from"] = frm
            resp = self.api(who, "GET", "/_matrix/client/v3/rooms/%s/messages" % q(room),
                            query=query)
            out.extend(resp.get("chunk", []))
            frm = resp.get("end")
            if not frm or not resp.get("chunk"):
                break
        out.reverse()
        return out

    # tests ------------------------------------------------------------------
    def test_output_mentions_logins(self):
        for lp, info in seed_demo.USERS.items():
            self.assertIn(info["password"], self.first.stdout)
        self.assertIn("invite", self.first.stdout)

    def test_space(self):
        w = self.world()
        sst = w["state"]
        create = sst[("m.room.create", "")]["content"]
        self.assertEqual(create.get("type"), "m.space")
        self.assertEqual(create.get("room_version"), "10")
        server = sst[("io.haos.server", "")]["content"]
        self.assertEqual(set(server), {"inviteCode", "ownerId"})
        self.assertEqual(server["ownerId"], self.uid("alice"))
        self.assertRegex(server["inviteCode"], r"^[a-z0-9]+$")
        # avatar: an uploaded PNG
        url = sst[("m.room.avatar", "")]["content"]["url"]
        self.assertTrue(url.startswith("mxc://"), url)
        _uid, c = self.users["bob"]
        st, h, body = c.request("GET", "/_matrix/media/v3/download/" + url[len("mxc://"):])
        self.assertEqual(st, 200)
        self.assertTrue(h.get("content-type", "").startswith("image/png"), h)
        self.assertTrue(body.startswith(b"\x89PNG\r\n\x1a\n"))
        # join rule public, but not published in the directory
        self.assertEqual(sst[("m.room.join_rules", "")]["content"]["join_rule"], "public")
        pub = self.api("bob", "GET", "/_matrix/client/v3/publicRooms")
        self.assertNotIn(w["space"], [r.get("room_id") for r in pub.get("chunk", [])])
        # the invite code resolves through #haos-CODE:haos.test
        alias = "#haos-%s:haos.test" % server["inviteCode"]
        resp = self.api("carol", "GET", "/_matrix/client/v3/directory/room/%s" % q(alias))
        self.assertEqual(resp["room_id"], w["space"])

    def test_channels(self):
        w = self.world()
        self.assertEqual([c["name"] for c in w["channels"]],
                         ["general", "random", "lounge", "stage"])
        self.assertEqual(
            [c["state"][("io.haos.channel", "")]["content"]["type"] for c in w["channels"]],
            ["TEXT", "TEXT", "AUDIO", "VIDEO"])
        orders = [c["order"] for c in w["channels"]]
        self.assertTrue(all(isinstance(o, str) and o for o in orders), orders)
        self.assertEqual(orders, sorted(orders))
        self.assertEqual(len(set(orders)), 4)
        for c in w["channels"]:
            st = c["state"]
            self.assertEqual(c["child"]["via"], ["haos.test"])
            self.assertEqual(st[("io.haos.channel", "")]["content"],
                             {"type": st[("io.haos.channel", "")]["content"]["type"],
                              "creatorId": self.uid("alice")})
            self.assertEqual(st[("m.space.parent", w["space"])]["content"],
                             {"via": ["haos.test"]})
            self.assertEqual(st[("m.room.create", "")]["content"].get("room_version"), "10")
            jr = st[("m.room.join_rules", "")]["content"]
            self.assertEqual(jr["join_rule"], "restricted", c["name"])
            self.assertEqual(jr["allow"], [{"type": "m.room_membership", "room_id": w["space"]}])

    def test_membership_and_power_levels(self):
        w = self.world()
        template = seed_demo.power_level_template()
        for room in [w["space"]] + [c["id"] for c in w["channels"]]:
            joined = self.api("alice", "GET",
                              "/_matrix/client/v3/rooms/%s/joined_members" % q(room))["joined"]
            self.assertEqual(set(joined), {self.uid(u) for u in ("alice", "bob", "carol")}, room)
            pl = self.api("carol", "GET", "/_matrix/client/v3/rooms/%s/state/"
                          "m.room.power_levels/" % q(room))
            self.assertEqual(pl["users"], {self.uid("alice"): 100, self.uid("bob"): 50,
                                           self.uid("carol"): 0}, room)
            for k, v in template.items():
                if k == "events":
                    for ev, lvl in v.items():
                        self.assertEqual(pl["events"].get(ev), lvl, (room, ev))
                else:
                    self.assertEqual(pl.get(k), v, (room, k))
        # display labels: written by alice and bob for themselves; carol (GUEST)
        # cannot write state, and nobody wrote one for another user
        sst = self.state("bob", w["space"])
        self.assertEqual(sst[("io.haos.member_role", self.uid("alice"))]["content"],
                         {"role": "ADMIN"})
        self.assertEqual(sst[("io.haos.member_role", self.uid("bob"))]["content"],
                         {"role": "MODERATOR"})
        self.assertNotIn(("io.haos.member_role", self.uid("carol")), sst)

    def test_message_relations(self):
        w = self.world()
        events = {}
        senders = set()
        all_events = []
        for c in w["channels"]:
            tl = self.timeline("bob", c["id"])
            all_events.extend(tl)
            for e in tl:
                events[e["event_id"]] = e
                if e["type"] == "m.room.message":
                    senders.add(e["sender"])
        msgs = [e for e in all_events if e["type"] == "m.room.message"]
        self.assertGreaterEqual(len(msgs), 28)
        self.assertEqual(senders, {self.uid(u) for u in ("alice", "bob", "carol")})

        def rel(e):
            return e.get("content", {}).get("m.relates_to") or {}
        edits = [e for e in msgs if rel(e).get("rel_type") == "m.replace"]
        self.assertTrue(edits, "no edit")
        for e in edits:
            c = e["content"]
            self.assertTrue(c["body"].startswith("* "))
            self.assertEqual(c["m.new_content"], {"msgtype": "m.text", "body": c["body"][2:]})
            self.assertEqual(set(rel(e)), {"rel_type", "event_id"})
            self.assertIn(rel(e)["event_id"], events)
        reds = [e for e in all_events if e["type"] == "m.room.redaction"]
        self.assertTrue(reds, "no redaction")
        for r in reds:
            target = r.get("redacts") or r.get("content", {}).get("redacts")
            self.assertIn(target, events)
            self.assertEqual(events[target]["content"], {})
        reactions = [e for e in all_events if e["type"] == "m.reaction"]
        self.assertGreaterEqual(len(reactions), 3)
        for r in reactions:
            self.assertEqual(set(rel(r)), {"rel_type", "event_id", "key"})
            self.assertEqual(rel(r)["rel_type"], "m.annotation")
            self.assertIn(rel(r)["event_id"], events)
        replies = [e for e in msgs if "m.in_reply_to" in rel(e) and "rel_type" not in rel(e)]
        self.assertTrue(replies, "no plain reply")
        for r in replies:
            parent = events[rel(r)["m.in_reply_to"]["event_id"]]
            self.assertTrue(r["content"]["body"].startswith("> <%s> " % parent["sender"]))
            self.assertIn("<mx-reply>", r["content"].get("formatted_body", ""))
        thread = [e for e in msgs if rel(e).get("rel_type") == "m.thread"]
        self.assertGreaterEqual(len(thread), 3)
        roots = {rel(e)["event_id"] for e in thread}
        self.assertEqual(len(roots), 1)
        for e in thread:
            self.assertEqual(rel(e), {"rel_type": "m.thread", "event_id": rel(e)["event_id"],
                                      "is_falling_back": True,
                                      "m.in_reply_to": {"event_id": rel(e)["event_id"]}})
            self.assertIn(rel(e)["event_id"], events)

    def test_direct_message(self):
        alice_direct = self.api("alice", "GET", "/_matrix/client/v3/user/%s/account_data/"
                                "m.direct" % q(self.uid("alice")))
        bob_direct = self.api("bob", "GET", "/_matrix/client/v3/user/%s/account_data/"
                              "m.direct" % q(self.uid("bob")))
        self.assertEqual(list(alice_direct), [self.uid("bob")])
        self.assertEqual(len(alice_direct[self.uid("bob")]), 1)
        dm = alice_direct[self.uid("bob")][0]
        self.assertEqual(bob_direct, {self.uid("alice"): [dm]})
        st = self.state("bob", dm)
        self.assertEqual(st[("m.room.join_rules", "")]["content"]["join_rule"], "invite")
        member = st[("m.room.member", self.uid("bob"))]["content"]
        self.assertEqual(member["membership"], "join")
        joined = self.api("bob", "GET",
                          "/_matrix/client/v3/rooms/%s/joined_members" % q(dm))["joined"]
        self.assertEqual(set(joined), {self.uid("alice"), self.uid("bob")})
        # is_direct on bob's invite (the member event before his join)
        tl = self.timeline("bob", dm)
        invites = [e for e in tl if e["type"] == "m.room.member" and
                   e.get("state_key") == self.uid("bob") and
                   e["content"].get("membership") == "invite"]
        self.assertTrue(invites and invites[0]["content"].get("is_direct") is True, invites)
        texts = [e for e in tl if e["type"] == "m.room.message"]
        self.assertGreaterEqual(len(texts), 3)
        self.assertEqual({e["sender"] for e in texts}, {self.uid("alice"), self.uid("bob")})

    def test_second_run_is_idempotent(self):
        w = self.world()
        before = sorted(w["rooms"])
        again = run_seed(self.hs.url)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("already exists", again.stdout)
        after = sorted(self.api("alice", "GET", "/_matrix/client/v3/joined_rooms")["joined_rooms"])
        self.assertEqual(before, after)

    def test_chatter(self):
        w = self.world()
        general = w["channels"][0]["id"]
        random_ = w["channels"][1]["id"]
        count = sum(len([e for e in self.timeline("alice", r) if e["type"] == "m.room.message"])
                    for r in (general, random_))
        res = run_seed(self.hs.url, "--chatter", "--chatter-minutes", "0.05",
                       "--chatter-interval", "0.5")
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        after = sum(len([e for e in self.timeline("alice", r) if e["type"] == "m.room.message"
                         and e["sender"]])
                    for r in (general, random_))
        self.assertGreater(after, count, res.stdout)


if __name__ == "__main__":
    unittest.main()
