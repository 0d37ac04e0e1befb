#!/usr/bin/env python3
"""HAOS test homeserver: a small model of Synapse 1.67's client-server API.

Python 3 standard library only.  One process, plain HTTP on 127.0.0.1.

    python3 server.py --port 0 --server-name haos.test [--data DIR]
                      [--fixed-clock] [--synapse-ratelimits]
                      [--max-upload-size BYTES] [--sync-cache-ms MS]

The first stdout line is "listening on http://127.0.0.1:PORT".  With --data
the whole state is a JSON snapshot (DIR/state.json, replaced atomically at
most 0.2 s after a change and on exit) plus uploaded media files (DIR/media/ID); without it the state
lives in memory only.  Sync and pagination tokens are positions in a single
persisted stream ("s42", "t42"), so they stay valid across restarts.

Reference: real Synapse 1.67 transcripts (tests/homeserver/reference/).
Known, deliberate simplifications: no federation, no signatures or hashes on
events, history visibility is "shared" for members (a member who left sees
events up to the leave), presence never times out, typing state is not
persisted, Synapse's duplicated-timeline-event bug is not reproduced, no
room upgrades, /search, /notifications, 3PIDs, SSO, refresh tokens or
guests.  Like Synapse 1.67: the default room version is "9";
unsigned.transaction_id appears only in /sync (not /messages); unknown
endpoints and wrong methods answer 400 M_UNRECOGNIZED.

Sync response cache: like the recorded Synapse, an identical /sync (same
user, device, since, filter, timeout, full_state) repeated within 2 minutes
gets the same answer, except an empty long poll that timed out
(--sync-cache-ms 0 or POST /_test/faults {"sync_cache_ms": 0} turns it off).

Rate limits: invites are rate limited per inviter like Synapse 1.67
(rc_invites.per_issuer: burst 10, 0.3/s) only with --synapse-ratelimits or
after POST /_test/faults {"synapse_ratelimits": true}; off by default because
client test suites invite a lot.

Fault injection and request log (no auth, only on this 127.0.0.1 port)
----------------------------------------------------------------------
POST /_test/faults  body:
    {"faults": [FAULT, ...],            appended to the active list
     "every": K,                         default "every" for these faults
     "rate_limit": {"user": "@u:hs", "per_second": 2, "burst": 5},
     "synapse_ratelimits": true|false,
     "authenticated_media": true|false,  /_matrix/client/v1/media (on)
     "max_upload_size": BYTES,           m.upload.size and the 413 limit
     "sync_cache_ms": 0}                 Synapse's /sync response cache
  FAULT = {"action": "status"|"ratelimit"|"drop"|"delay"|"body",
           "path": "regex (re.search on the raw path+query)",   optional
           "method": "PUT",                                      optional
           "count": N,        apply to the next N matching requests (default 1)
           "every": K,        instead: apply to every K-th matching request
                              (unlimited unless "count" is also given)
           "status": 500, "errcode": "M_UNKNOWN", "error": "...",   (status)
           "retry_after_ms": 50,                         (ratelimit, status 429)
           "ms": 35000,                                  (delay)
           "body": {...},  "status": 200,   (body: answer this JSON instead
                                             of running the request)
           "process": true}   (drop: run the request, then send the headers
                               and half the body and close; false = drop
                               without running it)
  "status"/"ratelimit"/"body" answer without running the request; "delay" sleeps,
  then runs the request normally.  Answers {"faults": [...remaining]}.
  "rate_limit" limits every request of that user except /sync (Synapse's
  token bucket; 429 M_LIMIT_EXCEEDED with retry_after_ms).
DELETE /_test/faults     clears faults and per-user rate limits.
GET /_test/faults        {"faults": [...remaining], "rate_limits": {...}}
GET /_test/requests?since=N
    {"requests": [{"seq", "ts", "method", "path", "query", "user",
                   "device", "body", "status"}...], "next": M}
    (requests with seq > N, /_test/ itself is not recorded; body is the
    parsed JSON request body, or {"bytes": n} for non-JSON bodies)
DELETE /_test/requests   clears the log.
POST /_test/expire_token {"access_token": T}: T now answers 401
                         M_UNKNOWN_TOKEN with soft_logout true (as Synapse
                         for an expired token); the device stays.
POST /_test/to_device {"user_id": U, "device_id": D, "hold": true|false}:
                         hold: to-device messages sent to that device from
                         now on stay in transit (in memory, not in /sync),
                         as over a slow federation link; false delivers
                         them, in order, as if they arrived now.
                         Answers {"held": n} or {"released": n}.
POST /_test/to_device {"tamper": {"type": T, "sender": U, "field": F,
                                  "value": V}}:
                         a man in the middle: the next to-device message
                         of type T from U that travels in clear (its
                         content has F, default "key", as a string; an
                         Olm-encrypted one cannot be touched) reaches its
                         first recipient with content[F] = V, once.
                         Tampers queue in order.  Answers {"armed": n}.
GET /_test/to_device     {"armed": [tampers still waiting],
                          "tampered": [{"type", "sender", "field",
                          "user_id", "device_id"} done, in order]}.
POST /_test/shutdown     flushes --data and exits (restart with the same
                         --port and --data to get the same server back).
"""

import argparse
import base64
import copy
import fnmatch
import hashlib
import http.server
import json
import os
import random
import re
import signal
import socket
import string
import sys
import threading
import time
import urllib.parse

ROOM_VERSIONS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
DEFAULT_ROOM_VERSION = "9"          # Synapse 1.67 default_room_version
SPEC_VERSIONS = ["r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0",
                 "r0.6.0", "r0.6.1", "v1.1", "v1.2"]
PREJOIN_STATE = ["m.room.join_rules", "m.room.canonical_alias",
                 "m.room.avatar", "m.room.encryption", "m.room.name",
                 "m.room.create"]
SYNC_TIMELINE_LIMIT = 10

# The default push rules exactly as Synapse 1.67 serves them.
PUSH_RULES = r'''{"global":{"underride":[{"conditions":[{"kind":"event_match","key":"type","pattern":"m.call.invite"}],"actions":["notify",{"set_tweak":"sound","value":"ring"},{"set_tweak":"highlight","value":false}],"rule_id":".m.rule.call","default":true,"enabled":true},{"conditions":[{"kind":"room_member_count","is":"2"},{"kind":"event_match","key":"type","pattern":"m.room.message"}],"actions":["notify",{"set_tweak":"sound","value":"default"},{"set_tweak":"highlight","value":false}],"rule_id":".m.rule.room_one_to_one","default":true,"enabled":true},{"conditions":[{"kind":"room_member_count","is":"2"},{"kind":"event_match","key":"type","pattern":"m.room.encrypted"}],"actions":["notify",{"set_tweak":"sound","value":"default"},{"set_tweak":"highlight","value":false}],"rule_id":".m.rule.encrypted_room_one_to_one","default":true,"enabled":true},{"conditions":[{"kind":"event_match","key":"type","pattern":"m.room.message"}],"actions":["notify",{"set_tweak":"highlight","value":false}],"rule_id":".m.rule.message","default":true,"enabled":true},{"conditions":[{"kind":"event_match","key":"type","pattern":"m.room.encrypted"}],"actions":["notify",{"set_tweak":"highlight","value":false}],"rule_id":".m.rule.encrypted","default":true,"enabled":true},{"conditions":[{"kind":"event_match","key":"type","pattern":"im.vector.modular.widgets"},{"kind":"event_match","key":"content.type","pattern":"jitsi"},{"kind":"event_match","key":"state_key","pattern":"*"}],"actions":["notify",{"set_tweak":"highlight","value":false}],"rule_id":".im.vector.jitsi","default":true,"enabled":true}],"sender":[],"room":[],"content":[],"override":[{"conditions":[],"actions":["dont_notify"],"rule_id":".m.rule.master","default":true,"enabled":false},{"conditions":[{"kind":"event_match","key":"content.msgtype","pattern":"m.notice"}],"actions":["dont_notify"],"rule_id":".m.rule.suppress_notices","default":true,"enabled":true},{"conditions":[{"kind":"event_match","key":"type","pattern":"m.room.member"},{"kind":"event_match","key":"content.membership","pattern":"invite"},{"kind":"event_match","key":"state_key","pattern":"%(user_id)s"}],"actions":["notify",{"set_tweak":"sound","value":"default"},{"set_tweak":"highlight","value":false}],"rule_id":".m.rule.invite_for_me","default":true,"enabled":true},{"conditions":[{"kind":"event_match","key":"type","pattern":"m.room.member"}],"actions":["dont_notify"],"rule_id":".m.rule.member_event","default":true,"enabled":true},{"conditions":[{"kind":"contains_display_name"}],"actions":["notify",{"set_tweak":"sound","value":"default"},{"set_tweak":"highlight"}],"rule_id":".m.rule.contains_display_name","default":true,"enabled":true},{"conditions":[{"kind":"event_match","key":"content.body","pattern":"@room"},{"kind":"sender_notification_permission","key":"room"}],"actions":["notify",{"set_tweak":"highlight","value":true}],"rule_id":".m.rule.roomnotif","default":true,"enabled":true},{"conditions":[{"kind":"event_match","key":"type","pattern":"m.room.tombstone"},{"kind":"event_match","key":"state_key","pattern":""}],"actions":["notify",{"set_tweak":"highlight","value":true}],"rule_id":".m.rule.tombstone","default":true,"enabled":true},{"conditions":[{"kind":"event_match","key":"type","pattern":"m.reaction"}],"actions":["dont_notify"],"rule_id":".m.rule.reaction","default":true,"enabled":true}]},"device":{}}'''

CAPABILITIES = {
    "m.room_versions": {
        "default": DEFAULT_ROOM_VERSION,
        "available": dict({v: "stable" for v in ROOM_VERSIONS},
                          **{"org.matrix.msc2176": "unstable",
                             "org.matrix.msc3787": "unstable",
                             "org.matrix.msc2716v4": "unstable"}),
        "org.matrix.msc3244.room_capabilities": {
            "knock": {"preferred": "7", "support": [
                "7", "8", "9", "org.matrix.msc3787", "10",
                "org.matrix.msc2716v4"]},
            "restricted": {"preferred": "9", "support": [
                "8", "9", "org.matrix.msc3787", "10"]}}},
    "m.change_password": {"enabled": True},
    "m.set_displayname": {"enabled": True},
    "m.set_avatar_url": {"enabled": True},
    "m.3pid_changes": {"enabled": True},
}

UNSTABLE_FEATURES = {
    "org.matrix.label_based_filtering": True,
    "org.matrix.e2e_cross_signing": True, "org.matrix.msc2432": True,
    "uk.half-shot.msc2666.mutual_rooms": True,
    "io.element.e2ee_forced.public": False,
    "io.element.e2ee_forced.private": False,
    "io.element.e2ee_forced.trusted_private": False,
    "org.matrix.msc3026.busy_presence": False,
    "org.matrix.msc2285.stable": True, "org.matrix.msc3827.stable": True,
    "org.matrix.msc2716": False, "org.matrix.msc3030": False,
    "org.matrix.msc3440.stable": True, "fi.mau.msc2815": False,
}


# ---------------------------------------------------------------------------
# Errors, clock, ids
# ---------------------------------------------------------------------------

class MatrixError(Exception):
    """An error answer: HTTP status, errcode, message, extra body fields."""

    def __init__(self, status, errcode, error, **extra):
        super().__init__(error)
        self.status, self.errcode, self.error = status, errcode, error
        self.extra = extra

    def body(self):
        return dict({"errcode": self.errcode, "error": self.error},
                    **self.extra)


def forbidden(msg):
    return MatrixError(403, "M_FORBIDDEN", msg)


def not_found(msg):
    return MatrixError(404, "M_NOT_FOUND", msg)


def bad_param(msg):
    return MatrixError(400, "M_INVALID_PARAM", msg)


UNRECOGNIZED = MatrixError(400, "M_UNRECOGNIZED", "Unrecognized request")


class Clock:
    """Milliseconds since the epoch; --fixed-clock makes it a counter."""

    def __init__(self, fixed=False):
        self.fixed = fixed
        self.t = 1700000000000
        self.lock = threading.Lock()

    def ms(self):
        if not self.fixed:
            return int(time.time() * 1000)
        with self.lock:
            self.t += 1
            return self.t


CLOCK = Clock()
RNG = random.SystemRandom()


def rand_str(n, alphabet=string.ascii_letters):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def new_event_id():
    """Room v4+ event id: $ + 43 chars of url-safe unpadded base64."""
    raw = bytes(RNG.getrandbits(8) for _ in range(32))
    return "$" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def new_token(localpart):
    """Synapse-style token: syt_<b64 localpart>_<20 random>_<6 checksum>."""
    b64 = base64.b64encode(localpart.encode()).decode().rstrip("=")
    body = "syt_%s_%s" % (b64, rand_str(20))
    return "%s_%s" % (body, hashlib.sha256(body.encode()).hexdigest()[:6])


def hash_password(password, salt=None):
    salt = salt or rand_str(16)
    return salt + "$" + hashlib.sha256((salt + password).encode()).hexdigest()


def check_password(stored, password):
    salt = stored.split("$", 1)[0]
    return hash_password(password, salt) == stored


def skey(etype, state_key):
    """Key of a state map entry (JSON objects need string keys)."""
    return etype + "\x1f" + state_key


def glob_match(pattern, value):
    return fnmatch.fnmatchcase(value, pattern) if "*" in pattern \
        else pattern == value


# ---------------------------------------------------------------------------
# Storage and persistence
# ---------------------------------------------------------------------------

def empty_state():
    """Everything the server knows; JSON-serialisable, snapshot as a whole."""
    return {
        "stream": 1,          # one global stream position for everything
        "next_user_id": 1,
        "users": {},          # uid -> {password, displayname, avatar_url}
        "devices": {},        # uid -> did -> device record
        "tokens": {},         # access token -> [uid, did]
        "filters": {},        # uid -> [filter json, ...]
        "account_data": {},   # uid -> {"global": {type: [content, pos]},
                              #         "rooms": {rid: {type: [c, pos]}}}
        "push_rules": {},     # uid -> [rules json, pos] once modified
        "rooms": {},          # rid -> room record
        "events": {},         # event id -> event (keys "_x" are internal)
        "txns": {},           # "uid|did|txn" -> event id
        "aliases": {},        # "#a:hs" -> rid
        "media": {},          # media id -> {content_type, filename, size}
        "cross_signing": {},  # uid -> {"master"|"self_signing"|"user_signing": key}
        "key_changes": [],    # [pos, uid]: device list / key changes
        "todevice_txns": {},  # "uid|did|txn" -> true
        "backups": {},        # uid -> {"next": n, "versions": {v: record}}
        "presence": {},       # uid -> {state, last_active_ts, status_msg, pos}
        "hierarchy": {},      # next_batch token -> paging session
        "invite_ratelimit": {},
    }


FLUSH_EVERY_S = 0.2


class Store:
    """The global state, its lock, the sync wakeup condition, persistence."""

    def __init__(self, data_dir=None):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.data_dir = data_dir
        self.write_lock = threading.Lock()
        self.dirty_seq = 0
        self.written_seq = 0
        self.media_bytes = {}           # media id -> bytes (memory mode)
        self.s = empty_state()
        if data_dir:
            os.makedirs(os.path.join(data_dir, "media"), exist_ok=True)
            path = os.path.join(data_dir, "state.json")
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    loaded = json.load(f)
                self.s.update(loaded)

    def bump(self):
        """Advance the stream; callers hold the lock.  Wakes long polls."""
        self.s["stream"] += 1
        self.dirty_seq += 1
        self.cond.notify_all()
        return self.s["stream"]

    def mark_dirty(self):
        self.dirty_seq += 1

    def snapshot(self):
        """Serialise under the lock; returns (seq, text) or None."""
        if not self.data_dir or self.dirty_seq == self.written_seq:
            return None
        return self.dirty_seq, json.dumps(self.s, separators=(",", ":"))

    def write(self, snap):
        """Write a snapshot atomically; older snapshots never win."""
        if snap is None:
            return
        seq, text = snap
        with self.write_lock:
            if seq <= self.written_seq:
                return
            path = os.path.join(self.data_dir, "state.json")
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
            self.written_seq = seq

    def flush(self):
        with self.lock:
            snap = self.snapshot()
        self.write(snap)

    def put_media(self, media_id, data):
        if self.data_dir:
            path = os.path.join(self.data_dir, "media", media_id)
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.replace(path + ".tmp", path)
        else:
            self.media_bytes[media_id] = data

    def get_media(self, media_id):
        if self.data_dir:
            try:
                with open(os.path.join(self.data_dir, "media", media_id),
                          "rb") as f:
                    return f.read()
            except OSError:
                return None
        return self.media_bytes.get(media_id)


class Volatile:
    """State that Synapse also keeps only in memory."""

    def __init__(self):
        self.typing = {}          # rid -> {uid: expiry_ms}
        self.typing_pos = {}      # rid -> stream pos of last typing change
        self.prev_loaded = set()  # event ids fetched with prev_content
        self.ll_cache = {}        # (uid, did) -> {(rid, member uid): event id}
        self.rate = {}            # (kind, key) -> [action_count, time_start]
        self.sync_cache = {}      # request key -> (expiry, response)
        self.td_held = {}         # (uid, did) -> to-device events in transit
        self.td_tamper = []       # armed /_test/to_device tampers
        self.td_tampered = []     # what they did


ST = None       # the Store
VOL = Volatile()
CONFIG = {"server_name": "haos.test", "base_url": "", "max_upload": 52428800,
          "max_upload_default": 52428800,
          "synapse_ratelimits": False, "sync_cache_ms": 120000,
          "authenticated_media": True}


def S():
    return ST.s


# ---------------------------------------------------------------------------
# Users, devices, access tokens
# ---------------------------------------------------------------------------

