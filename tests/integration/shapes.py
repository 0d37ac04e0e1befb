#!/usr/bin/env python3
"""Check every state event haos wrote against tests/fixtures/space/shapes.json.

usage: shapes.py HS_URL SHAPES.json DEVICE_ID...

Reads the test homeserver's request log (GET /_test/requests), keeps the
requests made by the given devices (haos sessions), and extracts each state
event they wrote: PUT .../rooms/R/state/TYPE[/KEY] bodies and the
createRoom initial_state, creation_content (m.room.create) and
power_level_content_override (m.room.power_levels).  Prints one line per
problem and "checked N events: TYPE..." ; exits 1 on any problem.
"""
import json
import re
import sys
import urllib.parse
import urllib.request

ID_RE = {
    "user_id": re.compile(r"^@[^:\s]+:\S+$"),
    "room_id": re.compile(r"^![^:\s]+:\S+$"),
    "mxc": re.compile(r"^mxc://[^/\s]+/\S+$"),
}


def type_ok(kind, v):
    if kind == "string":
        return isinstance(v, str)
    if kind in ID_RE:
        return isinstance(v, str) and bool(ID_RE[kind].match(v))
    if kind == "boolean":
        return isinstance(v, bool)
    if kind == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if kind == "array<string>":
        return isinstance(v, list) and bool(v) and \
            all(isinstance(x, str) for x in v)
    if kind == "array<object>":
        return isinstance(v, list) and bool(v) and \
            all(isinstance(x, dict) for x in v)
    if kind.startswith("object<"):
        kk, vk = kind[7:-1].split(",")
        return isinstance(v, dict) and all(
            type_ok(kk, k) and type_ok(vk, x) for k, x in v.items())
    if kind.startswith("enum:"):
        return v in kind[5:].split("|")
    raise ValueError("unknown type " + kind)


def key_ok(kind, key):
    if kind == "":
        return key == ""
    return type_ok(kind, key)


def check(shapes, etype, key, content, where):
    problems = []
    s = shapes.get(etype)
    if s is None:
        return ["%s: %s is not a state event of the mapping" % (where,
                                                                 etype)]
    if not key_ok(s["state_key"], key):
        problems.append("%s: %s state_key %r is not %s" % (
            where, etype, key, s["state_key"] or "empty"))
    if not isinstance(content, dict):
        return problems + ["%s: %s content is not an object" % (where,
                                                                 etype)]
    if content == {} and s.get("unlink"):
        return problems
    want = set(s["content"])
    optional = set(s.get("optional", []))
    have = set(content)
    if have - want:
        problems.append("%s: %s has keys the mapping does not: %s" % (
            where, etype, sorted(have - want)))
    if want - optional - have:
        problems.append("%s: %s lacks %s" % (where, etype,
                                             sorted(want - optional - have)))
    for k, kind in s["content"].items():
        if k in content and not type_ok(kind, content[k]):
            problems.append("%s: %s.%s = %r is not %s" % (
                where, etype, k, content[k], kind))
    for k, v in s.get("values", {}).items():
        if content.get(k) != v:
            problems.append("%s: %s.%s = %r, the mapping says %r" % (
                where, etype, k, content.get(k), v))
    return problems


def events_of(req):
    """(type, state_key, content) written by one recorded request."""
    path = req["path"]
    body = req.get("body")
    m = re.match(r"^/_matrix/client/(?:v3|r0)/rooms/([^/]+)/state/([^/]+)"
                 r"(?:/(.*))?$", path)
    if req["method"] == "PUT" and m:
        yield (urllib.parse.unquote(m.group(2)),
               urllib.parse.unquote(m.group(3) or ""), body)
        return
    if req["method"] == "POST" and re.match(
            r"^/_matrix/client/(?:v3|r0)/createRoom$", path):
        body = body or {}
        if "creation_content" in body:
            yield ("m.room.create", "", body["creation_content"])
        if "power_level_content_override" in body:
            yield ("m.room.power_levels", "",
                   body["power_level_content_override"])
        for e in body.get("initial_state") or []:
            yield (e.get("type"), e.get("state_key", ""), e.get("content"))


def main():
    url, shapes_path = sys.argv[1:3]
    devices = set(sys.argv[3:])
    with open(shapes_path) as f:
        shapes = {k: v for k, v in json.load(f).items()
                  if not k.startswith("_")}
    with urllib.request.urlopen(url + "/_test/requests", timeout=10) as r:
        log = json.load(r)["requests"]
    problems = []
    seen = {}
    n = 0
    for req in log:
        if req.get("device") not in devices or req.get("status") != 200:
            continue
        for etype, key, content in events_of(req):
            n += 1
            seen[etype] = seen.get(etype, 0) + 1
            problems += check(shapes, etype, key, content,
                              "%s %s" % (req["method"], req["path"]))
    for p in problems:
        print(p)
    print("checked %d events: %s" % (n, " ".join(
        "%s=%d" % (t, c) for t, c in sorted(seen.items()))))
    return 1 if problems or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
