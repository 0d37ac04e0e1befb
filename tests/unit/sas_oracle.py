#!/usr/bin/env python3
"""The spec's SAS algorithm done independently of libolm, for check_sas.c.

X25519 of two fixed private keys, HKDF-SHA256 (no salt) of the shared
secret with the SAS info string, the emoji and decimal numbers of its
bytes, and the hkdf-hmac-sha256.v2 MAC (HMAC-SHA256 under a 32-byte
HKDF key, unpadded base64).  Prints the values check_sas.c hard-codes;
run it again to check them (python3-cryptography).
"""
import base64
import hashlib
import hmac

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def b64(b):
    return base64.b64encode(b).decode().rstrip("=")


def hkdf(secret, info, n):
    return HKDF(algorithm=hashes.SHA256(), length=n, salt=None,
                info=info.encode()).derive(secret)


A = bytes(range(1, 33))          # the "random" bytes of side A
B = bytes(range(101, 133))
a = X25519PrivateKey.from_private_bytes(A)
b = X25519PrivateKey.from_private_bytes(B)
raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
apub = b64(a.public_key().public_bytes(*raw))
bpub = b64(b.public_key().public_bytes(*raw))
secret = a.exchange(b.public_key())
info = ("MATRIX_KEY_VERIFICATION_SAS|@alice:hs|ALICEDEV|%s|@bob:hs|BOBDEV|%s|"
        "txn1" % (apub, bpub))
sas = hkdf(secret, info, 6)
v = int.from_bytes(sas, "big")
emoji = [(v >> (48 - 6 * (i + 1))) & 63 for i in range(7)]
d = int.from_bytes(sas[:5], "big") >> 1
dec = [((d >> 26) & 0x1fff) + 1000, ((d >> 13) & 0x1fff) + 1000,
       (d & 0x1fff) + 1000]
macinfo = "MATRIX_KEY_VERIFICATION_MAC@alice:hsALICEDEV@bob:hsBOBDEVtxn1" \
    "ed25519:ALICEDEV"
mac = b64(hmac.new(hkdf(secret, macinfo, 32), b"ALICEKEY",
                   hashlib.sha256).digest())
print("apub", apub)
print("bpub", bpub)
print("sas", sas.hex())
print("emoji", emoji)
print("decimal", dec)
print("mac", mac)
