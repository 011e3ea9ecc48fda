"""Check 24 of the container spec in Python: the miner hotkey's sr25519 signature over the signing message.

The message is built by the worker package's own `signing_message` (one home for the format); the
schnorrkel verification is py-sr25519-bindings (Python bindings of the Rust schnorrkel crate), whose signing
context is "substrate", the one @polkadot/util-crypto signs with (the golden signed files verify)."""
from __future__ import annotations

from condense_worker.container import ContainerHeader, signing_message
from condense_worker.container.ss58 import ss58_public_key

from .errors import ClientError


def _sr25519():
    try:
        import sr25519  # py-sr25519-bindings
    except ImportError:
        return None
    return sr25519


def signature_available() -> bool:
    return _sr25519() is not None


def verify_signature(header: ContainerHeader, required: bool) -> bool:
    """True when the container is signed and the signature verifies against its miner_hotkey.

    An unsigned container is refused (UNSIGNED) when `required`, else returns False. A signature that does
    not verify is always refused (BAD_SIGNATURE): a forged signature is worse than none."""
    meta = header.meta
    if not meta.signed:
        if required:
            raise ClientError("UNSIGNED", "the container carries no signature")
        return False
    lib = _sr25519()
    if lib is None:
        raise ClientError("SIGNATURE_UNAVAILABLE", "the container is signed but py-sr25519-bindings is not "
                          "installed to verify it (pip install py-sr25519-bindings, or pass verify_signature=False)")
    key = ss58_public_key(meta.miner_hotkey)  # the header check already refused a malformed address
    message = signing_message(meta.raw, header.tensors)
    try:
        ok = lib.verify(bytes.fromhex(meta.signature), message, key)
    except (ValueError, TypeError) as err:
        raise ClientError("BAD_SIGNATURE", f"signature does not parse: {err}") from None
    if not ok:
        raise ClientError("BAD_SIGNATURE", f"the signature does not verify against {meta.miner_hotkey}")
    return True
