#!/usr/bin/env python3
"""Seed a homeserver with the HAOS demo world, through the client-server API.

    python3 tests/homeserver/seed_demo.py URL [--chatter] [--chatter-minutes N]

Builds, with exactly the event shapes of /work/shared/haos-backend-mapping.md
(as refined by MAPPING-NOTES.md):

* users alice (ADMIN), bob (MODERATOR), carol (GUEST); passwords in USERS below;
* the server "Acme" owned by alice: a space (room version 10, creation_content
  type m.space) with m.room.avatar (a generated PNG uploaded to the media
  repository), io.haos.server {inviteCode, ownerId} and the power-level
  template of mapping section 4.2; join rule public but not published in the
  room directory; the invite code published as the alias #haos-CODE:SERVER;
* channels general, random (TEXT), lounge (AUDIO), stage (VIDEO): rooms with
  m.space.parent {via} and io.haos.channel {type, creatorId}, join rule
  restricted to members of the space, linked from the space by m.space.child
  {via, order};
* bob and carol join the space (through the invite-code alias) and every
  channel; power levels users {alice: 100, bob: 50, carol: 0} in the space
  and every channel (roles cascade); io.haos.member_role written only where
  the auth rules allow it (a user for themselves, level >= state_default),
  and its refusal is never fatal;
* a few dozen messages from all three, with an edit (m.replace), a deletion
  (redaction), reactions (m.annotation), a reply (m.in_reply_to with the
  reply fallback) and a thread (m.thread, is_falling_back, m.in_reply_to);
* a DM between alice and bob (is_direct, trusted_private_chat, invite) with
  m.direct account data for both, and a few messages.

Running it again is harmless: if alice already owns "Acme" it says so and
exits 0 (with --chatter it then just chats).  --chatter keeps carol posting a
plausible message every few seconds until killed or --chatter-minutes
(default 60) have passed.

Stdlib only (urllib).
"""

import argparse
import json
import random
import secrets
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

USERS = {
    "alice": {"password": "alice-password", "displayname": "Alice", "role": "ADMIN"},
    "bob": {"password": "bob-password", "displayname": "Bob", "role": "MODERATOR"},
    "carol": {"password": "carol-password", "displayname": "Carol", "role": "GUEST"},
}
ROLE_LEVELS = {"ADMIN": 100, "MODERATOR": 50, "GUEST": 0}
SERVER_NAME_DISPLAY = "Acme"
CHANNELS = [  # (name, type); order follows this list
    ("general", "TEXT"),
    ("random", "TEXT"),
    ("lounge", "AUDIO"),
    ("stage", "VIDEO"),
]


def power_level_template():
    """Mapping section 4.2, verbatim."""
    return {
        "users_default": 0,
        "events": {
            "m.room.message": 0,
            "m.room.name": 50,
            "m.room.avatar": 50,
            "m.room.power_levels": 100,
            "m.space.child": 50,
            "io.haos.channel": 50,
        },
        "kick": 50,
        "ban": 50,
        "redact": 50,
        "invite": 0,
    }


class ApiError(Exception):
    def __init__(self, status, body, method, path):
        self.status = status
        self.body = body if isinstance(body, dict) else {"raw": body}
        self.errcode = self.body.get("errcode")
        super().__init__("%s %s -> %s %s" % (method, path, status, json.dumps(self.body)[:300]))


