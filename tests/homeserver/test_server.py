"""Functional tests of the test homeserver (server.py) through its HTTP API.

Run:  python3 -m unittest discover -s tests/homeserver -t tests/homeserver -v
"""

import http.client
import itertools
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hsclient import Client, Homeserver, login, register  # noqa: E402

V3 = "/_matrix/client/v3"
COUNTER = itertools.count()


def q(s):
    return urllib.parse.quote(s, safe="")


class User(Client):
    """A registered user: a Client with uid, device id and helpers."""

    def __init__(self, url, localpart, password="pw"):
        uid, token, did = register(url, localpart, password)
        super().__init__(url, token)
        self.uid, self.did, self.password = uid, did, password

    def ok(self, method, path, body=None, query=None):
        st, _, r = self.request(method, V3 + path if path.startswith("/")
                                and not path.startswith("/_") else path,
                                body, query)
        if st != 200:
            raise AssertionError("%s %s -> %s %r" % (method, path, st, r))
        return r

    def err(self, method, path, body=None, query=None):
        st, _, r = self.request(method, V3 + path if not path.startswith(
            "/_") else path, body, query)
        return st, (r.get("errcode") if isinstance(r, dict) else None)

    def create_room(self, **body):
        return self.ok("POST", "/createRoom", body)["room_id"]

    def send(self, rid, body, etype="m.room.message", txn=None):
        txn = txn or "t%d" % next(COUNTER)
        return self.ok("PUT", "/rooms/%s/send/%s/%s" % (q(rid), etype, txn),
                       body)["event_id"]

    def text(self, rid, text):
        return self.send(rid, {"msgtype": "m.text", "body": text})

    def sync(self, since=None, timeout=0, flt=None, **extra):
        query = {"timeout": str(timeout)}
        if since:
            query["since"] = since
        if flt is not None:
            query["filter"] = json.dumps(flt)
        query.update(extra)
        return self.ok("GET", "/sync", query=query)

    def join(self, rid):
        return self.ok("POST", "/join/%s" % q(rid), {})

    def invite(self, rid, uid):
        return self.ok("POST", "/rooms/%s/invite" % q(rid), {"user_id": uid})

    def state(self, rid, etype, key, content):
        return self.ok("PUT", "/rooms/%s/state/%s/%s" % (q(rid), etype,
                                                         q(key)), content)

    def pl(self, rid):
        return self.ok("GET", "/rooms/%s/state/m.room.power_levels/" % q(rid))


class ServerTestCase(unittest.TestCase):
    hs = None
    args = ("--sync-cache-ms", "0")     # tests repeat identical syncs

    @classmethod
    def setUpClass(cls):
        cls.hs = Homeserver(args=cls.args)

    @classmethod
    def tearDownClass(cls):
        cls.hs.stop()

    def user(self, name="u"):
        return User(self.hs.url, "%s%d" % (name, next(COUNTER)))

    def timeline(self, resp, rid):
        return resp["rooms"]["join"][rid]["timeline"]


class AccountTests(ServerTestCase):
    def test_register_uia_login_whoami_logout(self):
        c = Client(self.hs.url)
        st, _, r = c.request("POST", V3 + "/register",
                             {"username": "alice_acc", "password": "pw"})
        self.assertEqual(st, 401)
        self.assertEqual(r["flows"], [{"stages": ["m.login.dummy"]}])
        self.assertIn("session", r)
        uid, tok, did = register(self.hs.url, "alice_acc", "pw")
        self.assertEqual(uid, "@alice_acc:haos.test")
        self.assertRegex(tok, r"^syt_[A-Za-z0-9+/]+_[A-Za-z]{20}_[0-9a-f]{6}$")
        self.assertRegex(did, r"^[A-Z]{10}$")
        st, _, r = c.request("POST", V3 + "/register", {
            "username": "alice_acc", "password": "pw",
            "auth": {"type": "m.login.dummy"}})
        self.assertEqual((st, r["errcode"]), (400, "M_USER_IN_USE"))
        st, _, r = c.request("POST", V3 + "/register", {
            "username": "Bad Name!", "password": "pw"})
        self.assertEqual(r["errcode"], "M_INVALID_USERNAME")
        # login by localpart (identifier) and by user id (legacy field)
        uid2, tok2, did2 = login(self.hs.url, "alice_acc", "pw")
        self.assertEqual(uid2, uid)
        st, _, r = c.request("POST", V3 + "/login", {
            "type": "m.login.password", "user": uid, "password": "pw"})
        self.assertEqual(st, 200)
        st, _, r = c.request("POST", V3 + "/login", {
            "type": "m.login.password", "user": uid, "password": "no"})
        self.assertEqual((st, r["errcode"]), (403, "M_FORBIDDEN"))
        a = Client(self.hs.url, tok2)
        st, _, r = a.request("GET", V3 + "/account/whoami")
        self.assertEqual(r, {"user_id": uid, "is_guest": False,
                             "device_id": did2})
        st, _, r = a.request("GET", V3 + "/devices")
        self.assertEqual(len(r["devices"]), 3)
        self.assertEqual(a.request("POST", V3 + "/logout", {})[0], 200)
        st, _, r = a.request("GET", V3 + "/account/whoami")
        self.assertEqual((st, r["errcode"], r["soft_logout"]),
                         (401, "M_UNKNOWN_TOKEN", False))
        st, _, r = Client(self.hs.url).request("GET", V3 + "/sync")
        self.assertEqual((st, r["errcode"]), (401, "M_MISSING_TOKEN"))

    def test_expired_token_is_a_soft_logout(self):
        uid, tok, did = register(self.hs.url, "soft_acc", "pw")
        st, _, _ = Client(self.hs.url).request(
            "POST", "/_test/expire_token", {"access_token": tok})
        self.assertEqual(st, 200)
        a = Client(self.hs.url, tok)
        st, _, r = a.request("GET", V3 + "/account/whoami")
        self.assertEqual((st, r["errcode"], r["soft_logout"]),
                         (401, "M_UNKNOWN_TOKEN", True))
        # a login naming the device gets the same device back
        st, _, r = Client(self.hs.url).request("POST", V3 + "/login", {
            "type": "m.login.password", "user": uid, "password": "pw",
            "device_id": did})
        self.assertEqual((st, r["device_id"]), (200, did))
        st, _, r = Client(self.hs.url, r["access_token"]).request(
            "GET", V3 + "/account/whoami")
        self.assertEqual(r["device_id"], did)

    def test_unknown_endpoint_and_method(self):
        a = self.user()
        self.assertEqual(a.err("GET", "/no/such/thing"),
                         (400, "M_UNRECOGNIZED"))
        self.assertEqual(a.err("DELETE", "/account/whoami"),
                         (400, "M_UNRECOGNIZED"))
        st, _, r = a.request("POST", V3 + "/createRoom", b"{nope",
                             headers={"Content-Type": "application/json"})
        self.assertEqual((st, r["errcode"]), (400, "M_NOT_JSON"))

    def test_profile_displayname_updates_member_events(self):
        a = self.user()
        rid = a.create_room(name="p")
        a.ok("PUT", "/profile/%s/displayname" % q(a.uid),
             {"displayname": "Alice A"})
        self.assertEqual(a.ok("GET", "/profile/%s" % q(a.uid)),
                         {"displayname": "Alice A"})
        m = a.ok("GET", "/rooms/%s/state/m.room.member/%s" % (q(rid),
                                                              q(a.uid)))
        self.assertEqual(m["displayname"], "Alice A")

    def test_account_data_and_filters(self):
        a = self.user()
        path = "/user/%s/account_data/m.direct" % q(a.uid)
        self.assertEqual(a.err("GET", path), (404, "M_NOT_FOUND"))
        a.ok("PUT", path, {"@x:haos.test": ["!r:haos.test"]})
        self.assertEqual(a.ok("GET", path), {"@x:haos.test": ["!r:haos.test"]})
        types = [e["type"] for e in a.sync()["account_data"]["events"]]
        self.assertEqual(types, ["m.direct", "m.push_rules"])
        fid = a.ok("POST", "/user/%s/filter" % q(a.uid),
                   {"room": {"timeline": {"limit": 2}}})["filter_id"]
        self.assertEqual(a.ok("GET", "/user/%s/filter/%s" % (q(a.uid), fid)),
                         {"room": {"timeline": {"limit": 2}}})


