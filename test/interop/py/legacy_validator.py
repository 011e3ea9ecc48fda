"""A subnet v0.0.3 validator's research-tier round against a miner, with the official SDK's dendrite: ask
Metadata, send TextCompressProtocol (model Condense-AI/Mistral-7B-Instruct-v0.2, a 15,000-character
chat-templated context, no tier, util_data and task_data at their defaults), then check the answer as
TextCompressProtocol.verify does: an http(s) URL ending in .npy, HEAD 200, a float32 [L, 2, 1, H, T, D]
array with 128 <= T <= 1536. Prints one JSON object.

Usage: legacy_validator.py AXON_PORT AXON_HOTKEY
"""
import asyncio
import io
import json
import re
import sys
import urllib.request

import numpy as np

from peer_synapses import offline

offline()
import bittensor as bt  # noqa: E402
from bittensor.core.chain_data import AxonInfo  # noqa: E402
from bittensor_wallet import Keypair  # noqa: E402

from legacy_protocol import Metadata, TaskData, TextCompressProtocol  # noqa: E402

port, axon_hotkey = int(sys.argv[1]), sys.argv[2]
target = AxonInfo(version=0, ip="127.0.0.1", port=port, ip_type=4, hotkey=axon_hotkey, coldkey=axon_hotkey)
validator = Keypair.create_from_uri("//Alice")

MODEL = "Condense-AI/Mistral-7B-Instruct-v0.2"
body = " ".join(f"Record {i}: crate {i * 37 % 101} reached port {i % 7}." for i in range(2000))
CONTEXT = ("<s> [INST] " + body)[:15000]


async def main():
    out = {"context_chars": len(CONTEXT)}
    d = bt.Dendrite(wallet=validator)
    m = await d.call(target_axon=target, synapse=Metadata(), timeout=10, deserialize=False)
    out["metadata"] = {"status": m.dendrite.status_code, "tier": m.metadata.get("tier")}
    # The validator keeps ground truth in task_data; the synapse carries the fields at their defaults.
    syn = TextCompressProtocol(context=CONTEXT, target_model=MODEL, task_data=TaskData())
    r = await d.call(target_axon=target, synapse=syn, timeout=60, deserialize=False)
    out["compress"] = {"status": r.dendrite.status_code, "message": r.dendrite.status_message, "url": r.compressed_kv_url}
    url = r.compressed_kv_url
    out["url_ok"] = bool(re.match(r"^https?://.*\.npy$", url or ""))
    if out["url_ok"]:
        head = urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=30)
        out["head_status"] = head.status
        data = urllib.request.urlopen(url, timeout=60).read()
        arr = np.load(io.BytesIO(data), allow_pickle=False).astype(np.float32)
        out["shape"] = list(arr.shape)
        out["finite"] = bool(np.isfinite(arr).all())
    print(json.dumps(out), flush=True)


asyncio.run(main())
