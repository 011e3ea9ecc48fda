"""Synapse classes the Python peers use: the subnet's TextCompressProtocol (v0.0.3 fields) and a synapse with a
required field and required_hash_fields, which exercises placeholders and the body hash."""
from typing import ClassVar, List

import bittensor as bt


class TextCompressProtocol(bt.Synapse):
    context: str = ""
    target_model: str = ""
    tier: str = ""
    compressed_kv_url: str = ""
    compressed_context: str = ""


class HashedEcho(bt.Synapse):
    text: str
    scores: List[float] = []
    reply: str = ""
    required_hash_fields: ClassVar[tuple] = ("text", "scores")


def offline():
    """The SDK looks up the machine's external IP on the internet; tests run offline."""
    import bittensor.utils.networking as networking

    networking.get_external_ip = lambda: "10.255.255.1"
