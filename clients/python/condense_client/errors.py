"""ClientError: every refusal of the client, with a stable code.

Download codes are the validator's refusal codes (ts/validator/verify/reasons.ts); container codes are the
container reader's (proto/container/README.md), passed through unchanged; a few are the client's own."""
from __future__ import annotations

FETCH_CODES = frozenset({
    "URL_INVALID", "URL_SCHEME", "ADDRESS_REFUSED", "DNS_FAILED", "REDIRECT_REFUSED", "TOO_MANY_REDIRECTS",
    "HTTP_STATUS", "SIZE_DECLARED", "SIZE_EXCEEDED", "DEADLINE", "NETWORK", "IO",
})
CLIENT_CODES = frozenset({
    "NOT_FOUND",          # a local path that does not exist
    "LEGACY_UNBOUND",     # a legacy .npy was given an expected context or hotkey: it carries neither
    "SIGNATURE_UNAVAILABLE",  # a signature to verify but py-sr25519-bindings is not installed
    "BAD_ARGUMENT",       # the caller's own argument is wrong (not the container's fault)
})


class ClientError(ValueError):
    """A container (or its URL) was refused; `code` is stable, the message says what and where."""

    def __init__(self, code: str, detail: str, address_class: str | None = None):
        detail = detail if len(detail) <= 300 else detail[:300] + "..."
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.address_class = address_class
