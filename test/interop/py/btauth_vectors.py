"""Golden vectors for btauth/1 from the real SDK (bittensor 11.x, `bittensor.http_auth`), run in .venv-bt11.

Writes JSON to stdout (the committed copy is test/interop/py/btauth_vectors.json):
- "sign": requests signed by `http_auth.sign` with their exact payload bytes (`build_payload`), for sr25519 and
  ed25519 hotkeys, queries, empty/unicode/binary bodies, bound and unbound receivers. Our signer must build the
  same payload; our verifier must accept the SDK's signature.
- "verify": header sets (good and mutated) with the outcome of `http_auth.verify` at a fixed clock: "ok" or the
  AuthError subclass name. Our verifier must give the same outcome for each.

Usage: .venv-bt11/bin/python test/interop/py/btauth_vectors.py > test/interop/py/btauth_vectors.json
"""

import json
import sys

import bittensor
import bittensor_core
from bittensor import http_auth

SR, ED = bittensor_core.CRYPTO_SR25519, bittensor_core.CRYPTO_ED25519
NOW = 1_760_000_000_000_000_000  # fixed clock for every vector (ns)


def key(uri, crypto=SR):
    return bittensor_core.Keypair.create_from_uri(uri, crypto)


alice, bob, eve = key("//Alice"), key("//Bob"), key("//Eve")
alice_ed = key("//Alice", ED)


def sign_case(name, signer, method, path, body, receiver, nonce):
    headers = http_auth.sign(signer, method=method, path=path, body=body, receiver_ss58=receiver, nonce_ns=nonce)
    scheme = "ed25519" if signer.crypto_type == ED else "sr25519"
    payload = http_auth.build_payload(
        scheme=scheme, method=method, path=path, body=body, nonce_ns=nonce, sender_ss58=signer.ss58_address, receiver_ss58=receiver
    )
    # the SDK's own verifier accepts it (unbound requests only with require_receiver=False)
    http_auth.verify(
        headers, body, method=method, path=path, self_hotkey_ss58=receiver or "-", require_receiver=receiver is not None,
        nonce_store=http_auth.InMemoryNonceStore(), now_ns=nonce,
    )
    return {"name": name, "method": method, "path": path, "body_hex": body.hex(), "receiver": receiver, "nonce": str(nonce),
            "sender": signer.ss58_address, "scheme": scheme, "headers": headers, "payload_hex": payload.hex()}


def outcome(headers, body, method, path, self_hotkey, now=NOW, store=None, require_receiver=True):
    try:
        http_auth.verify(headers, body, method=method, path=path, self_hotkey_ss58=self_hotkey, now_ns=now,
                         nonce_store=store or http_auth.InMemoryNonceStore(), require_receiver=require_receiver)
        return "ok"
    except http_auth.AuthError as e:
        return type(e).__name__


def main():
    body = b'{"context": "hello", "tier": "research"}'
    signs = [
        sign_case("post json", alice, "POST", "/TextCompressProtocol", body, bob.ss58_address, NOW),
        sign_case("lowercase method, query", alice, "post", "/TextCompressProtocol?x=1&y=%20z", body, bob.ss58_address, NOW + 1),
        sign_case("empty body GET", alice, "GET", "/Metadata", b"", bob.ss58_address, NOW + 2),
        sign_case("unicode and binary body", alice, "POST", "/e", "héllo ✓ 𝄞".encode() + b"\x00\xff", bob.ss58_address, NOW + 3),
        sign_case("no receiver", alice, "POST", "/open", body, None, NOW + 4),
        sign_case("ed25519 sender", alice_ed, "POST", "/TextCompressProtocol", body, bob.ss58_address, NOW + 5),
    ]

    base = signs[0]
    m, p, b = "POST", "/TextCompressProtocol", body
    me = bob.ss58_address
    h = base["headers"]
    cases = []

    def case(name, headers, body=b, method=m, path=p, self_hotkey=me, now=NOW, require_receiver=True):
        cases.append({"name": name, "headers": headers, "body_hex": body.hex(), "method": method, "path": path, "self": self_hotkey,
                      "now": str(now), "require_receiver": require_receiver,
                      "expect": outcome(headers, body, method, path, self_hotkey, now, require_receiver=require_receiver)})

    def without(k):
        return {x: v for x, v in h.items() if x != k}

    case("good", h)
    case("header names in any case", {k.lower(): v for k, v in h.items()})
    case("version 2", {**h, "X-Bittensor-Version": "2"})
    case("no version", without("X-Bittensor-Version"))
    case("no hotkey", without("X-Bittensor-Hotkey"))
    case("no nonce", without("X-Bittensor-Nonce"))
    case("nonce not an int", {**h, "X-Bittensor-Nonce": "12ab"})
    case("nonce with spaces", {**h, "X-Bittensor-Nonce": f" {h['X-Bittensor-Nonce']} "})
    case("no signature", without("X-Bittensor-Signature"))
    case("signature not hex", {**h, "X-Bittensor-Signature": "0xzz"})
    case("signature without 0x", {**h, "X-Bittensor-Signature": h["X-Bittensor-Signature"][2:]})
    case("short signature", {**h, "X-Bittensor-Signature": h["X-Bittensor-Signature"][:-2]})
    case("unknown crypto", {**h, "X-Bittensor-Crypto": "ecdsa"})
    case("crypto code 1 = sr25519", {**h, "X-Bittensor-Crypto": "1"})
    case("crypto ed25519 on an sr25519 signature", {**h, "X-Bittensor-Crypto": "ed25519"})
    case("wrong receiver", h, self_hotkey=eve.ss58_address)
    case("no receiver, required", without("X-Bittensor-Receiver"))
    case("stale (11 s)", h, now=NOW + 11_000_000_000)
    case("10 s old is still fresh", h, now=NOW + 10_000_000_000)
    case("from the future (3 s)", h, now=NOW - 3_000_000_000)
    case("2 s ahead is fine", h, now=NOW - 2_000_000_000)
    case("forged by eve", {**h, "X-Bittensor-Hotkey": eve.ss58_address})
    case("tampered body", h, body=b + b" ")
    case("other path", h, path="/Metadata")
    case("query added", h, path=p + "?a=1")
    case("other method", h, method="PUT")
    case("bad ss58 hotkey", {**h, "X-Bittensor-Hotkey": "5NotAnAddress"})
    case("stale and wrong receiver: receiver checked first", h, self_hotkey=eve.ss58_address, now=NOW + 60_000_000_000)
    case("stale and forged: freshness checked first", {**h, "X-Bittensor-Hotkey": eve.ss58_address}, now=NOW + 60_000_000_000)
    q = signs[1]
    case("query vector", q["headers"], body=bytes.fromhex(q["body_hex"]), method="POST", path=q["path"], now=int(q["nonce"]))
    e = signs[5]
    case("ed25519 vector", e["headers"], now=int(e["nonce"]))
    u = signs[4]
    case("unbound, require_receiver=False", u["headers"], path="/open", now=int(u["nonce"]), require_receiver=False)

    # replay: the same request twice against one store
    store = http_auth.InMemoryNonceStore()
    first = outcome(h, b, m, p, me, store=store)
    second = outcome(h, b, m, p, me, store=store)

    json.dump({"sdk": bittensor.__version__, "now": str(NOW), "sign": signs, "verify": cases, "replay": [first, second]}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
