#!/usr/bin/env python3
"""Oracle for test/chain/timelock.test.ts: the real bittensor-drand (in .venv-bt) judges our timelocked commits.

stdin: {"decrypt": [{"ct": hex, "sig": hex, "round": int, "payload"?: {hotkey, uids, values, version_key}}], "rounds": [{...EpochScheduleState, "period", "block_time",
"uids", "values", "hotkey": hex}]}
stdout: {"version", "decrypt": [{"plain", "expected"?} | {"error"}], "rounds": [{"t0", "t1", "round", "len"} | {"error"}]}
"""
import json
import sys
import time
from importlib.metadata import version

import bittensor_drand as drand


def compact(n: int) -> bytes:
    if n < 1 << 6:
        return bytes([n << 2])
    if n < 1 << 14:
        return ((n << 2) | 1).to_bytes(2, "little")
    return ((n << 2) | 2).to_bytes(4, "little")


req = json.load(sys.stdin)
out = {"version": version("bittensor-drand"), "decrypt": [], "rounds": []}
for d in req.get("decrypt", []):
    ct = bytes.fromhex(d["ct"])
    # decrypt_with_signature takes the UserData wrapper of its own encrypt API: SCALE (Vec<u8> ciphertext, u64 round).
    wrapped = compact(len(ct)) + ct + int(d["round"]).to_bytes(8, "little")
    try:
        plain = drand.decrypt_with_signature(wrapped, d["sig"])
        entry = {"plain": plain.hex()}
        if "payload" in d:
            # WeightsTlockPayload encoded here, by hand, independently of our TypeScript encoder.
            p = d["payload"]
            hk = bytes.fromhex(p["hotkey"])
            mine = compact(len(hk)) + hk
            mine += compact(len(p["uids"])) + b"".join(u.to_bytes(2, "little") for u in p["uids"])
            mine += compact(len(p["values"])) + b"".join(v.to_bytes(2, "little") for v in p["values"])
            mine += int(p["version_key"]).to_bytes(8, "little")
            entry["expected"] = mine.hex()
        out["decrypt"].append(entry)
    except Exception as e:  # noqa: BLE001 - the test asserts on which cases fail
        out["decrypt"].append({"error": str(e)})
for r in req.get("rounds", []):
    t0 = time.time()
    try:
        ct, rnd = drand.get_encrypted_commit_v2(
            uids=r["uids"],
            weights=r["values"],
            version_key=r["version_key"],
            last_epoch_block=r["lastEpochBlock"],
            pending_epoch_at=r["pendingEpochAt"],
            subnet_epoch_index=r["subnetEpochIndex"],
            tempo=r["tempo"],
            blocks_since_last_step=r["blocksSinceLastStep"],
            current_block=r["currentBlock"],
            subnet_reveal_period_epochs=r["period"],
            block_time=r["block_time"],
            hotkey=bytes.fromhex(r["hotkey"]),
        )
        t1 = time.time()
        out["rounds"].append({"t0": t0, "t1": t1, "round": rnd, "len": len(ct)})
    except Exception as e:  # noqa: BLE001
        out["rounds"].append({"error": str(e)})
json.dump(out, sys.stdout)
