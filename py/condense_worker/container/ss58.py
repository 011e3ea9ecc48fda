"""The miner_hotkey rule (README): ss58 of a 32-byte key with a one-byte prefix; mirror of ts/container/ss58.ts."""
from __future__ import annotations

import hashlib
import re

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
# 35 bytes (prefix, key, 2-byte checksum) are 47 or 48 base58 characters; 46 allows leading zeros
SS58_SHAPE = re.compile(r"[1-9A-HJ-NP-Za-km-z]{46,48}")


def ss58_public_key(address: str) -> bytes | None:
    """The 32-byte public key of `address`, or None when it is not such an address. Bounded work."""
    if not SS58_SHAPE.fullmatch(address):  # the length check comes before any decoding
        return None
    n = 0
    for c in address:
        n = n * 58 + _INDEX[c]
    zeros = len(address) - len(address.lstrip("1"))
    raw = b"\0" * zeros + (n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b"")
    if len(raw) != 35 or raw[0] > 63:
        return None
    if hashlib.blake2b(b"SS58PRE" + raw[:33], digest_size=64).digest()[:2] != raw[33:]:
        return None
    return raw[1:33]