USERNAME_RE = re.compile(r"^[a-z0-9._=\-/]+$")


def user_id_of(localpart):
    return "@%s:%s" % (localpart, CONFIG["server_name"])


def localpart_of(uid):
    return uid[1:].split(":", 1)[0]


def create_device(uid, device_id=None, display_name=None):
    """Create (or reuse) a device and give it a new access token."""
    devs = S()["devices"].setdefault(uid, {})
    did = device_id or rand_str(10, string.ascii_uppercase)
    if did not in devs:
        devs[did] = {"display_name": display_name, "last_seen_ts": None,
                     "last_seen_ip": None, "keys": None, "otks": {},
                     "fallback": {}, "to_device": []}
        key_changed(uid)
    elif display_name is not None:
        devs[did]["display_name"] = display_name
    token = new_token(localpart_of(uid))
    S()["tokens"][token] = [uid, did]
    ST.mark_dirty()
    return did, token


def delete_device(uid, did):
    S()["devices"].get(uid, {}).pop(did, None)
    for tok, (u, d) in list(S()["tokens"].items()):
        if u == uid and d == did:
            del S()["tokens"][tok]
    key_changed(uid)


def key_changed(uid):
    """Record a device list change for uid (shown in sync device_lists)."""
    S()["key_changes"].append([ST.bump(), uid])


def displayname(uid):
    u = S()["users"].get(uid)
    return u.get("displayname") if u else None


def avatar_url(uid):
    u = S()["users"].get(uid)
    return u.get("avatar_url") if u else None


def check_uia_password(uid, body, session_store_key):
    """Synapse-style user-interactive auth with m.login.password."""
    auth = body.get("auth")
    flows = [{"stages": ["m.login.password"]}]
    if not isinstance(auth, dict) or auth.get("type") != "m.login.password":
        session = (auth or {}).get("session") if isinstance(auth, dict) \
            else None
        raise MatrixError(401, None, None, session=session or rand_str(24),
                          flows=flows, params={})
    ident = auth.get("identifier") or {}
    who = ident.get("user") or auth.get("user") or uid
    if not who.startswith("@"):
        who = user_id_of(who)
    user = S()["users"].get(who)
    if who != uid or not user or \
            not check_password(user["password"], str(auth.get("password"))):
        raise MatrixError(401, "M_FORBIDDEN", "Invalid username or password",
                          session=auth.get("session") or rand_str(24),
                          flows=flows, params={}, completed=[])


# ---------------------------------------------------------------------------
# Rooms: state, membership, power levels
# ---------------------------------------------------------------------------

def room_or_404(rid):
    room = S()["rooms"].get(rid)
    if room is None:
        raise not_found("Unknown room")
    return room


def state_event(room, etype, state_key=""):
    eid = room["state"].get(skey(etype, state_key))
    return S()["events"].get(eid) if eid else None


def state_content(room, etype, state_key=""):
    ev = state_event(room, etype, state_key)
    return ev["content"] if ev else None


def membership(room, uid):
    c = state_content(room, "m.room.member", uid)
    return c.get("membership") if c else None


def members(room, which=("join",)):
    out = []
    for k, eid in room["state"].items():
        t, sk = k.split("\x1f", 1)
        if t == "m.room.member" and \
                S()["events"][eid]["content"].get("membership") in which:
            out.append(sk)
    return out


def state_at(room, pos):
    """The room state (key -> event id) after every event with pos <= pos."""
    st = {}
    for eid in room["events"]:
        ev = S()["events"][eid]
        if ev["_pos"] > pos:
            break
        if "state_key" in ev:
            st[skey(ev["type"], ev["state_key"])] = eid
    return st


def join_rule(room):
    c = state_content(room, "m.room.join_rules") or {}
    return c.get("join_rule", "invite")


def power_levels(room):
    return state_content(room, "m.room.power_levels")


def user_level(room, uid):
    pl = power_levels(room)
    if pl is None:
        create = state_content(room, "m.room.create") or {}
        return 100 if create.get("creator") == uid else 0
    users = pl.get("users") or {}
    return int(users.get(uid, pl.get("users_default", 0)))


def required_level(room, etype, is_state):
    pl = power_levels(room)
    if pl is None:
        return 0
    events = pl.get("events") or {}
    if etype in events:
        return int(events[etype])
    return int(pl.get("state_default", 50) if is_state
               else pl.get("events_default", 0))


def action_level(room, action):
    pl = power_levels(room)
    if pl is None:
        return 0 if action == "invite" else 50
    return int(pl.get(action, 0 if action == "invite" else 50))


def room_version_int(room):
    try:
        return int(room["version"])
    except ValueError:
        return 10


def not_in_room(uid, rid):
    return forbidden("User %s not in room %s, and room previews are disabled"
                     % (uid, rid))


def require_joined(room, rid, uid):
    if membership(room, uid) != "join":
        raise not_in_room(uid, rid)


def visible_upto(room, uid):
    """Stream position up to which uid may read the room (None: not at all).

    Members read the whole history ("shared"); a member who left reads up
    to the leave; world_readable rooms are readable by anyone."""
    m = membership(room, uid)
    if m == "join":
        return S()["stream"]
    hv = (state_content(room, "m.room.history_visibility") or {}).get(
        "history_visibility")
    if hv == "world_readable":
        return S()["stream"]
    if m in ("leave", "ban"):
        ev = state_event(room, "m.room.member", uid)
        prev = ev.get("_replaces")
        was_member = False
        while prev:
            pe = S()["events"][prev]
            if pe["content"].get("membership") == "join":
                was_member = True
                break
            prev = pe.get("_replaces")
        return ev["_pos"] if was_member else None
    if m == "invite" and hv in ("shared", "invited"):
        return S()["stream"]
    return None


# ---------------------------------------------------------------------------
# Events: creation, authorisation, redaction
# ---------------------------------------------------------------------------

def has_lone_surrogate(value):
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def check_send_auth(room, rid, sender, etype, state_key, content):
    """Synapse's event auth rules for one new event (raises MatrixError)."""
    is_state = state_key is not None
    if etype == "m.room.member":
        return check_membership_auth(room, rid, sender, state_key, content)
    if membership(room, sender) != "join":
        ev = state_event(room, "m.room.member", sender)
        desc = "None" if ev is None else (
            "<FrozenEventV3 event_id=%s, type=m.room.member, state_key=%s, "
            "outlier=0>" % (ev["event_id"], sender))
        raise forbidden("User %s not in room %s (%s)" % (sender, rid, desc))
    have = user_level(room, sender)
    need = required_level(room, etype, is_state)
    if have < need:
        raise forbidden("You don't have permission to post that to the room. "
                        "user_level (%d) < send_level (%d)" % (have, need))
    if is_state and state_key.startswith("@") and state_key != sender:
        raise forbidden("You are not allowed to set others state")
    if etype == "m.room.power_levels" and is_state:
        check_power_level_change(room, sender, content)
    if etype == "m.room.redaction":
        return


def check_power_level_change(room, sender, new):
    """The power-level change rules of the spec (as Synapse phrases them)."""
    old = power_levels(room)
    for key in ("users_default", "events_default", "state_default", "ban",
                "redact", "kick", "invite"):
        if key in new and not isinstance(new[key], int):
            raise MatrixError(400, "M_BAD_JSON", "%s must be an integer" % key)
    if old is None:
        return
    mine = user_level(room, sender)
    checks = []
    for key in ("users_default", "events_default", "state_default", "ban",
                "redact", "kick", "invite"):
        checks.append((None, key, old.get(key), new.get(key)))
    for sub in ("users", "events"):
        o, n = old.get(sub) or {}, new.get(sub) or {}
        for k in set(o) | set(n):
            checks.append((sub, k, o.get(k), n.get(k)))
    for sub, key, ov, nv in checks:
        if ov == nv:
            continue
        if sub == "users" and key != sender and ov is not None and ov == mine:
            raise forbidden("You don't have permission to remove ops level "
                            "equal to your own")
        if (ov is not None and ov > mine) or (nv is not None and nv > mine):
            raise forbidden("You don't have permission to add ops level "
                            "greater than your own")


def check_membership_auth(room, rid, sender, target, content):
    """Membership transitions: join, invite, leave/kick, ban/unban, knock."""
    new = content.get("membership")
    old = membership(room, target)
    sender_m = membership(room, sender)
    rule = join_rule(room)
    mine, theirs = user_level(room, sender), user_level(room, target)
    if new == "join":
        if sender != target:
            raise forbidden("Cannot force another user to join.")
        if old == "ban":
            raise forbidden("You are banned from this room")
        if old == "join" or rule == "public":
            return
        if len(room["events"]) == 1 and (state_content(
                room, "m.room.create") or {}).get("creator") == target:
            return      # the creator's own first join
        if old == "invite":
            return
        if rule in ("restricted", "knock_restricted") and \
                room_version_int(room) >= 8 and \
                content.get("join_authorised_via_users_server"):
            return
        raise forbidden("You are not invited to this room.")
    if new == "invite":
        if sender_m != "join":
            raise forbidden("You are not in room %s." % rid)
        if old == "ban":
            raise forbidden("%s is banned from the room" % target)
        if old == "join":
            raise forbidden("%s is already in the room." % target)
        if mine < action_level(room, "invite"):
            raise forbidden("You don't have permission to invite users")
        return
    if new == "knock":
        if sender != target:
            raise forbidden("Can't make other users knock")
        if rule not in ("knock", "knock_restricted") or \
                room_version_int(room) < 7:
            raise forbidden("You don't have permission to knock")
        if old == "ban":
            raise forbidden("You are banned from this room")
        if old in ("join", "invite"):
            raise forbidden("You cannot knock for a room you're already in.")
        return
    if new == "leave":
        if sender == target:
            if old in ("join", "invite", "knock"):
                return
            if old == "ban":
                raise forbidden("You cannot unban user %s." % target)
            raise forbidden("User %s not in room %s" % (sender, rid))
        if sender_m != "join":
            raise forbidden("You are not in room %s." % rid)
        if old == "ban":
            if mine < action_level(room, "ban"):
                raise forbidden("You cannot unban user %s." % target)
            return
        if mine < action_level(room, "kick") or theirs >= mine:
            raise forbidden("You cannot kick user %s." % target)
        return
    if new == "ban":
        if sender_m != "join":
            raise forbidden("You are not in room %s." % rid)
        if mine < action_level(room, "ban") or theirs >= mine:
            raise forbidden("You cannot ban user %s." % target)
        return
    raise MatrixError(400, "M_BAD_JSON", "Invalid membership %r" % new)


def new_event(rid, sender, etype, content, state_key=None, redacts=None,
              txn=None, check=True):
    """Authorise, create and append one event to a room; returns it."""
    room = S()["rooms"][rid]
    if has_lone_surrogate(content):
        raise MatrixError(500, "M_UNKNOWN", "Internal server error")
    if check:
        check_send_auth(room, rid, sender, etype, state_key, content)
    pos = ST.bump()
    ev = {"type": etype, "room_id": rid, "sender": sender,
          "content": content, "origin_server_ts": CLOCK.ms(),
          "event_id": new_event_id(), "_pos": pos}
    if state_key is not None:
        ev["state_key"] = state_key
        prev = room["state"].get(skey(etype, state_key))
        if prev:
            ev["_replaces"] = prev
        room["state"][skey(etype, state_key)] = ev["event_id"]
    if redacts is not None:
        ev["redacts"] = redacts
    if txn is not None:
        ev["_txn"] = txn            # [uid, did, txn id]
    S()["events"][ev["event_id"]] = ev
    room["events"].append(ev["event_id"])
    if etype == "m.room.redaction" and redacts in S()["events"]:
        apply_redaction(S()["events"][redacts], ev)
    if etype == "m.room.member" and content.get("membership") in (
            "leave", "ban"):
        VOL.typing.get(rid, {}).pop(state_key, None)
    return ev


# Content keys kept by the redaction algorithm (room versions 6-10).
REDACT_KEEP = {
    "m.room.member": ["membership"],
    "m.room.create": ["creator"],
    "m.room.join_rules": ["join_rule"],
    "m.room.power_levels": ["ban", "events", "events_default", "kick",
                            "redact", "state_default", "users",
                            "users_default"],
    "m.room.history_visibility": ["history_visibility"],
}


def redacted_content(ev, version):
    keep = list(REDACT_KEEP.get(ev["type"], []))
    if version >= 8 and ev["type"] == "m.room.join_rules":
        keep.append("allow")
    if version >= 9 and ev["type"] == "m.room.member":
        keep.append("join_authorised_via_users_server")
    if version <= 5 and ev["type"] == "m.room.aliases":
        keep.append("aliases")
    return {k: v for k, v in ev["content"].items() if k in keep}


def apply_redaction(target, redaction):
    if target["room_id"] != redaction["room_id"] or \
            target.get("_redacted_by"):
        return
    room = S()["rooms"][target["room_id"]]
    target["content"] = redacted_content(target, room_version_int(room))
    target["_redacted_by"] = redaction["event_id"]


def check_redact_auth(room, rid, sender, target_id):
    if membership(room, sender) != "join":
        raise forbidden("User %s not in room %s (None)" % (sender, rid))
    target = S()["events"].get(target_id)
    if target is not None and target["sender"] == sender:
        return
    if user_level(room, sender) < action_level(room, "redact"):
        raise forbidden("You don't have permission to redact events")


# ---------------------------------------------------------------------------
# Serialising events for clients
# ---------------------------------------------------------------------------

def serialize(ev, fmt="client", viewer=None, prev=False, bundle=None):
    """An event as clients see it.

    fmt "sync": no room_id (sync timelines and state); fmt "client":
    Synapse's v1 format with room_id plus top-level user_id, age and copies
    of some unsigned keys.  prev: fetched the way Synapse fetches timelines
    (adds prev_content/prev_sender, which Synapse's event cache then keeps
    on the event).  viewer (uid, did) adds unsigned.transaction_id to the
    sender's own copy.  bundle: a viewer uid to add m.relations."""
    now = CLOCK.ms()
    d = {k: v for k, v in ev.items() if not k.startswith("_")}
    if fmt == "sync":
        d.pop("room_id", None)
    u = {}
    rep = ev.get("_replaces")
    if rep:
        u["replaces_state"] = rep
        if prev:
            VOL.prev_loaded.add(ev["event_id"])
        if ev["event_id"] in VOL.prev_loaded:
            pe = S()["events"].get(rep)
            if pe:
                u["prev_content"] = pe["content"]
                u["prev_sender"] = pe["sender"]
    if ev.get("_redacted_by"):
        red = S()["events"].get(ev["_redacted_by"])
        u["redacted_by"] = ev["_redacted_by"]
        if red:
            u["redacted_because"] = serialize(red, fmt)
    txn = ev.get("_txn")
    if viewer and txn and txn[0] == viewer[0] and txn[1] == viewer[1]:
        u["transaction_id"] = txn[2]
    u["age"] = max(0, now - ev["origin_server_ts"])
    if bundle and not ev.get("_redacted_by"):
        rel = bundled_relations(ev, bundle)
        if rel:
            edit = rel.pop("_edit", None)
            if edit is not None:
                relates = d["content"].get("m.relates_to")
                d["content"] = copy.deepcopy(
                    edit["content"].get("m.new_content", {}))
                if relates is not None:
                    d["content"]["m.relates_to"] = relates
            u["m.relations"] = rel
    d["unsigned"] = u
    if fmt == "client":
        d["user_id"] = d["sender"]
        for k in ("age", "redacted_because", "replaces_state",
                  "prev_content"):
            if k in u:
                d[k] = u[k]
    return d


def relation_of(ev):
    rel = ev["content"].get("m.relates_to") if isinstance(
        ev.get("content"), dict) else None
    if isinstance(rel, dict) and isinstance(rel.get("event_id"), str) and \
            isinstance(rel.get("rel_type"), str):
        return rel
    return None


def relations_to(target):
    """Unredacted events relating to target, in stream order."""
    room = S()["rooms"][target["room_id"]]
    out = []
    for eid in room["events"]:
        ev = S()["events"][eid]
        rel = relation_of(ev)
        if rel and rel["event_id"] == target["event_id"] and \
                not ev.get("_redacted_by"):
            out.append((rel, ev))
    return out


def bundled_relations(target, viewer):
    """Synapse 1.67's bundled aggregations (unsigned.m.relations)."""
    out = {}
    annotations, refs, edit, thread = {}, [], None, []
    for rel, ev in relations_to(target):
        t = rel["rel_type"]
        if t == "m.annotation" and "key" in rel:
            k = (ev["type"], rel["key"])
            annotations[k] = annotations.get(k, 0) + 1
        elif t == "m.reference":
            refs.append({"event_id": ev["event_id"]})
        elif t == "m.replace" and ev["sender"] == target["sender"] and \
                ev["type"] == target["type"]:
            edit = ev
        elif t == "m.thread":
            thread.append(ev)
    if annotations:
        out["m.annotation"] = {"chunk": [
            {"type": t, "key": k, "count": c} for (t, k), c in
            sorted(annotations.items(), key=lambda x: -x[1])]}
    if refs:
        out["m.reference"] = {"chunk": refs}
    if edit is not None:
        out["m.replace"] = {"event_id": edit["event_id"],
                            "origin_server_ts": edit["origin_server_ts"],
                            "sender": edit["sender"]}
        out["_edit"] = edit
    if thread:
        out["m.thread"] = {
            "latest_event": serialize(thread[-1], "client"),
            "count": len(thread),
            "current_user_participated": viewer == target["sender"] or any(
                e["sender"] == viewer for e in thread)}
    return out


def stripped(ev):
    return {"type": ev["type"], "state_key": ev["state_key"],
            "content": ev["content"], "sender": ev["sender"]}


