#!/usr/bin/env python3
"""Golden commit hashes for hash commit-reveal, standard library only: blake2b-256 of the SCALE tuple
(hotkey AccountId32, NetUidStorageIndex u16, Vec<u16> uids, Vec<u16> values, Vec<u16> salt, u64 version_key),
NetUidStorageIndex = mecid * 4096 + netuid. Writes chain_commit.json next to this file (or to the path in argv[1]).
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chain_scale import compact, ss58, u16, u64  # noqa: E402


def payload(pub, netuid, mecid, uids, values, salt, version_key):
    def v16(xs):
        return compact(len(xs)) + b"".join(u16(x) for x in xs)
    return pub + u16(mecid * 4096 + netuid) + v16(uids) + v16(values) + v16(salt) + u64(version_key)


def main():
    alice = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
    other = bytes(range(1, 33))
    cases = [
        (alice, 1, 0, [0, 1, 2], [65535, 10922, 3], [1, 2, 3, 4, 5, 6, 7, 8], 0),
        (alice, 47, 0, [5], [65535], [65535] * 8, 40100),
        (other, 47, 1, [0, 3], [32768, 65535], [0] * 8, 2**64 - 1),
        (other, 4095, 15, [], [], [], 1),
        (alice, 19, 2, list(range(70)), [(i * 937) % 65536 for i in range(70)], [7, 7, 7, 7, 7, 7, 7, 7], 123456789),
    ]
    out = []
    for pub, netuid, mecid, uids, values, salt, vk in cases:
        data = payload(pub, netuid, mecid, uids, values, salt, vk)
        out.append({
            "hotkey": ss58(pub), "netuid": netuid, "mecid": mecid, "uids": uids, "values": values, "salt": salt,
            "version_key": str(vk), "payload_hex": data.hex(),
            "hash": "0x" + hashlib.blake2b(data, digest_size=32).hexdigest(),
        })
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "chain_commit.json")
    with open(path, "w") as f:
        json.dump({"generator": "scripts/golden/chain_commit.py", "cases": out}, f, indent=1)
        f.write("\n")
    print(f"wrote {path}: {len(out)} cases")


if __name__ == "__main__":
    main()