class Api:
    def __init__(self, base_url, token=None):
        self.base = base_url.rstrip("/")
        self.token = token
        self.user_id = None
        self._txn = 0

    def request(self, method, path, body=None, query=None, raw=None, content_type=None,
                timeout=60):
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {}
        data = None
        if raw is not None:
            data = raw
            headers["Content-Type"] = content_type or "application/octet-stream"
        elif body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif method in ("POST", "PUT"):
            data = b"{}"
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                payload = resp.read()
                status = resp.status
        except urllib.error.HTTPError as e:
            payload = e.read()
            status = e.code
        try:
            parsed = json.loads(payload.decode("utf-8")) if payload else {}
        except ValueError:
            parsed = payload.decode("utf-8", "replace")
        if status >= 400:
            raise ApiError(status, parsed, method, path)
        return parsed

    # helpers ------------------------------------------------------------
    def txn(self):
        self._txn += 1
        return "seed-%d-%d-%s" % (int(time.time() * 1000), self._txn, secrets.token_hex(3))

    def send(self, room_id, content, event_type="m.room.message"):
        path = "/_matrix/client/v3/rooms/%s/send/%s/%s" % (
            q(room_id), q(event_type), q(self.txn()))
        return self.request("PUT", path, content)["event_id"]

    def state(self, room_id, event_type, content, state_key=""):
        path = "/_matrix/client/v3/rooms/%s/state/%s/%s" % (
            q(room_id), q(event_type), q(state_key))
        return self.request("PUT", path, content)["event_id"]

    def get_state(self, room_id, event_type, state_key=""):
        path = "/_matrix/client/v3/rooms/%s/state/%s/%s" % (
            q(room_id), q(event_type), q(state_key))
        return self.request("GET", path)

    def all_state(self, room_id):
        return self.request("GET", "/_matrix/client/v3/rooms/%s/state" % q(room_id))

    def join(self, room_id_or_alias):
        return self.request("POST", "/_matrix/client/v3/join/%s" % q(room_id_or_alias),
                            {})["room_id"]

    def redact(self, room_id, event_id, reason):
        path = "/_matrix/client/v3/rooms/%s/redact/%s/%s" % (
            q(room_id), q(event_id), q(self.txn()))
        return self.request("PUT", path, {"reason": reason})["event_id"]

    def account_data(self, event_type):
        path = "/_matrix/client/v3/user/%s/account_data/%s" % (q(self.user_id), q(event_type))
        try:
            return self.request("GET", path)
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def set_account_data(self, event_type, content):
        path = "/_matrix/client/v3/user/%s/account_data/%s" % (q(self.user_id), q(event_type))
        return self.request("PUT", path, content)


def q(s):
    return urllib.parse.quote(s, safe="")


def log(msg):
    print(msg, flush=True)


# -- users -------------------------------------------------------------------

def login_or_register(base_url, localpart, password, displayname=None):
    api = Api(base_url)
    body = {"type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": localpart},
            "password": password, "initial_device_display_name": "haos seed_demo"}
    try:
        resp = api.request("POST", "/_matrix/client/v3/login", body)
        created = False
    except ApiError as e:
        if e.status not in (400, 403, 404):
            raise
        reg = {"username": localpart, "password": password,
               "initial_device_display_name": "haos seed_demo"}
        try:
            resp = api.request("POST", "/_matrix/client/v3/register", reg)
        except ApiError as e2:
            if e2.status != 401 or "session" not in e2.body:
                if e2.errcode == "M_USER_IN_USE":
                    raise SystemExit("user %s exists but its password is not %r" %
                                     (localpart, password))
                raise
            reg["auth"] = {"type": "m.login.dummy", "session": e2.body["session"]}
            resp = api.request("POST", "/_matrix/client/v3/register", reg)
        created = True
    api.token = resp["access_token"]
    api.user_id = resp["user_id"]
    if created and displayname:
        try:
            api.request("PUT", "/_matrix/client/v3/profile/%s/displayname" % q(api.user_id),
                        {"displayname": displayname})
        except ApiError as e:
            log("  (could not set display name of %s: %s)" % (localpart, e))
    return api, created


# -- media ---------------------------------------------------------------------

