"""The bittensor 10.x dendrite against an axon under test; prints one JSON object with each scenario's outcome.

Usage: peer_dendrite.py AXON_PORT AXON_HOTKEY
Scenarios: success (TextCompressProtocol), hashed (required field + required_hash_fields), blacklisted (//Eve),
bad_signature, missing_signature, replayed_nonce (second call reuses the first call's nonce).
"""
import asyncio
import json
import sys
import time

from peer_synapses import HashedEcho, TextCompressProtocol, offline

offline()
import bittensor as bt  # noqa: E402
from bittensor.core.chain_data import AxonInfo  # noqa: E402
from bittensor_wallet import Keypair  # noqa: E402

port, axon_hotkey = int(sys.argv[1]), sys.argv[2]
target = AxonInfo(version=0, ip="127.0.0.1", port=port, ip_type=4, hotkey=axon_hotkey, coldkey=axon_hotkey)
alice = Keypair.create_from_uri("//Alice")
eve = Keypair.create_from_uri("//Eve")


def outcome(r):
    return {
        "status": r.dendrite.status_code,
        "message": r.dendrite.status_message,
        "axon_status": r.axon.status_code,
        "fields": {k: v for k, v in r.model_dump().items() if k in ("context", "compressed_context", "text", "reply", "scores")},
    }


class BadSignatureDendrite(bt.Dendrite):
    def preprocess_synapse_for_request(self, target_axon_info, synapse, timeout=12.0):
        synapse = super().preprocess_synapse_for_request(target_axon_info, synapse, timeout)
        sig = synapse.dendrite.signature
        synapse.dendrite.signature = sig[:-2] + ("00" if sig[-2:] != "00" else "11")
        return synapse


class NoSignatureDendrite(bt.Dendrite):
    def preprocess_synapse_for_request(self, target_axon_info, synapse, timeout=12.0):
        synapse = super().preprocess_synapse_for_request(target_axon_info, synapse, timeout)
        synapse.dendrite.signature = None
        return synapse


async def main():
    out = {}
    d = bt.Dendrite(wallet=alice)
    r = await d.call(target_axon=target, synapse=TextCompressProtocol(context="hello", target_model="m"), timeout=10, deserialize=False)
    out["success"] = outcome(r)
    r = await d.call(target_axon=target, synapse=HashedEcho(text="it's", scores=[1, 0.5]), timeout=10, deserialize=False)
    out["hashed"] = outcome(r)
    r = await bt.Dendrite(wallet=eve).call(target_axon=target, synapse=TextCompressProtocol(context="x"), timeout=10, deserialize=False)
    out["blacklisted"] = outcome(r)
    r = await BadSignatureDendrite(wallet=alice).call(target_axon=target, synapse=TextCompressProtocol(context="x"), timeout=10, deserialize=False)
    out["bad_signature"] = outcome(r)
    r = await NoSignatureDendrite(wallet=alice).call(target_axon=target, synapse=TextCompressProtocol(context="x"), timeout=10, deserialize=False)
    out["missing_signature"] = outcome(r)
    # Replay: freeze the nonce clock so the second request carries the first one's nonce.
    frozen = time.time_ns()
    real = time.time_ns
    time.time_ns = lambda: frozen
    try:
        d2 = bt.Dendrite(wallet=alice)
        first = await d2.call(target_axon=target, synapse=TextCompressProtocol(context="once"), timeout=10, deserialize=False)
        second = await d2.call(target_axon=target, synapse=TextCompressProtocol(context="once"), timeout=10, deserialize=False)
    finally:
        time.time_ns = real
    out["replay_first"] = outcome(first)
    out["replayed_nonce"] = outcome(second)
    print(json.dumps(out), flush=True)


asyncio.run(main())
