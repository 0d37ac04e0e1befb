#!/usr/bin/python3
"""Reference oracles for the crypto unit tests (tests/unit/check_crypto.c).

Debian's python3-canonicaljson and python3-signedjson, the libraries
Synapse uses, judge haos's canonical JSON and signatures:

  json_oracle.py canonical IN OUT
      each line of IN is a JSON value; OUT gets its canonical JSON, one
      per line (canonical JSON never holds a raw newline).
  json_oracle.py verify IN
      each line of IN is {"obj", "user", "device", "key", "valid"}: the
      signature of user's ed25519:device on obj must verify with key
      (unpadded base64) exactly when valid is true.

Exit status 0 when every line is as expected; else the first bad line
is named on stderr.
"""
import base64
import json
import sys

import canonicaljson
import signedjson.key
import signedjson.sign


def b64decode(s):
    return base64.b64decode(s + "=" * (-len(s) % 4))


def canonical(src, dst):
    with open(src, "rb") as f, open(dst, "wb") as out:
        for line in f:
            out.write(canonicaljson.encode_canonical_json(json.loads(line)))
            out.write(b"\n")
    return 0


def verify(src):
    with open(src, "rb") as f:
        for n, line in enumerate(f, 1):
            case = json.loads(line)
            key = signedjson.key.decode_verify_key_bytes(
                "ed25519:" + case["device"], b64decode(case["key"]))
            try:
                signedjson.sign.verify_signed_json(case["obj"], case["user"],
                                                   key)
                ok = True
            except signedjson.sign.SignatureVerifyException:
                ok = False
            if ok != case["valid"]:
                sys.stderr.write("line %d: signature %s, expected %s\n" %
                                 (n, "verifies" if ok else "fails",
                                  "valid" if case["valid"] else "invalid"))
                return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "canonical":
        sys.exit(canonical(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 3 and sys.argv[1] == "verify":
        sys.exit(verify(sys.argv[2]))
    sys.stderr.write(__doc__)
    sys.exit(2)