def stripped_state(room, member_event):
    """invite_state / knock_state: prejoin state, the sender's member event
    and the membership event itself."""
    out = []
    for t in PREJOIN_STATE:
        ev = state_event(room, t)
        if ev:
            out.append(stripped(ev))
    sender_ev = state_event(room, "m.room.member", member_event["sender"])
    if sender_ev and sender_ev is not member_event:
        out.append(stripped(sender_ev))
    out.append(serialize(member_event, "sync"))
    return out


# ---------------------------------------------------------------------------
# Presence, typing, receipts, account data, notification counts
# ---------------------------------------------------------------------------

def presence_of(uid):
    return S()["presence"].setdefault(uid, {
        "state": "offline", "last_active_ts": None, "status_msg": None,
        "pos": 0})


def set_presence(uid, state, status_msg=None, explicit=False):
    p = presence_of(uid)
    now = CLOCK.ms()
    changed = p["state"] != state or (explicit and
                                      status_msg != p["status_msg"])
    p["last_active_ts"] = now
    if explicit:
        p["status_msg"] = status_msg
    if changed:
        p["state"] = state
        p["pos"] = ST.bump()


def bump_last_active(uid):
    """Sending an event bumps last_active (notified at most once a minute)."""
    p = presence_of(uid)
    now = CLOCK.ms()
    if p["last_active_ts"] is None or now - p["last_active_ts"] > 60000:
        p["pos"] = ST.bump()
    p["last_active_ts"] = now


def presence_content(uid):
    p = presence_of(uid)
    c = {"presence": p["state"]}
    if p["last_active_ts"] is not None:
        c["last_active_ago"] = max(0, CLOCK.ms() - p["last_active_ts"])
    if p["status_msg"] is not None:
        c["status_msg"] = p["status_msg"]
    if p["state"] == "online":
        c["currently_active"] = True
    return c


def unordered(items):
    """A list of items in no particular order (a set's, in Synapse)."""
    out = list(items)
    RNG.shuffle(out)
    return out


def set_typing(rid, uid, typing, timeout_ms):
    t = VOL.typing.setdefault(rid, {})
    was = uid in t
    if typing:
        t[uid] = time.monotonic() + timeout_ms / 1000.0
    else:
        t.pop(uid, None)
    if typing != was or typing:
        VOL.typing_pos[rid] = ST.bump()


def expire_typing():
    """Called periodically: drop expired typing notifications."""
    now = time.monotonic()
    for rid, t in VOL.typing.items():
        gone = [u for u, exp in t.items() if exp <= now]
        for u in gone:
            del t[u]
        if gone:
            VOL.typing_pos[rid] = ST.bump()


def set_receipt(room, rid, uid, rtype, event_id):
    ev = S()["events"].get(event_id)
    if ev is None or ev["room_id"] != rid:
        raise not_found("Could not find event %s" % event_id)
    receipts = room.setdefault("receipts", {})
    receipts[rtype + "\x1f" + uid] = {"event_id": event_id,
                                      "ts": CLOCK.ms(), "pos": ST.bump()}


def read_upto(room, uid):
    """Stream position of the event uid has read (receipts), or 0."""
    best = 0
    for rtype in ("m.read", "m.read.private"):
        r = room.get("receipts", {}).get(rtype + "\x1f" + uid)
        if r and r["event_id"] in S()["events"]:
            best = max(best, S()["events"][r["event_id"]]["_pos"])
    return best


def notify_kind(ev, uid, room):
    """(notify, highlight) for ev and uid under the default push rules."""
    if ev["sender"] == uid or ev.get("_redacted_by") or "state_key" in ev:
        return False, False
    c = ev["content"]
    if ev["type"] == "m.room.message":
        if c.get("msgtype") == "m.notice":
            return False, False
        body = c.get("body") if isinstance(c.get("body"), str) else ""
        name = displayname(uid) or localpart_of(uid)
        hl = bool(re.search(r"(^|\W)%s(\W|$)" % re.escape(name), body,
                            re.IGNORECASE))
        if "@room" in body and user_level(room, ev["sender"]) >= int(
                ((power_levels(room) or {}).get("notifications") or
                 {}).get("room", 50)):
            hl = True
        return True, hl
    if ev["type"] in ("m.room.encrypted", "m.call.invite"):
        return True, False
    return False, False


def unread_counts(room, uid):
    start = read_upto(room, uid)
    n = h = 0
    for eid in room["events"]:
        ev = S()["events"][eid]
        if ev["_pos"] <= start:
            continue
        notify, hl = notify_kind(ev, uid, room)
        n += notify
        h += hl
    return {"notification_count": n, "highlight_count": h}


def account_data_of(uid):
    return S()["account_data"].setdefault(uid, {"global": {}, "rooms": {}})


def set_account_data(uid, rid, etype, content):
    ad = account_data_of(uid)
    where = ad["global"] if rid is None else ad["rooms"].setdefault(rid, {})
    where[etype] = [content, ST.bump()]


def push_rules_of(uid):
    """(rules, pos): the user's push rules and their last change."""
    pr = S()["push_rules"].get(uid)
    if pr:
        return pr[0], pr[1]
    return json.loads(PUSH_RULES % {"user_id": uid}), 0


# ---------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------

def parse_filter(uid, raw):
    if raw is None or raw == "":
        return {}
    if raw.lstrip().startswith("{"):
        try:
            f = json.loads(raw)
        except ValueError:
            raise MatrixError(400, "M_NOT_JSON", "Invalid filter JSON")
        if not isinstance(f, dict):
            raise bad_param("Invalid filter")
        return f
    try:
        return S()["filters"].get(uid, [])[int(raw)]
    except (ValueError, IndexError):
        raise not_found("No such filter")


def event_matches(f, ev):
    """A RoomEventFilter / EventFilter (types, senders, contains_url...)."""
    if not f:
        return True
    t = ev.get("type", "")
    if "types" in f and f["types"] is not None and \
            not any(glob_match(p, t) for p in f["types"]):
        return False
    if any(glob_match(p, t) for p in f.get("not_types") or []):
        return False
    s = ev.get("sender")
    if s is not None:
        if f.get("senders") is not None and s not in f["senders"]:
            return False
        if s in (f.get("not_senders") or []):
            return False
    if "contains_url" in f and isinstance(ev.get("content"), dict):
        if bool(isinstance(ev["content"].get("url"), str)) != \
                bool(f["contains_url"]):
            return False
    return True


def room_allowed(f, rid):
    rf = f.get("room") or {}
    if rf.get("rooms") is not None and rid not in rf["rooms"]:
        return False
    return rid not in (rf.get("not_rooms") or [])


def limit_of(f, default):
    try:
        return max(0, int(f.get("limit", default)))
    except (TypeError, ValueError):
        return default


# ---------------------------------------------------------------------------
# Sync
# ---------------------------------------------------------------------------

def parse_stream_token(tok, name="from"):
    """Tokens are stream positions: "s42", "t42" or "42"."""
    m = re.fullmatch(r"[st]?(\d+)(?:[-_].*)?", tok or "")
    if not m:
        raise bad_param("Invalid %s token" % name)
    return int(m.group(1))


def shared_users(uid):
    """Users sharing a joined room with uid, uid included."""
    out = {uid}
    for room in S()["rooms"].values():
        if membership(room, uid) == "join":
            out.update(members(room))
    return out


def shared_users_at(uid, pos):
    """Users sharing a joined room with uid at stream position pos."""
    out = {uid}
    for room in S()["rooms"].values():
        if membership_at(room, uid, pos) == "join":
            for k, eid in state_at(room, pos).items():
                if k.startswith("m.room.member\x1f") and S()["events"][
                        eid]["content"].get("membership") == "join":
                    out.add(k.split("\x1f", 1)[1])
    return out


def membership_at(room, uid, pos):
    c = None
    for eid in room["events"]:
        ev = S()["events"][eid]
        if ev["_pos"] > pos:
            break
        if ev["type"] == "m.room.member" and ev.get("state_key") == uid:
            c = ev["content"].get("membership")
    return c


def device_list_changes(uid, since, upto):
    """(changed, left) between two stream positions, as Synapse computes."""
    changed, left = set(), set()
    now_shared = shared_users(uid)
    for pos, who in S()["key_changes"]:
        if since < pos <= upto and who in now_shared:
            changed.add(who)
    for room in S()["rooms"].values():
        m_now = membership(room, uid)
        m_then = membership_at(room, uid, since)
        if m_now == "join" and m_then != "join":
            changed.update(members(room))
            continue
        if m_now == "join":
            for eid in reversed(room["events"]):
                ev = S()["events"][eid]
                if ev["_pos"] <= since:
                    break
                if ev["type"] == "m.room.member" and ev["_pos"] <= upto:
                    m = ev["content"].get("membership")
                    if m == "join":
                        changed.add(ev["state_key"])
                    elif m in ("leave", "ban"):
                        left.add(ev["state_key"])
        elif m_then == "join":
            left.update(members(room))
    left = {u for u in left if u not in now_shared}
    return sorted(changed - left), sorted(left)


def sync_room_entry(room, rid, uid, did, since, full_state, f, upto,
                    newly, leave_pos=None):
    """One rooms.join / rooms.leave entry (None when nothing to send)."""
    rf = f.get("room") or {}
    tf = rf.get("timeline") or {}
    sf = rf.get("state") or {}
    ll = bool(sf.get("lazy_load_members"))
    limit = limit_of(tf, SYNC_TIMELINE_LIMIT)
    end = upto if leave_pos is None else min(upto, leave_pos)
    incremental = since is not None and not newly
    evs = []
    for eid in room["events"]:
        ev = S()["events"][eid]
        if ev["_pos"] > end:
            break
        if incremental and ev["_pos"] <= since:
            continue
        if event_matches(tf, ev):
            evs.append(ev)
    limited = len(evs) > limit
    timeline = evs[-limit:] if limit else []
    if not incremental:
        limited = len(evs) > len(timeline)
    if limit:
        # Synapse loads the newest events (before filtering) with their
        # prev_content, max(2 * limit, 10) + 1 of them when the timeline is
        # gappy, and its event cache then keeps prev_content on them (even
        # when they are later served as state).
        span = [S()["events"][e] for e in room["events"]
                if S()["events"][e]["_pos"] <= end and
                (not incremental or S()["events"][e]["_pos"] > since)]
        n = max(2 * limit, 10) + 1 if limited or not incremental \
            else limit + 1
        VOL.prev_loaded.update(e["event_id"] for e in span[-n:]
                               if e.get("_replaces"))
    if timeline:
        start_pos = timeline[0]["_pos"] - 1
    else:
        start_pos = end
    prev_batch = ("s%d" % since) if incremental and not limited else \
        ("t%d" % start_pos)
    start_state = state_at(room, start_pos)
    prev_state = state_at(room, since) if incremental and not full_state \
        else {}
    tl_keys = {skey(e["type"], e["state_key"]) for e in timeline
               if "state_key" in e}
    needed = {e["sender"] for e in timeline}
    state_ids = {}
    for k, eid in start_state.items():
        t, sk = k.split("\x1f", 1)
        if k in tl_keys:
            continue
        if ll and t == "m.room.member":
            if sk in needed:
                state_ids[k] = eid
            continue
        if prev_state.get(k) != eid:
            state_ids[k] = eid
    if ll and not sf.get("include_redundant_members"):
        cache = VOL.ll_cache.setdefault((uid, did), {})
        if since is None:
            cache.clear()
        else:
            state_ids = {k: e for k, e in state_ids.items()
                         if not k.startswith("m.room.member\x1f") or
                         cache.get((rid, k.split("\x1f", 1)[1])) != e}
        for k, e in list(state_ids.items()) + [
                (skey(ev["type"], ev["state_key"]), ev["event_id"])
                for ev in timeline if ev["type"] == "m.room.member"]:
            if k.startswith("m.room.member\x1f"):
                cache[(rid, k.split("\x1f", 1)[1])] = e
    state = [S()["events"][e] for e in state_ids.values()]
    state = [e for e in state if event_matches(sf, e)]
    ad = account_data_of(uid)["rooms"].get(rid, {})
    adf = rf.get("account_data") or {}
    account = [{"type": t, "content": c} for t, (c, p) in ad.items()
               if (since is None or full_state or newly or
                   since < p <= upto)
               and event_matches(adf, {"type": t})]
    entry = {
        "timeline": {"events": [serialize(e, "sync", (uid, did), prev=True)
                                for e in timeline],
                     "prev_batch": prev_batch, "limited": limited},
        "state": {"events": [serialize(e, "sync") for e in state]},
        "account_data": {"events": account},
    }
    if leave_pos is not None:
        if incremental and not timeline and not state and not account:
            return None
        return entry
    ephemeral = []
    ef = rf.get("ephemeral") or {}
    tpos = VOL.typing_pos.get(rid, 0)
    if tpos and (since is None or newly or tpos > since):
        # Synapse keeps typing users in a set: no order to rely on.
        ephemeral.append({"type": "m.typing", "content": {
            "user_ids": unordered(VOL.typing.get(rid, {}))}})
    rc = {}
    for k, r in room.get("receipts", {}).items():
        rtype, who = k.split("\x1f", 1)
        if rtype == "m.read.private" and who != uid:
            continue
        if r["pos"] <= upto and (since is None or newly or
                                 r["pos"] > since):
            rc.setdefault(r["event_id"], {}).setdefault(rtype, {})[who] = {
                "ts": r["ts"]}
    if rc:
        ephemeral.append({"type": "m.receipt", "content": rc})
    ephemeral = [e for e in ephemeral if event_matches(ef, e)]
    entry["ephemeral"] = {"events": ephemeral}
    entry["unread_notifications"] = unread_counts(room, uid)
    summary = {}
    if ll and (since is None or any(e["type"] == "m.room.member"
                                    for e in timeline)
               or (limited and any(k.startswith("m.room.member\x1f")
                                   for k in state_ids))):
        summary = room_summary(room, uid)
    entry["summary"] = summary
    if incremental and not full_state and not (
            timeline or state or ephemeral or account):
        return None
    return entry


def sync_device_lists(uid, since, upto, rooms):
    """device_lists as Synapse 1.67 builds them for a sync response: key
    changes of users sharing a room, plus every user whose join/invite/knock
    (or leave) appears in the timeline or state sent for a joined room, plus
    the members of rooms just left, minus users still shared."""
    now_shared = shared_users(uid)
    changed = {who for pos, who in S()["key_changes"]
               if since < pos <= upto and who in now_shared}
    left = set()
    for rid, entry in rooms["join"].items():
        for ev in entry["timeline"]["events"] + entry["state"]["events"]:
            if ev["type"] == "m.room.member":
                if ev["content"].get("membership") in ("join", "invite",
                                                       "knock"):
                    changed.add(ev["state_key"])
                else:
                    left.add(ev["state_key"])
    for rid in rooms["leave"]:
        room = S()["rooms"][rid]
        left.update(k.split("\x1f", 1)[1] for k, e in state_at(
            room, since).items() if k.startswith("m.room.member\x1f") and
            S()["events"][e]["content"].get("membership") == "join")
    left -= now_shared
    return sorted(changed), sorted(left)


def room_summary(room, uid):
    joined = members(room)
    invited = members(room, ("invite",))
    out = {}
    if not state_content(room, "m.room.name") and \
            not (state_content(room, "m.room.canonical_alias") or {}).get(
                "alias"):
        heroes = sorted(u for u in joined + invited if u != uid)[:5]
        out["m.heroes"] = heroes
    out["m.joined_member_count"] = len(joined)
    out["m.invited_member_count"] = len(invited)
    return out


def compute_sync(uid, did, since, full_state, f, upto):
    """The /sync response body for uid's device did (may be "empty")."""
    # To-device messages: the ones up to since are acknowledged (deleted);
    # at most 100 go out, and then the whole response stops at the 100th.
    to_device = []
    dev = S()["devices"].get(uid, {}).get(did)
    if dev is not None:
        if since is not None:
            dev["to_device"] = [m for m in dev["to_device"]
                                if m["pos"] > since]
        pending = [m for m in dev["to_device"] if m["pos"] <= upto]
        if len(pending) > 100:
            pending = pending[:100]
            upto = pending[-1]["pos"]
        to_device = [m["event"] for m in pending]
    rooms = {"join": {}, "invite": {}, "leave": {}, "knock": {}}
    rf = f.get("room") or {}
    for rid, room in S()["rooms"].items():
        mem_ev = state_event(room, "m.room.member", uid)
        if mem_ev is None or not room_allowed(f, rid):
            continue
        m = mem_ev["content"].get("membership")
        mpos = mem_ev["_pos"]
        if mpos > upto:
            continue
        if m == "join":
            newly = since is not None and membership_at(room, uid, since) \
                != "join"
            e = sync_room_entry(room, rid, uid, did, since, full_state, f,
                                upto, newly)
            if e is not None:
                rooms["join"][rid] = e
        elif m in ("invite", "knock"):
            if since is None or mpos > since:
                key = "invite_state" if m == "invite" else "knock_state"
                rooms[m][rid] = {key: {"events": stripped_state(room,
                                                                 mem_ev)}}
        elif m in ("leave", "ban"):
            if uid in room.get("forgotten", []):
                continue
            if since is None and not rf.get("include_leave"):
                continue
            if since is not None and mpos <= since and not full_state:
                continue
            if visible_upto(room, uid) is None:
                # Never joined (rejected or withdrawn invite, knock):
                # only the membership event itself.
                rooms["leave"][rid] = {
                    "timeline": {"events": [serialize(mem_ev, "sync")],
                                 "prev_batch": "t%d" % (mpos - 1),
                                 "limited": False},
                    "state": {"events": []}, "account_data": {"events": []}}
                continue
            e = sync_room_entry(room, rid, uid, did, since, full_state, f,
                                upto, False, leave_pos=mpos)
            if e is not None:
                rooms["leave"][rid] = e
    resp = {"next_batch": "s%d" % upto}
    initial = since is None or full_state
    adf = f.get("account_data") or {}
    ad = [{"type": t, "content": c}
          for t, (c, p) in account_data_of(uid)["global"].items()
          if initial or since < p <= upto]
    rules, rpos = push_rules_of(uid)
    if initial or rpos > since:
        ad.append({"type": "m.push_rules", "content": rules})
    ad = [e for e in ad if event_matches(adf, e)]
    if ad:
        resp["account_data"] = {"events": ad}
    pf = f.get("presence") or {}
    pres = []
    newly_shared = set()
    if not initial:
        newly_shared = shared_users(uid) - shared_users_at(uid, since)
    for who in sorted(shared_users(uid), key=lambda u: (u != uid, u)):
        p = presence_of(who)
        if ((initial or who in newly_shared) and p["state"] != "offline") \
                or (not initial and since < p["pos"] <= upto):
            e = {"type": "m.presence", "sender": who,
                 "content": presence_content(who)}
            if event_matches(pf, e):
                pres.append(e)
    if pres:
        resp["presence"] = {"events": pres}
    if to_device:
        resp["to_device"] = {"events": to_device}
    if since is not None and not full_state:
        changed, left = sync_device_lists(uid, since, upto, rooms)
        dl = {}
        if changed:
            dl["changed"] = changed
        if left:
            dl["left"] = left
        if dl:
            resp["device_lists"] = dl
    counts, fallback = otk_counts(uid, did)
    resp["device_one_time_keys_count"] = counts
    resp["org.matrix.msc2732.device_unused_fallback_key_types"] = fallback
    resp["device_unused_fallback_key_types"] = fallback
    rooms = {k: v for k, v in rooms.items() if v}
    if rooms:
        resp["rooms"] = rooms
    return resp