class SyncTests(ServerTestCase):
    def test_long_poll_answers_within_100ms(self):
        a, b = self.user(), self.user()
        rid = a.create_room(preset="public_chat")
        b.join(rid)
        since = a.sync()["next_batch"]
        result = {}

        def poll():
            t0 = time.monotonic()
            result["resp"] = a.sync(since, timeout=20000)
            result["t"] = time.monotonic()
        th = threading.Thread(target=poll)
        th.start()
        time.sleep(0.5)
        self.assertTrue(th.is_alive(), "long poll returned early")
        sent_at = time.monotonic()
        b.text(rid, "wake up")
        th.join(10)
        delay = result["t"] - sent_at
        self.assertLess(delay, 0.1, "long poll took %.3f s" % delay)
        evs = self.timeline(result["resp"], rid)["events"]
        self.assertEqual([e["content"]["body"] for e in evs], ["wake up"])
        self.assertNotIn("room_id", evs[0])

    def test_empty_incremental_sync_times_out(self):
        a = self.user()
        since = a.sync()["next_batch"]
        t0 = time.monotonic()
        r = a.sync(since, timeout=300)
        self.assertGreaterEqual(time.monotonic() - t0, 0.28)
        self.assertNotIn("rooms", r)
        self.assertIn("device_one_time_keys_count", r)

    def test_incremental_delta_state_ephemeral_and_txn_id(self):
        a, b = self.user(), self.user()
        rid = a.create_room(name="delta", invite=[b.uid])
        s_b = b.sync()
        inv = s_b["rooms"]["invite"][rid]["invite_state"]["events"]
        self.assertEqual(inv[-1]["content"]["membership"], "invite")
        self.assertIn({"type": "m.room.name", "state_key": "",
                       "content": {"name": "delta"}, "sender": a.uid}, inv)
        b.join(rid)
        s_a = a.sync()
        e1 = a.send(rid, {"msgtype": "m.text", "body": "one"}, txn="tx1")
        b.ok("PUT", "/rooms/%s/typing/%s" % (q(rid), q(b.uid)),
             {"typing": True, "timeout": 10000})
        b.ok("POST", "/rooms/%s/receipt/m.read/%s" % (q(rid), q(e1)), {})
        r = a.sync(s_a["next_batch"])
        room = r["rooms"]["join"][rid]
        self.assertFalse(room["timeline"]["limited"])
        self.assertEqual([e["event_id"] for e in room["timeline"]["events"]],
                         [e1])
        self.assertEqual(room["timeline"]["events"][0]["unsigned"][
            "transaction_id"], "tx1")
        self.assertEqual(room["state"]["events"], [])
        eph = {e["type"]: e["content"] for e in room["ephemeral"]["events"]}
        self.assertEqual(eph["m.typing"], {"user_ids": [b.uid]})
        self.assertIn(b.uid, eph["m.receipt"][e1]["m.read"])
        # bob sees the message without transaction_id and unread count 1
        rb = b.sync(s_b["next_batch"])["rooms"]["join"][rid]
        msg = [e for e in rb["timeline"]["events"] if e["event_id"] == e1]
        self.assertNotIn("transaction_id", msg[0]["unsigned"])
        # leave shows up in rooms.leave with the membership event
        s2 = b.sync()["next_batch"]
        a.ok("POST", "/rooms/%s/kick" % q(rid), {"user_id": b.uid,
                                                 "reason": "bye"})
        left = b.sync(s2)["rooms"]["leave"][rid]
        last = left["timeline"]["events"][-1]
        self.assertEqual((last["type"], last["content"]["membership"]),
                         ("m.room.member", "leave"))

    def test_limited_timeline_prev_batch_and_messages(self):
        a = self.user()
        rid = a.create_room(name="pages")
        ids = [a.text(rid, "m%d" % i) for i in range(12)]
        r = a.sync(flt={"room": {"timeline": {"limit": 5}}})
        tl = self.timeline(r, rid)
        self.assertTrue(tl["limited"])
        self.assertEqual([e["event_id"] for e in tl["events"]], ids[-5:])
        state_types = {e["type"] for e in r["rooms"]["join"][rid]["state"][
            "events"]}
        self.assertIn("m.room.create", state_types)
        # back-paginate from prev_batch until no end
        seen, tok = [], tl["prev_batch"]
        while True:
            page = a.ok("GET", "/rooms/%s/messages" % q(rid),
                        query={"dir": "b", "from": tok, "limit": "4"})
            seen.extend(e["event_id"] for e in page["chunk"])
            self.assertTrue(all(e["room_id"] == rid for e in page["chunk"]))
            if "end" not in page:
                break
            tok = page["end"]
        self.assertEqual(seen[:7], list(reversed(ids[:7])))
        self.assertEqual(a.ok("GET", "/rooms/%s/event/%s" % (
            q(rid), q(seen[-1])))["type"], "m.room.create")
        # and forwards again from the oldest token
        fwd, ftok = [], tok
        while True:
            page = a.ok("GET", "/rooms/%s/messages" % q(rid),
                        query={"dir": "f", "from": ftok, "limit": "5"})
            if not page["chunk"]:
                break
            fwd.extend(e["event_id"] for e in page["chunk"])
            ftok = page["end"]
        self.assertEqual(fwd, list(reversed(seen)) + ids[-5:])
        st, err = a.err("GET", "/rooms/%s/messages" % q(rid),
                        query={"dir": "x"})
        self.assertEqual((st, err), (400, "M_INVALID_PARAM"))

    def test_txn_idempotency(self):
        a = self.user()
        rid = a.create_room()
        e1 = a.send(rid, {"msgtype": "m.text", "body": "x"}, txn="same")
        e2 = a.send(rid, {"msgtype": "m.text", "body": "x"}, txn="same")
        self.assertEqual(e1, e2)
        page = a.ok("GET", "/rooms/%s/messages" % q(rid),
                    query={"dir": "b", "limit": "3"})
        self.assertEqual([e["event_id"] for e in page["chunk"]].count(e1), 1)
        self.assertRegex(e1, r"^\$[A-Za-z0-9_\-]{43}$")
        # Synapse keys idempotency on the request path: the same txn id
        # with another event type, or for a redaction, is a new request.
        e3 = a.send(rid, {"key": "value"}, etype="m.custom", txn="same")
        self.assertNotEqual(e3, e1)
        r = a.ok("PUT", "/rooms/%s/redact/%s/same" % (q(rid), q(e3)), {})
        self.assertNotIn(r["event_id"], (e1, e3))

    def test_typing_expires_and_presence(self):
        a, b = self.user(), self.user()
        rid = a.create_room(preset="public_chat")
        b.join(rid)
        s = a.sync()["next_batch"]
        b.ok("PUT", "/rooms/%s/typing/%s" % (q(rid), q(b.uid)),
             {"typing": True, "timeout": 300})
        r = a.sync(s)
        typing = r["rooms"]["join"][rid]["ephemeral"]["events"][0]
        self.assertEqual(typing["content"]["user_ids"], [b.uid])
        t0 = time.monotonic()
        r2 = a.sync(r["next_batch"], timeout=5000)     # woken by the expiry
        self.assertLess(time.monotonic() - t0, 2)
        self.assertEqual(r2["rooms"]["join"][rid]["ephemeral"]["events"],
                         [{"type": "m.typing", "content": {"user_ids": []}}])
        b.ok("PUT", "/presence/%s/status" % q(b.uid),
             {"presence": "unavailable", "status_msg": "away"})
        p = a.ok("GET", "/presence/%s/status" % q(b.uid))
        self.assertEqual((p["presence"], p["status_msg"]),
                         ("unavailable", "away"))
        pres = a.sync(r2["next_batch"])["presence"]["events"]
        self.assertIn(b.uid, [e["sender"] for e in pres])

    def test_lazy_loading_and_summary(self):
        a, b, c = self.user(), self.user(), self.user()
        rid = a.create_room(preset="public_chat")
        b.join(rid)
        c.join(rid)
        b.text(rid, "from b")
        flt = {"room": {"state": {"lazy_load_members": True},
                        "timeline": {"limit": 1}}}
        r = a.sync(flt=flt)["rooms"]["join"][rid]
        members = {e["state_key"] for e in r["state"]["events"]
                   if e["type"] == "m.room.member"}
        self.assertEqual(members, {b.uid})
        self.assertEqual(r["summary"]["m.joined_member_count"], 3)
        self.assertEqual(sorted(r["summary"]["m.heroes"]),
                         sorted([b.uid, c.uid]))