def make_png(size=64):
    """A small generated PNG: a violet-to-blue gradient with a white 'A'."""
    glyph = [
        "..XXXX..", ".XX..XX.", "XX....XX", "XX....XX",
        "XXXXXXXX", "XX....XX", "XX....XX", "XX....XX",
    ]
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter type 0
        for x in range(size):
            r = 88 + (x * 60) // size
            g = 101 - (y * 40) // size
            b = 242 - (x * 30) // size
            gx, gy = (x - size // 4) * 8 // (size // 2), (y - size // 4) * 8 // (size // 2)
            if 0 <= gx < 8 and 0 <= gy < 8 and glyph[gy][gx] == "X":
                r, g, b = 255, 255, 255
            row += bytes((r, g, b))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# -- discovery (idempotency, chatter) -------------------------------------------

def find_world(alice):
    """Return the existing Acme world owned by alice, or None."""
    try:
        rooms = alice.request("GET", "/_matrix/client/v3/joined_rooms")["joined_rooms"]
    except ApiError:
        rooms = []
    for room_id in rooms:
        try:
            state = alice.all_state(room_id)
        except ApiError:
            continue
        by = {(e.get("type"), e.get("state_key")): e.get("content", {}) for e in state}
        create = by.get(("m.room.create", ""), {})
        server = by.get(("io.haos.server", ""))
        name = by.get(("m.room.name", ""), {}).get("name")
        if create.get("type") != "m.space" or not server or name != SERVER_NAME_DISPLAY:
            continue
        if server.get("ownerId") != alice.user_id:
            continue
        children = []
        for (etype, skey), content in by.items():
            if etype == "m.space.child" and content.get("via"):
                children.append((content.get("order", "\x7f"), skey))
        channels = {}
        for _order, child_id in sorted(children):
            try:
                cname = alice.get_state(child_id, "m.room.name").get("name")
            except ApiError:
                cname = child_id
            channels[cname] = child_id
        direct = alice.account_data("m.direct") or {}
        dm = None
        for uid, ids in direct.items():
            if uid.startswith("@bob:") and ids:
                dm = ids[0]
        return {"space": room_id, "invite_code": server.get("inviteCode"),
                "channels": channels, "dm": dm}
    return None


# -- building --------------------------------------------------------------------

def create_server(alice, hs):
    png = make_png()
    avatar = alice.request("POST", "/_matrix/media/v3/upload", query={"filename": "acme.png"},
                           raw=png, content_type="image/png")["content_uri"]
    invite_code = secrets.token_hex(4)  # 8 lowercase hex chars, valid alias localpart
    pl = power_level_template()
    pl["users"] = {alice.user_id: 100}
    space_id = alice.request("POST", "/_matrix/client/v3/createRoom", {
        "name": SERVER_NAME_DISPLAY,
        "preset": "public_chat",
        "visibility": "private",          # public join rule, not published
        "room_version": "10",
        "creation_content": {"type": "m.space"},
        "initial_state": [
            {"type": "m.room.avatar", "state_key": "", "content": {"url": avatar}},
            {"type": "io.haos.server", "state_key": "",
             "content": {"inviteCode": invite_code, "ownerId": alice.user_id}},
        ],
        "power_level_content_override": pl,
    })["room_id"]
    alias = "#haos-%s:%s" % (invite_code, hs)
    alice.request("PUT", "/_matrix/client/v3/directory/room/%s" % q(alias),
                  {"room_id": space_id})
    return space_id, invite_code, alias, avatar


def create_channel(alice, hs, space_id, name, ctype, order):
    pl = power_level_template()
    pl["users"] = {alice.user_id: 100}
    room_id = alice.request("POST", "/_matrix/client/v3/createRoom", {
        "name": name,
        "preset": "private_chat",
        "room_version": "10",
        "initial_state": [
            {"type": "m.space.parent", "state_key": space_id, "content": {"via": [hs]}},
            {"type": "io.haos.channel", "state_key": "",
             "content": {"type": ctype, "creatorId": alice.user_id}},
            {"type": "m.room.join_rules", "state_key": "",
             "content": {"join_rule": "restricted",
                         "allow": [{"type": "m.room_membership", "room_id": space_id}]}},
        ],
        "power_level_content_override": pl,
    })["room_id"]
    alice.state(space_id, "m.space.child", {"via": [hs], "order": order}, room_id)
    return room_id


def join_channel(user, alice, room_id, name):
    try:
        user.join(room_id)
    except ApiError as e:
        # restricted joins need room version >= 8 support on the server; an
        # invite is the fallback a real client would use
        log("  ! %s could not join #%s through the restricted rule (%s); inviting" %
            (user.user_id, name, e.errcode))
        alice.request("POST", "/_matrix/client/v3/rooms/%s/invite" % q(room_id),
                      {"user_id": user.user_id})
        user.join(room_id)


def change_role(admin, room_ids, target, role):
    """Mapping 'Change Role', cascaded to every room of the server."""
    for rid in room_ids:
        pl = admin.get_state(rid, "m.room.power_levels")
        pl.setdefault("users", {})[target] = ROLE_LEVELS[role]
        admin.state(rid, "m.room.power_levels", pl)


def write_own_role(api, space_id, role):
    """io.haos.member_role for oneself, only where the auth rules allow it
    (own state key, level >= the event's required level); a refusal is never
    fatal (MAPPING-NOTES 1: power levels are the authority for roles)."""
    pl = api.get_state(space_id, "m.room.power_levels")
    mine = pl.get("users", {}).get(api.user_id, pl.get("users_default", 0))
    needed = pl.get("events", {}).get("io.haos.member_role", pl.get("state_default", 50))
    if mine < needed:
        log("  (io.haos.member_role not written for %s: level %s < %s; the power level "
            "says %s)" % (api.user_id, mine, needed, role))
        return False
    try:
        api.state(space_id, "io.haos.member_role", {"role": role}, api.user_id)
        return True
    except ApiError as e:
        log("  (io.haos.member_role for %s refused: %s %s - power levels stay the "
            "authority)" % (api.user_id, e.status, e.errcode))
        return False


def text(body):
    return {"msgtype": "m.text", "body": body}


def edit(original_id, new_body):
    return {
        "msgtype": "m.text",
        "body": "* " + new_body,
        "m.new_content": {"msgtype": "m.text", "body": new_body},
        "m.relates_to": {"rel_type": "m.replace", "event_id": original_id},
    }


def reaction(event_id, key):
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}