def sync_is_empty(resp):
    return not any(k in resp for k in ("rooms", "presence", "account_data",
                                       "to_device", "device_lists"))


def otk_counts(uid, did):
    dev = S()["devices"].get(uid, {}).get(did) or {}
    counts = {"signed_curve25519": 0}
    for kid in dev.get("otks", {}):
        algo = kid.split(":", 1)[0]
        counts[algo] = counts.get(algo, 0) + 1
    fallback = sorted(a for a, fb in dev.get("fallback", {}).items()
                      if not fb["used"])
    return counts, fallback


# ---------------------------------------------------------------------------
# Handlers: request context
# ---------------------------------------------------------------------------

class Request:
    """What a handler sees: auth, JSON body, query, raw body, headers."""

    def __init__(self, method, path, query, headers, raw, client_ip):
        self.method, self.path, self.headers = method, path, headers
        self.query = {k: v[0] for k, v in query.items()}
        self.query_all = query
        self.raw = raw
        self.client_ip = client_ip
        self.uid = self.did = self.token = None
        self._json = None

    def token_from_request(self):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[7:].strip()
        return self.query.get("access_token")

    def authenticate(self):
        tok = self.token_from_request()
        if not tok:
            raise MatrixError(401, "M_MISSING_TOKEN", "Missing access token")
        who = S()["tokens"].get(tok)
        if not who and tok in S().get("expired_tokens", {}):
            # Synapse, for a token past its valid_until_ms: the device
            # stays and a login with its device_id gets it back.
            raise MatrixError(401, "M_UNKNOWN_TOKEN",
                              "Access token has expired",
                              soft_logout=True)
        if not who:
            raise MatrixError(401, "M_UNKNOWN_TOKEN",
                              "Invalid access token passed.",
                              soft_logout=False)
        self.uid, self.did = who
        self.token = tok
        dev = S()["devices"].get(self.uid, {}).get(self.did)
        if dev is not None:
            dev["last_seen_ts"] = CLOCK.ms()
            dev["last_seen_ip"] = self.client_ip

    @property
    def body(self):
        """The JSON object body (M_NOT_JSON / M_BAD_JSON like Synapse)."""
        if self._json is None:
            if not self.raw:
                self._json = {}
            else:
                try:
                    self._json = json.loads(self.raw.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    raise MatrixError(400, "M_NOT_JSON", "Content not JSON.")
                if not isinstance(self._json, dict):
                    raise MatrixError(400, "M_BAD_JSON",
                                      "Content must be a JSON object.")
        return self._json

    def int_arg(self, name, default):
        v = self.query.get(name)
        if v is None:
            return default
        try:
            return int(v)
        except ValueError:
            raise bad_param("Query parameter %r must be an integer" % name)


class Raw:
    """A non-JSON answer (media)."""

    def __init__(self, data, content_type, headers=None):
        self.data, self.content_type = data, content_type
        self.headers = headers or {}


def require_self(req, uid, what="account data"):
    if uid != req.uid:
        raise forbidden("Cannot get %s for other users." % what)


# ---------------------------------------------------------------------------
# Handlers: server info, registration, login, devices, profile
# ---------------------------------------------------------------------------

def h_versions(req):
    return {"versions": SPEC_VERSIONS, "unstable_features": UNSTABLE_FEATURES}


def h_well_known(req):
    return {"m.homeserver": {"base_url": CONFIG["base_url"]}}


def h_capabilities(req):
    return {"capabilities": CAPABILITIES}


def h_login_flows(req):
    return {"flows": [{"type": "m.login.password"},
                      {"type": "m.login.application_service"}]}


def h_register_available(req):
    name = req.query.get("username", "")
    validate_username(name)
    if user_id_of(name) in S()["users"]:
        raise MatrixError(400, "M_USER_IN_USE", "User ID already taken.")
    return {"available": True}


def validate_username(name):
    if not USERNAME_RE.match(name or "") or name.startswith("_"):
        raise MatrixError(400, "M_INVALID_USERNAME",
                          "User ID can only contain characters a-z, 0-9, "
                          "or '=_-./'")


def h_register(req):
    body = req.body
    if req.query.get("kind", "user") == "guest":
        raise MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN",
                          "Guest access is disabled")
    name = body.get("username")
    if name is not None:
        if not isinstance(name, str):
            raise bad_param("Invalid username")
        validate_username(name)
        if user_id_of(name) in S()["users"]:
            raise MatrixError(400, "M_USER_IN_USE", "User ID already taken.")
    auth = body.get("auth")
    if not isinstance(auth, dict) or auth.get("type") != "m.login.dummy":
        raise MatrixError(401, None, None, session=(
            auth.get("session") if isinstance(auth, dict) else None)
            or rand_str(24), flows=[{"stages": ["m.login.dummy"]}],
            params={})
    password = body.get("password")
    if not isinstance(password, str):
        raise MatrixError(400, "M_MISSING_PARAM", "Missing params: password")
    if name is None:
        while True:
            name = str(S()["next_user_id"])
            S()["next_user_id"] += 1
            if user_id_of(name) not in S()["users"]:
                break
    uid = user_id_of(name)
    S()["users"][uid] = {"password": hash_password(password),
                         "displayname": name, "avatar_url": None,
                         "created_ts": CLOCK.ms()}
    ST.mark_dirty()
    out = {"user_id": uid, "home_server": CONFIG["server_name"]}
    if body.get("inhibit_login"):
        return out
    did, token = create_device(uid, body.get("device_id"),
                               body.get("initial_device_display_name"))
    out.update(access_token=token, device_id=did)
    return out


def h_login(req):
    body = req.body
    if body.get("type") != "m.login.password":
        raise MatrixError(400, "M_UNKNOWN", "Unknown login type %s"
                          % body.get("type"))
    ident = body.get("identifier")
    who = None
    if isinstance(ident, dict):
        if ident.get("type") != "m.id.user":
            raise MatrixError(400, "M_UNKNOWN", "Unknown login identifier "
                              "type")
        who = ident.get("user")
    elif "user" in body:
        who = body.get("user")
    if not isinstance(who, str):
        raise MatrixError(400, "M_MISSING_PARAM", "Missing params: user")
    if not isinstance(body.get("password"), str):
        raise bad_param("Bad parameter: password")
    uid = who.lower() if who.startswith("@") else user_id_of(who.lower())
    user = S()["users"].get(uid)
    if not user or not check_password(user["password"], body["password"]):
        raise forbidden("Invalid username or password")
    did, token = create_device(uid, body.get("device_id"),
                               body.get("initial_device_display_name"))
    return {"user_id": uid, "access_token": token,
            "home_server": CONFIG["server_name"], "device_id": did}


def h_logout(req):
    delete_device(req.uid, req.did)
    return {}


def h_logout_all(req):
    for did in list(S()["devices"].get(req.uid, {})):
        delete_device(req.uid, did)
    return {}


def h_whoami(req):
    return {"user_id": req.uid, "is_guest": False, "device_id": req.did}


def device_json(uid, did, d):
    return {"user_id": uid, "device_id": did,
            "display_name": d["display_name"],
            "last_seen_ts": d["last_seen_ts"],
            "last_seen_ip": d["last_seen_ip"]}


def h_devices(req):
    devs = S()["devices"].get(req.uid, {})
    return {"devices": [device_json(req.uid, did, d)
                        for did, d in sorted(devs.items())]}


def h_device_get(req, did):
    d = S()["devices"].get(req.uid, {}).get(did)
    if d is None:
        raise not_found("No device found")
    return device_json(req.uid, did, d)


def h_device_put(req, did):
    d = S()["devices"].get(req.uid, {}).get(did)
    if d is None:
        raise not_found("No device found")
    if "display_name" in req.body:
        d["display_name"] = req.body["display_name"]
        key_changed(req.uid)
    return {}


def h_device_delete(req, did):
    if did not in S()["devices"].get(req.uid, {}):
        raise not_found("No device found")
    check_uia_password(req.uid, req.body, "delete_device")
    delete_device(req.uid, did)
    return {}


def h_delete_devices(req):
    check_uia_password(req.uid, req.body, "delete_devices")
    for did in req.body.get("devices") or []:
        delete_device(req.uid, did)
    return {}


def h_password(req):
    check_uia_password(req.uid, req.body, "password")
    newpw = req.body.get("new_password")
    if not isinstance(newpw, str):
        raise MatrixError(400, "M_MISSING_PARAM",
                          "Missing params: new_password")
    S()["users"][req.uid]["password"] = hash_password(newpw)
    if req.body.get("logout_devices", True):
        for did in list(S()["devices"].get(req.uid, {})):
            if did != req.did:
                delete_device(req.uid, did)
    ST.mark_dirty()
    return {}


def h_3pids(req):
    return {"threepids": []}


def profile_or_404(uid):
    user = S()["users"].get(uid)
    if user is None:
        raise not_found("Profile was not found")
    return user


def h_profile(req, uid):
    user = profile_or_404(uid)
    out = {}
    if user.get("displayname") is not None:
        out["displayname"] = user["displayname"]
    if user.get("avatar_url") is not None:
        out["avatar_url"] = user["avatar_url"]
    return out


def h_profile_field_get(req, uid, field):
    user = profile_or_404(uid)
    out = {}
    if user.get(field) is not None:
        out[field] = user[field]
    return out


def h_profile_field_put(req, uid, field):
    if uid != req.uid:
        raise forbidden("Cannot set another user's %s" % field)
    value = req.body.get(field)
    if value is not None and not isinstance(value, str):
        raise bad_param("%s must be a string" % field)
    user = profile_or_404(uid)
    if field == "displayname" and value is not None and len(value) > 256:
        raise bad_param("Displayname is too long (max 256)")
    user[field] = value
    # Like Synapse: a new join event in every joined room.
    for rid, room in S()["rooms"].items():
        ev = state_event(room, "m.room.member", uid)
        if ev and ev["content"].get("membership") == "join":
            c = dict(ev["content"])
            c.pop("join_authorised_via_users_server", None)
            if value is None:
                c.pop(field, None)
            else:
                c[field] = value
            new_event(rid, uid, "m.room.member", c, state_key=uid,
                      check=False)
    ST.mark_dirty()
    return {}


def h_presence_get(req, uid):
    profile_or_404(uid)
    return presence_content(uid)


def h_presence_put(req, uid):
    if uid != req.uid:
        raise forbidden("Can only set your own presence state")
    state = req.body.get("presence")
    if state not in ("online", "offline", "unavailable", "busy"):
        raise bad_param("Invalid presence state")
    set_presence(uid, state, req.body.get("status_msg"), explicit=True)
    return {}


def h_user_directory(req):
    term = str(req.body.get("search_term", "")).lower()
    limit = int(req.body.get("limit", 10))
    visible = shared_users(req.uid)
    for room in S()["rooms"].values():
        if join_rule(room) == "public":
            visible.update(members(room))
    hits = []
    for uid in sorted(visible):
        user = S()["users"].get(uid)
        if not user:
            continue
        dn = user.get("displayname") or ""
        if term in uid.lower() or term in dn.lower():
            hits.append({"user_id": uid, "display_name": user.get(
                "displayname"), "avatar_url": user.get("avatar_url")})
    return {"results": hits[:limit], "limited": len(hits) > limit}


# ---------------------------------------------------------------------------
# Handlers: account data, filters, push rules
# ---------------------------------------------------------------------------

def h_account_data_get(req, uid, etype, rid=None):
    require_self(req, uid)
    ad = account_data_of(uid)
    where = ad["global"] if rid is None else ad["rooms"].get(rid, {})
    if etype not in where:
        raise not_found("Account data not found")
    return where[etype][0]


def h_account_data_put(req, uid, etype, rid=None):
    if uid != req.uid:
        raise forbidden("Cannot add account data for other users.")
    content = req.body
    if rid is not None:
        room_or_404(rid)
        if etype == "m.fully_read":
            raise MatrixError(405, "M_BAD_JSON", "Cannot set m.fully_read "
                              "through this API. Use /rooms/!roomId:server."
                              "name/read_markers")
    set_account_data(uid, rid, etype, content)
    return {}


def h_room_account_data_get(req, uid, rid, etype):
    return h_account_data_get(req, uid, etype, rid)


def h_room_account_data_put(req, uid, rid, etype):
    return h_account_data_put(req, uid, etype, rid)


def h_filter_post(req, uid):
    if uid != req.uid:
        raise forbidden("Can only create filters for your own account")
    filters = S()["filters"].setdefault(uid, [])
    filters.append(req.body)
    ST.mark_dirty()
    return {"filter_id": str(len(filters) - 1)}


def h_filter_get(req, uid, fid):
    if uid != req.uid:
        raise forbidden("Cannot get filters for other users")
    try:
        return S()["filters"].get(uid, [])[int(fid)]
    except (ValueError, IndexError):
        raise not_found("No such filter")


def h_pushrules(req, rest=""):
    rules, _ = push_rules_of(req.uid)
    parts = [p for p in rest.split("/") if p]
    node = rules
    for p in parts:
        if isinstance(node, dict) and p in node:
            node = node[p]
        elif isinstance(node, list):
            found = [r for r in node if r.get("rule_id") == p]
            if not found:
                raise not_found("Unknown rule")
            node = found[0]
        else:
            raise not_found("Unknown rule")
    return node


def h_pushrules_put(req, rest):
    parts = [urllib.parse.unquote(p) for p in rest.split("/") if p]
    if len(parts) < 3 or parts[0] != "global" or parts[1] not in (
            "override", "underride", "sender", "room", "content"):
        raise MatrixError(400, "M_UNRECOGNIZED", "Unrecognized request")
    rules, _ = push_rules_of(req.uid)
    rules = copy.deepcopy(rules)
    kind, rule_id = parts[1], parts[2]
    lst = rules["global"][kind]
    existing = [r for r in lst if r["rule_id"] == rule_id]
    if len(parts) == 4:
        if not existing:
            raise not_found("Unknown rule")
        if parts[3] == "enabled":
            existing[0]["enabled"] = bool(req.body.get("enabled"))
        elif parts[3] == "actions":
            existing[0]["actions"] = req.body.get("actions", [])
        else:
            raise UNRECOGNIZED
    else:
        rule = {"rule_id": rule_id, "default": False, "enabled": True,
                "actions": req.body.get("actions", [])}
        if kind in ("override", "underride"):
            rule["conditions"] = req.body.get("conditions", [])
        if kind == "content":
            rule["pattern"] = req.body.get("pattern", "")
        if existing:
            lst[lst.index(existing[0])] = rule
        else:
            lst.insert(0, rule)
    S()["push_rules"][req.uid] = [rules, ST.bump()]
    return {}


def h_pushrules_delete(req, rest):
    parts = [urllib.parse.unquote(p) for p in rest.split("/") if p]
    rules, _ = push_rules_of(req.uid)
    rules = copy.deepcopy(rules)
    if len(parts) != 3 or parts[0] != "global" or \
            parts[1] not in rules["global"]:
        raise not_found("Unknown rule")
    lst = rules["global"][parts[1]]
    keep = [r for r in lst if r["rule_id"] != parts[2]]
    if len(keep) == len(lst):
        raise not_found("Unknown rule")
    rules["global"][parts[1]] = keep
    S()["push_rules"][req.uid] = [rules, ST.bump()]
    return {}


# ---------------------------------------------------------------------------
# Handlers: sync
# ---------------------------------------------------------------------------

