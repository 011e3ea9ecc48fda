#!/usr/bin/env python3
"""Golden SCALE encodings of the subtensor values we decode and the calls we send, standard library only.

Field orders follow pallets/subtensor/src/rpc_info/{neuron_info,metagraph}.rs and the call signatures in
macros/dispatches.rs (SubtensorModule is pallet 7). Writes chain_scale.json next to this file (or to the path in argv[1]).
"""
import hashlib
import json
import os
import sys

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def compact(n):
    if n < 1 << 6:
        return bytes([n << 2])
    if n < 1 << 14:
        return ((n << 2) | 1).to_bytes(2, "little")
    if n < 1 << 30:
        return ((n << 2) | 2).to_bytes(4, "little")
    b = n.to_bytes((n.bit_length() + 7) // 8, "little")
    return bytes([((len(b) - 4) << 2) | 3]) + b


def u8(n): return n.to_bytes(1, "little")
def u16(n): return n.to_bytes(2, "little")
def u32(n): return n.to_bytes(4, "little")
def u64(n): return n.to_bytes(8, "little")
def u128(n): return n.to_bytes(16, "little")
def boolean(b): return b"\x01" if b else b"\x00"
def vec(items, enc): return compact(len(items)) + b"".join(enc(x) for x in items)
def some(b): return b"\x01" + b
NONE = b"\x00"


def ss58(pub, prefix=42):
    body = bytes([prefix]) + pub
    check = hashlib.blake2b(b"SS58PRE" + body, digest_size=64).digest()[:2]
    raw = body + check
    n = int.from_bytes(raw, "big")
    s = ""
    while n:
        n, r = divmod(n, 58)
        s = ALPHABET[r] + s
    return "1" * (len(raw) - len(raw.lstrip(b"\x00"))) + s


def key(i):
    return bytes([i] * 32)


def ipv4(s):
    a, b, c, d = (int(x) for x in s.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def axon(block, version, ip, port, ip_type, protocol=4):
    return u64(block) + u32(version) + u128(ip) + u16(port) + u8(ip_type) + u8(protocol) + u8(0) + u8(0)


def prometheus(block, version, ip, port, ip_type):
    return u64(block) + u32(version) + u128(ip) + u16(port) + u8(ip_type)


def neuron_lite(n):
    return (
        n["hotkey"] + n["coldkey"] + compact(n["uid"]) + compact(n["netuid"]) + boolean(n["active"])
        + axon(*n["axon"]) + prometheus(0, 0, 0, 0, 0)
        + vec([(n["coldkey"], n["stake"])], lambda e: e[0] + compact(e[1]))
        + compact(0) + compact(n["emission"]) + compact(n["incentive"]) + compact(0) + compact(0) + compact(0)
        + compact(n["dividends"]) + compact(n["last_update"]) + boolean(n["validator_permit"]) + compact(0)
    )


NEURONS = [
    {"hotkey": key(1), "coldkey": key(2), "uid": 0, "netuid": 47, "active": True,
     "axon": (4_000_123, 10_002_000, ipv4("203.0.113.7"), 8091, 4), "stake": 1_500_000_000_000,
     "emission": 123_456_789, "incentive": 0, "dividends": 65535, "last_update": 4_000_100, "validator_permit": True},
    {"hotkey": key(3), "coldkey": key(4), "uid": 1, "netuid": 47, "active": True,
     "axon": (4_000_050, 0, 0x20010db8000000000000000000000001, 9000, 6), "stake": 7,
     "emission": 2**40, "incentive": 32768, "dividends": 0, "last_update": 0, "validator_permit": False},
]

# SelectiveMetagraph field kinds in index order; only requested indexes are Some.
NEURON_INDEXES = [0, 7, 52, 53, 55, 56, 57, 59, 60, 61, 62, 67, 68, 69]
FIELD_COUNT = 74


def selective_metagraph(netuid, block, neurons, total_stakes):
    fields = {
        7: compact(block),
        52: vec([x["hotkey"] for x in neurons], lambda k: k),
        53: vec([x["coldkey"] for x in neurons], lambda k: k),
        55: vec([x["axon"] for x in neurons], lambda a: axon(*a)),
        56: vec([x["active"] for x in neurons], boolean),
        57: vec([x["validator_permit"] for x in neurons], boolean),
        59: vec([x["last_update"] for x in neurons], compact),
        60: vec([x["emission"] for x in neurons], compact),
        61: vec([x["dividends"] for x in neurons], compact),
        62: vec([x["incentive"] for x in neurons], compact),
        67: vec([x["stake"] for x in neurons], compact),
        68: vec([0 for _ in neurons], compact),
        69: vec(total_stakes, compact),
    }
    out = compact(netuid)
    for i in range(1, FIELD_COUNT):
        out += some(fields[i]) if i in fields else NONE
    return some(out)


HYPER = {8: ("tempo", 360), 24: ("min_allowed_weights", 8), 25: ("max_weights_limit", 19660),
         26: ("weights_version", 40100), 27: ("weights_rate_limit", 100), 29: ("max_validators", 64),
         30: ("num_uids", 256), 31: ("max_uids", 256), 32: ("burn", 2**33 + 5), 34: ("registration_allowed", True),
         36: ("immunity_period", 5000), 45: ("serving_rate_limit", 50), 46: ("commit_reveal_weights_enabled", True),
         47: ("commit_reveal_period", 1)}


def selective_hyper(netuid):
    out = compact(netuid)
    for i in range(1, FIELD_COUNT):
        if i in HYPER:
            v = HYPER[i][1]
            out += some(boolean(v) if isinstance(v, bool) else compact(v))
        else:
            out += NONE
    return some(out)


def call(index, args):
    return bytes([7, index]) + args


def main():
    alice = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
    neurons_json = [
        {**{k: v for k, v in n.items() if k not in ("hotkey", "coldkey", "axon")},
         "hotkey": ss58(n["hotkey"]), "coldkey": ss58(n["coldkey"]),
         "axon": dict(zip(["block", "version", "ip", "port", "ip_type"], [str(x) if i == 2 else x for i, x in enumerate(n["axon"])]))}
        for n in NEURONS
    ]
    calls = {
        "set_weights": (call(0, u16(47) + vec([0, 1, 5], u16) + vec([65535, 10922, 1], u16) + u64(40100)),
                        {"netuid": 47, "dests": [0, 1, 5], "weights": [65535, 10922, 1], "version_key": 40100}),
        "serve_axon": (call(4, u16(47) + u32(10002000) + u128(ipv4("203.0.113.7")) + u16(8091) + u8(4) + u8(4) + u8(0) + u8(0)),
                       {"netuid": 47, "version": 10002000, "ip": "203.0.113.7", "port": 8091, "protocol": 4}),
        "burned_register": (call(7, u16(47) + alice), {"netuid": 47, "hotkey": ss58(alice)}),
        "commit_weights": (call(96, u16(47) + bytes(range(32))), {"netuid": 47, "commit_hash": "0x" + bytes(range(32)).hex()}),
        "reveal_weights": (call(97, u16(47) + vec([0, 2], u16) + vec([65535, 3], u16) + vec([1, 2, 3, 4, 5, 6, 7, 8], u16) + u64(7)),
                           {"netuid": 47, "uids": [0, 2], "values": [65535, 3], "salt": [1, 2, 3, 4, 5, 6, 7, 8], "version_key": 7}),
        "commit_mechanism_weights": (call(115, u16(47) + u8(1) + bytes(range(32))),
                                     {"netuid": 47, "mecid": 1, "commit_hash": "0x" + bytes(range(32)).hex()}),
        "reveal_mechanism_weights": (call(116, u16(47) + u8(1) + vec([0, 2], u16) + vec([65535, 3], u16) + vec([9, 9], u16) + u64(2**64 - 1)),
                                     {"netuid": 47, "mecid": 1, "uids": [0, 2], "values": [65535, 3], "salt": [9, 9], "version_key": str(2**64 - 1)}),
        "set_mechanism_weights": (call(119, u16(47) + u8(0) + vec(list(range(70)), u16) + vec([65535] * 70, u16) + u64(1)),
                                  {"netuid": 47, "mecid": 0, "dests": list(range(70)), "weights": [65535] * 70, "version_key": 1}),
    }
    out = {
        "generator": "scripts/golden/chain_scale.py",
        "compact": [{"value": str(v), "hex": compact(v).hex()} for v in [0, 1, 63, 64, 16383, 16384, 2**30 - 1, 2**30, 2**32, 2**64 - 1]],
        "ss58": [{"pubkey": alice.hex(), "address": ss58(alice)}, {"pubkey": key(1).hex(), "address": ss58(key(1))}],
        "axon_info": [
            {"hex": axon(*NEURONS[0]["axon"]).hex(), "ip": "203.0.113.7", "ip_type": 4, "port": 8091, "block": 4_000_123, "version": 10_002_000},
            {"hex": axon(*NEURONS[1]["axon"]).hex(), "ip": "2001:db8::1", "ip_type": 6, "port": 9000, "block": 4_000_050, "version": 0},
        ],
        "neuron_info_lite": {"hex": neuron_lite(NEURONS[0]).hex(), "expect": neurons_json[0]},
        "neurons_lite_vec": {"hex": vec(NEURONS, neuron_lite).hex(), "netuid": 47, "expect": neurons_json},
        "selective_args": {"netuid": 47, "indexes": NEURON_INDEXES, "hex": (u16(47) + vec(NEURON_INDEXES, u16)).hex()},
        "selective_metagraph": {
            "hex": selective_metagraph(47, 4_000_200, NEURONS, [1_600_000_000_000, 7]).hex(),
            "netuid": 47, "block": 4_000_200, "expect": neurons_json, "total_stake": [1_600_000_000_000, 7],
        },
        "selective_hyperparameters": {"hex": selective_hyper(47).hex(), "expect": {v[0]: (str(v[1]) if v[0] == "burn" else v[1]) for v in HYPER.values()}},
        "calls": {name: {"hex": b.hex(), "args": a} for name, (b, a) in calls.items()},
    }
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "chain_scale.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