def reply(room_id, parent_id, parent_sender, parent_body, body):
    quoted = "\n".join("> " + line for line in
                       ("<%s> %s" % (parent_sender, parent_body)).split("\n"))
    html_parent = parent_body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    html_body = body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {
        "msgtype": "m.text",
        "body": "%s\n\n%s" % (quoted, body),
        "format": "org.matrix.custom.html",
        "formatted_body": (
            '<mx-reply><blockquote><a href="https://matrix.to/#/%s/%s">In reply to</a> '
            '<a href="https://matrix.to/#/%s">%s</a><br>%s</blockquote></mx-reply>%s'
            % (room_id, parent_id, parent_sender, parent_sender, html_parent, html_body)),
        "m.relates_to": {"m.in_reply_to": {"event_id": parent_id}},
    }


def thread_reply(root_id, body):
    """Mapping 4.4, verbatim."""
    return {
        "msgtype": "m.text",
        "body": body,
        "m.relates_to": {
            "rel_type": "m.thread",
            "event_id": root_id,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": root_id},
        },
    }


def seed_messages(u, ch):
    a, b, c = u["alice"], u["bob"], u["carol"]
    g, r, lounge, stage = ch["general"], ch["random"], ch["lounge"], ch["stage"]
    n = 0

    def say(user, room, content, etype="m.room.message"):
        nonlocal n
        n += 1
        return user.send(room, content, etype)

    welcome_body = "Welcome to Acme! This is #general - introduce yourselves."
    welcome = say(a, g, text(welcome_body))
    say(b, g, text("Hey everyone, Bob here. I'll be helping moderate."))
    say(c, g, text("Hi! Carol, just joined from the invite link."))
    say(a, g, reaction(welcome, "\U0001F44B"), "m.reaction")
    say(b, g, reaction(welcome, "\U0001F44D"), "m.reaction")
    say(c, g, reaction(welcome, "\U0001F44D"), "m.reaction")
    typo = say(b, g, text("The standup moves to 10:30 on Tuesdys."))
    say(b, g, edit(typo, "The standup moves to 10:30 on Tuesdays."))
    say(a, g, text("Thanks Bob. Release notes for 0.4 are in the wiki."))
    oops = say(c, g, text("oops, wrong channel - ignore this"))
    c.redact(g, oops, "Message deleted")
    question = "Is the staging server back up?"
    q_id = say(c, g, text(question))
    say(a, g, reply(g, q_id, c.user_id, question,
                    "Yes, since this morning. Let me know if anything is off."))
    say(c, g, reaction(q_id, "\u2705"), "m.reaction")
    say(b, g, text("I'll post the on-call rota tomorrow."))
    say(c, g, text("Where do I find the onboarding checklist?"))
    say(b, g, text("Pinned in #random, second link from the top."))
    say(c, g, text("Found it, thanks!"))
    say(a, g, text("Heads-up: the office is closed on Monday for maintenance."))

    root_body = "Thread: ideas for the team offsite?"
    root = say(a, r, text(root_body))
    say(b, r, thread_reply(root, "A hike and a long lunch."))
    say(c, r, thread_reply(root, "Board games! I can bring a few."))
    say(a, r, thread_reply(root, "Both sound great, let's vote on Friday."))
    say(b, r, reaction(root, "\U0001F389"), "m.reaction")
    say(c, r, text("Anyone else reading 'The Pragmatic Programmer' again?"))
    say(b, r, text("Coffee machine on floor 2 is fixed, finally."))
    say(a, r, text("Photos from last week are in the shared drive."))
    say(c, r, text("The sunset one is my new wallpaper."))
    say(b, r, text("Friendly reminder to water the office plants \U0001F331"))

    say(a, lounge, text("Voice hangout at 5pm, drop in any time."))
    say(c, lounge, text("I'll join after my 4:30 call."))
    say(b, lounge, text("Headset's charged, see you there."))
    say(a, stage, text("All-hands demo on Thursday at 3pm here in #stage."))
    say(b, stage, text("I'll share my screen for the moderation tools demo."))
    say(c, stage, text("Can we record it for the folks in other time zones?"))
    say(a, stage, text("Yes, recording will be on."))
    return n