class SyncCacheTests(ServerTestCase):
    args = ()                           # Synapse-like default: 2 minutes

    def test_identical_sync_is_cached_but_not_empty_long_polls(self):
        a = self.user()
        rid = a.create_room()
        since = a.sync()["next_batch"]
        a.text(rid, "A")
        r1 = a.sync(since)
        a.text(rid, "B")
        self.assertEqual(a.sync(since), r1)
        bodies = [e["content"]["body"] for e in self.timeline(
            a.sync(since, flt={}), rid)["events"]]
        self.assertEqual(bodies, ["A", "B"])
        nb = a.sync(since, flt={})["next_batch"]
        self.assertNotIn("rooms", a.sync(nb, timeout=100))
        a.text(rid, "C")
        self.assertIn("rooms", a.sync(nb, timeout=100))


class RoomTests(ServerTestCase):
    def test_create_room_event_order_and_presets(self):
        a, b = self.user(), self.user()
        rid = a.create_room(
            name="N", topic="T", preset="trusted_private_chat",
            invite=[b.uid], is_direct=True, room_alias_name="ord%d" %
            next(COUNTER), initial_state=[{"type": "m.room.encryption",
                                           "state_key": "", "content": {
                                               "algorithm":
                                               "m.megolm.v1.aes-sha2"}}])
        page = a.ok("GET", "/rooms/%s/messages" % q(rid),
                    query={"dir": "f", "limit": "20"})
        types = [e["type"] for e in page["chunk"]]
        self.assertEqual(types, [
            "m.room.create", "m.room.member", "m.room.power_levels",
            "m.room.canonical_alias", "m.room.join_rules",
            "m.room.history_visibility", "m.room.guest_access",
            "m.room.encryption", "m.room.name", "m.room.topic",
            "m.room.member"])
        self.assertEqual(page["chunk"][-1]["content"]["is_direct"], True)
        self.assertEqual(a.pl(rid)["users"][b.uid], 100)
        self.assertEqual(page["chunk"][0]["content"]["room_version"], "9")
        self.assertRegex(rid, r"^![A-Za-z]{18}:haos\.test$")

    def test_redaction_algorithm_and_redacted_because(self):
        a = self.user()
        rid = a.create_room()
        eid = a.text(rid, "secret")
        s = a.sync()["next_batch"]
        rd = a.ok("PUT", "/rooms/%s/redact/%s/r1" % (q(rid), q(eid)),
                  {"reason": "oops"})["event_id"]
        ev = a.ok("GET", "/rooms/%s/event/%s" % (q(rid), q(eid)))
        self.assertEqual(ev["content"], {})
        self.assertEqual(ev["unsigned"]["redacted_because"]["event_id"], rd)
        self.assertEqual(ev["unsigned"]["redacted_because"]["content"],
                         {"reason": "oops"})
        # a redacted power_levels event keeps the v9 keys only
        a.state(rid, "m.room.power_levels", "", dict(a.pl(rid), foo=1))
        pl_id = a.ok("GET", "/rooms/%s/state/m.room.power_levels/" % q(rid),
                     query={"format": "event"})["event_id"]
        a.ok("PUT", "/rooms/%s/redact/%s/r2" % (q(rid), q(pl_id)), {})
        kept = set(a.pl(rid))
        self.assertEqual(kept, {"ban", "events", "events_default", "kick",
                                "redact", "state_default", "users",
                                "users_default"})
        tl = self.timeline(a.sync(s), rid)["events"]
        red = [e for e in tl if e["type"] == "m.room.redaction"][0]
        self.assertEqual(red["redacts"], eid)

    def test_relations_and_bundled_edit(self):
        a, b = self.user(), self.user()
        rid = a.create_room(preset="public_chat")
        b.join(rid)
        root = a.text(rid, "orig")
        a.send(rid, {"msgtype": "m.text", "body": "* new",
                     "m.new_content": {"msgtype": "m.text", "body": "new"},
                     "m.relates_to": {"rel_type": "m.replace",
                                      "event_id": root}})
        react = {"m.relates_to": {"rel_type": "m.annotation",
                                  "event_id": root, "key": "+1"}}
        b.send(rid, react, "m.reaction")
        st, _, r = b.request("PUT", V3 + "/rooms/%s/send/m.reaction/dup"
                             % q(rid), react)
        self.assertEqual((st, r["errcode"]), (400, "M_UNKNOWN"))
        b.send(rid, {"msgtype": "m.text", "body": "thread",
                     "m.relates_to": {"rel_type": "m.thread",
                                      "event_id": root}})
        rel = b.ok("GET", "/_matrix/client/v1/rooms/%s/relations/%s"
                   % (q(rid), q(root)))
        self.assertEqual([e["type"] for e in rel["chunk"]],
                         ["m.room.message", "m.reaction", "m.room.message"])
        ann = b.ok("GET", "/_matrix/client/v1/rooms/%s/relations/%s/"
                   "m.annotation" % (q(rid), q(root)))
        self.assertEqual(len(ann["chunk"]), 1)
        ev = b.ok("GET", "/rooms/%s/event/%s" % (q(rid), q(root)))
        self.assertEqual(ev["content"]["body"], "new")
        rels = ev["unsigned"]["m.relations"]
        self.assertEqual(rels["m.annotation"]["chunk"][0]["count"], 1)
        self.assertEqual(rels["m.thread"]["count"], 1)
        self.assertIn("m.replace", rels)

    def test_power_level_rules(self):
        a, mod, guest = self.user(), self.user(), self.user()
        rid = a.create_room(preset="public_chat")
        mod.join(rid)
        guest.join(rid)
        pl = a.pl(rid)
        pl["users"][mod.uid] = 50
        a.state(rid, "m.room.power_levels", "", pl)
        msg = guest.text(rid, "guest msg")
        # guest: no kick, no redact of others, no state at 50, no PL change
        self.assertEqual(guest.err("POST", "/rooms/%s/kick" % q(rid),
                                   {"user_id": mod.uid}),
                         (403, "M_FORBIDDEN"))
        self.assertEqual(guest.err("PUT", "/rooms/%s/redact/%s/x" % (
            q(rid), q(a.text(rid, "admin msg"))), {}), (403, "M_FORBIDDEN"))
        self.assertEqual(guest.err("PUT", "/rooms/%s/state/m.room.name/"
                                   % q(rid), {"name": "x"}),
                         (403, "M_FORBIDDEN"))
        # own redaction always allowed
        guest.ok("PUT", "/rooms/%s/redact/%s/own" % (q(rid), q(msg)), {})
        # @-state keys belong to their user
        st, _, r = a.request("PUT", V3 + "/rooms/%s/state/io.haos.role/%s"
                             % (q(rid), q(mod.uid)), {"r": 1})
        self.assertEqual((st, r["error"]), (
            403, "You are not allowed to set others state"))
        mod.state(rid, "io.haos.role", mod.uid, {"r": 1})
        # a moderator cannot change power levels (needs 100) ...
        pl2 = a.pl(rid)
        pl2["users"][guest.uid] = 10
        self.assertEqual(mod.err("PUT", "/rooms/%s/state/m.room.power_levels/"
                                 % q(rid), pl2), (403, "M_FORBIDDEN"))
        # ... and even with the right, cannot grant above its own level or
        # demote an equal
        pl3 = a.pl(rid)
        pl3["events"]["m.room.power_levels"] = 50
        a.state(rid, "m.room.power_levels", "", pl3)
        too_high = dict(pl3, users=dict(pl3["users"], **{guest.uid: 60}))
        self.assertEqual(mod.err("PUT", "/rooms/%s/state/m.room.power_levels/"
                                 % q(rid), too_high), (403, "M_FORBIDDEN"))
        demote = dict(pl3, users=dict(pl3["users"], **{a.uid: 0}))
        self.assertEqual(mod.err("PUT", "/rooms/%s/state/m.room.power_levels/"
                                 % q(rid), demote), (403, "M_FORBIDDEN"))
        mod.state(rid, "m.room.power_levels", "",
                  dict(pl3, users=dict(pl3["users"], **{guest.uid: 20})))
        # moderator kicks and bans the guest; kicked user cannot send
        mod.ok("POST", "/rooms/%s/kick" % q(rid), {"user_id": guest.uid})
        st, _, r = guest.request("PUT", V3 + "/rooms/%s/send/m.room.message/"
                                 "k1" % q(rid), {"body": "x"})
        self.assertEqual(st, 403)
        self.assertIn("not in room", r["error"])
        mod.ok("POST", "/rooms/%s/ban" % q(rid), {"user_id": guest.uid})
        self.assertEqual(guest.err("POST", "/join/%s" % q(rid), {}),
                         (403, "M_FORBIDDEN"))
        mod.ok("POST", "/rooms/%s/unban" % q(rid), {"user_id": guest.uid})
        guest.join(rid)

    def test_join_rules_invite_restricted_knock(self):
        a, b, c = self.user(), self.user(), self.user()
        space = a.create_room(preset="public_chat",
                              creation_content={"type": "m.space"})
        chan = a.create_room(room_version="10", initial_state=[{
            "type": "m.room.join_rules", "state_key": "", "content": {
                "join_rule": "restricted", "allow": [
                    {"type": "m.room_membership", "room_id": space}]}}])
        private = a.create_room()
        self.assertEqual(b.err("POST", "/join/%s" % q(private), {}),
                         (403, "M_FORBIDDEN"))
        self.assertEqual(b.err("POST", "/join/%s" % q(chan), {}),
                         (403, "M_FORBIDDEN"))
        b.join(space)
        b.join(chan)
        m = b.ok("GET", "/rooms/%s/state/m.room.member/%s" % (q(chan),
                                                              q(b.uid)))
        self.assertEqual(m["join_authorised_via_users_server"], a.uid)
        knock = a.create_room(room_version="10", initial_state=[{
            "type": "m.room.join_rules", "state_key": "",
            "content": {"join_rule": "knock"}}])
        c.ok("POST", "/knock/%s" % q(knock), {"reason": "let me in"})
        s = c.sync()
        self.assertIn(knock, s["rooms"]["knock"])
        a.invite(knock, c.uid)
        c.join(knock)
        self.assertEqual(c.err("POST", "/join/%s" % q(
            "!nope:haos.test"), {}), (404, "M_UNKNOWN"))

    def test_hierarchy_paging(self):
        a, out = self.user(), self.user()
        space = a.create_room(name="S", creation_content={"type": "m.space"})
        kids = []
        for i in range(4):
            k = a.create_room(name="c%d" % i)
            a.state(space, "m.space.child", k, {"via": ["haos.test"],
                                                 "suggested": i == 0})
            kids.append(k)
        path = "/_matrix/client/v1/rooms/%s/hierarchy" % q(space)
        full = a.ok("GET", path)
        self.assertEqual([r["room_id"] for r in full["rooms"]],
                         [space] + kids)
        self.assertEqual(full["rooms"][0]["room_type"], "m.space")
        self.assertEqual(len(full["rooms"][0]["children_state"]), 4)
        self.assertNotIn("next_batch", full)
        p1 = a.ok("GET", path, query={"limit": "2"})
        p2 = a.ok("GET", path, query={"limit": "2",
                                      "from": p1["next_batch"]})
        p3 = a.ok("GET", path, query={"limit": "2",
                                      "from": p2["next_batch"]})
        got = [r["room_id"] for p in (p1, p2, p3) for r in p["rooms"]]
        self.assertEqual(got, [space] + kids)
        self.assertNotIn("next_batch", p3)
        self.assertEqual(len(a.ok("GET", path, query={"max_depth": "0"})[
            "rooms"]), 1)
        sug = a.ok("GET", path, query={"suggested_only": "true"})
        self.assertEqual([r["room_id"] for r in sug["rooms"]],
                         [space, kids[0]])
        self.assertEqual(out.err("GET", path), (403, "M_FORBIDDEN"))

    def test_directory_aliases_public_rooms(self):
        a, b = self.user(), self.user()
        n = next(COUNTER)
        rid = a.create_room(name="Lobby%d" % n, preset="public_chat",
                            room_alias_name="lobby%d" % n,
                            visibility="public")
        space = a.create_room(name="Space%d" % n, preset="public_chat",
                              visibility="public",
                              creation_content={"type": "m.space"})
        alias = "#lobby%d:haos.test" % n
        self.assertEqual(b.ok("GET", "/directory/room/%s" % q(alias))[
            "room_id"], rid)
        self.assertEqual(b.ok("POST", "/join/%s" % q(alias), {})["room_id"],
                         rid)
        self.assertEqual(b.err("GET", "/directory/room/%s" %
                               q("#nope:haos.test")), (404, "M_NOT_FOUND"))
        a.ok("PUT", "/directory/room/%s" % q("#lobbyb%d:haos.test" % n),
             {"room_id": rid})
        self.assertEqual(len(a.ok("GET", "/rooms/%s/aliases" % q(rid))[
            "aliases"]), 2)
        r = b.ok("POST", "/publicRooms", {"filter": {
            "generic_search_term": "%d" % n, "room_types": ["m.space"]}})
        self.assertEqual([e["room_id"] for e in r["chunk"]], [space])
        r = b.ok("POST", "/publicRooms", {"filter": {
            "generic_search_term": "lobby%d" % n, "room_types": [None]}})
        self.assertEqual([e["room_id"] for e in r["chunk"]], [rid])
        self.assertEqual(r["chunk"][0]["num_joined_members"], 2)
        self.assertEqual(b.ok("GET", "/directory/list/room/%s" % q(rid)),
                         {"visibility": "public"})


