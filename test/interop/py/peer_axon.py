"""A bittensor 10.x axon for interop tests and the axon benchmark.

Usage: peer_axon.py WALLET_PATH WALLET_NAME HOTKEY PORT [DENY_HOTKEY]
Serves TextCompressProtocol (forward upper-cases context into compressed_context) and HashedEcho, blacklists
DENY_HOTKEY, prints READY once the port accepts connections and exits when stdin closes.
"""
import socket
import sys
import time
from typing import Tuple

from peer_synapses import HashedEcho, TextCompressProtocol, offline

offline()
import bittensor as bt  # noqa: E402

wallet_path, wallet_name, hotkey, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
deny = sys.argv[5] if len(sys.argv) > 5 else None
wallet = bt.Wallet(name=wallet_name, hotkey=hotkey, path=wallet_path)


def forward_text(synapse: TextCompressProtocol) -> TextCompressProtocol:
    synapse.compressed_context = f"{synapse.dendrite.hotkey}:{synapse.context.upper()}"
    return synapse


def blacklist_text(synapse: TextCompressProtocol) -> Tuple[bool, str]:
    if deny and synapse.dendrite.hotkey == deny:
        return True, "unknown hotkey"
    return False, "ok"


def forward_hashed(synapse: HashedEcho) -> HashedEcho:
    synapse.reply = f"{synapse.text}|{len(synapse.scores)}"
    return synapse


axon = bt.Axon(wallet=wallet, port=port, ip="127.0.0.1", external_ip="127.0.0.1")
axon.attach(forward_fn=forward_text, blacklist_fn=blacklist_text)
axon.attach(forward_fn=forward_hashed)
axon.start()
deadline = time.time() + 60
while True:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        break
    except OSError:
        if time.time() > deadline:
            print("FAILED to listen", flush=True)
            sys.exit(1)
        time.sleep(0.1)
print("READY", flush=True)
sys.stdin.read()
axon.stop()