def create_dm(alice, bob):
    """Mapping 'Get/Create Conversation' for both sides."""
    dm = alice.request("POST", "/_matrix/client/v3/createRoom", {
        "is_direct": True,
        "invite": [bob.user_id],
        "preset": "trusted_private_chat",
    })["room_id"]
    direct = alice.account_data("m.direct") or {}
    direct[bob.user_id] = [dm]
    alice.set_account_data("m.direct", direct)
    bob.join(dm)
    direct_b = bob.account_data("m.direct") or {}
    direct_b[alice.user_id] = [dm]
    bob.set_account_data("m.direct", direct_b)
    n = 0
    for who, body in ((alice, "Hi Bob, got a minute to talk about the moderator guide?"),
                      (bob, "Sure, I started a draft yesterday."),
                      (alice, "Great - share it when you're ready, no rush."),
                      (bob, "Will do, probably by Thursday.")):
        who.send(dm, text(body))
        n += 1
    return dm, n


CHATTER = [
    "Has anyone seen the new dashboard yet?",
    "Lunch orders close at 11:45 today.",
    "Reminder: retro notes go in the team doc.",
    "The CI queue looks quick this afternoon.",
    "Who's up for the quiz night on Friday?",
    "Just pushed a fix for the login flicker.",
    "Coffee run in five minutes, any requests?",
    "The wiki search works again, thanks to whoever fixed it.",
    "Design review moved to the big room.",
    "Happy Wednesday, everyone!",
    "I'll be offline for an hour, dentist.",
    "New stickers are in the kitchen drawer.",
]