def h_sync(req):
    f = parse_filter(req.uid, req.query.get("filter"))
    since = req.query.get("since")
    since = parse_stream_token(since, "since") if since else None
    timeout = req.int_arg("timeout", 0)
    full_state = req.query.get("full_state") == "true"
    sp = req.query.get("set_presence", "online")
    if sp not in ("online", "offline", "unavailable"):
        raise bad_param("Query parameter 'set_presence' must be one of "
                        "['offline', 'online', 'unavailable']")
    if sp != "offline":
        set_presence(req.uid, sp)
    # Synapse's sync response cache: an identical request (user, device,
    # since, filter, timeout, full_state) within the cache duration gets
    # the same answer, except a long poll that timed out with nothing new.
    key = (req.uid, req.did, req.query.get("since"), req.query.get("filter"),
           timeout, full_state)
    now = time.monotonic()
    for k in [k for k, (t, _) in VOL.sync_cache.items() if t < now]:
        del VOL.sync_cache[k]
    if key in VOL.sync_cache:
        return VOL.sync_cache[key][1]
    deadline = now + timeout / 1000.0

    def done(resp):
        if CONFIG["sync_cache_ms"] and not (
                since is not None and resp["next_batch"] == "s%d" % since):
            VOL.sync_cache[key] = (time.monotonic() +
                                   CONFIG["sync_cache_ms"] / 1000.0, resp)
        return resp
    while True:
        upto = S()["stream"]
        resp = compute_sync(req.uid, req.did, since, full_state, f, upto)
        if since is None or full_state or not sync_is_empty(resp):
            return done(resp)
        left = deadline - time.monotonic()
        if left <= 0:
            return done(resp)
        # Wake as soon as the stream moves (any new event, receipt...).
        while S()["stream"] == upto and left > 0:
            ST.cond.wait(left)
            left = deadline - time.monotonic()


# ---------------------------------------------------------------------------
# Handlers: room creation and membership
# ---------------------------------------------------------------------------

PRESETS = {
    "private_chat": {"join_rule": "invite", "guest_access": "can_join",
                     "invite": 0},
    "trusted_private_chat": {"join_rule": "invite",
                             "guest_access": "can_join", "invite": 0},
    "public_chat": {"join_rule": "public", "guest_access": None,
                    "invite": 50},
}


def default_power_levels(creator, preset, invitees):
    users = {creator: 100}
    if preset == "trusted_private_chat":
        for u in invitees:
            users[u] = 100
    return {"users": users, "users_default": 0,
            "events": {"m.room.name": 50, "m.room.power_levels": 100,
                       "m.room.history_visibility": 100,
                       "m.room.canonical_alias": 50, "m.room.avatar": 50,
                       "m.room.tombstone": 100, "m.room.server_acl": 100,
                       "m.room.encryption": 100},
            "events_default": 0, "state_default": 50, "ban": 50, "kick": 50,
            "redact": 50, "invite": PRESETS[preset]["invite"],
            "historical": 100}


def member_content(uid, membership_, **extra):
    c = dict(extra)
    c["membership"] = membership_
    if displayname(uid) is not None:
        c["displayname"] = displayname(uid)
    if avatar_url(uid) is not None:
        c["avatar_url"] = avatar_url(uid)
    return c


def parse_alias(alias):
    if not isinstance(alias, str) or not re.fullmatch(r"#[^:\s]+:[^\s]+",
                                                      alias):
        raise bad_param("Room alias invalid")
    return alias


def h_create_room(req):
    body = req.body
    uid = req.uid
    version = str(body.get("room_version", DEFAULT_ROOM_VERSION))
    if version not in ROOM_VERSIONS:
        raise MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION",
                          "Your homeserver does not support this room "
                          "version")
    visibility = body.get("visibility", "private")
    preset = body.get("preset") or ("public_chat" if visibility == "public"
                                    else "private_chat")
    if preset not in PRESETS:
        raise MatrixError(400, "M_INVALID_PARAM", "Unknown preset")
    invitees = body.get("invite") or []
    if not isinstance(invitees, list) or not all(
            isinstance(u, str) and u.startswith("@") for u in invitees):
        raise bad_param("Invalid user_id in invite")
    alias = None
    if body.get("room_alias_name") is not None:
        name = body["room_alias_name"]
        if not isinstance(name, str) or re.search(r"[:\s#]", name) or \
                not name:
            raise bad_param("Invalid characters in room alias")
        alias = "#%s:%s" % (name, CONFIG["server_name"])
        if alias in S()["aliases"]:
            raise MatrixError(400, "M_ROOM_IN_USE",
                              "Room alias already taken")
    initial = {}
    for e in body.get("initial_state") or []:
        if not isinstance(e, dict) or not isinstance(e.get("type"), str):
            raise MatrixError(400, "M_BAD_JSON", "Invalid initial_state")
        initial[(e["type"], e.get("state_key", ""))] = e.get("content", {})
    for e in body.get("initial_state") or []:
        if has_lone_surrogate(e):
            raise MatrixError(500, "M_UNKNOWN", "Internal server error")
    while True:
        rid = "!%s:%s" % (rand_str(18), CONFIG["server_name"])
        if rid not in S()["rooms"]:
            break
    S()["rooms"][rid] = {"version": version, "events": [], "state": {},
                         "receipts": {}, "public": visibility == "public",
                         "creator": uid, "created_ts": CLOCK.ms()}
    create = dict(body.get("creation_content") or {})
    create["room_version"] = version
    create["creator"] = uid

    def send(etype, content, state_key=""):
        return new_event(rid, uid, etype, content, state_key=state_key)
    new_event(rid, uid, "m.room.create", create, state_key="", check=False)
    send("m.room.member", member_content(uid, "join"), uid)
    if ("m.room.power_levels", "") not in initial:
        pl = default_power_levels(uid, preset, invitees)
        pl.update(body.get("power_level_content_override") or {})
        send("m.room.power_levels", pl)
    if alias:
        S()["aliases"][alias] = rid
        send("m.room.canonical_alias", {"alias": alias})
    p = PRESETS[preset]
    if ("m.room.join_rules", "") not in initial:
        send("m.room.join_rules", {"join_rule": p["join_rule"]})
    if ("m.room.history_visibility", "") not in initial:
        send("m.room.history_visibility", {"history_visibility": "shared"})
    if p["guest_access"] and ("m.room.guest_access", "") not in initial:
        send("m.room.guest_access", {"guest_access": p["guest_access"]})
    for (t, sk), c in initial.items():
        send(t, c, sk)
    if isinstance(body.get("name"), str):
        send("m.room.name", {"name": body["name"]})
    if isinstance(body.get("topic"), str):
        send("m.room.topic", {"topic": body["topic"]})
    for target in invitees:
        extra = {"is_direct": True} if body.get("is_direct") else {}
        new_event(rid, uid, "m.room.member",
                  member_content(target, "invite", **extra),
                  state_key=target)
    out = {"room_id": rid}
    if alias:
        out["room_alias"] = alias
    return out


def resolve_room(id_or_alias):
    if id_or_alias.startswith("#"):
        parse_alias(id_or_alias)
        rid = S()["aliases"].get(id_or_alias)
        if rid is None:
            raise not_found("Room alias %s not found" % id_or_alias)
        return rid
    if not id_or_alias.startswith("!"):
        raise bad_param("%s was not legal room ID or room alias"
                        % id_or_alias)
    return id_or_alias


def rate_limit(kind, key, rate_hz, burst):
    """Synapse's Ratelimiter.can_do_action (raises 429 when refused)."""
    now = time.monotonic()
    count, start = VOL.rate.get((kind, key), (0.0, now))
    performed = count - (now - start) * rate_hz
    if performed < 0:
        performed, start, count = 0, now, 0.0
    if performed > burst - 1:
        allowed_at = start + (count - burst + 1) / rate_hz
        raise MatrixError(429, "M_LIMIT_EXCEEDED", "Too Many Requests",
                          retry_after_ms=int(max(0, allowed_at - now) * 1000))
    VOL.rate[(kind, key)] = (count + 1, start)


def do_join(req, rid, reason=None):
    room = S()["rooms"].get(rid)
    if room is None:
        raise MatrixError(404, "M_UNKNOWN", "Can't join remote room because "
                          "no servers that are in the room have been "
                          "provided.")
    uid = req.uid
    old = state_event(room, "m.room.member", uid)
    content = member_content(uid, "join")
    if reason:
        content["reason"] = reason
    if old and old["content"].get("membership") == "join" and \
            old["content"] == content:
        return {"room_id": rid}
    rule = join_rule(room)
    m = membership(room, uid)
    if rule in ("restricted", "knock_restricted") and \
            room_version_int(room) >= 8 and m not in ("join", "invite") \
            and m != "ban":
        allow = (state_content(room, "m.room.join_rules") or {}).get(
            "allow") or []
        ok = any(isinstance(a, dict) and a.get("type") ==
                 "m.room_membership" and a.get("room_id") in S()["rooms"]
                 and membership(S()["rooms"][a["room_id"]], uid) == "join"
                 for a in allow)
        if not ok:
            raise forbidden("You do not belong to any of the required "
                            "rooms/spaces to join this room.")
        inviters = [u for u in members(room)
                    if user_level(room, u) >= action_level(room, "invite")]
        if not inviters:
            raise MatrixError(400, "M_UNABLE_TO_GRANT_JOIN",
                              "No servers available to authorise the join")
        inviters.sort(key=lambda u: -user_level(room, u))
        content["join_authorised_via_users_server"] = inviters[0]
    new_event(rid, uid, "m.room.member", content, state_key=uid)
    return {"room_id": rid}


def h_join(req, id_or_alias):
    rid = resolve_room(id_or_alias)
    return do_join(req, rid, req.body.get("reason"))


def h_room_join(req, rid):
    return do_join(req, rid, req.body.get("reason"))


def h_knock(req, id_or_alias):
    rid = resolve_room(id_or_alias)
    room = room_or_404(rid)
    c = member_content(req.uid, "knock")
    if req.body.get("reason"):
        c["reason"] = req.body["reason"]
    new_event(rid, req.uid, "m.room.member", c, state_key=req.uid)
    return {"room_id": rid}


def h_leave(req, rid):
    room = S()["rooms"].get(rid)
    if room is None:
        raise not_found("Unknown room")
    m = membership(room, req.uid)
    if m in (None, "leave"):
        if m is None:
            raise forbidden("User %s not in room %s" % (req.uid, rid))
        return {}
    c = {"membership": "leave"}
    if req.body.get("reason"):
        c["reason"] = req.body["reason"]
    new_event(rid, req.uid, "m.room.member", c, state_key=req.uid)
    return {}


def h_forget(req, rid):
    room = room_or_404(rid)
    if membership(room, req.uid) in ("join", "invite", "knock"):
        raise MatrixError(400, "M_UNKNOWN", "User %s is in room %s"
                          % (req.uid, rid))
    room.setdefault("forgotten", []).append(req.uid)
    ST.mark_dirty()
    return {}


def target_of(req):
    target = req.body.get("user_id")
    if not isinstance(target, str):
        raise MatrixError(400, "M_MISSING_PARAM",
                          "Missing params: ['user_id']")
    return target


def h_invite(req, rid):
    target = target_of(req)
    room = room_or_404(rid)
    if CONFIG["synapse_ratelimits"]:
        rate_limit("invite", req.uid, 0.3, 10)
    extra = {}
    if req.body.get("reason"):
        extra["reason"] = req.body["reason"]
    new_event(rid, req.uid, "m.room.member",
              member_content(target, "invite", **extra), state_key=target)
    return {}


def h_kick_ban(req, rid, action):
    target = target_of(req)
    room = room_or_404(rid)
    m = {"kick": "leave", "ban": "ban", "unban": "leave"}[action]
    if action == "unban" and membership(room, target) != "ban":
        raise forbidden("User %s is not banned" % target)
    c = {"membership": m}
    if req.body.get("reason"):
        c["reason"] = req.body["reason"]
    if action == "kick" and membership(room, target) not in (
            "join", "invite", "knock"):
        raise forbidden("The target user is not in the room")
    new_event(rid, req.uid, "m.room.member", c, state_key=target)
    return {}


def h_kick(req, rid):
    return h_kick_ban(req, rid, "kick")


def h_ban(req, rid):
    return h_kick_ban(req, rid, "ban")


def h_unban(req, rid):
    return h_kick_ban(req, rid, "unban")


def h_joined_rooms(req):
    return {"joined_rooms": [rid for rid, r in S()["rooms"].items()
                             if membership(r, req.uid) == "join"]}


# ---------------------------------------------------------------------------
# Handlers: sending, state, redaction
# ---------------------------------------------------------------------------

def h_send(req, rid, etype, txn):
    # Like Synapse, the idempotency key is the request path + device.
    key = "%s|%s|send|%s|%s|%s" % (req.uid, req.did, rid, etype, txn)
    if key in S()["txns"]:
        return {"event_id": S()["txns"][key]}
    room = room_or_404(rid)
    content = req.body
    rel = content.get("m.relates_to") if isinstance(
        content.get("m.relates_to"), dict) else None
    if etype == "m.reaction" and rel and rel.get("rel_type") == \
            "m.annotation" and rel.get("event_id") in S()["events"]:
        for r, ev in relations_to(S()["events"][rel["event_id"]]):
            if r["rel_type"] == "m.annotation" and ev["sender"] == req.uid \
                    and ev["type"] == etype and r.get("key") == rel.get("key"):
                raise MatrixError(400, "M_UNKNOWN",
                                  "Can't send same reaction twice")
    if etype == "m.room.redaction":
        check_redact_auth(room, rid, req.uid, content.get("redacts"))
        ev = new_event(rid, req.uid, etype, content,
                       redacts=content.get("redacts"),
                       txn=[req.uid, req.did, txn], check=False)
    else:
        ev = new_event(rid, req.uid, etype, content,
                       txn=[req.uid, req.did, txn])
    bump_last_active(req.uid)
    S()["txns"][key] = ev["event_id"]
    return {"event_id": ev["event_id"]}


def h_redact(req, rid, event_id, txn):
    key = "%s|%s|redact|%s|%s|%s" % (req.uid, req.did, rid, event_id, txn)
    if key in S()["txns"]:
        return {"event_id": S()["txns"][key]}
    room = room_or_404(rid)
    check_redact_auth(room, rid, req.uid, event_id)
    content = {}
    if "reason" in req.body:
        content["reason"] = req.body["reason"]
    ev = new_event(rid, req.uid, "m.room.redaction", content,
                   redacts=event_id, txn=[req.uid, req.did, txn],
                   check=False)
    S()["txns"][key] = ev["event_id"]
    return {"event_id": ev["event_id"]}


def h_state_put(req, rid, etype, state_key=""):
    room = room_or_404(rid)
    content = req.body
    if etype == "m.room.member":
        m = content.get("membership")
        if m == "join" and state_key == req.uid:
            if membership(room, req.uid) != "join":
                return {"event_id": do_join_event(req, rid)}
    prev = state_event(room, etype, state_key)
    if prev and prev["sender"] == req.uid and prev["content"] == content \
            and not prev.get("_redacted_by"):
        check_send_auth(room, rid, req.uid, etype, state_key, content)
        return {"event_id": prev["event_id"]}
    if etype == "m.room.canonical_alias":
        for a in [content.get("alias")] + list(content.get("alt_aliases")
                                                or []):
            if a is not None and S()["aliases"].get(a) != rid:
                raise bad_param("Room alias %s does not point to the room"
                                % a)
    ev = new_event(rid, req.uid, etype, content, state_key=state_key)
    return {"event_id": ev["event_id"]}


def do_join_event(req, rid):
    do_join(req, rid)
    return state_event(S()["rooms"][rid], "m.room.member", req.uid)[
        "event_id"]


def readable_room(req, rid):
    """The room and the position up to which req.uid may read it."""
    room = S()["rooms"].get(rid)
    if room is None:
        raise not_in_room(req.uid, rid)
    upto = visible_upto(room, req.uid)
    if upto is None:
        raise not_in_room(req.uid, rid)
    return room, upto


def h_state_get(req, rid, etype, state_key=""):
    room, upto = readable_room(req, rid)
    st = state_at(room, upto) if upto < S()["stream"] else room["state"]
    eid = st.get(skey(etype, state_key))
    if eid is None:
        raise not_found("Event not found.")
    ev = S()["events"][eid]
    if req.query.get("format") == "event":
        return serialize(ev, "client")
    return ev["content"]


def h_state_all(req, rid):
    room, upto = readable_room(req, rid)
    st = state_at(room, upto)
    return [serialize(S()["events"][e], "client") for e in st.values()]


def h_members(req, rid):
    room, upto = readable_room(req, rid)
    at = req.query.get("at")
    pos = min(upto, parse_stream_token(at, "at")) if at else upto
    want = req.query.get("membership")
    not_want = req.query.get("not_membership")
    out = []
    for k, e in state_at(room, pos).items():
        if not k.startswith("m.room.member\x1f"):
            continue
        ev = S()["events"][e]
        m = ev["content"].get("membership")
        if (want and m != want) or (not_want and m == not_want):
            continue
        out.append(serialize(ev, "client"))
    return {"chunk": out}


def h_joined_members(req, rid):
    room = S()["rooms"].get(rid)
    if room is None or membership(room, req.uid) != "join":
        raise not_in_room(req.uid, rid)
    out = {}
    for uid in members(room):
        c = state_content(room, "m.room.member", uid)
        out[uid] = {"avatar_url": c.get("avatar_url"),
                    "display_name": c.get("displayname")}
    return {"joined": out}


# ---------------------------------------------------------------------------
# Handlers: reading history (messages, context, event, relations)
# ---------------------------------------------------------------------------

