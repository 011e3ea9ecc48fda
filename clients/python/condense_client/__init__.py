"""condense_client: load a condense KV container (URL or path) into a transformers cache and ask it questions.

    from condense_client import load_container
    c = load_container(url, model="smollm2", expected_context=context, expected_hotkey=hotkey)
    print(c.kept_tokens, c.answer("What is the code?", max_new_tokens=32))

Guide: docs/client.md. Every refusal is a ClientError with a stable `code`.
"""
from .address import AddressPolicy, check_address, classify
from .errors import ClientError
from .fetch import Downloaded, FetchPolicy, check_url, download
from .loader import DEFAULT_MAX_BYTES, LoadedContainer, load_container, max_container_bytes
from .signature import signature_available, verify_signature

__all__ = [
    "AddressPolicy", "check_address", "classify", "ClientError", "Downloaded", "FetchPolicy", "check_url", "download",
    "DEFAULT_MAX_BYTES", "LoadedContainer", "load_container", "max_container_bytes", "signature_available",
    "verify_signature",
]
