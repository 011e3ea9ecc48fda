"""SDK 11 client for btauth/1 interop: signs requests with the real `bittensor.http_auth.sign` and sends them to
our axon with the standard library's HTTP client.

Usage: btauth_client.py PORT AXON_HOTKEY
Prints one JSON line: {case: {"status": int, "message": str | None, "body": dict | None}}.
"""
import json
import sys
import time
import urllib.error
import urllib.request

import bittensor_core
from bittensor import http_auth

port, axon_hotkey = int(sys.argv[1]), sys.argv[2]
alice = bittensor_core.Keypair.create_from_uri("//Alice")
eve = bittensor_core.Keypair.create_from_uri("//Eve")  # not registered: the axon's blacklist refuses it
charlie = bittensor_core.Keypair.create_from_uri("//Charlie")


def send(path, body, headers, method="POST"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body if method != "GET" else None, method=method,
                                 headers={**headers, "Content-Type": "application/json"} if method != "GET" else headers)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return {"status": r.status, "message": None, "body": json.loads(r.read())}
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            msg = json.loads(raw).get("message")
        except ValueError:
            msg = raw.decode(errors="replace")
        return {"status": e.code, "message": msg, "body": None}


def signed(signer, path, body, receiver=axon_hotkey, nonce=None, method="POST"):
    return http_auth.sign(signer, method=method, path=path, body=body, receiver_ss58=receiver, nonce_ns=nonce)


out = {}
body = json.dumps({"context": "hello sdk11", "tier": "research"}).encode()
p = "/TextCompressProtocol"
out["success"] = send(p, body, signed(alice, p, body))
out["query"] = send(p + "?trace=1&x=%20y", body, signed(alice, p + "?trace=1&x=%20y", body))
out["metadata_get"] = send("/Metadata", b"", signed(alice, "/Metadata", b"", method="GET"), method="GET")
h = signed(alice, p, body)
out["replay_first"] = send(p, body, h)
out["replay_second"] = send(p, body, h)
bad = dict(signed(alice, p, body))
sig = bytearray(bytes.fromhex(bad["X-Bittensor-Signature"][2:]))
sig[5] ^= 0x01
bad["X-Bittensor-Signature"] = "0x" + sig.hex()
out["bad_signature"] = send(p, body, bad)
out["forged_sender"] = send(p, body, {**signed(eve, p, body), "X-Bittensor-Hotkey": charlie.ss58_address})
out["tampered_body"] = send(p, body + b" ", signed(alice, p, body))
out["stale"] = send(p, body, signed(alice, p, body, nonce=time.time_ns() - 30_000_000_000))
out["future"] = send(p, body, signed(alice, p, body, nonce=time.time_ns() + 30_000_000_000))
out["wrong_receiver"] = send(p, body, signed(alice, p, body, receiver=charlie.ss58_address))
out["no_receiver"] = send(p, body, signed(alice, p, body, receiver=None))
out["unknown_hotkey"] = send(p, body, signed(eve, p, body))
print(json.dumps(out))