def h_messages(req, rid):
    d = req.query.get("dir", "f")
    if d not in ("f", "b"):
        raise bad_param("Query parameter 'dir' must be one of ['f', 'b']")
    room, upto = readable_room(req, rid)
    limit = req.int_arg("limit", 10)
    f = parse_filter(req.uid, req.query.get("filter"))
    frm = req.query.get("from")
    to = req.query.get("to")
    if frm:
        start = parse_stream_token(frm)
    else:
        start = S()["stream"] if d == "b" else 0
    stop = parse_stream_token(to, "to") if to else None
    evs = [S()["events"][e] for e in room["events"]]
    if d == "b":
        cand = [e for e in reversed(evs) if e["_pos"] <= start and
                (stop is None or e["_pos"] > stop)]
    else:
        cand = [e for e in evs if e["_pos"] > start and
                (stop is None or e["_pos"] <= stop)]
    cand = [e for e in cand if e["_pos"] <= upto]
    chunk, last = [], None
    for e in cand:
        if len(chunk) >= limit:
            break
        last = e
        if event_matches(f, e):
            chunk.append(e)
    out = {"chunk": [serialize(e, "client", prev=True, bundle=req.uid)
                     for e in chunk],
           "start": frm or ("s%d" % start)}
    if last is not None:
        out["end"] = "t%d" % (last["_pos"] - 1 if d == "b" else last["_pos"])
    if f.get("lazy_load_members"):
        senders = {e["sender"] for e in chunk}
        st = room["state"]
        out["state"] = [serialize(S()["events"][st[skey("m.room.member", u)]],
                                  "client")
                        for u in sorted(senders)
                        if skey("m.room.member", u) in st]
    return out


def event_or_404(req, rid, event_id):
    room, upto = readable_room(req, rid)
    ev = S()["events"].get(event_id)
    if ev is None or ev["room_id"] != rid or ev["_pos"] > upto:
        raise not_found("Could not find event %s" % event_id)
    return room, ev


def h_event(req, rid, event_id):
    _, ev = event_or_404(req, rid, event_id)
    return serialize(ev, "client", bundle=req.uid)


def h_context(req, rid, event_id):
    room, ev = event_or_404(req, rid, event_id)
    limit = req.int_arg("limit", 10)
    f = parse_filter(req.uid, req.query.get("filter"))
    before_n = limit // 2
    after_n = limit - before_n
    evs = [S()["events"][e] for e in room["events"]]
    i = evs.index(ev)
    upto = visible_upto(room, req.uid)
    before = [e for e in reversed(evs[:i]) if event_matches(f, e)][:before_n]
    after = [e for e in evs[i + 1:] if event_matches(f, e) and
             e["_pos"] <= upto][:after_n]
    end_pos = after[-1]["_pos"] if after else ev["_pos"]
    st = state_at(room, end_pos)
    state = [S()["events"][e] for e in st.values()]
    if f.get("lazy_load_members"):
        need = {e["sender"] for e in before + after + [ev]}
        state = [e for e in state if e["type"] != "m.room.member" or
                 e["state_key"] in need]
    return {
        "events_before": [serialize(e, "client", prev=True, bundle=req.uid)
                          for e in before],
        "event": serialize(ev, "client", prev=True, bundle=req.uid),
        "events_after": [serialize(e, "client", prev=True, bundle=req.uid)
                         for e in after],
        "state": [serialize(e, "client") for e in state],
        "start": "t%d" % ((before[-1]["_pos"] if before else ev["_pos"]) - 1),
        "end": "t%d" % end_pos,
    }


def h_relations(req, rid, event_id, rel_type=None, event_type=None):
    room, target = event_or_404(req, rid, event_id)
    limit = req.int_arg("limit", 5)
    d = req.query.get("dir", "b")
    rels = [ev for r, ev in relations_to(target)
            if (rel_type is None or r["rel_type"] == rel_type) and
            (event_type is None or ev["type"] == event_type)]
    if d == "b":
        rels.reverse()
    frm = req.query.get("from")
    if frm:
        p = parse_stream_token(frm)
        rels = [e for e in rels if (e["_pos"] < p if d == "b"
                                    else e["_pos"] > p)]
    page = rels[:limit]
    out = {"chunk": [serialize(e, "client") for e in page],
           "original_event": serialize(target, "client")}
    if len(rels) > limit:
        out["next_batch"] = "t%d" % page[-1]["_pos"]
    if frm:
        out["prev_batch"] = frm
    return out


# ---------------------------------------------------------------------------
# Handlers: typing, receipts, read markers
# ---------------------------------------------------------------------------

def h_typing(req, rid, uid):
    if uid != req.uid:
        raise forbidden("Cannot set another user's typing state")
    room = room_or_404(rid)
    require_joined(room, rid, uid)
    typing = req.body.get("typing")
    if not isinstance(typing, bool):
        raise MatrixError(400, "M_MISSING_PARAM", "Missing params: typing")
    set_typing(rid, uid, typing, int(req.body.get("timeout", 30000)))
    if typing:
        bump_last_active(uid)
    return {}


RECEIPT_TYPES = ("m.read", "m.read.private", "m.fully_read")


def h_receipt(req, rid, rtype, event_id):
    if rtype not in RECEIPT_TYPES:
        raise bad_param("Receipt type must be 'm.read', 'm.read.private' "
                        "or 'm.fully_read'")
    room = room_or_404(rid)
    require_joined(room, rid, req.uid)
    if rtype == "m.fully_read":
        set_account_data(req.uid, rid, "m.fully_read",
                         {"event_id": event_id})
    else:
        set_receipt(room, rid, req.uid, rtype, event_id)
    return {}


def h_read_markers(req, rid):
    room = room_or_404(rid)
    require_joined(room, rid, req.uid)
    body = req.body
    for rtype in ("m.read", "m.read.private"):
        if isinstance(body.get(rtype), str):
            set_receipt(room, rid, req.uid, rtype, body[rtype])
    if isinstance(body.get("m.fully_read"), str):
        set_account_data(req.uid, rid, "m.fully_read",
                         {"event_id": body["m.fully_read"]})
    return {}


# ---------------------------------------------------------------------------
# Handlers: aliases, room directory, space hierarchy
# ---------------------------------------------------------------------------

def h_alias_get(req, alias):
    parse_alias(alias)
    rid = S()["aliases"].get(alias)
    if rid is None:
        raise not_found("Room alias %s not found" % alias)
    return {"room_id": rid, "servers": [CONFIG["server_name"]]}


def h_alias_put(req, alias):
    parse_alias(alias)
    rid = req.body.get("room_id")
    if not isinstance(rid, str):
        raise MatrixError(400, "M_MISSING_PARAM", "Missing params: room_id")
    if alias in S()["aliases"]:
        raise MatrixError(409, "M_UNKNOWN", "Room alias %s already exists"
                          % alias)
    room_or_404(rid)
    S()["aliases"][alias] = rid
    ST.mark_dirty()
    return {}


def h_alias_delete(req, alias):
    parse_alias(alias)
    rid = S()["aliases"].get(alias)
    if rid is None:
        raise not_found("Room alias %s not found" % alias)
    room = S()["rooms"][rid]
    if room.get("creator") != req.uid and user_level(room, req.uid) < \
            required_level(room, "m.room.canonical_alias", True):
        raise forbidden("You don't have permission to delete the alias.")
    del S()["aliases"][alias]
    ST.mark_dirty()
    return {}


def h_room_aliases(req, rid):
    room = room_or_404(rid)
    if membership(room, req.uid) != "join":
        raise not_in_room(req.uid, rid)
    return {"aliases": sorted(a for a, r in S()["aliases"].items()
                              if r == rid)}


def h_directory_visibility_get(req, rid):
    room = S()["rooms"].get(rid)
    if room is None:
        raise not_found("Unknown room")
    return {"visibility": "public" if room.get("public") else "private"}


def h_directory_visibility_put(req, rid):
    room = S()["rooms"].get(rid)
    if room is None:
        raise not_found("Unknown room")
    if membership(room, req.uid) != "join" or user_level(room, req.uid) < \
            required_level(room, "m.room.canonical_alias", True):
        raise forbidden("Not allowed to publish room")
    vis = req.body.get("visibility", "public")
    if vis not in ("public", "private"):
        raise bad_param("Invalid visibility setting")
    room["public"] = vis == "public"
    ST.mark_dirty()
    return {}


def room_stats(rid, room):
    """The public summary of a room (publicRooms / hierarchy entries)."""
    create = state_content(room, "m.room.create") or {}
    hv = (state_content(room, "m.room.history_visibility") or {}).get(
        "history_visibility")
    entry = {
        "room_id": rid,
        "name": (state_content(room, "m.room.name") or {}).get("name"),
        "topic": (state_content(room, "m.room.topic") or {}).get("topic"),
        "canonical_alias": (state_content(room, "m.room.canonical_alias")
                            or {}).get("alias"),
        "num_joined_members": len(members(room)),
        "avatar_url": (state_content(room, "m.room.avatar") or {}).get("url"),
        "join_rule": join_rule(room),
        "world_readable": hv == "world_readable",
        "guest_can_join": (state_content(room, "m.room.guest_access") or
                           {}).get("guest_access") == "can_join",
        "room_type": create.get("type"),
    }
    return {k: v for k, v in entry.items() if v is not None}


def h_public_rooms(req):
    body = req.body if req.method == "POST" else {}
    limit = body.get("limit", req.query.get("limit"))
    limit = int(limit) if limit is not None else None
    since = body.get("since", req.query.get("since"))
    flt = body.get("filter") or {}
    term = (flt.get("generic_search_term") or "").lower()
    types = flt.get("room_types")
    rooms = []
    for rid, room in S()["rooms"].items():
        if not room.get("public"):
            continue
        e = room_stats(rid, room)
        if term and not any(term in str(e.get(k, "")).lower()
                            for k in ("name", "topic", "canonical_alias")):
            continue
        if types is not None and e.get("room_type") not in types:
            continue
        rooms.append(e)
    rooms.sort(key=lambda e: (-e["num_joined_members"], e["room_id"]))
    offset = int(since[1:]) if since and since[:1] == "o" and \
        since[1:].isdigit() else 0
    page = rooms[offset:offset + limit] if limit else rooms[offset:]
    out = {"chunk": page, "total_room_count_estimate": len(rooms)}
    if limit and offset + limit < len(rooms):
        out["next_batch"] = "o%d" % (offset + limit)
    if offset:
        out["prev_batch"] = "o%d" % max(0, offset - (limit or 0))
    return out


def room_accessible(room, uid):
    m = membership(room, uid)
    if m in ("join", "invite"):
        return True
    if join_rule(room) in ("public", "knock"):
        return True
    hv = (state_content(room, "m.room.history_visibility") or {}).get(
        "history_visibility")
    if hv == "world_readable":
        return True
    if join_rule(room) in ("restricted", "knock_restricted"):
        allow = (state_content(room, "m.room.join_rules") or {}).get(
            "allow") or []
        return any(isinstance(a, dict) and a.get("room_id") in S()["rooms"]
                   and membership(S()["rooms"][a["room_id"]], uid) == "join"
                   for a in allow)
    return False


def space_children(room, suggested_only):
    kids = []
    for k, eid in room["state"].items():
        if not k.startswith("m.space.child\x1f"):
            continue
        ev = S()["events"][eid]
        via = ev["content"].get("via")
        if not isinstance(via, list) or not via:
            continue
        if suggested_only and ev["content"].get("suggested") is not True:
            continue
        order = ev["content"].get("order")
        order = order if isinstance(order, str) and len(order) <= 50 and \
            all(0x20 <= ord(c) <= 0x7e for c in order) else None
        kids.append(((order is None, order or "", ev["origin_server_ts"],
                      ev["state_key"]), ev))
    kids.sort(key=lambda x: x[0])
    return [ev for _, ev in kids]


def h_hierarchy(req, rid):
    limit = req.int_arg("limit", 50)
    max_depth = req.query.get("max_depth")
    max_depth = int(max_depth) if max_depth is not None else None
    suggested = req.query.get("suggested_only") == "true"
    frm = req.query.get("from")
    root = S()["rooms"].get(rid)
    if root is None or not room_accessible(root, req.uid):
        raise forbidden("User %s not in room %s, and room previews are "
                        "disabled" % (req.uid, rid))
    if frm:
        sess = S()["hierarchy"].pop(frm, None)
        if sess is None or sess["room"] != rid or sess["uid"] != req.uid:
            raise bad_param("Unknown pagination token")
        queue, seen = sess["queue"], set(sess["seen"])
    else:
        queue, seen = [[rid, 0]], set()
    out = []
    while queue and len(out) < max(1, limit):
        cur, depth = queue.pop(0)
        if cur in seen:
            continue
        seen.add(cur)
        room = S()["rooms"].get(cur)
        if room is None or (cur != rid and not room_accessible(room,
                                                               req.uid)):
            continue
        kids = space_children(room, suggested)
        e = room_stats(cur, room)
        e["children_state"] = [dict(stripped(k), room_id=cur,
                                    origin_server_ts=k["origin_server_ts"])
                               for k in kids]
        out.append(e)
        if max_depth is None or depth < max_depth:
            queue.extend([k["state_key"], depth + 1] for k in kids
                         if k["state_key"] not in seen)
    resp = {"rooms": out}
    if queue:
        tok = rand_str(24)
        S()["hierarchy"][tok] = {"room": rid, "uid": req.uid,
                                 "queue": queue, "seen": sorted(seen)}
        ST.mark_dirty()
        resp["next_batch"] = tok
    return resp


# ---------------------------------------------------------------------------
# Handlers: media
# ---------------------------------------------------------------------------

TOKEN_SEPARATORS = set('()<>@,;:\\"/[]?={} \t')


def content_disposition(name):
    if all(33 <= ord(c) < 127 and c not in TOKEN_SEPARATORS for c in name):
        return "inline; filename=%s" % name
    return "inline; filename*=utf-8''%s" % urllib.parse.quote(name, safe="")


def h_media_config(req):
    return {"m.upload.size": CONFIG["max_upload"]}


def h_upload(req):
    if len(req.raw) > CONFIG["max_upload"]:
        raise MatrixError(413, "M_TOO_LARGE",
                          "Upload request body is too large")
    media_id = rand_str(24)
    ctype = req.headers.get("Content-Type") or "application/octet-stream"
    ST.put_media(media_id, req.raw)
    S()["media"][media_id] = {"content_type": ctype,
                              "filename": req.query.get("filename"),
                              "size": len(req.raw), "user": req.uid,
                              "ts": CLOCK.ms()}
    ST.mark_dirty()
    return {"content_uri": "mxc://%s/%s" % (CONFIG["server_name"], media_id)}


def media_or_404(server, media_id):
    meta = S()["media"].get(media_id)
    data = ST.get_media(media_id) if meta and server == \
        CONFIG["server_name"] else None
    if data is None:
        raise not_found("Not found [b'%s', b'%s']" % (server, media_id))
    return meta, data


def media_type(meta):
    ctype = meta["content_type"]
    if ctype.lower().startswith("text/") and "charset" not in ctype.lower():
        ctype += "; charset=UTF-8"
    return ctype


def h_download(req, server, media_id, filename=None):
    meta, data = media_or_404(server, media_id)
    name = filename or meta.get("filename")
    headers = {}
    if name:
        headers["Content-Disposition"] = content_disposition(name)
    return Raw(data, media_type(meta), headers)


def authenticated_media():
    """Synapse 1.99+ serves media under /_matrix/client/v1/media (spec
    v1.11, access token required); without it (POST /_test/faults
    {"authenticated_media": false}) the path is unknown, as on older
    Synapses."""
    if not CONFIG["authenticated_media"]:
        raise UNRECOGNIZED


def h_media_config_v1(req):
    authenticated_media()
    return h_media_config(req)


def h_download_v1(req, server, media_id, filename=None):
    authenticated_media()
    return h_download(req, server, media_id, filename)