class MediaTests(ServerTestCase):
    def test_upload_download_filename(self):
        a = self.user()
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(50))
        st, _, r = a.request("POST", "/_matrix/media/v3/upload?filename=p.png",
                             png, headers={"Content-Type": "image/png"})
        self.assertEqual(st, 200)
        mxc = r["content_uri"]
        self.assertTrue(mxc.startswith("mxc://haos.test/"))
        mid = mxc.rsplit("/", 1)[1]
        st, h, data = Client(self.hs.url).request(
            "GET", "/_matrix/media/v3/download/haos.test/%s" % mid)
        self.assertEqual((st, data, h["content-type"]),
                         (200, png, "image/png"))
        self.assertEqual(h["content-disposition"], "inline; filename=p.png")
        st, h, _ = a.request("GET", "/_matrix/media/r0/download/haos.test/%s/"
                             "%s" % (mid, q("é x.png")))
        self.assertEqual(h["content-disposition"],
                         "inline; filename*=utf-8''%C3%A9%20x.png")
        st, _, r = a.request("GET", "/_matrix/media/v3/download/haos.test/no")
        self.assertEqual((st, r["errcode"]), (404, "M_NOT_FOUND"))
        st, h, data = a.request("GET", "/_matrix/media/v3/thumbnail/haos.test/"
                                "%s?width=32&height=32" % mid)
        self.assertEqual(st, 200)
        self.assertEqual(a.ok("GET", "/_matrix/media/v3/config"),
                         {"m.upload.size": 52428800})


    def test_authenticated_download(self):
        """Client v1 media (Synapse 1.99+): the token is required; without
        the feature the path is unknown, as on an older Synapse."""
        a = self.user()
        st, _, r = a.request("POST", "/_matrix/media/v3/upload?filename=a.txt",
                             b"hello", headers={"Content-Type": "text/plain"})
        mid = r["content_uri"].rsplit("/", 1)[1]
        path = "/_matrix/client/v1/media/download/haos.test/%s" % mid
        st, h, data = a.request("GET", path)
        self.assertEqual((st, data), (200, b"hello"))
        self.assertEqual(h["content-type"], "text/plain; charset=UTF-8")
        st, _, r = Client(self.hs.url).request("GET", path)
        self.assertEqual((st, r["errcode"]), (401, "M_MISSING_TOKEN"))
        st, _, r = a.request("GET", path + "x")
        self.assertEqual((st, r["errcode"]), (404, "M_NOT_FOUND"))
        st, h, _ = a.request("GET", path + "/b.txt")
        self.assertEqual(h["content-disposition"], "inline; filename=b.txt")
        self.assertEqual(a.ok("GET", "/_matrix/client/v1/media/config"),
                         {"m.upload.size": 52428800})
        Client(self.hs.url).request("POST", "/_test/faults",
                                    {"authenticated_media": False})
        try:
            st, _, r = a.request("GET", path)
            self.assertEqual(r["errcode"], "M_UNRECOGNIZED")
            st, _, data = a.request("GET", "/_matrix/media/v3/download/"
                                    "haos.test/%s" % mid)
            self.assertEqual((st, data), (200, b"hello"))
        finally:
            Client(self.hs.url).request("DELETE", "/_test/faults")
        st, _, data = a.request("GET", path)
        self.assertEqual((st, data), (200, b"hello"))

    def test_upload_limit(self):
        """m.upload.size follows the limit; a body over it is refused with
        413 M_TOO_LARGE and nothing stored, one at it is taken."""
        a = self.user()
        hs = Client(self.hs.url)
        hs.request("POST", "/_test/faults", {"max_upload_size": 10})
        try:
            for path in ("/_matrix/client/v1/media/config",
                         "/_matrix/media/v3/config"):
                self.assertEqual(a.ok("GET", path), {"m.upload.size": 10})
            st, _, r = a.request("POST", "/_matrix/media/v3/upload?"
                                 "filename=big", b"x" * 11)
            self.assertEqual((st, r["errcode"]), (413, "M_TOO_LARGE"))
            st, _, r = a.request("POST", "/_matrix/media/v3/upload?"
                                 "filename=fits", b"x" * 10)
            self.assertEqual(st, 200)
        finally:
            hs.request("DELETE", "/_test/faults")
        self.assertEqual(a.ok("GET", "/_matrix/media/v3/config"),
                         {"m.upload.size": 52428800})

    def test_authenticated_thumbnail(self):
        """Client v1 thumbnails (Synapse 1.99+): the same bytes as media
        v3's, the token required; without the feature M_UNRECOGNIZED."""
        a = self.user()
        png = bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c63f8cfc0f01f0005000201d1ff0b84"
            "0000000049454e44ae426082")
        st, _, r = a.request("POST", "/_matrix/media/v3/upload?filename=p."
                             "png", png, headers={"Content-Type":
                                                  "image/png"})
        mid = r["content_uri"].rsplit("/", 1)[1]
        q = "%s?width=320&height=240&method=scale" % mid
        path = "/_matrix/client/v1/media/thumbnail/haos.test/" + q
        st, h, data = a.request("GET", path)
        self.assertEqual((st, h["content-type"]), (200, "image/png"))
        st3, _, data3 = a.request("GET", "/_matrix/media/v3/thumbnail/"
                                  "haos.test/" + q)
        self.assertEqual((st3, data3), (200, data))
        st, _, r = Client(self.hs.url).request("GET", path)
        self.assertEqual((st, r["errcode"]), (401, "M_MISSING_TOKEN"))
        st, _, r = a.request("GET", "/_matrix/client/v1/media/thumbnail/"
                             "haos.test/nope?width=32&height=32")
        self.assertEqual((st, r["errcode"]), (404, "M_NOT_FOUND"))
        Client(self.hs.url).request("POST", "/_test/faults",
                                    {"authenticated_media": False})
        try:
            st, _, r = a.request("GET", path)
            self.assertEqual(r["errcode"], "M_UNRECOGNIZED")
        finally:
            Client(self.hs.url).request("DELETE", "/_test/faults")