def chatter(carol, channels, minutes, interval):
    rooms = [n for n in ("general", "random") if n in channels] or list(channels)
    deadline = time.time() + minutes * 60
    count = 0
    log("chatter: carol posts every ~%ss for up to %s minutes (Ctrl-C to stop)"
        % (interval, minutes))
    try:
        while time.time() < deadline:
            name = random.choice(rooms)
            body = random.choice(CHATTER)
            try:
                carol.send(channels[name], text(body))
                count += 1
                log("  carol -> #%s: %s" % (name, body))
            except (ApiError, OSError) as e:
                log("  chatter send failed: %s" % e)
            time.sleep(max(0.2, min(interval * random.uniform(0.6, 1.4),
                                    deadline - time.time())))
    except KeyboardInterrupt:
        pass
    log("chatter: %d messages sent" % count)


def summary(hs_url, world, logins):
    log("")
    log("HAOS demo world on %s" % hs_url)
    log("  server   %s  space %s" % (SERVER_NAME_DISPLAY, world["space"]))
    log("  invite   code %s  alias %s" % (world["invite_code"], world.get("alias", "")))
    for name, rid in world["channels"].items():
        log("  channel  #%-8s %s" % (name, rid))
    if world.get("dm"):
        log("  DM       alice <-> bob %s" % world["dm"])
    log("  logins:")
    for lp, info in USERS.items():
        log("    %-6s / %-15s %s (%s, power %d)" % (lp, info["password"], logins.get(lp, ""),
                                                  info["role"], ROLE_LEVELS[info["role"]]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url", help="homeserver base URL, e.g. http://127.0.0.1:8008")
    ap.add_argument("--chatter", action="store_true",
                    help="keep carol posting messages until killed")
    ap.add_argument("--chatter-minutes", type=float, default=60.0)
    ap.add_argument("--chatter-interval", type=float, default=5.0,
                    help="average seconds between chatter messages")
    args = ap.parse_args(argv)
    url = args.url.rstrip("/")

    users, logins = {}, {}
    for lp, info in USERS.items():
        api, created = login_or_register(url, lp, info["password"], info["displayname"])
        users[lp] = api
        logins[lp] = api.user_id
        log("%s %s" % ("registered" if created else "logged in", api.user_id))
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    hs = alice.user_id.split(":", 1)[1]

    world = find_world(alice)
    if world:
        world["alias"] = "#haos-%s:%s" % (world["invite_code"], hs)
        log("The %s server already exists for %s (%s); nothing to do." %
            (SERVER_NAME_DISPLAY, alice.user_id, world["space"]))
        summary(url, world, logins)
        if args.chatter:
            chatter(carol, world["channels"], args.chatter_minutes, args.chatter_interval)
        return 0

    log("creating server %s ..." % SERVER_NAME_DISPLAY)
    space_id, code, alias, avatar = create_server(alice, hs)
    channels = {}
    for i, (name, ctype) in enumerate(CHANNELS):
        channels[name] = create_channel(alice, hs, space_id, name, ctype,
                                        "%04d" % ((i + 1) * 10))
        log("  channel #%s (%s) %s" % (name, ctype, channels[name]))

    for member in (bob, carol):
        member.join(alias)  # the invite code, as an alias (MAPPING-NOTES 4)
        for name, rid in channels.items():
            join_channel(member, alice, rid, name)
    all_rooms = [space_id] + list(channels.values())
    change_role(alice, all_rooms, bob.user_id, "MODERATOR")
    change_role(alice, all_rooms, carol.user_id, "GUEST")
    write_own_role(alice, space_id, "ADMIN")
    write_own_role(bob, space_id, "MODERATOR")
    write_own_role(carol, space_id, "GUEST")   # skipped: GUEST < state_default

    n = seed_messages(users, channels)
    dm, n_dm = create_dm(alice, bob)
    log("sent %d channel events and %d DM messages" % (n, n_dm))

    world = {"space": space_id, "invite_code": code, "alias": alias,
             "channels": channels, "dm": dm, "avatar": avatar}
    summary(url, world, logins)
    if args.chatter:
        chatter(carol, channels, args.chatter_minutes, args.chatter_interval)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ApiError as e:
        print("seed_demo: %s" % e, file=sys.stderr)
        sys.exit(1)
    except (urllib.error.URLError, ConnectionError) as e:
        print("seed_demo: cannot reach the homeserver: %s" % e, file=sys.stderr)
        sys.exit(1)