def png_rows(data):
    """Decode an 8-bit non-interlaced PNG: (width, height, bpp, ctype, rows)
    or None for anything else."""
    import struct
    import zlib
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    i, chunks = 8, {}
    while i + 8 <= len(data):
        n, t = struct.unpack(">I4s", data[i:i + 8])
        chunks.setdefault(t, []).append(data[i + 8:i + 8 + n])
        i += 12 + n
    w, h, depth, ctype, _, _, interlace = struct.unpack(
        ">IIBBBBB", chunks[b"IHDR"][0])
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or interlace or bpp is None or w * h > 4096 * 4096:
        return None
    raw = zlib.decompress(b"".join(chunks.get(b"IDAT", [])))
    rows, prev, stride, i = [], bytearray(w * bpp), w * bpp, 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            line[x] = (line[x] + png_predict(f, a, prev[x], prev[x - bpp]
                                             if x >= bpp else 0)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, ctype, rows


def png_predict(f, a, b, c):
    if f == 1:
        return a
    if f == 2:
        return b
    if f == 3:
        return (a + b) >> 1
    if f == 4:
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        return a if pa <= pb and pa <= pc else (b if pb <= pc else c)
    return 0


def png_encode(w, h, bpp, ctype, rows):
    """Encode like Pillow (Synapse's thumbnailer): per row the filter with
    the smallest sum of |byte| (tried 0, 2, 1, 3, 4), zlib level 6 with
    Z_FILTERED, one IDAT."""
    import struct
    import zlib
    out, prev = bytearray(), bytes(w * bpp)
    for line in rows:
        best = None
        for f in (0, 2, 1, 3, 4):
            d = bytes((line[x] - png_predict(
                f, line[x - bpp] if x >= bpp else 0, prev[x],
                prev[x - bpp] if x >= bpp else 0)) & 255
                for x in range(len(line)))
            cost = sum(v if v < 128 else 256 - v for v in d)
            if best is None or cost < best[0]:
                best = (cost, f, d)
        out += bytes([best[1]]) + best[2]
        prev = line
    co = zlib.compressobj(6, zlib.DEFLATED, 15, 8, zlib.Z_FILTERED)
    idat = co.compress(bytes(out)) + co.flush()

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(
            ">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, ctype, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def h_thumbnail(req, server, media_id):
    """PNGs are re-encoded (nearest-neighbour scaled down to fit when
    needed); other media is served as is."""
    meta, data = media_or_404(server, media_id)
    try:
        img = png_rows(data)
    except Exception:
        img = None
    if img is None:
        return Raw(data, media_type(meta))
    w, h, bpp, ctype, rows = img
    tw, th = req.int_arg("width", w), req.int_arg("height", h)
    if tw > 0 and th > 0 and (w > tw or h > th):
        scale = min(tw / w, th / h)
        nw, nh = max(1, int(w * scale)), max(1, int(h * scale))
        rows = [b"".join(rows[int(y / scale)][int(x / scale) * bpp:
                                              int(x / scale) * bpp + bpp]
                         for x in range(nw)) for y in range(nh)]
        w, h = nw, nh
    return Raw(png_encode(w, h, bpp, ctype, rows), "image/png")


def h_thumbnail_v1(req, server, media_id):
    """The authenticated thumbnail (Synapse 1.99+, spec v1.11): as media
    v3's, the token required."""
    authenticated_media()
    return h_thumbnail(req, server, media_id)


def h_preview_url(req):
    raise not_found("URL previews are disabled")


# ---------------------------------------------------------------------------
# Handlers: end-to-end encryption routing (keys, to-device, backup)
# ---------------------------------------------------------------------------

def h_keys_upload(req):
    body = req.body
    dev = S()["devices"].get(req.uid, {}).get(req.did)
    if dev is None:
        raise not_found("Unknown device")
    dk = body.get("device_keys")
    if isinstance(dk, dict) and dk:
        if dk.get("user_id") != req.uid or dk.get("device_id") != req.did:
            raise bad_param("User ID or device ID in device_keys does not "
                            "match the authenticated user")
        old_sigs = ((dev.get("keys") or {}).get("signatures") or {})
        merged = copy.deepcopy(dk)
        for signer, sigs in old_sigs.items():
            if signer == req.uid:
                for kid, sig in sigs.items():
                    if not kid.endswith(":" + req.did):
                        merged.setdefault("signatures", {}).setdefault(
                            signer, {}).setdefault(kid, sig)
        if merged != dev.get("keys"):
            dev["keys"] = merged
            key_changed(req.uid)
    for kid, key in (body.get("one_time_keys") or {}).items():
        old = dev["otks"].get(kid)
        if old is not None and old != key:
            raise bad_param("One time key %s:%s already exists. Old key: "
                            "%s; new key: %s" % (req.did, kid,
                                                 json.dumps(old),
                                                 json.dumps(key)))
        dev["otks"][kid] = key
    for kid, key in (body.get("fallback_keys") or
                     body.get("org.matrix.msc2732.fallback_keys") or
                     {}).items():
        algo = kid.split(":", 1)[0]
        dev["fallback"][algo] = {"key_id": kid, "key": key, "used": False}
    ST.mark_dirty()
    return {"one_time_key_counts": otk_counts(req.uid, req.did)[0]}


def visible_signatures(obj, target_uid, viewer):
    """Cross-signing signatures other users made are visible only to them."""
    out = copy.deepcopy(obj)
    sigs = out.get("signatures") or {}
    for signer in list(sigs):
        if signer not in (target_uid, viewer):
            del sigs[signer]
    return out


def h_keys_query(req):
    body = req.body
    wanted = body.get("device_keys") or {}
    out = {"device_keys": {}, "failures": {}, "master_keys": {},
           "self_signing_keys": {}, "user_signing_keys": {}}
    for uid, dids in wanted.items():
        devs = S()["devices"].get(uid, {})
        res = {}
        for did, d in devs.items():
            if dids and did not in dids:
                continue
            if not d.get("keys"):
                continue
            k = copy.deepcopy(d["keys"])
            if d.get("display_name") is not None:
                k["unsigned"] = {"device_display_name": d["display_name"]}
            res[did] = k
        out["device_keys"][uid] = res
        cs = S()["cross_signing"].get(uid, {})
        if "master" in cs:
            out["master_keys"][uid] = visible_signatures(cs["master"], uid,
                                                         req.uid)
        if "self_signing" in cs:
            out["self_signing_keys"][uid] = cs["self_signing"]
        if uid == req.uid and "user_signing" in cs:
            out["user_signing_keys"][uid] = cs["user_signing"]
    return out


def h_keys_claim(req):
    out = {}
    for uid, devs in (req.body.get("one_time_keys") or {}).items():
        for did, algo in devs.items():
            dev = S()["devices"].get(uid, {}).get(did)
            if dev is None:
                continue
            kids = sorted(k for k in dev["otks"] if k.split(":", 1)[0] ==
                          algo)
            if kids:
                key = dev["otks"].pop(kids[0])
                out.setdefault(uid, {})[did] = {kids[0]: key}
            elif algo in dev["fallback"]:
                fb = dev["fallback"][algo]
                fb["used"] = True
                out.setdefault(uid, {})[did] = {fb["key_id"]: fb["key"]}
    ST.mark_dirty()
    return {"one_time_keys": out, "failures": {}}


def h_keys_changes(req):
    frm = parse_stream_token(req.query.get("from"), "from")
    to = parse_stream_token(req.query.get("to"), "to") \
        if req.query.get("to") else S()["stream"]
    changed, left = device_list_changes(req.uid, frm, to)
    return {"changed": changed, "left": left}


def h_device_signing_upload(req):
    check_uia_password(req.uid, req.body, "device_signing")
    cs = S()["cross_signing"].setdefault(req.uid, {})
    for field, name in (("master_key", "master"),
                        ("self_signing_key", "self_signing"),
                        ("user_signing_key", "user_signing")):
        k = req.body.get(field)
        if isinstance(k, dict):
            if k.get("user_id") != req.uid:
                raise bad_param("%s must be for the authenticated user"
                                % field)
            cs[name] = k
    key_changed(req.uid)
    return {}


def add_signatures(obj, signed):
    for signer, sigs in (signed.get("signatures") or {}).items():
        obj.setdefault("signatures", {}).setdefault(signer, {}).update(sigs)


def h_signatures_upload(req):
    failures = {}
    for uid, objs in req.body.items():
        for key_id, signed in objs.items():
            cs = S()["cross_signing"].get(uid, {})
            dev = S()["devices"].get(uid, {}).get(key_id)
            target = None
            if dev is not None and dev.get("keys"):
                target = dev["keys"]
            else:
                for name in ("master", "self_signing", "user_signing"):
                    k = cs.get(name)
                    if k and any(kid.split(":", 1)[-1] == key_id
                                 for kid in k.get("keys", {})):
                        target = k
            if target is None:
                failures.setdefault(uid, {})[key_id] = {
                    "errcode": "M_NOT_FOUND", "error": "Unknown key"}
                continue
            add_signatures(target, signed)
            key_changed(uid)
    return {"failures": failures}


def td_tamper(sender, etype, uid, did, content):
    """The content as the first armed tamper that matches makes it."""
    for i, t in enumerate(VOL.td_tamper):
        field = t.get("field", "key")
        if (t.get("type") != etype or t.get("sender") != sender or
                not isinstance(content, dict) or
                not isinstance(content.get(field), str)):
            continue
        del VOL.td_tamper[i]
        VOL.td_tampered.append({"type": etype, "sender": sender,
                                "field": field, "user_id": uid,
                                "device_id": did})
        return dict(content, **{field: t.get("value")})
    return content


def h_send_to_device(req, etype, txn):
    key = "%s|%s|%s|%s" % (req.uid, req.did, etype, txn)
    if key in S()["todevice_txns"]:
        return {}
    S()["todevice_txns"][key] = True
    for uid, devs in (req.body.get("messages") or {}).items():
        all_devs = S()["devices"].get(uid, {})
        for did, content in devs.items():
            targets = list(all_devs) if did == "*" else [did]
            for t in targets:
                ev = {"content": td_tamper(req.uid, etype, uid, t, content),
                      "type": etype, "sender": req.uid}
                if (uid, t) in VOL.td_held:
                    VOL.td_held[(uid, t)].append(ev)
                elif t in all_devs:
                    all_devs[t]["to_device"].append({"pos": ST.bump(),
                                                     "event": ev})
    ST.mark_dirty()
    return {}


def backups_of(uid):
    return S()["backups"].setdefault(uid, {"next": 1, "versions": {}})


def current_backup(uid):
    b = backups_of(uid)
    live = [v for v, r in b["versions"].items() if not r.get("deleted")]
    return max(live, key=int) if live else None


def backup_info(uid, version):
    r = backups_of(uid)["versions"][version]
    return {"algorithm": r["algorithm"], "auth_data": r["auth_data"],
            "version": version, "etag": str(r["etag"]),
            "count": sum(len(s) for s in r["keys"].values())}


def h_backup_create(req):
    b = backups_of(req.uid)
    if not isinstance(req.body.get("algorithm"), str) or \
            not isinstance(req.body.get("auth_data"), dict):
        raise MatrixError(400, "M_MISSING_PARAM", "Missing params: "
                          "algorithm, auth_data")
    v = str(b["next"])
    b["next"] += 1
    b["versions"][v] = {"algorithm": req.body["algorithm"],
                        "auth_data": req.body["auth_data"], "etag": 0,
                        "keys": {}}
    ST.mark_dirty()
    return {"version": v}


def h_backup_get(req, version=None):
    b = backups_of(req.uid)
    if version is None:
        version = current_backup(req.uid)
        if version is None:
            raise not_found("No backup found")
    r = b["versions"].get(version)
    if r is None or r.get("deleted"):
        raise not_found("Unknown backup version")
    return backup_info(req.uid, version)


def h_backup_put(req, version):
    r = backups_of(req.uid)["versions"].get(version)
    if r is None or r.get("deleted"):
        raise not_found("Unknown backup version")
    if "version" in req.body and str(req.body["version"]) != version:
        raise bad_param("Version in body does not match")
    if req.body.get("algorithm") != r["algorithm"]:
        raise bad_param("Algorithm does not match")
    r["auth_data"] = req.body.get("auth_data", r["auth_data"])
    ST.mark_dirty()
    return {}


def h_backup_delete(req, version):
    r = backups_of(req.uid)["versions"].get(version)
    if r is None or r.get("deleted"):
        raise not_found("Unknown backup version")
    r["deleted"] = True
    r["keys"] = {}
    ST.mark_dirty()
    return {}


def backup_for_keys(req, writing):
    version = req.query.get("version")
    if version is None:
        raise MatrixError(400, "M_MISSING_PARAM", "Missing params: version")
    r = backups_of(req.uid)["versions"].get(version)
    if r is None or r.get("deleted"):
        if writing:
            raise not_found("Unknown backup version")
        raise not_found("Unknown backup version")
    if writing and version != current_backup(req.uid):
        raise MatrixError(403, "M_WRONG_ROOM_KEYS_VERSION",
                          "Wrong backup version.",
                          current_version=current_backup(req.uid))
    return version, r


def better_key(new, old):
    """Synapse keeps the existing session key unless the new one is better."""
    if old is None:
        return True
    if new.get("is_verified") != old.get("is_verified"):
        return bool(new.get("is_verified"))
    if new.get("first_message_index") != old.get("first_message_index"):
        return new.get("first_message_index", 0) < \
            old.get("first_message_index", 0)
    return new.get("forwarded_count", 0) < old.get("forwarded_count", 0)


def h_room_keys_put(req, rid=None, sid=None):
    version, r = backup_for_keys(req, True)
    if rid is None:
        rooms = req.body.get("rooms") or {}
    elif sid is None:
        rooms = {rid: req.body}
    else:
        rooms = {rid: {"sessions": {sid: req.body}}}
    changed = False
    for room_id, rk in rooms.items():
        for session_id, data in (rk.get("sessions") or {}).items():
            cur = r["keys"].setdefault(room_id, {})
            if better_key(data, cur.get(session_id)):
                cur[session_id] = data
                changed = True
    if changed:
        r["etag"] += 1
    ST.mark_dirty()
    info = backup_info(req.uid, version)
    return {"etag": info["etag"], "count": info["count"]}


def h_room_keys_get(req, rid=None, sid=None):
    version, r = backup_for_keys(req, False)
    if rid is None:
        return {"rooms": {room: {"sessions": s}
                          for room, s in r["keys"].items() if s}}
    sessions = r["keys"].get(rid, {})
    if sid is None:
        return {"sessions": sessions}
    if sid not in sessions:
        raise not_found("No room_keys found")
    return sessions[sid]


def h_room_keys_delete(req, rid=None, sid=None):
    version, r = backup_for_keys(req, False)
    if rid is None:
        r["keys"] = {}
    elif sid is None:
        r["keys"].pop(rid, None)
    else:
        r["keys"].get(rid, {}).pop(sid, None)
    r["etag"] += 1
    ST.mark_dirty()
    info = backup_info(req.uid, version)
    return {"etag": info["etag"], "count": info["count"]}


# ---------------------------------------------------------------------------
# Fault injection and the request log (/_test/...)
# ---------------------------------------------------------------------------

class Faults:
    """Faults to inject, per-user rate limits and the recorded requests."""

    def __init__(self):
        self.lock = threading.Lock()
        self.faults = []
        self.user_limits = {}     # uid -> {"per_second", "burst"}
        self.requests = []
        self.seq = 0

    def add(self, body):
        with self.lock:
            every = body.get("every")
            for f in body.get("faults") or []:
                if not isinstance(f, dict) or f.get("action") not in (
                        "status", "ratelimit", "drop", "delay", "body"):
                    raise bad_param("Unknown fault %r" % (f,))
                f = dict(f)
                if every and "every" not in f:
                    f["every"] = every
                if "count" not in f:
                    f["count"] = None if f.get("every") else 1
                f["seen"] = 0
                self.faults.append(f)
            rl = body.get("rate_limit")
            if isinstance(rl, dict) and rl.get("user"):
                self.user_limits[rl["user"]] = {
                    "per_second": float(rl.get("per_second", 1)),
                    "burst": int(rl.get("burst", 1))}
            if "sync_cache_ms" in body:
                CONFIG["sync_cache_ms"] = int(body["sync_cache_ms"])
                VOL.sync_cache.clear()
            if "synapse_ratelimits" in body:
                CONFIG["synapse_ratelimits"] = bool(
                    body["synapse_ratelimits"])
            if "authenticated_media" in body:
                CONFIG["authenticated_media"] = bool(
                    body["authenticated_media"])
            if "max_upload_size" in body:
                CONFIG["max_upload"] = int(body["max_upload_size"])
            return self.listing()

    def listing(self):
        return {"faults": [{k: v for k, v in f.items() if k != "seen"}
                           for f in self.faults],
                "rate_limits": self.user_limits}

    def clear(self):
        with self.lock:
            self.faults = []
            self.user_limits = {}
            for k in [k for k in VOL.rate if k[0] == "user"]:
                VOL.rate.pop(k, None)

    def match(self, method, target):
        """The fault to apply to this request, if any (consumes it)."""
        with self.lock:
            for f in self.faults:
                if f.get("method") and f["method"].upper() != method:
                    continue
                pat = f.get("path")
                if pat:
                    try:
                        if not re.search(pat, target):
                            continue
                    except re.error:
                        if pat not in target:
                            continue
                f["seen"] += 1
                if f.get("every") and f["seen"] % int(f["every"]):
                    continue
                if f["count"] is not None:
                    f["count"] -= 1
                    if f["count"] <= 0:
                        self.faults.remove(f)
                return f
        return None

    def record(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.requests.append(entry)
            if len(self.requests) > 20000:
                del self.requests[:5000]

    def since(self, n):
        with self.lock:
            return {"requests": [r for r in self.requests if r["seq"] > n],
                    "next": self.seq}


FAULTS = Faults()
SERVER = None


def h_test_faults(req):
    if req.method == "GET":
        return FAULTS.listing()
    if req.method == "DELETE":
        FAULTS.clear()
        CONFIG["synapse_ratelimits"] = CONFIG["synapse_ratelimits_default"]
        CONFIG["authenticated_media"] = True
        CONFIG["max_upload"] = CONFIG["max_upload_default"]
        return {"faults": []}
    return FAULTS.add(req.body)


def h_test_requests(req):
    if req.method == "DELETE":
        with FAULTS.lock:
            FAULTS.requests = []
        return {}
    return FAULTS.since(req.int_arg("since", 0))


def h_test_expire_token(req):
    """Expire an access token as Synapse does at valid_until_ms."""
    tok = req.body.get("access_token")
    who = S()["tokens"].pop(tok, None) if isinstance(tok, str) else None
    if who is None:
        raise MatrixError(404, "M_NOT_FOUND", "No such access token")
    S().setdefault("expired_tokens", {})[tok] = who
    ST.mark_dirty()
    return {}


def h_test_to_device(req):
    """Hold a device's incoming to-device messages, or deliver them; or
    arm a tamper (td_tamper), or list the tampers armed and done.

    Like messages still in transit over federation: held ones are not in
    the device's queue (not persisted, not in /sync); releasing queues them
    in order at new stream positions, as if they arrived now.  A tamper is
    a man in the middle on a clear message (SAS keys before any Olm
    session): what an attacker between the devices could do."""
    if req.method == "GET":
        with ST.lock:
            return {"armed": copy.deepcopy(VOL.td_tamper),
                    "tampered": copy.deepcopy(VOL.td_tampered)}
    tamper = req.body.get("tamper")
    if tamper is not None:
        if (not isinstance(tamper, dict) or
                not isinstance(tamper.get("type"), str) or
                not isinstance(tamper.get("sender"), str) or
                not isinstance(tamper.get("field", "key"), str) or
                not isinstance(tamper.get("value"), str)):
            raise bad_param("tamper needs type, sender and value strings")
        with ST.lock:
            VOL.td_tamper.append(dict(tamper))
            return {"armed": len(VOL.td_tamper)}
    uid, did = req.body.get("user_id"), req.body.get("device_id")
    if not isinstance(uid, str) or not isinstance(did, str):
        raise bad_param("user_id and device_id are required")
    with ST.lock:
        if req.body.get("hold"):
            VOL.td_held.setdefault((uid, did), [])
            return {"held": len(VOL.td_held[(uid, did)])}
        held = VOL.td_held.pop((uid, did), [])
        dev = S()["devices"].get(uid, {}).get(did)
        if dev is not None:
            for ev in held:
                dev["to_device"].append({"pos": ST.bump(), "event": ev})
            ST.mark_dirty()
        return {"released": len(held)}


def h_test_shutdown(req):
    def stop():
        time.sleep(0.05)
        SERVER.shutdown()
    threading.Thread(target=stop, daemon=True).start()
    return {}


# ---------------------------------------------------------------------------
# HTTP routing
# ---------------------------------------------------------------------------

C = r"/_matrix/client/(?:r0|v3)"
U = r"/_matrix/client/(?:v1|unstable|unstable/org\.matrix\.msc2675)"
M = r"/_matrix/media/(?:r0|v3|v1)"
CV1 = r"/_matrix/client/v1"
SEG = r"([^/]+)"
NOAUTH = "noauth"
OPTAUTH = "optauth"

# (method, path regex, handler, auth).  Path groups are percent-decoded and
# passed to the handler; routes are tried in order.
ROUTES = [
    ("GET", r"/_matrix/client/versions", h_versions, NOAUTH),
    ("GET", r"/\.well-known/matrix/client", h_well_known, NOAUTH),
    ("GET", C + r"/capabilities", h_capabilities, True),
    ("GET", C + r"/login", h_login_flows, NOAUTH),
    ("POST", C + r"/login", h_login, NOAUTH),
    ("POST", C + r"/logout", h_logout, True),
    ("POST", C + r"/logout/all", h_logout_all, True),
    ("POST", C + r"/register", h_register, NOAUTH),
    ("GET", C + r"/register/available", h_register_available, NOAUTH),
    ("GET", C + r"/account/whoami", h_whoami, True),
    ("POST", C + r"/account/password", h_password, True),
    ("GET", C + r"/account/3pid", h_3pids, True),
    ("GET", C + r"/devices", h_devices, True),
    ("POST", C + r"/delete_devices", h_delete_devices, True),
    ("GET", C + r"/devices/" + SEG, h_device_get, True),
    ("PUT", C + r"/devices/" + SEG, h_device_put, True),
    ("DELETE", C + r"/devices/" + SEG, h_device_delete, True),
    ("GET", C + r"/profile/" + SEG, h_profile, OPTAUTH),
    ("GET", C + r"/profile/" + SEG + r"/(displayname|avatar_url)",
     h_profile_field_get, OPTAUTH),
    ("PUT", C + r"/profile/" + SEG + r"/(displayname|avatar_url)",
     h_profile_field_put, True),
    ("GET", C + r"/presence/" + SEG + r"/status", h_presence_get, True),
    ("PUT", C + r"/presence/" + SEG + r"/status", h_presence_put, True),
    ("POST", C + r"/user_directory/search", h_user_directory, True),
    ("GET", C + r"/user/" + SEG + r"/account_data/" + SEG,
     h_account_data_get, True),
    ("PUT", C + r"/user/" + SEG + r"/account_data/" + SEG,
     h_account_data_put, True),
    ("GET", C + r"/user/" + SEG + r"/rooms/" + SEG + r"/account_data/" + SEG,
     h_room_account_data_get, True),
    ("PUT", C + r"/user/" + SEG + r"/rooms/" + SEG + r"/account_data/" + SEG,
     h_room_account_data_put, True),
    ("POST", C + r"/user/" + SEG + r"/filter", h_filter_post, True),
    ("GET", C + r"/user/" + SEG + r"/filter/" + SEG, h_filter_get, True),
    ("GET", C + r"/pushrules/?(.*)", h_pushrules, True),
    ("PUT", C + r"/pushrules/(.+)", h_pushrules_put, True),
    ("DELETE", C + r"/pushrules/(.+)", h_pushrules_delete, True),
    ("GET", C + r"/voip/turnServer", lambda req: {}, True),
    ("GET", C + r"/thirdparty/protocols", lambda req: {}, True),
    ("GET", C + r"/sync", h_sync, True),
    ("POST", C + r"/createRoom", h_create_room, True),
    ("GET", C + r"/joined_rooms", h_joined_rooms, True),
    ("POST", C + r"/join/" + SEG, h_join, True),
    ("POST", C + r"/knock/" + SEG, h_knock, True),
    ("POST", C + r"/rooms/" + SEG + r"/join", h_room_join, True),
    ("POST", C + r"/rooms/" + SEG + r"/leave", h_leave, True),
    ("POST", C + r"/rooms/" + SEG + r"/forget", h_forget, True),
    ("POST", C + r"/rooms/" + SEG + r"/invite", h_invite, True),
    ("POST", C + r"/rooms/" + SEG + r"/kick", h_kick, True),
    ("POST", C + r"/rooms/" + SEG + r"/ban", h_ban, True),
    ("POST", C + r"/rooms/" + SEG + r"/unban", h_unban, True),
    ("PUT", C + r"/rooms/" + SEG + r"/send/" + SEG + "/" + SEG, h_send, True),
    ("PUT", C + r"/rooms/" + SEG + r"/redact/" + SEG + "/" + SEG, h_redact,
     True),
    ("GET", C + r"/rooms/" + SEG + r"/state", h_state_all, True),
    ("GET", C + r"/rooms/" + SEG + r"/state/" + SEG + r"/?", h_state_get,
     True),
    ("GET", C + r"/rooms/" + SEG + r"/state/" + SEG + r"/(.+)", h_state_get,
     True),
    ("PUT", C + r"/rooms/" + SEG + r"/state/" + SEG + r"/?", h_state_put,
     True),
    ("PUT", C + r"/rooms/" + SEG + r"/state/" + SEG + r"/(.+)", h_state_put,
     True),
    ("GET", C + r"/rooms/" + SEG + r"/members", h_members, True),
    ("GET", C + r"/rooms/" + SEG + r"/joined_members", h_joined_members,
     True),
    ("GET", C + r"/rooms/" + SEG + r"/messages", h_messages, True),
    ("GET", C + r"/rooms/" + SEG + r"/context/" + SEG, h_context, True),
    ("GET", C + r"/rooms/" + SEG + r"/event/" + SEG, h_event, True),
    ("GET", U + r"/rooms/" + SEG + r"/relations/" + SEG, h_relations, True),
    ("GET", U + r"/rooms/" + SEG + r"/relations/" + SEG + "/" + SEG,
     h_relations, True),
    ("GET", U + r"/rooms/" + SEG + r"/relations/" + SEG + "/" + SEG + "/" +
     SEG, h_relations, True),
    ("PUT", C + r"/rooms/" + SEG + r"/typing/" + SEG, h_typing, True),
    ("POST", C + r"/rooms/" + SEG + r"/receipt/" + SEG + "/" + SEG,
     h_receipt, True),
    ("POST", C + r"/rooms/" + SEG + r"/read_markers", h_read_markers, True),
    ("GET", C + r"/rooms/" + SEG + r"/aliases", h_room_aliases, True),
    ("POST", C + r"/rooms/" + SEG + r"/report/" + SEG, lambda r, a, b: {},
     True),
    ("GET", r"/_matrix/client/(?:v1|unstable/org\.matrix\.msc2946)/rooms/" +
     SEG + r"/hierarchy", h_hierarchy, True),
    ("GET", C + r"/directory/room/" + SEG, h_alias_get, OPTAUTH),
    ("PUT", C + r"/directory/room/" + SEG, h_alias_put, True),
    ("DELETE", C + r"/directory/room/" + SEG, h_alias_delete, True),
    ("GET", C + r"/directory/list/room/" + SEG, h_directory_visibility_get,
     OPTAUTH),
    ("PUT", C + r"/directory/list/room/" + SEG, h_directory_visibility_put,
     True),
    ("GET", C + r"/publicRooms", h_public_rooms, True),
    ("POST", C + r"/publicRooms", h_public_rooms, True),
    ("POST", C + r"/keys/upload(?:/[^/]+)?", h_keys_upload, True),
    ("POST", C + r"/keys/query", h_keys_query, True),
    ("POST", C + r"/keys/claim", h_keys_claim, True),
    ("GET", C + r"/keys/changes", h_keys_changes, True),
    ("POST", r"/_matrix/client/(?:r0|v3|unstable)/keys/device_signing/upload",
     h_device_signing_upload, True),
    ("POST", r"/_matrix/client/(?:r0|v3|unstable)/keys/signatures/upload",
     h_signatures_upload, True),
    ("PUT", C + r"/sendToDevice/" + SEG + "/" + SEG, h_send_to_device, True),
    ("POST", C + r"/room_keys/version", h_backup_create, True),
    ("GET", C + r"/room_keys/version", h_backup_get, True),
    ("GET", C + r"/room_keys/version/" + SEG, h_backup_get, True),
    ("PUT", C + r"/room_keys/version/" + SEG, h_backup_put, True),
    ("DELETE", C + r"/room_keys/version/" + SEG, h_backup_delete, True),
    ("PUT", C + r"/room_keys/keys", h_room_keys_put, True),
    ("PUT", C + r"/room_keys/keys/" + SEG, h_room_keys_put, True),
    ("PUT", C + r"/room_keys/keys/" + SEG + "/" + SEG, h_room_keys_put, True),
    ("GET", C + r"/room_keys/keys", h_room_keys_get, True),
    ("GET", C + r"/room_keys/keys/" + SEG, h_room_keys_get, True),
    ("GET", C + r"/room_keys/keys/" + SEG + "/" + SEG, h_room_keys_get, True),
    ("DELETE", C + r"/room_keys/keys", h_room_keys_delete, True),
    ("DELETE", C + r"/room_keys/keys/" + SEG, h_room_keys_delete, True),
    ("DELETE", C + r"/room_keys/keys/" + SEG + "/" + SEG, h_room_keys_delete,
     True),
    ("GET", M + r"/config", h_media_config, True),
    ("POST", M + r"/upload", h_upload, True),
    ("GET", M + r"/download/" + SEG + "/" + SEG, h_download, NOAUTH),
    ("GET", M + r"/download/" + SEG + "/" + SEG + "/" + SEG, h_download,
     NOAUTH),
    ("GET", M + r"/thumbnail/" + SEG + "/" + SEG, h_thumbnail, NOAUTH),
    ("GET", CV1 + r"/media/config", h_media_config_v1, True),
    ("GET", CV1 + r"/media/download/" + SEG + "/" + SEG, h_download_v1,
     True),
    ("GET", CV1 + r"/media/download/" + SEG + "/" + SEG + "/" + SEG,
     h_download_v1, True),
    ("GET", CV1 + r"/media/thumbnail/" + SEG + "/" + SEG, h_thumbnail_v1,
     True),
    ("GET", M + r"/preview_url", h_preview_url, True),
]
ROUTES = [(m, re.compile(p + "$"), h, a) for m, p, h, a in ROUTES]
TEST_ROUTES = [
    (r"/_test/faults", h_test_faults),
    (r"/_test/requests", h_test_requests),
    (r"/_test/expire_token", h_test_expire_token),
    (r"/_test/to_device", h_test_to_device),
    (r"/_test/shutdown", h_test_shutdown),
]


def route(method, path):
    """(handler, auth, args) or raise M_UNRECOGNIZED (Synapse 1.67: 400)."""
    for m, rx, h, auth in ROUTES:
        if m != method:
            continue
        mt = rx.match(path)
        if mt:
            args = [urllib.parse.unquote(g) if g is not None else None
                    for g in mt.groups()]
            return h, auth, [a for a in args if a is not None]
    raise UNRECOGNIZED


def dispatch(req):
    """Run one request under the global lock: (status, body or Raw)."""
    if req.path.startswith("/_test/"):
        for p, h in TEST_ROUTES:
            if req.path == p:
                return 200, h(req)
        raise UNRECOGNIZED
    handler, auth, args = route(req.method, req.path)
    with ST.lock:
        if auth is True or (auth == OPTAUTH and req.token_from_request()):
            req.authenticate()
        if req.uid in FAULTS.user_limits and \
                not req.path.endswith("/sync"):
            lim = FAULTS.user_limits[req.uid]
            rate_limit("user", req.uid, lim["per_second"], lim["burst"])
        result = handler(req, *args)
    return 200, result


CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers":
        "X-Requested-With, Content-Type, Authorization, Date",
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are written separately: with Nagle's algorithm the
    # body would wait for the client's delayed ACK (40 ms a request on a
    # kept-alive connection).  Latency, not behaviour.
    disable_nagle_algorithm = True
    server_version = "Synapse/1.67.0 (haos test homeserver)"

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        method = self.command
        raw = self.read_body()
        if method == "OPTIONS":
            return self.send(200, {})
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        req = Request(method, url.path, query, self.headers, raw,
                      self.client_address[0])
        is_test = url.path.startswith("/_test/")
        fault = None if is_test else FAULTS.match(method, self.path)
        if fault and fault["action"] == "delay":
            time.sleep(float(fault.get("ms", 1000)) / 1000.0)
            fault = None
        status, body = 500, None
        try:
            if fault and fault["action"] == "ratelimit":
                raise MatrixError(429, "M_LIMIT_EXCEEDED",
                                  "Too Many Requests", retry_after_ms=int(
                                      fault.get("retry_after_ms", 1000)))
            if fault and fault["action"] == "status":
                extra = {}
                if "retry_after_ms" in fault:
                    extra["retry_after_ms"] = fault["retry_after_ms"]
                raise MatrixError(int(fault.get("status", 500)),
                                  fault.get("errcode", "M_UNKNOWN"),
                                  fault.get("error", "Injected fault"),
                                  **extra)
            if fault and fault["action"] == "body":
                status, body = int(fault.get("status", 200)), \
                    fault.get("body", {})
            elif fault and fault["action"] == "drop" and \
                    not fault.get("process", True):
                status, body = 200, {}
            else:
                status, body = dispatch(req)
        except MatrixError as e:
            status = e.status
            body = e.body() if e.errcode else e.extra
        except Exception as e:  # a bug: answer like Synapse does
            import traceback
            traceback.print_exc(file=sys.stderr)
            status, body = 500, {"errcode": "M_UNKNOWN",
                                 "error": "Internal server error"}
        if not is_test:
            self.record(req, raw, status)
        try:
            if fault and fault["action"] == "drop":
                return self.drop(status, body)
            self.send(status, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True    # the client went away

    def record(self, req, raw, status):
        ctype = self.headers.get("Content-Type", "")
        body = None
        if raw:
            if ctype.startswith("application/json") or not ctype:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"bytes": len(raw)}
            else:
                body = {"bytes": len(raw)}
        if req.uid is None and req.token_from_request():
            who = S()["tokens"].get(req.token_from_request())
            if who:
                req.uid, req.did = who
        FAULTS.record({"ts": CLOCK.ms(), "method": req.method,
                       "path": req.path,
                       "query": urllib.parse.urlsplit(self.path).query,
                       "user": req.uid, "device": req.did, "body": body,
                       "status": status})

    def encode(self, status, body):
        if isinstance(body, Raw):
            headers = dict(body.headers)
            return body.data, body.content_type, headers
        data = json.dumps(body, ensure_ascii=False).encode("utf-8",
                                                          "surrogatepass")
        return data, "application/json", {}

    def send(self, status, body):
        data, ctype, headers = self.encode(status, body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        if status == 429 and isinstance(body, dict) and \
                "retry_after_ms" in body:
            self.send_header("Retry-After",
                             str(max(1, (body["retry_after_ms"] + 999)
                                     // 1000)))
        for k, v in CORS.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def drop(self, status, body):
        """Headers and half the body, then close the connection."""
        data, ctype, _ = self.encode(status, body)
        data = data if len(data) >= 2 else data + b" " * 16
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[:len(data) // 2])
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = \
        handle_any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def ticker(stop):
    """Background housekeeping: typing notifications time out, and the
    state is written to --data (at most every FLUSH_EVERY_S after a change:
    one snapshot per request made building a big world quadratic)."""
    while not stop.wait(FLUSH_EVERY_S):
        with ST.lock:
            expire_typing()
        ST.flush()


def main(argv=None):
    global ST, SERVER, CLOCK, RNG
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--server-name", default="haos.test")
    ap.add_argument("--data", default=None)
    ap.add_argument("--fixed-clock", action="store_true")
    ap.add_argument("--synapse-ratelimits", action="store_true")
    ap.add_argument("--max-upload-size", type=int, default=52428800)
    ap.add_argument("--sync-cache-ms", type=int, default=120000,
                    help="Synapse's sync response cache (0: off)")
    args = ap.parse_args(argv)
    if args.fixed_clock:
        CLOCK = Clock(fixed=True)
    CONFIG["server_name"] = args.server_name
    CONFIG["max_upload"] = args.max_upload_size
    CONFIG["max_upload_default"] = args.max_upload_size
    CONFIG["sync_cache_ms"] = args.sync_cache_ms
    CONFIG["synapse_ratelimits"] = args.synapse_ratelimits
    CONFIG["synapse_ratelimits_default"] = args.synapse_ratelimits
    ST = Store(args.data)
    if args.fixed_clock:
        # Deterministic, yet never repeating ids or times after a restart.
        CLOCK.t += S()["stream"] * 1000
        RNG = random.Random(S()["stream"])
    SERVER = Server((args.host, args.port), Handler)
    port = SERVER.server_address[1]
    CONFIG["base_url"] = "http://%s:%d" % (args.host, port)
    stop = threading.Event()
    threading.Thread(target=ticker, args=(stop,), daemon=True).start()

    def on_signal(signum, frame):
        threading.Thread(target=SERVER.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print("listening on %s" % CONFIG["base_url"], flush=True)
    try:
        SERVER.serve_forever(poll_interval=0.1)
    finally:
        stop.set()
        ST.flush()
        SERVER.server_close()


if __name__ == "__main__":
    main()