class E2EETests(ServerTestCase):
    def test_to_device_delivered_once_then_removed(self):
        a, b = self.user(), self.user()
        s = a.sync()["next_batch"]
        b.ok("PUT", "/sendToDevice/m.test/t1",
             {"messages": {a.uid: {a.did: {"n": 1}}}})
        b.ok("PUT", "/sendToDevice/m.test/t1",          # same txn: no-op
             {"messages": {a.uid: {a.did: {"n": 1}}}})
        b.ok("PUT", "/sendToDevice/m.test/t2",
             {"messages": {a.uid: {"*": {"n": 2}}}})
        r1 = a.sync(s)
        self.assertEqual([e["content"]["n"] for e in r1["to_device"]["events"]],
                         [1, 2])
        self.assertEqual(r1["to_device"]["events"][0]["sender"], b.uid)
        again = a.sync(s)          # not acknowledged yet: delivered again
        self.assertEqual(len(again["to_device"]["events"]), 2)
        r2 = a.sync(r1["next_batch"])
        self.assertNotIn("to_device", r2)

    def test_to_device_backlog_comes_in_pages_of_100(self):
        a, b = self.user(), self.user()
        s = a.sync()["next_batch"]
        for i in range(130):
            b.ok("PUT", "/sendToDevice/m.test/bulk%d" % i,
                 {"messages": {a.uid: {a.did: {"i": i}}}})
        got = []
        while True:
            r = a.sync(s)
            evs = r.get("to_device", {}).get("events", [])
            if not evs:
                break
            self.assertLessEqual(len(evs), 100)
            got.extend(e["content"]["i"] for e in evs)
            s = r["next_batch"]
        self.assertEqual(got, list(range(130)))

    def test_to_device_held_in_transit_then_delivered(self):
        a, b, c = self.user(), self.user(), self.user()
        s = a.sync()["next_batch"]
        hook = Client(self.hs.url)
        st, _, r = hook.request("POST", "/_test/to_device",
                                {"user_id": a.uid, "device_id": a.did,
                                 "hold": True})
        self.assertEqual((st, r), (200, {"held": 0}))
        b.ok("PUT", "/sendToDevice/m.test/h1",
             {"messages": {a.uid: {a.did: {"n": 1}}, c.uid: {"*": {"n": 9}}}})
        b.ok("PUT", "/sendToDevice/m.test/h2",
             {"messages": {a.uid: {"*": {"n": 2}}}})
        b.text(b.create_room(), "moves the stream on")
        r1 = a.sync(s)
        self.assertNotIn("to_device", r1)       # in transit: not in /sync
        other = c.sync()                        # other devices unaffected
        self.assertEqual([e["content"]["n"]
                          for e in other["to_device"]["events"]], [9])
        st, _, r = hook.request("POST", "/_test/to_device",
                                {"user_id": a.uid, "device_id": a.did,
                                 "hold": False})
        self.assertEqual((st, r), (200, {"released": 2}))
        r2 = a.sync(r1["next_batch"])           # past since: still delivered
        self.assertEqual([e["content"]["n"] for e in r2["to_device"]["events"]],
                         [1, 2])
        self.assertEqual(r2["to_device"]["events"][0]["sender"], b.uid)
        self.assertNotIn("to_device", a.sync(r2["next_batch"]))

    def test_to_device_tamper_once_in_clear_only(self):
        a, b, c = self.user(), self.user(), self.user()
        s = a.sync()["next_batch"]
        sc = c.sync()["next_batch"]
        hook = Client(self.hs.url)
        st, _, r = hook.request("POST", "/_test/to_device", {"tamper": {
            "type": "m.key.verification.key", "sender": b.uid,
            "value": "FAKE"}})
        self.assertEqual((st, r), (200, {"armed": 1}))
        st, _, r = hook.request("POST", "/_test/to_device", {"tamper": {
            "type": "m.key.verification.key"}})
        self.assertEqual(st, 400)
        # Another sender, an encrypted one (no "key"): untouched.
        c.ok("PUT", "/sendToDevice/m.key.verification.key/t0",
             {"messages": {a.uid: {a.did: {"key": "C", "n": 0}}}})
        b.ok("PUT", "/sendToDevice/m.room.encrypted/t1",
             {"messages": {a.uid: {a.did: {"ciphertext": {}, "n": 1}}}})
        b.ok("PUT", "/sendToDevice/m.key.verification.key/t2",
             {"messages": {a.uid: {a.did: {"key": "B", "n": 2}},
                           c.uid: {c.did: {"key": "B", "n": 2}}}})
        b.ok("PUT", "/sendToDevice/m.key.verification.key/t3",
             {"messages": {a.uid: {a.did: {"key": "B", "n": 3}}}})
        evs = a.sync(s)["to_device"]["events"]
        self.assertEqual([(e["content"]["n"], e["content"].get("key"))
                          for e in evs],
                         [(0, "C"), (1, None), (2, "FAKE"), (3, "B")])
        self.assertEqual(evs[2]["sender"], b.uid)
        # Only the first recipient of that message.
        self.assertEqual(c.sync(sc)["to_device"]["events"][0]["content"],
                         {"key": "B", "n": 2})
        st, _, r = hook.request("GET", "/_test/to_device")
        self.assertEqual(r, {"armed": [], "tampered": [{
            "type": "m.key.verification.key", "sender": b.uid,
            "field": "key", "user_id": a.uid, "device_id": a.did}]})
        # Another field (the accept's commitment).
        hook.request("POST", "/_test/to_device", {"tamper": {
            "type": "m.key.verification.accept", "sender": b.uid,
            "field": "commitment", "value": "X"}})
        b.ok("PUT", "/sendToDevice/m.key.verification.accept/t4",
             {"messages": {a.uid: {a.did: {"commitment": "Y"}}}})
        r = a.sync(s)
        self.assertEqual(r["to_device"]["events"][-1]["content"],
                         {"commitment": "X"})

    def test_keys_upload_query_claim_and_cross_signing(self):
        a, b = self.user(), self.user()
        rid = a.create_room(invite=[b.uid])
        b.join(rid)
        s = b.sync()["next_batch"]
        dk = {"user_id": a.uid, "device_id": a.did,
              "algorithms": ["m.olm.v1.curve25519-aes-sha2"],
              "keys": {"curve25519:" + a.did: "c", "ed25519:" + a.did: "e"},
              "signatures": {a.uid: {"ed25519:" + a.did: "sig"}}}
        r = a.ok("POST", "/keys/upload", {
            "device_keys": dk,
            "one_time_keys": {"signed_curve25519:AAAAAQ": {"key": "k1"},
                              "signed_curve25519:AAAAAg": {"key": "k2"}},
            "fallback_keys": {"signed_curve25519:AAAAAw": {
                "key": "fb", "fallback": True}}})
        self.assertEqual(r, {"one_time_key_counts": {"signed_curve25519": 2}})
        sa = a.sync()
        self.assertEqual(sa["device_unused_fallback_key_types"],
                         ["signed_curve25519"])
        self.assertEqual(sa["org.matrix.msc2732.device_unused_fallback_key_"
                            "types"], ["signed_curve25519"])
        self.assertIn(a.uid, b.sync(s)["device_lists"]["changed"])
        claimed = []
        for _ in range(4):
            r = b.ok("POST", "/keys/claim", {"one_time_keys": {
                a.uid: {a.did: "signed_curve25519"}}})
            claimed.append(r["one_time_keys"][a.uid][a.did])
        self.assertEqual([list(c)[0] for c in claimed], [
            "signed_curve25519:AAAAAQ", "signed_curve25519:AAAAAg",
            "signed_curve25519:AAAAAw", "signed_curve25519:AAAAAw"])
        self.assertEqual(a.sync()["device_one_time_keys_count"],
                         {"signed_curve25519": 0})
        # cross-signing: UIA with m.login.password, then signatures
        keys = {"master_key": {"user_id": a.uid, "usage": ["master"],
                               "keys": {"ed25519:MASTER": "MASTER"}},
                "self_signing_key": {"user_id": a.uid,
                                     "usage": ["self_signing"],
                                     "keys": {"ed25519:SSK": "SSK"}},
                "user_signing_key": {"user_id": a.uid,
                                     "usage": ["user_signing"],
                                     "keys": {"ed25519:USK": "USK"}}}
        st, _, r = a.request("POST", V3 + "/keys/device_signing/upload", keys)
        self.assertEqual(st, 401)
        self.assertEqual(r["flows"], [{"stages": ["m.login.password"]}])
        bad = dict(keys, auth={"type": "m.login.password",
                               "session": r["session"], "password": "wrong",
                               "identifier": {"type": "m.id.user",
                                              "user": a.uid}})
        st, _, r2 = a.request("POST", V3 + "/keys/device_signing/upload", bad)
        self.assertEqual((st, r2["errcode"]), (401, "M_FORBIDDEN"))
        good = dict(keys, auth={"type": "m.login.password",
                                "session": r["session"], "password": "pw",
                                "identifier": {"type": "m.id.user",
                                               "user": a.uid}})
        a.ok("POST", "/keys/device_signing/upload", good)
        a.ok("POST", "/keys/signatures/upload", {a.uid: {a.did: dict(
            dk, signatures={a.uid: {"ed25519:SSK": "ssk-sig"}})}})
        mine = a.ok("POST", "/keys/query", {"device_keys": {a.uid: []}})
        self.assertEqual(mine["device_keys"][a.uid][a.did]["signatures"][
            a.uid]["ed25519:SSK"], "ssk-sig")
        self.assertIn(a.uid, mine["user_signing_keys"])
        theirs = b.ok("POST", "/keys/query", {"device_keys": {a.uid: []}})
        self.assertIn(a.uid, theirs["master_keys"])
        self.assertIn(a.uid, theirs["self_signing_keys"])
        self.assertEqual(theirs["user_signing_keys"], {})
        self.assertEqual(theirs["failures"], {})

    def test_room_keys_backup_round_trip(self):
        a = self.user()
        self.assertEqual(a.err("GET", "/room_keys/version"),
                         (404, "M_NOT_FOUND"))
        v = a.ok("POST", "/room_keys/version", {
            "algorithm": "m.megolm_backup.v1.curve25519-aes-sha2",
            "auth_data": {"public_key": "pk"}})["version"]
        info = a.ok("GET", "/room_keys/version")
        self.assertEqual((info["version"], info["count"]), (v, 0))
        key = {"first_message_index": 1, "forwarded_count": 0,
               "is_verified": False, "session_data": {"ciphertext": "c"}}
        r = a.ok("PUT", "/room_keys/keys", {"rooms": {"!r:haos.test": {
            "sessions": {"s1": key}}}}, query={"version": v})
        self.assertEqual(r["count"], 1)
        worse = dict(key, first_message_index=5)
        a.ok("PUT", "/room_keys/keys/%s/s1" % q("!r:haos.test"), worse,
             query={"version": v})
        got = a.ok("GET", "/room_keys/keys", query={"version": v})
        self.assertEqual(got["rooms"]["!r:haos.test"]["sessions"]["s1"], key)
        self.assertEqual(a.ok("GET", "/room_keys/keys/%s/s1" % q(
            "!r:haos.test"), query={"version": v}), key)
        v2 = a.ok("POST", "/room_keys/version", {
            "algorithm": "m.megolm_backup.v1.curve25519-aes-sha2",
            "auth_data": {"public_key": "pk2"}})["version"]
        st, _, r = a.request("PUT", V3 + "/room_keys/keys?version=" + v,
                             {"rooms": {}})
        self.assertEqual((st, r["errcode"], r["current_version"]),
                         (403, "M_WRONG_ROOM_KEYS_VERSION", v2))
        a.ok("DELETE", "/room_keys/version/%s" % v2)
        self.assertEqual(a.ok("GET", "/room_keys/version")["version"], v)


class FaultTests(ServerTestCase):
    def setUp(self):
        Client(self.hs.url).request("DELETE", "/_test/faults")

    def tearDown(self):
        Client(self.hs.url).request("DELETE", "/_test/faults")

    def faults(self, *faults, **extra):
        body = dict(extra, faults=list(faults))
        st, _, r = Client(self.hs.url).request("POST", "/_test/faults", body)
        self.assertEqual(st, 200)
        return r

    def test_status_ratelimit_and_listing(self):
        a = self.user()
        self.faults({"action": "status", "status": 500, "errcode": "M_UNKNOWN",
                     "path": "/account/whoami", "count": 2})
        self.assertEqual(len(Client(self.hs.url).request(
            "GET", "/_test/faults")[2]["faults"]), 1)
        self.assertEqual(a.err("GET", "/account/whoami"), (500, "M_UNKNOWN"))
        self.assertEqual(a.err("GET", "/account/whoami"), (500, "M_UNKNOWN"))
        self.assertEqual(a.err("GET", "/account/whoami")[0], 200)
        self.faults({"action": "ratelimit", "retry_after_ms": 50,
                     "method": "PUT", "path": "/send/"})
        rid = a.create_room()
        st, h, r = a.request("PUT", V3 + "/rooms/%s/send/m.room.message/rl"
                             % q(rid), {"body": "x"})
        self.assertEqual((st, r["errcode"], r["retry_after_ms"]),
                         (429, "M_LIMIT_EXCEEDED", 50))
        a.send(rid, {"body": "x"}, txn="rl")          # the retry succeeds
        self.faults({"action": "status", "status": 502, "path": "whoami",
                     "every": 2})
        codes = [a.err("GET", "/account/whoami")[0] for _ in range(4)]
        self.assertEqual(codes, [200, 502, 200, 502])

    def test_drop_processes_then_closes(self):
        a = self.user()
        rid = a.create_room()
        self.faults({"action": "drop", "path": "/send/"})
        with self.assertRaises((http.client.HTTPException, OSError)):
            a.request("PUT", V3 + "/rooms/%s/send/m.room.message/d1" % q(rid),
                      {"body": "dropped"})
        # the client retries with the same txn id: same event, no duplicate
        eid = a.send(rid, {"body": "dropped"}, txn="d1")
        page = a.ok("GET", "/rooms/%s/messages" % q(rid),
                    query={"dir": "b", "limit": "2"})
        self.assertEqual([e["event_id"] for e in page["chunk"]][0], eid)
        self.assertEqual(sum(e.get("content", {}).get("body") == "dropped"
                             for e in page["chunk"]), 1)

    def test_delay(self):
        a = self.user()
        self.faults({"action": "delay", "ms": 400, "path": "whoami"})
        t0 = time.monotonic()
        self.assertEqual(a.err("GET", "/account/whoami")[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.39)

    def test_request_log(self):
        c = Client(self.hs.url)
        start = c.request("GET", "/_test/requests")[2]["next"]
        a = self.user()
        rid = a.create_room(name="logged")
        r = c.request("GET", "/_test/requests", query={"since": start})[2]
        create = [x for x in r["requests"] if x["path"].endswith(
            "/createRoom")]
        self.assertEqual(len(create), 1)
        self.assertEqual((create[0]["method"], create[0]["user"],
                          create[0]["body"], create[0]["status"]),
                         ("POST", a.uid, {"name": "logged"}, 200))
        self.assertGreater(r["next"], start)

    def test_user_rate_limit(self):
        a = self.user()
        self.faults(rate_limit={"user": a.uid, "per_second": 0.5, "burst": 2})
        codes = [a.err("GET", "/account/whoami")[0] for _ in range(3)]
        self.assertEqual(codes, [200, 200, 429])


class PersistenceTests(unittest.TestCase):
    def test_restart_with_data_loses_nothing(self):
        tmp = tempfile.mkdtemp(prefix="haos-hs-")
        hs = Homeserver(data_dir=tmp)
        try:
            a = User(hs.url, "pa")
            b = User(hs.url, "pb")
            rid = a.create_room(name="persist", invite=[b.uid])
            b.join(rid)
            ids = [a.text(rid, "m%d" % i) for i in range(6)]
            r = b.sync(flt={"room": {"timeline": {"limit": 2}}})
            prev_batch = r["rooms"]["join"][rid]["timeline"]["prev_batch"]
            since = r["next_batch"]
            st, _, up = a.request("POST", "/_matrix/media/v3/upload",
                                  b"bytes!", headers={
                                      "Content-Type": "text/plain"})
            b.ok("PUT", "/sendToDevice/m.x/p1",
                 {"messages": {a.uid: {a.did: {"k": "v"}}}})
            port = hs.port
            st, _, _ = Client(hs.url).request("POST", "/_test/shutdown", {})
            self.assertEqual(st, 200)
            hs.proc.wait(10)
            hs.restart()
            self.assertEqual(hs.port, port)
            # tokens, rooms, events, pagination tokens, media, to-device
            self.assertEqual(a.ok("GET", "/account/whoami")["user_id"], a.uid)
            page = b.ok("GET", "/rooms/%s/messages" % q(rid),
                        query={"dir": "b", "from": prev_batch, "limit": "4"})
            self.assertEqual([e["event_id"] for e in page["chunk"]],
                             list(reversed(ids[:4])))
            mid = up["content_uri"].rsplit("/", 1)[1]
            st, _, data = b.request("GET", "/_matrix/media/v3/download/"
                                    "haos.test/" + mid)
            self.assertEqual(data, b"bytes!")
            self.assertEqual(a.sync()["to_device"]["events"][0]["content"],
                             {"k": "v"})
            new = a.text(rid, "after restart")
            inc = b.sync(since)["rooms"]["join"][rid]["timeline"]["events"]
            self.assertEqual([e["event_id"] for e in inc], [new])
            # SIGTERM flushes too
            hs.restart()
            self.assertEqual(b.ok("GET", "/rooms/%s/event/%s" % (
                q(rid), q(new)))["content"]["body"], "after restart")
        finally:
            hs.stop()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
